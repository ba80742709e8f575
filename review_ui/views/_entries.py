"""Manual entries, periods and bookyears, approvals of client bookings (pages
``manual_entry``, ``periods``, ``approvals``) and the Inbox's waiting-approval line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
import streamlit as st

from pipeline.service import ServiceError, UserView, plain_number
from review_ui.common import esc, flash, money, run_command, service
from review_ui.views._dossier_pick import pick_dossier

JOURNAL_LABELS = {
    "misc": "Miscellaneous",
    "purchase": "Purchases",
    "sales": "Sales",
    "bank": "Financial (bank)",
}
EMPTY_LINES = pd.DataFrame(
    {
        "Account": ["", ""],
        "Debit": [None, None],
        "Credit": [None, None],
        "VAT grids": ["", ""],
        "Description": ["", ""],
    }
).astype({"Debit": "float64", "Credit": "float64"})


def _amount(value: Any) -> Decimal:
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return Decimal("0")
    try:
        return Decimal(plain_number(str(value))).quantize(Decimal("0.01"))
    except InvalidOperation:
        return Decimal("0")


def _lines(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict("records"):
        out.append(
            {
                "account": str(row.get("Account") or "").strip(),
                "debit": row.get("Debit"),
                "credit": row.get("Credit"),
                "vat_grids": str(row.get("VAT grids") or ""),
                "description": str(row.get("Description") or ""),
            }
        )
    return out


# ----------------------------------------------------------------------------- manual entry


def manual_entry_page(user: UserView) -> None:
    st.header("Manual entry")
    dossier_id = pick_dossier(user, "me_dossier")
    if dossier_id is None:
        return
    svc = service()
    cols = st.columns(2)
    journal = cols[0].selectbox(
        "Journal", list(JOURNAL_LABELS), format_func=JOURNAL_LABELS.__getitem__, key="me_journal"
    )
    day = cols[1].date_input("Date", value=dt.date.today(), key="me_date")
    description = st.text_input("What is this entry for?", key="me_description")
    try:
        accounts = {a.number: a.name_nl for a in svc.accounts(user, dossier_id)}
    except ServiceError as exc:
        st.error(f"Accounts refused: {esc(exc)}")
        return
    edited = st.data_editor(
        EMPTY_LINES,
        num_rows="dynamic",
        hide_index=True,
        key="me_lines",
        width="stretch",
        column_config={
            "Account": st.column_config.TextColumn("Account", help="Account number (chart)"),
            "Debit": st.column_config.NumberColumn("Debit", min_value=0.0, format="%.2f"),
            "Credit": st.column_config.NumberColumn("Credit", min_value=0.0, format="%.2f"),
        },
    )
    lines = _lines(edited)
    debit = sum((_amount(ln["debit"]) for ln in lines), Decimal("0"))
    credit = sum((_amount(ln["credit"]) for ln in lines), Decimal("0"))
    unknown = sorted({ln["account"] for ln in lines if ln["account"]} - set(accounts))
    balance = f"Debit {money(debit)} · credit {money(credit)}"
    if debit == credit and debit:
        st.success(f"{balance}: balanced")
    else:
        st.warning(f"{balance}: difference {money(debit - credit)}")
    if unknown:
        st.warning("Not in the dossier's chart: " + esc(", ".join(unknown)))
    if st.button("Book entry", type="primary", key="me_book"):
        got = run_command(
            "Entry",
            svc.add_manual_entry,
            user,
            dossier_id,
            str(journal),
            day if isinstance(day, dt.date) else dt.date.today(),
            lines,
            description=description,
        )
        if got is not None:
            flash(f"Booked {got.journal} {got.bookyear}/{got.number}.")
            st.session_state.pop("me_lines", None)
            st.rerun()


# ----------------------------------------------------------------------------- periods


def periods_page(user: UserView) -> None:
    st.header("Periods and bookyears")
    dossier_id = pick_dossier(user, "pd_dossier")
    if dossier_id is None:
        return
    svc = service()
    try:
        locks = svc.period_locks(user, dossier_id)
        years = svc.bookyears(user, dossier_id)
    except ServiceError as exc:
        st.error(f"Periods refused: {esc(exc)}")
        return
    through = locks.locked_through or "nothing"
    st.markdown(f"**Locked through:** {esc(through)}")
    if locks.locked_periods:
        st.caption("Also locked: " + esc(", ".join(locks.locked_periods)))
    cols = st.columns(2)
    with cols[0].form("pd_lock"):
        month = st.text_input("Lock every period through (YYYY-MM)", key="pd_lock_month")
        if st.form_submit_button("Lock periods"):
            got = run_command("Lock", svc.lock_periods, user, dossier_id, month)
            if got is not None:
                flash(f"Locked through {got.locked_through}.")
                st.rerun()
    with cols[1].form("pd_unlock"):
        month = st.text_input("Reopen period and later (YYYY-MM)", key="pd_unlock_month")
        if st.form_submit_button("Reopen"):
            got = run_command("Reopen", svc.unlock_period, user, dossier_id, month)
            if got is not None:
                flash(f"Locked through {got.locked_through or 'nothing'}.")
                st.rerun()
    st.subheader("Bookyears")
    if years:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Bookyear": y.name,
                        "From": y.first_period,
                        "To": y.last_period,
                        "Entries": y.entries,
                        "Opening balances": "yes" if y.has_opening else "no",
                    }
                    for y in years
                ]
            ),
            hide_index=True,
            key="pd_years",
        )
    else:
        st.caption("No bookyear yet.")
    if st.button("Create the next bookyear (carry the balances)", key="pd_next"):
        got = run_command("Bookyear", svc.create_bookyear, user, dossier_id)
        if got is not None:
            flash(f"Bookyear {got.name} created.")
            st.rerun()
    with st.form("pd_opening"):
        st.markdown("**Opening balances** from a trial balance CSV `account;debit;credit`")
        year = st.text_input("Bookyear", key="pd_opening_year")
        upload = st.file_uploader("Trial balance (CSV)", type=["csv", "txt"], key="pd_opening_file")
        replace = st.checkbox("Replace earlier opening balances", key="pd_opening_replace")
        if st.form_submit_button("Import opening balances"):
            if upload is None:
                st.error("Choose a CSV file.")
                return
            got = run_command(
                "Opening balances",
                svc.import_opening,
                user,
                dossier_id,
                year,
                upload.getvalue(),
                replace=replace,
            )
            if got is not None:
                flash(f"Opening balances booked as {got.journal} {got.bookyear}/{got.number}.")
                st.rerun()


# ----------------------------------------------------------------------------- approvals


def _entry_rows(rows: list[Any]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Entry": e.id,
                "Booking": f"{e.journal} {e.bookyear}/{e.number}",
                "Date": e.date,
                "Document": e.document_id,
                "Amount": money(sum((ln.debit for ln in e.lines), Decimal("0"))),
                "Comment": e.approval_comment or "",
            }
            for e in rows
        ]
    )


def approvals_page(user: UserView) -> None:
    st.header("Client bookings")
    st.caption(
        "What a client (a member who is not the dossier's accountant) booked waits here "
        "for the accountant's approval."
    )
    dossier_id = pick_dossier(user, "ap_dossier")
    if dossier_id is None:
        return
    svc = service()
    try:
        waiting = svc.client_bookings(user, dossier_id, "waiting")
        returned = svc.client_bookings(user, dossier_id, "returned")
    except ServiceError as exc:
        st.error(f"Client bookings refused: {esc(exc)}")
        return
    st.subheader(f"Waiting for approval ({len(waiting)})")
    if waiting:
        st.dataframe(_entry_rows(waiting), hide_index=True, key="ap_waiting")
        labels = {e.id: f"{e.journal} {e.bookyear}/{e.number} ({e.date})" for e in waiting}
        chosen = st.selectbox(
            "Booking", list(labels), format_func=labels.__getitem__, key="ap_entry"
        )
        comment = st.text_area("Comment for the client (to send it back)", key="ap_comment")
        cols = st.columns(2)
        approve = cols[0].button("Approve", type="primary", key="ap_approve")
        if approve and run_command("Approval", svc.approve_booking, user, int(chosen)):
            flash("Approved.")
            st.rerun()
        if cols[1].button("Send back to review", key="ap_return"):
            got = run_command("Send back", svc.return_booking, user, int(chosen), comment)
            if got is not None:
                flash("Sent back to review with your comment.")
                st.rerun()
    else:
        st.caption("Nothing waits for approval.")
    st.subheader(f"Sent back to review ({len(returned)})")
    if returned:
        st.dataframe(_entry_rows(returned), hide_index=True, key="ap_returned")
        for e in returned:
            st.info(
                f"{esc(e.journal)} {esc(e.bookyear)}/{e.number} (document {e.document_id}): "
                f"{esc(e.approval_comment or '')}"
            )


def waiting_line(user: UserView) -> None:
    """The Inbox line: client bookings waiting for approval in the caller's dossiers."""
    try:
        waiting = service().waiting_approval(user)
    except ServiceError:
        return
    total = sum(waiting.values())
    if total:
        st.info(
            f"{total} client booking(s) wait for approval in {len(waiting)} dossier(s): "
            "see Client bookings."
        )


def approval_panel(user: UserView, entry: Any) -> None:
    """On the Review page: the accountant's comment on a booking sent back, and for a
    client's booking waiting for approval the accountant's approve / send-back actions."""
    if entry.approval == "returned" and entry.approval_comment:
        st.warning("Sent back by the accountant: " + esc(entry.approval_comment))
        return
    if entry.approval != "waiting":
        return
    st.info("Booked by the client: waiting for the accountant's approval.")
    comment = st.text_input("Comment (to send it back)", key=f"rv_ap_comment_{entry.id}")
    cols = st.columns(2)
    svc = service()
    approve = cols[0].button("Approve booking", key=f"rv_ap_approve_{entry.id}")
    if approve and run_command("Approval", svc.approve_booking, user, entry.id):
        flash("Approved.")
        st.rerun()
    send_back = cols[1].button("Send back to review", key=f"rv_ap_return_{entry.id}")
    if send_back and run_command("Send back", svc.return_booking, user, entry.id, comment):
        flash("Sent back to review with your comment.")
        st.rerun()
