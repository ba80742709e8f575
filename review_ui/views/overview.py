"""The firm's overview: per dossier, documents waiting, the oldest unbooked document,
open VAT periods, storage use and the last upload, so the working day starts here."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from review_ui.common import current_user, service, show_flash, size


def _age(value: dt.datetime | None, now: dt.datetime) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    days = (now - value).days
    return f"{value.date().isoformat()} ({days} d)"


def render() -> None:
    user = current_user()
    show_flash()
    st.header("Overview")
    rows = service().firm_overview(user)
    if not rows:
        st.info("You have no dossiers yet.")
        return
    now = dt.datetime.now(dt.UTC)
    waiting = sum(r.waiting for r in rows)
    left, right = st.columns(2)
    left.metric("Documents waiting", waiting)
    right.metric("Dossiers with open VAT periods", sum(1 for r in rows if r.open_vat_periods))
    frame = pd.DataFrame(
        [
            {
                "Dossier": r.name,
                "Waiting": r.waiting,
                "Oldest unbooked": _age(r.oldest_unbooked, now),
                "Open VAT periods": ", ".join(r.open_vat_periods),
                "Storage": f"{size(r.used_bytes)} of {size(r.free_bytes)}",
                "Used %": round(100 * r.used_bytes / max(1, r.free_bytes), 1),
                "Last upload": _age(r.last_upload, now),
            }
            for r in sorted(rows, key=lambda r: (-r.waiting, r.name.lower()))
        ]
    )
    st.dataframe(
        frame,
        hide_index=True,
        key="ov_table",
        width="stretch",
        column_config={
            "Used %": st.column_config.ProgressColumn("Used %", min_value=0, max_value=100)
        },
    )
    st.caption("Most documents waiting first. Open VAT periods: booked after the last lock.")


if __name__ == "__main__":
    render()
