"""Belgian checks on e-invoices: VAT and enterprise numbers, IBAN, structured communication.

Checksums are evidence, not filters: these findings are warnings, so an invoice with
a mistyped number is still processed and the accountant sees why it is flagged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from stdnum import iban as std_iban
from stdnum.be import ogm_vcs
from stdnum.be import vat as be_vat

from extractors.model import Severity
from peppol.rules_base import Ctx, rule
from peppol.rules_codes import mod97_0208_ok

__all__: list[str] = []

_PARTIES = {
    "supplier": "cac:AccountingSupplierParty/cac:Party",
    "customer": "cac:AccountingCustomerParty/cac:Party",
}
_VAT = (
    "cac:PartyTaxScheme[translate(normalize-space(cac:TaxScheme/cbc:ID),'vat','VAT')='VAT']"
    "/cbc:CompanyID"
)
_OGM_SHAPE = re.compile(r"^[+*]{0,3}\s*\d{3}\s*/?\s*\d{4}\s*/?\s*\d{5}\s*[+*]{0,3}$")


@rule(
    "BOEKBOX-BE-VAT",
    "Belgian VAT number fails its checksum (BE + 10 digits, last two = 97 - first eight mod 97).",
    Severity.WARNING,
    ruleset="boekbox-be",
)
def be_vat_number(ctx: Ctx) -> Iterator[Any]:
    for party in _PARTIES.values():
        for el in ctx.all(f"{party}/{_VAT}"):
            value = "".join((el.text or "").split()).upper()
            if value.startswith("BE") and not be_vat.is_valid(value):
                yield el


@rule(
    "BOEKBOX-BE-KBO",
    "Belgian enterprise number (KBO/BCE) fails its checksum.",
    Severity.WARNING,
    ruleset="boekbox-be",
)
def be_enterprise_number(ctx: Ctx) -> Iterator[Any]:
    for party in _PARTIES.values():
        country = ctx.text(f"{party}/cac:PostalAddress/cac:Country/cbc:IdentificationCode")
        for el in ctx.all(f"{party}/cac:PartyLegalEntity/cbc:CompanyID"):
            digits = re.sub(r"[\s.]", "", el.text or "")
            scheme = el.get("schemeID")
            belgian = scheme == "0208" or (scheme is None and country == "BE")
            if belgian and digits.removeprefix("BE").isdigit():
                number = digits.removeprefix("BE").zfill(10)
                if not mod97_0208_ok(number):
                    yield el


@rule(
    "BOEKBOX-BE-IBAN",
    "IBAN fails the ISO 13616 mod-97 check.",
    Severity.WARNING,
    ruleset="boekbox-be",
)
def iban_checksum(ctx: Ctx) -> Iterator[Any]:
    for el in ctx.all("cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID"):
        value = "".join((el.text or "").split()).upper()
        if re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", value) and not std_iban.is_valid(value):
            yield el


@rule(
    "BOEKBOX-BE-OGM",
    "Belgian structured communication (+++123/4567/89012+++) fails its mod-97 check.",
    Severity.WARNING,
    ruleset="boekbox-be",
)
def structured_communication(ctx: Ctx) -> Iterator[Any]:
    for el in ctx.all("cac:PaymentMeans/cbc:PaymentID | cac:PaymentMeans/cbc:InstructionID"):
        value = (el.text or "").strip()
        if _OGM_SHAPE.match(value) and not ogm_vcs.is_valid(value):
            yield el
