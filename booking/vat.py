"""VAT regimes, codes and VAT-return grids (purchases and sales).

The regime of each invoice line is derived from the counterparty's country and
VAT prefix (compared with the dossier's), the line's VAT category (UNCL5305:
S, Z, E, AE, K, G, O), exemption codes and reverse-charge mentions in the
notes and lines.  Every derivation returns a readable reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from booking.keywords import mentions

__all__ = [
    "EU_COUNTRIES",
    "GRID_SIDE",
    "RC_MENTIONS",
    "REGIMES",
    "Regime",
    "RegimeSpec",
    "country_of",
    "derive_purchase_regime",
    "derive_sales_regime",
    "sales_rate_grid",
    "vat_code",
]

_EU = "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK XI"
EU_COUNTRIES = frozenset(_EU.split(" "))

#: Natural side of each grid (doc section 9): a line adds its amount on that side.
GRID_SIDE: dict[str, str] = {
    **dict.fromkeys(("81", "82", "83", "86", "87", "88", "59", "62", "64", "48", "49"), "debit"),
    **dict.fromkeys(("84", "85", "63", "54", "55", "56", "57", "61"), "credit"),
    **dict.fromkeys(("00", "01", "02", "03", "44", "45", "46", "47"), "credit"),
}

RC_MENTIONS: tuple[str, ...] = (
    "btw verlegd", "verlegging van heffing", "verlegd", "medecontractant", "cocontractant",
    "autoliquidation", "reverse charge", "steuerschuldnerschaft", "art 196", "article 196",
    "art 39bis", "artikel 39bis", "art 20 kb", "kb nr 1", "ar n 1", "vatex eu ae",
)  # fmt: skip
_IC_GOODS_MENTIONS: tuple[str, ...] = (
    "intracommunautaire levering", "livraison intracommunautaire", "intra community supply",
    "innergemeinschaftliche lieferung", "art 138", "vatex eu ic", "art 39bis",
)  # fmt: skip
_ET14000 = ("et 14000", "et14000", "=et14000")


class Regime(StrEnum):
    DOMESTIC = "domestic"
    DOMESTIC_ZERO = "domestic_zero"
    EXEMPT = "exempt"
    NOT_SUBJECT = "not_subject"
    INTRA_EU_GOODS = "intra_eu_goods"
    INTRA_EU_SERVICES = "intra_eu_services"
    MEDECONTRACTANT = "medecontractant"
    NON_EU_SERVICES = "non_eu_services"
    IMPORT_ET14000 = "import_et14000"
    IMPORT_CUSTOMS = "import_customs"
    FOREIGN_VAT = "foreign_vat"
    SALES_DOMESTIC = "sales_domestic"
    SALES_ZERO_EXEMPT = "sales_zero_exempt"
    SALES_MEDECONTRACTANT = "sales_medecontractant"
    SALES_INTRA_EU_GOODS = "sales_intra_eu_goods"
    SALES_INTRA_EU_SERVICES = "sales_intra_eu_services"
    SALES_EXPORT = "sales_export"


@dataclass(frozen=True, slots=True)
class RegimeSpec:
    label: str
    code: str  # VAT code prefix
    self_assessed: bool = False  # boekbox computes the Belgian VAT (reverse charge)
    extra_grid: str | None = None  # purchases: 86/87/88 besides 81/82/83
    due_grid: str | None = None  # self-assessed VAT on 451000
    credit_grid: str = "85"  # purchase credit notes: 85, or 84 for 86/88
    sales_grid: str | None = None  # sales base grid (domestic: by rate)
    base_grid: bool = True  # purchase base reported in 81/82/83
    deductible: bool = True  # foreign VAT is never deductible in Belgium


R = Regime
REGIMES: dict[Regime, RegimeSpec] = {
    R.DOMESTIC: RegimeSpec("domestic purchase", "PUR"),
    R.DOMESTIC_ZERO: RegimeSpec("domestic purchase at 0 %", "PUR"),
    R.EXEMPT: RegimeSpec("exempt purchase", "PUR-EX"),
    R.NOT_SUBJECT: RegimeSpec("outside the scope of VAT", "PUR-NS", base_grid=False),
    R.INTRA_EU_GOODS: RegimeSpec(
        "intra-EU acquisition of goods", "ICG", True, "86", "55", credit_grid="84"
    ),
    R.INTRA_EU_SERVICES: RegimeSpec("intra-EU services", "ICS", True, "88", "55", credit_grid="84"),
    R.MEDECONTRACTANT: RegimeSpec(
        "Belgian reverse charge (medecontractant)", "MC", True, "87", "56"
    ),
    R.NON_EU_SERVICES: RegimeSpec("services from outside the EU", "NEU", True, "87", "56"),
    R.IMPORT_ET14000: RegimeSpec("import of goods with ET 14000 licence", "IMP", True, "87", "57"),
    R.IMPORT_CUSTOMS: RegimeSpec("import of goods, VAT paid at customs", "IMPC"),
    R.FOREIGN_VAT: RegimeSpec(
        "foreign VAT charged (not deductible in Belgium)", "FOR", base_grid=False, deductible=False
    ),
    R.SALES_DOMESTIC: RegimeSpec("domestic sale", "SAL"),
    R.SALES_ZERO_EXEMPT: RegimeSpec("sale at 0 % or exempt", "SAL-0", sales_grid="00"),
    R.SALES_MEDECONTRACTANT: RegimeSpec(
        "sale under Belgian reverse charge", "SAL-MC", sales_grid="45"
    ),
    R.SALES_INTRA_EU_GOODS: RegimeSpec("intra-EU supply of goods", "SAL-ICG", sales_grid="46"),
    R.SALES_INTRA_EU_SERVICES: RegimeSpec("intra-EU services", "SAL-ICS", sales_grid="44"),
    R.SALES_EXPORT: RegimeSpec("export or other exempt sale", "SAL-EXP", sales_grid="47"),
}

_SALES_RATE_GRID = {Decimal("6"): "01", Decimal("12"): "02", Decimal("21"): "03"}


def sales_rate_grid(rate: Decimal) -> str | None:
    return _SALES_RATE_GRID.get(rate.normalize() if rate else rate)


def vat_code(regime: Regime, rate: Decimal | None) -> str:
    spec = REGIMES[regime]
    if rate is None or spec.code.endswith(("EX", "NS", "-0")) or spec.sales_grid:
        return spec.code
    return f"{spec.code}{format(rate.normalize(), 'f')}"


def country_of(vat: str | None, country: str | None) -> tuple[str | None, str]:
    """Country of a party from its VAT prefix (preferred) or address; with the source."""
    prefix = (vat or "").strip().upper()[:2]
    if prefix.isalpha() and len(prefix) == 2:
        prefix = "GR" if prefix == "EL" else prefix
        if country and country.upper() != prefix:
            return prefix, f"VAT prefix {prefix} (address says {country.upper()})"
        return prefix, f"VAT prefix {prefix}"
    if country:
        return country.upper(), f"country {country.upper()}"
    return None, "no country or VAT prefix"


@dataclass(frozen=True, slots=True)
class LineFacts:
    """What the regime of one line depends on."""

    category: str | None
    rate: Decimal | None
    country: str | None
    country_source: str
    is_goods: bool
    text: str  # line description plus document notes and exemption reasons


def _rc_mention(text: str) -> str | None:
    return mentions(text, RC_MENTIONS)


def derive_purchase_regime(f: LineFacts) -> tuple[Regime, str]:
    cat = (f.category or "").upper() or None
    zero = f.rate is None or f.rate == 0
    where = f"supplier {f.country or '?'} ({f.country_source})"
    eu = f.country in EU_COUNTRIES and f.country != "BE"
    domestic = f.country in (None, "BE")
    mention = _rc_mention(f.text)
    said = f", mention '{mention}'" if mention else ""
    catsaid = f"category {cat}" if cat else "no VAT category"
    if cat == "K" or (eu and zero and mentions(f.text, _IC_GOODS_MENTIONS)):
        return R.INTRA_EU_GOODS, f"{where}, {catsaid}{said}: intra-EU acquisition of goods"
    if mentions(f.text, _ET14000) and not domestic:
        return R.IMPORT_ET14000, f"{where}, ET 14000 licence: import VAT self-assessed"
    if cat in ("E", "Z") or (cat == "O" and domestic):
        kind = {"E": R.EXEMPT, "Z": R.DOMESTIC_ZERO, "O": R.NOT_SUBJECT}[cat]
        return kind, f"{where}, {catsaid}: {REGIMES[kind].label}"
    if cat == "AE" or (zero and cat in (None, "S", "O") and (mention or not domestic)):
        if domestic:
            return R.MEDECONTRACTANT, f"{where}, {catsaid}{said}: Belgian reverse charge"
        if eu:
            kind = R.INTRA_EU_GOODS if f.is_goods else R.INTRA_EU_SERVICES
            return kind, f"{where}, {catsaid}{said}: {REGIMES[kind].label}"
        if f.is_goods:
            return R.IMPORT_CUSTOMS, f"{where} outside the EU, goods: VAT is paid at customs"
        return R.NON_EU_SERVICES, f"{where} outside the EU, {catsaid}{said}: reverse charge"
    if cat == "G":
        return R.IMPORT_CUSTOMS, f"{where}, category G (export by the supplier): import"
    if zero:
        return R.DOMESTIC_ZERO, f"{where}, {catsaid}, 0 %: domestic purchase without VAT"
    if not domestic:
        return R.FOREIGN_VAT, f"{where} charges its own VAT: not deductible in Belgium"
    return R.DOMESTIC, f"{where}, {catsaid}, {format(f.rate, 'f')} %: domestic purchase"


def derive_sales_regime(f: LineFacts) -> tuple[Regime, str]:
    cat = (f.category or "").upper() or None
    zero = f.rate is None or f.rate == 0
    where = f"customer {f.country or '?'} ({f.country_source})"
    eu = f.country in EU_COUNTRIES and f.country != "BE"
    domestic = f.country in (None, "BE")
    catsaid = f"category {cat}" if cat else "no VAT category"
    if not zero and cat not in ("AE", "K", "G", "E", "Z", "O"):
        return R.SALES_DOMESTIC, f"{where}, {catsaid}, {format(f.rate, 'f')} %: domestic sale"
    if cat == "K":
        return R.SALES_INTRA_EU_GOODS, f"{where}, category K: intra-EU supply of goods"
    if cat == "G" or (cat == "O" and not domestic):
        return R.SALES_EXPORT, f"{where}, {catsaid}: export or operation abroad"
    if cat in ("E", "Z", "O"):
        return R.SALES_ZERO_EXEMPT, f"{where}, {catsaid}: 0 % or exempt sale"
    mention = _rc_mention(f.text)
    if cat == "AE" or mention:
        if domestic:
            return R.SALES_MEDECONTRACTANT, f"{where}, {catsaid}: customer self-assesses"
        if eu:
            kind = R.SALES_INTRA_EU_GOODS if f.is_goods else R.SALES_INTRA_EU_SERVICES
            return kind, f"{where}, {catsaid}: {REGIMES[kind].label}"
        return R.SALES_EXPORT, f"{where} outside the EU: operation abroad"
    if eu:
        kind = R.SALES_INTRA_EU_GOODS if f.is_goods else R.SALES_INTRA_EU_SERVICES
        return kind, f"{where} with EU VAT number, 0 %: {REGIMES[kind].label}"
    if not domestic:
        return R.SALES_EXPORT, f"{where} outside the EU, 0 %: export"
    return R.SALES_ZERO_EXEMPT, f"{where}, {catsaid}, 0 %: sale without VAT"
