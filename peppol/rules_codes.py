"""Peppol BIS 3.0 code-list rules (CLxxx, F001, P0104-P0111) and identifier checksums
(PEPPOL-COMMON-R040..R050)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

from peppol.codelists import EAS, ISO4217, MIME_CODES, UNCL2005, UNCL5189, UNCL7161, VATEX_CATEGORY
from peppol.ns import cbc
from peppol.rules_base import Ctx, rule

__all__ = ["AMOUNT_TAGS", "abn_ok", "gln_ok", "mod11_ok", "mod97_0208_ok", "se_orgnr_ok"]

_AMOUNT_TAGS = [
    "Amount",
    "BaseAmount",
    "PriceAmount",
    "TaxAmount",
    "TaxableAmount",
    "LineExtensionAmount",
    "TaxExclusiveAmount",
    "TaxInclusiveAmount",
    "AllowanceTotalAmount",
    "ChargeTotalAmount",
    "PrepaidAmount",
    "PayableRoundingAmount",
    "PayableAmount",
]
# one C-level tree walk (Element.iter with several tags) instead of a union of // paths
AMOUNT_TAGS = tuple(cbc(t) for t in _AMOUNT_TAGS)
_DATE_TAGS = tuple(
    cbc(t)
    for t in ["IssueDate", "DueDate", "TaxPointDate", "StartDate", "EndDate", "ActualDeliveryDate"]
)


def _norm(el: Any) -> str:
    return " ".join((el.text or "").split())


@rule("PEPPOL-EN16931-CL001", "Mime code must be according to subset of IANA code list.")
def cl001(ctx: Ctx) -> Iterator[Any]:
    for el in ctx.all("//cbc:EmbeddedDocumentBinaryObject[@mimeCode]"):
        if el.get("mimeCode") not in MIME_CODES:
            yield el


@rule("PEPPOL-EN16931-CL002", "Reason code MUST be according to subset of UNCL 5189 D.16B.")
def cl002(ctx: Ctx) -> Iterator[Any]:
    path = "//cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:AllowanceChargeReasonCode"
    yield from (el for el in ctx.all(path) if _norm(el) not in UNCL5189)


@rule("PEPPOL-EN16931-CL003", "Reason code MUST be according to UNCL 7161 D.16B.")
def cl003(ctx: Ctx) -> Iterator[Any]:
    path = "//cac:AllowanceCharge[cbc:ChargeIndicator='true']/cbc:AllowanceChargeReasonCode"
    yield from (el for el in ctx.all(path) if _norm(el) not in UNCL7161)


@rule(
    "PEPPOL-EN16931-CL006", "Invoice period description code must be according to UNCL 2005 D.16B."
)
def cl006(ctx: Ctx) -> Iterator[Any]:
    yield from (
        el for el in ctx.all("//cac:InvoicePeriod/cbc:DescriptionCode") if _norm(el) not in UNCL2005
    )


@rule("PEPPOL-EN16931-CL007", "Currency code must be according to ISO 4217:2005")
def cl007(ctx: Ctx) -> Iterator[Any]:
    yield from (el for el in ctx.root.iter(*AMOUNT_TAGS) if el.get("currencyID") not in ISO4217)


@rule(
    "PEPPOL-EN16931-CL008",
    'Electronic address identifier scheme must be from the codelist "Electronic Address '
    'Identifier Scheme"',
)
def cl008(ctx: Ctx) -> Iterator[Any]:
    yield from (
        el for el in ctx.all("//cbc:EndpointID[@schemeID]") if el.get("schemeID") not in EAS
    )


@rule("PEPPOL-EN16931-F001", "A date MUST be formatted YYYY-MM-DD.")
def f001(ctx: Ctx) -> Iterator[Any]:
    for el in ctx.root.iter(*_DATE_TAGS):
        text = el.text or ""
        try:
            ok = len(text) == 10 and dt.date.fromisoformat(text) is not None
        except ValueError:
            ok = False
        if not ok:
            yield el


def _exemption_rule(code: str, rule_id: str, category: str) -> None:
    @rule(rule_id, f"Tax Category {category} MUST be used when exemption reason code is {code}")
    def check(ctx: Ctx) -> Iterator[Any]:
        for cat in ctx.all("//cac:TaxCategory[cbc:TaxExemptionReasonCode]"):
            reason = (ctx.text("cbc:TaxExemptionReasonCode", cat) or "").upper()
            if reason == code and ctx.text("cbc:ID", cat) != category:
                yield cat


for _code, (_rule_id, _category) in VATEX_CATEGORY.items():
    _exemption_rule(_code, _rule_id, _category)


# -- identifier checksums (PEPPOL-COMMON) -------------------------------------------------


def gln_ok(value: str) -> bool:
    """GS1 check digit (weights 3,1 from the right, excluding the check digit)."""
    if not re.fullmatch(r"[0-9]+", value):
        return False
    body, check = value[:-1], int(value[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def mod11_ok(value: str) -> bool:
    """Norwegian organisation number: weights 2..7 cycling from the right."""
    if not re.fullmatch(r"[0-9]{9}", value) or int(value) == 0:
        return False
    body, check = value[:-1], int(value[-1])
    total = sum(int(d) * (i % 6 + 2) for i, d in enumerate(reversed(body)))
    return (11 - total % 11) % 11 == check


def mod97_0208_ok(value: str) -> bool:
    """Belgian enterprise number: last two digits = 97 - (first eight mod 97)."""
    return bool(re.fullmatch(r"[0-9]{10}", value)) and 97 - int(value[:8]) % 97 == int(value[8:])


def se_orgnr_ok(value: str) -> bool:
    """Swedish organisation number: 10 digits, Luhn check digit."""
    if not re.fullmatch(r"[0-9]{10}", value):
        return False
    total = 0
    for i, d in enumerate(reversed(value[:9])):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n // 10 + n % 10
    return (10 - total % 10) % 10 == int(value[9])


def abn_ok(value: str) -> bool:
    """Australian Business Number: weighted sum mod 89 after subtracting 1 from digit one."""
    if not re.fullmatch(r"[0-9]{11}", value):
        return False
    weights = (10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19)
    digits = [int(value[0]) - 1] + [int(d) for d in value[1:]]
    return sum(w * d for w, d in zip(weights, digits, strict=True)) % 89 == 0


def _dk_cvr_ok(value: str) -> bool:
    """Danish CVR: eight digits, optionally prefixed with DK."""
    digits = value[2:] if value.startswith("DK") else value
    return len(digits) == 8 and digits.isdigit()


_IDENTIFIER_RULES: tuple[tuple[str, str, str, Callable[[str], bool]], ...] = (
    ("PEPPOL-COMMON-R040", "0088", "GLN must have a valid format according to GS1 rules.", gln_ok),
    (
        "PEPPOL-COMMON-R041",
        "0192",
        "Norwegian organization number MUST be stated in the correct format.",
        mod11_ok,
    ),
    (
        "PEPPOL-COMMON-R042",
        "0184",
        "Danish organization number (CVR) MUST be stated in the correct format.",
        _dk_cvr_ok,
    ),
    (
        "PEPPOL-COMMON-R043",
        "0208",
        "Belgian enterprise number MUST be stated in the correct format.",
        mod97_0208_ok,
    ),
    (
        "PEPPOL-COMMON-R049",
        "0007",
        "Swedish organization number MUST be stated in the correct format.",
        se_orgnr_ok,
    ),
    (
        "PEPPOL-COMMON-R050",
        "0151",
        "Australian Business Number (ABN) MUST be stated in the correct format.",
        abn_ok,
    ),
)


def _identifier_rule(rule_id: str, scheme: str, message: str, ok: Callable[[str], bool]) -> None:
    @rule(rule_id, message)
    def check(ctx: Ctx) -> Iterator[Any]:
        for el in ctx.with_scheme(scheme):
            value = _norm(el) if scheme != "0184" else (el.text or "")
            if not ok(value):
                yield el


for _entry in _IDENTIFIER_RULES:
    _identifier_rule(*_entry)
