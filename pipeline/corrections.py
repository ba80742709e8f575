"""Field corrections by the accountant, and what boekbox learns from them.

A corrected field is written into the stored extraction (the original value
stays in the audit trail), the proposal is recomputed from the corrected
invoice, and the supplier gets a hint (where and how the value was printed)
so its next invoice is read right.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from booking.amounts import plain_number
from extractors.model import DocumentType, InvoiceData, Party, from_json, to_json
from pipeline.runtime import Runtime
from storage import repo
from storage.models import Document

log = logging.getLogger(__name__)

_PARTY_FIELDS = {
    "supplier_name": ("supplier", "name"),
    "supplier_vat": ("supplier", "vat"),
    "customer_name": ("customer", "name"),
    "customer_vat": ("customer", "vat"),
}
_DATE_FIELDS = {"issue_date", "due_date"}
_AMOUNT_FIELDS = {"total_excl_vat", "total_vat", "total_incl_vat", "payable_amount"}
_TEXT_FIELDS = {"invoice_number", "currency", "iban", "payment_reference"}
_OTHER_FIELDS = {"document_type", "vat_breakdown"}

CORRECTABLE = tuple(
    sorted({*_PARTY_FIELDS, *_DATE_FIELDS, *_AMOUNT_FIELDS, *_TEXT_FIELDS, *_OTHER_FIELDS})
)


class CorrectionError(ValueError):
    pass


#: field names as the accountant reads them (messages never show ``total_incl_vat``)
FIELD_WORDS = {
    "issue_date": "Invoice date",
    "due_date": "Due date",
    "total_excl_vat": "Total excl. VAT",
    "total_vat": "VAT",
    "total_incl_vat": "Total incl. VAT",
    "payable_amount": "Payable",
}


def corrected_invoice(invoice: InvoiceData, field_name: str, value: str) -> InvoiceData:
    value = value.strip()
    if field_name in _PARTY_FIELDS:
        party_attr, attr = _PARTY_FIELDS[field_name]
        party = dataclasses.replace(getattr(invoice, party_attr), **{attr: value or None})
        return invoice.replace(**{party_attr: party})
    if field_name in _DATE_FIELDS:
        try:
            day = dt.date.fromisoformat(value) if value else None
        except ValueError:
            raise CorrectionError(
                f"{FIELD_WORDS.get(field_name, field_name)} must be a date YYYY-MM-DD,"
                f" got {value!r}"
            ) from None
        return invoice.replace(**{field_name: day})
    if field_name in _AMOUNT_FIELDS:
        try:
            amount = Decimal(plain_number(value)).quantize(Decimal("0.01")) if value else None
        except InvalidOperation:
            raise CorrectionError(
                f"{FIELD_WORDS.get(field_name, field_name)} must be an amount like 1234,50,"
                f" got {value!r}"
            ) from None
        return invoice.replace(**{field_name: amount})
    if field_name in _TEXT_FIELDS:
        if field_name == "iban":
            value = "".join(value.split()).upper()
        return invoice.replace(**{field_name: value or None})
    if field_name == "document_type":
        try:
            return invoice.replace(document_type=DocumentType(value))
        except ValueError:
            kinds = ", ".join(t.value for t in DocumentType)
            raise CorrectionError(f"document_type must be one of {kinds}, got {value!r}") from None
    if field_name == "vat_breakdown":
        from extractors.hints import parse_breakdown

        try:
            return invoice.replace(vat_breakdown=parse_breakdown(value))
        except ValueError as exc:
            raise CorrectionError(
                f"vat_breakdown is rate:taxable:vat per rate, separated by ';' ({exc})"
            ) from None
    raise CorrectionError(f"{field_name} cannot be corrected here")


def apply(
    s: Any, rt: Runtime, doc: Document, field_name: str, value: str, *, user_id: int | None
) -> InvoiceData:
    from pipeline import bookings, twins

    extraction = repo.get_extraction(s, doc.id)
    if extraction is None:
        raise CorrectionError("this document has no extracted fields yet")
    before = from_json(extraction.invoice)
    after = corrected_invoice(before, field_name, value)
    old = before.to_schema_dict().get(field_name)
    extraction.invoice = to_json(after)
    doc.supplier_name = after.supplier.name
    doc.supplier_vat = "".join(c for c in (after.supplier.vat or "").upper() if c.isalnum()) or None
    doc.invoice_number = after.invoice_number
    doc.invoice_date = after.issue_date
    doc.total_incl_vat = after.total_incl_vat
    _learn_hint(s, rt, doc, before, after, field_name, value)
    if doc.state == "proposed":
        bookings.repropose(s, doc, after)
    twins.recheck(s, doc)  # a corrected number or total may link (or unlink) a copy
    repo.audit(
        s,
        "correct_field",
        user_id=user_id,
        dossier_id=doc.dossier_id,
        document_id=doc.id,
        field=field_name,
        old=old,
        new=value,
    )
    return after


def _learn_hint(
    s: Any,
    rt: Runtime,
    doc: Document,
    before: InvoiceData,
    after: InvoiceData,
    field_name: str,
    value: str,
) -> None:
    """Fold what this correction teaches into the supplier's one hint.

    Learning is a bonus: whatever goes wrong here is logged, never raised, so a
    correction is always stored.
    """
    if before.source in {"peppol", "cii"}:
        return  # structured data is exact: nothing to learn about the layout
    if field_name not in LEARNABLE:
        return  # the customer is the dossier: nothing to learn about the supplier
    dossier = repo.get_dossier(s, doc.dossier_id)
    own = Party(name=dossier.name, vat=dossier.vat_number)
    sender = None
    if doc.mail_id is not None:
        sender = repo.get_mail(s, doc.mail_id).envelope_from or None
    try:
        from extractors import read_pages

        pages = read_pages(rt.blobs.get(doc.blob_sha256))
    except Exception as exc:
        log.warning("no hint learned for document %s: %s", doc.id, exc)
        return
    supplier_vat = after.supplier.vat if not _same_vat(after.supplier.vat, own.vat) else None
    earlier = None  # the supplier the document was filed under before this correction
    if field_name in {"supplier_vat", "supplier_name", "iban"}:
        old_vat = before.supplier.vat if not _same_vat(before.supplier.vat, own.vat) else None
        earlier = repo.find_supplier(
            s, doc.dossier_id, vat=old_vat, iban=before.iban, name=before.supplier.name
        )
    supplier = repo.upsert_supplier(
        s,
        doc.dossier_id,
        vat=supplier_vat,
        iban=after.iban,
        name=after.supplier.name,
        country=after.supplier.country,
    )
    if supplier is None:
        return
    stored = list(supplier.hints or [])
    if earlier is not None and earlier.id != supplier.id and earlier.hints:
        stored = [*earlier.hints, *stored]  # what was learned under the wrong identity moves
    try:
        supplier.hints = learned_hints(
            stored, after, pages, field_name, value, sender=sender, own=own
        )
    except Exception as exc:
        log.warning("no hint learned for document %s: %s", doc.id, exc)


#: the fields a correction teaches something about the supplier's documents
LEARNABLE = frozenset(CORRECTABLE) - {"customer_name", "customer_vat"}


def learned_hints(
    stored: Any,
    after: InvoiceData,
    pages: Any,
    field_name: str,
    value: str,
    *,
    sender: str | None = None,
    own: Party | None = None,
) -> list[dict[str, Any]]:
    """The supplier's stored hints (JSON) with this correction folded in: one merged hint.

    Pure (no database): the bench calls it exactly as :func:`apply` does.
    """
    from extractors.hints import SupplierHint, learn_hint, merge_hints

    merged: SupplierHint | None = None
    for raw in stored if isinstance(stored, list) else ():
        try:
            merged = merge_hints(merged, SupplierHint.from_json(raw))
        except Exception as exc:
            log.warning("a stored hint is malformed and dropped: %s", exc)
    if field_name not in LEARNABLE:
        return [merged.to_json()] if merged is not None else []
    if field_name == "supplier_vat":
        value = "".join(ch for ch in value.upper() if ch.isalnum())
    new = learn_hint(after, pages, {field_name: value}, sender=sender, known_customer=own)
    if own is not None and _same_vat(new.supplier_vat, own.vat):
        new = dataclasses.replace(new, supplier_vat=None)
    if field_name == "supplier_name":
        new = dataclasses.replace(new, supplier_name=value.strip() or None)
    merged = merge_hints(merged, new)
    return [merged.to_json()]


def _same_vat(a: str | None, b: str | None) -> bool:
    def norm(v: str | None) -> str:
        return "".join(ch for ch in (v or "").upper() if ch.isalnum())

    return bool(norm(a)) and norm(a) == norm(b)
