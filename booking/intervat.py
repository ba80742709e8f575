"""Intervat XML: the periodic VAT return, the annual client listing and the intra-EU listing.

Pure: frozen dataclasses in, bytes out.  The three documents follow the schemas
of SPF Finances / FOD Financiën (``shared/corpus/intervat``, v0_9):

- ``VATConsignment`` (NewTVA-in, namespace ``http://www.minfin.fgov.be/VATConsignment``):
  one ``VATDeclaration`` with the declarant, the month or quarter, one
  ``Amount GridNumber="NN"`` per non-zero grid, ``ClientListingNihil`` and ``Ask``.
- ``ClientListingConsignment`` (NewLK-in): the annual listing of Belgian VAT
  customers, turnover excl. VAT and VAT per customer.
- ``IntraConsignment`` (NewICO-in): the intra-EU listing per customer VAT number and
  code (L goods, grid 46; S services, grid 44; T triangular, never produced here).

Rules chosen where the schemas and the brief leave a choice:

- Grids are written without leading zeros (``GridNumber="1"`` for grid 01) as the
  schema's integer enumeration demands; zero grids are left out, except that 71 or 72
  is always written (one of them, ``0.00`` when nothing is due) so a return is never
  empty.  Negative grid totals are refused (the return has no negative amounts: the
  accountant corrects the entries, or books the credit notes in 49/85).
- 71 (VAT due to the State) and 72 (VAT due by the State) are recomputed here from
  54+55+56+57+61+63 and 59+62+64; a caller's 71/72 that disagrees is refused.
- The client listing keeps customers whose yearly turnover excl. VAT is at least
  ``threshold`` (EUR 250 by law); credit notes reduce the turnover (grid 49) and the
  VAT (grid 64).
- The intra-EU listing amounts are per customer, code and period; credit notes
  (grid 48) are negative amounts of the same period and code.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lxml import etree

from booking.check import to_decimal
from booking.errors import BookingError
from booking.learning import line_value

__all__ = [
    "GRID_LABELS",
    "NS_CLIENTS",
    "NS_COMMON",
    "NS_INTRA",
    "NS_VAT",
    "ClientTotal",
    "Declarant",
    "IntervatError",
    "IntraTotal",
    "VatPeriod",
    "VatReturn",
    "client_listing_from_entries",
    "client_listing_xml",
    "grid_label",
    "intra_listing_from_entries",
    "intra_listing_xml",
    "parse_period",
    "vat_return_xml",
]

NS_VAT = "http://www.minfin.fgov.be/VATConsignment"
NS_CLIENTS = "http://www.minfin.fgov.be/ClientListingConsignment"
NS_INTRA = "http://www.minfin.fgov.be/IntraConsignment"
NS_COMMON = "http://www.minfin.fgov.be/InputCommon"

#: Every grid of the periodic return: (nl, fr, en).
GRID_LABELS: dict[str, tuple[str, str, str]] = {
    "00": (
        "Handelingen onder bijzondere regeling of vrijgesteld (art. 44)",
        "Opérations soumises à un régime particulier ou exemptées (art. 44)",
        "special regime / exempt (mixed taxpayer)",
    ),
    "01": ("Handelingen aan 6 %", "Opérations à 6 %", "sales taxable at 6 %"),
    "02": ("Handelingen aan 12 %", "Opérations à 12 %", "sales taxable at 12 %"),
    "03": ("Handelingen aan 21 %", "Opérations à 21 %", "sales taxable at 21 %"),
    "44": (
        "Intracommunautaire diensten",
        "Services intracommunautaires",
        "intra-EU services supplied",
    ),
    "45": (
        "Handelingen waarvoor de medecontractant de btw verschuldigd is",
        "Opérations pour lesquelles la TVA est due par le cocontractant",
        "reverse charge (medecontractant)",
    ),
    "46": (
        "Vrijgestelde intracommunautaire leveringen",
        "Livraisons intracommunautaires exemptées",
        "intra-EU supplies",
    ),
    "47": (
        "Andere vrijgestelde handelingen en uitvoer",
        "Autres opérations exemptées et exportations",
        "other exempt operations, exports",
    ),
    "48": (
        "Creditnota's op roosters 44 en 46",
        "Notes de crédit relatives aux grilles 44 et 46",
        "credit notes on 44/46",
    ),
    "49": (
        "Andere uitgereikte creditnota's",
        "Autres notes de crédit émises",
        "other credit notes issued",
    ),
    "54": (
        "Verschuldigde btw op handelingen in 01, 02, 03",
        "TVA due sur les opérations des grilles 01, 02, 03",
        "output VAT",
    ),
    "55": (
        "Verschuldigde btw op handelingen in 86 en 88",
        "TVA due sur les opérations des grilles 86 et 88",
        "VAT on 86/88",
    ),
    "56": (
        "Verschuldigde btw op handelingen in 87 (behalve invoer met verlegging)",
        "TVA due sur les opérations de la grille 87 (sauf importations avec report)",
        "VAT on 87",
    ),
    "57": (
        "Btw op invoer met verlegging van heffing",
        "TVA sur importations avec report de perception",
        "import VAT with deferral",
    ),
    "59": ("Aftrekbare btw", "TVA déductible", "deductible VAT"),
    "61": (
        "Diverse btw-regularisaties in het voordeel van de Staat",
        "Régularisations diverses de TVA en faveur de l'État",
        "regularisation in favour of the State",
    ),
    "62": (
        "Diverse btw-regularisaties in het voordeel van de aangever",
        "Régularisations diverses de TVA en faveur du déclarant",
        "regularisation in favour of the declarant",
    ),
    "63": (
        "Terug te storten btw vermeld op ontvangen creditnota's",
        "TVA à reverser mentionnée sur les notes de crédit reçues",
        "VAT to repay on credit notes received",
    ),
    "64": (
        "Te recupereren btw op uitgereikte creditnota's",
        "TVA à récupérer mentionnée sur les notes de crédit délivrées",
        "VAT to recover on credit notes issued",
    ),
    "71": ("Aan de Staat verschuldigde belasting", "Taxe due à l'État", "VAT payable to the State"),
    "72": (
        "Sommen verschuldigd door de Staat",
        "Sommes dues par l'État",
        "VAT refundable by the State",
    ),
    "81": (
        "Aankopen handelsgoederen, grond- en hulpstoffen",
        "Achats de marchandises, matières premières et auxiliaires",
        "goods for resale, raw materials",
    ),
    "82": (
        "Aankopen diensten en diverse goederen",
        "Achats de services et biens divers",
        "services and miscellaneous goods",
    ),
    "83": ("Aankopen bedrijfsmiddelen", "Achats de biens d'investissement", "investment goods"),
    "84": (
        "Ontvangen creditnota's op roosters 86 en 88",
        "Notes de crédit reçues relatives aux grilles 86 et 88",
        "credit notes received on 86/88",
    ),
    "85": (
        "Andere ontvangen creditnota's",
        "Autres notes de crédit reçues",
        "other credit notes received",
    ),
    "86": (
        "Intracommunautaire verwervingen van goederen",
        "Acquisitions intracommunautaires de biens",
        "intra-EU acquisitions",
    ),
    "87": (
        "Andere inkomende handelingen waarvoor u de btw verschuldigd bent",
        "Autres opérations entrantes pour lesquelles vous êtes redevable de la TVA",
        "other purchases, VAT owed by the declarant",
    ),
    "88": (
        "Intracommunautaire diensten ontvangen",
        "Services intracommunautaires reçus",
        "intra-EU services received",
    ),
    "91": (
        "Btw op handelingen van de laatste decade van december (voorschot)",
        "TVA sur les opérations de la dernière décade de décembre (acompte)",
        "VAT on operations of 1-20 December (advance, December return only)",
    ),
}

_DUE = ("54", "55", "56", "57", "61", "63")
_DEDUCTIBLE = ("59", "62", "64")
_ZERO = Decimal("0.00")
_BE_VAT = re.compile(r"^(?:BE)?([01]\d{9})$")
_EU_VAT = re.compile(r"^([A-Z]{2})([0-9A-Z+*]{2,12})$")
_PERIOD = re.compile(r"^(\d{4})-(?:Q([1-4])|(0[1-9]|1[0-2]))$")
EU_MEMBER_STATES = frozenset(
    [
        "AT",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "EL",
        "ES",
        "FI",
        "FR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
_MAX_AMOUNT = Decimal("99999999999.99")


class IntervatError(BookingError):
    """The data cannot become a valid Intervat document (the message says why)."""


def grid_label(grid: str, lang: str = "en") -> str:
    """A grid's label in ``nl``, ``fr`` or ``en``."""
    labels = GRID_LABELS.get(grid.zfill(2))
    if labels is None:
        raise IntervatError(f"grid {grid!r} is not on the Belgian VAT return")
    return labels[{"nl": 0, "fr": 1}.get(lang, 2)]


@dataclass(frozen=True, slots=True)
class VatPeriod:
    """A VAT period: a month (1-12) or a quarter (1-4) of ``year``; neither for a year."""

    year: int
    month: int | None = None
    quarter: int | None = None

    def __post_init__(self) -> None:
        if not 2000 <= self.year <= 9999:
            raise IntervatError(f"year {self.year} is out of range")
        if self.month is not None and self.quarter is not None:
            raise IntervatError("a VAT period is a month or a quarter, not both")
        if self.month is not None and not 1 <= self.month <= 12:
            raise IntervatError(f"month {self.month} is not 1..12")
        if self.quarter is not None and not 1 <= self.quarter <= 4:
            raise IntervatError(f"quarter {self.quarter} is not 1..4")

    @property
    def key(self) -> str:
        """``2026-Q1``, ``2026-03`` or ``2026``: the ``vat_period`` of booked entries."""
        if self.quarter is not None:
            return f"{self.year}-Q{self.quarter}"
        if self.month is not None:
            return f"{self.year}-{self.month:02d}"
        return str(self.year)

    def months(self) -> tuple[str, ...]:
        """The booking months ``YYYY-MM`` inside the period."""
        if self.month is not None:
            return (f"{self.year}-{self.month:02d}",)
        first = 1 if self.quarter is None else 3 * self.quarter - 2
        last = 12 if self.quarter is None else first + 2
        return tuple(f"{self.year}-{m:02d}" for m in range(first, last + 1))


def parse_period(text: str) -> VatPeriod:
    """``2026-Q1`` or ``2026-03`` (a VAT return period)."""
    m = _PERIOD.match(text.strip())
    if not m:
        raise IntervatError(f"period {text!r} is not YYYY-Qn or YYYY-MM")
    year, quarter, month = m.groups()
    if quarter:
        return VatPeriod(int(year), quarter=int(quarter))
    return VatPeriod(int(year), month=int(month))


def be_vat_digits(vat: str | None) -> str:
    """The 10 digits of a Belgian VAT number (``BE0123.456.749`` -> ``0123456749``)."""
    plain = "".join(ch for ch in (vat or "").upper() if ch.isalnum())
    m = _BE_VAT.match(plain)
    if not m:
        raise IntervatError(f"{vat!r} is not a Belgian VAT number (BE + 10 digits)")
    digits = m.group(1)
    if 97 - int(digits[:8]) % 97 != int(digits[8:]):
        raise IntervatError(f"{vat!r} fails the mod-97 check")
    return digits


def eu_vat_parts(vat: str | None) -> tuple[str, str]:
    """(member state code, number) of an EU VAT number other than Belgian: ``DE811234567``."""
    plain = "".join(ch for ch in (vat or "").upper() if ch.isalnum() or ch in "+*")
    m = _EU_VAT.match(plain)
    if not m:
        raise IntervatError(f"{vat!r} is not an EU VAT number (country prefix + number)")
    country, number = m.groups()
    country = "EL" if country == "GR" else country
    if country not in EU_MEMBER_STATES:
        raise IntervatError(f"{vat!r}: {country} is not another EU member state")
    return country, number


@dataclass(frozen=True, slots=True)
class Declarant:
    vat: str
    name: str = ""
    street: str = ""
    postcode: str = ""
    city: str = ""
    country: str = "BE"
    email: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class VatReturn:
    """One periodic return: grid totals (``"01"``, ``"54"``... as in :mod:`booking.vat_return`)."""

    declarant: Declarant
    period: VatPeriod
    grids: Mapping[str, Decimal]
    client_listing_nihil: bool = False  # "no client listing" (only with the last return)
    ask_restitution: bool = False
    ask_payment: bool = False
    comment: str = ""
    sequence: int = 1
    reference: str = ""  # the declarant's own reference, max 14 characters


@dataclass(frozen=True, slots=True)
class ClientTotal:
    vat: str  # Belgian VAT number of the customer
    turnover: Decimal
    vat_amount: Decimal


@dataclass(frozen=True, slots=True)
class IntraTotal:
    vat: str  # the customer's EU VAT number with its country prefix
    code: str  # L goods, S services, T triangular
    amount: Decimal
    period: VatPeriod | None = None  # a correction of an earlier period


def _amount(value: Decimal, *, signed: bool = False, limit: bool = True) -> str:
    q = Decimal(value).quantize(Decimal("0.01"))
    if not signed and q < 0:
        raise IntervatError(f"amount {q} is negative")
    if limit and abs(q) > _MAX_AMOUNT:
        raise IntervatError(f"amount {q} is too large for Intervat")
    return format(q, "f")


def _clean(text: str, limit: int) -> str:
    """Text for an XML element: control characters dropped, cut at the schema's length."""
    out = "".join(ch for ch in text if ch in "\t\n" or ord(ch) >= 32)
    out = "".join(ch for ch in out if not 0xD800 <= ord(ch) <= 0xDFFF and ch not in "\ufffe\uffff")
    return out.strip()[:limit]


def _sub(parent: etree._Element, ns: str, tag: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        el.text = text
    return el


def _declarant(parent: etree._Element, ns: str, d: Declarant) -> None:
    el = _sub(parent, ns, "Declarant")
    _sub(el, NS_COMMON, "VATNumber", be_vat_digits(d.vat))
    for tag, value, limit in (
        ("Name", d.name, 200),
        ("Street", d.street, 200),
        ("PostCode", d.postcode, 15),
        ("City", d.city, 184),
    ):
        if value.strip():
            _sub(el, NS_COMMON, tag, _clean(value, limit))
    country = d.country.strip().upper()
    if country:
        if country not in EU_MEMBER_STATES | {"BE"}:
            raise IntervatError(f"declarant country {country!r} is not an EU member state")
        _sub(el, NS_COMMON, "CountryCode", country)
    if d.email.strip():
        if not re.fullmatch(r"[a-zA-Z0-9_\-.]+@[a-zA-Z0-9_\-.]+\.[a-zA-Z]{2,5}", d.email.strip()):
            raise IntervatError(f"declarant e-mail {d.email!r} is not accepted by Intervat")
        _sub(el, NS_COMMON, "EmailAddress", d.email.strip())
    if d.phone.strip():
        phone = re.sub(r"[^0-9+ \-]", "", d.phone.strip())[:21]
        if not re.fullmatch(r"\+?[0-9 \-]{0,20}", phone):
            raise IntervatError(f"declarant phone {d.phone!r} is not accepted by Intervat")
        _sub(el, NS_COMMON, "Phone", phone)


def _period(parent: etree._Element, ns: str, tag: str, p: VatPeriod) -> None:
    el = _sub(parent, ns, tag)
    if p.month is not None:
        _sub(el, ns, "Month", str(p.month))
    elif p.quarter is not None:
        _sub(el, ns, "Quarter", str(p.quarter))
    _sub(el, ns, "Year", str(p.year))


def _bytes(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def balance(grids: Mapping[str, Decimal]) -> tuple[str, Decimal]:
    """``("71", due)`` or ``("72", refund)`` from the tax grids."""
    due = sum((Decimal(grids.get(g, 0)) for g in _DUE), _ZERO)
    deductible = sum((Decimal(grids.get(g, 0)) for g in _DEDUCTIBLE), _ZERO)
    return ("71", due - deductible) if due >= deductible else ("72", deductible - due)


def vat_return_xml(ret: VatReturn) -> bytes:
    """The ``VATConsignment`` of one periodic VAT return."""
    if ret.period.month is None and ret.period.quarter is None:
        raise IntervatError("a VAT return is for a month or a quarter")
    grids = {str(k).zfill(2): Decimal(v) for k, v in ret.grids.items()}
    unknown = sorted(g for g in grids if g not in GRID_LABELS)
    if unknown:
        raise IntervatError(f"grid(s) {', '.join(unknown)} are not on the Belgian VAT return")
    which, amount = balance(grids)
    other = "72" if which == "71" else "71"
    for grid in (which, other):
        given = grids.get(grid)
        expected = amount if grid == which else _ZERO
        if given is not None and given.quantize(Decimal("0.01")) != expected:
            raise IntervatError(f"grid {grid} is {given} but the tax grids give {which} = {amount}")
    grids.pop(other, None)
    grids[which] = amount
    if "91" in grids and ret.period.month != 12:
        raise IntervatError("grid 91 (December advance) is only on the December return")
    negative = sorted(f"{g} ({v})" for g, v in grids.items() if v < 0)
    if negative:
        raise IntervatError(
            f"negative grid total(s) {', '.join(negative)}: correct the entries before filing"
        )
    nsmap: Any = {None: NS_VAT, "common": NS_COMMON}  # lxml: None is the default namespace
    root = etree.Element(f"{{{NS_VAT}}}VATConsignment", nsmap=nsmap)
    root.set("VATDeclarationsNbr", "1")
    decl = _sub(root, NS_VAT, "VATDeclaration")
    decl.set("SequenceNumber", str(ret.sequence))
    if ret.reference:
        decl.set("DeclarantReference", _clean(ret.reference, 14))
    _declarant(decl, NS_VAT, ret.declarant)
    _period(decl, NS_VAT, "Period", ret.period)
    data = _sub(decl, NS_VAT, "Data")
    for grid in sorted(grids, key=int):
        value = grids[grid]
        if value == 0 and grid != which:
            continue
        el = _sub(data, NS_VAT, "Amount", _amount(value))
        el.set("GridNumber", str(int(grid)))
    _sub(decl, NS_VAT, "ClientListingNihil", "YES" if ret.client_listing_nihil else "NO")
    ask = _sub(decl, NS_VAT, "Ask")
    ask.set("Restitution", "YES" if ret.ask_restitution else "NO")
    ask.set("Payment", "YES" if ret.ask_payment else "NO")
    if ret.comment.strip():
        _sub(decl, NS_VAT, "Comment", _clean(ret.comment, 2000))
    return _bytes(root)


def client_listing_xml(
    declarant: Declarant, year: int, clients: Iterable[ClientTotal], *, sequence: int = 1
) -> bytes:
    """The ``ClientListingConsignment`` (annual listing of Belgian VAT customers)."""
    rows = sorted(clients, key=lambda c: be_vat_digits(c.vat))
    nsmap: Any = {None: NS_CLIENTS, "common": NS_COMMON}  # lxml: None is the default namespace
    root = etree.Element(f"{{{NS_CLIENTS}}}ClientListingConsignment", nsmap=nsmap)
    root.set("ClientListingsNbr", "1")
    listing = _sub(root, NS_CLIENTS, "ClientListing")
    listing.set("SequenceNumber", str(sequence))
    listing.set("ClientsNbr", str(len(rows)))
    turnover = sum((c.turnover for c in rows), _ZERO)
    vat = sum((c.vat_amount for c in rows), _ZERO)
    listing.set("TurnOverSum", _amount(turnover, signed=True, limit=False))
    listing.set("VATAmountSum", _amount(vat, signed=True, limit=False))
    _declarant(listing, NS_CLIENTS, declarant)
    _sub(listing, NS_CLIENTS, "Period", str(VatPeriod(year).year))
    for i, c in enumerate(rows, start=1):
        el = _sub(listing, NS_CLIENTS, "Client")
        el.set("SequenceNumber", str(i))
        number = _sub(el, NS_CLIENTS, "CompanyVATNumber", be_vat_digits(c.vat))
        number.set("issuedBy", "BE")
        _sub(el, NS_CLIENTS, "TurnOver", _amount(c.turnover, signed=True))
        _sub(el, NS_CLIENTS, "VATAmount", _amount(c.vat_amount, signed=True))
    return _bytes(root)


def intra_listing_xml(
    declarant: Declarant, period: VatPeriod, clients: Iterable[IntraTotal], *, sequence: int = 1
) -> bytes:
    """The ``IntraConsignment`` (intra-EU listing of a month or quarter)."""
    rows = list(clients)
    if not rows:
        raise IntervatError(
            f"no intra-EU supplies in {period.key}: the intra-EU listing needs at least one client"
        )
    for r in rows:
        if r.code not in ("L", "S", "T"):
            raise IntervatError(f"intra-EU code {r.code!r} is not L, S or T")
    nsmap: Any = {None: NS_INTRA, "common": NS_COMMON}  # lxml: None is the default namespace
    root = etree.Element(f"{{{NS_INTRA}}}IntraConsignment", nsmap=nsmap)
    root.set("IntraListingsNbr", "1")
    listing = _sub(root, NS_INTRA, "IntraListing")
    listing.set("SequenceNumber", str(sequence))
    listing.set("ClientsNbr", str(len(rows)))
    listing.set(
        "AmountSum", _amount(sum((r.amount for r in rows), _ZERO), signed=True, limit=False)
    )
    _declarant(listing, NS_INTRA, declarant)
    _period(listing, NS_INTRA, "Period", period)
    for i, r in enumerate(rows, start=1):
        country, number = eu_vat_parts(r.vat)
        el = _sub(listing, NS_INTRA, "IntraClient")
        el.set("SequenceNumber", str(i))
        vat = _sub(el, NS_INTRA, "CompanyVATNumber", number)
        vat.set("issuedBy", country)
        _sub(el, NS_INTRA, "Code", r.code)
        _sub(el, NS_INTRA, "Amount", _amount(r.amount, signed=True))
        if r.period is not None:
            _period(el, NS_INTRA, "CorrectingPeriod", r.period)
    return _bytes(root)


# ------------------------------------------------------------------ from booked entries

_TURNOVER = frozenset({"00", "01", "02", "03", "45", "49"})
_OUTPUT_VAT = frozenset({"54", "64"})


def _signed(line: Any) -> Decimal:
    """Credit minus debit: turnover and output VAT are credits, credit notes debits."""
    return to_decimal(line_value(line, "credit")) - to_decimal(line_value(line, "debit"))


def _grids(line: Any) -> frozenset[str]:
    return frozenset(str(g).zfill(2) for g in line_value(line, "vat_grid") or ())


def _belgian(vat: str | None) -> str | None:
    try:
        return be_vat_digits(vat)
    except IntervatError:
        return None


def client_listing_from_entries(
    entries: Iterable[Any], *, threshold: Decimal = Decimal("250.00")
) -> list[ClientTotal]:
    """Per Belgian VAT customer: turnover (grids 00-03, 45 less 49) and VAT (54 less 64).

    Each entry has ``counterparty_vat`` and ``lines`` (``debit``, ``credit``,
    ``vat_grid``); entries of customers without a valid Belgian VAT number are
    left out, so are customers below ``threshold`` turnover.
    """
    turnover: dict[str, Decimal] = defaultdict(lambda: _ZERO)
    vat: dict[str, Decimal] = defaultdict(lambda: _ZERO)
    for entry in entries:
        digits = _belgian(line_value(entry, "counterparty_vat"))
        if digits is None:
            continue
        for line in line_value(entry, "lines") or ():
            grids = _grids(line)
            if grids & _TURNOVER:
                turnover[digits] += _signed(line)
            if grids & _OUTPUT_VAT:
                vat[digits] += _signed(line)
    return [
        ClientTotal(f"BE{d}", turnover[d], vat[d])
        for d in sorted(turnover)
        if turnover[d] >= threshold
    ]


def intra_listing_from_entries(entries: Iterable[Any]) -> list[IntraTotal]:
    """Per EU customer and code: grid 46 is L (goods), 44 is S (services), 48 reduces them.

    A credit-note line (grid 48) takes its code from its VAT code (``SAL-ICS`` is
    services), else goods.  Customers without a valid EU VAT number are refused:
    the listing is the proof that the supply is exempt.
    """
    totals: dict[tuple[str, str], Decimal] = defaultdict(lambda: _ZERO)
    for entry in entries:
        lines = line_value(entry, "lines") or ()
        relevant = [ln for ln in lines if _grids(ln) & {"44", "46", "48"}]
        if not relevant:
            continue
        raw = line_value(entry, "counterparty_vat")
        country, number = eu_vat_parts(raw)
        for line in relevant:
            grids = _grids(line)
            code = "L"
            if "44" in grids or (
                "48" in grids and "ICS" in str(line_value(line, "vat_code") or "").upper()
            ):
                code = "S"
            totals[(f"{country}{number}", code)] += _signed(line)
    return [IntraTotal(vat, code, amount) for (vat, code), amount in sorted(totals.items())]
