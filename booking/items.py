"""From an invoice to the base amounts to book, with totals reconciled.

Document-level allowances and charges are spread pro rata over the lines (of
their VAT rate when they have one), the residual cent on the largest line.  The
lines' sum must match ``total_excl_vat`` within one cent per line (the
difference goes to the largest line and is reported); a larger gap refuses the
invoice with the figures.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from booking.accounts import Item
from booking.amounts import CENT, allocate, money, vat_of
from booking.errors import InvalidInvoice
from extractors.model import InvoiceData, InvoiceLine

__all__ = ["build_items", "fmt_rate"]

_STANDARD_RATES = (Decimal("21"), Decimal("12"), Decimal("6"), Decimal("0"))


def fmt_rate(rate: Decimal | None) -> str:
    return "?" if rate is None else format(rate.normalize(), "f")


def _unit_value(line: InvoiceLine) -> Decimal:
    if line.unit_price is not None:
        return line.unit_price
    if line.quantity:
        return money(line.net / line.quantity)
    return line.net


def _from_lines(invoice: InvoiceData) -> list[Item]:
    return [
        Item(
            description=(ln.description or ln.id or f"line {i}").strip(),
            net=money(ln.net),
            rate=ln.vat_rate,
            category=ln.vat_category,
            unit_value=_unit_value(ln),
            unit=ln.unit,
        )
        for i, ln in enumerate(invoice.lines, start=1)
    ]


def _from_totals(invoice: InvoiceData, warnings: list[str]) -> list[Item]:
    if invoice.vat_breakdown:
        warnings.append("the invoice has no lines: one base line per VAT breakdown row")
        return [
            Item(
                f"invoice total at {fmt_rate(row.rate)} %",
                money(row.taxable),
                row.rate,
                row.category,
                money(row.taxable),
            )
            for row in invoice.vat_breakdown
        ]
    net, vat = invoice.total_excl_vat, invoice.total_vat
    if net is None:
        raise InvalidInvoice("the invoice has no lines, no VAT breakdown and no total excl. VAT")
    rate = None
    if vat is not None:
        rate = next((r for r in _STANDARD_RATES if abs(vat_of(net, r) - vat) <= CENT), None)
    if rate is None and vat is not None and net:
        guess = (vat * 100 / net).quantize(Decimal("0.1")).normalize()
        rate = guess if abs(vat_of(net, guess) - vat) <= CENT else None
    if rate is None:
        raise InvalidInvoice(f"the invoice has no lines and its VAT {vat} fits no single VAT rate")
    warnings.append(f"the invoice has no lines: one base line at {fmt_rate(rate)} % from totals")
    return [Item("invoice total", money(net), rate, None, money(net))]


def _spread_allowances(invoice: InvoiceData, items: list[Item], warnings: list[str]) -> None:
    for ac in invoice.allowances_charges:
        signed = money(ac.amount if ac.is_charge else -ac.amount)
        targets = [
            i for i, it in enumerate(items) if ac.vat_rate is not None and it.rate == ac.vat_rate
        ]
        targets = targets or list(range(len(items)))
        shares = allocate(signed, [items[i].net for i in targets])
        for i, share in zip(targets, shares, strict=True):
            items[i] = dataclasses.replace(items[i], net=items[i].net + share)
        kind = "charge" if ac.is_charge else "allowance"
        warnings.append(
            f"document {kind} '{ac.reason or ac.reason_code or ''}' {ac.amount} spread pro rata "
            f"over {len(targets)} line(s)"
        )


def _implied_rates(invoice: InvoiceData) -> list[tuple[Decimal, str | None]]:
    rows = [(row.rate, row.category) for row in invoice.vat_breakdown if row.rate is not None]
    if rows:
        return list(dict.fromkeys(rows))
    net, vat = invoice.total_excl_vat, invoice.total_vat
    if net is None or vat is None:
        return []
    fitting: list[tuple[Decimal, str | None]] = [
        (r, None) for r in _STANDARD_RATES if abs(vat_of(net, r) - vat) <= CENT
    ]
    return fitting[:1]


def _fill_rates(invoice: InvoiceData, items: list[Item], warnings: list[str]) -> list[Item]:
    """Rates and categories the lines lack, taken from the VAT breakdown or the totals."""
    by_rate: dict[Decimal, set[str | None]] = {}
    for row in invoice.vat_breakdown:
        if row.rate is not None:
            by_rate.setdefault(row.rate, set()).add(row.category)
    out = []
    for it in items:
        cats = by_rate.get(it.rate) if it.rate is not None else None
        if it.category is None and cats and len(cats) == 1 and None not in cats:
            it = dataclasses.replace(it, category=next(iter(cats)))
        out.append(it)
    missing = [i for i, it in enumerate(out) if it.rate is None]
    if not missing:
        return out
    implied = _implied_rates(invoice)
    if len(implied) == 1:
        rate, cat = implied[0]
        for i in missing:
            out[i] = dataclasses.replace(out[i], rate=rate, category=out[i].category or cat)
        warnings.append(
            f"VAT rate of {len(missing)} line(s) taken from the document: {fmt_rate(rate)} %"
        )
        return out
    if implied and len(missing) == len(out) and invoice.vat_breakdown:
        text = "; ".join(it.description for it in out)[:200]
        warnings.append("the lines carry no VAT rate: one base line per VAT breakdown row")
        return [
            Item(text, money(row.taxable), row.rate, row.category, money(row.taxable))
            for row in invoice.vat_breakdown
        ]
    warnings.append(f"{len(missing)} line(s) without VAT rate: booked without VAT (check)")
    return out


def build_items(invoice: InvoiceData) -> tuple[list[Item], list[str]]:
    """Base items of the invoice and the warnings raised while reconciling them."""
    warnings: list[str] = []
    if invoice.lines:
        items = _fill_rates(invoice, _from_lines(invoice), warnings)
        _spread_allowances(invoice, items, warnings)
    else:
        items = _from_totals(invoice, warnings)
    stated = invoice.total_excl_vat
    total = sum((it.net for it in items), Decimal("0.00"))
    if stated is not None and money(stated) != total:
        gap = money(stated) - total
        if abs(gap) > CENT * len(items):
            raise InvalidInvoice(
                f"the lines add up to {total} but the total excl. VAT is {stated} "
                f"(difference {gap}): check the lines before booking"
            )
        largest = max(range(len(items)), key=lambda i: abs(items[i].net))
        items[largest] = dataclasses.replace(items[largest], net=items[largest].net + gap)
        warnings.append(
            f"lines add up to {total}, total excl. VAT is {stated}: {gap} on the largest line"
        )
    return items, warnings
