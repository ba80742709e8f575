"""Reminders: open items per customer with ageing, the reminder run (a dry run first)
and what was sent."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from pipeline.service import ServiceError, UserView
from review_ui.common import current_user, esc, money, run_command, service, show_flash
from review_ui.views._invoicing import pick_invoicing_dossier

BUCKETS = {
    "not_due": "Not due",
    "1-30": "1-30 days",
    "31-60": "31-60 days",
    "61-90": "61-90 days",
    "90+": "> 90 days",
}
RESULT_KEY = "rem_result"


def render() -> None:
    user = current_user()
    show_flash()
    st.header("Reminders")
    dossier_id = pick_invoicing_dossier(user, "rem_dossier")
    if dossier_id is None:
        return
    rows = service().open_items(user, dossier_id)
    st.subheader("Open items per customer")
    if rows:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Customer": r.customer_name,
                        **{BUCKETS.get(k, k): money(v) for k, v in r.buckets.items()},
                    }
                    for r in rows
                ]
            ),
            hide_index=True,
            key="rem_ageing",
        )
    else:
        st.caption("No open invoices.")
    _run(user, dossier_id)
    _sent(user, rows)


def _run(user: UserView, dossier_id: int) -> None:
    st.subheader("Reminder run")
    st.caption("Look at what a run would send first; sending records each reminder once.")
    left, right = st.columns(2)
    if left.button("Dry run", key="rem_dry"):
        found = run_command(
            "Dry run", service().run_reminders, user, dossier_id, dry_run=True, deliver=False
        )
        if found is not None:
            st.session_state[RESULT_KEY] = ("dry", dossier_id, found)
    if right.button("Send the reminders", type="primary", key="rem_send"):
        found = run_command("Reminder run", service().run_reminders, user, dossier_id)
        if found is not None:
            st.session_state[RESULT_KEY] = ("sent", dossier_id, found)
    result = st.session_state.get(RESULT_KEY)
    if not result or result[1] != dossier_id:
        return
    mode, _, found = result
    if not found:
        st.info("No reminder is due today.")
        return
    st.success(f"{len(found)} reminders {'would be sent' if mode == 'dry' else 'recorded'}.")
    for r in found:
        _reminder(r, mode)


def _reminder(r: Any, mode: str) -> None:
    with st.expander(esc(f"{r.number} · level {r.level} · {money(r.amount_due)} EUR")):
        st.markdown(f"**{esc(r.subject)}**")
        st.text(r.body)
        st.caption(
            f"Fee {money(r.fee)} · interest {money(r.interest)}"
            + (" · mailed" if r.send_id else (" · not mailed (no e-mail)" if mode != "dry" else ""))
        )
        for warning in r.warnings:
            st.warning(esc(warning))


def _sent(user: UserView, rows: list[Any]) -> None:
    """The reminders already sent for the open invoices."""
    sent = []
    for r in rows:
        for inv in r.invoices[:50]:
            try:
                detail = service().invoice(user, int(inv["invoice_id"]))
            except ServiceError:
                continue
            for rem in detail.reminders:
                sent.append(
                    {
                        "Invoice": inv["number"],
                        "Customer": r.customer_name,
                        "Level": rem["level"],
                        "Sent on": rem["sent_on"],
                    }
                )
    st.subheader("Sent")
    if not sent:
        st.caption("No reminders sent for the open invoices.")
        return
    st.dataframe(pd.DataFrame(sent), hide_index=True, key="rem_sent")


if __name__ == "__main__":
    render()
