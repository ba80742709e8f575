"""The books service on SQLite and PostgreSQL: SQL sums match the hand-computed
figures, own charts persist per user, exports open, and no method crosses dossiers."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal as D
from typing import Any

import pytest
from books_world import seed_books
from helpers import dossier
from openpyxl import load_workbook

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, AccessDenied, Refused, Service, ServiceError, UserView
from storage.models import Payment

Z = D("0.00")


def _world(runtime: Runtime) -> tuple[Service, int, list[int], UserView]:
    svc = Service(runtime)
    did = dossier(runtime)
    ids = seed_books(runtime, did)
    user = svc.add_user(SYSTEM, "ondernemer", "probe-password", "entrepreneur")
    svc.add_member(SYSTEM, did, "ondernemer", "client_portal")
    return svc, did, ids, user


def test_trial_balance_and_ledger_pages_from_sql(runtime: Runtime) -> None:
    svc, did, ids, user = _world(runtime)
    tb = svc.trial_balance(user, did)
    assert tb.debit == tb.credit == D("6050.00")
    by = {r.account: r.balance for r in tb.rows}
    assert by["400000"] == D("2783.00")
    assert by["700000"] == D("-3000.00")
    year = svc.trial_balance(user, did, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert {r.account: r.balance for r in year.rows}["700000"] == D("-2000.00")

    page = svc.account_ledger(user, did, "400000", start=dt.date(2026, 1, 1), offset=1, limit=1)
    assert page.total_rows == 3
    assert page.ledger.opening == D("3630.00")  # 1210 carried from 2025 + the first 2026 line
    (row,) = page.ledger.rows
    assert row.balance == D("3993.00")
    assert row.entry_id == ids[4]
    assert row.counterparty == "Klant A"
    assert page.closing == D("2783.00")
    entry = svc.journal_entry(user, did, row.entry_id)
    assert entry.document_id == row.document_id is not None
    assert [ln[0] for ln in entry.lines] == ["400000", "705000", "451000"]


def test_journals_vat_history_and_ageing(runtime: Runtime) -> None:
    svc, did, ids, user = _world(runtime)
    assert svc.journal_codes(user, did) == ["AKP", "FIN", "VKP"]
    akp = svc.journals(user, did, journal="AKP")
    assert akp.total == 2
    assert [e.entry_id for e in akp.entries] == ids[1:3]
    second = svc.journals(user, did, offset=1, limit=1)
    assert second.total == 6
    assert [e.entry_id for e in second.entries] == [ids[2]]
    assert svc.vat_periods(user, did) == ["2026-03", "2026-01", "2025-03"]
    listing = {v.grid: v.total for v in svc.vat_listing(user, did, "2026-01")}
    assert listing == {"59": D("147.00"), "81": D("500.00"), "82": D("200.00")}
    returns = {p.vat_period: p for p in svc.vat_returns(user, did)}
    assert returns["2026-03"].to_pay == D("483.00")
    assert returns["2026-01"].to_recover == D("147.00")
    hist = svc.counterparty_history(user, did, "customers", "Klant A")
    assert [h.balance for h in hist] == [D("1210.00"), D("1573.00"), D("363.00")]
    with runtime.tx() as s:  # 105 paid on Lev X's invoice
        s.add(
            Payment(dossier_id=did, entry_id=ids[1], amount=D("105.00"), date=dt.date(2026, 2, 1))
        )
    sup = svc.ageing(user, did, "suppliers", dt.date(2026, 3, 31))
    assert sup.total == D("742.00")
    assert {i.entry_id: i.open for i in sup.items} == {ids[1]: D("500.00"), ids[2]: D("242.00")}
    with pytest.raises(Refused):
        svc.ageing(user, did, "everyone")


def test_dashboard_and_measures(runtime: Runtime) -> None:
    svc, did, _, user = _world(runtime)
    dash = svc.dashboard(user, did, 2026, today=dt.date(2026, 3, 31))
    march = dash.result.revenue[2]
    assert (march.current, march.previous) == (D("2300.00"), D("1000.00"))
    assert dash.result.costs[0].current == D("700.00")
    assert dash.result.result[0].current == D("-700.00")
    assert dash.vat is not None
    assert (dash.vat.vat_period, dash.vat.to_pay) == ("2026-03", D("483.00"))
    assert dash.receivables.total == D("2783.00")
    assert dash.payables.total == D("847.00")
    assert [t.counterparty for t in dash.top_customers] == ["Klant B", "Klant A"]
    series = svc.measure(user, did, "60-61", "2026-01", "2026-06", "quarter")
    assert [(p.bucket, p.value) for p in series.points] == [
        ("2026-Q1", D("700.00")),
        ("2026-Q2", Z),
    ]
    with pytest.raises(Refused, match="account range"):
        svc.measure(user, did, "sixty", "2026-01", "2026-06")


def test_cached_reports_follow_new_bookings_and_payments(runtime: Runtime) -> None:
    svc, did, ids, user = _world(runtime)
    today = dt.date(2026, 3, 31)
    assert svc.dashboard(user, did, 2026, today=today).payables.total == D("847.00")
    assert svc.dashboard(user, did, 2026, today=today).payables.total == D("847.00")  # cached
    with runtime.tx() as s:
        s.add(Payment(dossier_id=did, entry_id=ids[2], amount=D("42.00"), date=today))
    assert svc.dashboard(user, did, 2026, today=today).payables.total == D("805.00")
    before = svc.trial_balance(user, did).debit
    seed_books(runtime, did)  # six more booked entries
    assert svc.trial_balance(user, did).debit == before * 2
    assert svc.measure(user, did, "60-61", "2026-01", "2026-01").total == D("1400.00")


def test_own_charts_are_stored_per_user(runtime: Runtime) -> None:
    svc, did, _, user = _world(runtime)
    cid = svc.add_own_chart(
        user, did, " Kosten  Q ", "60-61", "2026-01", "2026-06", "quarter", "line"
    )
    (chart,) = svc.own_charts(user, did)
    assert (chart.id, chart.name, chart.chart_type) == (cid, "Kosten Q", "line")
    assert chart.series.total == D("700.00")
    other = svc.add_user(SYSTEM, "boekhouder", "probe-password", "accountant")
    svc.add_member(SYSTEM, did, "boekhouder", "accountant")
    assert svc.own_charts(other, did) == []
    with pytest.raises(ServiceError, match="does not exist"):
        svc.delete_own_chart(other, did, cid)
    for bad in (
        ("", "60", "2026-01", "2026-02", "month", "bar"),
        ("x", "6a", "2026-01", "2026-02", "month", "bar"),
        ("x", "60", "2026-01", "2026-02", "week", "bar"),
        ("x", "60", "2026-03", "2026-02", "month", "bar"),
        ("x", "60", "2026-01", "2026-02", "month", "pie3d"),
    ):
        with pytest.raises(Refused):
            svc.add_own_chart(user, did, *bad)
    svc.delete_own_chart(user, did, cid)
    assert svc.own_charts(user, did) == []


def test_exports_open_in_their_format(runtime: Runtime) -> None:
    svc, did, _, user = _world(runtime)
    csv = svc.books_export(user, did, "trial_balance", "csv").decode("utf-8-sig")
    assert "400000;Handelsdebiteuren;3993.00;1210.00;2783.00" in csv
    wb = load_workbook(io.BytesIO(svc.books_export(user, did, "ledger", "xlsx", account="400000")))
    ws = wb.active
    assert ws is not None
    assert ws.cell(row=ws.max_row, column=9).value == D("2783.00")
    for what, params in [
        ("journals", {}),
        ("vat_listing", {"vat_period": "2026-03"}),
        ("vat_returns", {}),
        ("history", {"kind": "suppliers"}),
        ("open_items", {"kind": "customers"}),
    ]:
        assert svc.books_export(user, did, what, "pdf", **params).startswith(b"%PDF")
    with pytest.raises(Refused):
        svc.books_export(user, did, "everything", "csv")


def test_firm_overview_per_dossier(runtime: Runtime) -> None:
    svc, did, _, _ = _world(runtime)
    empty = dossier(runtime, "Leeg BV", "BE0403170701", "leeg")
    rows = {r.dossier_id: r for r in svc.firm_overview(SYSTEM)}
    mine = rows[did]
    assert mine.waiting == 5  # the five stored documents were never processed
    assert mine.oldest_unbooked is not None
    assert mine.open_vat_periods == ("2025-03", "2026-01", "2026-03")
    assert mine.used_bytes > 0
    assert mine.last_upload is not None
    assert (rows[empty].waiting, rows[empty].open_vat_periods) == (0, ())


#: every new method, called on a dossier the caller does not belong to
FOREIGN: dict[str, Callable[[Service, UserView, int], Any]] = {
    "trial_balance": lambda s, u, d: s.trial_balance(u, d),
    "account_ledger": lambda s, u, d: s.account_ledger(u, d, "400000"),
    "journal_entry": lambda s, u, d: s.journal_entry(u, d, 1),
    "journals": lambda s, u, d: s.journals(u, d),
    "journal_codes": lambda s, u, d: s.journal_codes(u, d),
    "vat_periods": lambda s, u, d: s.vat_periods(u, d),
    "vat_listing": lambda s, u, d: s.vat_listing(u, d, "2026-03"),
    "vat_returns": lambda s, u, d: s.vat_returns(u, d),
    "counterparty_history": lambda s, u, d: s.counterparty_history(u, d, "customers"),
    "ageing": lambda s, u, d: s.ageing(u, d, "customers"),
    "measure": lambda s, u, d: s.measure(u, d, "60", "2026-01", "2026-03"),
    "dashboard": lambda s, u, d: s.dashboard(u, d),
    "own_charts": lambda s, u, d: s.own_charts(u, d),
    "add_own_chart": lambda s, u, d: s.add_own_chart(u, d, "x", "60", "2026-01", "2026-03"),
    "delete_own_chart": lambda s, u, d: s.delete_own_chart(u, d, 1),
    "books_export": lambda s, u, d: s.books_export(u, d, "trial_balance", "csv"),
}


def test_a_user_of_dossier_a_gets_access_denied_on_dossier_b(runtime: Runtime) -> None:
    svc, a, _, user = _world(runtime)
    b = dossier(runtime, "Ander BV", "BE0403170701", "ander")
    seed_books(runtime, b)
    from pipeline.service.books import BooksService

    public = {n for n in vars(BooksService) if not n.startswith("_")} - {"firm_overview"}
    assert public == set(FOREIGN)
    for name, call in FOREIGN.items():
        call(svc, user, a) if name != "delete_own_chart" else None  # allowed on A
        with pytest.raises(AccessDenied):
            call(svc, user, b)
    assert [r.dossier_id for r in svc.firm_overview(user)] == [a]
