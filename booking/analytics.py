"""Analytical accounting: distributing booking lines over codes, the result per code.

Pure: Decimals and strings in, frozen dataclasses / tuples out.

* :func:`parse_distribution` checks a distribution (codes known, each share above 0,
  at most 4 decimals, the shares adding up to exactly 100 %) and refuses anything else
  with a specific message;
* :func:`allocate` splits an amount over percentages by the largest-remainder method:
  the parts add up to the amount to the cent, each part is within one cent of its exact
  share, every part carries the amount's sign, and the result is deterministic (ties go
  to the earlier share);
* :func:`result_by_code_month` is the analytical report: revenue (class 7) minus costs
  (class 6) per code per month, lines without a distribution under :data:`UNASSIGNED`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

__all__ = [
    "UNASSIGNED",
    "DistributionError",
    "ReportLine",
    "ReportRow",
    "Share",
    "allocate",
    "parse_distribution",
    "result_by_code_month",
]

#: The report's bucket for class 6/7 lines without a distribution in the dimension.
UNASSIGNED = "(unassigned)"

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
MAX_SHARES = 100


class DistributionError(ValueError):
    """A distribution that cannot be used, with the reason for the user."""


@dataclass(frozen=True, slots=True)
class Share:
    code: str
    pct: Decimal


def _pct(raw: object, code: str) -> Decimal:
    try:
        pct = Decimal(str(raw).strip().rstrip("%").strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise DistributionError(f"{code}: {raw!r} is not a percentage") from None
    if not pct.is_finite():
        raise DistributionError(f"{code}: {raw!r} is not a percentage")
    if pct <= 0:
        raise DistributionError(f"{code}: a share must be above 0 % (got {pct} %)")
    if pct > HUNDRED:
        raise DistributionError(f"{code}: a share cannot exceed 100 % (got {pct} %)")
    if pct != pct.quantize(Decimal("0.0001")):
        raise DistributionError(f"{code}: at most 4 decimals in a percentage (got {pct})")
    return pct


def parse_distribution(
    shares: Iterable[tuple[str, object]], known_codes: Iterable[str] | None = None
) -> tuple[Share, ...]:
    """Check ``(code, percent)`` pairs; the shares must add up to exactly 100 %."""
    known = None if known_codes is None else set(known_codes)
    out: list[Share] = []
    seen: set[str] = set()
    for code, raw in shares:
        code = str(code).strip()
        if not code:
            raise DistributionError("a share without a code")
        if known is not None and code not in known:
            raise DistributionError(f"unknown code {code!r} in this dimension")
        if code in seen:
            raise DistributionError(f"code {code!r} appears twice")
        seen.add(code)
        out.append(Share(code, _pct(raw, code)))
        if len(out) > MAX_SHARES:
            raise DistributionError(f"at most {MAX_SHARES} codes in one distribution")
    if not out:
        raise DistributionError("an empty distribution")
    total = sum((s.pct for s in out), Decimal(0))
    if total != HUNDRED:
        raise DistributionError(f"the shares add up to {total} %, not 100 %")
    return tuple(out)


def allocate(amount: Decimal, pcts: Sequence[Decimal]) -> tuple[Decimal, ...]:
    """Split ``amount`` (rounded to the cent) over ``pcts`` (positive, summing to 100).

    Largest remainder on whole cents: every part is the exact share rounded down (in
    absolute value), then the cents still missing go one each to the parts with the
    largest remainders (earlier part first on a tie).
    """
    if not pcts:
        raise DistributionError("an empty distribution")
    if any(p <= 0 for p in pcts):
        raise DistributionError("a share must be above 0 %")
    if sum(pcts, Decimal(0)) != HUNDRED:
        raise DistributionError("the shares do not add up to 100 %")
    cents = int((amount.quantize(CENT) * 100).to_integral_value())
    sign = -1 if cents < 0 else 1
    total = abs(cents)
    exact = [Fraction(total) * Fraction(p) / 100 for p in pcts]
    floors = [int(e) for e in exact]  # e >= 0, so int() is floor
    missing = total - sum(floors)
    order = sorted(range(len(pcts)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:missing]:
        floors[i] += 1
    return tuple((Decimal(sign * c) / 100).quantize(CENT) for c in floors)


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One booked line for the report: its month (``YYYY-MM``), account, amounts and
    its distribution in the reported dimension (empty: unassigned)."""

    month: str
    account: str
    debit: Decimal
    credit: Decimal
    shares: tuple[Share, ...] = ()


@dataclass(frozen=True, slots=True)
class ReportRow:
    code: str
    month: str
    revenue: Decimal
    costs: Decimal

    @property
    def result(self) -> Decimal:
        return self.revenue - self.costs


def result_by_code_month(lines: Iterable[ReportLine]) -> tuple[ReportRow, ...]:
    """Revenue (class 7, credit - debit) and costs (class 6, debit - credit) per code
    and month, each line split over its codes with :func:`allocate`."""
    acc: dict[tuple[str, str], list[Decimal]] = {}
    for ln in lines:
        klass = ln.account[:1]
        if klass not in ("6", "7"):
            continue
        net = (ln.credit - ln.debit) if klass == "7" else (ln.debit - ln.credit)
        if ln.shares:
            parts = allocate(net, [s.pct for s in ln.shares])
            pairs: Sequence[tuple[str, Decimal]] = [
                (s.code, p) for s, p in zip(ln.shares, parts, strict=True)
            ]
        else:
            pairs = [(UNASSIGNED, net.quantize(CENT))]
        for code, part in pairs:
            bucket = acc.setdefault((code, ln.month), [Decimal("0.00"), Decimal("0.00")])
            bucket[0 if klass == "7" else 1] += part
    return tuple(
        ReportRow(code, month, rev, cost)
        for (code, month), (rev, cost) in sorted(acc.items(), key=_row_order)
    )


def _row_order(item: tuple[tuple[str, str], list[Decimal]]) -> tuple[bool, str, str]:
    (code, month), _ = item
    return (code == UNASSIGNED, code, month)


def shares_from_mapping(raw: Mapping[str, object]) -> tuple[Share, ...]:
    """A stored ``{code: "pct"}`` mapping back to shares (checked again)."""
    return parse_distribution(raw.items())
