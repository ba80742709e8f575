"""Books: the general ledger per account (drill-down to each entry and its document),
trial balance, journals, VAT listings and returns, customer and supplier histories and
open items; each list downloads as CSV, XLSX or PDF.  Read-only for everyone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from pipeline.service import ServiceError, UserView
from review_ui import nav
from review_ui.common import current_user, esc, money, service, show_flash
from review_ui.views._dossier_pick import pick_dossier

PAGE_SIZE = 200
LISTS = {
    "ledger": "General ledger",
    "trial_balance": "Trial balance",
    "journals": "Journals",
    "vat": "VAT",
    "parties": "Customers & suppliers",
}
FORMATS = {"csv": "CSV", "xlsx": "Excel", "pdf": "PDF"}
MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _num(value: Any) -> float:
    return float(value)


def _downloads(user: UserView, dossier_id: int, what: str, stem: str, **params: Any) -> None:
    """CSV, XLSX and PDF of the list, made when the button is pressed."""

    def make(fmt: str) -> Any:
        def build() -> bytes:
            try:
                return service().books_export(user, dossier_id, what, fmt, **params)
            except ServiceError as exc:
                return f"export refused: {exc}".encode()

        return build

    cols = st.columns(len(FORMATS))
    for col, (fmt, label) in zip(cols, FORMATS.items(), strict=True):
        col.download_button(
            label,
            make(fmt),
            file_name=f"{stem}.{fmt}",
            mime=MIME[fmt],
            key=f"bk_dl_{what}_{fmt}",
            icon=":material/download:",
            width="stretch",
        )


def _period() -> tuple[dt.date | None, dt.date | None]:
    left, right = st.columns(2)
    start = left.date_input("From", value=None, key="bk_from", format="YYYY-MM-DD")
    end = right.date_input("To", value=None, key="bk_to", format="YYYY-MM-DD")
    return (
        start if isinstance(start, dt.date) else None,
        end if isinstance(end, dt.date) else None,
    )


def _entry_detail(
    user: UserView, dossier_id: int, entry_ids: list[int], labels: dict[int, str]
) -> None:
    """Drill-down: one entry's lines and a link to its document (same tab)."""
    if not entry_ids:
        return
    chosen = st.selectbox(
        "Entry", entry_ids, format_func=lambda i: labels.get(i, str(i)), key="bk_entry"
    )
    if chosen is None:
        return
    try:
        entry = service().journal_entry(user, dossier_id, int(chosen))
    except ServiceError as exc:
        st.error(esc(exc))
        return
    st.dataframe(
        pd.DataFrame(
            [
                {"Account": a, "Debit": _num(d), "Credit": _num(c), "Grids": g}
                for a, d, c, g in entry.lines
            ]
        ),
        hide_index=True,
        key="bk_entry_lines",
        width="stretch",
    )
    if entry.document_id:
        st.page_link(
            nav.page("review"),
            label=f"Open document #{entry.document_id}",
            icon=":material/description:",
            query_params={"doc": str(entry.document_id)},
        )


def _ledger(user: UserView, dossier_id: int) -> None:
    tb = service().trial_balance(user, dossier_id)
    if not tb.rows:
        st.info("No booked entries yet.")
        return
    names = {r.account: r.name for r in tb.rows}
    account = st.selectbox(
        "Account",
        list(names),
        format_func=lambda a: f"{a} {names[a]}".strip(),
        key="bk_account",
    )
    if account is None:
        return
    start, end = _period()
    page_no = int(st.number_input("Page", min_value=1, step=1, key="bk_page"))
    page = service().account_ledger(
        user, dossier_id, account, start, end, (page_no - 1) * PAGE_SIZE, PAGE_SIZE
    )
    acc = page.ledger
    st.caption(
        f"{page.total_rows} lines · carried in {money(acc.opening)} · "
        f"closing {money(page.closing)} EUR"
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Date": r.date,
                    "Journal": r.journal,
                    "Number": r.number,
                    "Counterparty": r.counterparty,
                    "Debit": _num(r.debit),
                    "Credit": _num(r.credit),
                    "Balance": _num(r.balance),
                    "Document": f"review?doc={r.document_id}" if r.document_id else None,
                }
                for r in acc.rows
            ],
            columns=[
                "Date",
                "Journal",
                "Number",
                "Counterparty",
                "Debit",
                "Credit",
                "Balance",
                "Document",
            ],
        ),
        hide_index=True,
        key="bk_ledger",
        width="stretch",
        column_config={
            "Debit": st.column_config.NumberColumn(format="%.2f"),
            "Credit": st.column_config.NumberColumn(format="%.2f"),
            "Balance": st.column_config.NumberColumn(format="%.2f"),
            "Document": st.column_config.LinkColumn("Document", display_text=r"review\?doc=(\d+)"),
        },
    )
    labels = {
        r.entry_id: f"{r.journal} #{r.number} · {r.date} · {r.counterparty}" for r in acc.rows
    }
    _entry_detail(user, dossier_id, list(labels), labels)
    _downloads(
        user, dossier_id, "ledger", f"ledger-{account}", account=account, start=start, end=end
    )


def _trial_balance(user: UserView, dossier_id: int) -> None:
    start, end = _period()
    tb = service().trial_balance(user, dossier_id, start, end)
    st.caption(
        f"Debit {money(tb.debit)} · credit {money(tb.credit)}"
        + ("" if tb.balanced else " · NOT BALANCED")
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Account": r.account,
                    "Name": r.name,
                    "Debit": _num(r.debit),
                    "Credit": _num(r.credit),
                    "Balance": _num(r.balance),
                }
                for r in tb.rows
            ],
            columns=["Account", "Name", "Debit", "Credit", "Balance"],
        ),
        hide_index=True,
        key="bk_trial",
        width="stretch",
        column_config={
            c: st.column_config.NumberColumn(format="%.2f") for c in ("Debit", "Credit", "Balance")
        },
    )
    _downloads(user, dossier_id, "trial_balance", "trial-balance", start=start, end=end)


def _journals(user: UserView, dossier_id: int) -> None:
    codes = service().journal_codes(user, dossier_id)
    left, right = st.columns(2)
    journal = left.selectbox(
        "Journal", ["", *codes], format_func=lambda j: j or "all", key="bk_journal"
    )
    page_no = int(right.number_input("Page", min_value=1, step=1, key="bk_jpage"))
    page = service().journals(user, dossier_id, journal or None, None, (page_no - 1) * 50, 50)
    st.caption(f"{page.total} booked entries")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Journal": e.journal,
                    "Number": e.number,
                    "Date": e.date,
                    "Counterparty": e.counterparty,
                    "Account": a,
                    "Debit": _num(d),
                    "Credit": _num(c),
                    "Grids": g,
                }
                for e in page.entries
                for a, d, c, g in e.lines
            ],
            columns=[
                "Journal",
                "Number",
                "Date",
                "Counterparty",
                "Account",
                "Debit",
                "Credit",
                "Grids",
            ],
        ),
        hide_index=True,
        key="bk_journals",
        width="stretch",
    )
    labels = {
        e.entry_id: f"{e.journal} #{e.number} · {e.date} · {e.counterparty}" for e in page.entries
    }
    _entry_detail(user, dossier_id, list(labels), labels)
    _downloads(user, dossier_id, "journals", "journals", journal=journal or None)


def _vat(user: UserView, dossier_id: int) -> None:
    periods = service().vat_periods(user, dossier_id)
    if not periods:
        st.info("No booked entries yet: nothing to declare.")
        return
    period = st.selectbox("VAT period", periods, key="bk_vat_period")
    if period is None:
        return
    (position,) = service().vat_returns(user, dossier_id, [period])
    st.metric(
        "To pay (71)" if position.to_pay or not position.to_recover else "To recover (72)",
        f"{money(position.to_pay or position.to_recover)} EUR",
    )
    st.dataframe(
        pd.DataFrame(
            [{"Grid": g, "Amount": _num(v)} for g, v in position.grids], columns=["Grid", "Amount"]
        ),
        hide_index=True,
        key="bk_vat_return",
        width="stretch",
    )
    st.subheader("Listing per grid")
    listing = service().vat_listing(user, dossier_id, period)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Grid": x.grid,
                    "Date": x.date,
                    "Journal": x.journal,
                    "Number": x.number,
                    "Account": x.account,
                    "Counterparty": x.counterparty,
                    "Amount": _num(x.amount),
                    "Document": f"review?doc={x.document_id}" if x.document_id else None,
                }
                for v in listing
                for x in v.lines
            ],
            columns=[
                "Grid",
                "Date",
                "Journal",
                "Number",
                "Account",
                "Counterparty",
                "Amount",
                "Document",
            ],
        ),
        hide_index=True,
        key="bk_vat_listing",
        width="stretch",
        column_config={
            "Document": st.column_config.LinkColumn("Document", display_text=r"review\?doc=(\d+)")
        },
    )
    st.caption("VAT listing of the period")
    _downloads(user, dossier_id, "vat_listing", f"vat-listing-{period}", vat_period=period)
    st.caption("VAT returns of every period")
    _downloads(user, dossier_id, "vat_returns", "vat-returns")


def _parties(user: UserView, dossier_id: int) -> None:
    kind = st.radio(
        "Who",
        ["customers", "suppliers"],
        horizontal=True,
        key="bk_kind",
        format_func=str.capitalize,
    )
    ageing = service().ageing(user, dossier_id, kind)
    st.subheader("Open items")
    st.caption(
        " · ".join(f"{b}: {money(v)}" for b, v in ageing.buckets)
        + f" · total {money(ageing.total)}"
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Counterparty": i.counterparty,
                    "Date": i.date,
                    "Due": i.due_date,
                    "Number": i.number,
                    "Open": _num(i.open),
                    "Days overdue": i.days_overdue,
                    "Ageing": i.bucket,
                    "Document": f"review?doc={i.document_id}" if i.document_id else None,
                }
                for i in ageing.items
            ],
            columns=[
                "Counterparty",
                "Date",
                "Due",
                "Number",
                "Open",
                "Days overdue",
                "Ageing",
                "Document",
            ],
        ),
        hide_index=True,
        key="bk_open_items",
        width="stretch",
        column_config={
            "Document": st.column_config.LinkColumn("Document", display_text=r"review\?doc=(\d+)")
        },
    )
    _downloads(user, dossier_id, "open_items", f"open-items-{kind}", kind=kind)
    st.subheader("History")
    history = service().counterparty_history(user, dossier_id, kind)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Counterparty": h.counterparty,
                    "Date": h.date,
                    "Journal": h.journal,
                    "Number": h.number,
                    "Invoiced": _num(h.invoiced),
                    "Settled": _num(h.settled),
                    "Balance": _num(h.balance),
                }
                for h in history
            ],
            columns=["Counterparty", "Date", "Journal", "Number", "Invoiced", "Settled", "Balance"],
        ),
        hide_index=True,
        key="bk_history",
        width="stretch",
    )
    _downloads(user, dossier_id, "history", f"history-{kind}", kind=kind)


def render() -> None:
    user = current_user()
    show_flash()
    st.header("Books")
    dossier_id = pick_dossier(user, "bk_dossier")
    if dossier_id is None:
        return
    which = st.segmented_control(
        "List", list(LISTS), format_func=LISTS.__getitem__, default="ledger", key="bk_list"
    )
    draw = {
        "ledger": _ledger,
        "trial_balance": _trial_balance,
        "journals": _journals,
        "vat": _vat,
        "parties": _parties,
    }
    try:
        draw[str(which or "ledger")](user, dossier_id)
    except ServiceError as exc:
        st.error(f"Books: {esc(exc)}")


if __name__ == "__main__":
    render()
