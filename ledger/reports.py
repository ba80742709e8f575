"""Ledger lists and the entrepreneur's reports, from booked lines or monthly sums.

Belgian chart classes (docs/belgian-bookkeeping.md): 1 equity and long-term debt,
2 fixed assets, 3 stock, 4 receivables and payables (400 customers, 440 suppliers),
5 cash, 6 charges (60 goods and raw materials, 61 services, 62 pay, 63 depreciation,
64 other operating charges, 65 financial, 66 non-recurring, 67 income taxes),
7 income (70 turnover).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from booking.vat import GRID_SIDE
from booking.vat_return import vat_return
from ledger.model import (
    ZERO,
    AccountLedger,
    AccountMonth,
    Ageing,
    BookedLine,
    HistoryRow,
    JournalEntryView,
    LedgerRow,
    Measure,
    MonthCompare,
    OpenItem,
    Point,
    Ranked,
    ResultReport,
    Series,
    TrialBalance,
    TrialRow,
    VatGridLine,
    VatListing,
    VatPosition,
)

GRANULARITIES = ("month", "quarter", "year")
KINDS = {"customers": "40", "suppliers": "44"}
AGEING_BUCKETS = ("not due", "1-30", "31-60", "61-90", "> 90")
_MAX_RANGES = 10
_RANGE = re.compile(r"^(\d{1,10})(?:\s*-\s*(\d{1,10}))?$")


class MeasureError(ValueError):
    """A measure, period or granularity the reports cannot read."""


# ----------------------------------------------------------------------------- measures


def parse_measure(text: str) -> Measure:
    """``60-61``, ``70``, ``600000-604999`` or ``60,61``: account prefixes, inclusive."""
    parts = [p.strip() for p in (text or "").replace(";", ",").split(",") if p.strip()]
    if not parts:
        raise MeasureError("a measure is an account range or group, e.g. 60-61 or 70")
    if len(parts) > _MAX_RANGES:
        raise MeasureError(f"at most {_MAX_RANGES} account ranges in one measure")
    ranges = []
    for part in parts:
        m = _RANGE.match(part)
        if m is None:
            raise MeasureError(f"{part[:40]!r} is not an account range such as 60-61")
        lo, hi = m.group(1), m.group(2) or m.group(1)
        if lo.ljust(10, "0") > hi.ljust(10, "9"):
            raise MeasureError(f"{part!r}: the range runs backwards")
        ranges.append((lo, hi))
    return Measure(
        text=",".join(f"{lo}-{hi}" if lo != hi else lo for lo, hi in ranges), ranges=tuple(ranges)
    )


def in_range(account: str, lo: str, hi: str) -> bool:
    """The account lies between the prefixes ``lo`` and ``hi`` (both inclusive)."""
    return account[: len(lo)] >= lo and account[: len(hi)] <= hi


def matches(measure: Measure, account: str) -> bool:
    return any(in_range(account, lo, hi) for lo, hi in measure.ranges)


def bucket_of(month: str, granularity: str) -> str:
    """``2026-05`` -> ``2026-05``, ``2026-Q2`` or ``2026``."""
    if granularity == "month":
        return month
    if granularity == "quarter":
        return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"
    if granularity == "year":
        return month[:4]
    raise MeasureError(f"granularity is one of {', '.join(GRANULARITIES)}")


def months_between(start: str, end: str) -> list[str]:
    """Every YYYY-MM from ``start`` to ``end`` inclusive (at most 20 years)."""
    for value in (start, end):
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value or ""):
            raise MeasureError(f"{str(value)[:20]!r} is not a month YYYY-MM")
    y, m = int(start[:4]), int(start[5:7])
    out: list[str] = []
    while f"{y:04d}-{m:02d}" <= end:
        out.append(f"{y:04d}-{m:02d}")
        if len(out) > 240:
            raise MeasureError("a period spans at most 20 years")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    if not out:
        raise MeasureError("the period ends before it starts")
    return out


def _natural(measure: Measure, debit: Decimal, credit: Decimal) -> Decimal:
    return credit - debit if measure.credit_positive else debit - credit


def measure_series(
    months: Iterable[AccountMonth],
    measure: Measure | str,
    start: str,
    end: str,
    granularity: str = "month",
    name: str = "",
) -> Series:
    """The measure per bucket over the period; every bucket present, empty ones at 0."""
    m = parse_measure(measure) if isinstance(measure, str) else measure
    wanted = months_between(start, end)
    buckets = {bucket_of(month, granularity): ZERO for month in wanted}
    for row in months:
        if start <= row.month <= end and matches(m, row.account):
            key = bucket_of(row.month, granularity)
            buckets[key] += _natural(m, row.debit, row.credit)
    return Series(name or m.text, tuple(Point(b, v) for b, v in buckets.items()))


# ----------------------------------------------------------------------------- reports


def result_report(months: Iterable[AccountMonth], year: int) -> ResultReport:
    """Revenue (70), costs (class 6), gross margin (70 minus 60) and result (class 7
    minus class 6) per month of ``year`` against the same month a year earlier."""
    rows = list(months)
    figures: dict[str, dict[str, Decimal]] = {}
    for label, text in (("revenue", "70"), ("costs", "6"), ("goods", "60"), ("income", "7")):
        measure = parse_measure(text)
        series = measure_series(rows, measure, f"{year - 1}-01", f"{year}-12")
        figures[label] = {p.bucket: p.value for p in series.points}

    def compare(values: dict[str, Decimal]) -> tuple[MonthCompare, ...]:
        return tuple(
            MonthCompare(f"{m:02d}", values[f"{year}-{m:02d}"], values[f"{year - 1}-{m:02d}"])
            for m in range(1, 13)
        )

    keys = figures["revenue"].keys()
    margin = {k: figures["revenue"][k] - figures["goods"][k] for k in keys}
    result = {k: figures["income"][k] - figures["costs"][k] for k in keys}
    return ResultReport(
        year,
        compare(figures["revenue"]),
        compare(figures["costs"]),
        compare(margin),
        compare(result),
    )


def trial_balance(
    months: Iterable[AccountMonth],
    names: Mapping[str, str] | None = None,
    start: str | None = None,
    end: str | None = None,
) -> TrialBalance:
    """Per account: debit, credit and balance over the months ``start``..``end``."""
    names = names or {}
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for row in months:
        if (start and row.month < start) or (end and row.month > end):
            continue
        pair = sums[row.account]
        pair[0] += row.debit
        pair[1] += row.credit
    rows = tuple(
        TrialRow(acc, names.get(acc, ""), d, c, d - c) for acc, (d, c) in sorted(sums.items())
    )
    return TrialBalance(
        rows, sum((r.debit for r in rows), ZERO), sum((r.credit for r in rows), ZERO)
    )


def _sorted(lines: Iterable[BookedLine]) -> list[BookedLine]:
    return sorted(lines, key=lambda ln: (ln.date, ln.entry_id))


def general_ledger(
    lines: Iterable[BookedLine],
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    names: Mapping[str, str] | None = None,
    openings: Mapping[str, Decimal] | None = None,
) -> tuple[AccountLedger, ...]:
    """Per account: the opening balance (``openings`` plus lines before ``start``), the
    lines from ``start`` to ``end`` with a running balance, the totals and the closing."""
    names = names or {}
    opening: dict[str, Decimal] = defaultdict(lambda: ZERO, openings or {})
    moves: dict[str, list[BookedLine]] = defaultdict(list)
    for ln in _sorted(lines):
        if start and ln.date < start:
            opening[ln.account] += ln.amount
        elif end is None or ln.date <= end:
            moves[ln.account].append(ln)
    out = []
    for account in sorted(set(opening) | set(moves)):
        balance = opening[account]
        rows = []
        for ln in moves[account]:
            balance += ln.amount
            rows.append(
                LedgerRow(
                    ln.entry_id,
                    ln.date,
                    ln.journal,
                    ln.number,
                    ln.counterparty,
                    ln.description,
                    ln.document_id,
                    ln.debit,
                    ln.credit,
                    balance,
                )
            )
        out.append(
            AccountLedger(
                account,
                names.get(account, ""),
                opening[account],
                tuple(rows),
                sum((r.debit for r in rows), ZERO),
                sum((r.credit for r in rows), ZERO),
                balance,
            )
        )
    return tuple(out)


def journal_entries(lines: Iterable[BookedLine]) -> tuple[JournalEntryView, ...]:
    """The entries of the lines, per journal, date and number, each with its lines."""
    grouped: dict[int, list[BookedLine]] = defaultdict(list)
    for ln in lines:
        grouped[ln.entry_id].append(ln)
    views = []
    for entry_id, group in grouped.items():
        first = group[0]
        views.append(
            JournalEntryView(
                entry_id,
                first.journal,
                first.number,
                first.date,
                first.counterparty,
                first.document_id,
                tuple((ln.account, ln.debit, ln.credit, " ".join(ln.vat_grids)) for ln in group),
                sum((ln.debit for ln in group), ZERO),
                sum((ln.credit for ln in group), ZERO),
            )
        )
    return tuple(sorted(views, key=lambda v: (v.journal, v.date, v.number or 0, v.entry_id)))


def vat_listing(
    lines: Iterable[BookedLine], vat_period: str | None = None
) -> tuple[VatListing, ...]:
    """Per VAT period and grid, the lines that fill it, on the grid's natural side."""
    grouped: dict[tuple[str, str], list[VatGridLine]] = defaultdict(list)
    for ln in _sorted(lines):
        period = ln.vat_period or ln.period
        if vat_period and period != vat_period:
            continue
        for grid in ln.vat_grids:
            side = GRID_SIDE.get(str(grid), "debit")
            amount = ln.amount if side == "debit" else -ln.amount
            grouped[(period, str(grid))].append(
                VatGridLine(
                    period,
                    str(grid),
                    ln.entry_id,
                    ln.date,
                    ln.journal,
                    ln.number,
                    ln.account,
                    ln.counterparty,
                    ln.document_id,
                    amount,
                )
            )
    return tuple(
        VatListing(p, g, sum((x.amount for x in rows), ZERO), tuple(rows))
        for (p, g), rows in sorted(grouped.items())
    )


def vat_position(lines: Iterable[BookedLine], vat_period: str) -> VatPosition:
    """The return of one VAT period: grid totals and 71 (to pay) or 72 (to recover)."""
    by_entry: dict[int, list[dict[str, object]]] = defaultdict(list)
    for ln in lines:
        known_grids = [g for g in ln.vat_grids if str(g) in GRID_SIDE]
        if (ln.vat_period or ln.period) == vat_period and known_grids:
            by_entry[ln.entry_id].append(
                {"debit": ln.debit, "credit": ln.credit, "vat_grid": known_grids}
            )
    known = [{"lines": group} for group in by_entry.values()]
    totals = vat_return(known)
    grids = tuple((g, v) for g, v in totals.items() if g not in {"71", "72"})
    return VatPosition(vat_period, grids, totals.get("71", ZERO), totals.get("72", ZERO))


def _kind_prefix(kind: str) -> str:
    if kind not in KINDS:
        raise MeasureError("kind is customers or suppliers")
    return KINDS[kind]


def _claimed(kind: str, ln: BookedLine) -> Decimal:
    """The amount a line adds to what the counterparty owes (customers) or is owed."""
    return ln.amount if kind == "customers" else -ln.amount


def counterparty_history(
    lines: Iterable[BookedLine], kind: str, counterparty: str | None = None
) -> tuple[HistoryRow, ...]:
    """Every 40 (customers) or 44 (suppliers) line, per counterparty with a running
    balance: what they were invoiced and what settled it."""
    prefix = _kind_prefix(kind)
    running: dict[str, Decimal] = defaultdict(lambda: ZERO)
    rows = []
    picked = [
        ln
        for ln in lines
        if ln.account.startswith(prefix)
        and (counterparty is None or ln.counterparty == counterparty)
    ]
    for ln in sorted(picked, key=lambda x: (x.counterparty.lower(), x.date, x.entry_id)):
        claimed = _claimed(kind, ln)
        running[ln.counterparty] += claimed
        rows.append(
            HistoryRow(
                ln.counterparty,
                ln.entry_id,
                ln.date,
                ln.journal,
                ln.number,
                ln.document_id,
                max(claimed, ZERO),
                max(-claimed, ZERO),
                running[ln.counterparty],
            )
        )
    return tuple(rows)


def _bucket(days: int) -> str:
    if days <= 0:
        return AGEING_BUCKETS[0]
    if days <= 30:
        return AGEING_BUCKETS[1]
    if days <= 60:
        return AGEING_BUCKETS[2]
    if days <= 90:
        return AGEING_BUCKETS[3]
    return AGEING_BUCKETS[4]


def ageing(
    lines: Iterable[BookedLine],
    kind: str,
    as_of: dt.date,
    paid: Mapping[int, Decimal] | None = None,
    *,
    items: bool = True,
) -> Ageing:
    """Open items of customers (40) or suppliers (44) on ``as_of``: each entry's claim
    minus its recorded payments (``paid`` per entry), by days past its due date (else
    its date).  A settlement without a document (a bank entry on 40/44) settles the
    counterparty's oldest items first; what it leaves over stays as an open credit.
    ``items=False``: the buckets and total only (the dashboard), no list of items."""
    prefix = _kind_prefix(kind)
    paid = paid or {}
    claims: dict[int, Decimal] = defaultdict(lambda: ZERO)
    first: dict[int, BookedLine] = {}
    for ln in lines:
        if ln.account.startswith(prefix) and ln.date <= as_of:
            claims[ln.entry_id] += _claimed(kind, ln)
            first.setdefault(ln.entry_id, ln)
    settled = {eid: paid.get(eid, ZERO) for eid in claims}
    pool: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for eid, amount in claims.items():
        if amount < ZERO and first[eid].document_id is None:
            pool[first[eid].counterparty] += -amount
            settled[eid] = amount  # spent on the oldest items below
    for eid in sorted(claims, key=lambda e: (first[e].due_date or first[e].date, e)):
        left = claims[eid] - settled[eid]
        cp = first[eid].counterparty
        if left > ZERO and pool[cp] > ZERO:
            take = min(left, pool[cp])
            settled[eid] += take
            pool[cp] -= take
    for eid, amount in claims.items():  # what a settlement left over stays open
        if amount < ZERO and first[eid].document_id is None and pool[first[eid].counterparty]:
            settled[eid] = amount + pool.pop(first[eid].counterparty)
    totals = dict.fromkeys(AGEING_BUCKETS, ZERO)
    if not items:
        for entry_id, amount in claims.items():
            left = amount - settled[entry_id]
            if left != ZERO:
                ln = first[entry_id]
                totals[_bucket((as_of - (ln.due_date or ln.date)).days)] += left
        return Ageing(kind, tuple(totals.items()), sum(totals.values(), ZERO), ())
    found = []
    for entry_id, amount in claims.items():
        left = amount - settled[entry_id]
        if left == ZERO:
            continue
        ln = first[entry_id]
        due = ln.due_date or ln.date
        days = (as_of - due).days
        found.append(
            OpenItem(
                ln.counterparty,
                entry_id,
                ln.date,
                due,
                ln.number,
                ln.document_id,
                amount,
                settled[entry_id],
                left,
                max(days, 0),
                _bucket(days),
            )
        )
    found.sort(key=lambda i: (-i.days_overdue, i.counterparty.lower(), i.entry_id))
    for item in found:
        totals[item.bucket] += item.open
    return Ageing(kind, tuple(totals.items()), sum(totals.values(), ZERO), tuple(found))


def top_counterparties(
    lines: Iterable[BookedLine], kind: str, limit: int = 10
) -> tuple[Ranked, ...]:
    """Customers (or suppliers) by what their documents claimed (40 debit / 44 credit,
    net of credit notes; payments, which carry no document, do not count), largest first."""
    prefix = _kind_prefix(kind)
    amounts: dict[str, Decimal] = defaultdict(lambda: ZERO)
    docs: dict[str, set[int]] = defaultdict(set)
    for ln in lines:
        if ln.account.startswith(prefix) and ln.document_id is not None:
            amounts[ln.counterparty] += _claimed(kind, ln)
            docs[ln.counterparty].add(ln.entry_id)
    ranked = sorted(amounts.items(), key=lambda kv: (-kv[1], kv[0].lower()))
    return tuple(Ranked(name, amount, len(docs[name])) for name, amount in ranked[:limit])


def sums_by_month(lines: Sequence[BookedLine]) -> list[AccountMonth]:
    """Monthly sums per account of booked lines (what SQL does for a large dossier)."""
    acc: dict[tuple[str, str], AccountMonth] = {}
    for ln in lines:
        key = (ln.account, ln.period or ln.date.strftime("%Y-%m"))
        row = acc.setdefault(key, AccountMonth(key[0], key[1]))
        row.debit += ln.debit
        row.credit += ln.credit
    return [acc[k] for k in sorted(acc)]
