"""Peppol BIS Billing 3.0 transaction rules (PEPPOL-EN16931-Rxxx) as small functions.

Each function mirrors one assertion of the OpenPEPPOL schematron for UBL and yields
the element(s) where it fails.  Ids, severities and messages follow the official
rule set; the logic is written from the rule text, not copied.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from peppol.ns import cbc
from peppol.rules_base import Ctx, dec, rule
from peppol.rules_codes import AMOUNT_TAGS

__all__: list[str] = []

_PEPPOL_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
_ALL_AC = "cac:AllowanceCharge | (cac:InvoiceLine | cac:CreditNoteLine)/cac:AllowanceCharge"
_LINES = "cac:InvoiceLine | cac:CreditNoteLine"


@rule("PEPPOL-EN16931-R001", "Business process MUST be provided.")
def r001(ctx: Ctx) -> Iterator[Any]:
    if not ctx.has("cbc:ProfileID"):
        yield ctx.root


@rule(
    "PEPPOL-EN16931-R002",
    "No more than one note is allowed on document level, unless both the buyer and seller are "
    "German organizations.",
)
def r002(ctx: Ctx) -> Iterator[Any]:
    if len(ctx.all("cbc:Note")) > 1 and not ctx.both_german:
        yield ctx.root


@rule("PEPPOL-EN16931-R003", "A buyer reference or purchase order reference MUST be provided.")
def r003(ctx: Ctx) -> Iterator[Any]:
    if not ctx.has("cbc:BuyerReference | cac:OrderReference/cbc:ID"):
        yield ctx.root


@rule(
    "PEPPOL-EN16931-R004",
    f"Specification identifier MUST begin with the value '{_PEPPOL_CUSTOMIZATION}' and follow "
    "the format rules for the identifier.",
)
def r004(ctx: Ctx) -> Iterator[Any]:
    value = ctx.text("cbc:CustomizationID") or ""
    if not value.startswith(_PEPPOL_CUSTOMIZATION) or "::" in value:
        yield ctx.root


@rule(
    "PEPPOL-EN16931-R005",
    "VAT accounting currency code MUST be different from invoice currency code when provided.",
)
def r005(ctx: Ctx) -> Iterator[Any]:
    if ctx.tax_currency is not None and ctx.tax_currency == ctx.currency:
        yield from ctx.all("cbc:TaxCurrencyCode")


@rule(
    "PEPPOL-EN16931-R007",
    "Business process MUST have an approved identifier.",
)
def r007(ctx: Ctx) -> Iterator[Any]:
    if ctx.profile == "Unknown":
        yield ctx.root


@rule("PEPPOL-EN16931-R008", "Document MUST not contain empty elements.")
def r008(ctx: Ctx) -> Iterator[Any]:
    yield from ctx.all("//*[not(*) and not(normalize-space())]")


@rule("PEPPOL-EN16931-R010", "Buyer electronic address MUST be provided")
def r010(ctx: Ctx) -> Iterator[Any]:
    yield from ctx.all("cac:AccountingCustomerParty/cac:Party[not(cbc:EndpointID)]")


@rule("PEPPOL-EN16931-R020", "Seller electronic address MUST be provided")
def r020(ctx: Ctx) -> Iterator[Any]:
    yield from ctx.all("cac:AccountingSupplierParty/cac:Party[not(cbc:EndpointID)]")


@rule(
    "PEPPOL-EN16931-R040",
    "Allowance/charge amount must equal base amount * percentage/100 if base amount and "
    "percentage exists",
)
def r040(ctx: Ctx) -> Iterator[Any]:
    for ac in ctx.all(_ALL_AC):
        base = dec(ctx.text("cbc:BaseAmount", ac))
        pct = dec(ctx.text("cbc:MultiplierFactorNumeric", ac))
        if base is None or pct is None:
            continue
        amount = dec(ctx.text("cbc:Amount", ac)) or Decimal(0)
        if abs(amount - base * pct / 100) > Decimal("0.02"):
            yield ac


@rule(
    "PEPPOL-EN16931-R041",
    "Allowance/charge base amount MUST be provided when allowance/charge percentage is provided.",
)
def r041(ctx: Ctx) -> Iterator[Any]:
    for ac in ctx.all(_ALL_AC):
        if ctx.has("cbc:MultiplierFactorNumeric", ac) and not ctx.has("cbc:BaseAmount", ac):
            yield ac


@rule(
    "PEPPOL-EN16931-R042",
    "Allowance/charge percentage MUST be provided when allowance/charge base amount is provided.",
)
def r042(ctx: Ctx) -> Iterator[Any]:
    for ac in ctx.all(_ALL_AC):
        if ctx.has("cbc:BaseAmount", ac) and not ctx.has("cbc:MultiplierFactorNumeric", ac):
            yield ac


@rule("PEPPOL-EN16931-R043", "Allowance/charge ChargeIndicator value MUST equal 'true' or 'false'")
def r043(ctx: Ctx) -> Iterator[Any]:
    for ac in ctx.all(_ALL_AC):
        if ctx.text("cbc:ChargeIndicator", ac) not in {"true", "false"}:
            yield ac


@rule(
    "PEPPOL-EN16931-R044",
    "Charge on price level is NOT allowed. Only value 'false' allowed.",
)
def r044(ctx: Ctx) -> Iterator[Any]:
    for ac in ctx.all("//cac:Price/cac:AllowanceCharge"):
        if ctx.text("cbc:ChargeIndicator", ac) != "false":
            yield ac


@rule(
    "PEPPOL-EN16931-R046",
    "Item net price MUST equal (Gross price - Allowance amount) when gross price is provided.",
)
def r046(ctx: Ctx) -> Iterator[Any]:
    for ac in ctx.all("//cac:Price/cac:AllowanceCharge[cbc:BaseAmount]"):
        price = dec(ctx.text("../cbc:PriceAmount", ac))
        base, amount = dec(ctx.text("cbc:BaseAmount", ac)), dec(ctx.text("cbc:Amount", ac))
        if price is None or base is None or amount is None or price != base - amount:
            yield ac


@rule(
    "PEPPOL-EN16931-R051",
    "All currencyID attributes must have the same value as the invoice currency code (BT-5), "
    "except for the invoice total VAT amount in accounting currency (BT-111).",
)
def r051(ctx: Ctx) -> Iterator[Any]:
    tax_amount = cbc("TaxAmount")
    for amount in ctx.root.iter(*AMOUNT_TAGS):
        if amount.tag == tax_amount:
            continue  # only the document-level TaxTotal with subtotals counts (below)
        if amount.get("currencyID") != ctx.currency:
            yield amount
    for amount in ctx.all("cac:TaxTotal[cac:TaxSubtotal]/cbc:TaxAmount"):
        if amount.get("currencyID") != ctx.currency:
            yield amount


@rule("PEPPOL-EN16931-R053", "Only one tax total with tax subtotals MUST be provided.")
def r053(ctx: Ctx) -> Iterator[Any]:
    if len(ctx.all("cac:TaxTotal[cac:TaxSubtotal]")) != 1:
        yield ctx.root


@rule(
    "PEPPOL-EN16931-R054",
    "Only one tax total without tax subtotals MUST be provided when tax currency code is provided.",
)
def r054(ctx: Ctx) -> Iterator[Any]:
    expected = 1 if ctx.has("cbc:TaxCurrencyCode") else 0
    if len(ctx.all("cac:TaxTotal[not(cac:TaxSubtotal)]")) != expected:
        yield ctx.root


@rule(
    "PEPPOL-EN16931-R055",
    "Invoice total VAT amount and Invoice total VAT amount in accounting currency MUST have the "
    "same operational sign",
)
def r055(ctx: Ctx) -> Iterator[Any]:
    if ctx.tax_currency is None:
        return
    main = dec(ctx.text(f"cac:TaxTotal/cbc:TaxAmount[@currencyID='{ctx.currency}']"))
    other = dec(ctx.text(f"cac:TaxTotal/cbc:TaxAmount[@currencyID='{ctx.tax_currency}']"))
    if main is not None and other is not None and (main < 0 < other or other < 0 < main):
        yield ctx.root


@rule("PEPPOL-EN16931-R061", "Mandate reference MUST be provided for direct debit.")
def r061(ctx: Ctx) -> Iterator[Any]:
    for pm in ctx.all("cac:PaymentMeans"):
        if ctx.text("cbc:PaymentMeansCode", pm) in {"49", "59"} and not ctx.has(
            "cac:PaymentMandate/cbc:ID", pm
        ):
            yield pm


@rule("PEPPOL-EN16931-R080", "Only one project reference is allowed on document level")
def r080(ctx: Ctx) -> Iterator[Any]:
    if len(ctx.all("cac:AdditionalDocumentReference[cbc:DocumentTypeCode='50']")) > 1:
        yield ctx.root


@rule("PEPPOL-EN16931-R100", "Only one invoiced object is allowed pr line")
def r100(ctx: Ctx) -> Iterator[Any]:
    for line in ctx.all(_LINES):
        if len(ctx.all("cac:DocumentReference", line)) > 1:
            yield line


@rule("PEPPOL-EN16931-R101", "Element Document reference can only be used for Invoice line object")
def r101(ctx: Ctx) -> Iterator[Any]:
    for line in ctx.all(_LINES):
        codes = {
            ctx.text("cbc:DocumentTypeCode", ref) for ref in ctx.all("cac:DocumentReference", line)
        }
        if codes and "130" not in codes:
            yield line
