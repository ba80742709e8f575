"""The one invoice model every extractor returns and booking consumes.

Standard library only: this module is imported by the pure cores (``peppol``,
``extractors``, ``booking``), by storage (as JSON) and by the UI (through the
service layer).  Everything is frozen; amounts are :class:`~decimal.Decimal`,
dates are :class:`~datetime.date`.

Positions: a :class:`BBox` is expressed in *fractions of the page* (0..1,
origin top-left), so the UI can highlight a value on a page image rendered at
any resolution.  Pages are numbered from 1.

JSON shapes:

* :meth:`InvoiceData.to_schema_dict` is the flat shape of
  ``shared/corpus/SCHEMA.md`` plus ``lines``, ``warnings`` and ``confidence``
  (what ``boekbox extract FILE --json`` prints).
* :func:`to_json` / :func:`from_json` round-trip the full object (what storage
  keeps in the extraction table).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import types
import typing
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

__all__ = [
    "AllowanceCharge",
    "Attachment",
    "BBox",
    "DocumentType",
    "Evidence",
    "Finding",
    "InvoiceData",
    "InvoiceLine",
    "Party",
    "Severity",
    "VatBreakdown",
    "from_json",
    "parse_decimal",
    "to_json",
]


class DocumentType(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class Severity(StrEnum):
    FATAL = "fatal"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class BBox:
    """A rectangle in fractions of the page (0..1), origin top-left."""

    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where and how a field value was found."""

    confidence: float
    rule: str
    page: int | None = None
    bbox: BBox | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class Finding:
    """A validation or plausibility finding shown to the accountant."""

    rule_id: str
    severity: Severity
    message: str
    location: str = ""


@dataclass(frozen=True, slots=True)
class Party:
    name: str | None = None
    trading_name: str | None = None
    vat: str | None = None
    enterprise_number: str | None = None
    endpoint_id: str | None = None
    endpoint_scheme: str | None = None
    street: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class AllowanceCharge:
    is_charge: bool
    amount: Decimal
    reason: str | None = None
    reason_code: str | None = None
    vat_category: str | None = None
    vat_rate: Decimal | None = None
    base_amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    net: Decimal
    description: str = ""
    id: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    unit_price: Decimal | None = None
    vat_category: str | None = None
    vat_rate: Decimal | None = None
    item_classification: tuple[str, ...] = ()
    allowances_charges: tuple[AllowanceCharge, ...] = ()


@dataclass(frozen=True, slots=True)
class VatBreakdown:
    taxable: Decimal
    vat: Decimal
    rate: Decimal | None = None
    category: str | None = None
    exemption_reason: str | None = None
    exemption_code: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attachment of an e-invoice: a reference, an external URI, or embedded bytes.

    The parser does not copy embedded bytes into the model (a Belgian UBL.BE invoice
    carries a 250 kB base64 PDF, which would dominate the parse and every stored
    extraction): it sets ``embedded`` and leaves ``data_base64`` empty;
    ``peppol.embedded_attachments`` reads the bytes from the document when they are
    needed.  A model built to be written (sales invoices) carries ``data_base64``.
    """

    filename: str | None
    mime_code: str | None
    data_base64: str = ""
    id: str | None = None
    description: str | None = None
    external_uri: str | None = None
    embedded: bool = False

    def decode(self) -> bytes:
        import base64
        import binascii

        try:
            return base64.b64decode("".join(self.data_base64.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"attachment {self.filename!r} is not valid base64: {exc}") from exc


@dataclass(frozen=True, slots=True)
class InvoiceData:
    """An invoice or credit note, whatever channel it came through.

    Credit notes carry positive amounts (``document_type`` says what they
    are).  ``evidence`` maps a SCHEMA field name to where it was found.
    """

    document_type: DocumentType = DocumentType.INVOICE
    type_code: str | None = None
    invoice_number: str | None = None
    issue_date: _dt.date | None = None
    due_date: _dt.date | None = None
    currency: str | None = None
    supplier: Party = field(default_factory=Party)
    customer: Party = field(default_factory=Party)
    total_excl_vat: Decimal | None = None
    total_vat: Decimal | None = None
    total_incl_vat: Decimal | None = None
    payable_amount: Decimal | None = None
    prepaid_amount: Decimal | None = None
    rounding_amount: Decimal | None = None
    allowance_total: Decimal | None = None
    charge_total: Decimal | None = None
    line_extension_amount: Decimal | None = None
    tax_currency: str | None = None
    tax_currency_vat_total: Decimal | None = None
    iban: str | None = None
    bic: str | None = None
    payment_reference: str | None = None
    payment_means_code: str | None = None
    payment_terms: str | None = None
    buyer_reference: str | None = None
    order_reference: str | None = None
    billing_references: tuple[str, ...] = ()
    customization_id: str | None = None
    profile_id: str | None = None
    note: str | None = None
    vat_breakdown: tuple[VatBreakdown, ...] = ()
    lines: tuple[InvoiceLine, ...] = ()
    allowances_charges: tuple[AllowanceCharge, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    source: str = "unknown"
    language: str | None = None
    evidence: tuple[tuple[str, Evidence], ...] = ()
    findings: tuple[Finding, ...] = ()
    warnings: tuple[str, ...] = ()

    # -- convenience accessors used by the SCHEMA shape and by booking ---------
    @property
    def supplier_name(self) -> str | None:
        return self.supplier.name

    @property
    def supplier_vat(self) -> str | None:
        return self.supplier.vat

    @property
    def customer_name(self) -> str | None:
        return self.customer.name

    @property
    def customer_vat(self) -> str | None:
        return self.customer.vat

    @property
    def is_credit_note(self) -> bool:
        return self.document_type is DocumentType.CREDIT_NOTE

    def evidence_for(self, name: str) -> Evidence | None:
        for key, ev in self.evidence:
            if key == name:
                return ev
        return None

    def replace(self, **changes: Any) -> InvoiceData:
        return dataclasses.replace(self, **changes)

    def to_schema_dict(self) -> dict[str, Any]:
        """The flat SCHEMA.md shape plus ``lines``, ``warnings``, ``confidence``."""

        def dec(v: Decimal | None) -> str | None:
            return None if v is None else _dec_str(v)

        def day(v: _dt.date | None) -> str | None:
            return None if v is None else v.isoformat()

        out: dict[str, Any] = {
            "document_type": str(self.document_type),
            "invoice_number": self.invoice_number,
            "issue_date": day(self.issue_date),
            "due_date": day(self.due_date),
            "currency": self.currency,
            "supplier_name": self.supplier.name,
            "supplier_vat": self.supplier.vat,
            "customer_name": self.customer.name,
            "customer_vat": self.customer.vat,
            "total_excl_vat": dec(self.total_excl_vat),
            "total_vat": dec(self.total_vat),
            "total_incl_vat": dec(self.total_incl_vat),
            "payable_amount": dec(self.payable_amount),
            "iban": self.iban,
            "payment_reference": self.payment_reference,
            "vat_breakdown": [
                {
                    "rate": dec(row.rate),
                    "taxable": dec(row.taxable),
                    "vat": dec(row.vat),
                    "category": row.category,
                }
                for row in self.vat_breakdown
            ],
            "line_count": len(self.lines) if self.lines else None,
            "supplier_country": self.supplier.country,
            "customer_country": self.customer.country,
            "lines": [
                {
                    "id": ln.id,
                    "description": ln.description,
                    "quantity": dec(ln.quantity),
                    "unit": ln.unit,
                    "net": dec(ln.net),
                    "vat_rate": dec(ln.vat_rate),
                    "vat_category": ln.vat_category,
                }
                for ln in self.lines
            ],
            "warnings": list(self.warnings) + [f"{f.rule_id}: {f.message}" for f in self.findings],
            "confidence": {
                key: {
                    "confidence": round(ev.confidence, 3),
                    "rule": ev.rule,
                    "page": ev.page,
                    "bbox": None
                    if ev.bbox is None
                    else [ev.bbox.x0, ev.bbox.y0, ev.bbox.x1, ev.bbox.y1],
                }
                for key, ev in self.evidence
            },
            "source": self.source,
        }
        return out


# --------------------------------------------------------------------------- helpers


def _dec_str(v: Decimal) -> str:
    """Decimal as a plain string, never in exponent notation."""
    s = format(v, "f")
    return s


def parse_decimal(value: Any) -> Decimal | None:
    """Decimal from a JSON value (str, int, float via str); None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        value = repr(value)
    try:
        return Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal: {value!r}") from exc


# -- generic JSON round trip (full object) ----------------------------------------

_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    cached = _HINTS.get(cls)
    if cached is None:
        cached = typing.get_type_hints(cls)
        _HINTS[cls] = cached
    return cached


# Both directions are compiled once per type (what to do depends only on the type), so a
# round trip no longer walks dataclasses.fields, typing.get_origin and an isinstance chain
# for every value.  tests/extractors/test_model_json.py pins them to the former walk.


def _encode(value: Any) -> Any:
    encode = _ENCODERS.get(type(value)) or _encoder(type(value))
    return value if encode is _encode_same else encode(value)


def _encode_same(value: Any) -> Any:
    return value


def _encode_date(value: Any) -> Any:
    return value.isoformat()


def _encode_items(value: Any) -> Any:
    return [_encode(v) for v in value]


def _encode_dataclass(names: tuple[str, ...]) -> Any:
    def encode(value: Any) -> Any:
        out = {}
        for name in names:
            item = getattr(value, name)
            encode = _ENCODERS.get(type(item)) or _encoder(type(item))
            out[name] = item if encode is _encode_same else encode(item)
        return out

    return encode


_ENCODERS: dict[type, Any] = {}


def _encoder(cls: type) -> Any:
    """How a value of type ``cls`` is encoded, decided by the checks (in order) of the
    former per-value walk; each depends on the type alone."""
    found = _ENCODERS.get(cls)
    if found is not None:
        return found
    if cls is type(None) or issubclass(cls, bool | int | str):
        found = _encode_same
    elif issubclass(cls, Decimal):
        found = _dec_str
    elif issubclass(cls, float):
        found = _encode_same
    elif issubclass(cls, _dt.date):
        found = _encode_date
    elif dataclasses.is_dataclass(cls) and not issubclass(cls, type):
        found = _encode_dataclass(tuple(f.name for f in dataclasses.fields(cls)))
    elif issubclass(cls, tuple | list):
        found = _encode_items
    else:
        name = cls.__name__

        def found(value: Any) -> Any:
            raise TypeError(f"cannot encode {name}")

        return found
    _ENCODERS[cls] = found
    return found


def _decode_same(raw: Any) -> Any:
    return raw


_DECODERS: dict[Any, Any] = {}


def _decoder(tp: Any) -> Any:
    """A function ``raw -> value`` for the type ``tp`` (None always decodes to None)."""
    try:
        found = _DECODERS.get(tp)
    except TypeError:  # an unhashable annotation: not compiled
        return lambda raw: _decode_uncached(tp, raw)
    if found is None:
        found = _compile_decoder(tp)
        _DECODERS[tp] = found
    return found


def _compile_decoder(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        return _decoder(members[0])
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            item = _decoder(args[0])

            def decode_items(raw: Any) -> Any:
                return None if raw is None else tuple([item(v) for v in raw])

            return decode_items
        each = tuple(_decoder(a) for a in args)

        def decode_fixed(raw: Any) -> Any:
            if raw is None:
                return None
            return tuple([dec(v) for dec, v in zip(each, raw, strict=True)])

        return decode_fixed
    if tp is Decimal:
        return parse_decimal  # None -> None
    if tp is _dt.date:
        fromiso = _dt.date.fromisoformat
        return lambda raw: None if raw is None else fromiso(raw)
    if isinstance(tp, type) and issubclass(tp, StrEnum):
        return lambda raw: None if raw is None else tp(raw)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass_decoder(tp)
    if tp is float:
        return lambda raw: None if raw is None else float(raw)
    return _decode_same


def _dataclass_decoder(cls: type) -> Any:
    # filled on first use (a dataclass may refer to itself), in one assignment so that
    # another thread sees either no plan or the whole plan
    compiled: list[tuple[tuple[str, Any], ...]] = []

    def decode(raw: Any) -> Any:
        if raw is None:
            return None
        if compiled:
            plan = compiled[0]
        else:
            hints = _hints(cls)
            plan = tuple((f.name, _decoder(hints[f.name])) for f in dataclasses.fields(cls))
            compiled[:] = [plan]
        kwargs = {}
        for name, dec in plan:
            if name in raw:
                value = raw[name]
                kwargs[name] = value if dec is _decode_same else dec(value)
        return cls(**kwargs)

    return decode


def _decode_uncached(tp: Any, raw: Any) -> Any:
    return _compile_decoder(tp)(raw)


def _decode(tp: Any, raw: Any) -> Any:
    return _decoder(tp)(raw)


def to_json(invoice: InvoiceData) -> dict[str, Any]:
    """The full invoice as JSON-compatible data (Decimals as strings)."""
    encoded = _encode(invoice)
    assert isinstance(encoded, dict)
    return encoded


def from_json(data: dict[str, Any]) -> InvoiceData:
    """Inverse of :func:`to_json`."""
    result = _decode(InvoiceData, data)
    assert isinstance(result, InvoiceData)
    return result
