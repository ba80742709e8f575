"""Documents: every document of a dossier, found by full text and filters, and one
document's page (original, pages, booking, the mail or upload it came with, filing).

Also the dossier's storage use against the free 1 GB and what extra GB cost.
One column throughout: usable on a 390-px phone screen.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import streamlit as st

from pipeline.service import (
    STATE_LABELS,
    DocumentDetail,
    DocumentFilter,
    DocumentRow,
    FilingView,
    ServiceError,
    UserView,
)
from review_ui.common import (
    current_user,
    day,
    esc,
    money,
    page_image,
    run_command,
    service,
    show_flash,
    size,
)
from review_ui.views._dossier_pick import pick_dossier

PAGE_SIZE = 25
DPI = 100
TYPES = {"": "Any type", "invoice": "Invoices", "credit_note": "Credit notes", "filed": "Filed"}


def _storage(user: UserView, dossier_id: int) -> None:
    use = service().storage_use(user, dossier_id)
    st.progress(
        min(1.0, use.used_fraction),
        text=f"Storage: {size(use.used_bytes)} of {size(use.free_bytes)} free"
        f" · {use.documents} documents",
    )
    if use.extra_gb:
        st.warning(
            f"{use.extra_gb} GB above the free allowance: EUR {money(use.monthly_cost_eur)}"
            " per month."
        )
    else:
        st.caption("Each started GB above the free 1 GB costs EUR 1 per month.")


def _filters(user: UserView, dossier_id: int) -> DocumentFilter:
    text = st.text_input(
        "Search", key="docs_q", placeholder="a word on the document, a supplier, a number …"
    )
    with st.expander("Filters"):
        party = st.text_input("Supplier or customer", key="docs_party")
        date_from = st.date_input("Invoice date from", value=None, key="docs_from")
        date_to = st.date_input("Invoice date to", value=None, key="docs_to")
        amount_min = st.number_input("Amount from (EUR)", value=None, step=10.0, key="docs_min")
        amount_max = st.number_input("Amount to (EUR)", value=None, step=10.0, key="docs_max")
        states = st.multiselect(
            "State",
            list(STATE_LABELS),
            format_func=lambda s: STATE_LABELS.get(s, s),
            key="docs_states",
        )
        doc_type = st.selectbox(
            "Type", list(TYPES), format_func=lambda t: TYPES.get(t, t), key="docs_type"
        )
        tags = ["", *service().document_tags(user, dossier_id)]
        tag = st.selectbox(
            "Tag", tags, format_func=lambda t: esc(t) if t else "Any tag", key="docs_tag"
        )
    return DocumentFilter(
        text=text or "",
        party=party or "",
        date_from=date_from if isinstance(date_from, dt.date) else None,
        date_to=date_to if isinstance(date_to, dt.date) else None,
        amount_min=None if amount_min is None else Decimal(str(amount_min)),
        amount_max=None if amount_max is None else Decimal(str(amount_max)),
        states=tuple(states),
        doc_type=doc_type or None,
        tag=tag or None,
    )


def _label(r: DocumentRow) -> str:
    who = r.supplier_name or r.filename or r.kind
    parts = [f"#{r.id}", who, day(r.invoice_date), money(r.total_incl_vat), r.state_label]
    return " · ".join(p for p in parts if p)


def _results(user: UserView, dossier_id: int, f: DocumentFilter) -> int | None:
    limit = int(st.session_state.get("docs_limit", PAGE_SIZE))
    try:
        found = service().search_documents(user, dossier_id, f, limit=limit)
    except ServiceError as exc:
        st.error(esc(exc))
        return None
    plus = "+" if found.more else ""
    st.caption(f"{found.total:,}{plus} document{'s' if found.total != 1 or plus else ''}")
    if not found.rows:
        st.info("No document matches.")
        return None
    ids = [r.id for r in found.rows]
    labels = {r.id: esc(_label(r)) for r in found.rows}
    wanted = st.query_params.get("doc")
    if wanted and wanted.isdigit() and int(wanted) in labels:
        st.session_state["docs_open"] = int(wanted)
    chosen = st.radio(
        "Documents",
        ids,
        format_func=lambda i: labels.get(i, str(i)),
        key="docs_open",
        label_visibility="collapsed",
    )
    if found.total > len(found.rows) and st.button("Show more", key="docs_more"):
        st.session_state["docs_limit"] = limit + PAGE_SIZE
        st.rerun()
    return int(chosen) if chosen is not None else None


def _document(user: UserView, doc_id: int) -> None:
    try:
        detail = service().document(user, doc_id)
        filing = service().document_filing(user, doc_id)
    except ServiceError as exc:
        st.error(esc(exc))
        return
    row = detail.row
    st.subheader(f"#{row.id} · {esc(row.filename or row.kind)}")
    facts = [
        f"**{esc(row.state_label)}**",
        esc(row.supplier_name or ""),
        esc(row.invoice_number or ""),
        day(row.invoice_date),
        f"EUR {money(row.total_incl_vat)}" if row.total_incl_vat is not None else "",
        f"tag **{esc(filing.tag)}**" if filing.tag else "",
    ]
    st.markdown(" · ".join(f for f in facts if f))
    if row.reason:
        st.caption(esc(row.reason))
    _origin(detail, filing)
    _retention(user, row.id)
    try:
        data, _ctype, name = service().document_bytes(user, doc_id)
    except ServiceError as exc:  # the original is missing or damaged in the blob store
        st.error(esc(str(exc)))
    else:
        st.download_button(
            "Download the original",
            data,
            file_name=name or f"document-{row.id}",
            mime="application/octet-stream",
            key=f"docs_dl_{row.id}",
            use_container_width=True,
        )
    _pages(user, row)
    _booking(detail)
    _file(user, row, filing.tag)


def _origin(detail: DocumentDetail, filing: FilingView) -> None:
    """The mail or the upload the document came with."""
    mail = detail.mail
    uploaded = f"{filing.uploaded_at:%Y-%m-%d %H:%M}"
    if mail is not None and filing.channel != "upload":
        st.markdown(
            f"Came by mail from **{esc(mail.from_header or mail.envelope_from or '?')}**"
            f" · {esc(mail.subject or '(no subject)')} · {mail.received_at:%Y-%m-%d %H:%M}"
        )
    elif mail is not None:
        st.markdown(f"Came in the upload **{esc(mail.subject or '')}** · {uploaded}")
    else:
        st.markdown(f"Uploaded · {uploaded}")


def _retention(user: UserView, doc_id: int) -> None:
    """Until when the document is kept (nothing deletes it before), and a legal hold."""
    try:
        ret = service().retention(user, doc_id)
    except ServiceError as exc:
        st.caption(esc(exc))
        return
    hold = " · **legal hold**: never deleted while it lasts" if ret.legal_hold else ""
    st.markdown(f"Kept until **{ret.retain_until.isoformat()}**{hold}")


def _pages(user: UserView, row: DocumentRow) -> None:
    key = f"docs_page_{row.id}"
    page_no = int(st.session_state.get(key) or 1)
    picker = st.container()
    try:
        image = page_image(row.sha256, page_no, DPI, None, user, row.id)
    except ServiceError as exc:
        st.warning(esc(exc))
        return
    if image is None:
        st.info("No page image: an e-invoice or a mail; its data is shown above.")
        return
    if image.page_count > 1:
        picker.selectbox("Page", range(1, image.page_count + 1), index=image.page - 1, key=key)
    st.image(image.png, width="stretch", caption=f"page {image.page} of {image.page_count}")


def _booking(detail: DocumentDetail) -> None:
    entry = detail.entry
    if entry is None:
        st.caption("Not booked.")
        return
    status = f"booked as #{entry.number}" if entry.number else entry.status
    st.markdown(
        f"**Booking** · {esc(entry.journal)} journal · {esc(entry.date)}"
        f" · period {esc(entry.period)} · {esc(status)}"
    )
    for ln in entry.lines:
        amount = money(ln.debit) if ln.debit else f"-{money(ln.credit)}"
        st.markdown(f"`{esc(ln.account)}` {esc(ln.description or '')} · {amount}")


def _file(user: UserView, row: DocumentRow, tag: str | None) -> None:
    with st.expander("File under a tag (contracts, payroll, bank letters …)"):
        st.caption("A filed document is kept and found, never booked.")
        value = st.text_input("Tag", value=tag or "", key=f"docs_tag_{row.id}", max_chars=60)
        if st.button("File", key=f"docs_file_{row.id}", use_container_width=True):
            done = run_command("Filing", service().file_document, user, row.id, value)
            if done is not None:
                st.success(f"Filed under {esc(value.strip())}.")


def render() -> None:
    user = current_user()
    show_flash()
    st.header("Documents")
    dossier_id = pick_dossier(user, "docs_dossier")
    if dossier_id is None:
        return
    _storage(user, dossier_id)
    f = _filters(user, dossier_id)
    chosen = _results(user, dossier_id, f)
    if chosen is not None:
        st.divider()
        _document(user, chosen)


if __name__ == "__main__":
    render()
