"""Peppol BIS Billing 3.0 national rules for Norway and Denmark (2026.5).

Each rule applies only when the seller (and for some rules the buyer) is in that country,
decided the way the official schematron decides it: Norway by ``$supplierCountry`` (VAT
prefix first), Denmark by the postal country codes as written.  Ids, flags and messages
follow the 2026.5 rule set; the logic is written from the rule texts, not copied.
Sweden and Iceland are in :mod:`peppol.rules_national_se`, the Netherlands and Italy in
:mod:`peppol.rules_national_eu`, Greece in :mod:`peppol.rules_national_gr`, Germany in
:mod:`peppol.rules_national_de`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from extractors.model import Severity
from peppol.rules_base import Ctx, national_rule, norm, xnumber
from peppol.rules_codes import mod11_ok

__all__: list[str] = []

_SUPPLIER = "cac:AccountingSupplierParty/cac:Party"
_CUSTOMER = "cac:AccountingCustomerParty/cac:Party"
_VAT_SCHEME = "cac:PartyTaxScheme[normalize-space(cac:TaxScheme/cbc:ID)='VAT']"
_nat = national_rule
_norm = norm


# -- Norway ------------------------------------------------------------------------------


def _no(ctx: Ctx) -> list[Any]:
    return ctx.all(_SUPPLIER) if ctx.supplier_country == "NO" else []


@_nat(
    "NO-R-002",
    'For Norwegian suppliers, most invoice issuers are required to append "Foretaksregisteret" '
    "to their invoice.",
    Severity.WARNING,
)
def no_r002(ctx: Ctx) -> Iterator[Any]:
    for party in _no(ctx):
        tax = "cac:PartyTaxScheme[normalize-space(cac:TaxScheme/cbc:ID)='TAX']/cbc:CompanyID"
        if ctx.text(tax, party) != "Foretaksregisteret":
            yield party


@_nat(
    "NO-R-001",
    "For Norwegian suppliers, a VAT number MUST be the country code prefix NO followed by a "
    "valid Norwegian organization number (nine numbers) followed by the letters MVA.",
)
def no_r001(ctx: Ctx) -> Iterator[Any]:
    for party in _no(ctx):
        vat = ctx.raw(f"{_VAT_SCHEME}/cbc:CompanyID", party)
        if vat is None or vat[:2] != "NO":
            continue
        if not (re.fullmatch(r"[0-9]{9}MVA", vat[2:]) and mod11_ok(vat[2:11])):
            yield party


# -- Denmark -----------------------------------------------------------------------------


def _dk(ctx: Ctx) -> bool:
    return ctx.supplier_postal == "DK"


def _dk_dk(ctx: Ctx) -> bool:
    return ctx.supplier_postal == "DK" and ctx.customer_postal == "DK"


def _legal_id_scheme_not_cvr(ctx: Ctx, party: str) -> bool:
    el = ctx.all(f"{party}/cac:PartyLegalEntity/cbc:CompanyID")
    return bool(el) and _norm(el[0].get("schemeID")) != "0184"


@_nat("DK-R-002", "Danish suppliers MUST provide legal entity (CVR-number)")
def dk_r002(ctx: Ctx) -> Iterator[Any]:
    if _dk(ctx) and not ctx.text(f"{_SUPPLIER}/cac:PartyLegalEntity/cbc:CompanyID"):
        yield ctx.root


@_nat(
    "DK-R-014",
    'For Danish Suppliers it is mandatory to specify schemeID as "0184" (DK CVR-number) when '
    "PartyLegalEntity/CompanyID is used for AccountingSupplierParty",
)
def dk_r014(ctx: Ctx) -> Iterator[Any]:
    if _dk(ctx) and _legal_id_scheme_not_cvr(ctx, _SUPPLIER):
        yield ctx.root


@_nat(
    "DK-R-016", "For Danish Suppliers, a Credit note cannot have a negative total (PayableAmount)"
)
def dk_r016(ctx: Ctx) -> Iterator[Any]:
    if _dk(ctx) and ctx.is_credit_note and ctx.customer_postal == "DK":
        payable = xnumber(ctx.raw("cac:LegalMonetaryTotal/cbc:PayableAmount"))
        if payable is not None and payable < 0:
            yield ctx.root


@_nat(
    "DK-R-013",
    "For Danish Suppliers it is mandatory to use schemeID when PartyIdentification/ID is used "
    "for AccountingCustomerParty or AccountingSupplierParty",
)
def dk_r013(ctx: Ctx) -> Iterator[Any]:
    if not _dk_dk(ctx):
        return
    for ident in ctx.all(
        f"{_SUPPLIER}/cac:PartyIdentification | {_CUSTOMER}/cac:PartyIdentification"
    ):
        ids = ctx.all("cbc:ID", ident)
        if ids and _norm(ids[0].get("schemeID")) == "":
            yield ident


@_nat(
    "DK-R-017",
    'For Danish Customers it is mandatory to specify schemeID as "0184" (DK CVR-number) when '
    "PartyLegalEntity/CompanyID is used for AccountingCustomerParty",
)
def dk_r017(ctx: Ctx) -> Iterator[Any]:
    if _dk_dk(ctx) and _legal_id_scheme_not_cvr(ctx, _CUSTOMER):
        yield from ctx.all(_CUSTOMER)


def _dk_payment_means(ctx: Ctx) -> Iterator[tuple[Any, str, str]]:
    """(PaymentMeans, code as written, PaymentID as written) of a DK->DK invoice."""
    if ctx.is_credit_note or not _dk_dk(ctx):
        return
    for pm in ctx.all("cac:PaymentMeans"):
        yield pm, ctx.raw("cbc:PaymentMeansCode", pm) or "", ctx.raw("cbc:PaymentID", pm) or ""


@_nat(
    "DK-R-005",
    "For Danish suppliers the following Payment means codes are allowed: 1, 10, 31, 42, 48, 49, "
    "50, 58, 59, 93 and 97",
)
def dk_r005(ctx: Ctx) -> Iterator[Any]:
    for pm, code, _ in _dk_payment_means(ctx):
        if f" {code} " not in " 1 10 31 42 48 49 50 58 59 93 97 ":
            yield pm


@_nat(
    "DK-R-006",
    "For Danish suppliers bank account and registration account is mandatory if payment means "
    "is 31 or 42",
)
def dk_r006(ctx: Ctx) -> Iterator[Any]:
    for pm, code, _ in _dk_payment_means(ctx):
        account = ctx.text("cac:PayeeFinancialAccount/cbc:ID", pm)
        branch = ctx.text("cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID", pm)
        if code in {"31", "42"} and not (account and branch):
            yield pm


@_nat(
    "DK-R-007",
    "For Danish suppliers PaymentMandate/ID and PayerFinancialAccount/ID are mandatory when "
    "payment means is 49",
)
def dk_r007(ctx: Ctx) -> Iterator[Any]:
    for pm, code, _ in _dk_payment_means(ctx):
        mandate = ctx.text("cac:PaymentMandate/cbc:ID", pm)
        payer = ctx.text("cac:PaymentMandate/cac:PayerFinancialAccount/cbc:ID", pm)
        if code == "49" and not (mandate and payer):
            yield pm


@_nat(
    "DK-R-008",
    "For Danish Suppliers PaymentID is mandatory and MUST start with 01#, 04# or 15# "
    "(kortartkode), and PayeeFinancialAccount/ID (Giro kontonummer) is mandatory and must be 7 "
    "or 8 numerical characters long, when payment means equals 50 (Giro)",
)
def dk_r008(ctx: Ctx) -> Iterator[Any]:
    for pm, code, payment_id in _dk_payment_means(ctx):
        account = ctx.raw("cac:PayeeFinancialAccount/cbc:ID", pm) or ""
        ok = payment_id[:3] in {"01#", "04#", "15#"} and re.fullmatch(r"[0-9]{7,8}", account)
        if code == "50" and not ok:
            yield pm


@_nat(
    "DK-R-009",
    "For Danish Suppliers if the PaymentID is prefixed with 04# or 15# the 16 digits "
    'instruction Id must be added to the PaymentID eg. "04#1234567890123456" when Payment means '
    "equals 50 (Giro)",
)
def dk_r009(ctx: Ctx) -> Iterator[Any]:
    for pm, code, payment_id in _dk_payment_means(ctx):
        if code == "50" and payment_id[:3] in {"04#", "15#"} and len(payment_id) != 19:
            yield pm


@_nat(
    "DK-R-010",
    "For Danish Suppliers using PaymentMeansCode 93, PaymentID is mandatory. The first three "
    "characters of the PaymentID MUST be 71#, 73# or 75# (kortartskode), and "
    "PayeeFinancialAccount/ID MUST be exactly 8 characters long.",
)
def dk_r010(ctx: Ctx) -> Iterator[Any]:
    for pm, code, payment_id in _dk_payment_means(ctx):
        account = ctx.raw("cac:PayeeFinancialAccount/cbc:ID", pm) or ""
        if code == "93" and not (payment_id[:3] in {"71#", "73#", "75#"} and len(account) == 8):
            yield pm


@_nat(
    "DK-R-011",
    "For Danish Suppliers if the PaymentID is prefixed with 71# or 75# the 15-16 digits "
    'instruction Id must be added to the PaymentID eg. "71#1234567890123456" when payment '
    "Method equals 93 (FIK)",
)
def dk_r011(ctx: Ctx) -> Iterator[Any]:
    for pm, code, payment_id in _dk_payment_means(ctx):
        if code == "93" and payment_id[:3] in {"71#", "75#"} and len(payment_id) not in {18, 19}:
            yield pm


_UNSPSC_VERSIONS = {"19.05.01", "19.0501", "26.08.01", "26.0801"}


@_nat(
    "DK-R-003",
    "If ItemClassification is provided from Danish suppliers, UNSPSC version 19.05.01 or "
    "26.08.01 should be used.",
)
def dk_r003(ctx: Ctx) -> Iterator[Any]:
    if not _dk_dk(ctx):
        return
    for line in ctx.all("cac:InvoiceLine | cac:CreditNoteLine"):
        codes = ctx.all("cac:Item/cac:CommodityClassification/cbc:ItemClassificationCode", line)
        tst = any(c.get("listID") == "TST" for c in codes)
        if tst and not any(c.get("listVersionID") in _UNSPSC_VERSIONS for c in codes):
            yield line


def _dk_tax_reason_ok(reason: str | None) -> bool:
    if reason is None:
        return False
    number = xnumber(reason)
    digits = len(_norm(reason)) == 4 and number is not None and 0 <= number <= 9999
    hashed = "#" in reason and not reason.startswith("#") and not reason.endswith("#")
    return digits or hashed


@_nat(
    "DK-R-004",
    "When specifying non-VAT Taxes for Danish customers, Danish suppliers MUST use the "
    'AllowanceChargeReasonCode="ZZZ" and MUST be specified in AllowanceChargeReason; Either as '
    "the 4-digit Tax category or must include a #, but the # is not allowed as first and last "
    "character",
)
def dk_r004(ctx: Ctx) -> Iterator[Any]:
    if not _dk_dk(ctx):
        return
    for ac in ctx.all("//cac:AllowanceCharge[cbc:AllowanceChargeReasonCode='ZZZ']"):
        if not _dk_tax_reason_ok(ctx.raw("cbc:AllowanceChargeReason", ac)):
            yield ac
