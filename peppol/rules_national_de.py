# ruff: noqa: E501  (the two rule tables below keep one rule per line on purpose)
"""Peppol BIS Billing 3.0 German rules (DE-R-*, 2026.5) and PEPPOL-EN16931-P0112.

They apply only when both the seller's and the buyer's postal country is DE (upper-cased,
whitespace-normalised), as in the official schematron; OpenPEPPOL took them over from the
XRechnung CIUS (BR-DE-*).  Written from the official rule texts, not copied.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from extractors.model import Severity
from peppol.rules_base import Ctx, national_rule, norm

__all__ = ["de_iban_ok", "skonto_ok"]

_SUPPLIER = "cac:AccountingSupplierParty/cac:Party"
_CUSTOMER = "cac:AccountingCustomerParty/cac:Party"
_SKONTO = re.compile(
    r"(^|\r?\n)#(SKONTO)#TAGE=([0-9]+#PROZENT=[0-9]+\.[0-9]{2})"
    r"(#BASISBETRAG=-?[0-9]+\.[0-9]{2})?#\Z"
)
_EMAIL = re.compile(r"[^@\s]+@([^@.\s]+\.)+[^@.\s]+")
_URL = re.compile(r"([a-zA-Z])([a-zA-Z0-9+.-])+:.*", re.DOTALL)
_VAT_CODES = {"S", "Z", "E", "AE", "K", "G", "L", "M"}
_TYPE_CODES = {"326", "380", "384", "389", "381", "875", "876", "877"}
_nat = national_rule


def de_iban_ok(value: str | None) -> bool:
    """The DE-R-019/020 IBAN test: shape, then ISO 7064 mod 97 = 1."""
    compact = re.sub(r"\s", "", value or "")
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{0,30}", compact):
        return False
    moved = compact[4:] + compact[:2].upper() + compact[2:4]
    digits = "".join(str(ord(c) - 55) if ord(c) > 64 else str(ord(c) - 48) for c in moved)
    return int(digits) % 97 == 1


def skonto_ok(note: str | None) -> bool:
    """DE-R-018: every line starting with ``#`` is a well-formed SKONTO entry, and the text
    after the last ``#...#`` entry starts with a line break."""
    if not note:
        return True
    tail = re.split(r"#.+#", note)[-1]
    for line in re.split(r"\r?\n", note):
        skonto = norm(line).startswith("#")
        if skonto and (not _SKONTO.search(norm(line)) or not re.match(r"[ \t\r\n]*\n", tail)):
            return False
    return True


def _de(ctx: Ctx) -> bool:
    return ctx.both_german


def _root_rule(rule_id: str, message: str, ok: Callable[[Ctx], bool], warn: bool = False) -> None:
    @_nat(rule_id, message, Severity.WARNING if warn else Severity.FATAL)
    def check(ctx: Ctx) -> Iterator[Any]:
        if _de(ctx) and not ok(ctx):
            yield ctx.root


def _field_rule(rule_id: str, context: str, ok: Callable[[Ctx, Any], bool], message: str) -> None:
    severity = Severity.WARNING if rule_id in _WARNINGS else Severity.FATAL

    @_nat(rule_id, message, severity)
    def check(ctx: Ctx) -> Iterator[Any]:
        if _de(ctx):
            yield from (el for el in ctx.all(context) if not ok(ctx, el))


_WARNINGS = {"DE-R-017", "DE-R-019", "DE-R-020", "DE-R-026", "DE-R-027", "DE-R-028", "DE-R-T02"}
_BOTH = "If both supplier and customer are located in Germany, "


def _filled(field: str) -> Callable[[Ctx, Any], bool]:
    return lambda ctx, el: bool(ctx.text(f"cbc:{field}", el))


def _vat_codes_used(ctx: Ctx) -> bool:
    allowances = (
        "cac:AllowanceCharge[cbc:ChargeIndicator='false']/cac:TaxCategory/cbc:ID"
        if ctx.is_credit_note
        else "cac:AllowanceCharge[cbc:ChargeIndicator='false']/cac:TaxCategory"
        "[cac:TaxScheme/cbc:ID='VAT']/cbc:ID"
    )
    paths = (
        allowances,
        "cac:AllowanceCharge[cbc:ChargeIndicator='true']/cac:TaxCategory/cbc:ID",
        "(cac:InvoiceLine | cac:CreditNoteLine)/cac:Item/cac:ClassifiedTaxCategory/cbc:ID",
    )
    return any((el.text or "") in _VAT_CODES for path in paths for el in ctx.all(path))


def _seller_tax_id(ctx: Ctx) -> bool:
    return ctx.has("cac:TaxRepresentativeParty") or any(
        norm(el.text) for el in ctx.all(f"{_SUPPLIER}/cac:PartyTaxScheme/cbc:CompanyID")
    )


def _unique_filenames(ctx: Ctx) -> bool:
    seen: set[str] = set()
    for ref in ctx.all("cac:AdditionalDocumentReference"):
        names = {
            el.get("filename") or ""
            for el in ctx.all("cac:Attachment/cbc:EmbeddedDocumentBinaryObject[@filename]", ref)
        }
        if names & seen:
            return False
        seen |= names
    return True


_root_rule(
    "DE-R-001",
    _BOTH + 'an invoice shall contain information on "PAYMENT INSTRUCTIONS" (BG-16).',
    lambda c: c.has("cac:PaymentMeans"),
)
_root_rule(
    "DE-R-015",
    _BOTH + 'the element "Buyer reference" (BT-10) shall be provided.',
    lambda c: bool(c.text("cbc:BuyerReference")),
)
_root_rule(
    "DE-R-016",
    _BOTH + "and if one of the VAT codes S, Z, E, AE, K, G, L, or M is used, an invoice shall "
    'contain at least one of the following elements: "Seller VAT identifier" (BT-31) or '
    '"Seller tax registration identifier" (BT-32) or "SELLER TAX REPRESENTATIVE PARTY" (BG-11).',
    lambda c: not _vat_codes_used(c) or _seller_tax_id(c),
)
_root_rule(
    "DE-R-017",
    _BOTH + 'the element "Invoice type code" (BT-3) should only contain the following values '
    "from code list UNTDID 1001: 326, 380, 384, 389, 381, 875, 876, 877.",
    lambda c: bool({c.text("cbc:InvoiceTypeCode"), c.text("cbc:CreditNoteTypeCode")} & _TYPE_CODES),
    warn=True,
)
_root_rule(
    "DE-R-018",
    _BOTH + "information on cash discounts for prompt payment (Skonto) shall be provided within "
    'the element "Payment terms" BT-20 as #SKONTO#TAGE=N#PROZENT=N.NN# lines, each ended by a '
    "line break.",
    lambda c: skonto_ok(c.raw("cac:PaymentTerms/cbc:Note")),
)
_root_rule(
    "DE-R-022",
    _BOTH + 'attached documents provided with an invoice in "ADDITIONAL SUPPORTING DOCUMENTS" '
    '(BG-24) shall have a unique filename within the element "Attached document" (BT-125).',
    _unique_filenames,
)
_root_rule(
    "DE-R-026",
    _BOTH + 'and if "Invoice type code" (BT-3) contains the code 384 (Corrected invoice), '
    '"PRECEDING INVOICE REFERENCE" (BG-3) should be provided at least once.',
    lambda c: (
        "384" not in {c.text("cbc:InvoiceTypeCode"), c.text("cbc:CreditNoteTypeCode")}
        or c.has("cac:BillingReference/cac:InvoiceDocumentReference")
    ),
    warn=True,
)
_root_rule(
    "DE-R-030",
    _BOTH + 'and if the group "DIRECT DEBIT" (BG-19) is delivered, the element "Bank assigned '
    'creditor identifier" (BT-90) shall be provided.',
    lambda c: (
        not c.has("cac:PaymentMeans/cac:PaymentMandate")
        or c.has(
            f"{_SUPPLIER}/cac:PartyIdentification/cbc:ID[@schemeID='SEPA'] | "
            "cac:PayeeParty/cac:PartyIdentification/cbc:ID[@schemeID='SEPA']"
        )
    ),
)
_root_rule(
    "DE-R-031",
    _BOTH + 'and if the group "DIRECT DEBIT" (BG-19) is delivered, the element "Debited account '
    'identifier" (BT-91) shall be provided.',
    lambda c: (
        not c.has("cac:PaymentMeans/cac:PaymentMandate")
        or c.has("cac:PaymentMeans/cac:PaymentMandate/cac:PayerFinancialAccount/cbc:ID")
    ),
)

_CONTACT = f"{_SUPPLIER}/cac:Contact"
_FIELD_RULES: tuple[tuple[str, str, Callable[[Ctx, Any], bool], str], ...] = (
    ("DE-R-T02", "cac:AdditionalDocumentReference/cac:Attachment/cac:ExternalReference", lambda c, e: bool(_URL.match(c.raw("cbc:URI", e) or "")), 'BT-124 "External document location" must contain an absolute URL with valid scheme.'),
    ("DE-R-002", "cac:AccountingSupplierParty", lambda c, e: c.has("cac:Party/cac:Contact", e), 'the group "SELLER CONTACT" (BG-6) shall be provided.'),
    ("DE-R-003", f"{_SUPPLIER}/cac:PostalAddress", _filled("CityName"), 'the element "Seller city" (BT-37) shall be provided.'),
    ("DE-R-004", f"{_SUPPLIER}/cac:PostalAddress", _filled("PostalZone"), 'the element "Seller post code" (BT-38) shall be provided.'),
    ("DE-R-005", _CONTACT, _filled("Name"), 'the element "Seller contact point" (BT-41) shall be provided.'),
    ("DE-R-006", _CONTACT, _filled("Telephone"), 'the element "Seller contact telephone number" (BT-42) shall be provided.'),
    ("DE-R-007", _CONTACT, _filled("ElectronicMail"), 'the element "Seller contact email address" (BT-43) shall be provided.'),
    ("DE-R-027", _CONTACT, lambda c, e: len(re.findall(r"[0-9]", c.text("cbc:Telephone", e) or "")) >= 3, '"Seller contact telephone number" (BT-42) should contain a valid telephone number of 3 digits minimum.'),
    ("DE-R-028", _CONTACT, lambda c, e: bool(_EMAIL.fullmatch(c.text("cbc:ElectronicMail", e) or "")), '"Seller contact email address" (BT-43) should contain exactly one @-sign, framed by at least two characters on each side and not by a whitespace or a dot.'),
    ("DE-R-008", f"{_CUSTOMER}/cac:PostalAddress", _filled("CityName"), 'the element "Buyer city" (BT-52) shall be provided.'),
    ("DE-R-009", f"{_CUSTOMER}/cac:PostalAddress", _filled("PostalZone"), 'the element "Buyer post code" (BT-53) shall be provided.'),
    ("DE-R-010", "cac:Delivery/cac:DeliveryLocation/cac:Address", _filled("CityName"), 'the element "Deliver to city" (BT-77) shall be provided if the group "DELIVER TO ADDRESS" (BG-15) is delivered.'),
    ("DE-R-011", "cac:Delivery/cac:DeliveryLocation/cac:Address", _filled("PostalZone"), 'the element "Deliver to post code" (BT-78) shall be provided if the group "DELIVER TO ADDRESS" (BG-15) is delivered.'),
    ("DE-R-014", "cac:TaxTotal/cac:TaxSubtotal", lambda c, e: bool(c.text("cac:TaxCategory/cbc:Percent", e)), 'the element "VAT category rate" (BT-119) shall be provided.'),
)  # fmt: skip
for _entry in _FIELD_RULES:
    _field_rule(_entry[0], _entry[1], _entry[2], _BOTH + _entry[3])


def _means(codes: str) -> str:
    tests = " or ".join(f"normalize-space(cbc:PaymentMeansCode)='{c}'" for c in codes.split())
    return f"cac:PaymentMeans[{tests}]"


_PAYMENT_RULES: tuple[tuple[str, str, Callable[[Ctx, Any], bool], str], ...] = (
    ("DE-R-019", _means("30 58"), lambda c, e: c.text("cbc:PaymentMeansCode", e) != "58" or de_iban_ok(c.raw("cac:PayeeFinancialAccount/cbc:ID", e)), 'the element "Payment account identifier" (BT-84) should contain a valid IBAN if code 58 SEPA is provided in "Payment means type code" (BT-81).'),
    ("DE-R-023-1", _means("30 58"), lambda c, e: c.has("cac:PayeeFinancialAccount", e), 'if "Payment means type code" (BT-81) contains a code for credit transfer (30, 58), "CREDIT TRANSFER" (BG-17) shall be provided.'),
    ("DE-R-023-2", _means("30 58"), lambda c, e: not c.has("cac:CardAccount | cac:PaymentMandate", e), 'and if "Payment means type code" (BT-81) contains a code for credit transfer (30, 58), BG-18 and BG-19 shall not be provided.'),
    ("DE-R-024-1", _means("48 54 55"), lambda c, e: c.has("cac:CardAccount", e), 'and if "Payment means type code" (BT-81) contains a code for payment card (48, 54, 55), "PAYMENT CARD INFORMATION" (BG-18) shall be provided.'),
    ("DE-R-024-2", _means("48 54 55"), lambda c, e: not c.has("cac:PayeeFinancialAccount | cac:PaymentMandate", e), 'and if "Payment means type code" (BT-81) contains a code for payment card (48, 54, 55), BG-17 and BG-19 shall not be provided.'),
    ("DE-R-020", _means("59"), lambda c, e: de_iban_ok(c.raw("cac:PaymentMandate/cac:PayerFinancialAccount/cbc:ID", e)), 'the element "Debited account identifier" (BT-91) should contain a valid IBAN if code 59 SEPA is provided in "Payment means type code" (BT-81).'),
    ("DE-R-025-1", _means("59"), lambda c, e: c.has("cac:PaymentMandate", e), 'and if "Payment means type code" (BT-81) contains a code for direct debit (59), "DIRECT DEBIT" (BG-19) shall be provided.'),
    ("DE-R-025-2", _means("59"), lambda c, e: not c.has("cac:PayeeFinancialAccount | cac:CardAccount", e), 'and if "Payment means type code" (BT-81) contains a code for direct debit (59), BG-17 and BG-18 shall not be provided.'),
)  # fmt: skip
for _entry in _PAYMENT_RULES:
    _field_rule(_entry[0], _entry[1], _entry[2], _BOTH + _entry[3])


@_nat(
    "PEPPOL-EN16931-P0112",
    "Invoice type code 326 or 384 are only allowed when both buyer and seller are German "
    "organizations",
)
def p0112(ctx: Ctx) -> Iterator[Any]:
    if not ctx.both_german:
        yield from (el for el in ctx.all("cbc:InvoiceTypeCode") if norm(el.text) in {"326", "384"})
