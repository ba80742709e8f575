"""The same invoice twice (a PDF and a phone photo, two scans): warn, and mark on request.

UBL/PDF twins with the same supplier VAT, number and total are resolved at
extraction (pipeline.steps).  Copies read by OCR rarely match that exactly, so
here two live documents of a dossier are compared loosely (:func:`compare`):

* supplier: the VAT number, else the IBAN, else the normalised name (a photo
  whose OCR missed the VAT number);
* invoice number: letters and digits only, ``O`` read as ``0``, leading zeros
  dropped (``F-2026/0O12`` and ``F 2026 12``);
* total incl. VAT: equal, or, when one copy was read by OCR and its total is
  unsure (computed from other amounts, or read with low confidence), the other
  copy's total printed on its page;
* invoice date: equal where both copies have one.

The check runs when a document's fields are saved at extraction, when it is
proposed, and again when the accountant corrects a field of either copy
(:func:`recheck`).  The later copy gets a ``possible_duplicate`` alert naming
the other (the earlier one when the later is already booked), which keeps it
from being booked automatically.  The accountant marks it a duplicate with one
click (:func:`mark_twin`), which is idempotent and refused when the copies ask
payment differently (pipeline.payment_trust: a copy asking payment elsewhere
never replaces another).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from extractors.model import InvoiceData, from_json
from pipeline import payment_trust
from pipeline.states import DocumentState
from storage import fulltext, repo
from storage.errors import NotFound
from storage.models import Document

S = DocumentState

POSSIBLE_DUPLICATE = "possible_duplicate"

#: states in which a document can still be warned (it waits for the accountant)
_WAITING = {S.EXTRACTED.value, S.PROPOSED.value}
#: the states of a document that can be (or have) a possible twin
_LIVE = frozenset({*_WAITING, S.BOOKED.value})
#: extractor sources that read the page by OCR
_OCR_SOURCES = {"ocr", "pdf_ocr"}
#: a total read with less confidence than this (or computed) is unsure
_SURE_TOTAL = 0.6
#: legal forms left out of a supplier name before comparing
_LEGAL_FORMS = frozenset(
    (  # noqa: SIM905
        "bv bvba nv sa srl sprl vof cv cvba scrl gmbh ag kg ltd limited inc llc plc sas sarl"
        " sasu eurl spa ab as oy aps comm scs"
    ).split()
)


def _key(text: str | None) -> str:
    """Letters and digits only, upper case, ``O`` as ``0``, leading zeros dropped."""
    kept = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    return kept.replace("O", "0").lstrip("0")


def _name_key(text: str | None) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    words = re.findall(r"[a-z0-9]+", plain.replace(".", ""))
    return "".join(w for w in words if w not in _LEGAL_FORMS)


def _iban_key(text: str | None) -> str:
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


@dataclass(frozen=True, slots=True)
class Copy:
    """What the comparison needs of one document."""

    id: int
    supplier_vat: str | None
    supplier_name: str | None
    iban: str | None
    invoice_number: str | None
    invoice_date: Any
    total: Decimal | None
    #: read by OCR with a total computed or read with low confidence
    unsure_total: bool
    page_text: str


def _copy(s: Any, doc: Document) -> Copy:
    extraction = repo.get_extraction(s, doc.id)
    iban = None
    unsure = False
    if extraction is not None:
        raw = extraction.invoice.get("iban") if isinstance(extraction.invoice, dict) else None
        iban = raw if isinstance(raw, str) else None
        conf = (extraction.confidence or {}).get("total_incl_vat") or {}
        rule = str(conf.get("rule") or "") if isinstance(conf, dict) else ""
        value = conf.get("confidence") if isinstance(conf, dict) else None
        low = not isinstance(value, int | float) or float(value) < _SURE_TOTAL
        unsure = extraction.extractor in _OCR_SOURCES and (rule.startswith("computed") or low)
    text = ""
    if unsure:
        row = fulltext.text_of(s, doc.id)
        text = row.body if row is not None else ""
    total = None if doc.total_incl_vat is None else Decimal(doc.total_incl_vat)
    return Copy(
        doc.id,
        doc.supplier_vat,
        doc.supplier_name,
        iban,
        doc.invoice_number,
        doc.invoice_date,
        total,
        unsure,
        text,
    )


def printed(amount: Decimal, text: str) -> bool:
    """``amount`` appears in ``text`` as printed (``1.234,56``, ``1 234.56``, ``717,97``)."""
    value = abs(amount).quantize(Decimal("0.01"))
    whole, cents = f"{value:f}".split(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    body = r"[.,' \u00a0\u202f]?".join(groups)
    pattern = rf"(?<![\d.,]){body}[.,]\s?{cents}(?!\d)"
    return re.search(pattern, text) is not None


def _supplier(a: Copy, b: Copy) -> str:
    """'same', 'different' or 'unknown'."""
    va, vb = _key(a.supplier_vat), _key(b.supplier_vat)
    if va and vb:
        return "same" if va == vb else "different"
    ia, ib = _iban_key(a.iban), _iban_key(b.iban)
    if ia and ib and ia == ib:
        return "same"
    na, nb = _name_key(a.supplier_name), _name_key(b.supplier_name)
    if len(na) >= 3 and len(nb) >= 3:
        return "same" if na == nb else "different"
    return "unknown"


def _number(a: Copy, b: Copy) -> str:
    ka, kb = _key(a.invoice_number), _key(b.invoice_number)
    if ka and kb:
        return "same" if ka == kb else "different"
    return "unknown"


def _total(a: Copy, b: Copy) -> str:
    if a.total is None or b.total is None:
        return "unknown"
    if a.total == b.total:
        return "same"
    if (a.unsure_total and printed(b.total, a.page_text)) or (
        b.unsure_total and printed(a.total, b.page_text)
    ):
        return "printed"
    return "different"


def _date(a: Copy, b: Copy) -> str:
    if a.invoice_date is None or b.invoice_date is None:
        return "unknown"
    return "same" if a.invoice_date == b.invoice_date else "different"


def compare(a: Copy, b: Copy) -> str | None:
    """Why ``a`` and ``b`` look like the same invoice, or None when they do not.

    Nothing may disagree; then supplier and number must agree, or one of them with
    the total and the date.
    """
    supplier, number, total, date = _supplier(a, b), _number(a, b), _total(a, b), _date(a, b)
    if "different" in (supplier, number, total, date):
        return None
    exact = total == "same" and date == "same"
    if supplier == "same" and number == "same":
        pass
    elif not ((supplier == "same" or number == "same") and exact):
        return None
    return ", ".join(
        what
        for what, ok in (
            ("supplier", supplier == "same"),
            ("number", number == "same"),
            ("total", total == "same"),
            ("total printed on the photo", total == "printed"),
            ("date", date == "same"),
        )
        if ok
    )


def _differ_by_columns(a: Any, b: Any) -> bool:
    """True when :func:`compare` says None whatever the two stored extractions hold.

    ``a`` and ``b`` are documents or rows of their columns.  The number, the date and
    (when both have one) the supplier VAT number are the document's own columns, the
    same values :func:`_copy` puts in a :class:`Copy`; one of them "different" makes
    :func:`compare` None, so the extractions (IBAN, total confidence, page text) are
    not read for such a pair.
    """
    na, nb = _key(a.invoice_number), _key(b.invoice_number)
    va, vb = _key(a.supplier_vat), _key(b.supplier_vat)
    da, db = a.invoice_date, b.invoice_date
    return bool(
        (na and nb and na != nb)
        or (da is not None and db is not None and da != db)
        or (va and vb and va != vb)
    )


def same_invoice(s: Any, a: Document, b: Document) -> bool:
    """True when documents ``a`` and ``b`` look like the same invoice (:func:`compare`)."""
    return compare(_copy(s, a), _copy(s, b)) is not None


def flag_possible_twin(s: Any, doc: Document) -> Document | None:
    """Link ``doc`` with another live copy of the same invoice; return the document warned.

    Idempotent: the alert is replaced, never added twice.  The later document
    (higher id) carries the warning, naming the earlier one; when the later one is
    already booked, the earlier one waiting for review is warned instead.
    """
    if doc.kind != "file" or doc.state not in _LIVE:
        return None
    repo.lock_invoice_checks(s, doc.dossier_id)
    keys = repo.possible_twin_keys(
        s,
        dossier_id=doc.dossier_id,
        exclude_id=doc.id,
        total=doc.total_incl_vat,
        invoice_date=doc.invoice_date,
        supplier_vat=doc.supplier_vat,
        invoice_number=doc.invoice_number,
    )
    # a candidate whose columns already differ is never read whole: compare() would
    # say None for it, whatever its stored extraction holds
    ids = [k.id for k in keys if k.state in _LIVE and not _differ_by_columns(doc, k)]
    mine: Copy | None = None
    for other in repo.get_documents(s, ids):
        if other.state not in _LIVE:
            continue
        if mine is None:
            mine = _copy(s, doc)
        why = compare(mine, _copy(s, other))
        if why is None:
            continue
        first, later = (other, doc) if other.id < doc.id else (doc, other)
        if later.state not in _WAITING:
            first, later = later, first
        if later.state not in _WAITING:
            continue  # both booked already: nothing left to warn
        _warn(s, later, first, why)
        return later
    return None


def _warn(s: Any, doc: Document, other: Document, why: str) -> None:
    found = payment_trust.alert(doc, POSSIBLE_DUPLICATE)
    if found is not None and found.get("other_id") == other.id:
        return
    what = ", ".join(
        x
        for x in (
            other.supplier_name,
            f"number {other.invoice_number}" if other.invoice_number else None,
            f"total {other.total_incl_vat}" if other.total_incl_vat is not None else None,
            f"dated {other.invoice_date}" if other.invoice_date else None,
        )
        if x
    )
    state = "already booked" if other.state == S.BOOKED.value else "waiting for review"
    payment_trust.put_alert(
        doc,
        POSSIBLE_DUPLICATE,
        f"Possible duplicate: document #{other.id} ({state}) looks like the same invoice"
        f" ({what}; same {why}). Mark this one as duplicate, or book it if it is another"
        " invoice.",
        other_id=other.id,
    )
    repo.audit(
        s,
        "possible_duplicate",
        dossier_id=doc.dossier_id,
        document_id=doc.id,
        other_id=other.id,
        why=why,
    )


def recheck(s: Any, doc: Document) -> Document | None:
    """After a correction of ``doc``'s fields: drop warnings that no longer hold, link anew.

    Covers both sides: the warning ``doc`` carries and the warnings of other
    documents naming ``doc``.
    """
    warned = [doc] + [
        d
        for d in repo.waiting_with_alerts(s, doc.dossier_id)
        if d.id != doc.id
        and (payment_trust.alert(d, POSSIBLE_DUPLICATE) or {}).get("other_id") == doc.id
    ]
    for one in warned:
        found = payment_trust.alert(one, POSSIBLE_DUPLICATE)
        if found is None:
            continue
        try:
            other: Document | None = repo.get_document(s, int(found.get("other_id") or 0))
        except NotFound:
            other = None
        if other is None or other.dossier_id != one.dossier_id or not same_invoice(s, one, other):
            payment_trust.drop_alert(one, POSSIBLE_DUPLICATE)
            repo.audit(
                s,
                "possible_duplicate_cleared",
                dossier_id=one.dossier_id,
                document_id=one.id,
                other_id=found.get("other_id"),
            )
    return flag_possible_twin(s, doc)


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
