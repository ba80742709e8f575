"""Peppol BIS Billing 3.0 national rules for the Netherlands and Italy (2026.5), plus the
2026.5 country-specific identifier formats (PEPPOL-COMMON-R054..R057, Dutch).

The Netherlands applies when the seller's postal country is NL; Italy when Peppol's
``$supplierCountry`` (VAT prefix first) is IT.  Greece is in :mod:`peppol.rules_national_gr`.
Written from the official rule texts, not copied.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from extractors.model import Severity
from peppol.rules_base import Ctx, national_rule, norm, xnumber

__all__: list[str] = []

_SUPPLIER = "cac:AccountingSupplierParty/cac:Party"
_CUSTOMER = "cac:AccountingCustomerParty/cac:Party"
_VAT_SCHEME = "cac:PartyTaxScheme[normalize-space(cac:TaxScheme/cbc:ID)='VAT']"
_nat = national_rule


# -- Netherlands -------------------------------------------------------------------------


def _nl(ctx: Ctx) -> bool:
    return ctx.postal_is("supplier", "NL")


def _address_complete(ctx: Ctx, address: Any) -> bool:
    return all(ctx.has(f"cbc:{t}", address) for t in ("StreetName", "CityName", "PostalZone"))


def _kvk_or_oin(el: Any) -> bool:
    return el.get("schemeID") in {"0106", "0190"} and norm(el.text) != ""


@_nat(
    "NL-R-001",
    "For suppliers in the Netherlands, if the document is a creditnote, the document MUST "
    "contain an invoice reference (cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID)",
)
def nl_r001(ctx: Ctx) -> Iterator[Any]:
    if _nl(ctx) and not ctx.has("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"):
        yield from ctx.all("cbc:CreditNoteTypeCode")


def _nl_address_rule(rule_id: str, path: str, other: str | None, message: str) -> None:
    @_nat(rule_id, message)
    def check(ctx: Ctx) -> Iterator[Any]:
        if not _nl(ctx) or (other is not None and not ctx.postal_is(other, "NL")):
            return
        for address in ctx.all(path):
            if not _address_complete(ctx, address):
                yield address


_nl_address_rule(
    "NL-R-002",
    f"{_SUPPLIER}/cac:PostalAddress",
    None,
    "For suppliers in the Netherlands the supplier's address "
    "(cac:AccountingSupplierParty/cac:Party/cac:PostalAddress) MUST contain street name "
    "(cbc:StreetName), city (cbc:CityName) and post code (cbc:PostalZone)",
)
_nl_address_rule(
    "NL-R-004",
    f"{_CUSTOMER}/cac:PostalAddress",
    "customer",
    "For suppliers in the Netherlands, if the customer is in the Netherlands, the customer "
    "address (cac:AccountingCustomerParty/cac:Party/cac:PostalAddress) MUST contain the street "
    "name (cbc:StreetName), the city (cbc:CityName) and post code (cbc:PostalZone)",
)
_nl_address_rule(
    "NL-R-006",
    "cac:TaxRepresentativeParty/cac:PostalAddress",
    "taxrep",
    "For suppliers in the Netherlands, if the fiscal representative is in the Netherlands, the "
    "representative's address (cac:TaxRepresentativeParty/cac:PostalAddress) MUST contain "
    "street name (cbc:StreetName), city (cbc:CityName) and post code (cbc:PostalZone)",
)


@_nat(
    "NL-R-003",
    "For suppliers in the Netherlands, the legal entity identifier MUST be either a KVK or OIN "
    "number (schemeID 0106 or 0190)",
)
def nl_r003(ctx: Ctx) -> Iterator[Any]:
    if _nl(ctx):
        ids = ctx.all(f"{_SUPPLIER}/cac:PartyLegalEntity/cbc:CompanyID")
        yield from (el for el in ids if not _kvk_or_oin(el))


@_nat(
    "NL-R-005",
    "For suppliers in the Netherlands, if the customer is in the Netherlands, the customer's "
    "legal entity identifier MUST be either a KVK or OIN number (schemeID 0106 or 0190)",
)
def nl_r005(ctx: Ctx) -> Iterator[Any]:
    if _nl(ctx) and ctx.postal_is("customer", "NL"):
        ids = ctx.all(f"{_CUSTOMER}/cac:PartyLegalEntity/cbc:CompanyID")
        yield from (el for el in ids if not _kvk_or_oin(el))


@_nat(
    "NL-R-007",
    "For suppliers in the Netherlands, the supplier MUST provide a means of payment "
    "(cac:PaymentMeans) if the payment is from customer to supplier",
)
def nl_r007(ctx: Ctx) -> Iterator[Any]:
    if not _nl(ctx) or ctx.has("//cac:PaymentMeans"):
        return
    for total in ctx.all("cac:LegalMonetaryTotal"):
        payable = xnumber(ctx.raw("cbc:PayableAmount", total))
        refund = payable is not None and (payable >= 0 if ctx.is_credit_note else payable <= 0)
        if not refund:
            yield total


@_nat(
    "NL-R-008",
    "For suppliers in the Netherlands, if the customer is in the Netherlands, the payment means "
    "code (cac:PaymentMeans/cbc:PaymentMeansCode) MUST be one of 30, 48, 49, 57, 58 or 59",
)
def nl_r008(ctx: Ctx) -> Iterator[Any]:
    if _nl(ctx) and ctx.postal_is("customer", "NL"):
        for pm in ctx.all("cac:PaymentMeans"):
            if ctx.text("cbc:PaymentMeansCode", pm) not in {"30", "48", "49", "57", "58", "59"}:
                yield pm


@_nat(
    "NL-R-009",
    "For suppliers in the Netherlands, if an order line reference "
    "(cac:OrderLineReference/cbc:LineID) is used, there must be an order reference on the "
    "document level (cac:OrderReference/cbc:ID)",
)
def nl_r009(ctx: Ctx) -> Iterator[Any]:
    if _nl(ctx) and not ctx.has("cac:OrderReference/cbc:ID"):
        yield from ctx.all("//cac:OrderLineReference/cbc:LineID")


def _format_rule(rule_id: str, scheme: str, pattern: str, message: str) -> None:
    """A Dutch identifier format rule; ``scheme`` is a schemeID, or an XPath when it has a /."""
    regex = re.compile(pattern)

    @_nat(rule_id, message, Severity.WARNING)
    def check(ctx: Ctx) -> Iterator[Any]:
        found = ctx.all(scheme) if "/" in scheme else ctx.with_scheme(scheme)
        yield from (el for el in found if not regex.fullmatch(norm(el.text)))


_format_rule(
    "PEPPOL-COMMON-R054",
    "0106",
    r"[0-9]{8}",
    "Dutch Chamber of Commerce (KVK) numbers (0106) MUST be stated in the correct format "
    "(12345678).",
)
_format_rule(
    "PEPPOL-COMMON-R055",
    "0190",
    r"[0-9]{20}",
    "Dutch organization identification numbers (0190) MUST be stated in the correct format "
    "(12345678901234567890).",
)
_format_rule(
    "PEPPOL-COMMON-R056-1",
    "9944",
    r"NL[0-9]{9}B[0-9]{2}",
    "Dutch VAT numbers (9944) MUST be stated in the correct format (NL123456789B12).",
)
_format_rule(
    "PEPPOL-COMMON-R056-2",
    f"//{_VAT_SCHEME}/cbc:CompanyID[starts-with(normalize-space(.), 'NL')]",
    r"NL[0-9]{9}B[0-9]{2}",
    "Dutch VAT numbers MUST have the format (NL123456789B12).",
)
_format_rule(
    "PEPPOL-COMMON-R057",
    "0217",
    r"[0-9]{12}",
    "Dutch Chamber of Commerce Establishment numbers (0217) MUST be stated in the correct "
    "format (123456789012).",
)


# -- Italy -------------------------------------------------------------------------------


@_nat(
    "IT-R-001",
    "BT-32 (Seller tax registration identifier) - For Italian suppliers BT-32 minimum length 11 "
    "and maximum length shall be 16.",
)
def it_r001(ctx: Ctx) -> Iterator[Any]:
    if ctx.supplier_country != "IT":
        return
    for scheme in ctx.all(f"{_SUPPLIER}/cac:PartyTaxScheme"):
        if ctx.text("cac:TaxScheme/cbc:ID", scheme) != "VAT" and not re.fullmatch(
            r"[A-Z0-9]{11,16}", ctx.text("cbc:CompanyID", scheme) or ""
        ):
            yield scheme


def _it_address_rule(rule_id: str, field: str, message: str) -> None:
    @_nat(rule_id, message)
    def check(ctx: Ctx) -> Iterator[Any]:
        if ctx.supplier_country == "IT":
            for party in ctx.all(_SUPPLIER):
                if not ctx.has(f"cac:PostalAddress/cbc:{field}", party):
                    yield party


_it_address_rule(
    "IT-R-002",
    "StreetName",
    "BT-35 (Seller address line 1) - Italian suppliers MUST provide the postal address line 1",
)
_it_address_rule(
    "IT-R-003",
    "CityName",
    "BT-37 (Seller city) - Italian suppliers MUST provide the postal address city",
)
_it_address_rule(
    "IT-R-004",
    "PostalZone",
    "BT-38 (Seller post code) - Italian suppliers MUST provide the postal address post code",
)
