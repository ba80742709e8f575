"""Inbox: the documents per dossier and queue, paginated in the query."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from pipeline.service import DocumentRow, UserView
from review_ui import nav
from review_ui.common import (
    QUEUES,
    current_user,
    day,
    dossier_names,
    money,
    service,
    show_flash,
)
from review_ui.views._entries import waiting_line

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


#: the table's columns; everything else about a document is one click away on the Review page
COLUMNS = ["#", "Dossier", "Supplier", "Invoice", "Date", "Total", "Notes"]


def _notes(r: DocumentRow) -> str:
    parts = [ALERT_LABELS.get(str(a.get("code")), "alert") for a in r.alerts]
    if r.warning_count:
        parts.append(f"{r.warning_count} warning{'s' if r.warning_count != 1 else ''}")
    if r.reason:
        parts.append(r.reason)
    return "; ".join(parts) or (r.filename or "")


def _rows_frame(rows: list[DocumentRow], *, with_state: bool = False) -> pd.DataFrame:
    """Few columns, money as text: an empty total stays empty (never "None")."""
    frame = pd.DataFrame(
        [
            {
                "#": r.id,
                "Dossier": r.dossier_name,
                "Supplier": r.supplier_name or r.filename or r.kind,
                "Invoice": r.invoice_number or "",
                "Date": day(r.invoice_date),
                "Total": money(r.total_incl_vat),
                "Notes": (f"{r.state_label}: " if with_state else "") + _notes(r),
            }
            for r in rows
        ],
        columns=COLUMNS,
    )
    return frame


#: widths that fit the table in the page: nothing is scrolled out of sight
COLUMN_CONFIG = {
    "#": st.column_config.NumberColumn("#", width=60, format="%d"),
    "Dossier": st.column_config.TextColumn("Dossier", width="small"),
    "Supplier": st.column_config.TextColumn("Supplier", width="medium"),
    "Invoice": st.column_config.TextColumn("Invoice", width="small"),
    "Date": st.column_config.TextColumn("Date", width=95),
    "Total": st.column_config.TextColumn("Total", width=90),
    "Notes": st.column_config.TextColumn("Notes", width="medium"),
}


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
    waiting_line(user)  # client bookings waiting for the accountant's approval
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
        st.caption("Click a row to open its document.")
        picked = st.dataframe(
            _rows_frame(rows, with_state=len(states) > 1),
            hide_index=True,
            key="inbox_table",
            column_config=COLUMN_CONFIG,
            column_order=[c for c in COLUMNS if c != "Dossier" or dossier_id is None],
            on_select="rerun",
            selection_mode="single-row",
        )
        chosen = list(picked.selection.rows) if picked is not None else []
        if chosen and 0 <= chosen[0] < len(rows):
            nav.open_document(rows[chosen[0]].id)  # the same tab, the same session
    _open_controls(rows)


if __name__ == "__main__":
    render()
