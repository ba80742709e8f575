"""The ledger core: exact Decimal figures on a small, hand-computed set of entries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from ledger import (
    BookedLine,
    MeasureError,
    ageing,
    bucket_of,
    counterparty_history,
    general_ledger,
    journal_entries,
    measure_series,
    parse_measure,
    result_report,
    top_counterparties,
    trial_balance,
    vat_listing,
    vat_position,
)
from ledger.reports import sums_by_month

Z = D("0.00")


def _entry(
    eid: int,
    day: str,
    journal: str,
    cp: str,
    lines: list[tuple[str, str, str, list[str]]],
    *,
    doc: int | None = None,
    due: str | None = None,
    vat_period: str = "",
) -> list[BookedLine]:
    date = dt.date.fromisoformat(day)
    return [
        BookedLine(
            entry_id=eid,
            date=date,
            journal=journal,
            account=acc,
            debit=D(debit),
            credit=D(credit),
            number=eid,
            period=day[:7],
            vat_period=vat_period or day[:7],
            vat_grids=tuple(grids),
            counterparty=cp,
            document_id=doc,
            due_date=dt.date.fromisoformat(due) if due else None,
        )
        for acc, debit, credit, grids in lines
    ]


def _books() -> list[BookedLine]:
    return [
        # 2025-03: a sale of 1000 + 21 % to Klant A (revenue of the previous year)
        *_entry(
            1,
            "2025-03-10",
            "VKP",
            "Klant A",
            [
                ("400000", "1210.00", "0", []),
                ("700000", "0", "1000.00", ["03"]),
                ("451000", "0", "210.00", ["54"]),
            ],
            doc=11,
        ),
        # 2026-01: purchase of goods 500 + 21 % from Lev X, due 2026-02-10
        *_entry(
            2,
            "2026-01-05",
            "AKP",
            "Lev X",
            [
                ("604000", "500.00", "0", ["81"]),
                ("411000", "105.00", "0", ["59"]),
                ("440000", "0", "605.00", []),
            ],
            doc=12,
            due="2026-02-10",
        ),
        # 2026-01: services 200 + 21 % from Lev Y
        *_entry(
            3,
            "2026-01-20",
            "AKP",
            "Lev Y",
            [
                ("613000", "200.00", "0", ["82"]),
                ("411000", "42.00", "0", ["59"]),
                ("440000", "0", "242.00", []),
            ],
            doc=13,
            due="2026-01-31",
        ),
        # 2026-03: sales 2000 + 21 % to Klant B, and 300 + 21 % to Klant A
        *_entry(
            4,
            "2026-03-02",
            "VKP",
            "Klant B",
            [
                ("400000", "2420.00", "0", []),
                ("700000", "0", "2000.00", ["03"]),
                ("451000", "0", "420.00", ["54"]),
            ],
            doc=14,
            due="2026-04-01",
        ),
        *_entry(
            5,
            "2026-03-15",
            "VKP",
            "Klant A",
            [
                ("400000", "363.00", "0", []),
                ("705000", "0", "300.00", ["03"]),
                ("451000", "0", "63.00", ["54"]),
            ],
            doc=15,
            due="2026-03-30",
        ),
        # 2026-03: Klant A pays 1210 (the 2025 invoice) through the bank
        *_entry(
            6,
            "2026-03-20",
            "FIN",
            "Klant A",
            [
                ("550000", "1210.00", "0", []),
                ("400000", "0", "1210.00", []),
            ],
        ),
    ]


def test_trial_balance_balances_to_the_cent() -> None:
    tb = trial_balance(sums_by_month(_books()), {"700000": "Verkopen"})
    by = {r.account: r for r in tb.rows}
    assert tb.balanced
    assert tb.debit == tb.credit == D("6050.00")
    assert by["400000"].balance == D("2783.00")  # 1210 + 2420 + 363 - 1210
    assert by["700000"].name == "Verkopen"
    assert by["700000"].balance == D("-3000.00")
    assert by["411000"].debit == D("147.00")
    only_2026 = trial_balance(sums_by_month(_books()), start="2026-01", end="2026-12")
    assert {r.account: r.balance for r in only_2026.rows}["700000"] == D("-2000.00")


def test_general_ledger_opening_running_balance_and_closing() -> None:
    gl = general_ledger(
        [ln for ln in _books() if ln.account == "400000"],
        start=dt.date(2026, 1, 1),
        openings={"400000": D("100.00")},
    )
    (acc,) = gl
    assert acc.opening == D("1310.00")  # 100 carried in + the 2025 sale
    assert [r.balance for r in acc.rows] == [D("3730.00"), D("4093.00"), D("2883.00")]
    assert (acc.debit, acc.credit, acc.closing) == (D("2783.00"), D("1210.00"), D("2883.00"))
    assert acc.rows[0].counterparty == "Klant B"
    assert acc.rows[0].document_id == 14


def test_journals_group_lines_per_entry() -> None:
    entries = journal_entries(_books())
    assert [e.journal for e in entries] == ["AKP", "AKP", "FIN", "VKP", "VKP", "VKP"]
    akp = entries[0]
    assert akp.entry_id == 2
    assert akp.debit == akp.credit == D("605.00")
    assert akp.lines[0] == ("604000", D("500.00"), Z, "81")


def test_vat_listing_and_position_per_period() -> None:
    listing = {(v.vat_period, v.grid): v for v in vat_listing(_books())}
    assert listing[("2026-01", "81")].total == D("500.00")
    assert listing[("2026-01", "59")].total == D("147.00")
    assert listing[("2026-03", "03")].total == D("2300.00")
    assert [x.entry_id for x in listing[("2026-03", "54")].lines] == [4, 5]
    assert {v.grid for v in vat_listing(_books(), "2025-03")} == {"03", "54"}
    march = vat_position(_books(), "2026-03")
    assert dict(march.grids)["54"] == D("483.00")
    assert march.to_pay == D("483.00")
    assert march.to_recover == Z
    january = vat_position(_books(), "2026-01")
    assert january.to_recover == D("147.00")
    assert january.to_pay == Z


def test_customer_and_supplier_history_and_ageing() -> None:
    hist = counterparty_history(_books(), "customers", "Klant A")
    assert [(h.invoiced, h.settled, h.balance) for h in hist] == [
        (D("1210.00"), Z, D("1210.00")),
        (D("363.00"), Z, D("1573.00")),
        (Z, D("1210.00"), D("363.00")),
    ]
    sup = ageing(_books(), "suppliers", dt.date(2026, 3, 31), paid={2: D("105.00")})
    assert sup.total == D("742.00")  # 605 - 105 paid + 242
    by = {i.entry_id: i for i in sup.items}
    assert (by[2].open, by[2].days_overdue, by[2].bucket) == (D("500.00"), 49, "31-60")
    assert (by[3].days_overdue, by[3].bucket) == (59, "31-60")
    assert dict(sup.buckets)["31-60"] == D("742.00")
    cust = ageing(_books(), "customers", dt.date(2026, 3, 31))
    # the bank entry (6) settles the 2025 invoice (the oldest item of Klant A)
    assert cust.total == D("2783.00")
    assert dict(cust.buckets)["not due"] == D("2420.00")
    assert dict(cust.buckets)["1-30"] == D("363.00")
    assert {i.entry_id for i in cust.items} == {4, 5}
    # a bank entry larger than what is open leaves an open credit
    extra = _entry(7, "2026-03-25", "FIN", "Lev Y", [("440000", "300.00", "0", [])])
    sup2 = ageing(_books() + extra, "suppliers", dt.date(2026, 3, 31))
    assert {i.entry_id: i.open for i in sup2.items} == {2: D("605.00"), 7: D("-58.00")}


@pytest.mark.parametrize("kind", ["customers", "suppliers"])
@pytest.mark.parametrize("day", ["2026-01-15", "2026-03-31", "2026-12-31"])
def test_ageing_without_items_has_the_same_buckets(kind: str, day: str) -> None:
    """The dashboard's ageing (buckets and total only) adds up what the list shows."""
    extra = _entry(7, "2026-03-25", "FIN", "Lev Y", [("440000", "300.00", "0", [])])
    books = _books() + extra
    as_of = dt.date.fromisoformat(day)
    full = ageing(books, kind, as_of, paid={2: D("105.00")})
    brief = ageing(books, kind, as_of, paid={2: D("105.00")}, items=False)
    assert full.items  # something is open on each of these days
    assert brief.items == ()
    assert (brief.kind, brief.buckets, brief.total) == (full.kind, full.buckets, full.total)


def test_top_customers_and_suppliers_count_documents_not_payments() -> None:
    top = top_counterparties(_books(), "customers")
    assert [(t.counterparty, t.amount, t.documents) for t in top] == [
        ("Klant B", D("2420.00"), 1),
        ("Klant A", D("1573.00"), 2),
    ]
    assert top_counterparties(_books(), "suppliers", limit=1)[0].amount == D("605.00")


def test_result_per_month_against_the_previous_year() -> None:
    report = result_report(sums_by_month(_books()), 2026)
    march = report.revenue[2]
    assert (march.month, march.current, march.previous) == ("03", D("2300.00"), D("1000.00"))
    jan = {c.month: c for c in report.costs}["01"]
    assert jan.current == D("700.00")
    assert jan.previous == Z
    assert report.gross_margin[0].current == D("-500.00")  # no sales, 500 goods
    assert report.result[0].current == D("-700.00")
    assert report.result[2].current == D("2300.00")
    assert report.result[2].previous == D("1000.00")
    assert sum((c.current for c in report.result), Z) == D("1600.00")


def test_measures_ranges_granularity_and_sign() -> None:
    months = sums_by_month(_books())
    costs = measure_series(months, "60-61", "2026-01", "2026-06", "quarter")
    assert [(p.bucket, p.value) for p in costs.points] == [
        ("2026-Q1", D("700.00")),
        ("2026-Q2", Z),
    ]
    sales = measure_series(months, "70", "2025-01", "2026-12", "year", name="Omzet")
    assert sales.name == "Omzet"
    assert [p.value for p in sales.points] == [D("1000.00"), D("2300.00")]
    narrow = measure_series(months, "700000-704999", "2026-03", "2026-03")
    assert narrow.total == D("2000.00")
    assert measure_series(months, "60,61", "2026-01", "2026-01").total == D("700.00")
    assert parse_measure(" 60 - 61 ").text == "60-61"
    assert bucket_of("2026-11", "quarter") == "2026-Q4"


@pytest.mark.parametrize(
    "bad", ["", "6a", "61-60", "=SUM(A1)", ",".join(["60"] * 11), "12345678901"]
)
def test_bad_measures_are_refused_with_a_reason(bad: str) -> None:
    with pytest.raises(MeasureError):
        parse_measure(bad)


@pytest.mark.parametrize(
    ("start", "end", "gran"),
    [
        ("2026-13", "2026-12", "month"),
        ("2026-05", "2026-01", "month"),
        ("2026-01", "2026-02", "week"),
    ],
)
def test_bad_periods_and_granularities_are_refused(start: str, end: str, gran: str) -> None:
    with pytest.raises(MeasureError):
        measure_series([], "60", start, end, gran)
