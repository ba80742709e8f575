"""The same invoice twice (a PDF and a phone photo, two scans): warn, and mark on request.

UBL/PDF twins with the same supplier VAT, number and total are resolved at
extraction (pipeline.steps).  Copies read by OCR rarely match that exactly, so
here two live documents of a dossier with the same total and invoice date whose
supplier VAT and invoice number agree where both copies have them (compared on
letters and digits only) are linked: the later one gets a ``possible_duplicate`` alert naming the
other.  The accountant marks it a duplicate with one click (:func:`mark_twin`),
which is idempotent and refused when the copies ask payment differently
(pipeline.payment_trust: a copy asking payment elsewhere never replaces another).
"""

from __future__ import annotations

from typing import Any

from extractors.model import InvoiceData, from_json
from pipeline import payment_trust
from pipeline.states import DocumentState
from storage import repo
from storage.models import Document

S = DocumentState

POSSIBLE_DUPLICATE = "possible_duplicate"


def _key(text: str | None) -> str:
    return "".join(ch for ch in (text or "").upper() if ch.isalnum()).lstrip("0")


def same_invoice(a: Document, b: Document) -> bool:
    """Same total and date (the query); supplier VAT and number agree where both copies have them.

    Compared on letters and digits only (``0012345`` and ``12345``, ``F-2026/1`` and
    ``F 2026 1``); at least one of the two must be on both copies, and a value only one
    copy shows (a photo whose OCR missed it) does not count against the pair.
    """
    agree = 0
    for x, y in ((a.supplier_vat, b.supplier_vat), (a.invoice_number, b.invoice_number)):
        kx, ky = _key(x), _key(y)
        if kx and ky:
            if kx != ky:
                return False
            agree += 1
    return agree > 0


def flag_possible_twin(s: Any, doc: Document) -> Document | None:
    """Link ``doc`` with an earlier live copy of the same invoice; return the document warned.

    Idempotent: the alert is replaced, never added twice.  The later document
    (higher id) carries the warning, naming the earlier one.
    """
    if doc.kind != "file":
        return None
    for other in repo.find_possible_twins(
        s,
        dossier_id=doc.dossier_id,
        exclude_id=doc.id,
        total=doc.total_incl_vat,
        invoice_date=doc.invoice_date,
    ):
        if not same_invoice(doc, other):
            continue
        first, later = (other, doc) if other.id < doc.id else (doc, other)
        if later.state in {S.DUPLICATE.value, S.REJECTED.value, S.BOOKED.value}:
            return None
        what = ", ".join(
            x
            for x in (
                first.supplier_name,
                f"number {first.invoice_number}" if first.invoice_number else None,
                f"total {first.total_incl_vat}",
                f"dated {first.invoice_date}",
            )
            if x
        )
        payment_trust.put_alert(
            later,
            POSSIBLE_DUPLICATE,
            f"Possible duplicate: document #{first.id} looks like the same invoice ({what}).",
            other_id=first.id,
        )
        repo.audit(
            s,
            "possible_duplicate",
            dossier_id=later.dossier_id,
            document_id=later.id,
            other_id=first.id,
        )
        return later
    return None


class TwinRefused(ValueError):
    """The document cannot be marked a duplicate of the other (the message says why)."""


def mark_twin(s: Any, doc: Document, other: Document, *, by: str) -> bool:
    """Mark ``doc`` a duplicate of ``other``; False when it already is (idempotent)."""
    if doc.state == S.DUPLICATE.value and doc.duplicate_of_id == other.id:
        return False
    if other.dossier_id != doc.dossier_id or other.id == doc.id:
        raise TwinRefused("a duplicate must point to another document of the same dossier")
    if doc.state not in {S.RECEIVED.value, S.EXTRACTED.value, S.PROPOSED.value}:
        raise TwinRefused(f"document #{doc.id} is {doc.state}: it cannot be marked a duplicate")
    mine, theirs = repo.get_extraction(s, doc.id), repo.get_extraction(s, other.id)
    if mine is not None and theirs is not None:
        a: InvoiceData = from_json(mine.invoice)
        conflict = payment_trust.payment_disagreement(a, from_json(theirs.invoice))
        if conflict is not None:
            raise TwinRefused(
                f"the copies ask for payment differently ({conflict}): check with the supplier"
                " which one is genuine and reject the other"
            )
    repo.set_state(
        s,
        doc,
        S.DUPLICATE,
        f"same invoice as document #{other.id} (marked by {by})",
        code="same_invoice",
    )
    doc.duplicate_of_id = other.id
    payment_trust.drop_alert(doc, POSSIBLE_DUPLICATE)
    repo.drop_unbooked_entry(s, doc.id)
    return True
