"""Warnings for VAT rates that are unusual for the document date (doc section 4)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from decimal import Decimal

from booking.accounts import Item
from booking.items import fmt_rate
from booking.keywords import mentions

__all__ = ["BELGIAN_RATES", "rate_warnings"]

BELGIAN_RATES = frozenset({Decimal(0), Decimal(6), Decimal(12), Decimal(21)})
_CHANGE_2026 = _dt.date(2026, 3, 1)
_LODGING = ("=hotel", "hotelkosten", "logies", "hebergement", "overnachting", "camping")
_PESTICIDES = ("pesticide", "bestrijdingsmiddel", "gewasbescherming", "pflanzenschutz")


def rate_warnings(items: Sequence[Item], day: _dt.date) -> list[str]:
    out: list[str] = []
    for item in items:
        rate = item.rate
        if rate is None:
            continue
        where = f"'{item.description[:40]}' at {fmt_rate(rate)} %"
        if rate not in BELGIAN_RATES:
            out.append(f"{where}: not a Belgian VAT rate (booked as stated)")
        elif mentions(item.description, _LODGING):
            expected = Decimal(12) if day >= _CHANGE_2026 else Decimal(6)
            if rate not in (expected, Decimal(0)):
                out.append(
                    f"{where}: lodging is {fmt_rate(expected)} % on {day} (booked as stated)"
                )
        elif mentions(item.description, _PESTICIDES):
            expected = Decimal(21) if day >= _CHANGE_2026 else Decimal(12)
            if rate not in (expected, Decimal(0)):
                out.append(
                    f"{where}: pesticides are {fmt_rate(expected)} % on {day} (booked as stated)"
                )
    return out
