"""Inbox: the documents per dossier and queue, paginated in the query."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from pipeline.service import DocumentRow, UserView
from review_ui import nav
from review_ui.common import QUEUES, current_user, day, dossier_names, service, show_flash

PAGE_SIZE = 50
ALL = 0


def _counts_table(user: UserView, names: dict[int, str]) -> pd.DataFrame:
    counts = service().state_counts(user)
    rows = []
    for dossier_id, name in sorted(names.items(), key=lambda kv: kv[1].lower()):
        row: dict[str, object] = {"Dossier": name}
        for label, states in QUEUES.items():
            row[label] = sum(counts.get((dossier_id, s), 0) for s in states)
        rows.append(row)
    return pd.DataFrame(rows, columns=["Dossier", *QUEUES])


#: payment alerts as a short word in the inbox (the Review page shows the full text)
ALERT_LABELS = {
    "iban_unconfirmed": "IBAN to check",
    "payment_conflict": "payment conflict",
}


def _rows_frame(rows: list[DocumentRow]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "#": r.id,
                "Open": f"review?doc={r.id}",
                "Dossier": r.dossier_name,
                "Supplier": r.supplier_name or "",
                "Invoice": r.invoice_number or "",
                "Date": day(r.invoice_date),
                "Total": float(r.total_incl_vat) if r.total_incl_vat is not None else None,
                "Warnings": r.warning_count,
                "Alert": ", ".join(ALERT_LABELS.get(str(a.get("code")), "alert") for a in r.alerts),
                "State": r.state_label,
                "Reason": r.reason or "",
                "File": r.filename or r.kind,
            }
            for r in rows
        ],
        columns=[
            "#",
            "Open",
            "Dossier",
            "Supplier",
            "Invoice",
            "Date",
            "Total",
            "Warnings",
            "Alert",
            "State",
            "Reason",
            "File",
        ],
    )


def _filters(names: dict[int, str]) -> tuple[int | None, str]:
    left, right = st.columns([1, 2])
    dossier = left.selectbox(
        "Dossier",
        [ALL, *sorted(names, key=lambda i: names[i].lower())],
        format_func=lambda i: "All dossiers" if i == ALL else names[i],
        key="inbox_dossier",
    )
    queue = right.segmented_control(
        "Queue", list(QUEUES), default="To review", key="inbox_queue", required=True
    )
    return (None if dossier == ALL else int(dossier)), str(queue or "To review")


def _open_controls(rows: list[DocumentRow]) -> None:
    first, by_id, go = st.columns([1, 1, 1], vertical_alignment="bottom")
    if rows and first.button("Start with the first", key="inbox_first", type="primary"):
        nav.open_document(rows[0].id)
    wanted = by_id.number_input("Document #", min_value=1, step=1, value=None, key="inbox_id")
    if go.button("Open", key="inbox_open", disabled=wanted is None) and wanted is not None:
        nav.open_document(int(wanted))


def render() -> None:
    user = current_user()
    show_flash()
    st.header("Inbox")
    names = dossier_names(user.id, user.role, user)
    if not names:
        st.info("You have no dossiers yet.")
        return
    with st.expander("Counts per dossier", expanded=len(names) <= 8):
        st.dataframe(_counts_table(user, names), hide_index=True, key="inbox_counts")
    dossier_id, queue = _filters(names)
    states = QUEUES[queue]
    total = service().count_documents(user, dossier_id=dossier_id, states=states, kind=None)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page_no = min(pages, int(st.number_input(f"Page (of {pages})", 1, step=1, key="inbox_page")))
    rows = service().documents(
        user,
        dossier_id=dossier_id,
        states=states,
        kind=None,
        offset=(page_no - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    st.caption(f"{total} document(s) in {queue.lower()}")
    if rows:
        st.dataframe(
            _rows_frame(rows),
            hide_index=True,
            key="inbox_table",
            column_config={
                "Open": st.column_config.LinkColumn("Open", display_text="review", width="small"),
                "Total": st.column_config.NumberColumn("Total", format="%.2f"),
            },
        )
    _open_controls(rows)


if __name__ == "__main__":
    render()
