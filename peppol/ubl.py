"""Map a parsed UBL 2.x Invoice / CreditNote tree to :class:`InvoiceData`.

Speed matters here (the budget is twice the bare ``lxml.etree.fromstring``), so the
mapper walks each element's children once and dispatches on the Clark tag instead
of running one XPath per field; the few paths with predicates are precompiled
``etree.XPath`` objects.  Rules follow ``shared/corpus/ubl/SOURCES.md``.
"""

from __future__ import annotations

import functools
from typing import Any

from lxml import etree

from extractors.model import DocumentType, Evidence, InvoiceData, Party
from peppol._ubl_parts import allowance as _allowance
from peppol._ubl_parts import attachment as _attachment
from peppol._ubl_parts import line as _line
from peppol._ubl_parts import monetary as _monetary
from peppol._ubl_parts import party as _party
from peppol._ubl_parts import payment as _payment
from peppol._ubl_parts import tax_totals as _tax_totals
from peppol._ubl_parts import text as _text
from peppol._values import clean, to_date
from peppol.errors import MissingMandatoryField
from peppol.ns import UBL_CREDITNOTE, UBL_NS, cac, cbc

__all__ = ["CREDIT_TYPE_CODES", "map_ubl"]

# Type codes that make a root Invoice a credit note (UNCL 1001 credit codes).
CREDIT_TYPE_CODES = frozenset(
    {"381", "396", "81", "83", "261", "262", "296", "308", "420", "458", "532"}
)

_ID, _ISSUE, _DUE, _NOTE = cbc("ID"), cbc("IssueDate"), cbc("DueDate"), cbc("Note")
_CUST, _PROF, _UBLV = cbc("CustomizationID"), cbc("ProfileID"), cbc("UBLVersionID")
_INV_TC, _CN_TC = cbc("InvoiceTypeCode"), cbc("CreditNoteTypeCode")
_CUR, _TAXCUR, _BUYREF = cbc("DocumentCurrencyCode"), cbc("TaxCurrencyCode"), cbc("BuyerReference")
_ORDER, _BILLING, _ADR = (
    cac("OrderReference"),
    cac("BillingReference"),
    cac("AdditionalDocumentReference"),
)
_SUPPLIER, _CUSTOMER = cac("AccountingSupplierParty"), cac("AccountingCustomerParty")
_PARTY, _PM, _PT = cac("Party"), cac("PaymentMeans"), cac("PaymentTerms")
_AC, _TAXTOTAL, _LMT = cac("AllowanceCharge"), cac("TaxTotal"), cac("LegalMonetaryTotal")
_INV_LINE, _CN_LINE = cac("InvoiceLine"), cac("CreditNoteLine")
_INV_QTY, _CN_QTY = cbc("InvoicedQuantity"), cbc("CreditedQuantity")
_TAXAMOUNT, _SUBTOTAL = cbc("TaxAmount"), cac("TaxSubtotal")

_INV_DOC_REF = etree.XPath(
    "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID/text()", namespaces=UBL_NS
)

_EVIDENCE_FIELDS = (
    "document_type", "invoice_number", "issue_date", "due_date", "currency", "supplier_name",
    "supplier_vat", "customer_name", "customer_vat", "total_excl_vat", "total_vat",
    "total_incl_vat", "payable_amount", "iban", "payment_reference", "vat_breakdown",
    "line_count",
)  # fmt: skip
_EVIDENCE = {name: Evidence(confidence=1.0, rule="ubl") for name in _EVIDENCE_FIELDS}


def _group(el: Any) -> dict[Any, list[Any]]:
    groups: dict[Any, list[Any]] = {}
    for child in el:
        groups.setdefault(child.tag, []).append(child)
    return groups


def _text_of(groups: dict[Any, list[Any]], tag: str) -> str | None:
    found = groups.get(tag)
    return clean(found[0].text) if found else None


def map_ubl(root: Any) -> InvoiceData:
    """Map a UBL Invoice/CreditNote root element (already parsed safely)."""
    w: list[str] = []
    g = _group(root)
    is_cn = root.tag == f"{{{UBL_CREDITNOTE}}}CreditNote"
    number = _text_of(g, _ID)
    totals = g.get(_LMT)
    if number is None:
        raise MissingMandatoryField("the e-invoice has no invoice number (BT-1, cbc:ID)")
    if not totals:
        raise MissingMandatoryField(
            f"e-invoice {number} has no totals (BG-22, cac:LegalMonetaryTotal)"
        )
    type_code = _text_of(g, _CN_TC if is_cn else _INV_TC)
    credit = is_cn or type_code in CREDIT_TYPE_CODES
    currency = _text_of(g, _CUR)
    tax_currency = _text_of(g, _TAXCUR)
    pay, means_due = _payment(g.get(_PM, ()), w)
    vat_total, tax_cur_total, rows = _tax_totals(g.get(_TAXTOTAL, ()), currency, tax_currency, w)
    money = _monetary(totals[0], w)
    line_tag, qty_tag = (_CN_LINE, _CN_QTY) if is_cn else (_INV_LINE, _INV_QTY)
    issue_date = to_date(_text_of(g, _ISSUE), "IssueDate", w)
    if issue_date is None:
        w.append("the e-invoice has no valid issue date (BT-2, cbc:IssueDate)")
    due = to_date(_text_of(g, _DUE), "DueDate", w) or means_due
    _legacy_warnings(g, w)
    supplier, customer = _party(g.get(_SUPPLIER), w), _party(g.get(_CUSTOMER), w)
    data: dict[str, Any] = {
        "document_type": DocumentType.CREDIT_NOTE if credit else DocumentType.INVOICE,
        "type_code": type_code,
        "invoice_number": number,
        "issue_date": issue_date,
        "due_date": due,
        "currency": currency,
        "supplier": supplier,
        "customer": customer,
        "total_vat": vat_total,
        "tax_currency": tax_currency,
        "tax_currency_vat_total": tax_cur_total,
        "buyer_reference": _text_of(g, _BUYREF),
        "order_reference": _order_ref(g.get(_ORDER)),
        "billing_references": _strings(_INV_DOC_REF(root)),
        "customization_id": _text_of(g, _CUST),
        "profile_id": _text_of(g, _PROF),
        "note": _notes(g.get(_NOTE)),
        "payment_terms": _notes([n for pt in g.get(_PT, ()) for n in pt if n.tag == _NOTE]),
        "vat_breakdown": rows,
        "lines": tuple([_line(el, qty_tag, w) for el in g.get(line_tag, ())]),
        "allowances_charges": tuple([_allowance(el, w) for el in g.get(_AC, ())]),
        "attachments": tuple([a for a in map(_attachment, g.get(_ADR, ())) if a is not None]),
        "source": "peppol",
        **money,
        **pay,
    }
    data["evidence"] = _evidence(data, supplier, customer)
    data["warnings"] = tuple(w)
    return InvoiceData(**data)


def _strings(result: Any) -> tuple[str, ...]:
    """Non-empty stripped strings of an XPath text() result."""
    if not isinstance(result, list):
        return ()
    return tuple(v for v in (clean(str(x)) for x in result) if v)


def _evidence(
    data: dict[str, Any], supplier: Party, customer: Party
) -> tuple[tuple[str, Evidence], ...]:
    present = (
        data["document_type"] is not None,
        data["invoice_number"] is not None,
        data["issue_date"] is not None,
        data["due_date"] is not None,
        data["currency"] is not None,
        supplier.name is not None,
        supplier.vat is not None,
        customer.name is not None,
        customer.vat is not None,
        data["total_excl_vat"] is not None,
        data["total_vat"] is not None,
        data["total_incl_vat"] is not None,
        data["payable_amount"] is not None,
        data["iban"] is not None,
        data["payment_reference"] is not None,
        bool(data["vat_breakdown"]),
        bool(data["lines"]),
    )
    return _evidence_for(present)


@functools.lru_cache(maxsize=256)
def _evidence_for(present: tuple[bool, ...]) -> tuple[tuple[str, Evidence], ...]:
    return tuple(item for item, ok in zip(_EVIDENCE.items(), present, strict=True) if ok)


def _legacy_warnings(g: dict[Any, list[Any]], w: list[str]) -> None:
    version = _text_of(g, _UBLV)
    custom = _text_of(g, _CUST) or ""
    if version and version.startswith("2.0"):
        w.append(f"legacy UBL {version} document (e-fff era); parsed best-effort")
    elif "UBL.BE" in custom:
        w.append(f"UBL.BE customization {custom!r}, not Peppol BIS 3.0")
    elif not custom.startswith("urn:cen.eu:en16931:2017"):
        w.append(f"CustomizationID {custom[:80]!r} is not an EN 16931 specification; best-effort")


def _notes(notes: Any) -> str | None:
    if not notes:
        return None
    texts = [t for t in (clean(n.text) for n in notes) if t]
    return "\n".join(texts) or None


def _order_ref(refs: Any) -> str | None:
    return _text(refs[0], _ID) if refs else None
