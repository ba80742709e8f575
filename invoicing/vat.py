"""Belgian VAT cases: line categories, mandatory mentions (nl/fr/de/en) and exact totals.

The 2026 rounding rule: VAT is computed on the taxable total of each rate and rounded
once (half up, to the cent), never per line.  Totals follow EN 16931: line nets
(quantity x price, rounded to the cent), minus document allowances, plus charges.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from invoicing.errors import InvoicingError, VatCaseError
from invoicing.model import (
    CENT,
    EU_COUNTRIES,
    Adjustment,
    DraftLine,
    InvoiceDraft,
    Language,
    Seller,
    TaxRow,
    Totals,
    VatCase,
)

__all__ = [
    "BELGIAN_RATES",
    "CaseSpec",
    "LineTax",
    "case_spec",
    "check_case",
    "compute_totals",
    "line_tax",
    "mentions",
]

BELGIAN_RATES = frozenset({Decimal("21"), Decimal("12"), Decimal("6"), Decimal("0")})
_ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class CaseSpec:
    category: str | None  # None: by the line's rate (S, or Z at 0 %)
    exemption_code: str | None
    mention: dict[Language, str] | None
    rated: bool  # lines carry Belgian rates


_L = Language
_ART44 = {
    _L.NL: "Vrijgestelde handeling – art. 44 WBTW",
    _L.FR: "Opération exonérée – art. 44 du Code de la TVA",
    _L.DE: "Steuerbefreiter Umsatz – Art. 44 belgisches MwSt-Gesetzbuch",
    _L.EN: "Exempt supply – art. 44 Belgian VAT Code",
}
_SPECS: dict[VatCase, CaseSpec] = {
    VatCase.DOMESTIC: CaseSpec(None, None, None, True),
    VatCase.PRIVATE: CaseSpec(None, None, None, True),
    VatCase.INTRA_EU_GOODS: CaseSpec(
        "K",
        "VATEX-EU-IC",
        {
            _L.NL: "Vrijgestelde intracommunautaire levering – art. 39bis WBTW "
            "(art. 138 Richtlijn 2006/112/EG)",
            _L.FR: "Livraison intracommunautaire exonérée – art. 39bis du Code de la TVA "
            "(art. 138 directive 2006/112/CE)",
            _L.DE: "Steuerfreie innergemeinschaftliche Lieferung – Art. 39bis belgisches "
            "MwSt-Gesetzbuch (Art. 138 Richtlinie 2006/112/EG)",
            _L.EN: "Exempt intra-Community supply – art. 39bis Belgian VAT Code "
            "(art. 138 Directive 2006/112/EC)",
        },
        False,
    ),
    VatCase.INTRA_EU_SERVICES: CaseSpec(
        "AE",
        "VATEX-EU-AE",
        {
            _L.NL: "Verlegging van heffing – art. 196 Richtlijn 2006/112/EG",
            _L.FR: "Autoliquidation – art. 196 directive 2006/112/CE",
            _L.DE: "Steuerschuldnerschaft des Leistungsempfängers – Art. 196 Richtlinie "
            "2006/112/EG",
            _L.EN: "Reverse charge – art. 196 Directive 2006/112/EC",
        },
        False,
    ),
    VatCase.EXPORT: CaseSpec(
        "G",
        "VATEX-EU-G",
        {
            _L.NL: "Vrijgestelde uitvoer – art. 39 WBTW (art. 146 Richtlijn 2006/112/EG)",
            _L.FR: "Exportation exonérée – art. 39 du Code de la TVA "
            "(art. 146 directive 2006/112/CE)",
            _L.DE: "Steuerfreie Ausfuhr – Art. 39 belgisches MwSt-Gesetzbuch "
            "(Art. 146 Richtlinie 2006/112/EG)",
            _L.EN: "Exempt export – art. 39 Belgian VAT Code (art. 146 Directive 2006/112/EC)",
        },
        False,
    ),
    VatCase.COCONTRACTOR: CaseSpec(
        "AE",
        "VATEX-EU-AE",
        {
            _L.NL: "Verlegging van heffing – btw te voldoen door de medecontractant, "
            "art. 20 KB nr. 1",
            _L.FR: "Autoliquidation – TVA due par le cocontractant, art. 20 AR n° 1",
            _L.DE: "Steuerschuldnerschaft des Vertragspartners – Art. 20 KE Nr. 1",
            _L.EN: "Reverse charge – VAT due by the co-contractor, art. 20 Royal Decree no. 1",
        },
        False,
    ),
    VatCase.SMALL_ENTERPRISE: CaseSpec(
        "E",
        None,
        {
            _L.NL: "Bijzondere vrijstellingsregeling kleine ondernemingen – art. 56bis WBTW",
            _L.FR: "Régime particulier de franchise des petites entreprises – "
            "art. 56bis du Code de la TVA",
            _L.DE: "Sonderregelung für Kleinunternehmen – Art. 56bis belgisches MwSt-Gesetzbuch",
            _L.EN: "Special exemption scheme for small enterprises – art. 56bis Belgian VAT Code",
        },
        False,
    ),
    VatCase.EXEMPT: CaseSpec("E", None, _ART44, False),
}


def case_spec(case: VatCase) -> CaseSpec:
    return _SPECS[case]


@dataclass(frozen=True, slots=True)
class LineTax:
    category: str
    rate: Decimal
    exemption_code: str | None
    exemption_reason: str | None


def line_tax(case: VatCase, line: DraftLine, language: Language, index: int = 0) -> LineTax:
    """The UNCL5305 category, rate and exemption of one line under ``case``."""
    spec = _SPECS[case]
    if not spec.rated:
        assert spec.category is not None
        assert spec.mention is not None
        return LineTax(spec.category, _ZERO, spec.exemption_code, spec.mention[language])
    if line.exempt:
        return LineTax("E", _ZERO, None, _ART44[language])
    if line.vat_rate is None:
        where = f"line {index}" if index else "a line"
        raise VatCaseError(f"{where} ({line.description[:40]!r}) has no VAT rate")
    rate = line.vat_rate.normalize()
    if rate not in BELGIAN_RATES:
        raise VatCaseError(f"VAT rate {rate} % is not a Belgian rate (21, 12, 6 or 0 %)")
    rate = Decimal(int(rate))
    return LineTax("Z" if rate == 0 else "S", rate, None, None)


def check_case(draft: InvoiceDraft, seller: Seller) -> None:
    """Refuse a document whose parties do not fit its VAT case (VatCaseError)."""
    case, customer = draft.vat_case, draft.customer
    if seller.vat is None:
        raise VatCaseError("the seller has no VAT number: an invoice needs it")
    if case in (VatCase.INTRA_EU_GOODS, VatCase.INTRA_EU_SERVICES):
        if customer.country == "BE" or customer.country not in EU_COUNTRIES:
            raise VatCaseError(
                f"intra-EU {case.value.rsplit('_', 1)[-1]} need a customer in another EU "
                f"member state (customer country {customer.country})"
            )
        if not customer.vat:
            raise VatCaseError("reverse charge (intra-EU) needs the customer's VAT number")
    elif case is VatCase.COCONTRACTOR:
        if not customer.vat or customer.country != "BE":
            raise VatCaseError("reverse charge (co-contractor) needs a Belgian customer VAT number")
    elif case is VatCase.EXPORT and customer.country in EU_COUNTRIES:
        raise VatCaseError(f"export needs a customer outside the EU (not {customer.country})")
    for index, line in enumerate(draft.lines, start=1):
        if line.quantity.is_nan() or line.unit_price.is_nan():
            raise InvoicingError(f"line {index}: quantity or price is not a number")
        if line.quantity <= 0:
            raise InvoicingError(f"line {index}: quantity must be positive")
        if line.unit_price < 0:
            raise InvoicingError(f"line {index}: a negative price is a discount (adjustment)")
        line_tax(case, line, customer.language, index)


def mentions(draft: InvoiceDraft) -> tuple[str, ...]:
    """The legal VAT mentions printed on the document, in the customer's language."""
    lang = draft.customer.language
    spec = _SPECS[draft.vat_case]
    if spec.mention is not None:
        return (spec.mention[lang],)
    if any(line.exempt for line in draft.lines):
        return (_ART44[lang],)
    return ()


_Key = tuple[str, Decimal, str | None, str | None]


def _split(amount: Decimal, bases: dict[_Key, Decimal]) -> dict[_Key, Decimal]:
    """Split ``amount`` over ``bases`` in proportion, cents exact (largest remainder)."""
    total = sum(bases.values(), _ZERO)
    if total <= 0:
        raise InvoicingError("a discount or charge on a document without positive lines")
    cents = int((amount / CENT).to_integral_value(ROUND_HALF_UP))
    shares = {k: Decimal(cents) * v / total for k, v in bases.items()}
    floors = {k: int(s) for k, s in shares.items()}
    left = cents - sum(floors.values())
    for k in sorted(shares, key=lambda k: shares[k] - floors[k], reverse=True)[:left]:
        floors[k] += 1
    return {k: Decimal(c) * CENT for k, c in floors.items()}


@dataclass(frozen=True, slots=True)
class SplitAdjustment:
    """A document allowance or charge on one VAT group (what UBL writes)."""

    is_charge: bool
    reason: str
    amount: Decimal
    category: str
    rate: Decimal
    base: Decimal | None = None
    percent: Decimal | None = None


def split_adjustments(
    adjustments: tuple[Adjustment, ...], groups: dict[_Key, Decimal]
) -> list[tuple[_Key, SplitAdjustment]]:
    out: list[tuple[_Key, SplitAdjustment]] = []
    for adj in adjustments:
        if (adj.amount is None) == (adj.percent is None):
            raise InvoicingError(f"discount/charge {adj.reason!r}: give an amount or a percent")
        if not (adj.reason or "").strip():
            raise InvoicingError("a discount or charge needs a reason")
        targets = groups
        if adj.vat_rate is not None and len(groups) > 1:
            targets = {k: v for k, v in groups.items() if k[1] == adj.vat_rate.normalize()}
            if not targets:
                raise VatCaseError(
                    f"discount/charge {adj.reason!r} at {adj.vat_rate} %: no line has that rate"
                )
        if adj.percent is not None:
            if not 0 < adj.percent <= 100:
                raise InvoicingError(f"discount/charge {adj.reason!r}: percent out of range")
            for key, base in targets.items():
                value = (base * adj.percent / 100).quantize(CENT, ROUND_HALF_UP)
                out.append(
                    (key, SplitAdjustment(adj.is_charge, adj.reason, value, key[0], key[1],
                                          base, adj.percent))
                )  # fmt: skip
            continue
        assert adj.amount is not None
        if adj.amount <= 0 or adj.amount != adj.amount.quantize(CENT):
            raise InvoicingError(f"discount/charge {adj.reason!r}: amount must be positive cents")
        for key, value in _split(adj.amount, targets).items():
            if value:
                out.append((key, SplitAdjustment(adj.is_charge, adj.reason, value, key[0], key[1])))
    return out


@dataclass(frozen=True, slots=True)
class Computed:
    totals: Totals
    line_taxes: tuple[LineTax, ...]
    adjustments: tuple[SplitAdjustment, ...]


def compute(draft: InvoiceDraft, seller: Seller) -> Computed:
    """Check the case, then every total, cents exact, VAT rounded once per rate."""
    check_case(draft, seller)
    lang = draft.customer.language
    taxes = tuple(
        line_tax(draft.vat_case, ln, lang, i) for i, ln in enumerate(draft.lines, start=1)
    )
    groups: dict[_Key, Decimal] = defaultdict(lambda: _ZERO)
    for ln, tax in zip(draft.lines, taxes, strict=True):
        groups[(tax.category, tax.rate, tax.exemption_code, tax.exemption_reason)] += ln.net
    line_ext = sum(groups.values(), _ZERO)
    split = split_adjustments(draft.adjustments, dict(groups))
    allowances = charges = _ZERO
    for key, adj in split:
        if adj.is_charge:
            charges += adj.amount
            groups[key] += adj.amount
        else:
            allowances += adj.amount
            groups[key] -= adj.amount
    rows = tuple(
        TaxRow(cat, rate, base, (base * rate / 100).quantize(CENT, ROUND_HALF_UP), code, reason)
        for (cat, rate, code, reason), base in sorted(
            groups.items(), key=lambda kv: (-kv[0][1], kv[0][0])
        )
    )
    if any(row.taxable < 0 for row in rows):
        raise InvoicingError("discounts exceed the lines of a VAT rate")
    excl = line_ext - allowances + charges
    vat = sum((r.vat for r in rows), _ZERO)
    totals = Totals(line_ext, allowances, charges, excl, vat, excl + vat, excl + vat, rows)
    return Computed(totals, taxes, tuple(adj for _, adj in split))


def compute_totals(draft: InvoiceDraft, seller: Seller) -> Totals:
    """Live totals for a draft editor (raises the same errors issuing would)."""
    return compute(draft, seller).totals
