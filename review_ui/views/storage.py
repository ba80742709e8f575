"""Storage: bytes, documents, the free 1 GB, extra GB and monthly cost per dossier."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import streamlit as st

from pipeline.service import QuotaView
from review_ui.common import current_user, money, service, show_flash, size

NEAR = 0.8


def _status(q: QuotaView) -> str:
    if q.used_bytes > q.free_bytes:
        return "over the free allowance"
    if q.used_fraction >= NEAR:
        return "near the limit"
    return "ok"


def _table(quotas: list[QuotaView]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Dossier": q.dossier_name,
                "Status": _status(q),
                "Used": size(q.used_bytes),
                "Use of free": q.used_fraction,
                "Documents": q.documents,
                "Free": size(q.free_bytes),
                "Extra GB": q.extra_gb,
                "EUR / month": money(q.monthly_cost_eur),
            }
            for q in quotas
        ]
    )


def _history(quotas: list[QuotaView]) -> pd.DataFrame:
    points = [
        {"day": pd.Timestamp(day), "dossier": q.dossier_name, "MB": used / 1_000_000}
        for q in quotas
        for day, used in q.history
    ]
    if not points:
        return pd.DataFrame()
    frame = pd.DataFrame(points).pivot_table(index="day", columns="dossier", values="MB")
    return frame.sort_index().ffill().fillna(0)


def render() -> None:
    user = current_user()
    show_flash()
    st.header("Storage")
    quotas = service().quotas(user)  # near or over the limit first
    if not quotas:
        st.info("You have no dossiers yet.")
        return
    over = [q for q in quotas if q.extra_gb]
    total = sum((q.monthly_cost_eur for q in quotas), Decimal(0))
    a, b, c = st.columns(3)
    a.metric("Dossiers", len(quotas))
    b.metric("Over the free 1 GB", len(over))
    c.metric("Extra cost per month", f"EUR {money(total)}")
    st.caption("EUR 1 per started GB above each dossier's free allowance; duplicates count once.")
    st.dataframe(
        _table(quotas),
        hide_index=True,
        key="storage_table",
        column_config={
            "Use of free": st.column_config.ProgressColumn(
                "Use of free", min_value=0.0, max_value=1.0, format="percent"
            )
        },
    )
    history = _history(quotas)
    if not history.empty:
        st.subheader("Use over time (MB)")
        st.line_chart(history)


if __name__ == "__main__":
    render()
