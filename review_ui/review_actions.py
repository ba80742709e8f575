"""The Review page's commands: confirm, save draft, reject, duplicate, reprocess, release.

Each is one service call; a refusal is shown with the service's reason and
nothing moves.  After a confirm the next document of the queue opens.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from pipeline.service import DocumentDetail, ServiceError, UserView
from review_ui import nav
from review_ui.common import clear_lists, esc, flash, run_command, service


def go_to(doc_id: int | None) -> None:
    """Show ``doc_id`` on the Review page (or the queue's first one)."""
    if doc_id is None:
        st.query_params.pop("doc", None)
    else:
        st.query_params["doc"] = str(doc_id)
    st.rerun()


def _iban_alert(detail: DocumentDetail) -> dict[str, Any] | None:
    return next((a for a in detail.row.alerts if a.get("code") == "iban_unconfirmed"), None)


def _confirm(
    user: UserView,
    detail: DocumentDetail,
    lines: list[dict[str, Any]] | None,
    nxt: int | None,
    *,
    iban_checked: bool = False,
) -> None:
    doc_id = detail.row.id
    try:
        entry = service().confirm(user, doc_id, lines, iban_checked=iban_checked)
    except ServiceError as exc:
        st.error(f"Not booked: {esc(exc)}")
        return
    clear_lists()
    st.session_state.pop(f"rv_field_{doc_id}", None)
    booked = (
        f"Document #{doc_id} booked in the {entry.journal} journal as #{entry.number}"
        f" of {entry.bookyear} ({entry.label})."
    )
    if nxt is None:
        flash(f"{booked} The review queue is empty.")
        st.switch_page(nav.page("inbox"))
    flash(booked)
    go_to(nxt)


def confirm_panel(
    user: UserView,
    detail: DocumentDetail,
    lines: list[dict[str, Any]],
    nxt: int | None,
    *,
    changed: bool,
) -> None:
    checked = False
    alert = _iban_alert(detail)
    if alert is not None:  # never booked until someone says they checked the IBAN
        checked = st.checkbox(
            f"I checked IBAN {esc(alert.get('iban', ''))} with the supplier"
            " (confirm it with this booking)",
            key=f"rv_iban_checked_{detail.row.id}",
        )
        if checked:
            st.caption(
                f"IBAN {esc(alert.get('iban', ''))} will be confirmed for this supplier with"
                " the booking (audited)."
            )
    book, draft, _ = st.columns([2, 1, 3])
    if book.button("Confirm and next", key="rv_confirm", type="primary", shortcut="Ctrl+Enter"):
        _confirm(user, detail, lines if changed else None, nxt, iban_checked=checked)
    if draft.button("Save draft", key="rv_draft", shortcut="Alt+S") and run_command(
        "Save draft", service().save_draft, user, detail.row.id, lines
    ):
        st.session_state["rv_version"] = st.session_state.get("rv_version", 0) + 1
        flash("Draft saved.")
        st.rerun()


def _done(message: str) -> None:
    flash(message)
    st.rerun()


def _reject(user: UserView, detail: DocumentDetail, column: Any, nxt: int | None) -> None:
    reason = column.text_input("Reason for rejecting", key=f"rv_reject_reason_{detail.row.id}")
    if column.button("Reject", key="rv_reject") and run_command(
        "Reject", service().reject, user, detail.row.id, reason
    ):
        flash(f"Document #{detail.row.id} rejected.")
        go_to(nxt)  # on to the next document of the queue


def _duplicate(user: UserView, detail: DocumentDetail, column: Any) -> None:
    of = column.number_input(
        "Duplicate of document #", min_value=1, step=1, value=None, key="rv_dup_of"
    )
    if column.button("Mark duplicate", key="rv_duplicate"):
        if of is None:
            st.error("Mark duplicate refused: give the number of the original document.")
        elif run_command("Mark duplicate", service().mark_duplicate, user, detail.row.id, int(of)):
            _done(f"Document #{detail.row.id} marked as a duplicate of #{int(of)}.")


#: (label, key, shown in these states (None: all but booked), service method, done message)
SIMPLE: tuple[tuple[str, str, frozenset[str] | None, str, str], ...] = (
    (
        "Release from quarantine",
        "rv_release",
        frozenset({"quarantined"}),
        "release",
        "released: it goes through the pipeline again.",
    ),
    ("Reprocess", "rv_reprocess", None, "reprocess", "sent through the pipeline again."),
    ("Reopen", "rv_reopen", frozenset({"booked"}), "reopen", "reopened for review."),
)


ASK_REOPEN = "rv_reopen_asked"


@st.dialog("Reopen the booked entry?")
def _reopen_dialog(user: UserView, doc_id: int, label: str) -> None:
    st.write(
        f"Entry {esc(label)} is booked. Reopening takes it out of the books until it is"
        " confirmed again."
    )
    yes, no = st.columns(2)
    if yes.button("Reopen", key="rv_reopen_yes", type="primary"):
        st.session_state.pop(ASK_REOPEN, None)
        if run_command("Reopen", service().reopen, user, doc_id):
            _done(f"Document #{doc_id} reopened for review.")
    if no.button("Cancel", key="rv_reopen_no"):
        st.session_state.pop(ASK_REOPEN, None)
        st.rerun()


def _simple(user: UserView, detail: DocumentDetail, column: Any) -> None:
    state, doc_id = detail.row.state, detail.row.id
    _simple_buttons(user, detail, column)
    if state == "booked" and st.session_state.get(ASK_REOPEN) == doc_id:
        entry = detail.entry
        _reopen_dialog(user, doc_id, entry.label if entry is not None else f"#{doc_id}")


def _simple_buttons(user: UserView, detail: DocumentDetail, column: Any) -> None:
    state, doc_id = detail.row.state, detail.row.id
    for label, key, states, method, message in SIMPLE:
        shown = state in states if states is not None else state != "booked"
        if not (shown and column.button(label, key=key)):
            continue
        if method == "reopen":  # a booked entry: ask first (the dialog stays until answered)
            st.session_state[ASK_REOPEN] = doc_id
            continue
        if run_command(label, getattr(service(), method), user, doc_id):
            _done(f"Document #{doc_id} {message}")


def actions_panel(user: UserView, detail: DocumentDetail, nxt: int | None = None) -> None:
    if not user.can_book:
        st.caption("Read only: accountants book and reject documents.")
        return
    state = detail.row.state
    with st.container(border=True):
        left, middle, right = st.columns(3)
        if state not in {"booked", "rejected"}:
            _reject(user, detail, left, nxt)
        if state in {"received", "extracted", "proposed"}:
            _duplicate(user, detail, middle)
        _simple(user, detail, right)
