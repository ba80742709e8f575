"""Storage: bytes, documents, the free 1 GB, extra GB and monthly cost per dossier,
and the alerts of those dossiers (e.g. the daily intake cap reached)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import streamlit as st

from pipeline.service import QuotaView, UserView
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
    alerts = service().alerts(user, limit=20)
    if alerts:
        names = {q.dossier_id: q.dossier_name for q in quotas}
        st.subheader("Alerts")
        st.dataframe(  # a table, never Markdown: nothing here is rendered as markup
            pd.DataFrame(
                [
                    {
                        "When": a.at.strftime("%Y-%m-%d %H:%M"),
                        "Dossier": names.get(a.dossier_id or 0, str(a.dossier_id)),
                        "Alert": a.message or a.kind,
                    }
                    for a in alerts
                ]
            ),
            hide_index=True,
            key="storage_alerts",
        )
        st.caption("Junk that got in can be purged so it is not billed: `boekbox purge-junk`.")
    history = _history(quotas)
    if not history.empty:
        st.subheader("Use over time (MB)")
        if len(history) == 1:  # a line needs two days: one day is a bar per dossier
            one_day = history.copy()
            one_day.index = [d.strftime("%Y-%m-%d") for d in one_day.index]
            st.bar_chart(one_day, stack=False)
        else:
            st.line_chart(history)
    _mandate_section(user, quotas)


def _mandate_section(user: UserView, quotas: list[QuotaView]) -> None:
    """Per dossier, the suppliers still sending PDFs after the e-invoicing mandate."""
    rows = [
        {
            "Dossier": q.dossier_name,
            "Supplier": v.supplier_name,
            "VAT": v.supplier_vat,
            "PDFs": v.documents,
            "E-invoice requested": v.requested,
            "Last": v.last_date.isoformat() if v.last_date else "",
        }
        for q in quotas
        for v in service().mandate_suppliers(user, q.dossier_id)
    ]
    if rows:
        st.subheader("Suppliers still sending PDFs (e-invoicing mandate)")
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="storage_mandate")
        st.caption("Ask each for the Peppol e-invoice from the flagged document on Review.")


if __name__ == "__main__":
    render()
