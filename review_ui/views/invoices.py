"""Invoices: the list (state, paid, overdue), the draft editor with live totals, issuing,
the PDF, sending (Peppol or e-mail), credit notes and booking (the review flow)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
import streamlit as st

from pipeline.service import Permission, ServiceError, UserView
from review_ui import nav
from review_ui.common import current_user, day, esc, flash, money, run_command, service, show_flash
from review_ui.views._invoice_extras import (
    adjustment_summary,
    adjustment_widgets,
    adjustments_from_draft,
    carry_adjustments,
    partial_credit,
)
from review_ui.views._invoicing import (
    apply_next,
    customer_label,
    is_belgian_vat_registered,
    may,
    pick_invoicing_dossier,
    select_next,
)
from review_ui.views._invoicing_settings import invoicing_settings

#: filter label -> keyword arguments of ``Service.invoices``
FILTERS: dict[str, dict[str, Any]] = {
    "All": {},
    "Drafts": {"state": "draft"},
    "Issued": {"state": "issued"},
    "Unpaid": {"state": "issued", "kind": "invoice", "paid": False},
    "Paid": {"state": "issued", "kind": "invoice", "paid": True},
    "Overdue": {"overdue": True},
    "Credit notes": {"kind": "credit_note"},
}

VAT_CASES = {
    "domestic": "Belgian B2B (21/12/6/0 %)",
    "private": "Private person",
    "intra_eu_goods": "Intra-EU goods",
    "intra_eu_services": "Intra-EU services (reverse charge)",
    "export": "Export outside the EU",
    "cocontractor": "Belgian co-contractor (medecontractant)",
    "small_enterprise": "Small-enterprise exemption (art. 56bis)",
    "exempt": "Exempt supplies (art. 44)",
}
RATES = ("21", "12", "6", "0", "exempt")
MANDATE_WARNING = (
    "This customer is a Belgian VAT-registered company: since 1 January 2026 an invoice "
    "to them must be sent over Peppol. A mailed PDF is not a valid invoice under the "
    "e-invoicing mandate."
)
NEW = 0
VERSION_KEY = "inv_pick_v"


def pick_key() -> str:
    """The invoice picker's key; a new one after a command, so that the browser shows the
    new label (number, total) of the chosen invoice rather than the one it had."""
    return f"inv_pick_{int(st.session_state.get(VERSION_KEY, 0))}"


def _choose(invoice_id: int | None) -> None:
    """Show ``invoice_id`` (None: a new draft) on the next run, in a fresh picker."""
    st.session_state[VERSION_KEY] = int(st.session_state.get(VERSION_KEY, 0)) + 1
    select_next(pick_key(), invoice_id)


def render() -> None:
    user = current_user()
    show_flash()
    st.header("Invoices")
    dossier_id = pick_invoicing_dossier(user, "inv_dossier")
    if dossier_id is None:
        return
    invoicing_settings(user, dossier_id)
    shown = st.selectbox("Show", list(FILTERS), key="inv_filter")
    rows = service().invoices(user, dossier_id, **FILTERS[shown or "All"])
    if rows:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Number": r.number or f"draft #{r.id}",
                        "Customer": r.customer_name,
                        "Date": day(r.issue_date),
                        "Due": day(r.due_date),
                        "Total": money(r.total),
                        "Open": money(r.open_amount),
                        "State": "overdue" if r.overdue else r.payment_state,
                    }
                    for r in rows
                ]
            ),
            hide_index=True,
            key="inv_table",
        )
    else:
        st.caption("No invoices here yet.")
    labels = {NEW: "New draft"} | {
        r.id: f"{r.number or f'draft #{r.id}'} · {r.customer_name} · {money(r.total)}" for r in rows
    }
    key = pick_key()
    apply_next(key)
    current = st.session_state.get(key)
    if isinstance(current, int) and current not in labels:
        labels[current] = f"#{current}"  # just made (a filter may hide it)
    picked = st.selectbox("Invoice", list(labels), format_func=labels.__getitem__, key=key)
    if picked is None or picked == NEW:
        _editor(user, dossier_id, None)
        return
    try:
        detail = service().invoice(user, int(picked))
    except ServiceError as exc:
        st.error(esc(exc))
        return
    if detail.row.state == "draft" and detail.row.kind == "invoice":
        _editor(user, dossier_id, detail)
    else:
        # the editor's widgets are gone from this run: a draft opened again is loaded
        # from what was saved, not from the values it was first loaded with
        st.session_state.pop("inv_editing", None)
        _issued(user, dossier_id, detail)


# ----------------------------------------------------------------------------- editor


def _load(dossier_id: int, detail: Any) -> None:
    """Put the draft being edited into the session (a new generation of widget keys)."""
    gen = int(st.session_state.get("inv_gen", 0)) + 1
    st.session_state["inv_gen"] = gen
    if detail is None:
        st.session_state["inv_header"] = {}
        st.session_state["inv_lines"] = [_blank()]
        st.session_state["inv_adjs"] = []
        st.session_state["inv_editing"] = (dossier_id, NEW)
        return
    st.session_state["inv_editing"] = (dossier_id, detail.row.id)
    st.session_state["inv_lines"] = [
        {
            "description": ln.get("description", ""),
            "quantity": str(ln.get("quantity", "1")),
            "unit_price": str(ln.get("unit_price", "0")),
            "vat_rate": "exempt" if ln.get("exempt") else _rate_text(ln.get("vat_rate")),
            "kind": ln.get("kind") or "services",
            "unit": ln.get("unit") or "C62",
            "revenue_account": ln.get("revenue_account"),
        }
        for ln in detail.lines
    ]
    draft = detail.draft or {}
    st.session_state["inv_adjs"] = adjustments_from_draft(draft)
    issued_on = draft.get("issue_date")
    st.session_state["inv_header"] = {
        "cust": detail.row.customer_id,
        "case": draft.get("vat_case") or "domestic",
        "date": dt.date.fromisoformat(issued_on) if issued_on else None,
    }


def _rate_text(value: Any) -> str:
    if value is None:
        return "21"
    text = format(Decimal(str(value)).normalize(), "f")
    return text if text in RATES else "21"


def _blank() -> dict[str, Any]:
    return {"description": "", "quantity": "1", "unit_price": "0", "vat_rate": "21"}


def _number(value: float) -> str:
    return format(Decimal(repr(value)).normalize(), "f")


def _editor(user: UserView, dossier_id: int, detail: Any) -> None:
    editing = NEW if detail is None else detail.row.id
    # another draft or another dossier: load afresh
    if st.session_state.get("inv_editing") != (dossier_id, editing):
        _load(dossier_id, detail)
    gen = int(st.session_state["inv_gen"])
    st.subheader("New draft" if detail is None else f"Draft #{detail.row.id}")
    customers = service().customers(user, dossier_id)
    if not customers:
        st.info("Add a customer first (Customers page).")
        return
    by_id = {c.id: c for c in customers}
    header = st.session_state.get("inv_header") or {}
    ids, cases = list(by_id), list(VAT_CASES)
    customer_id = st.selectbox(
        "Customer",
        ids,
        index=ids.index(header["cust"]) if header.get("cust") in by_id else 0,
        format_func=lambda i: customer_label(by_id[i].name, by_id[i].vat),
        key=f"inv_cust_{gen}",
    )
    case = st.selectbox(
        "VAT case",
        cases,
        index=cases.index(header["case"]) if header.get("case") in cases else 0,
        format_func=VAT_CASES.__getitem__,
        key=f"inv_case_{gen}",
    )
    issue_date = st.date_input(
        "Issue date (empty: the day it is issued)",
        value=header.get("date"),
        key=f"inv_date_{gen}",
    )
    lines: list[dict[str, Any]] = st.session_state["inv_lines"]
    items = service().items(user, dossier_id)
    if items:
        item_by_id = {i.id: i for i in items}
        pick = st.selectbox(
            "Item",
            list(item_by_id),
            format_func=lambda i: (
                f"{item_by_id[i].description} · {money(item_by_id[i].unit_price)}"
            ),
            key="inv_item_pick",
        )
        if st.button("Add the item as a line", key="inv_add_item") and pick is not None:
            item = item_by_id[int(pick)]
            lines.append(
                {
                    "item_id": item.id,
                    "description": item.description,
                    "quantity": "1",
                    "unit_price": format(item.unit_price, "f"),
                    "vat_rate": "exempt" if item.exempt else _rate_text(item.vat_rate),
                    "kind": item.kind,
                    "unit": item.unit,
                    "revenue_account": item.account,
                }
            )
            st.session_state["inv_gen"] = gen + 1  # fresh widgets show the new line
            _carry(gen, gen + 1)
            st.rerun()
    spec_lines = []
    for n, line in enumerate(lines):
        spec_lines.append(_line_widgets(gen, n, line))
    if st.button("Add an empty line", key=f"inv_add_line_{gen}"):
        lines.append(_blank())
        st.rerun()
    adjustments = adjustment_widgets(gen, _carry)
    spec: dict[str, Any] = {
        "customer_id": customer_id,
        "vat_case": case,
        "lines": [ln for ln in spec_lines if ln is not None],
        "adjustments": adjustments,
    }
    if issue_date:
        spec["issue_date"] = issue_date.isoformat()
    _live_totals(user, dossier_id, spec)
    left, right = st.columns(2)
    if left.button("Save draft", type="primary", key="inv_save"):
        if detail is None:
            row = run_command("Saving", service().create_draft, user, dossier_id, spec)
        else:
            row = run_command("Saving", service().update_draft, user, detail.row.id, spec)
        if row is not None:
            flash(f"Draft #{row.id} saved: total {money(row.total)} EUR")
            _choose(row.id)
            st.session_state["inv_editing"] = (dossier_id, row.id)
            st.rerun()
    if detail is None:
        return
    if right.button("Delete draft", key="inv_delete"):
        try:
            service().delete_draft(user, detail.row.id)
        except ServiceError as exc:
            st.error(f"Deleting refused: {esc(exc)}")
        else:
            _choose(None)
            st.session_state.pop("inv_editing", None)
            flash(f"Draft #{detail.row.id} deleted")
            st.rerun()
    _pdf(user, detail.row.id, "Download the draft PDF (preview)")
    st.caption("Issuing fixes the number; an issued invoice is corrected by a credit note.")
    if st.button("Issue", type="primary", key="inv_issue"):
        row = run_command("Issuing", service().issue, user, detail.row.id)
        if row is not None:
            flash(f"Issued as {row.number}")
            _choose(row.id)
            st.rerun()


def _carry(old: int, new: int) -> None:
    """Keep the header choices when the widget generation changes."""
    header = dict(st.session_state.get("inv_header") or {})
    for name in ("cust", "case", "date"):
        if f"inv_{name}_{old}" in st.session_state:
            header[name] = st.session_state[f"inv_{name}_{old}"]
    st.session_state["inv_header"] = header
    carry_adjustments(old, new)
    for n, line in enumerate(st.session_state["inv_lines"]):
        for field in ("description", "quantity", "unit_price", "vat_rate"):
            key = f"inv_l{old}_{n}_{field}"
            if key in st.session_state:
                value = st.session_state[key]
                line[field] = _number(value) if isinstance(value, float) else value


def _line_widgets(gen: int, n: int, line: dict[str, Any]) -> dict[str, Any] | None:
    box = st.container(border=True)
    desc = box.text_input(
        f"Line {n + 1}: description", value=line["description"], key=f"inv_l{gen}_{n}_description"
    )
    qty = box.number_input(
        "Quantity",
        value=float(_dec(line["quantity"])),
        step=1.0,
        format="%.3f",
        key=f"inv_l{gen}_{n}_quantity",
    )
    price = box.number_input(
        "Unit price (EUR, excl. VAT)",
        value=float(_dec(line["unit_price"])),
        step=1.0,
        format="%.2f",
        key=f"inv_l{gen}_{n}_unit_price",
    )
    rates = list(RATES)
    rate = box.selectbox(
        "VAT rate (%)",
        rates,
        index=rates.index(line["vat_rate"]) if line["vat_rate"] in rates else 0,
        key=f"inv_l{gen}_{n}_vat_rate",
    )
    if box.button("Remove line", key=f"inv_l{gen}_{n}_remove"):
        _carry(gen, gen + 1)
        del st.session_state["inv_lines"][n]
        st.session_state["inv_gen"] = gen + 1
        st.rerun()
    out: dict[str, Any] = {
        "description": desc,
        "quantity": _number(qty),
        "unit_price": _number(price),
        "vat_rate": None if rate == "exempt" else rate,
        "exempt": rate == "exempt",
    }
    for key in ("item_id", "kind", "unit", "revenue_account"):
        if line.get(key):
            out[key] = line[key]
    return out


def _dec(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def _live_totals(user: UserView, dossier_id: int, spec: dict[str, Any]) -> None:
    """The totals as the core computes them (VAT per rate on the total), nothing stored."""
    st.subheader("Totals")
    if not spec["lines"]:
        st.caption("Add a line to see the totals.")
        return
    try:
        totals = service().preview_totals(user, dossier_id, spec)
    except ServiceError as exc:
        st.warning(f"Cannot compute the totals yet: {esc(exc)}")
        return
    _totals_table(totals.get("rows") or [])
    summary = adjustment_summary(totals)
    if summary:
        st.caption(summary)
    st.markdown(
        f"Net **{money(_dec(totals['tax_exclusive']))}** · "
        f"VAT **{money(_dec(totals['vat']))}** · "
        f"Total **{money(_dec(totals['payable']))} EUR**"
    )


def _totals_table(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "VAT rate": f"{_dec(r['rate']).normalize():f} % ({r['category']})",
                    "Taxable": money(_dec(r["taxable"])),
                    "VAT": money(_dec(r["vat"])),
                }
                for r in rows
            ]
        ),
        hide_index=True,
        key="inv_tax_rows",
    )


# ----------------------------------------------------------------------------- issued


def _pdf(user: UserView, invoice_id: int, label: str) -> None:
    """The service's PDF bytes as a download (never rendered in this process)."""
    try:
        data, name = service().invoice_pdf(user, invoice_id)
    except ServiceError as exc:
        st.warning(f"No PDF: {esc(exc)}")
        return
    st.download_button(
        label, data, file_name=name, mime="application/pdf", key=f"inv_pdf_{invoice_id}"
    )


def _issued(user: UserView, dossier_id: int, detail: Any) -> None:
    row = detail.row
    what = "Credit note" if row.kind == "credit_note" else "Invoice"
    st.subheader(f"{what} {esc(row.number or f'#{row.id}')}")
    st.markdown(
        f"{esc(row.customer_name)} · issued {day(row.issue_date)} · due {day(row.due_date)}"
        + (" · overdue" if row.overdue else "")
    )
    if row.structured_communication:
        ogm = row.structured_communication
        st.caption(f"Structured communication: +++{ogm[:3]}/{ogm[3:7]}/{ogm[7:]}+++")
    _totals_table(list(detail.tax_rows))
    st.markdown(
        f"Net **{money(row.net_total)}** · VAT **{money(row.vat_total)}** · "
        f"Total **{money(row.total)} EUR** · paid {money(row.paid_amount)} · "
        f"open **{money(row.open_amount)}** ({row.payment_state})"
    )
    for mention in detail.mentions:
        st.caption(esc(mention))
    if row.state != "issued":  # a credit-note draft
        _pdf(user, row.id, "Download the draft PDF (preview)")
        if st.button("Issue", type="primary", key="inv_issue"):
            done = run_command("Issuing", service().issue, user, row.id)
            if done is not None:
                flash(f"Issued as {done.number}")
                _choose(done.id)
                st.rerun()
        return
    _pdf(user, row.id, f"Download {row.number}.pdf")
    if detail.has_ubl:
        try:
            ubl, name = service().invoice_ubl(user, row.id)
            st.download_button(
                "Download the UBL (Peppol BIS 3.0)",
                ubl,
                file_name=name,
                mime="application/xml",
                key=f"inv_ubl_{row.id}",
            )
        except ServiceError as exc:
            st.warning(esc(exc))
    _send(user, dossier_id, detail)
    if row.kind == "invoice" and row.open_amount > 0:
        st.subheader("Credit note")
        if st.button("Make a credit note of the whole invoice", key="inv_credit"):
            cn = run_command("Crediting", service().credit_note, user, row.id)
            if cn is not None:
                flash(f"Credit note draft #{cn.id} made for {row.number}: issue it")
                _choose(cn.id)
                st.rerun()
        partial_credit(user, dossier_id, detail, _choose)
    if detail.credit_notes:
        st.caption("Credit notes: " + ", ".join(f"#{i}" for i in detail.credit_notes))
    _book(user, dossier_id, row)
    if detail.payments:
        st.subheader("Payments")
        st.dataframe(
            pd.DataFrame(
                [
                    {"Date": p["date"], "Amount": p["amount"], "Source": p["source"]}
                    for p in detail.payments
                ]
            ),
            hide_index=True,
            key="inv_payments",
        )


def _send(user: UserView, dossier_id: int, detail: Any) -> None:
    row = detail.row
    st.subheader("Send")
    customer = None
    if row.customer_id is not None:
        try:
            customer = service().customer(user, dossier_id, row.customer_id)
        except ServiceError:
            customer = None
    options = {
        "": "As the customer prefers (Peppol when possible)",
        "peppol": "Peppol",
        "email": "E-mail",
    }
    channel = st.selectbox(
        "Channel", list(options), format_func=options.__getitem__, key=f"inv_channel_{row.id}"
    )
    if customer is not None:
        peppol, email = customer.peppol_id or "none", customer.email or "none"
        st.caption(f"Peppol id: {esc(peppol)} · e-mail: {esc(email)}")
        mailed = channel == "email" or (not channel and not customer.peppol_id)
        if mailed and is_belgian_vat_registered(customer.country, customer.vat):
            st.warning(MANDATE_WARNING)
    if st.button("Send", key=f"inv_send_{row.id}"):
        sent = run_command("Sending", service().send, user, row.id, channel=channel or None)
        if sent is not None:
            message = f"{sent.channel} to {sent.destination}: {sent.state}"
            if sent.reason:
                message += f" ({sent.reason})"
            elif sent.state in ("queued", "sending"):
                message += " (a worker sends it now and retries it while it fails; see below)"
            level = "warning" if sent.state == "failed" or sent.reason else "success"
            flash(message, level)
            st.rerun()
    for s in detail.sends:
        line = f"{esc(s.purpose)} by {esc(s.channel)} to {esc(s.destination)}: **{esc(s.state)}**"
        if s.reason:
            line += f" ({esc(s.reason)})"
        st.markdown(line)
        for warning in s.warnings:
            st.warning(esc(warning))


def _book(user: UserView, dossier_id: int, row: Any) -> None:
    if not may(user, dossier_id, Permission.BOOK_SALES):
        return
    st.subheader("Booking")
    if row.document_id is not None:
        if st.button(f"Open the sales booking (document #{row.document_id})", key="inv_open_doc"):
            nav.open_document(int(row.document_id))
        return
    if st.button("Book: open the sales proposal for review", key="inv_book"):
        doc_id = run_command("Booking", service().book_invoice, user, row.id)
        if doc_id is not None:
            nav.open_document(int(doc_id))


if __name__ == "__main__":
    render()
