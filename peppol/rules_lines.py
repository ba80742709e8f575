"""Peppol BIS 3.0 line-level rules (R110-R130) and type-code rules (P0100/P0101)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from peppol.codelists import CREDIT_NOTE_TYPES_01, INVOICE_TYPES_01
from peppol.rules_base import Ctx, dec, rule

__all__: list[str] = []

_LINES = "cac:InvoiceLine | cac:CreditNoteLine"


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text and len(text) == 10 else None
    except ValueError:
        return None


@rule("PEPPOL-EN16931-R110", "Start date of line period MUST be within invoice period.")
def r110(ctx: Ctx) -> Iterator[Any]:
    start = _date(ctx.text("cac:InvoicePeriod/cbc:StartDate"))
    if start is None:
        return
    for el in ctx.all("(cac:InvoiceLine | cac:CreditNoteLine)/cac:InvoicePeriod/cbc:StartDate"):
        line_start = _date((el.text or "").strip())
        if line_start is not None and line_start < start:
            yield el


@rule("PEPPOL-EN16931-R111", "End date of line period MUST be within invoice period.")
def r111(ctx: Ctx) -> Iterator[Any]:
    end = _date(ctx.text("cac:InvoicePeriod/cbc:EndDate"))
    if end is None:
        return
    for el in ctx.all("(cac:InvoiceLine | cac:CreditNoteLine)/cac:InvoicePeriod/cbc:EndDate"):
        line_end = _date((el.text or "").strip())
        if line_end is not None and line_end > end:
            yield el


def _sum(ctx: Ctx, line: Any, indicator: str) -> Decimal:
    total = sum(
        (
            dec(a) or Decimal(0)
            for a in ctx.all(
                f"cac:AllowanceCharge[normalize-space(cbc:ChargeIndicator)='{indicator}']/cbc:Amount/text()",
                line,
            )
        ),
        Decimal(0),
    )
    return round(total, 2)


@rule(
    "PEPPOL-EN16931-R120",
    "Invoice line net amount MUST equal (Invoiced quantity * (Item net price/item price base "
    "quantity) + Sum of invoice line charge amount - sum of invoice line allowance amount",
)
def r120(ctx: Ctx) -> Iterator[Any]:
    qty_tag = "cbc:CreditedQuantity" if ctx.is_credit_note else "cbc:InvoicedQuantity"
    for line in ctx.all(_LINES):
        net = dec(ctx.text("cbc:LineExtensionAmount", line)) or Decimal(0)
        qty = dec(ctx.text(qty_tag, line))
        price = dec(ctx.text("cac:Price/cbc:PriceAmount", line)) or Decimal(0)
        base = dec(ctx.text("cac:Price/cbc:BaseQuantity", line))
        qty = Decimal(1) if qty is None else qty
        base = Decimal(1) if base is None or base == 0 else base
        expected = qty * (price / base) + _sum(ctx, line, "true") - _sum(ctx, line, "false")
        if abs(net - expected) > Decimal("0.02"):
            yield line


@rule("PEPPOL-EN16931-R121", "Base quantity MUST be a positive number above zero.")
def r121(ctx: Ctx) -> Iterator[Any]:
    for line in ctx.all(_LINES):
        text = ctx.text("cac:Price/cbc:BaseQuantity", line)
        if text is not None and not ((dec(text) or Decimal(0)) > 0):
            yield line


@rule("PEPPOL-EN16931-R130", "Unit code of price base quantity MUST be same as invoiced quantity.")
def r130(ctx: Ctx) -> Iterator[Any]:
    qty_tag = "cbc:CreditedQuantity" if ctx.is_credit_note else "cbc:InvoicedQuantity"
    for line in ctx.all(_LINES):
        for base in ctx.all("cac:Price/cbc:BaseQuantity[@unitCode]", line):
            quantities = ctx.all("cbc:InvoicedQuantity | cbc:CreditedQuantity", line)
            own = ctx.all(qty_tag, line)
            if quantities and (not own or own[0].get("unitCode") != base.get("unitCode")):
                yield base


@rule("PEPPOL-EN16931-P0100", "Invoice type code MUST be set according to the profile.")
def p0100(ctx: Ctx) -> Iterator[Any]:
    if ctx.profile not in {"01", "02"}:
        return
    for el in ctx.all("cbc:InvoiceTypeCode"):
        if " ".join((el.text or "").split()) not in INVOICE_TYPES_01:
            yield el


@rule("PEPPOL-EN16931-P0101", "Credit note type code MUST be set according to the profile.")
def p0101(ctx: Ctx) -> Iterator[Any]:
    if ctx.profile not in {"01", "02"}:
        return
    for el in ctx.all("cbc:CreditNoteTypeCode"):
        if " ".join((el.text or "").split()) not in CREDIT_NOTE_TYPES_01:
            yield el
