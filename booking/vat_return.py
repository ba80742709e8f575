"""VAT-return preview: per period, the grid totals of booked entries (doc section 9).

A line adds its amount to a grid on that grid's natural side and subtracts it
on the other side.  Grid 71 (VAT to pay) or 72 (VAT to recover) is derived from
54+55+56+57+61+63 minus 59+62+64.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from booking.check import to_decimal
from booking.errors import UnknownGrid
from booking.learning import line_value
from booking.vat import GRID_SIDE

__all__ = ["vat_return", "vat_return_by_period"]

_DUE = ("54", "55", "56", "57", "61", "63")
_DEDUCTIBLE = ("59", "62", "64")


def _add_entry(totals: dict[str, Decimal], entry: Any) -> None:
    for line in line_value(entry, "lines") or ():
        amount = to_decimal(line_value(line, "debit")) - to_decimal(line_value(line, "credit"))
        for raw in line_value(line, "vat_grid") or ():
            grid = str(raw)
            side = GRID_SIDE.get(grid)
            if side is None:
                raise UnknownGrid(f"grid {grid!r} is not on the Belgian VAT return")
            totals[grid] += amount if side == "debit" else -amount


def vat_return(entries: Iterable[Any]) -> dict[str, Decimal]:
    """Grid totals of ``entries`` (proposals, booked entries or their JSON), with 71 or 72."""
    totals: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for entry in entries:
        _add_entry(totals, entry)
    due = sum((totals.get(g, Decimal(0)) for g in _DUE), Decimal("0.00"))
    deductible = sum((totals.get(g, Decimal(0)) for g in _DEDUCTIBLE), Decimal("0.00"))
    result = {grid: totals[grid] for grid in sorted(totals)}
    if due >= deductible:
        result["71"] = due - deductible
    else:
        result["72"] = deductible - due
    return result


def vat_return_by_period(entries: Iterable[Any]) -> dict[str, dict[str, Decimal]]:
    """``vat_return`` per VAT period (each entry's ``vat_period``, else its ``period``)."""
    grouped: dict[str, list[Any]] = defaultdict(list)
    for entry in entries:
        key = line_value(entry, "vat_period") or line_value(entry, "period") or "?"
        grouped[str(key)].append(entry)
    return {period: vat_return(grouped[period]) for period in sorted(grouped)}
