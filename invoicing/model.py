"""The sales-invoicing model: frozen dataclasses the storage side can persist as they are.

Identifiers are checked when an object is built (python-stdnum), so a
:class:`Customer` or :class:`Seller` that exists is valid.  Amounts are
:class:`~decimal.Decimal`; every money amount is in cents (two decimals).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from stdnum import bic as _bic
from stdnum import iban as _iban
from stdnum.be import vat as _be_vat
from stdnum.eu import vat as _eu_vat
from stdnum.exceptions import ValidationError

from invoicing.errors import InvalidIdentifier, InvoicingError

__all__ = [
    "EU_COUNTRIES",
    "Adjustment",
    "Customer",
    "DocumentKind",
    "DraftLine",
    "InvoiceDraft",
    "IssuedInvoice",
    "Item",
    "ItemKind",
    "Language",
    "Seller",
    "TaxRow",
    "Totals",
    "VatCase",
    "compact_enterprise_number",
    "compact_vat",
    "derive_peppol_id",
    "validate_peppol_id",
]

_EU = "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK"
EU_COUNTRIES = frozenset(_EU.split(" "))
CENT = Decimal("0.01")
_MAX_TEXT = 500
_MAX_LINES = 1000


class Language(StrEnum):
    NL = "nl"
    FR = "fr"
    DE = "de"
    EN = "en"


class ItemKind(StrEnum):
    GOODS = "goods"
    SERVICES = "services"


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class VatCase(StrEnum):
    """The VAT treatment of a whole document (each drives categories, mentions and grids)."""

    DOMESTIC = "domestic"  # Belgian B2B, 21/12/6/0 % per line (exempt lines allowed)
    PRIVATE = "private"  # sale to a private person: rates as domestic, no customer VAT
    INTRA_EU_GOODS = "intra_eu_goods"  # art. 39bis / art. 138 Directive, category K
    INTRA_EU_SERVICES = "intra_eu_services"  # reverse charge art. 196 Directive, AE
    EXPORT = "export"  # outside the EU, art. 39 / art. 146 Directive, G
    COCONTRACTOR = "cocontractor"  # Belgian medecontractant, art. 20 KB nr. 1, AE
    SMALL_ENTERPRISE = "small_enterprise"  # franchise art. 56bis, E
    EXEMPT = "exempt"  # exempt supplies art. 44, E


# -- identifiers ----------------------------------------------------------------------


def compact_vat(vat: str) -> str:
    """A valid EU VAT number as ``CC`` + digits (``BE0403170701``); raises InvalidIdentifier."""
    raw = (vat or "").strip()
    try:
        number = _eu_vat.validate(raw)
    except ValidationError as exc:
        raise InvalidIdentifier(f"invalid VAT number {raw[:40]!r}: {exc}") from exc
    return str(number).upper()


def compact_enterprise_number(number: str) -> str:
    """A valid Belgian enterprise number (KBO/BCE) as 10 digits; raises InvalidIdentifier."""
    raw = (number or "").strip()
    digits = "".join(ch for ch in raw if ch.isdigit())
    try:
        return str(_be_vat.validate(digits))
    except ValidationError as exc:
        raise InvalidIdentifier(f"invalid enterprise number {raw[:40]!r}: {exc}") from exc


# Peppol EAS schemes keyed by a VAT number's country (Peppol code list, VAT based schemes).
_VAT_SCHEMES = {
    "BE": "9925", "AT": "9914", "ES": "9920", "DE": "9930", "HR": "9934", "IE": "9935",
    "LU": "9938", "LV": "9939", "NL": "9944", "PL": "9945", "PT": "9946", "RO": "9947",
    "SI": "9949", "SK": "9950", "SE": "9955", "FR": "9957", "BG": "9926", "CY": "9928",
    "CZ": "9929", "EE": "9931", "EL": "9933", "HU": "9910", "IT": "0211", "LT": "9937",
    "MT": "9943", "FI": "0213", "DK": "0198",
}  # fmt: skip
_VAT_SCHEME_COUNTRY = {scheme: country for country, scheme in _VAT_SCHEMES.items()}


def _vat_country(vat: str) -> str:
    """The ISO country of a VAT number (Greek VAT numbers start with EL)."""
    return "GR" if vat[:2] == "EL" else vat[:2]


def derive_peppol_id(country: str, vat: str | None, enterprise_number: str | None) -> str | None:
    """``0208:KBO`` for a Belgian party, else the VAT-based scheme (``9925:BE…`` for Belgium)."""
    if country == "BE" and enterprise_number:
        return f"0208:{enterprise_number}"
    if vat:
        scheme = _VAT_SCHEMES.get(vat[:2])
        if scheme is not None:
            return f"{scheme}:{vat}"
    return None


def validate_peppol_id(value: str) -> str:
    """Check ``scheme:identifier`` (EAS code list, Belgian checksums); returns it normalised."""
    from peppol.codelists import EAS

    raw = (value or "").strip()
    scheme, sep, ident = raw.partition(":")
    scheme, ident = scheme.strip(), ident.strip()
    if not sep or not scheme or not ident or len(raw) > 100:
        raise InvalidIdentifier(f"invalid Peppol id {raw[:60]!r}: expected 'scheme:identifier'")
    if scheme not in EAS:
        raise InvalidIdentifier(f"invalid Peppol id {raw[:60]!r}: unknown scheme {scheme}")
    if scheme == "0208":
        ident = compact_enterprise_number(ident)
    elif scheme in _VAT_SCHEME_COUNTRY:
        ident = compact_vat(ident)
        if ident[:2] != _VAT_SCHEME_COUNTRY[scheme]:
            raise InvalidIdentifier(
                f"invalid Peppol id {raw[:60]!r}: scheme {scheme} is for "
                f"{_VAT_SCHEME_COUNTRY[scheme]} VAT numbers"
            )
    elif any(ch.isspace() for ch in ident):
        raise InvalidIdentifier(f"invalid Peppol id {raw[:60]!r}: blanks in the identifier")
    return f"{scheme}:{ident}"


def _text(value: str, what: str, *, required: bool = True, limit: int = _MAX_TEXT) -> None:
    if required and not (value or "").strip():
        raise InvoicingError(f"{what} is required")
    if len(value or "") > limit:
        raise InvoicingError(f"{what} is longer than {limit} characters")


# -- parties ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Seller:
    """The dossier that issues the invoice.  ``vat`` may be None only for a non-VAT seller."""

    name: str
    street: str
    postal_code: str
    city: str
    vat: str | None
    enterprise_number: str
    iban: str
    bic: str
    country: str = "BE"
    email: str | None = None
    phone: str | None = None
    logo: bytes | None = None
    logo_mime: str = "image/png"
    legal_form: str | None = None

    def __post_init__(self) -> None:
        _text(self.name, "seller name")
        _text(self.city, "seller city")
        object.__setattr__(
            self, "enterprise_number", compact_enterprise_number(self.enterprise_number)
        )
        if self.vat is not None:
            object.__setattr__(self, "vat", compact_vat(self.vat))
        try:
            object.__setattr__(self, "iban", _iban.validate(self.iban))
            object.__setattr__(self, "bic", _bic.validate(self.bic))
        except ValidationError as exc:
            raise InvalidIdentifier(f"invalid seller IBAN or BIC: {exc}") from exc
        if self.logo is not None and len(self.logo) > 2_000_000:
            raise InvoicingError("the logo is larger than 2 MB")

    @property
    def peppol_id(self) -> str:
        return f"0208:{self.enterprise_number}"


@dataclass(frozen=True, slots=True)
class Customer:
    """A customer of the dossier.  The Peppol id is derived when not given, and checked."""

    name: str
    country: str
    street: str = ""
    postal_code: str = ""
    city: str = ""
    language: Language = Language.NL
    vat: str | None = None
    enterprise_number: str | None = None
    peppol_id: str | None = None
    email: str | None = None
    payment_terms_days: int = 30
    is_consumer: bool = False

    def __post_init__(self) -> None:
        _text(self.name, "customer name")
        country = (self.country or "").strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise InvoicingError(f"customer country {self.country!r} is not an ISO 3166 code")
        object.__setattr__(self, "country", country)
        object.__setattr__(self, "language", Language(self.language))
        if self.vat:
            vat = compact_vat(self.vat)
            if _vat_country(vat) != country:
                raise InvalidIdentifier(f"VAT number {vat} does not belong to country {country}")
            object.__setattr__(self, "vat", vat)
        else:
            object.__setattr__(self, "vat", None)
        if self.enterprise_number:
            if country != "BE":
                raise InvalidIdentifier("an enterprise number (KBO/BCE) is Belgian only")
            object.__setattr__(
                self, "enterprise_number", compact_enterprise_number(self.enterprise_number)
            )
        elif country == "BE" and self.vat:
            object.__setattr__(self, "enterprise_number", self.vat[2:])
        else:
            object.__setattr__(self, "enterprise_number", None)
        if self.peppol_id:
            object.__setattr__(self, "peppol_id", validate_peppol_id(self.peppol_id))
        elif not self.is_consumer:
            object.__setattr__(
                self, "peppol_id", derive_peppol_id(country, self.vat, self.enterprise_number)
            )
        if self.email is not None and ("@" not in self.email or len(self.email) > 254):
            raise InvoicingError(f"invalid e-mail address {self.email[:60]!r}")
        if not 0 <= self.payment_terms_days <= 365:
            raise InvoicingError("payment terms must be between 0 and 365 days")

    @property
    def is_belgian_vat_registered(self) -> bool:
        return self.country == "BE" and self.vat is not None


@dataclass(frozen=True, slots=True)
class Item:
    """A catalogue item.  ``vat_rate`` None with ``exempt`` False means: rate chosen per line."""

    description: str
    unit_price: Decimal
    vat_rate: Decimal | None = Decimal("21")
    unit: str = "C62"  # UN/ECE Rec 20 (C62 piece, HUR hour, DAY day, KGM kg)
    kind: ItemKind = ItemKind.SERVICES
    exempt: bool = False
    revenue_account: str | None = None
    code: str | None = None

    def __post_init__(self) -> None:
        _text(self.description, "item description")

    @property
    def account(self) -> str:
        if self.revenue_account:
            return self.revenue_account
        return "700000" if self.kind is ItemKind.GOODS else "705000"


# -- documents --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DraftLine:
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal | None
    unit: str = "C62"
    kind: ItemKind = ItemKind.SERVICES
    exempt: bool = False
    revenue_account: str | None = None

    @classmethod
    def of(cls, item: Item, quantity: Decimal) -> DraftLine:
        return cls(
            item.description,
            quantity,
            item.unit_price,
            item.vat_rate,
            item.unit,
            item.kind,
            item.exempt,
            item.account,
        )

    @property
    def net(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(CENT, ROUND_HALF_UP)

    @property
    def account(self) -> str:
        if self.revenue_account:
            return self.revenue_account
        return "700000" if self.kind is ItemKind.GOODS else "705000"


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A document-level discount (``is_charge`` False) or charge: an amount or a percentage.

    ``vat_rate`` None spreads it over every rate of the document in proportion.
    """

    is_charge: bool
    reason: str
    amount: Decimal | None = None
    percent: Decimal | None = None
    vat_rate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class InvoiceDraft:
    """An editable invoice or credit note; ``credited_number`` (BT-25) for a credit note."""

    customer: Customer
    lines: tuple[DraftLine, ...]
    vat_case: VatCase = VatCase.DOMESTIC
    kind: DocumentKind = DocumentKind.INVOICE
    adjustments: tuple[Adjustment, ...] = ()
    issue_date: _dt.date | None = None
    delivery_date: _dt.date | None = None
    buyer_reference: str | None = None
    order_reference: str | None = None
    note: str | None = None
    credited_number: str | None = None
    credited_issue_date: _dt.date | None = None
    currency: str = "EUR"

    def __post_init__(self) -> None:
        if not self.lines:
            raise InvoicingError("an invoice needs at least one line")
        if len(self.lines) > _MAX_LINES:
            raise InvoicingError(f"more than {_MAX_LINES} lines")
        if self.currency != "EUR":
            raise InvoicingError("only EUR invoices are supported")
        if self.kind is DocumentKind.CREDIT_NOTE and not self.credited_number:
            raise InvoicingError("a credit note must reference the invoice it credits (BT-25)")
        for ln in self.lines:
            _text(ln.description, "line description")

    @property
    def is_credit_note(self) -> bool:
        return self.kind is DocumentKind.CREDIT_NOTE


@dataclass(frozen=True, slots=True)
class TaxRow:
    """One VAT breakdown row: UNCL5305 category, rate, taxable base, VAT, exemption."""

    category: str
    rate: Decimal
    taxable: Decimal
    vat: Decimal
    exemption_code: str | None = None
    exemption_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Totals:
    line_extension: Decimal
    allowances: Decimal
    charges: Decimal
    tax_exclusive: Decimal
    vat: Decimal
    tax_inclusive: Decimal
    payable: Decimal
    rows: tuple[TaxRow, ...]


@dataclass(frozen=True, slots=True)
class IssuedInvoice:
    """An issued, immutable invoice or credit note (``draft.kind`` says which).

    ``sequence`` is the gapless number the storage side allocated in ``bookyear``.
    """

    draft: InvoiceDraft
    seller: Seller
    number: str
    bookyear: int
    sequence: int
    issue_date: _dt.date
    due_date: _dt.date
    structured_communication: str
    totals: Totals
    mentions: tuple[str, ...] = field(default=())

    @property
    def is_credit_note(self) -> bool:
        return self.draft.is_credit_note

    @property
    def customer(self) -> Customer:
        return self.draft.customer
