"""Review: the page images beside the extracted fields, the proposed entry, the actions.

``?doc=<id>`` opens a document; without it the newest document waiting for
review opens.  Keyboard: Ctrl+Enter confirms and opens the next document,
Alt+Down / Alt+Up walk the queue, Alt+S saves a draft.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from pipeline.service import DocumentDetail, ServiceError, UserView
from review_ui import entry_editor, nav
from review_ui.common import (
    REVIEW_STATES,
    accounts,
    clear_lists,
    current_user,
    esc,
    flash,
    money,
    page_image,
    run_command,
    service,
    show_flash,
)
from review_ui.review_actions import actions_panel, confirm_panel, go_to

DPI = 110

FIELD_LABELS = {
    "document_type": "Document type",
    "supplier_name": "Supplier",
    "supplier_vat": "Supplier VAT",
    "customer_name": "Customer",
    "customer_vat": "Customer VAT",
    "invoice_number": "Invoice number",
    "issue_date": "Invoice date",
    "due_date": "Due date",
    "currency": "Currency",
    "total_excl_vat": "Total excl. VAT",
    "total_vat": "VAT",
    "total_incl_vat": "Total incl. VAT",
    "payable_amount": "Payable",
    "iban": "IBAN",
    "payment_reference": "Payment reference",
    "vat_breakdown": "VAT breakdown",
    "line_count": "Lines",
}


def _doc_id(user: UserView) -> int | None:
    raw = st.query_params.get("doc")
    if raw and raw.isdigit():
        return int(raw)
    rows = service().documents(user, states=REVIEW_STATES, limit=1)
    return rows[0].id if rows else None


def _header(detail: DocumentDetail, older: int | None, newer: int | None) -> None:
    row = detail.row
    title = " · ".join(x for x in (f"#{row.id}", row.supplier_name, row.invoice_number) if x)
    head, prev_col, next_col = st.columns([5, 1, 1], vertical_alignment="bottom")
    head.subheader(esc(title))
    head.caption(
        f"**{esc(row.state_label)}** · {esc(row.dossier_name)} · {esc(row.filename or row.kind)}"
        + (f" · {esc(row.reason)}" if row.reason else "")
    )
    if prev_col.button("Previous", key="rv_prev", shortcut="Alt+Up", disabled=newer is None):
        go_to(newer)
    if next_col.button("Next", key="rv_next", shortcut="Alt+Down", disabled=older is None):
        go_to(older)
    if row.duplicate_of:
        st.page_link(
            nav.page("review"),
            label=f"Duplicate of document #{row.duplicate_of}",
            query_params={"doc": str(row.duplicate_of)},
        )


def _sender_line(detail: DocumentDetail) -> None:
    """Whether the mail this document came with is authenticated (SPF/DKIM/DMARC)."""
    mail = detail.mail
    if mail is None:
        return
    auth = mail.auth or {}
    checks = " · ".join(
        f"{name} {esc(auth.get(key, 'none'))}"
        for name, key in (("SPF", "spf"), ("DKIM", "dkim"), ("DMARC", "dmarc"))
    )
    if mail.auth is None:
        st.warning("Sender not checked yet (SPF, DKIM, DMARC).")
    elif mail.auth_domain:
        st.caption(f"Sender authenticated for **{esc(mail.auth_domain)}** ({checks})")
    else:
        claimed = auth.get("from_domain") or mail.from_header or mail.envelope_from or "(none)"
        st.warning(
            f"Sender NOT authenticated: the mail claims to be from {esc(claimed)}"
            f" but proves no domain ({checks}). It is never booked automatically."
        )


def _alerts_panel(user: UserView, detail: DocumentDetail) -> None:
    """Prominent payment warnings: a new or changed IBAN, a copy asking payment elsewhere."""
    row = detail.row
    for alert in row.alerts:
        st.error(esc(alert.get("message", alert.get("code", ""))), icon=":material/warning:")
        if (
            alert.get("code") == "iban_unconfirmed"
            and user.can_book
            and row.state == "proposed"
            and st.button(
                f"I checked it with the supplier: confirm IBAN {esc(alert.get('iban', ''))}",
                key=f"rv_confirm_iban_{row.id}",
            )
            and run_command(
                "Confirm IBAN", service().confirm_iban, user, row.id, str(alert.get("iban", ""))
            )
        ):
            flash(f"IBAN {alert.get('iban', '')} confirmed for this supplier.")
            st.rerun()
        if alert.get("other_id"):
            st.page_link(
                nav.page("review"),
                label=f"Open the other copy, document #{int(alert['other_id'])}",
                query_params={"doc": str(int(alert["other_id"]))},
            )


def _value(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(
            " ".join(f"{k} {v}" for k, v in item.items() if v not in (None, ""))
            if isinstance(item, dict)
            else str(item)
            for item in value
        )
    return "" if value is None else str(value)


def _fields_panel(detail: DocumentDetail) -> str | None:
    conf = detail.confidence
    rows = [
        {
            "Field": label,
            "Value": _value(detail.fields.get(key)),
            "Confidence": (conf.get(key) or {}).get("confidence"),
            "Found by": (conf.get(key) or {}).get("rule", ""),
        }
        for key, label in FIELD_LABELS.items()
        if key in detail.fields or key in conf
    ]
    if not rows:
        st.info("No extracted fields.")
        return None
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        key="rv_fields",
        column_config={
            "Confidence": st.column_config.ProgressColumn(
                "Confidence", min_value=0.0, max_value=1.0, format="%.2f"
            )
        },
    )
    boxed = [k for k in FIELD_LABELS if (conf.get(k) or {}).get("bbox")]
    if not boxed:
        return None
    default = "total_incl_vat" if "total_incl_vat" in boxed else boxed[0]
    choice = st.selectbox(
        "Show on the page",
        boxed,
        index=boxed.index(default),
        format_func=lambda k: FIELD_LABELS.get(k, k),
        key=f"rv_field_{detail.row.id}",
    )
    return str(choice) if choice else None


CORRECTABLE = (
    "document_type",
    "supplier_name",
    "supplier_vat",
    "invoice_number",
    "issue_date",
    "due_date",
    "total_excl_vat",
    "total_vat",
    "total_incl_vat",
    "payable_amount",
    "iban",
    "payment_reference",
    "currency",
    "vat_breakdown",
    "customer_name",
    "customer_vat",
)


def _correct_form(user: UserView, detail: DocumentDetail) -> None:
    """Correct an extracted field; the service recomputes the proposal and learns."""
    if not user.can_book or detail.row.state != "proposed":
        return
    doc_id = detail.row.id
    with st.expander("Correct a field"), st.form(f"rv_correct_{doc_id}", clear_on_submit=True):
        name = st.selectbox(
            "Field", CORRECTABLE, format_func=FIELD_LABELS.__getitem__, key=f"rv_cfield_{doc_id}"
        )
        value = st.text_input(
            "Right value",
            help=(
                "Dates YYYY-MM-DD, amounts like 1234.50, document type invoice or credit_note,"
                " VAT breakdown rate:taxable:vat per rate separated by ; (21:100.00:21.00)"
            ),
            key=f"rv_cvalue_{doc_id}",
        )
        if not st.form_submit_button("Save correction"):
            return
        try:
            service().correct_field(user, doc_id, str(name), value)
        except (ServiceError, ValueError) as exc:  # the service lets CorrectionError through
            st.error(f"Correction refused: {esc(exc)}")
            return
    clear_lists()
    st.session_state["rv_version"] = st.session_state.get("rv_version", 0) + 1
    flash(f"{FIELD_LABELS[str(name)]} corrected; the proposal was recomputed.")
    st.rerun()


def _findings_panel(detail: DocumentDetail) -> None:
    for finding in detail.findings:
        severity = str(finding.get("severity", "warning"))
        text = f"**{esc(finding.get('rule_id', ''))}** {esc(finding.get('message', ''))}"
        (st.error if severity == "fatal" else st.warning)(text)
    for warning in detail.warnings:
        st.warning(esc(warning))


def _pages_panel(user: UserView, detail: DocumentDetail, field: str | None) -> None:
    """One page at a time, rendered on the server with the field's box drawn on it."""
    row = detail.row
    if row.kind == "mail":
        _mail_panel(detail)
        return
    ev = detail.confidence.get(field or "") or {}
    key = f"rv_page_{row.id}_{field}"
    page_no = int(st.session_state.get(key) or ev.get("page") or 1)
    bbox = ev.get("bbox") if int(ev.get("page") or 1) == page_no else None
    box = tuple(float(v) for v in bbox) if bbox else None
    picker = st.container()
    try:
        image = page_image(row.sha256, page_no, DPI, box, user, row.id)
    except ServiceError as exc:
        st.warning(esc(exc))
        return
    if image is None:
        st.info("No page image: an e-invoice without an embedded PDF; the fields are its data.")
        return
    if image.page_count > 1:
        picker.selectbox("Page", range(1, image.page_count + 1), index=image.page - 1, key=key)
    cut = f" (pages after {image.page} are not shown)" if image.page < page_no else ""
    st.image(image.png, width="stretch", caption=f"page {image.page} of {image.page_count}{cut}")


def _mail_panel(detail: DocumentDetail) -> None:
    mail = detail.mail
    if mail is None:
        st.info("A mail without stored headers.")
        return
    st.markdown(
        f"**From** {esc(mail.envelope_from or '(none)')}  \n"
        + (f"**From header** {esc(mail.from_header)}  \n" if mail.from_header else "")
        + f"**Subject** {esc(mail.subject or '')}"
    )
    st.caption(f"received {mail.received_at:%Y-%m-%d %H:%M} from {esc(mail.peer_ip or 'upload')}")
    for part in mail.ignored:
        name = part.get("filename") or part.get("content_type")
        st.markdown(esc(f"ignored: {name}: {part.get('reason')}"))
    for part in mail.quarantined:
        st.markdown(esc(f"quarantined: {part.get('filename') or ''}: {part.get('reason')}"))
    for child in detail.children:
        st.page_link(
            nav.page("review"),
            label=esc(f"#{child.id} {child.filename or child.kind} ({child.state_label})"),
            query_params={"doc": str(child.id)},
        )


def _entry_panel(user: UserView, detail: DocumentDetail, nxt: int | None) -> None:
    entry = detail.entry
    if entry is None:
        return
    st.markdown(
        f"**Proposed entry** · {esc(entry.journal)} journal · {esc(entry.date)}"
        f" · period {esc(entry.period)} · VAT {esc(entry.vat_period)}"
        f" · confidence {entry.confidence:.2f}"
        + (f" · booked as #{entry.number}" if entry.number else "")
    )
    if entry.reason:
        st.caption(esc(entry.reason))
    for warning in entry.warnings:
        st.warning(esc(warning))
    chart = accounts(user.id, detail.row.dossier_id, user)
    options, label = entry_editor.account_options(chart, entry)
    editable = user.can_book and detail.row.state == "proposed"
    key = f"rv_lines_{detail.row.id}_{entry.id}_{st.session_state.get('rv_version', 0)}"
    edited = entry_editor.editor(
        key, entry_editor.lines_frame(entry, label), options, disabled=not editable
    )
    debit, credit = entry_editor.totals(edited)
    balance = "balanced" if abs(debit - credit) < 0.005 else "**not balanced**"
    st.caption(f"Debit {money(debit)} · credit {money(credit)} · {balance}")
    if editable:
        edits = st.session_state.get(key) or {}
        changed = any(edits.get(k) for k in ("edited_rows", "added_rows", "deleted_rows"))
        confirm_panel(user, detail, entry_editor.rows_of(edited), nxt, changed=changed)


def _history(detail: DocumentDetail) -> None:
    with st.expander("History"):
        for event in detail.audit:
            extra = {k: v for k, v in event.items() if k not in {"at", "action", "user_id"}}
            st.text(f"{event['at']:%Y-%m-%d %H:%M} {event['action']} {extra or ''}")


def render() -> None:
    user = current_user()
    show_flash()
    doc_id = _doc_id(user)
    if doc_id is None:
        st.info("No documents are waiting for review.")
        st.page_link(nav.page("inbox"), label="Back to the inbox")
        return
    try:
        detail = service().document(user, doc_id)
    except ServiceError as exc:
        st.error(esc(exc))
        return
    if st.query_params.get("doc") != str(doc_id):
        st.query_params["doc"] = str(doc_id)
    older, newer = service().neighbours(user, doc_id, states=[detail.row.state])
    _header(detail, older, newer)
    _alerts_panel(user, detail)
    _sender_line(detail)
    left, right = st.columns([5, 4], gap="medium")
    with right:
        field = _fields_panel(detail)
        _correct_form(user, detail)
        _findings_panel(detail)
    with left:
        _pages_panel(user, detail, field)
    _entry_panel(user, detail, older if older is not None else newer)
    actions_panel(user, detail)
    _history(detail)


if __name__ == "__main__":
    render()
