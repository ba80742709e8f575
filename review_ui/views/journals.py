"""Journals: booked entries per journal and period, each one click from its document."""

from __future__ import annotations

import re
from decimal import Decimal

import pandas as pd
import streamlit as st

from pipeline.service import EntryView, UserView
from review_ui import nav
from review_ui.common import accounts, current_user, esc, money, service, show_flash
from review_ui.views._dossier_pick import pick_dossier

PAGE_SIZE = 100
JOURNALS = {"": "All journals", "purchase": "Purchases", "sales": "Sales"}
#: a journal as named in an entry number ("purchases 2026/0001")
JOURNAL_WORDS = {"purchase": "purchases", "sales": "sales"}
PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def _description(entry: EntryView) -> str:
    for line in entry.lines:
        if line.kind == "counterparty":
            return line.description
    return entry.lines[0].description if entry.lines else ""


def entry_number(e: EntryView) -> str:
    """``purchases 2026/0001``: journal, book year and number (empty before booking)."""
    if e.number is None:
        return ""
    journal = JOURNAL_WORDS.get(e.journal, e.journal)
    return f"{journal} {e.bookyear}/{e.number:04d}"


COLUMNS = ["Number", "Date", "VAT period", "Description", "Amount", "Document"]
#: widths that fit the page: no column is scrolled out of sight
COLUMN_CONFIG = {
    "Number": st.column_config.TextColumn("Number", width=150),
    "Date": st.column_config.TextColumn("Date", width=95),
    "VAT period": st.column_config.TextColumn("VAT period", width=90),
    "Description": st.column_config.TextColumn("Description", width="medium"),
    "Amount": st.column_config.TextColumn("Amount", width=100),
    "Document": st.column_config.TextColumn("Document", width=90),
}


def _frame(entries: list[EntryView]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Number": entry_number(e),
                "Date": e.date.isoformat(),
                "VAT period": e.vat_period,
                "Description": _description(e) + (" (auto)" if e.auto_booked else ""),
                "Amount": money(sum((ln.debit for ln in e.lines), Decimal(0))),
                "Document": f"#{e.document_id}" if e.document_id else "",
            }
            for e in entries
        ],
        columns=COLUMNS,
    )


def _filters() -> tuple[str | None, str | None, int]:
    journal_col, period_col, page_col = st.columns(3)
    journal = journal_col.selectbox(
        "Journal", list(JOURNALS), format_func=JOURNALS.__getitem__, key="jr_journal"
    )
    period = period_col.text_input("Period", placeholder="YYYY-MM (empty: all)", key="jr_period")
    page_no = int(page_col.number_input("Page", min_value=1, step=1, key="jr_page"))
    period = period.strip()
    if period and not PERIOD.fullmatch(period):
        st.warning(f"Period {esc(repr(period))} is not YYYY-MM: showing all periods.")
        period = ""
    return journal or None, period or None, page_no


def _entry_detail(user: UserView, dossier_id: int, entries: list[EntryView]) -> None:
    by_id = {e.id: e for e in entries}
    chosen = st.selectbox(
        "Entry",
        list(by_id),
        format_func=lambda i: (
            f"{entry_number(by_id[i])} · {by_id[i].date} · {esc(_description(by_id[i]))}"
        ),
        key="jr_entry",
    )
    entry = by_id.get(chosen) if chosen is not None else None
    if entry is None:
        return
    names = {a.number: a.label for a in accounts(user.id, dossier_id, user)}
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Account": names.get(ln.account, ln.account),
                    "Description": ln.description,
                    "Debit": money(ln.debit),
                    "Credit": money(ln.credit),
                    "VAT code": ln.vat_code or "",
                    "Grids": ", ".join(ln.vat_grids),
                }
                for ln in entry.lines
            ]
        ),
        hide_index=True,
        key="jr_lines",
        column_config={"Account": st.column_config.TextColumn("Account", width="large")},
    )
    if entry.document_id and st.button(
        f"Open document #{entry.document_id}", key="jr_open", type="primary"
    ):
        nav.open_document(entry.document_id)


def render() -> None:
    user = current_user()
    show_flash()
    st.header("Journals")
    dossier_id = pick_dossier(user, "jr_dossier")
    if dossier_id is None:
        return
    journal, period, page_no = _filters()
    entries = service().entries(
        user,
        dossier_id,
        journal=journal,
        period=period,
        offset=(page_no - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    if not entries:
        st.info("No booked entries for this selection.")
        return
    st.caption(f"{len(entries)} booked entr{'y' if len(entries) == 1 else 'ies'} on this page")
    st.caption("Click a row to see its lines below.")
    picked = st.dataframe(
        _frame(entries),
        hide_index=True,
        key="jr_table",
        column_config=COLUMN_CONFIG,
        on_select="rerun",
        selection_mode="single-row",
    )
    rows = list(picked.selection.rows) if picked is not None else []
    picked_id = entries[rows[0]].id if rows and 0 <= rows[0] < len(entries) else None
    if picked_id is not None and st.session_state.get("_jr_row") != picked_id:
        st.session_state["jr_entry"] = picked_id  # a new row click chooses the entry below
    st.session_state["_jr_row"] = picked_id
    _entry_detail(user, dossier_id, entries)


if __name__ == "__main__":
    render()
