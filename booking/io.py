"""JSON in and out for ``boekbox propose FILE.json``.

Input: an invoice alone (the ``boekbox extract`` shape plus ``lines`` with
``description``, ``net``, ``vat_rate``, ``vat_category`` and
``supplier_country``) or ``{"invoice": ..., "context": ...}`` as in
``shared/corpus/booking/cases.json``.  Output: the proposal with decimal
strings ("1250.00") and grid numbers as strings.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from booking.context import (
    AutobookMode,
    AutobookPolicy,
    BookingContext,
    Dossier,
    HistoryEntry,
    Journals,
    Vehicle,
)
from booking.errors import InvalidContext, InvalidInvoice
from booking.model import Proposal, ProposalLine
from extractors.model import (
    AllowanceCharge,
    DocumentType,
    InvoiceData,
    InvoiceLine,
    Party,
    VatBreakdown,
    parse_decimal,
)

__all__ = ["context_from_json", "invoice_from_json", "load_case", "proposal_to_json"]


def _dec(obj: Mapping[str, Any], key: str, where: str) -> Decimal | None:
    try:
        return parse_decimal(obj.get(key))
    except ValueError as exc:
        raise InvalidInvoice(f"{where}.{key}: {exc}") from exc


def _req_dec(obj: Mapping[str, Any], key: str, where: str) -> Decimal:
    value = _dec(obj, key, where)
    if value is None:
        raise InvalidInvoice(f"{where}.{key} is missing")
    return value


def _date(obj: Mapping[str, Any], key: str) -> _dt.date | None:
    raw = obj.get(key)
    if raw in (None, ""):
        return None
    try:
        return _dt.date.fromisoformat(str(raw))
    except ValueError as exc:
        raise InvalidInvoice(f"invoice.{key}: {raw!r} is not YYYY-MM-DD") from exc


def _mapping(value: Any, where: str, error: type[Exception]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise error(f"{where} must be an object, got {type(value).__name__}")
    return value


def _line(raw: Any, i: int) -> InvoiceLine:
    where = f"invoice.lines[{i}]"
    obj = _mapping(raw, where, InvalidInvoice)
    return InvoiceLine(
        net=_req_dec(obj, "net", where),
        description=str(obj.get("description") or ""),
        id=obj.get("id"),
        quantity=_dec(obj, "quantity", where),
        unit=obj.get("unit"),
        unit_price=_dec(obj, "unit_price", where),
        vat_category=obj.get("vat_category"),
        vat_rate=_dec(obj, "vat_rate", where),
    )


def _breakdown(raw: Any, i: int) -> VatBreakdown:
    where = f"invoice.vat_breakdown[{i}]"
    obj = _mapping(raw, where, InvalidInvoice)
    return VatBreakdown(
        taxable=_req_dec(obj, "taxable", where),
        vat=_req_dec(obj, "vat", where),
        rate=_dec(obj, "rate", where),
        category=obj.get("category"),
        exemption_reason=obj.get("exemption_reason"),
        exemption_code=obj.get("exemption_code"),
    )


def _allowance(raw: Any, i: int) -> AllowanceCharge:
    where = f"invoice.allowances_charges[{i}]"
    obj = _mapping(raw, where, InvalidInvoice)
    return AllowanceCharge(
        is_charge=bool(obj.get("is_charge", False)),
        amount=_req_dec(obj, "amount", where),
        reason=obj.get("reason"),
        vat_category=obj.get("vat_category"),
        vat_rate=_dec(obj, "vat_rate", where),
    )


def _list(obj: Mapping[str, Any], key: str) -> list[Any]:
    value = obj.get(key) or []
    if not isinstance(value, list):
        raise InvalidInvoice(f"invoice.{key} must be a list")
    return value


def invoice_from_json(raw: Any) -> InvoiceData:
    """InvoiceData from the flat extract shape (SCHEMA.md keys plus lines and countries)."""
    obj = _mapping(raw, "invoice", InvalidInvoice)
    try:
        doc_type = DocumentType(obj.get("document_type") or "invoice")
    except ValueError as exc:
        raise InvalidInvoice(f"invoice.document_type {obj.get('document_type')!r}") from exc
    return InvoiceData(
        document_type=doc_type,
        invoice_number=obj.get("invoice_number"),
        issue_date=_date(obj, "issue_date"),
        due_date=_date(obj, "due_date"),
        currency=obj.get("currency"),
        supplier=Party(
            name=obj.get("supplier_name"),
            vat=obj.get("supplier_vat"),
            country=obj.get("supplier_country"),
        ),
        customer=Party(
            name=obj.get("customer_name"),
            vat=obj.get("customer_vat"),
            country=obj.get("customer_country"),
        ),
        total_excl_vat=_dec(obj, "total_excl_vat", "invoice"),
        total_vat=_dec(obj, "total_vat", "invoice"),
        total_incl_vat=_dec(obj, "total_incl_vat", "invoice"),
        payable_amount=_dec(obj, "payable_amount", "invoice"),
        tax_currency=obj.get("tax_currency"),
        tax_currency_vat_total=_dec(obj, "tax_currency_vat_total", "invoice"),
        iban=obj.get("iban"),
        payment_reference=obj.get("payment_reference"),
        note=obj.get("note"),
        vat_breakdown=tuple(_breakdown(r, i) for i, r in enumerate(_list(obj, "vat_breakdown"))),
        lines=tuple(_line(r, i) for i, r in enumerate(_list(obj, "lines"))),
        allowances_charges=tuple(
            _allowance(r, i) for i, r in enumerate(_list(obj, "allowances_charges"))
        ),
        source=str(obj.get("source") or "unknown"),
    )


def _ctx_dec(obj: Mapping[str, Any], key: str, default: Decimal) -> Decimal:
    try:
        value = parse_decimal(obj.get(key))
    except ValueError as exc:
        raise InvalidContext(f"context.{key}: {exc}") from exc
    return default if value is None else value


def _dossier(raw: Any) -> Dossier:
    obj = _mapping(raw or {}, "context.dossier", InvalidContext)
    journals = _mapping(obj.get("journals") or {}, "context.dossier.journals", InvalidContext)
    defaults = Dossier()
    return Dossier(
        name=str(obj.get("name") or ""),
        vat=obj.get("vat"),
        capitalisation_threshold=_ctx_dec(
            obj, "capitalisation_threshold", defaults.capitalisation_threshold
        ),
        default_account=str(obj.get("default_account") or defaults.default_account),
        default_sales_account=str(
            obj.get("default_sales_account") or defaults.default_sales_account
        ),
        journals=Journals(**{k: v for k, v in journals.items() if k in Journals.__slots__}),
        bookyear_start_month=int(obj.get("bookyear_start_month") or 1),
        vat_period=str(obj.get("vat_period") or defaults.vat_period),
        locked_through=obj.get("locked_through"),
        locked_periods=tuple(obj.get("locked_periods") or ()),
        car_deductible_pct=_ctx_dec(obj, "car_deductible_pct", defaults.car_deductible_pct),
        vehicles=tuple(
            Vehicle(str(v["plate"]), _ctx_dec(v, "deductible_pct", Decimal(50)))
            for v in obj.get("vehicles") or ()
        ),
    )


def _history(raw: Any, i: int) -> HistoryEntry:
    obj = _mapping(raw, f"context.supplier_history[{i}]", InvalidContext)
    if not obj.get("account"):
        raise InvalidContext(f"context.supplier_history[{i}] has no account")
    try:
        rate, pct = parse_decimal(obj.get("vat_rate")), parse_decimal(obj.get("deductible_pct"))
    except ValueError as exc:
        raise InvalidContext(f"context.supplier_history[{i}]: {exc}") from exc
    return HistoryEntry(str(obj["account"]), str(obj.get("description") or ""), rate, pct)


def context_from_json(raw: Any) -> BookingContext:
    obj = _mapping(raw, "context", InvalidContext)
    policy = _mapping(obj.get("autobook") or {}, "context.autobook", InvalidContext)
    try:
        mode = AutobookMode(policy.get("mode") or "never")
        autobook = AutobookPolicy(mode, int(policy.get("n") or 3))
    except ValueError as exc:
        raise InvalidContext(f"context.autobook: {exc}") from exc
    return BookingContext(
        dossier=_dossier(obj.get("dossier")),
        supplier_history=tuple(
            _history(r, i) for i, r in enumerate(obj.get("supplier_history") or ())
        ),
        supplier_default_account=obj.get("supplier_default_account"),
        autobook_policy=autobook,
        recent_confirmations=tuple(bool(x) for x in obj.get("recent_confirmations") or ()),
        period=obj.get("period"),
    )


def load_case(obj: Any) -> tuple[InvoiceData, BookingContext | None]:
    """An invoice alone, or ``{"invoice": ..., "context": ...}`` (a cases.json entry)."""
    data = _mapping(obj, "case", InvalidInvoice)
    if "invoice" in data:
        context = data.get("context")
        return invoice_from_json(data["invoice"]), (
            None if context is None else context_from_json(context)
        )
    return invoice_from_json(data), None


def _money(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def _line_json(line: ProposalLine) -> dict[str, Any]:
    return {
        "account": line.account,
        "debit": _money(line.debit),
        "credit": _money(line.credit),
        "vat_code": line.vat_code,
        "vat_grid": list(line.vat_grid),
        "description": line.description,
        "reason": line.reason,
        "confidence": round(line.confidence, 3),
        "kind": str(line.kind),
        "regime": line.regime,
    }


def proposal_to_json(p: Proposal) -> dict[str, Any]:
    return {
        "journal": p.journal,
        "date": p.date.isoformat(),
        "side": str(p.side),
        "bookyear": p.bookyear,
        "period": p.period,
        "vat_period": p.vat_period,
        "document_number": p.document_number,
        "counterparty": p.counterparty,
        "due_date": None if p.due_date is None else p.due_date.isoformat(),
        "payment_reference": p.payment_reference,
        "lines": [_line_json(ln) for ln in p.lines],
        "regime": p.regime,
        "reason": p.regime_reason,
        "warnings": list(p.warnings),
        "confidence": round(p.confidence, 3),
        "autobook": p.autobook,
        "autobook_reason": p.autobook_reason,
        **_currency_json(p),
    }


def _currency_json(p: Proposal) -> dict[str, Any]:
    """The rate and the document's own figures, for a foreign-currency invoice only."""
    if p.exchange_rate is None:
        return {}
    originals = {
        "original_total_excl_vat": p.original_total_excl_vat,
        "original_total_vat": p.original_total_vat,
        "original_total_incl_vat": p.original_total_incl_vat,
    }
    return {
        "document_currency": p.document_currency,
        "exchange_rate": format(p.exchange_rate, "f"),
        "rate_source": p.rate_source,
        "rate_date": None if p.rate_date is None else p.rate_date.isoformat(),
        **{k: None if v is None else _money(v) for k, v in originals.items()},
    }
