"""Mappers for the repeated UBL aggregates (party, payment, tax, lines...).

Each function takes one lxml element (and a warnings list) and returns model values.
Speed notes (see :mod:`peppol.ubl`): every child is visited once and its Clark tag
read once; the first child with a tag wins (like ``find``); model objects are built
with :func:`peppol._ubl_build.maker`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from extractors.model import Party, VatBreakdown
from peppol._ubl_build import maker
from peppol._values import IBAN_SHAPE, clean, to_date, to_decimal
from peppol.ns import cac, cbc

__all__ = [
    "MONEY_FIELDS",
    "decimal_of",
    "first",
    "firsts2",
    "monetary",
    "own_text",
    "party",
    "payment",
    "tax_totals",
    "text",
]

_ID, _NAME, _PERCENT = cbc("ID"), cbc("Name"), cbc("Percent")
_PARTY, _ENDPOINT, _PARTYNAME = cac("Party"), cbc("EndpointID"), cac("PartyName")
_ADDRESS, _LEGAL, _PARTYID = (
    cac("PostalAddress"),
    cac("PartyLegalEntity"),
    cac("PartyIdentification"),
)
_TAX_SCHEME_PARTY, _TAX_SCHEME = cac("PartyTaxScheme"), cac("TaxScheme")
_REGNAME, _COMPANYID = cbc("RegistrationName"), cbc("CompanyID")
_STREET, _CITY, _ZIP = cbc("StreetName"), cbc("CityName"), cbc("PostalZone")
_COUNTRY, _COUNTRYCODE = cac("Country"), cbc("IdentificationCode")
_PM_CODE, _PM_DUE, _PAYMENT_ID = cbc("PaymentMeansCode"), cbc("PaymentDueDate"), cbc("PaymentID")
_INSTRUCTION_ID, _PAYEE_ACCOUNT = cbc("InstructionID"), cac("PayeeFinancialAccount")
_BRANCH, _INSTITUTION = cac("FinancialInstitutionBranch"), cac("FinancialInstitution")
_TAXAMOUNT, _SUBTOTAL, _TAXABLE = cbc("TaxAmount"), cac("TaxSubtotal"), cbc("TaxableAmount")
_TAXCAT, _EXEMPT, _EXEMPT_CODE = (
    cac("TaxCategory"), cbc("TaxExemptionReason"), cbc("TaxExemptionReasonCode"),
)  # fmt: skip

# LegalMonetaryTotal children -> InvoiceData fields, in the order monetary() returns them.
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
MONEY_FIELDS = tuple(_MONEY_TAGS.values())
_MONEY_SLOT = {
    tag: (slot, f"LegalMonetaryTotal/{name}")
    for slot, (tag, name) in enumerate(_MONEY_TAGS.items())
}

_ADDRESS_SLOTS = {_STREET: 0, _CITY: 1, _ZIP: 2, _COUNTRY: 3}
_SUBTOTAL_SLOTS = {_TAXABLE: 0, _TAXAMOUNT: 1, _TAXCAT: 2, _PERCENT: 3}
_CATEGORY_SLOTS = {_ID: 0, _PERCENT: 1, _EXEMPT: 2, _EXEMPT_CODE: 3}
_ZERO = Decimal(0)
_NO_PARTY = Party()
_new_party = maker(
    Party,
    ("name", "trading_name", "vat", "enterprise_number", "endpoint_id", "endpoint_scheme",
     "street", "city", "postal_code", "country"),
)  # fmt: skip
_new_vat = maker(
    VatBreakdown, ("taxable", "vat", "rate", "category", "exemption_reason", "exemption_code")
)


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


def decimal_of(el: Any, what: str, w: list[str]) -> Decimal | None:
    """``to_decimal`` of the text of ``el`` (None for no element)."""
    return None if el is None else to_decimal(el.text, what, w)


def own_text(el: Any) -> str | None:
    """Stripped text of ``el`` itself (None for no element or no text)."""
    if el is None:
        return None
    value = el.text
    return (value.strip() or None) if value else None


def party(wrapper: Any) -> Party:
    """An AccountingSupplierParty / AccountingCustomerParty (or None) -> Party."""
    el = None
    if wrapper is not None:
        for child in wrapper:
            if child.tag == _PARTY:
                el = child
                break
    if el is None:
        return _NO_PARTY
    endpoint = trading = legal = address = vat = id_0208 = None
    for child in el:
        tag = child.tag
        if tag == _ENDPOINT:
            endpoint = child if endpoint is None else endpoint
        elif tag == _PARTYNAME:
            trading = child if trading is None else trading
        elif tag == _ADDRESS:
            address = child if address is None else address
        elif tag == _LEGAL:
            legal = child if legal is None else legal
        elif tag == _TAX_SCHEME_PARTY:
            if vat is None:
                vat = _vat_of(child)
        elif tag == _PARTYID and id_0208 is None:
            id_el = first(child, _ID)
            if id_el is not None and id_el.get("schemeID") == "0208":
                id_0208 = own_text(id_el)
    reg_name = company_id = endpoint_id = scheme = None
    if legal is not None:
        reg_el, id_el = firsts2(legal, _REGNAME, _COMPANYID)
        reg_name, company_id = own_text(reg_el), own_text(id_el)
    if endpoint is not None:
        endpoint_id, scheme = own_text(endpoint), clean(endpoint.get("schemeID"))
    if company_id is None:
        company_id = id_0208
        if company_id is None and scheme == "0208":
            company_id = endpoint_id
    trading_name = text(trading, _NAME)
    return _new_party(
        reg_name or trading_name, trading_name, vat, company_id, endpoint_id, scheme,
        *_address(address),
    )  # fmt: skip


def _address(address: Any) -> tuple[str | None, str | None, str | None, str | None]:
    """PostalAddress -> (street, city, postal code, country code)."""
    if address is None:
        return None, None, None, None
    street, city, postal, country = firsts(address, _ADDRESS_SLOTS)
    return own_text(street), own_text(city), own_text(postal), text(country, _COUNTRYCODE)


def firsts(el: Any, slots: dict[str, int]) -> list[Any]:
    """The first child of each tag in ``slots`` (tag -> position), in one pass."""
    found: list[Any] = [None] * len(slots)
    where = slots.get
    for child in el:
        slot = where(child.tag)
        if slot is not None and found[slot] is None:
            found[slot] = child
    return found


def firsts2(el: Any, tag_a: str, tag_b: str) -> tuple[Any, Any]:
    """:func:`firsts` for two tags given directly (no table to build per call)."""
    a = b = None
    for child in el:
        tag = child.tag
        if tag == tag_a:
            if a is None:
                a = child
        elif tag == tag_b and b is None:
            b = child
    return a, b


def _vat_of(party_tax_scheme: Any) -> str | None:
    """CompanyID of a PartyTaxScheme whose TaxScheme/ID is VAT (any case), else None."""
    company, scheme = firsts2(party_tax_scheme, _COMPANYID, _TAX_SCHEME)
    scheme_id = text(scheme, _ID)
    if scheme_id is None or scheme_id.upper() != "VAT":
        return None
    return own_text(company)


def payment(
    means: Any, w: list[str]
) -> tuple[tuple[str | None, str | None, str | None, str | None], dt.date | None]:
    """All PaymentMeans -> (iban, bic, payment reference, means code), first PaymentDueDate."""
    iban = bic = reference = instruction = code = None
    due: dt.date | None = None
    for pm in means:
        code_el = due_el = ref_el = instr_el = None
        accounts = []
        for child in pm:
            tag = child.tag
            if tag == _PM_CODE:
                code_el = child if code_el is None else code_el
            elif tag == _PAYEE_ACCOUNT:
                accounts.append(child)
            elif tag == _PAYMENT_ID:
                ref_el = child if ref_el is None else ref_el
            elif tag == _PM_DUE:
                due_el = child if due_el is None else due_el
            elif tag == _INSTRUCTION_ID and instr_el is None:
                instr_el = child
        code = code or own_text(code_el)
        if due is None:
            due = to_date(own_text(due_el), "PaymentMeans/PaymentDueDate", w)
        reference = reference or own_text(ref_el)
        instruction = instruction or own_text(instr_el)
        if iban is None:
            iban, bic = _iban_bic(accounts)
    return (iban, bic, reference or instruction, code), due


def _iban_bic(accounts: list[Any]) -> tuple[str | None, str | None]:
    """The first PayeeFinancialAccount whose ID is shaped like an IBAN, with its BIC."""
    for account in accounts:
        raw = text(account, _ID)
        compact = "".join(raw.split()).upper() if raw else ""
        if IBAN_SHAPE.fullmatch(compact):
            return compact, _bic(account)
    return None, None


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
    amount_el = None
    subtotals = []
    for child in main:
        tag = child.tag
        if tag == _SUBTOTAL:
            subtotals.append(child)
        elif tag == _TAXAMOUNT and amount_el is None:
            amount_el = child
    vat_total = decimal_of(amount_el, "TaxTotal/TaxAmount", w)
    return vat_total, tax_cur_total, tuple([_subtotal(st, w) for st in subtotals])


def _subtotal(st: Any, w: list[str]) -> VatBreakdown:
    taxable, amount, category, percent = firsts(st, _SUBTOTAL_SLOTS)
    cat_id = cat_percent = reason = reason_code = None
    if category is not None:
        cat_id, cat_percent, reason, reason_code = firsts(category, _CATEGORY_SLOTS)
    rate = decimal_of(cat_percent, "TaxCategory/Percent", w)
    if rate is None:  # UBL 2.0 puts the rate on the subtotal; category O has none
        rate = decimal_of(percent, "TaxSubtotal/Percent", w)
    return _new_vat(
        decimal_of(taxable, "TaxSubtotal/TaxableAmount", w) or _ZERO,
        decimal_of(amount, "TaxSubtotal/TaxAmount", w) or _ZERO,
        _ZERO if rate is None else rate,
        own_text(cat_id), own_text(reason), own_text(reason_code),
    )  # fmt: skip


def monetary(total: Any, w: list[str]) -> list[Decimal | None]:
    """LegalMonetaryTotal -> its amounts in the order of ``MONEY_FIELDS``."""
    out: list[Decimal | None] = [None] * len(MONEY_FIELDS)
    where = _MONEY_SLOT.get
    for child in total:
        found = where(child.tag)
        if found is not None and out[found[0]] is None:
            out[found[0]] = to_decimal(child.text, found[1], w)
    return out
