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
from review_ui import entry_editor, nav, page_boxes
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
from review_ui.views import _plain_review as plain
from review_ui.views._distribution import distribution_panel
from review_ui.views._entries import approval_panel

DPI = 110
#: zoom choices: page width (the image fits the column) or a sharper, larger render
ZOOMS = {"Page width": DPI, "150 %": 165, "200 %": 220}

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


def _next_after(user: UserView, doc_id: int, state: str) -> int | None:
    older, newer = service().neighbours(user, doc_id, states=[state])
    return older if older is not None else newer


#: Streamlit's button shortcuts do not fire while the focus is in a table (the grid takes
#: the keys); this listener, on the page itself, presses the same buttons from there,
#: after leaving the cell so an edit in progress is kept.
TABLE_KEYS = """<script>
(() => {
  if (window.__boekboxTableKeys) return;
  window.__boekboxTableKeys = true;
  const TABLES = '[data-testid="stDataFrame"], [data-testid="stDataFrameResizable"], #portal';
  document.addEventListener("keydown", (e) => {
    const target = e.target;
    if (!(target instanceof Element) || !target.closest(TABLES)) return;
    let key = null;
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") key = "rv_confirm";
    else if (e.altKey && e.key === "ArrowDown") key = "rv_next";
    else if (e.altKey && e.key === "ArrowUp") key = "rv_prev";
    if (!key) return;
    e.preventDefault();
    e.stopPropagation();
    if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
    const here = window.location.href;  // never press a button of another document
    setTimeout(() => {
      if (window.location.href !== here) return;
      const button = document.querySelector(`.st-key-${key} button`);
      if (button && !button.disabled) button.click();
    }, 300);
  }, true);
})();
</script>"""


def _table_keys() -> None:
    st.html(TABLE_KEYS, unsafe_allow_javascript=True)


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
        if (
            alert.get("code") == "possible_duplicate"
            and user.can_book
            and row.state == "proposed"
            and st.button(
                f"Mark as duplicate of document #{int(alert.get('other_id') or 0)}",
                key=f"rv_same_invoice_{row.id}",
                type="primary",
            )
        ):
            other = run_command("Mark duplicate", service().mark_same_invoice, user, row.id)
            if other is not None:
                flash(f"Document #{row.id} marked as a duplicate of #{other}.")
                go_to(_next_after(user, row.id, row.state))
        if alert.get("code") == "peppol_mandate":
            _mandate_request(user, row.id, alert)
        if alert.get("other_id"):
            st.page_link(
                nav.page("review"),
                label=f"Open the other copy, document #{int(alert['other_id'])}",
                query_params={"doc": str(int(alert["other_id"]))},
            )


def _mandate_request(user: UserView, doc_id: int, alert: dict[str, Any]) -> None:
    """One click: mail the supplier a request for the Peppol e-invoice (once)."""
    if alert.get("requested_at"):
        st.caption(
            f"E-invoice requested from {esc(alert.get('requested_to', ''))}"
            f" on {esc(alert.get('requested_at', ''))}."
        )
        return
    if not user.can_book or not st.button(
        "Ask the supplier for the Peppol e-invoice", key=f"rv_mandate_{doc_id}"
    ):
        return
    to = run_command("Request e-invoice", service().request_peppol_invoice, user, doc_id)
    if to is not None:
        flash(f"E-invoice requested from {to}.")
        st.rerun()


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
    keys = [key for key in FIELD_LABELS if key in detail.fields or key in conf]
    rows = [
        {
            "Field": FIELD_LABELS[key],
            "Value": _value(detail.fields.get(key)),
            "Confidence": (conf.get(key) or {}).get("confidence"),
            "Found by": (conf.get(key) or {}).get("rule", ""),
        }
        for key in keys
    ]
    if not rows:
        st.info("No extracted fields.")
        return None
    boxed = [k for k in FIELD_LABELS if (conf.get(k) or {}).get("bbox")]
    pick_key = f"rv_field_{detail.row.id}"
    clicked = st.dataframe(  # every row (no inner scrolling), the whole "Found by" column
        pd.DataFrame(rows),
        hide_index=True,
        key=f"rv_fields_{detail.row.id}",
        height=35 * (len(rows) + 1) + 3,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        column_config={
            "Field": st.column_config.TextColumn("Field", width="small"),
            "Confidence": st.column_config.ProgressColumn(
                "Confidence", min_value=0.0, max_value=1.0, format="%.2f", width="small"
            ),
            "Found by": st.column_config.TextColumn("Found by", width="large"),
        },
    )
    picked = list(getattr(getattr(clicked, "selection", None), "rows", None) or [])
    if picked and 0 <= int(picked[0]) < len(keys) and keys[int(picked[0])] in boxed:
        st.session_state[pick_key] = keys[int(picked[0])]  # a click on a row selects the field
    if not boxed:
        return None
    default = "total_incl_vat" if "total_incl_vat" in boxed else boxed[0]
    if st.session_state.get(pick_key) not in boxed:
        st.session_state.pop(pick_key, None)
    choice = st.selectbox(
        "Show on the page",
        boxed,
        index=boxed.index(default) if pick_key not in st.session_state else None,
        format_func=lambda k: FIELD_LABELS.get(k, k),
        key=pick_key,
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
    answer = st.empty()  # a refusal shows here, outside the (collapsible) section
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
            answer.error(f"Correction refused: {esc(in_words(str(exc)))}")
            return
    clear_lists()
    st.session_state["rv_version"] = st.session_state.get("rv_version", 0) + 1
    flash(f"{FIELD_LABELS[str(name)]} corrected; the proposal was recomputed.")
    st.rerun()


def in_words(message: str) -> str:
    """A service message with field names as the user reads them ("Total incl. VAT")."""
    for key in sorted(FIELD_LABELS, key=len, reverse=True):
        message = message.replace(key, FIELD_LABELS[key])
    return message


def once(messages: Any) -> list[tuple[str, int]]:
    """Each message once, in order, with how often it came (a warning per invoice line)."""
    counts: dict[str, int] = {}
    for message in messages:
        counts[str(message)] = counts.get(str(message), 0) + 1
    return list(counts.items())


def _times(n: int) -> str:
    return f" (×{n})" if n > 1 else ""


def _findings_panel(detail: DocumentDetail) -> None:
    seen: dict[tuple[str, str, str], int] = {}
    for finding in detail.findings:
        key = (
            str(finding.get("severity", "warning")),
            str(finding.get("rule_id", "")),
            str(finding.get("message", "")),
        )
        seen[key] = seen.get(key, 0) + 1
    for (severity, rule, message), n in seen.items():
        text = f"**{esc(rule)}** {esc(message)}{_times(n)}"
        (st.error if severity == "fatal" else st.warning)(text)
    for warning, n in once(detail.warnings):
        st.warning(esc(warning) + _times(n))


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
    zoom = (
        st.segmented_control("Zoom", list(ZOOMS), default="Page width", key=f"rv_zoom_{row.id}")
        or "Page width"
    )
    dpi = ZOOMS[str(zoom)]
    try:
        image = page_image(row.sha256, page_no, dpi, box, user, row.id)
    except ServiceError as exc:
        st.warning(esc(exc))
        return
    if image is None:
        _einvoice_panel(detail)
        return
    if image.page_count > 1:
        picker.selectbox("Page", range(1, image.page_count + 1), index=image.page - 1, key=key)
    cut = f" (pages after {image.page} are not shown)" if image.page < page_no else ""
    others = [
        tuple(float(v) for v in ev2["bbox"])
        for key2, ev2 in detail.confidence.items()
        if key2 != field
        and isinstance(ev2, dict)
        and ev2.get("bbox")
        and int(ev2.get("page") or 1) == image.page
    ]
    png = page_boxes.outline(image.png, others)
    caption = f"page {image.page} of {image.page_count}{cut}"
    if zoom == "Page width":
        st.image(png, width="stretch", caption=caption)
    else:
        with st.container(height=900, key=f"rv_zoomed_{row.id}"):
            st.image(png, width="content", caption=caption)


def _einvoice_panel(detail: DocumentDetail) -> None:
    """An e-invoice without an embedded PDF: its data, readable (every value escaped)."""
    st.info("An e-invoice without an embedded PDF: its content is shown below.")
    fields = detail.fields
    lines = [
        f"**{FIELD_LABELS[key]}**: {esc(_value(fields.get(key)))}"
        for key in FIELD_LABELS
        if fields.get(key) not in (None, "", [])
    ]
    st.markdown("  \n".join(lines) or "(no data)")
    items = fields.get("lines") or []
    if isinstance(items, list) and items:
        st.dataframe(
            pd.DataFrame(
                [
                    {str(k): _value(v) for k, v in item.items()}
                    for item in items[:500]
                    if isinstance(item, dict)
                ]
            ),
            hide_index=True,
        )


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


RATE_SOURCES = {
    "user": "given by the accountant",
    "invoice": "printed on the invoice",
    "ubl_tax_total": "from the e-invoice's VAT total in EUR",
    "ecb": "ECB reference rate",
}


def _currency(detail: DocumentDetail) -> str:
    return str(detail.fields.get("currency") or "EUR").strip().upper()[:3] or "EUR"


def _rate_panel(user: UserView, detail: DocumentDetail) -> None:
    """A foreign-currency invoice: the rate, its source and the original amounts; or ask."""
    currency = _currency(detail)
    if currency == "EUR":
        return
    entry = detail.entry
    if entry is not None and entry.exchange_rate is not None:
        source = RATE_SOURCES.get(entry.rate_source or "", entry.rate_source or "")
        day = f" of {entry.rate_date}" if entry.rate_date else ""
        st.info(
            f"Invoice in **{esc(currency)}**, booked in euro at **1 EUR = "
            f"{entry.exchange_rate.normalize():f} {esc(currency)}** ({esc(source)}{day});"
            f" original total {esc(currency)} {money(entry.original_total)}."
        )
    else:
        st.warning(
            f"Invoice in **{esc(currency)}** and no exchange rate is known: its amounts are"
            f" in {esc(currency)}, so it cannot be booked until you give the rate"
            f" (1 EUR = ? {esc(currency)}) below."
        )
    if not user.can_book or detail.row.state != "proposed":
        return
    with st.form(f"rv_rate_{detail.row.id}"):
        value = st.text_input(
            f"Exchange rate: 1 EUR = ? {currency}",
            placeholder="1,0850",
            key=f"rv_rate_value_{detail.row.id}",
        )
        if st.form_submit_button("Book in euro at this rate") and run_command(
            "Exchange rate", service().set_rate, user, detail.row.id, value
        ):
            st.session_state["rv_version"] = st.session_state.get("rv_version", 0) + 1
            flash(f"Re-proposed in euro at 1 EUR = {value} {currency}.")
            st.rerun()


def _no_entry_panel(user: UserView, detail: DocumentDetail) -> None:
    """No proposal: say why, and open an entry prefilled from what was read."""
    st.warning(
        "No proposed entry"
        + (f": {esc(detail.row.reason)}" if detail.row.reason else "")
        + ". Book it by hand: the entry is prefilled from the extracted fields."
    )
    if not user.can_book or detail.row.state != "proposed":
        return
    if st.button("Book by hand", key=f"rv_by_hand_{detail.row.id}", type="primary") and (
        run_command("Book by hand", service().draft_entry, user, detail.row.id) is not None
    ):
        st.session_state["rv_version"] = st.session_state.get("rv_version", 0) + 1
        st.rerun()


def _entry_panel(user: UserView, detail: DocumentDetail, nxt: int | None) -> None:
    entry = detail.entry
    if entry is None:
        if detail.row.state == "proposed":
            _no_entry_panel(user, detail)
        return
    title = "Booked entry" if entry.number else "Proposed entry"
    st.markdown(
        f"**{title}** · {esc(entry.journal)} journal · {esc(entry.date)}"
        f" · period {esc(entry.period)} · VAT {esc(entry.vat_period)}"
        f" · confidence {entry.confidence:.2f}"
        + (f" · booked as **{esc(entry.label)}**" if entry.number else "")
    )
    if entry.reason:
        st.caption(esc(entry.reason))
    approval_panel(user, entry)  # a client's booking: approve / send back, or the comment
    for warning, n in once(entry.warnings):
        st.warning(esc(warning) + _times(n))
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
            extra = {k: v for k, v in event.items() if k not in {"at", "action", "user_id", "user"}}
            who = event.get("user") or "system"
            if event["action"] == "iban_confirmed":  # the audited payment decision, in words
                how = "with the booking" if event.get("via") == "booking" else "explicitly"
                st.text(
                    f"{event['at']:%Y-%m-%d %H:%M} {who}: confirmed {event.get('kind', 'new')}"
                    f" IBAN {event.get('iban')} for supplier {event.get('supplier', '?')} ({how})"
                )
                continue
            st.text(f"{event['at']:%Y-%m-%d %H:%M} {who}: {event['action']} {extra or ''}")


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
    _table_keys()
    booker = plain.client_booker(user, detail)  # a client who may book: plain words first
    if booker is not None:
        user = booker
        if not plain.show_all_fields(detail):
            _alerts_panel(user, detail)
            plain.render(
                user,
                detail,
                older if older is not None else newer,
                lambda: _pages_panel(user, detail, None),
            )
            distribution_panel(user, detail)
            return
    _alerts_panel(user, detail)
    _sender_line(detail)
    left, right = st.columns([5, 4], gap="medium")
    with right:
        field = _fields_panel(detail)
        _correct_form(user, detail)
        _findings_panel(detail)
    with left:
        _pages_panel(user, detail, field)
    nxt = older if older is not None else newer
    _rate_panel(user, detail)
    _entry_panel(user, detail, nxt)
    distribution_panel(user, detail)
    actions_panel(user, detail, nxt)
    _history(detail)


if __name__ == "__main__":
    render()
