"""Peppol BIS Billing 3.0 national rules for Sweden and Iceland (2026.5).

Sweden applies when the seller's postal country is SE (most rules also need a VAT number
starting with SE); Iceland when the seller's postal country is IS, some rules only when the
buyer is Icelandic too.  Written from the official rule texts, not copied.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from extractors.model import Severity
from peppol.rules_base import Ctx, national_rule, norm, xnumber

__all__ = ["se_orgnr_luhn"]

_SUPPLIER = "cac:AccountingSupplierParty/cac:Party"
_CUSTOMER = "cac:AccountingCustomerParty/cac:Party"
_RAW_VAT_SCHEME = "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']"
_nat = national_rule
_norm = norm


# -- Sweden ------------------------------------------------------------------------------


def se_orgnr_luhn(value: str) -> bool:
    """The 2026.5 Swedish organisation-number check: digits only, and the tenth digit is the
    Luhn check digit of the first nine (longer values are judged on their first ten)."""
    if not re.fullmatch(r"[0-9]+", value) or len(value) < 10:
        return False
    total = 0
    for i, d in enumerate(reversed(value[:9])):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n // 10 + n % 10
    return (10 - total % 10) % 10 == int(value[9])


def _se_supplier(ctx: Ctx) -> bool:
    """Seller with postal country SE and a VAT number starting with SE."""
    if ctx.supplier_postal != "SE":
        return False
    return any(
        (v or "")[:2] == "SE" for v in _texts(ctx, f"{_SUPPLIER}/{_RAW_VAT_SCHEME}/cbc:CompanyID")
    )


def _texts(ctx: Ctx, path: str) -> list[str]:
    return [el.text or "" for el in ctx.all(path)]


@_nat("SE-R-001", "For Swedish suppliers, Swedish VAT-numbers must consist of 14 characters.")
def se_r001(ctx: Ctx) -> Iterator[Any]:
    if _se_supplier(ctx):
        vat = ctx.text(f"{_RAW_VAT_SCHEME}/cbc:CompanyID", ctx.all(_SUPPLIER)[0]) or ""
        if len(vat) != 14:
            yield ctx.all(_SUPPLIER)[0]


@_nat(
    "SE-R-002",
    "For Swedish suppliers, the Swedish VAT-numbers must have the trailing 12 characters in "
    "numeric form",
)
def se_r002(ctx: Ctx) -> Iterator[Any]:
    if _se_supplier(ctx):
        vat = ctx.raw(f"{_RAW_VAT_SCHEME}/cbc:CompanyID", ctx.all(_SUPPLIER)[0]) or ""
        if xnumber(vat[2:14]) is None:
            yield ctx.all(_SUPPLIER)[0]


def _se_legal_entities(ctx: Ctx) -> list[Any]:
    if ctx.supplier_postal != "SE":
        return []
    return ctx.all(f"{_SUPPLIER}/cac:PartyLegalEntity[cbc:CompanyID]")


@_nat("SE-R-003", "Swedish organisation numbers should be numeric.")
def se_r003(ctx: Ctx) -> Iterator[Any]:
    for entity in _se_legal_entities(ctx):
        if xnumber(ctx.raw("cbc:CompanyID", entity)) is None:
            yield entity


@_nat("SE-R-004", "Swedish organisation numbers consist of 10 characters.")
def se_r004(ctx: Ctx) -> Iterator[Any]:
    for entity in _se_legal_entities(ctx):
        if len(ctx.text("cbc:CompanyID", entity) or "") != 10:
            yield entity


@_nat(
    "SE-R-013",
    "The last digit of a Swedish organization number must be valid according to the Luhn "
    "algorithm.",
)
def se_r013(ctx: Ctx) -> Iterator[Any]:
    for entity in _se_legal_entities(ctx):
        if not se_orgnr_luhn(ctx.text("cbc:CompanyID", entity) or ""):
            yield entity


@_nat(
    "SE-R-005",
    "For Swedish suppliers, when using Seller tax registration identifier, 'Godkänd för "
    "F-skatt' must be stated",
)
def se_r005(ctx: Ctx) -> Iterator[Any]:
    if ctx.supplier_postal != "SE" or not ctx.has(
        f"{_SUPPLIER}/cac:PartyLegalEntity/cbc:CompanyID"
    ):
        return
    for scheme in ctx.all(f"{_SUPPLIER}/cac:PartyTaxScheme"):
        if _norm(ctx.raw("cac:TaxScheme/cbc:ID", scheme)).upper() == "VAT":
            continue
        for el in ctx.all("cbc:CompanyID", scheme):
            if _norm(el.text).upper() != "GODKÄND FÖR F-SKATT":
                yield el


@_nat("SE-R-006", "For Swedish suppliers, only standard VAT rate of 6, 12 or 25 are used")
def se_r006(ctx: Ctx) -> Iterator[Any]:
    if not _se_supplier(ctx):
        return
    for cat in ctx.all("//cac:TaxCategory[cbc:ID='S'] | //cac:ClassifiedTaxCategory[cbc:ID='S']"):
        if xnumber(ctx.raw("cbc:Percent", cat)) not in {25.0, 12.0, 6.0}:
            yield cat


def _se_giro_accounts(ctx: Ctx, branch: str) -> list[Any]:
    if ctx.supplier_postal != "SE":
        return []
    return [
        account
        for pm in ctx.all("cac:PaymentMeans")
        if _norm(ctx.raw("cbc:PaymentMeansCode", pm)) == "30"
        and ctx.text("cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID", pm)
        == branch
        for account in ctx.all("cac:PayeeFinancialAccount/cbc:ID", pm)
    ]


def _giro_rule(rule_id: str, branch: str, message: str, ok: Any) -> None:
    @_nat(rule_id, message, Severity.WARNING)
    def check(ctx: Ctx) -> Iterator[Any]:
        for account in _se_giro_accounts(ctx, branch):
            if not ok(_norm(account.text)):
                yield account


_giro_rule(
    "SE-R-007",
    "SE:PLUSGIRO",
    "For Swedish suppliers using Plusgiro, the Account ID must be numeric ",
    lambda v: xnumber(v) is not None,
)
_giro_rule(
    "SE-R-010",
    "SE:PLUSGIRO",
    "For Swedish suppliers using Plusgiro, the Account ID must have 2-8 characters",
    lambda v: 2 <= len(v) <= 8,
)
_giro_rule(
    "SE-R-008",
    "SE:BANKGIRO",
    "For Swedish suppliers using Bankgiro, the Account ID must be numeric ",
    lambda v: xnumber(v) is not None,
)
_giro_rule(
    "SE-R-009",
    "SE:BANKGIRO",
    "For Swedish suppliers using Bankgiro, the Account ID must have 7-8 characters",
    lambda v: len(v) in {7, 8},
)


@_nat(
    "SE-R-011",
    "For Swedish suppliers using Swedish Bankgiro or Plusgiro, the proper way to indicate this "
    "is to use Code 30 for PaymentMeans and FinancialInstitutionBranch ID with code SE:BANKGIRO "
    "or SE:PLUSGIRO",
    Severity.WARNING,
)
def se_r011(ctx: Ctx) -> Iterator[Any]:
    if ctx.supplier_postal == "SE":
        yield from ctx.all(
            "cac:PaymentMeans[cbc:PaymentMeansCode='50' or cbc:PaymentMeansCode='56']"
        )


@_nat(
    "SE-R-012",
    "For domestic transactions between Swedish trading partners, credit transfer should be "
    'indicated by PaymentMeansCode="30"',
    Severity.WARNING,
)
def se_r012(ctx: Ctx) -> Iterator[Any]:
    if ctx.supplier_postal == "SE" and ctx.customer_postal == "SE":
        yield from ctx.all("cac:PaymentMeans[cbc:PaymentMeansCode='31']")


# -- Iceland -----------------------------------------------------------------------------


def _is(ctx: Ctx) -> bool:
    return ctx.supplier_postal == "IS"


def _is_date(value: str | None) -> bool:
    try:
        return value is not None and len(value) == 10 and dt.date.fromisoformat(value) is not None
    except ValueError:
        return False


@_nat(
    "IS-R-001",
    "If seller is icelandic then invoice type should be 380 or 381",
    Severity.WARNING,
)
def is_r001(ctx: Ctx) -> Iterator[Any]:
    codes = {ctx.text("cbc:InvoiceTypeCode"), ctx.text("cbc:CreditNoteTypeCode")}
    if _is(ctx) and not codes & {"380", "381"}:
        yield ctx.root


def _legal_id_is_0196(ctx: Ctx, party: str) -> bool:
    ids = ctx.all(f"{party}/cac:PartyLegalEntity/cbc:CompanyID")
    return any(el.get("schemeID") == "0196" for el in ids)


@_nat("IS-R-002", "If seller is icelandic then it shall contain sellers legal id")
def is_r002(ctx: Ctx) -> Iterator[Any]:
    if _is(ctx) and not _legal_id_is_0196(ctx, _SUPPLIER):
        yield ctx.root


def _street_and_zip(ctx: Ctx, party: str) -> bool:
    return ctx.has(f"{party}/cac:PostalAddress/cbc:StreetName") and ctx.has(
        f"{party}/cac:PostalAddress/cbc:PostalZone"
    )


@_nat(
    "IS-R-003",
    "If seller is icelandic then it shall contain his address with street name and zip code",
)
def is_r003(ctx: Ctx) -> Iterator[Any]:
    if _is(ctx) and not _street_and_zip(ctx, _SUPPLIER):
        yield ctx.root


def _is_account_rule(rule_id: str, code: str, message: str) -> None:
    @_nat(rule_id, message)
    def check(ctx: Ctx) -> Iterator[Any]:
        if not _is(ctx):
            return
        means = ctx.all(f"cac:PaymentMeans[cbc:PaymentMeansCode='{code}']")
        accounts = ctx.all(
            f"cac:PaymentMeans[cbc:PaymentMeansCode='{code}']/cac:PayeeFinancialAccount/cbc:ID"
        )
        if means and not (accounts and len(_norm(accounts[0].text)) == 12):
            yield ctx.root


_is_account_rule(
    "IS-R-006",
    "9",
    "If seller is icelandic and payment means code is 9 then a 12 digit account id must exist",
)
_is_account_rule(
    "IS-R-007",
    "42",
    "If seller is icelandic and payment means code is 42 then a 12 digit account id must exist",
)

_EINDAGI = "cac:AdditionalDocumentReference[cbc:DocumentDescription='EINDAGI']"


@_nat(
    "IS-R-008",
    "If seller is icelandic and invoice contains supporting description EINDAGI then the id "
    "form must be YYYY-MM-DD",
)
def is_r008(ctx: Ctx) -> Iterator[Any]:
    if _is(ctx) and ctx.has(_EINDAGI) and not _is_date(ctx.raw(f"{_EINDAGI}/cbc:ID")):
        yield ctx.root


@_nat(
    "IS-R-009",
    "If seller is icelandic and invoice contains supporting description EINDAGI invoice must "
    "have due date",
)
def is_r009(ctx: Ctx) -> Iterator[Any]:
    if _is(ctx) and ctx.has(_EINDAGI) and not ctx.has("cbc:DueDate"):
        yield ctx.root


@_nat(
    "IS-R-010",
    "If seller is icelandic and invoice contains supporting description EINDAGI the id date "
    "must be same or later than due date",
)
def is_r010(ctx: Ctx) -> Iterator[Any]:
    if not (_is(ctx) and ctx.has(_EINDAGI)):
        return
    due, eindagi = ctx.raw("cbc:DueDate"), ctx.raw(f"{_EINDAGI}/cbc:ID")
    if due is None or eindagi is None or not due <= eindagi:
        yield ctx.root


@_nat(
    "IS-R-004",
    "If seller and buyer are icelandic then the invoice shall contain the buyers icelandic legal "
    "identifier",
)
def is_r004(ctx: Ctx) -> Iterator[Any]:
    if _is(ctx) and ctx.customer_postal == "IS" and not _legal_id_is_0196(ctx, _CUSTOMER):
        yield from ctx.all("cac:AccountingCustomerParty")


@_nat(
    "IS-R-005",
    "If seller and buyer are icelandic then the invoice shall contain the buyers address with "
    "street name and zip code",
)
def is_r005(ctx: Ctx) -> Iterator[Any]:
    if _is(ctx) and ctx.customer_postal == "IS" and not _street_and_zip(ctx, _CUSTOMER):
        yield from ctx.all("cac:AccountingCustomerParty")
