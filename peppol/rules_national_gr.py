"""Peppol BIS Billing 3.0 national rules for Greece (GR-R-*, GR-S-*, 2026.5).

They apply when Peppol's ``$supplierCountry`` (seller VAT prefix first) is GR or EL; a few
only when the buyer is Greek too.  Written from the official rule texts, not copied.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from extractors.model import Severity
from peppol.rules_base import Ctx, national_rule, norm

__all__ = ["greek_tin_ok"]

_SUPPLIER = "cac:AccountingSupplierParty/cac:Party"
_CUSTOMER = "cac:AccountingCustomerParty/cac:Party"
_VAT_SCHEME = "cac:PartyTaxScheme[normalize-space(cac:TaxScheme/cbc:ID)='VAT']"
_RAW_VAT = "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID"
_nat = national_rule


# -- Greece ------------------------------------------------------------------------------


def greek_tin_ok(value: str) -> bool:
    """Greek TIN (AFM) check digit: the first eight digits weighted 256..2, mod 11 mod 10."""
    digits = value[:9]
    if len(digits) < 9 or not digits.isdigit():
        return False
    total = sum(int(d) * 2 ** (8 - i) for i, d in enumerate(digits[:8]))
    return total % 11 % 10 == int(digits[8])


def _gr(ctx: Ctx) -> bool:
    return ctx.supplier_country in {"GR", "EL"}


def _date_segment_ok(ctx: Ctx, segment: str) -> bool:
    regex = r"(0?[1-9]|[12][0-9]|3[01])[-\\/ ]?(0?[1-9]|1[0-2])[-\\/ ]?(19|20)[0-9]{2}"
    issue = (ctx.raw("cbc:IssueDate") or "").split("-")
    parts = segment.split("/")
    if not norm(segment) or not re.match(regex, segment) or len(issue) < 3 or len(parts) < 3:
        return False
    return parts[0] == issue[2] and parts[1] == issue[1] and parts[2] == issue[0]


def _greek_id_failures(ctx: Ctx, value: str) -> set[str]:
    """Which of GR-R-001-1..7 the six-segment Greek invoice number breaks."""
    segs = value.split("|") if value else []
    segs += [""] * (6 - len(segs))
    own = [v[2:11] for v in ctx.all(f"{_SUPPLIER}/{_RAW_VAT}/text()")]
    own += [v[2:11] for v in ctx.all(f"cac:TaxRepresentativeParty/{_RAW_VAT}/text()")]
    checks = {
        "1": len(value.split("|") if value else []) == 6,
        "2": len(norm(segs[0])) == 9 and greek_tin_ok(segs[0]) and segs[0] in own,
        "3": _date_segment_ok(ctx, segs[1]),
        "4": bool(norm(segs[2])) and re.fullmatch(r"\s*\+?[0-9]+\s*", segs[2]) is not None,
        "5": bool(norm(segs[3])) and segs[3] in {"1.1", "1.6", "2.1", "2.4", "5.1", "5.2"},
        "6": len(segs[4]) > 0,
        "7": len(segs[5]) > 0,
    }
    return {f"GR-R-001-{k}" for k, ok in checks.items() if not ok}


_GR_ID_TEXTS = {
    "1": "When the Supplier is Greek, the Invoice Id should consist of 6 segments",
    "2": "When the Supplier is Greek, the Invoice Id first segment must be a valid TIN Number and "
    "match either the Supplier's or the Tax Representative's Tin Number",
    "3": "When the Supplier is Greek, the Invoice Id second segment must be a valid Date that "
    "matches the invoice Issue Date",
    "4": "When Supplier is Greek, the Invoice Id third segment must be a positive integer",
    "5": "When Supplier is Greek, the Invoice Id in the fourth segment must be a valid greek "
    "document type",
    "6": "When Supplier is Greek, the Invoice Id fifth segment must not be empty",
    "7": "When Supplier is Greek, the Invoice Id sixth segment must not be empty",
}


def _gr_id_rule(key: str) -> None:
    @_nat(f"GR-R-001-{key}", _GR_ID_TEXTS[key])
    def check(ctx: Ctx) -> Iterator[Any]:
        if _gr(ctx):
            for el in ctx.all("cbc:ID"):
                if f"GR-R-001-{key}" in _greek_id_failures(ctx, el.text or ""):
                    yield el


for _key in _GR_ID_TEXTS:
    _gr_id_rule(_key)


def _vat_ok_el(ctx: Ctx, party: Any) -> bool:
    ids = ctx.all(f"{_VAT_SCHEME}/cbc:CompanyID", party)
    return (
        len(ids) == 1 and (ids[0].text or "")[:2] == "EL" and greek_tin_ok((ids[0].text or "")[2:])
    )


@_nat(
    "GR-R-002",
    "Greek Suppliers must provide their full name as they are registered in the Greek Business "
    "Registry (G.E.MH.) as a legal entity or in the Tax Registry as a natural person",
)
def gr_r002(ctx: Ctx) -> Iterator[Any]:
    if _gr(ctx):
        yield from (p for p in ctx.all(_SUPPLIER) if not ctx.raw("cac:PartyName/cbc:Name", p))


@_nat(
    "GR-S-011",
    "Greek suppliers must provide their Seller Tax Registration Number, prefixed by the country "
    "code",
    Severity.WARNING,
)
def gr_s011(ctx: Ctx) -> Iterator[Any]:
    if _gr(ctx):
        yield from (p for p in ctx.all(_SUPPLIER) if not _vat_ok_el(ctx, p))


@_nat(
    "GR-R-003",
    "For the Greek Suppliers, the VAT must start with 'EL' and must be a valid TIN number",
)
def gr_r003(ctx: Ctx) -> Iterator[Any]:
    if _gr(ctx):
        for el in ctx.all(f"{_SUPPLIER}/{_VAT_SCHEME}/cbc:CompanyID"):
            if (el.text or "")[:2] != "EL" or not greek_tin_ok((el.text or "")[2:]):
                yield el


_MARK = "cac:AdditionalDocumentReference[cbc:DocumentDescription='##M.AR.K##']"
_URL = "cac:AdditionalDocumentReference[cbc:DocumentDescription='##INVOICE|URL##']"


def _gr_in_gr(ctx: Ctx) -> bool:
    return _gr(ctx) and ctx.supplier_postal == "GR"


@_nat("GR-R-004-1", "When Supplier is Greek, there must be one MARK Number")
def gr_r004_1(ctx: Ctx) -> Iterator[Any]:
    if _gr_in_gr(ctx) and len(ctx.all(_MARK)) != 1:
        yield ctx.root


@_nat("GR-S-008-1", "When Supplier is Greek, there should be one invoice url", Severity.WARNING)
def gr_s008_1(ctx: Ctx) -> Iterator[Any]:
    if _gr_in_gr(ctx) and len(ctx.all(_URL)) != 1:
        yield ctx.root


@_nat("GR-R-008-2", "When Supplier is Greek, there should be no more than one invoice url")
def gr_r008_2(ctx: Ctx) -> Iterator[Any]:
    if _gr_in_gr(ctx) and len(ctx.all(_URL)) > 1:
        yield ctx.root


@_nat("GR-R-004-2", "When Supplier is Greek, the MARK Number must be a positive integer")
def gr_r004_2(ctx: Ctx) -> Iterator[Any]:
    if _gr_in_gr(ctx):
        yield from (
            el for el in ctx.all(f"{_MARK}/cbc:ID") if not re.match(r"[1-9]", el.text or "")
        )


@_nat(
    "GR-R-008-3",
    "When Supplier is Greek and the INVOICE URL Document reference exists, the External "
    "Reference URI should be present",
)
def gr_r008_3(ctx: Ctx) -> Iterator[Any]:
    if _gr(ctx):
        for ref in ctx.all(_URL):
            if not ctx.text("cac:Attachment/cac:ExternalReference/cbc:URI", ref):
                yield ref


@_nat("GR-R-005", "Greek Suppliers must provide the full name of the buyer")
def gr_r005(ctx: Ctx) -> Iterator[Any]:
    if _gr(ctx):
        yield from (p for p in ctx.all(_CUSTOMER) if not ctx.raw("cac:PartyName/cbc:Name", p))


def _accounting_supplier_greek(ctx: Ctx) -> bool:
    vat = ctx.raw(f"{_SUPPLIER}/{_RAW_VAT}")
    if vat is not None and vat[:2]:
        return norm(vat[:2]).upper() in {"GR", "EL"}
    return (
        ctx.text(f"{_SUPPLIER}/cac:PostalAddress/cac:Country/cbc:IdentificationCode") or ""
    ).upper() in {"GR", "EL"}


def _tin_endpoint_ok(el: Any) -> bool:
    return el.get("schemeID") == "9933" and greek_tin_ok(el.text or "")


@_nat(
    "GR-R-009",
    "Greek suppliers that send an invoice through the PEPPOL network must use a correct TIN "
    "number as an electronic address according to PEPPOL Electronic Address Identifier scheme "
    "(schemeID 9933).",
)
def gr_r009(ctx: Ctx) -> Iterator[Any]:
    if _accounting_supplier_greek(ctx):
        yield from (el for el in ctx.all(f"{_SUPPLIER}/cbc:EndpointID") if not _tin_endpoint_ok(el))


def _gr_gr(ctx: Ctx) -> bool:
    return _gr(ctx) and ctx.customer_country in {"GR", "EL"}


@_nat(
    "GR-R-006",
    "Greek Suppliers must provide the VAT number of the buyer, if the buyer is Greek",
)
def gr_r006(ctx: Ctx) -> Iterator[Any]:
    if _gr_gr(ctx):
        yield from (p for p in ctx.all(_CUSTOMER) if not _vat_ok_el(ctx, p))


@_nat(
    "GR-R-010",
    "Greek Suppliers that send an invoice through the PEPPOL network to a greek buyer must use a "
    "correct TIN number as an electronic address according to PEPPOL Electronic Address "
    "Identifier scheme (SchemeID 9933)",
)
def gr_r010(ctx: Ctx) -> Iterator[Any]:
    if _gr_gr(ctx):
        yield from (el for el in ctx.all(f"{_CUSTOMER}/cbc:EndpointID") if not _tin_endpoint_ok(el))
