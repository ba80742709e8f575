"""The analytical allocator: parts add up to the line amount to the cent."""

from __future__ import annotations

import itertools
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking.analytics import (
    UNASSIGNED,
    DistributionError,
    ReportLine,
    Share,
    allocate,
    parse_distribution,
    result_by_code_month,
)

amounts = st.integers(min_value=-(10**12), max_value=10**12).map(lambda c: Decimal(c) / 100)


@st.composite
def percentages(draw: st.DrawFn) -> list[Decimal]:
    """Positive percentages with up to 4 decimals that add up to exactly 100."""
    n = draw(st.integers(min_value=1, max_value=12))
    total = 1_000_000  # 100 % in units of 0.0001 %
    if n == 1:
        return [Decimal(100)]
    cuts = sorted(draw(st.sets(st.integers(1, total - 1), min_size=n - 1, max_size=n - 1)))
    bounds = [0, *cuts, total]
    return [Decimal(b - a) / 10_000 for a, b in itertools.pairwise(bounds)]


@given(amounts, percentages())
def test_parts_add_up_within_a_cent_and_keep_the_sign(amount: Decimal, pcts: list[Decimal]) -> None:
    parts = allocate(amount, pcts)
    assert len(parts) == len(pcts)
    assert sum(parts, Decimal(0)) == amount
    for part, pct in zip(parts, pcts, strict=True):
        assert part == part.quantize(Decimal("0.01"))
        exact = Fraction(amount) * Fraction(pct) / 100
        assert abs(Fraction(part) - exact) < Fraction(1, 100)
        assert part == 0 or (part > 0) == (amount > 0)


@given(amounts, percentages())
def test_allocation_is_deterministic(amount: Decimal, pcts: list[Decimal]) -> None:
    assert allocate(amount, pcts) == allocate(amount, list(pcts))


def test_a_third_each_gives_the_extra_cent_to_the_first() -> None:
    third = Decimal("33.3333")
    pcts = [third, third, Decimal("33.3334")]
    assert allocate(Decimal("100.00"), pcts) == (
        Decimal("33.33"),
        Decimal("33.33"),
        Decimal("33.34"),
    )
    assert allocate(Decimal("0.01"), [Decimal(50), Decimal(50)]) == (Decimal("0.01"), Decimal("0"))
    assert allocate(Decimal("-0.03"), [Decimal(50), Decimal(50)]) == (
        Decimal("-0.02"),
        Decimal("-0.01"),
    )


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        ([("A", "60"), ("B", "30")], "add up to 90 %, not 100 %"),
        ([("A", "60"), ("B", "50")], "add up to 110 %, not 100 %"),
        ([("A", "100"), ("Z", "0")], "above 0 %"),
        ([("A", "-10"), ("B", "110")], "above 0 %"),
        ([("A", "abc")], "not a percentage"),
        ([("A", "NaN")], "not a percentage"),
        ([("A", "50"), ("A", "50")], "appears twice"),
        ([("X", "100")], "unknown code 'X'"),
        ([("A", "33.33333"), ("B", "66.66667")], "at most 4 decimals"),
        ([], "empty distribution"),
    ],
)
def test_bad_distributions_are_refused_with_the_reason(
    shares: list[tuple[str, str]], message: str
) -> None:
    with pytest.raises(DistributionError, match=message.replace("(", r"\(")):
        parse_distribution(shares, known_codes={"A", "B", "Z"})


def test_percent_signs_and_commas_are_accepted() -> None:
    assert parse_distribution([("A", "60,5 %"), ("B", "39.5")]) == (
        Share("A", Decimal("60.5")),
        Share("B", Decimal("39.5")),
    )


def test_allocate_refuses_shares_not_adding_up() -> None:
    with pytest.raises(DistributionError):
        allocate(Decimal("10"), [Decimal(50), Decimal(49)])


def test_result_is_revenue_class_7_minus_costs_class_6_per_code_and_month() -> None:
    split = (Share("P1", Decimal(70)), Share("P2", Decimal(30)))
    rows = result_by_code_month(
        [
            ReportLine("2026-01", "700000", Decimal(0), Decimal("1000.00"), split),
            ReportLine("2026-01", "612000", Decimal("100.01"), Decimal(0), split),
            ReportLine("2026-02", "604000", Decimal("50.00"), Decimal(0)),
            ReportLine("2026-01", "440000", Decimal(0), Decimal("121.00"), split),  # not 6/7
            ReportLine("2026-01", "700000", Decimal("10.00"), Decimal(0), split),  # credit note
        ]
    )
    by = {(r.code, r.month): r for r in rows}
    assert by[("P1", "2026-01")].revenue == Decimal("693.00")
    assert by[("P2", "2026-01")].revenue == Decimal("297.00")
    assert by[("P1", "2026-01")].costs + by[("P2", "2026-01")].costs == Decimal("100.01")
    assert by[(UNASSIGNED, "2026-02")].result == Decimal("-50.00")
    assert [r.code for r in rows][-1] == UNASSIGNED
    assert sum((r.result for r in rows), Decimal(0)) == Decimal("1000.00") - Decimal(
        "100.01"
    ) - Decimal("50.00") - Decimal("10.00")
