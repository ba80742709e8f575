"""Payments: CODA bank-statement upload (matched on structured communication and amount,
each match booked in the bank journal), the unmatched lines with manual matching or booking
against an account, and invoices marked paid or partly paid by hand."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from pipeline.service import Permission, UserView
from review_ui.common import (
    current_user,
    day,
    esc,
    flash,
    money,
    run_command,
    service,
    show_flash,
)
from review_ui.views._bank_booking import book_form
from review_ui.views._invoicing import pick_invoicing_dossier

MAX_CODA_BYTES = 50 * 1024 * 1024
REPORT_KEY = "pay_report"


def render() -> None:
    user = current_user()
    show_flash()
    st.header("Payments")
    dossier_id = pick_invoicing_dossier(user, "pay_dossier", Permission.MANAGE_PAYMENTS)
    if dossier_id is None:
        return
    _coda(user, dossier_id)
    open_rows = service().invoices(user, dossier_id, state="issued", kind="invoice", paid=False)
    _unmatched(user, dossier_id, open_rows)
    _mark_paid(user, open_rows)


def _coda(user: UserView, dossier_id: int) -> None:
    st.subheader("Bank statement (CODA)")
    upload = st.file_uploader("CODA file", type=["cod", "coda", "txt"], key="pay_coda")
    if upload is not None and st.button("Import", type="primary", key="pay_import"):
        if upload.size > MAX_CODA_BYTES:
            st.error("The CODA file is larger than 50 MB.")
        else:
            report = run_command(
                "CODA import",
                service().import_coda,
                user,
                dossier_id,
                upload.getvalue(),
                filename=upload.name,
            )
            if report is not None:
                st.session_state[REPORT_KEY] = report
    report = st.session_state.get(REPORT_KEY)
    if report is None:
        return
    st.success(
        f"Import {report.import_id}: {report.movements} movements, {report.matched} matched, "
        f"{report.movements - report.matched} to match by hand. "
        f"{report.booked} booked in the bank journal"
        + (
            f"; {report.already_imported} imported before, skipped."
            if report.already_imported
            else "."
        )
    )
    if report.matches:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Line": m["line"],
                        "Side": m["side"],
                        "Paid": m["amount"],
                        "Match": m["kind"],
                        "Rule": m["rule"],
                    }
                    for m in report.matches
                ]
            ),
            hide_index=True,
            key="pay_matches",
        )


def _unmatched(user: UserView, dossier_id: int, open_rows: list[Any]) -> None:
    st.subheader("Unmatched bank lines")
    movements = [
        m for m in service().unmatched_movements(user, dossier_id) if m.state == "unmatched"
    ]
    if not movements:
        st.caption("Nothing to match by hand.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Line": m.line,
                    "Date": day(m.value_date),
                    "Amount": money(m.amount),
                    "Counterparty": m.counterparty_name or "",
                    "Communication": m.structured_communication or m.communication or "",
                }
                for m in movements
            ]
        ),
        hide_index=True,
        key="pay_unmatched",
    )
    by_id = {m.id: m for m in movements}
    movement_id = st.selectbox(
        "Bank line",
        list(by_id),
        format_func=lambda i: (
            f"line {by_id[i].line} · {money(by_id[i].amount)} · {by_id[i].counterparty_name or ''}"
        ),
        key="pay_movement",
    )
    invoices = {r.id: r for r in open_rows}
    target = st.selectbox(
        "Pays sales invoice",
        list(invoices),
        format_func=lambda i: (
            f"{invoices[i].number} · {invoices[i].customer_name} · open "
            f"{money(invoices[i].open_amount)}"
        ),
        key="pay_target",
    )
    left, right = st.columns(2)
    if left.button("Match", type="primary", key="pay_match") and movement_id is not None:
        if target is None:
            st.error("No open sales invoice to match with.")
        else:
            done = run_command(
                "Matching", service().match_movement, user, int(movement_id), invoice_id=int(target)
            )
            if done is not None:
                flash(f"Line {done.line} matched to {invoices[int(target)].number}")
                st.rerun()
    if right.button("Set aside (not an invoice payment)", key="pay_ignore"):
        done = run_command(
            "Setting aside", service().match_movement, user, int(movement_id or 0), ignore=True
        )
        if done is not None:
            flash(f"Line {done.line} set aside")
            st.rerun()
    book_form(user, dossier_id, movements)


def _mark_paid(user: UserView, open_rows: list[Any]) -> None:
    st.subheader("Mark paid by hand")
    if not open_rows:
        st.caption("No open sales invoices.")
        return
    invoices = {r.id: r for r in open_rows}
    picked = st.selectbox(
        "Invoice",
        list(invoices),
        format_func=lambda i: (
            f"{invoices[i].number} · {invoices[i].customer_name} · open "
            f"{money(invoices[i].open_amount)}"
        ),
        key="pay_invoice",
    )
    amount = st.text_input("Amount paid (empty: all that is open)", key="pay_amount")
    date = st.date_input("Paid on", key="pay_date")
    if st.button("Mark paid", type="primary", key="pay_mark") and picked is not None:
        row = run_command(
            "Marking paid",
            service().mark_paid,
            user,
            int(picked),
            amount.strip() or None,
            date=date,
        )
        if row is not None:
            flash(f"{row.number}: {row.payment_state}, open {money(row.open_amount)} EUR")
            st.rerun()
    st.caption(esc("Partly paid: give the amount received; the rest stays open."))


if __name__ == "__main__":
    render()
