"""UBL.BE 1.31 (GLOBALUBL.BE) Belgian rules ``ubl-BE-01`` .. ``ubl-BE-15``.

UBL.BE is the Belgian government's CIUS on top of EN 16931: a UBL.BE document carries a
second AdditionalDocumentReference (``UBL.BE``), line-level VAT totals and tax category
names from the Belgian BTCC list.  These rules form their own table (``ublbe``); see
:mod:`peppol.validation` for when boekbox applies it.  Ids and flags follow the official
schematron; the logic is written from its rule texts, not copied.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from extractors.model import Severity
from peppol.rules_base import Ctx, norm, rule

__all__ = ["BELM", "BELM_TEXT", "BTCC", "BVERC", "BVERC_TEXT"]


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


BELM = frozenset(f"BELM-00{n}" for n in range(1, 9))
"""Belgian legal mentions (cac:Delivery/cac:DeliveryTerms/cbc:ID)."""

BELM_TEXT = frozenset(
    {
        "Special ruling - travelagencies",
        "Bijzondere regeling - reisbureaus",
        "Special ruling - used goods",
        "Bijzondere regeling - gebruikte goederen",
        " Special ruling - art objects",  # the official list has this leading space
        "Bijzondere regeling - kunstvoorwerpen",
        "Special ruling - antiques",
        "Bijzondere regeling - antiquiteiten",
        "Small company under exempt from taxes ruling",
        "Kleine onderneming onderworpen aan de vrijstellingsregeling van belasting",
        "Invoice issued by the receiver",
        "Factuur uitgereikt door de afnemer",
        "Copy issued at request from the customer",
        "Dubbel uitgereikt op vraag van de klant",
        "VAT to be refunded to the state to the extent that it was deducted",
        "BTW terug te storten aan de staat in de mate waarin ze oorspronkelijk in aftrek werd "
        "gebracht",
    }
)

BTCC = _codes(
    "00 01 02 03 45 NA FD SC 00/44 03/SE MA 46/GO 47/TO 47/AS 47/DI 47/SE 44 46/TR 47/EX "
    "47/EI 47/EE NS OSS-S OSS-G OSS-I"
)
"""Belgian tax category codes (cac:TaxCategory/cbc:Name)."""

BVERC = frozenset(
    f"BETE-{c}"
    for c in _codes(
        "45 EX FD SC 00/44 03/SE MA 46/GO 47/TO 47/AS 47/DI 47/SE 44 46/TR 47/EX 47/EI 47/EE NS"
    )
)
"""Belgian VAT exemption reason codes (cbc:TaxExemptionReasonCode)."""

BVERC_TEXT = frozenset(
    {
        "Reverse charge - Contractor",
        "Exempt",
        "Financial discount",
        "Small company",
        "0% Clause 44",
        "Standard exchange",
        "Margin",
        "Intra-community supply - Goods",
        "Intra-community supply - Manufacturing cost",
        "Intra-community supply - Assembly",
        "Intra-community supply - Distance",
        "Intra-community supply - Services",
        "Intra-community supply - Services B2B",
        "Intra-community supply - Triangle a-B-c",
        "Export non E.U.",
        "Indirect export",
        "Export via E.U.",
        "Not subject to VAT",
    }
)

_LINES = "//cac:InvoiceLine | //cac:CreditNoteLine"


def _be(rule_id: str, message: str) -> Any:
    return rule(rule_id, message, Severity.FATAL, ruleset="ublbe")


def _decimal(value: str | None) -> Decimal | None:
    try:
        return Decimal(norm(value)) if value is not None and norm(value) else None
    except InvalidOperation:
        return None


@_be("ubl-BE-01", "At least two AdditionalDocumentReference elements must be present.")
def ubl_be_01(ctx: Ctx) -> Iterator[Any]:
    if len(ctx.all("cac:AdditionalDocumentReference")) < 2:
        yield ctx.root


@_be("ubl-BE-02", "cbc:DocumentType : CommercialInvoice or CreditNote must be specified")
def ubl_be_02(ctx: Ctx) -> Iterator[Any]:
    described = ctx.all(
        "//cbc:DocumentDescription[text()='CommercialInvoice' or text()='CreditNote']"
    )
    if len(described) != 1:
        yield from ctx.all("//cac:AdditionalDocumentReference")


@_be("ubl-BE-03", 'At least one element with cbc:ID "UBL.BE" should be present.')
def ubl_be_03(ctx: Ctx) -> Iterator[Any]:
    if len(ctx.all("//cbc:ID[text()='UBL.BE']")) != 1:
        yield from ctx.all("//cac:AdditionalDocumentReference")


@_be("ubl-BE-04", "cbc:DocumentType must be present")
def ubl_be_04(ctx: Ctx) -> Iterator[Any]:
    for el in ctx.all("//cac:AdditionalDocumentReference/cbc:ID"):
        if len(ctx.all("../cbc:DocumentDescription", el)) != 1:
            yield el


@_be("ubl-BE-05", "cac:Delivery/cac:DeliveryTerms/cbc:ID must be in BELM list")
def ubl_be_05(ctx: Ctx) -> Iterator[Any]:
    for terms in ctx.all("//cac:Delivery/cac:DeliveryTerms"):
        if ctx.text("cbc:ID", terms) not in BELM:
            yield terms


@_be("ubl-BE-06", "cac:Delivery/cac:DeliveryTerms/cbc:SpecialTerms must be in BELM Text list")
def ubl_be_06(ctx: Ctx) -> Iterator[Any]:
    for terms in ctx.all("//cac:Delivery/cac:DeliveryTerms"):
        texts = [el.text or "" for el in ctx.all("cbc:SpecialTerms", terms)]
        if not any(t in BELM_TEXT for t in texts):
            yield terms


def _discounted_terms(ctx: Ctx) -> Iterator[tuple[Any, str]]:
    for terms in ctx.all("//cac:PaymentTerms[cbc:SettlementDiscountPercent]"):
        yield terms, ctx.raw("cbc:SettlementDiscountPercent", terms) or ""


@_be("ubl-BE-07", "cbc:SettlementDiscountPercent must be numeric and between 0 and 100")
def ubl_be_07(ctx: Ctx) -> Iterator[Any]:
    for terms, percent in _discounted_terms(ctx):
        value = _decimal(percent)
        if value is None or not 0 < value < 100:
            yield terms


@_be("ubl-BE-08", "cbc:SettlementDiscountPercent Amount must be filled in")
def ubl_be_08(ctx: Ctx) -> Iterator[Any]:
    for terms, _ in _discounted_terms(ctx):
        amount = _decimal(ctx.raw("cbc:Amount", terms))
        if amount is None or amount == 0:
            yield terms


@_be(
    "ubl-BE-09",
    "cbc:PaymentDueDate must be filled in and must be a date must be formatted YYYY-MM-DD.",
)
def ubl_be_09(ctx: Ctx) -> Iterator[Any]:
    for terms, _ in _discounted_terms(ctx):
        due = ctx.raw("cbc:PaymentDueDate", terms) or ""
        try:
            ok = len(due) == 10 and dt.date.fromisoformat(due) is not None
        except ValueError:
            ok = False
        if not ok:
            yield terms


@_be("ubl-BE-14", "Invoice/cac:InvoiceLine/cac:TaxTotal/cbc:TaxAmount is Mandatory.")
def ubl_be_14(ctx: Ctx) -> Iterator[Any]:
    yield from (line for line in ctx.all(_LINES) if len(ctx.all("cac:TaxTotal", line)) != 1)


_CATEGORIES = "//cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory"


@_be("ubl-BE-10", "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Name must be in BTCC list")
def ubl_be_10(ctx: Ctx) -> Iterator[Any]:
    yield from (c for c in ctx.all(_CATEGORIES) if (ctx.text("cbc:Name", c) or "") not in BTCC)


@_be("ubl-BE-11", "cbc:TaxExemptionReasonCode must be in BVERC list")
def ubl_be_11(ctx: Ctx) -> Iterator[Any]:
    for cat in ctx.all(_CATEGORIES):
        code = ctx.text("cbc:TaxExemptionReasonCode", cat)
        if code is not None and code not in BVERC:
            yield cat


@_be("ubl-BE-12", "cbc:TaxExemptionReason must be in BVERCText list")
def ubl_be_12(ctx: Ctx) -> Iterator[Any]:
    for cat in ctx.all(_CATEGORIES):
        reason = ctx.text("cbc:TaxExemptionReason", cat)
        if reason is not None and reason not in BVERC_TEXT:
            yield cat


@_be("ubl-BE-13", "cac:InvoiceLine/cac:TaxTotal/cbc:TaxAmount must be present and numeric")
def ubl_be_13(ctx: Ctx) -> Iterator[Any]:
    for total in ctx.all("//cac:InvoiceLine/cac:TaxTotal | //cac:CreditNoteLine/cac:TaxTotal"):
        amount = ctx.raw("cbc:TaxAmount", total)
        if amount is not None and _decimal(amount) is None:
            yield total


@_be("ubl-BE-15", "cac:ClassifiedTaxCategory/cbc:Name must be present.")
def ubl_be_15(ctx: Ctx) -> Iterator[Any]:
    yield from (
        c for c in ctx.all("//cac:ClassifiedTaxCategory") if len(ctx.all("cbc:Name", c)) != 1
    )
