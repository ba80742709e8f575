"""Map a parsed UBL 2.x Invoice / CreditNote tree to :class:`InvoiceData`.

Speed matters here: the budget is twice the bare ``lxml.etree.fromstring`` of the same
bytes (``bench/ubl_bench.py``).  Evaluating one XPath costs microseconds even in
libxml2, while an lxml element proxy plus its ``.tag`` string costs a fraction of a
microsecond, so the mapper walks each element's children once, reads each Clark tag
once and dispatches on it (the root's children through one dict lookup each), only
descends into the aggregates it maps, and builds the frozen model objects through
:mod:`peppol._ubl_build`.  Rules follow ``shared/corpus/ubl/SOURCES.md``.
"""

from __future__ import annotations

import functools
from typing import Any

from extractors.model import DocumentType, Evidence, InvoiceData
from peppol._ubl_build import maker
from peppol._ubl_lines import allowance as _allowance
from peppol._ubl_lines import attachment as _attachment
from peppol._ubl_lines import line as _line
from peppol._ubl_parts import MONEY_FIELDS
from peppol._ubl_parts import monetary as _monetary
from peppol._ubl_parts import party as _party
from peppol._ubl_parts import payment as _payment
from peppol._ubl_parts import tax_totals as _tax_totals
from peppol._ubl_parts import text as _text
from peppol._values import NO_NUMBER_WARNING, clean, to_date
from peppol.errors import MissingMandatoryField
from peppol.ns import UBL_CREDITNOTE, cac, cbc

__all__ = ["CREDIT_TYPE_CODES", "map_ubl"]

# Type codes that make a root Invoice a credit note (UNCL 1001 credit codes).
CREDIT_TYPE_CODES = frozenset(
    {"381", "396", "81", "83", "261", "262", "296", "308", "420", "458", "532"}
)

_CN_ROOT = f"{{{UBL_CREDITNOTE}}}CreditNote"
_ID, _NOTE, _INV_DOC_REF = cbc("ID"), cbc("Note"), cac("InvoiceDocumentReference")

# The root's children the mapper reads, by slot: first the single ones (the first
# occurrence counts), from _LISTS on the repeated ones (all occurrences, in order).
_ROOT_TAGS = (
    # single
    cbc("ID"), cbc("IssueDate"), cbc("DueDate"), cbc("InvoiceTypeCode"),
    cbc("CreditNoteTypeCode"), cbc("DocumentCurrencyCode"), cbc("TaxCurrencyCode"),
    cbc("BuyerReference"), cbc("CustomizationID"), cbc("ProfileID"), cbc("UBLVersionID"),
    cac("OrderReference"), cac("AccountingSupplierParty"), cac("AccountingCustomerParty"),
    cac("LegalMonetaryTotal"),
    # repeated
    cbc("Note"), cac("BillingReference"), cac("AdditionalDocumentReference"),
    cac("PaymentMeans"), cac("PaymentTerms"), cac("AllowanceCharge"), cac("TaxTotal"),
    cac("InvoiceLine"), cac("CreditNoteLine"),
)  # fmt: skip
(
    _S_ID, _S_ISSUE, _S_DUE, _S_INV_TC, _S_CN_TC, _S_CUR, _S_TAXCUR, _S_BUYREF, _S_CUST,
    _S_PROF, _S_UBLV, _S_ORDER, _S_SUPPLIER, _S_CUSTOMER, _S_LMT,
    _S_NOTE, _S_BILLING, _S_ADR, _S_PM, _S_PT, _S_AC, _S_TAXTOTAL, _S_INV_LINE, _S_CN_LINE,
) = range(len(_ROOT_TAGS))  # fmt: skip
_LISTS = _S_NOTE
_ROOT_SLOT = {tag: slot for slot, tag in enumerate(_ROOT_TAGS)}
_INV_QTY, _CN_QTY = cbc("InvoicedQuantity"), cbc("CreditedQuantity")

_EVIDENCE_FIELDS = (
    "document_type", "invoice_number", "issue_date", "due_date", "currency", "supplier_name",
    "supplier_vat", "customer_name", "customer_vat", "total_excl_vat", "total_vat",
    "total_incl_vat", "payable_amount", "iban", "payment_reference", "vat_breakdown",
    "line_count",
)  # fmt: skip
_EVIDENCE = {name: Evidence(confidence=1.0, rule="ubl") for name in _EVIDENCE_FIELDS}

_HEAD_FIELDS = (
    "document_type", "type_code", "invoice_number", "issue_date", "due_date", "currency",
    "supplier", "customer", "total_vat", "tax_currency", "tax_currency_vat_total",
    "buyer_reference", "order_reference", "billing_references", "customization_id",
    "profile_id", "note", "payment_terms", "vat_breakdown", "lines", "allowances_charges",
    "attachments", "source",
)  # fmt: skip
_PAY_FIELDS = ("iban", "bic", "payment_reference", "payment_means_code")  # payment() order
_INVOICE_FIELDS = (*_HEAD_FIELDS, *MONEY_FIELDS, *_PAY_FIELDS, "evidence", "warnings")
_new_invoice = maker(InvoiceData, _INVOICE_FIELDS)


def _slots(root: Any) -> list[Any]:
    """The root's children by slot of ``_ROOT_TAGS`` (one pass, one dict lookup each)."""
    slots: list[Any] = [None] * len(_ROOT_TAGS)
    where = _ROOT_SLOT.get
    for child in root:
        slot = where(child.tag)
        if slot is None:
            continue
        found = slots[slot]
        if slot >= _LISTS:
            if found is None:
                slots[slot] = [child]
            else:
                found.append(child)
        elif found is None:
            slots[slot] = child
    return slots


def _t(el: Any) -> str | None:
    if el is None:
        return None
    value = el.text
    return (value.strip() or None) if value else None


def map_ubl(root: Any) -> InvoiceData:
    """Map a UBL Invoice/CreditNote root element (already parsed safely)."""
    s = _slots(root)
    number = _t(s[_S_ID])
    totals = s[_S_LMT]
    if totals is None:
        raise MissingMandatoryField(
            f"e-invoice {number or '(no number)'} has no totals (BG-22, cac:LegalMonetaryTotal)"
        )
    w: list[str] = []
    if number is None:  # kept and flagged: the accountant types the number
        w.append(NO_NUMBER_WARNING)
    is_cn = root.tag == _CN_ROOT
    type_code = _t(s[_S_CN_TC if is_cn else _S_INV_TC])
    currency, tax_currency = _t(s[_S_CUR]), _t(s[_S_TAXCUR])
    pay, means_due = _payment(s[_S_PM] or (), w)
    vat_total, tax_cur_total, rows = _tax_totals(s[_S_TAXTOTAL] or (), currency, tax_currency, w)
    money = _monetary(totals, w)
    issue_date = to_date(_t(s[_S_ISSUE]), "IssueDate", w)
    if issue_date is None:
        w.append("the e-invoice has no valid issue date (BT-2, cbc:IssueDate)")
    due = to_date(_t(s[_S_DUE]), "DueDate", w) or means_due
    customization = _t(s[_S_CUST])
    _legacy_warnings(_t(s[_S_UBLV]), customization, w)
    supplier, customer = _party(s[_S_SUPPLIER]), _party(s[_S_CUSTOMER])
    lines, qty_tag = (s[_S_CN_LINE], _CN_QTY) if is_cn else (s[_S_INV_LINE], _INV_QTY)
    lines = tuple([_line(el, qty_tag, w) for el in lines]) if lines else ()
    acs = tuple([_allowance(el, w) for el in s[_S_AC]]) if s[_S_AC] else ()
    credit = is_cn or type_code in CREDIT_TYPE_CODES
    head = (
        DocumentType.CREDIT_NOTE if credit else DocumentType.INVOICE,
        type_code, number, issue_date, due, currency, supplier, customer, vat_total,
        tax_currency, tax_cur_total, _t(s[_S_BUYREF]), _order_ref(s[_S_ORDER]),
        _billing_refs(s[_S_BILLING]), customization, _t(s[_S_PROF]), _notes(s[_S_NOTE]),
        _notes([n for pt in s[_S_PT] for n in pt if n.tag == _NOTE] if s[_S_PT] else None),
        rows, lines, acs, _attachments(s[_S_ADR]), "peppol",
    )  # fmt: skip
    _line_ext, excl, incl, _allowances, _charges, _prepaid, _rounding, payable = money
    iban, _bic, reference, _code = pay
    present = (
        True, number is not None, issue_date is not None, due is not None,
        currency is not None, supplier.name is not None, supplier.vat is not None,
        customer.name is not None, customer.vat is not None, excl is not None,
        vat_total is not None, incl is not None, payable is not None,
        iban is not None, reference is not None, bool(rows), bool(lines),
    )  # fmt: skip
    return _new_invoice(*head, *money, *pay, _evidence_for(present), tuple(w))


@functools.lru_cache(maxsize=256)
def _evidence_for(present: tuple[bool, ...]) -> tuple[tuple[str, Evidence], ...]:
    """Evidence pairs for the SCHEMA fields that have a value (one flag per field)."""
    return tuple(item for item, ok in zip(_EVIDENCE.items(), present, strict=True) if ok)


def _attachments(refs: list[Any] | None) -> tuple[Any, ...]:
    if not refs:
        return ()
    return tuple([a for a in map(_attachment, refs) if a is not None])


def _billing_refs(refs: list[Any] | None) -> tuple[str, ...]:
    """Every non-empty text of BillingReference/InvoiceDocumentReference/ID (all of them)."""
    if not refs:
        return ()
    found = []
    for ref in refs:
        for doc in ref:
            if doc.tag != _INV_DOC_REF:
                continue
            for el in doc:
                if el.tag == _ID:
                    # like XPath text(): the element's own text nodes, before and between children
                    for raw in (el.text, *[c.tail for c in el]):
                        value = clean(raw)
                        if value:
                            found.append(value)
    return tuple(found)


def _legacy_warnings(version: str | None, customization: str | None, w: list[str]) -> None:
    custom = customization or ""
    if version and version.startswith("2.0"):
        w.append(f"legacy UBL {version} document (e-fff era); parsed best-effort")
    elif "UBL.BE" in custom:
        w.append(f"UBL.BE customization {custom!r}, not Peppol BIS 3.0")
    elif not custom.startswith("urn:cen.eu:en16931:2017"):
        w.append(f"CustomizationID {custom[:80]!r} is not an EN 16931 specification; best-effort")


def _notes(notes: list[Any] | None) -> str | None:
    if not notes:
        return None
    texts = [t for t in (clean(n.text) for n in notes) if t]
    return "\n".join(texts) or None


def _order_ref(ref: Any) -> str | None:
    return None if ref is None else _text(ref, _ID)
