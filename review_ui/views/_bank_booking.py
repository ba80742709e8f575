"""The Payments page's form to book an unmatched bank line in the bank journal against an
account of the chart (bank costs, wages, a loan, VAT paid…).  The service checks it like
every entry (balance, chart, open period) and refuses with the reason."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from pipeline.service import UserView
from review_ui.common import accounts, flash, money, run_command, service

BANK_ACCOUNT = "550000"


def book_form(user: UserView, dossier_id: int, movements: Sequence[Any]) -> None:
    """Pick an unmatched line and an account; one entry 550000 against it."""
    if not movements:
        return
    st.markdown("**Book a bank line against an account** (not an invoice payment)")
    st.caption("Money in: 550000 debit, the account credit; money out: the other way.")
    by_id = {m.id: m for m in movements}
    chart = [a for a in accounts(user.id, dossier_id, user) if a.number != BANK_ACCOUNT]
    labels = {a.number: a.label for a in chart}
    with st.form("pay_book_form"):
        movement_id = st.selectbox(
            "Bank line",
            list(by_id),
            format_func=lambda i: (
                f"line {by_id[i].line} · {money(by_id[i].amount)} · "
                f"{by_id[i].counterparty_name or ''}"
            ),
            key="pay_book_movement",
        )
        account = st.selectbox(
            "Account",
            list(labels),
            index=None,
            format_func=lambda n: labels.get(n, n),
            placeholder="e.g. 657000 bank costs",
            key="pay_book_account",
        )
        text = st.text_input("Description (optional)", key="pay_book_text")
        if not st.form_submit_button("Book in the bank journal", type="primary"):
            return
    if movement_id is None or not account:
        st.error("Booking refused: pick a bank line and an account.")
        return
    entry = run_command(
        "Booking", service().book_movement, user, int(movement_id), str(account), description=text
    )
    if entry is not None:
        flash(f"Line {by_id[int(movement_id)].line} booked as {entry.label} on {account}.")
        st.rerun()
