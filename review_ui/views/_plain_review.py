"""The Review page in plain words, for a client member of the dossier who may book there
(the entrepreneur with the client-bookkeeper preset): only the fields needed (supplier,
date, total, VAT, cost type, what was bought), no account numbers; the full editor is one
click away (*Show all fields*).

Same service calls and checks as the accountant's page: changed invoice fields go through
``Service.correct_field`` (the proposal is recomputed), the booking through
``Service.confirm`` (balance, chart, open period, IBAN; a client's booking waits for the
accountant's approval).  Every string from the document is shown through ``esc``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import streamlit as st

from pipeline.service import (
    AccountView,
    DocumentDetail,
    EntryView,
    Permission,
    ServiceError,
    UserView,
)
from review_ui import nav
from review_ui.common import accounts, clear_lists, esc, flash, money, service

#: the invoice fields the plain form shows (field key -> plain label)
PLAIN_FIELDS = {
    "supplier_name": "Supplier",
    "issue_date": "Date",
    "total_incl_vat": "Total (VAT included)",
    "total_vat": "VAT",
}
COST_KINDS = ("base", "non_deductible")


@dataclasses.dataclass(frozen=True, slots=True)
class Booker(UserView):
    """The logged-in client member, allowed to book in this dossier: the page offers the
    booking controls (the service still decides on every call, from the stored rights)."""

    @property
    def can_book(self) -> bool:
        return True


def client_booker(user: UserView, detail: DocumentDetail) -> Booker | None:
    """A client member (not an accountant, not an admin) holding the right to book this
    document in its dossier; None for everyone else (their page is unchanged)."""
    if user.can_book:
        return None
    try:
        held = service().my_permissions(user, detail.row.dossier_id)
    except ServiceError:
        return None
    entry = detail.entry
    need = (
        Permission.BOOK_SALES if entry and entry.journal == "sales" else Permission.BOOK_PURCHASES
    )
    if need not in held:
        return None
    return Booker(**{f.name: getattr(user, f.name) for f in dataclasses.fields(UserView)})


def show_all_fields(detail: DocumentDetail) -> bool:
    """The toggle to the full editor (kept per document)."""
    return bool(
        st.toggle(
            "Show all fields",
            key=f"rv_all_fields_{detail.row.id}",
            help="The full review page: every extracted field and the entry's accounts.",
        )
    )


def _is_sales(entry: EntryView) -> bool:
    return entry.journal == "sales"


def _cost_accounts(entry: EntryView) -> list[str]:
    return sorted({ln.account for ln in entry.lines if ln.kind in COST_KINDS})


def _vat(entry: EntryView) -> Decimal:
    if _is_sales(entry):
        return sum((ln.credit for ln in entry.lines if ln.kind == "vat"), Decimal("0.00"))
    return sum((ln.debit for ln in entry.lines if ln.kind == "vat"), Decimal("0.00"))


def _what(entry: EntryView) -> str:
    return next((ln.description for ln in entry.lines if ln.kind == "base"), "")


def _choices(chart: tuple[AccountView, ...], entry: EntryView) -> dict[str, str]:
    """Cost types (or income types) in words: the account's name, never its number."""
    classes = ("7",) if _is_sales(entry) else ("6", "2")
    names = {a.number: a.name_nl or a.number for a in chart if a.number.startswith(classes)}
    for number in _cost_accounts(entry):
        names.setdefault(number, number)
    return dict(sorted(names.items(), key=lambda kv: kv[1].lower()))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def render(
    user: UserView,
    detail: DocumentDetail,
    nxt: int | None,
    pages: Callable[[], None],
) -> None:
    """The plain page: the document beside the short form."""
    left, right = st.columns([5, 4], gap="medium")
    with left:
        pages()
    with right:
        _form(user, detail, nxt)


def _form(user: UserView, detail: DocumentDetail, nxt: int | None) -> None:
    entry = detail.entry
    doc_id = detail.row.id
    answer = st.empty()  # a refusal shows here, above the form
    if entry is None or detail.row.state != "proposed":
        st.info(
            "Nothing to book here"
            + (f": {esc(detail.row.reason)}" if detail.row.reason else "")
            + ". Use *Show all fields* to see everything."
        )
        return
    if entry.approval == "returned" and entry.approval_comment:
        st.warning(f"Sent back by the accountant: {esc(entry.approval_comment)}")
    sales = _is_sales(entry)
    names = _choices(accounts(user.id, detail.row.dossier_id, user), entry)
    costs = _cost_accounts(entry)
    st.markdown("**What did you sell?**" if sales else "**What did you buy?**")
    with st.form(f"rv_plain_{doc_id}"):
        what = st.text_input(
            "What did you sell?" if sales else "What did you buy?",
            value=_what(entry),
            key=f"rv_plain_what_{doc_id}",
        )
        given = {
            key: st.text_input(
                label, value=_text(detail.fields.get(key)), key=f"rv_plain_{key}_{doc_id}"
            )
            for key, label in PLAIN_FIELDS.items()
        }
        label = "Income type" if sales else "Cost type"
        if len(costs) == 1:
            kind = st.selectbox(
                label,
                list(names),
                index=list(names).index(costs[0]),
                format_func=lambda n: names[n],
                key=f"rv_plain_kind_{doc_id}",
            )
        else:
            kind = None
            st.caption(f"{label}: several; use *Show all fields* to change them.")
        st.caption(
            ("VAT you charge" if sales else "VAT you can deduct") + f": {money(_vat(entry))}"
        )
        if not st.form_submit_button("Book it", type="primary"):
            return
    _book(user, detail, nxt, answer, what=what, given=given, kind=kind)


def _book(
    user: UserView,
    detail: DocumentDetail,
    nxt: int | None,
    answer: Any,
    *,
    what: str,
    given: dict[str, str],
    kind: str | None,
) -> None:
    svc = service()
    doc_id = detail.row.id
    corrected = False
    for key, value in given.items():
        if value.strip() == _text(detail.fields.get(key)).strip():
            continue
        try:
            svc.correct_field(user, doc_id, key, value)
        except (ServiceError, ValueError) as exc:
            answer.error(f"{PLAIN_FIELDS[key]} refused, not booked: {esc(exc)}")
            return
        corrected = True
    clear_lists()
    entry = detail.entry
    if corrected:  # the proposal was recomputed from the corrected fields
        try:
            entry = svc.document(user, doc_id).entry
        except ServiceError as exc:
            answer.error(f"Not booked: {esc(exc)}")
            return
    if entry is None:
        answer.error("Not booked: the corrected invoice has no proposal; use *Show all fields*.")
        return
    lines = _lines(entry, what, kind)
    try:
        booked = svc.confirm(user, doc_id, lines)
    except ServiceError as exc:
        answer.error(f"Not booked: {esc(exc)}")
        return
    clear_lists()
    message = f"Document #{doc_id} booked as {booked.label}" + (
        "; it waits for your accountant's approval." if booked.approval == "waiting" else "."
    )
    flash(message)
    if nxt is None:
        st.switch_page(nav.page("inbox"))
    st.query_params["doc"] = str(nxt)
    st.rerun()


def _lines(entry: EntryView, what: str, kind: str | None) -> list[dict[str, Any]] | None:
    """The entry's lines with the chosen cost type and text; None when nothing changed."""
    costs = _cost_accounts(entry)
    new_kind = kind if kind and len(costs) == 1 and kind != costs[0] else None
    new_what = what.strip() if what.strip() != _what(entry).strip() else None
    if new_kind is None and new_what is None:
        return None
    out = []
    for ln in entry.lines:
        cost = ln.kind in COST_KINDS
        out.append(
            {
                "account": new_kind if cost and new_kind else ln.account,
                "description": new_what if ln.kind == "base" and new_what else ln.description,
                "debit": ln.debit,
                "credit": ln.credit,
                "vat_code": ln.vat_code,
                "vat_grids": list(ln.vat_grids),
                "reason": ln.reason,
                "kind": ln.kind,
            }
        )
    return out
