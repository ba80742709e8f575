"""Money arithmetic the Belgian way (doc section 8).

Two decimals, ``ROUND_HALF_UP``; VAT per rate on the document total (EN 16931
BR-CO-17); pro-rata spreads put the residual cent on the largest share; the
deductible part of partly deductible VAT is rounded *down* (the law sets a
maximum), the remainder goes to cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

__all__ = ["CENT", "ZERO", "allocate", "deductible_part", "money", "vat_of"]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
_HUNDRED = Decimal("100")


def plain_number(text: str) -> str:
    """A number as a person types it, as a plain decimal string: ``37,51``, ``1.234,56``,
    ``1,234.56`` and ``1 234,56`` all give the dot-decimal form; the last of ``.``/``,``
    is the decimal mark when both occur.  Not validated: ``Decimal()`` decides."""
    raw = "".join(str(text).split()).replace("\u00a0", "")
    if "," in raw and "." in raw:
        mark = "," if raw.rfind(",") > raw.rfind(".") else "."
        raw = raw.replace("." if mark == "," else ",", "").replace(mark, ".")
    return raw.replace(",", ".")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def vat_of(base: Decimal, rate: Decimal) -> Decimal:
    """VAT on a per-rate base total: 1825.50 x 21 % = 383.355 -> 383.36."""
    return money(base * rate / _HUNDRED)


def deductible_part(vat: Decimal, pct: Decimal) -> Decimal:
    """``ROUND_DOWN(vat x pct)``: 50 % of 16.33 is 8.16, never 8.17."""
    if pct >= _HUNDRED:
        return vat
    sign = -1 if vat < 0 else 1
    return sign * (abs(vat) * pct / _HUNDRED).quantize(CENT, rounding=ROUND_DOWN)


def allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Spread ``total`` over ``weights`` pro rata; the residual cent goes to the largest weight.

    >>> allocate(Decimal("10.00"), [Decimal("1"), Decimal("1"), Decimal("1")])
    [Decimal('3.34'), Decimal('3.33'), Decimal('3.33')]
    """
    if not weights:
        return []
    base = sum(weights, Decimal(0))
    largest = max(range(len(weights)), key=lambda i: (abs(weights[i]), -i))
    shares = [ZERO for _ in weights] if base == 0 else [money(total * w / base) for w in weights]
    shares[largest] += total - sum(shares, ZERO)
    return shares
