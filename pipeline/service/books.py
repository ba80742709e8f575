"""The books online: ledger lists, reports, the dashboard and the firm's overview.

Read-only for everyone who holds ``view_books`` in the dossier (the entrepreneur and
the accountant alike).  Sums are made in SQL (:mod:`storage.ledgerq`), the reports in
the pure core (:mod:`ledger`).  Own charts are stored per user and dossier.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ledger
from ledger import export as exporter
from ledger import tables
from pipeline.service.core import (
    Permission,
    Refused,
    ServiceBase,
    ServiceError,
    UserView,
    requires,
)
from storage import ledgerq

P = Permission

__all__ = [
    "CHART_TYPES",
    "BooksService",
    "DashboardView",
    "JournalPage",
    "LedgerPage",
    "OverviewRow",
    "OwnChartView",
]

CHART_TYPES = ("bar", "line", "area")
MAX_CHARTS = 30
MAX_PAGE = 1000
LISTS = (
    "ledger",
    "trial_balance",
    "journals",
    "vat_listing",
    "vat_returns",
    "history",
    "open_items",
)


@dataclass(frozen=True, slots=True)
class LedgerPage:
    """One page of an account's ledger; ``ledger.opening`` is the balance carried in."""

    ledger: ledger.AccountLedger
    total_rows: int
    offset: int
    closing: Decimal  # of the whole period


@dataclass(frozen=True, slots=True)
class JournalPage:
    entries: tuple[ledger.JournalEntryView, ...]
    total: int
    offset: int


@dataclass(frozen=True, slots=True)
class DashboardView:
    year: int
    result: ledger.ResultReport
    vat: ledger.VatPosition | None
    receivables: ledger.Ageing
    payables: ledger.Ageing
    top_customers: tuple[ledger.Ranked, ...]
    top_suppliers: tuple[ledger.Ranked, ...]


@dataclass(frozen=True, slots=True)
class OwnChartView:
    id: int
    name: str
    measure: str
    period_from: str
    period_to: str
    granularity: str
    chart_type: str
    series: ledger.Series


@dataclass(frozen=True, slots=True)
class OverviewRow:
    dossier_id: int
    name: str
    waiting: int
    oldest_unbooked: dt.datetime | None
    open_vat_periods: tuple[str, ...]
    used_bytes: int
    free_bytes: int
    last_upload: dt.datetime | None


class _Cache:
    """Reports of a dossier keyed by its books' fingerprint (:func:`ledgerq.books_version`):
    a warm page re-reads only the fingerprint; booking, reopening or a payment changes it.
    Access is still checked on every call, before the cache is consulted."""

    def __init__(self, size: int = 64) -> None:
        self._items: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, key: tuple[Any, ...]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget every report (benches time the first, uncached call)."""
        with self._lock:
            self._items.clear()


_CACHE = _Cache()


def _booked(rows: list[dict[str, Any]]) -> list[ledger.BookedLine]:
    return [ledger.BookedLine(**r) for r in rows]


def _months(rows: list[tuple[str, str, Decimal, Decimal]]) -> list[ledger.AccountMonth]:
    return [ledger.AccountMonth(a, m, d, c) for a, m, d, c in rows]


def _month(value: dt.date | None) -> str | None:
    return value.strftime("%Y-%m") if value else None


def _page(offset: int, limit: int) -> tuple[int, int]:
    return max(0, int(offset)), max(1, min(int(limit), MAX_PAGE))


def _kind(kind: str) -> str:
    if kind not in ("customers", "suppliers"):
        raise Refused("kind is customers or suppliers")
    return "40" if kind == "customers" else "44"


class BooksService(ServiceBase):
    # -- lists ----------------------------------------------------------------------------
    @requires(P.VIEW_BOOKS)
    def trial_balance(
        self,
        user: UserView,
        dossier_id: int,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> ledger.TrialBalance:
        """Per account: debit, credit and balance of the booking months ``start``..``end``."""
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW_BOOKS)
            key = self._key(s, dossier_id, "trial_balance", start, end)
            cached = _CACHE.get(key)
            if cached is not None:
                return cached
            months = ledgerq.account_months(s, dossier_id, start=_month(start), end=_month(end))
            names = ledgerq.account_names(s, dossier_id)
        result = ledger.trial_balance(_months(months), names)
        _CACHE.put(key, result)
        return result

    def _key(self, s: Any, dossier_id: int, *what: Any) -> tuple[Any, ...]:
        url = str(self.rt.settings.database_url)
        return (url, dossier_id, *what, ledgerq.books_version(s, dossier_id))

    @requires(P.VIEW_BOOKS)
    def account_ledger(
        self,
        user: UserView,
        dossier_id: int,
        account: str,
        start: dt.date | None = None,
        end: dt.date | None = None,
        offset: int = 0,
        limit: int = 200,
    ) -> LedgerPage:
        """One account's ledger, a page at a time: the balance carried into the page,
        each line with its entry, counterparty, document and running balance."""
        offset, limit = _page(offset, limit)
        return self._account_ledger(user, dossier_id, account, start, end, offset, limit)

    def _account_ledger(
        self,
        user: UserView,
        dossier_id: int,
        account: str,
        start: dt.date | None,
        end: dt.date | None,
        offset: int,
        limit: int,
    ) -> LedgerPage:
        account = (account or "").strip()
        if not account.isdigit() or len(account) > 12:
            raise Refused("an account is its number, e.g. 604000")
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW_BOOKS)
            carried, total, closing, rows = ledgerq.account_page(
                s, dossier_id, account, start=start, end=end, offset=offset, limit=limit
            )
            name = ledgerq.account_names(s, dossier_id).get(account, "")
        books = ledger.general_ledger(
            _booked(rows), names={account: name}, openings={account: carried}
        )
        acc = (
            books[0]
            if books
            else ledger.AccountLedger(account, name, carried, (), ledger.ZERO, ledger.ZERO, carried)
        )
        return LedgerPage(acc, total, offset, closing)

    @requires(P.VIEW_BOOKS)
    def journal_entry(
        self, user: UserView, dossier_id: int, entry_id: int
    ) -> ledger.JournalEntryView:
        """One booked entry with all its lines and its document (drill-down)."""
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW_BOOKS)
            rows = ledgerq.lines(s, dossier_id, entry_ids=[int(entry_id)])
        entries = ledger.journal_entries(_booked(rows))
        if not entries:
            raise ServiceError(f"entry {entry_id} does not exist")
        return entries[0]

    @requires(P.VIEW_BOOKS)
    def journals(
        self,
        user: UserView,
        dossier_id: int,
        journal: str | None = None,
        period: str | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> JournalPage:
        """Booked entries per journal, date and number, a page at a time."""
        offset, limit = _page(offset, limit)
        return self._journals(user, dossier_id, journal, period, offset, limit)

    def _journals(
        self,
        user: UserView,
        dossier_id: int,
        journal: str | None,
        period: str | None,
        offset: int,
        limit: int,
    ) -> JournalPage:
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW_BOOKS)
            total, ids = ledgerq.entry_ids_page(
                s,
                dossier_id,
                journal=journal or None,
                period=period or None,
                offset=offset,
                limit=limit,
            )
            rows = ledgerq.lines(s, dossier_id, entry_ids=ids) if ids else []
        return JournalPage(ledger.journal_entries(_booked(rows)), total, offset)

    @requires(P.VIEW_BOOKS)
    def journal_codes(self, user: UserView, dossier_id: int) -> list[str]:
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW_BOOKS)
            return ledgerq.journal_codes(s, dossier_id)

    @requires(P.VIEW_BOOKS)
    def vat_periods(self, user: UserView, dossier_id: int) -> list[str]:
        """The VAT periods of the booked entries, latest first."""
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW_BOOKS)
            return ledgerq.vat_periods(s, dossier_id)

    @requires(P.VIEW_BOOKS)
    def vat_listing(
        self, user: UserView, dossier_id: int, vat_period: str
    ) -> tuple[ledger.VatListing, ...]:
        """Per grid of one VAT period, the lines that fill it."""
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW_BOOKS)
            rows = ledgerq.lines(s, dossier_id, vat_period=vat_period)
        return ledger.vat_listing(_booked(rows), vat_period)

    @requires(P.VIEW_BOOKS)
    def vat_returns(
        self, user: UserView, dossier_id: int, periods: list[str] | None = None
    ) -> tuple[ledger.VatPosition, ...]:
        """The return of each VAT period (grids, 71 to pay or 72 to recover), latest first."""
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW_BOOKS)
            wanted = periods if periods is not None else ledgerq.vat_periods(s, dossier_id)
            out = []
            for period in wanted[:60]:
                rows = ledgerq.lines(s, dossier_id, vat_period=period)
                out.append(ledger.vat_position(_booked(rows), period))
        return tuple(out)

    @requires(P.VIEW_BOOKS)
    def counterparty_history(
        self, user: UserView, dossier_id: int, kind: str, counterparty: str | None = None
    ) -> tuple[ledger.HistoryRow, ...]:
        """Every customer (40) or supplier (44) line with a running balance per party."""
        prefix = _kind(kind)
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW_BOOKS)
            rows = ledgerq.claims(s, dossier_id, prefix)
        return ledger.counterparty_history(_booked(rows), kind, counterparty)

    @requires(P.VIEW_BOOKS)
    def ageing(
        self, user: UserView, dossier_id: int, kind: str, as_of: dt.date | None = None
    ) -> ledger.Ageing:
        """Open items of customers or suppliers with their ageing on ``as_of`` (today)."""
        prefix = _kind(kind)
        as_of = as_of or dt.date.today()
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW_BOOKS)
            rows = ledgerq.claims(s, dossier_id, prefix, as_of=as_of)
            paid = ledgerq.paid_per_entry(s, dossier_id)
        return ledger.ageing(_booked(rows), kind, as_of, paid)

    # -- reports and the dashboard ----------------------------------------------------------
    @requires(P.VIEW_BOOKS)
    def measure(
        self,
        user: UserView,
        dossier_id: int,
        measure: str,
        period_from: str,
        period_to: str,
        granularity: str = "month",
        name: str = "",
    ) -> ledger.Series:
        """An account range or group (``60-61``) per month, quarter or year."""
        try:
            m = ledger.parse_measure(measure)
            ledger.bucket_of(period_from, granularity)
        except ledger.MeasureError as exc:
            raise Refused(str(exc)) from None
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW_BOOKS)
            try:
                return self._series(s, dossier_id, m, period_from, period_to, granularity, name)
            except ledger.MeasureError as exc:
                raise Refused(str(exc)) from None

    def _series(
        self,
        s: Any,
        dossier_id: int,
        m: ledger.Measure,
        start: str,
        end: str,
        granularity: str,
        name: str,
    ) -> ledger.Series:
        key = self._key(s, dossier_id, "measure", m.ranges, start, end, granularity, name)
        cached = _CACHE.get(key)
        if cached is not None:
            return cached
        months = ledgerq.account_months(s, dossier_id, start=start, end=end, ranges=m.ranges)
        series = ledger.measure_series(_months(months), m, start, end, granularity, name)
        _CACHE.put(key, series)
        return series

    @requires(P.VIEW_BOOKS)
    def dashboard(
        self,
        user: UserView,
        dossier_id: int,
        year: int | None = None,
        today: dt.date | None = None,
    ) -> DashboardView:
        """Result per month against the previous year, the VAT position of the latest
        period, receivables and payables ageing, top customers and suppliers."""
        today = today or dt.date.today()
        year = int(year or today.year)
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW_BOOKS)
            key = self._key(s, dossier_id, "dashboard", year, today)
            cached = _CACHE.get(key)
            if cached is not None:
                return cached
            months = ledgerq.account_months(
                s,
                dossier_id,
                start=f"{year - 1}-01",
                end=f"{year}-12",
                ranges=(("6", "7"),),
            )
            periods = ledgerq.vat_periods(s, dossier_id)
            vat_rows = ledgerq.lines(s, dossier_id, vat_period=periods[0]) if periods else []
            paid = ledgerq.paid_per_entry(s, dossier_id)
            both = ledgerq.claims_of(s, dossier_id, ("40", "44"), as_of=today)
            customers, suppliers = _booked(both["40"]), _booked(both["44"])
        view = DashboardView(
            year=year,
            result=ledger.result_report(_months(months), year),
            vat=ledger.vat_position(_booked(vat_rows), periods[0]) if periods else None,
            receivables=ledger.ageing(customers, "customers", today, paid, items=False),
            payables=ledger.ageing(suppliers, "suppliers", today, paid, items=False),
            top_customers=ledger.top_counterparties(customers, "customers", 10),
            top_suppliers=ledger.top_counterparties(suppliers, "suppliers", 10),
        )
        _CACHE.put(key, view)
        return view

    # -- own charts --------------------------------------------------------------------------
    def _me(self, user: UserView) -> int:
        if user.id is None:
            raise Refused("own charts belong to a user account")
        return int(user.id)

    @requires(P.VIEW_BOOKS)
    def own_charts(self, user: UserView, dossier_id: int) -> list[OwnChartView]:
        """The caller's own charts on this dossier's dashboard, each with its figures."""
        me = self._me(user)
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW_BOOKS)
            charts = [
                (c.id, c.name, c.measure, c.period_from, c.period_to, c.granularity, c.chart_type)
                for c in ledgerq.list_charts(s, me, dossier_id)
            ]
            out = []
            for cid, name, measure, start, end, gran, kind in charts:
                m = ledger.parse_measure(measure)
                series = self._series(s, dossier_id, m, start, end, gran, name)
                out.append(OwnChartView(cid, name, measure, start, end, gran, kind, series))
        return out

    @requires(P.VIEW_BOOKS)
    def add_own_chart(
        self,
        user: UserView,
        dossier_id: int,
        name: str,
        measure: str,
        period_from: str,
        period_to: str,
        granularity: str = "month",
        chart_type: str = "bar",
    ) -> int:
        """Store a chart on the caller's dashboard; refused with the reason when the
        measure, period, granularity or type cannot be read."""
        me = self._me(user)
        name = " ".join((name or "").split())[:120]
        if not name:
            raise Refused("give the chart a name")
        if chart_type not in CHART_TYPES:
            raise Refused(f"chart type is one of {', '.join(CHART_TYPES)}")
        try:
            m = ledger.parse_measure(measure)
            ledger.measure_series([], m, period_from, period_to, granularity)
        except ledger.MeasureError as exc:
            raise Refused(str(exc)) from None
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW_BOOKS)
            if ledgerq.count_charts(s, me, dossier_id) >= MAX_CHARTS:
                raise Refused(f"at most {MAX_CHARTS} own charts per dossier; delete one first")
            chart = ledgerq.add_chart(
                s,
                user_id=me,
                dossier_id=dossier_id,
                name=name,
                measure=m.text,
                period_from=period_from,
                period_to=period_to,
                granularity=granularity,
                chart_type=chart_type,
            )
            return int(chart.id)

    @requires(P.VIEW_BOOKS)
    def delete_own_chart(self, user: UserView, dossier_id: int, chart_id: int) -> None:
        me = self._me(user)
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW_BOOKS)
            if not ledgerq.delete_chart(s, me, dossier_id, int(chart_id)):
                raise ServiceError(f"chart {chart_id} does not exist")

    # -- exports -------------------------------------------------------------------------------
    @requires(P.VIEW_BOOKS)
    def books_export(
        self, user: UserView, dossier_id: int, what: str, fmt: str, **params: Any
    ) -> bytes:
        """One list as CSV, XLSX or PDF: ``ledger`` (account, start, end), ``trial_balance``
        (start, end), ``journals`` (journal, period), ``vat_listing`` (vat_period),
        ``vat_returns``, ``history`` and ``open_items`` (kind)."""
        if fmt not in exporter.FORMATS:
            raise Refused(f"export format is one of {', '.join(exporter.FORMATS)}")
        build: dict[str, Callable[[], exporter.Table]] = {
            "ledger": lambda: tables.ledger_table(
                self._account_ledger(
                    user,
                    dossier_id,
                    str(params.get("account", "")),
                    params.get("start"),
                    params.get("end"),
                    0,
                    exporter.MAX_ROWS,
                ).ledger
            ),
            "trial_balance": lambda: tables.trial_balance_table(
                self.trial_balance(user, dossier_id, params.get("start"), params.get("end"))
            ),
            "journals": lambda: tables.journal_table(
                self._journals(
                    user,
                    dossier_id,
                    params.get("journal"),
                    params.get("period"),
                    0,
                    exporter.MAX_ROWS // 4,
                ).entries
            ),
            "vat_listing": lambda: tables.vat_listing_table(
                self.vat_listing(user, dossier_id, str(params.get("vat_period", "")))
            ),
            "vat_returns": lambda: tables.vat_returns_table(self.vat_returns(user, dossier_id)),
            "history": lambda: tables.history_table(
                self.counterparty_history(user, dossier_id, str(params.get("kind", ""))),
                f"History ({params.get('kind')})",
            ),
            "open_items": lambda: tables.open_items_table(
                self.ageing(user, dossier_id, str(params.get("kind", "")))
            ),
        }
        if what not in build:
            raise Refused(f"the lists are {', '.join(LISTS)}")
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW_BOOKS)
            from storage import repo

            dossier_name = repo.get_dossier(s, dossier_id).name
        table = build[what]()
        try:
            return exporter.export(table, fmt, f"{dossier_name} · {dt.date.today().isoformat()}")
        except exporter.ExportError as exc:
            raise Refused(str(exc)) from None

    # -- the firm's overview ---------------------------------------------------------------
    @requires(P.VIEW)
    def firm_overview(self, user: UserView) -> list[OverviewRow]:
        """Per dossier the caller sees: documents waiting, the oldest unbooked document,
        open VAT periods, storage use and the last document received."""
        with self.rt.tx() as s:
            ids = self._dossier_ids(s, user)
            if ids is not None:
                ids = [d for d in ids if P.VIEW in self._permissions(s, user, d)]
            return [OverviewRow(**row) for row in ledgerq.overview(s, ids)]
