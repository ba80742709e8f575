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

from extractors.model import InvoiceData, from_json, to_json
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

CORRECTABLE = tuple(sorted({*_PARTY_FIELDS, *_DATE_FIELDS, *_AMOUNT_FIELDS, *_TEXT_FIELDS}))


class CorrectionError(ValueError):
    pass


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
                f"{field_name} must be a date YYYY-MM-DD, got {value!r}"
            ) from None
        return invoice.replace(**{field_name: day})
    if field_name in _AMOUNT_FIELDS:
        try:
            amount = Decimal(value.replace(",", ".")).quantize(Decimal("0.01")) if value else None
        except InvalidOperation:
            raise CorrectionError(f"{field_name} must be an amount, got {value!r}") from None
        return invoice.replace(**{field_name: amount})
    if field_name in _TEXT_FIELDS:
        return invoice.replace(**{field_name: value or None})
    raise CorrectionError(f"{field_name} cannot be corrected here")


def apply(
    s: Any, rt: Runtime, doc: Document, field_name: str, value: str, *, user_id: int | None
) -> InvoiceData:
    from pipeline import bookings

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
    from extractors import ExtractionError, learn_hint, read_pages

    if before.source in {"peppol", "cii"}:
        return  # structured data is exact: nothing to learn about the layout
    try:
        pages = read_pages(rt.blobs.get(doc.blob_sha256))
        hint = learn_hint(after, pages, {field_name: value})
    except ExtractionError as exc:
        log.info("no hint learned for document %s: %s", doc.id, exc)
        return
    supplier = repo.upsert_supplier(
        s,
        doc.dossier_id,
        vat=after.supplier.vat,
        iban=after.iban,
        name=after.supplier.name,
        country=after.supplier.country,
    )
    if supplier is None or not hint.fields:
        return
    merged = [h for h in (supplier.hints or []) if not _same_hint(h, hint.to_json())]
    supplier.hints = [*merged, hint.to_json()]


def _same_hint(a: dict[str, Any], b: dict[str, Any]) -> bool:
    fields_a = {f.get("field") for f in a.get("fields", [])}
    fields_b = {f.get("field") for f in b.get("fields", [])}
    same_party = (a.get("supplier_vat"), a.get("supplier_iban")) == (
        b.get("supplier_vat"),
        b.get("supplier_iban"),
    )
    return same_party and fields_a == fields_b
