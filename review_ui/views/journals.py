"""Journals: booked entries per journal and period, each one click from its document."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from pipeline.service import EntryView
from review_ui import nav
from review_ui.common import current_user, esc, money, service, show_flash
from review_ui.views._dossier_pick import pick_dossier

PAGE_SIZE = 100
JOURNALS = {"": "All journals", "purchase": "Purchases", "sales": "Sales"}
PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def _description(entry: EntryView) -> str:
    for line in entry.lines:
        if line.kind == "counterparty":
            return line.description
    return entry.lines[0].description if entry.lines else ""


def _frame(entries: list[EntryView]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Number": e.number,
                "Journal": e.journal,
                "Date": e.date.isoformat(),
                "Period": e.period,
                "VAT period": e.vat_period,
                "Description": _description(e),
                "Amount": float(sum(ln.debit for ln in e.lines)),
                "Document": f"review?doc={e.document_id}" if e.document_id else None,
                "Auto": e.auto_booked,
            }
            for e in entries
        ],
        columns=[
            "Number",
            "Journal",
            "Date",
            "Period",
            "VAT period",
            "Description",
            "Amount",
            "Document",
            "Auto",
        ],
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


def _entry_detail(entries: list[EntryView]) -> None:
    by_id = {e.id: e for e in entries}
    chosen = st.selectbox(
        "Entry",
        list(by_id),
        format_func=lambda i: (
            f"{by_id[i].journal} #{by_id[i].number} · {by_id[i].date} · {_description(by_id[i])}"
        ),
        key="jr_entry",
    )
    entry = by_id.get(chosen) if chosen is not None else None
    if entry is None:
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Account": ln.account,
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
    st.dataframe(
        _frame(entries),
        hide_index=True,
        key="jr_table",
        column_config={
            "Amount": st.column_config.NumberColumn("Amount", format="%.2f"),
            "Document": st.column_config.LinkColumn("Document", display_text=r"review\?doc=(\d+)"),
        },
    )
    _entry_detail(entries)


if __name__ == "__main__":
    render()
