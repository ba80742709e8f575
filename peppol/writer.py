"""Write Peppol BIS Billing 3.0 UBL (Invoice or CreditNote) from InvoiceData.

For sales invoices: the inverse of :func:`peppol.parse_invoice_xml` for every field it
reads.  Totals that are None are computed from the lines (and the VAT breakdown from
the lines' categories and rates); values that are present are written as given, so a
round trip keeps them.  Elements follow the UBL 2.1 sequence; empty values are
omitted (Peppol forbids empty elements).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from lxml import etree

from extractors.model import AllowanceCharge, DocumentType, InvoiceData, InvoiceLine
from peppol._writer_parts import E, add_party, add_text, amount
from peppol.ns import CAC, CBC, UBL_CREDITNOTE, UBL_INVOICE

__all__ = ["PEPPOL_CUSTOMIZATION", "PEPPOL_PROFILE", "write_ubl"]

PEPPOL_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PEPPOL_PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
_CENT = Decimal("0.01")


def write_ubl(
    invoice: InvoiceData,
    *,
    delivery_date: dt.date | None = None,
    delivery_country: str | None = None,
) -> bytes:
    """Serialise ``invoice`` as a Peppol BIS 3.0 Invoice or CreditNote (UTF-8 bytes).

    ``delivery_date`` (BT-72) and ``delivery_country`` (BT-80) write a Delivery group;
    an intra-Community supply needs both (BR-IC-11, BR-IC-12).
    """
    credit = invoice.document_type is DocumentType.CREDIT_NOTE
    ns = UBL_CREDITNOTE if credit else UBL_INVOICE
    root = etree.Element(
        f"{{{ns}}}{'CreditNote' if credit else 'Invoice'}",
        nsmap={None: ns, "cac": CAC, "cbc": CBC},  # type: ignore[dict-item]
    )
    cur = invoice.currency or "EUR"
    totals = _totals(invoice)
    _header(root, invoice, credit)
    for att in invoice.attachments:
        _attachment(root, att)
    add_party(root, "AccountingSupplierParty", invoice.supplier)
    add_party(root, "AccountingCustomerParty", invoice.customer)
    if delivery_date is not None or delivery_country:
        delivery = E(root, "cac", "Delivery")
        add_text(delivery, "ActualDeliveryDate", _iso(delivery_date))
        if delivery_country:
            place = E(E(delivery, "cac", "DeliveryLocation"), "cac", "Address")
            add_text(E(place, "cac", "Country"), "IdentificationCode", delivery_country)
    _payment(root, invoice, credit)
    if invoice.payment_terms:
        add_text(E(root, "cac", "PaymentTerms"), "Note", invoice.payment_terms)
    for ac in invoice.allowances_charges:
        _allowance(root, ac, cur)
    _tax_totals(root, invoice, totals, cur)
    _monetary(root, invoice, totals, cur)
    qty_tag = "CreditedQuantity" if credit else "InvoicedQuantity"
    for index, line in enumerate(invoice.lines, start=1):
        _line(root, line, index, qty_tag, "CreditNoteLine" if credit else "InvoiceLine", cur)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _header(root: Any, inv: InvoiceData, credit: bool) -> None:
    add_text(root, "CustomizationID", inv.customization_id or PEPPOL_CUSTOMIZATION)
    add_text(root, "ProfileID", inv.profile_id or PEPPOL_PROFILE)
    add_text(root, "ID", inv.invoice_number)
    add_text(root, "IssueDate", _iso(inv.issue_date))
    if not credit:
        add_text(root, "DueDate", _iso(inv.due_date))
    code = inv.type_code or ("381" if credit else "380")
    add_text(root, "CreditNoteTypeCode" if credit else "InvoiceTypeCode", code)
    add_text(root, "Note", inv.note)
    add_text(root, "DocumentCurrencyCode", inv.currency or "EUR")
    add_text(root, "TaxCurrencyCode", inv.tax_currency)
    reference = inv.buyer_reference
    if reference is None and inv.order_reference is None:
        reference = inv.invoice_number  # Peppol R003 needs one of the two references
    add_text(root, "BuyerReference", reference)
    if inv.order_reference:
        add_text(E(root, "cac", "OrderReference"), "ID", inv.order_reference)
    for ref in inv.billing_references:
        billing = E(E(root, "cac", "BillingReference"), "cac", "InvoiceDocumentReference")
        add_text(billing, "ID", ref)


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _attachment(root: Any, att: Any) -> None:
    ref = E(root, "cac", "AdditionalDocumentReference")
    add_text(ref, "ID", att.id or att.filename or "attachment")
    add_text(ref, "DocumentDescription", att.description)
    if not att.data_base64 and not att.external_uri:
        return
    holder = E(ref, "cac", "Attachment")
    if att.data_base64:
        binary = E(holder, "cbc", "EmbeddedDocumentBinaryObject", att.data_base64)
        binary.set("mimeCode", att.mime_code or "application/pdf")
        binary.set("filename", att.filename or "attachment")
    if att.external_uri:
        add_text(E(holder, "cac", "ExternalReference"), "URI", att.external_uri)


def _payment(root: Any, inv: InvoiceData, credit: bool) -> None:
    due_here = credit and inv.due_date is not None
    if not (inv.iban or inv.payment_reference or inv.payment_means_code or due_here):
        return
    means = E(root, "cac", "PaymentMeans")
    add_text(means, "PaymentMeansCode", inv.payment_means_code or ("30" if inv.iban else "1"))
    if due_here and inv.due_date is not None:
        add_text(means, "PaymentDueDate", inv.due_date.isoformat())
    add_text(means, "PaymentID", inv.payment_reference)
    if inv.iban:
        account = E(means, "cac", "PayeeFinancialAccount")
        add_text(account, "ID", inv.iban)
        if inv.bic:
            add_text(E(account, "cac", "FinancialInstitutionBranch"), "ID", inv.bic)


def _allowance(parent: Any, ac: AllowanceCharge, cur: str, *, tax: bool = True) -> None:
    el = E(parent, "cac", "AllowanceCharge")
    add_text(el, "ChargeIndicator", "true" if ac.is_charge else "false")
    add_text(el, "AllowanceChargeReasonCode", ac.reason_code)
    add_text(el, "AllowanceChargeReason", ac.reason)
    amount(el, "Amount", ac.amount, cur)
    if ac.base_amount is not None and ac.amount and ac.base_amount:
        el.insert(len(el) - 1, _factor(ac))
        amount(el, "BaseAmount", ac.base_amount, cur)
    if tax and ac.vat_category:
        _category(el, "TaxCategory", ac.vat_category, ac.vat_rate)


def _factor(ac: AllowanceCharge) -> Any:
    assert ac.base_amount is not None
    factor = (ac.amount * 100 / ac.base_amount).quantize(Decimal("0.0001"))
    el = etree.Element(f"{{{CBC}}}MultiplierFactorNumeric")
    el.text = format(factor.normalize(), "f")
    return el


def _category(
    parent: Any,
    tag: str,
    category: str,
    rate: Decimal | None,
    reason: str | None = None,
    code: str | None = None,
) -> None:
    el = E(parent, "cac", tag)
    add_text(el, "ID", category)
    if category != "O":
        add_text(el, "Percent", format(rate if rate is not None else Decimal(0), "f"))
    add_text(el, "TaxExemptionReasonCode", code)
    add_text(el, "TaxExemptionReason", reason)
    add_text(E(el, "cac", "TaxScheme"), "ID", "VAT")


def _totals(inv: InvoiceData) -> dict[str, Any]:
    line_ext = inv.line_extension_amount
    if line_ext is None:
        line_ext = sum((ln.net for ln in inv.lines), Decimal(0))
    allowances = sum((a.amount for a in inv.allowances_charges if not a.is_charge), Decimal(0))
    charges = sum((a.amount for a in inv.allowances_charges if a.is_charge), Decimal(0))
    rows = inv.vat_breakdown or _breakdown(inv)
    vat = inv.total_vat
    if vat is None:
        vat = sum((r.vat for r in rows), Decimal(0))
    excl = inv.total_excl_vat if inv.total_excl_vat is not None else line_ext - allowances + charges
    incl = inv.total_incl_vat if inv.total_incl_vat is not None else excl + vat
    payable = inv.payable_amount
    if payable is None:
        payable = incl - (inv.prepaid_amount or 0) + (inv.rounding_amount or 0)
    has_ac = bool(inv.allowances_charges)
    return {
        "line_ext": line_ext,
        "excl": excl,
        "incl": incl,
        "vat": vat,
        "rows": rows,
        "payable": payable,
        "allowances": _given(inv.allowance_total, allowances if has_ac else None),
        "charges": _given(inv.charge_total, charges if has_ac else None),
    }


def _given(value: Decimal | None, fallback: Decimal | None) -> Decimal | None:
    return fallback if value is None else value


def _breakdown(inv: InvoiceData) -> tuple[Any, ...]:
    from extractors.model import VatBreakdown

    taxable: dict[tuple[str, Decimal], Decimal] = defaultdict(Decimal)
    for ln in inv.lines:
        taxable[(ln.vat_category or "S", ln.vat_rate or Decimal(0))] += ln.net
    for ac in inv.allowances_charges:
        key = (ac.vat_category or "S", ac.vat_rate or Decimal(0))
        taxable[key] += ac.amount if ac.is_charge else -ac.amount
    return tuple(
        VatBreakdown(
            taxable=base,
            vat=(base * rate / 100).quantize(_CENT, ROUND_HALF_UP),
            rate=rate,
            category=category,
        )
        for (category, rate), base in taxable.items()
    )


def _tax_totals(root: Any, inv: InvoiceData, totals: dict[str, Any], cur: str) -> None:
    total = E(root, "cac", "TaxTotal")
    amount(total, "TaxAmount", totals["vat"], cur)
    for row in totals["rows"]:
        sub = E(total, "cac", "TaxSubtotal")
        amount(sub, "TaxableAmount", row.taxable, cur)
        amount(sub, "TaxAmount", row.vat, cur)
        category = row.category or "S"
        _category(sub, "TaxCategory", category, row.rate, row.exemption_reason, row.exemption_code)
    if inv.tax_currency and inv.tax_currency != cur and inv.tax_currency_vat_total is not None:
        amount(
            E(root, "cac", "TaxTotal"), "TaxAmount", inv.tax_currency_vat_total, inv.tax_currency
        )


def _monetary(root: Any, inv: InvoiceData, totals: dict[str, Any], cur: str) -> None:
    lmt = E(root, "cac", "LegalMonetaryTotal")
    amount(lmt, "LineExtensionAmount", totals["line_ext"], cur)
    amount(lmt, "TaxExclusiveAmount", totals["excl"], cur)
    amount(lmt, "TaxInclusiveAmount", totals["incl"], cur)
    amount(lmt, "AllowanceTotalAmount", totals["allowances"], cur)
    amount(lmt, "ChargeTotalAmount", totals["charges"], cur)
    amount(lmt, "PrepaidAmount", inv.prepaid_amount, cur)
    amount(lmt, "PayableRoundingAmount", inv.rounding_amount, cur)
    amount(lmt, "PayableAmount", totals["payable"], cur)


def _line(root: Any, ln: InvoiceLine, index: int, qty_tag: str, tag: str, cur: str) -> None:
    el = E(root, "cac", tag)
    add_text(el, "ID", ln.id or str(index))
    quantity = ln.quantity if ln.quantity is not None else Decimal(1)
    qty = E(el, "cbc", qty_tag, format(quantity, "f"))
    qty.set("unitCode", ln.unit or "C62")
    amount(el, "LineExtensionAmount", ln.net, cur)
    for ac in ln.allowances_charges:
        _allowance(el, ac, cur, tax=False)
    item = E(el, "cac", "Item")
    add_text(item, "Name", ln.description or f"line {index}")
    for code in ln.item_classification:
        E(E(item, "cac", "CommodityClassification"), "cbc", "ItemClassificationCode", code).set(
            "listID", "STI"
        )
    _category(item, "ClassifiedTaxCategory", ln.vat_category or "S", ln.vat_rate)
    price = ln.unit_price
    if price is None:
        price = ln.net / quantity if quantity else ln.net
    amount(E(el, "cac", "Price"), "PriceAmount", price, cur)
