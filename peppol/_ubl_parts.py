"""Mappers for the repeated UBL aggregates (party, payment, tax, lines...).

Each function takes one lxml element and a warnings list and returns model values.
Children are walked once and dispatched by Clark tag (see :mod:`peppol.ubl`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from extractors.model import AllowanceCharge, Attachment, InvoiceLine, Party, VatBreakdown
from peppol._values import IBAN_SHAPE, clean, to_date, to_decimal
from peppol.ns import cac, cbc

__all__ = [
    "allowance",
    "attachment",
    "first",
    "line",
    "monetary",
    "party",
    "payment",
    "tax_totals",
    "text",
]

_ID, _NAME, _NOTE = cbc("ID"), cbc("Name"), cbc("Note")
_PARTY, _ENDPOINT, _PARTYNAME = cac("Party"), cbc("EndpointID"), cac("PartyName")
_ADDRESS, _LEGAL, _PARTYID = (
    cac("PostalAddress"),
    cac("PartyLegalEntity"),
    cac("PartyIdentification"),
)
_REGNAME, _COMPANYID = cbc("RegistrationName"), cbc("CompanyID")
_STREET, _CITY, _ZIP = cbc("StreetName"), cbc("CityName"), cbc("PostalZone")
_COUNTRY, _COUNTRYCODE = cac("Country"), cbc("IdentificationCode")
_PM_CODE, _PM_DUE, _PAYMENT_ID = cbc("PaymentMeansCode"), cbc("PaymentDueDate"), cbc("PaymentID")
_INSTRUCTION_ID, _PAYEE_ACCOUNT = cbc("InstructionID"), cac("PayeeFinancialAccount")
_BRANCH, _INSTITUTION = cac("FinancialInstitutionBranch"), cac("FinancialInstitution")
_TAXAMOUNT, _SUBTOTAL, _TAXABLE = cbc("TaxAmount"), cac("TaxSubtotal"), cbc("TaxableAmount")
_PERCENT, _TAXCAT = cbc("Percent"), cac("TaxCategory")
_EXEMPT, _EXEMPT_CODE = cbc("TaxExemptionReason"), cbc("TaxExemptionReasonCode")
_CHARGE_IND, _AMOUNT, _BASE = cbc("ChargeIndicator"), cbc("Amount"), cbc("BaseAmount")
_REASON, _REASON_CODE = cbc("AllowanceChargeReason"), cbc("AllowanceChargeReasonCode")
_LINE_EXT, _ITEM, _PRICE, _PRICE_AMOUNT = (
    cbc("LineExtensionAmount"), cac("Item"), cac("Price"), cbc("PriceAmount"),
)  # fmt: skip
_DESCRIPTION, _CLASSIFIED = cbc("Description"), cac("ClassifiedTaxCategory")
_COMMODITY, _CLASS_CODE = cac("CommodityClassification"), cbc("ItemClassificationCode")
_AC, _ATTACHMENT = cac("AllowanceCharge"), cac("Attachment")
_EMBEDDED, _EXTERNAL, _URI = (
    cbc("EmbeddedDocumentBinaryObject"), cac("ExternalReference"), cbc("URI"),
)  # fmt: skip
_DOC_DESCRIPTION = cbc("DocumentDescription")

_MONEY_TAGS = {
    cbc("LineExtensionAmount"): "line_extension_amount",
    cbc("TaxExclusiveAmount"): "total_excl_vat",
    cbc("TaxInclusiveAmount"): "total_incl_vat",
    cbc("AllowanceTotalAmount"): "allowance_total",
    cbc("ChargeTotalAmount"): "charge_total",
    cbc("PrepaidAmount"): "prepaid_amount",
    cbc("PayableRoundingAmount"): "rounding_amount",
    cbc("PayableAmount"): "payable_amount",
}

_TAX_SCHEME_PARTY, _TAX_SCHEME = cac("PartyTaxScheme"), cac("TaxScheme")
_PARTYID = cac("PartyIdentification")


def first(el: Any, tag: str) -> Any:
    """First child with ``tag`` (a plain loop: cheaper than iterchildren for small parents)."""
    for child in el:
        if child.tag == tag:
            return child
    return None


def text(el: Any, tag: str) -> str | None:
    """Stripped text of the first child with ``tag``, None when absent or empty."""
    if el is None:
        return None
    for child in el:
        if child.tag == tag:
            value = child.text
            return (value.strip() or None) if value else None
    return None


def kids(el: Any) -> dict[Any, Any]:
    """First child per tag, in one pass over the children."""
    found: dict[Any, Any] = {}
    for child in el:
        tag = child.tag
        if tag not in found:
            found[tag] = child
    return found


def _ktext(k: dict[Any, Any], tag: str) -> str | None:
    el = k.get(tag)
    if el is None:
        return None
    value = el.text
    return (value.strip() or None) if value else None


def party(wrappers: Any, w: list[str]) -> Party:
    """AccountingSupplierParty / AccountingCustomerParty -> Party."""
    el = first(wrappers[0], _PARTY) if wrappers else None
    if el is None:
        return Party()
    k: dict[Any, Any] = {}
    vat = id_0208 = None
    for child in el:
        tag = child.tag
        if tag == _TAX_SCHEME_PARTY:
            if vat is None and _is_vat_scheme(child):
                vat = text(child, _COMPANYID)
        elif tag == _PARTYID:
            if id_0208 is None:
                id_el = first(child, _ID)
                if id_el is not None and id_el.get("schemeID") == "0208":
                    id_0208 = clean(id_el.text)
        elif tag not in k:
            k[tag] = child
    endpoint = k.get(_ENDPOINT)
    scheme = None if endpoint is None else clean(endpoint.get("schemeID"))
    trading = text(k.get(_PARTYNAME), _NAME)
    legal = k.get(_LEGAL)
    reg_name, company_id = text(legal, _REGNAME), text(legal, _COMPANYID)
    if company_id is None:
        company_id = id_0208
    if company_id is None and endpoint is not None and scheme == "0208":
        company_id = clean(endpoint.text)
    address = k.get(_ADDRESS)
    a = {} if address is None else kids(address)
    return Party(
        name=reg_name or trading,
        trading_name=trading,
        vat=vat,
        enterprise_number=company_id,
        endpoint_id=None if endpoint is None else clean(endpoint.text),
        endpoint_scheme=scheme,
        street=_ktext(a, _STREET),
        city=_ktext(a, _CITY),
        postal_code=_ktext(a, _ZIP),
        country=text(a.get(_COUNTRY), _COUNTRYCODE),
    )


def _is_vat_scheme(party_tax_scheme: Any) -> bool:
    scheme_id = text(first(party_tax_scheme, _TAX_SCHEME), _ID)
    return scheme_id is not None and scheme_id.upper() == "VAT"


def payment(means: Any, w: list[str]) -> tuple[dict[str, Any], dt.date | None]:
    """All PaymentMeans -> iban/bic/reference/code, plus the first PaymentDueDate."""
    iban = bic = reference = instruction = code = None
    due: dt.date | None = None
    for pm in means:
        k = kids(pm)
        code = code or _ktext(k, _PM_CODE)
        if due is None:
            due = to_date(_ktext(k, _PM_DUE), "PaymentMeans/PaymentDueDate", w)
        reference = reference or _ktext(k, _PAYMENT_ID)
        instruction = instruction or _ktext(k, _INSTRUCTION_ID)
        if iban is None:
            for account in pm:
                if account.tag != _PAYEE_ACCOUNT:
                    continue
                raw = text(account, _ID)
                compact = "".join(raw.split()).upper() if raw else ""
                if IBAN_SHAPE.fullmatch(compact):
                    iban, bic = compact, _bic(account)
                    break
    info = {
        "iban": iban,
        "bic": bic,
        "payment_reference": reference or instruction,
        "payment_means_code": code,
    }
    return info, due


def _bic(account: Any) -> str | None:
    branch = first(account, _BRANCH)
    if branch is None:
        return None
    found = text(branch, _ID)  # UBL 2.1 / Peppol
    if found is None:  # UBL 2.0
        found = text(first(branch, _INSTITUTION), _ID)
    return found


def tax_totals(
    totals: Any, currency: str | None, tax_currency: str | None, w: list[str]
) -> tuple[Decimal | None, Decimal | None, tuple[VatBreakdown, ...]]:
    """Root TaxTotals -> (BT-110, BT-111, breakdown of the document-currency total)."""
    main = None
    tax_cur_total = None
    for tt in totals:
        amount_el = first(tt, _TAXAMOUNT)
        cur = None if amount_el is None else amount_el.get("currencyID", "").strip()
        if tax_currency and cur == tax_currency and tax_currency != currency:
            tax_cur_total = to_decimal(amount_el.text, "TaxTotal (tax currency)", w)
        elif main is None and (cur == currency or not cur or currency is None):
            main = tt
    if main is None and totals:
        main = next((tt for tt in totals if first(tt, _SUBTOTAL) is not None), totals[0])
    if main is None:
        return None, tax_cur_total, ()
    vat_total = to_decimal(text(main, _TAXAMOUNT), "TaxTotal/TaxAmount", w)
    rows = tuple([_subtotal(st, w) for st in main if st.tag == _SUBTOTAL])
    return vat_total, tax_cur_total, rows


def _subtotal(st: Any, w: list[str]) -> VatBreakdown:
    k = kids(st)
    category = k.get(_TAXCAT)
    c = {} if category is None else kids(category)
    rate = to_decimal(_ktext(c, _PERCENT), "TaxCategory/Percent", w)
    if rate is None:  # UBL 2.0 puts the rate on the subtotal; category O has none
        rate = to_decimal(_ktext(k, _PERCENT), "TaxSubtotal/Percent", w)
    return VatBreakdown(
        taxable=to_decimal(_ktext(k, _TAXABLE), "TaxSubtotal/TaxableAmount", w) or Decimal(0),
        vat=to_decimal(_ktext(k, _TAXAMOUNT), "TaxSubtotal/TaxAmount", w) or Decimal(0),
        rate=Decimal(0) if rate is None else rate,
        category=_ktext(c, _ID),
        exemption_reason=_ktext(c, _EXEMPT),
        exemption_code=_ktext(c, _EXEMPT_CODE),
    )


def monetary(total: Any, w: list[str]) -> dict[str, Decimal | None]:
    out: dict[str, Decimal | None] = dict.fromkeys(_MONEY_TAGS.values())
    for child in total:
        name = _MONEY_TAGS.get(child.tag)
        if name is not None and out[name] is None:
            out[name] = to_decimal(child.text, f"LegalMonetaryTotal/{name}", w)
    return out


def line(el: Any, qty_tag: str, w: list[str]) -> InvoiceLine:
    line_id = net = quantity = unit = price = None
    item = None
    acs: list[AllowanceCharge] = []
    for child in el:
        tag = child.tag
        if tag == _ID:
            line_id = clean(child.text)
        elif tag == qty_tag:
            quantity = to_decimal(child.text, "line quantity", w)
            unit = clean(child.get("unitCode"))
        elif tag == _LINE_EXT:
            net = to_decimal(child.text, "line net amount", w)
        elif tag == _ITEM:
            item = child
        elif tag == _PRICE:
            price = to_decimal(text(child, _PRICE_AMOUNT), "line price", w)
        elif tag == _AC:
            acs.append(allowance(child, w))
    name = description = category = rate = None
    classes: list[str] = []
    if item is not None:
        for child in item:
            tag = child.tag
            if tag == _NAME:
                name = clean(child.text)
            elif tag == _DESCRIPTION and description is None:
                description = clean(child.text)
            elif tag == _CLASSIFIED:
                category = text(child, _ID)
                rate = to_decimal(text(child, _PERCENT), "line VAT rate", w)
            elif tag == _COMMODITY:
                code = text(child, _CLASS_CODE)
                if code:
                    classes.append(code)
    if net is None:
        w.append(f"line {line_id}: no net amount (LineExtensionAmount); 0 assumed")
    return InvoiceLine(
        net=Decimal(0) if net is None else net,
        description=name or description or "",
        id=line_id,
        quantity=quantity,
        unit=unit,
        unit_price=price,
        vat_category=category,
        vat_rate=rate,
        item_classification=tuple(classes),
        allowances_charges=tuple(acs),
    )


def allowance(el: Any, w: list[str]) -> AllowanceCharge:
    is_charge = False
    amount = base = rate = None
    reason = reason_code = category = None
    for child in el:
        tag = child.tag
        if tag == _CHARGE_IND:
            is_charge = (child.text or "").strip().lower() == "true"
        elif tag == _AMOUNT:
            amount = to_decimal(child.text, "AllowanceCharge/Amount", w)
        elif tag == _BASE:
            base = to_decimal(child.text, "AllowanceCharge/BaseAmount", w)
        elif tag == _REASON:
            reason = clean(child.text)
        elif tag == _REASON_CODE:
            reason_code = clean(child.text)
        elif tag == _TAXCAT:
            category = text(child, _ID)
            rate = to_decimal(text(child, _PERCENT), "AllowanceCharge VAT rate", w)
    return AllowanceCharge(
        is_charge=is_charge,
        amount=Decimal(0) if amount is None else amount,
        reason=reason,
        reason_code=reason_code,
        vat_category=category,
        vat_rate=rate,
        base_amount=base,
    )


def attachment(ref: Any) -> Attachment | None:
    """AdditionalDocumentReference with an Attachment; kept base64, decoded lazily."""
    att = first(ref, _ATTACHMENT)
    if att is None:
        return None
    embedded = first(att, _EMBEDDED)
    external = first(att, _EXTERNAL)
    return Attachment(
        filename=None if embedded is None else clean(embedded.get("filename")),
        mime_code=None if embedded is None else clean(embedded.get("mimeCode")),
        data_base64="" if embedded is None else (embedded.text or ""),
        id=text(ref, _ID),
        description=text(ref, _DOC_DESCRIPTION),
        external_uri=None if external is None else text(external, _URI),
    )
