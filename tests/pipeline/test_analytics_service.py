"""Analytical accounting through the service, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from books_world import seed_books
from helpers import dossier
from openpyxl import load_workbook
from sqlalchemy import func, select

from pipeline import bookings
from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, AccessDenied, Refused, Service, ServiceError, UserView
from storage import repo
from storage.models import AnalyticSplit, JournalEntry, Supplier


def _world(runtime: Runtime) -> tuple[Service, int, list[int], UserView]:
    svc = Service(runtime)
    did = dossier(runtime)
    ids = seed_books(runtime, did)
    svc.add_dimension(SYSTEM, did, "cost centre", ["WINKEL:Shop", "ATELIER", "KANTOOR"])
    svc.add_dimension(SYSTEM, did, "project", ["P1", "P2"])
    user = svc.add_user(SYSTEM, "klant", "probe-password", "entrepreneur")
    svc.add_member(SYSTEM, did, "klant", "client_portal")
    return svc, did, ids, user


def _splits(runtime: Runtime) -> int:
    with runtime.tx() as s:
        return int(s.scalar(select(func.count()).select_from(AnalyticSplit)) or 0)


def test_dimensions_codes_and_deactivation(runtime: Runtime) -> None:
    svc, did, _, user = _world(runtime)
    dims = {d.name: d for d in svc.analytic_dimensions(user, did)}
    assert [c.code for c in dims["cost centre"].codes] == ["ATELIER", "KANTOOR", "WINKEL"]
    assert {c.code: c.label for c in dims["cost centre"].codes}["WINKEL"] == "Shop"
    svc.add_dimension(SYSTEM, did, "project", ["P3"])  # extends, keeps P1 and P2
    assert [c.code for c in svc.analytic_dimensions(user, did)[1].codes] == ["P1", "P2", "P3"]
    svc.deactivate_analytic(SYSTEM, did, "project", "P3")
    assert not next(c for c in svc.analytic_dimensions(user, did)[1].codes if c.code == "P3").active
    with pytest.raises(Refused, match="code '=cmd'"):
        svc.add_dimension(SYSTEM, did, "project", ["=cmd"])
    with pytest.raises(Refused, match="no dimension"):
        svc.deactivate_analytic(SYSTEM, did, "nope")
    # the client portal reads but does not set (setting needs manual_entries)
    with pytest.raises(AccessDenied, match="manual entries"):
        svc.add_dimension(user, did, "mine", ["X"])


def test_distribution_refusals_save_nothing(runtime: Runtime) -> None:
    svc, _, ids, user = _world(runtime)
    lev_x = ids[1]  # line 1: 604000, 500.00 debit
    cases = [
        ([("ATELIER", "60"), ("WINKEL", "30")], "add up to 90 %, not 100 %"),
        ([("ATELIER", "60"), ("NOPE", "40")], "unknown code 'NOPE'"),
        ([("ATELIER", "60"), ("P1", "40")], "unknown code"),  # two dimensions mixed
        ([("ATELIER", "0"), ("WINKEL", "100")], "above 0 %"),
    ]
    for shares, message in cases:
        with pytest.raises(Refused, match=message):
            svc.distribute(SYSTEM, lev_x, 1, shares)
    with pytest.raises(Refused, match="only cost \\(6\\) and revenue \\(7\\)"):
        svc.distribute(SYSTEM, lev_x, 2, [("ATELIER", "100")])  # 411000
    with pytest.raises(Refused, match="has no line 9"):
        svc.distribute(SYSTEM, lev_x, 9, [("ATELIER", "100")])
    with pytest.raises(AccessDenied):
        svc.distribute(user, lev_x, 1, [("ATELIER", "100")])
    with pytest.raises(ServiceError, match="does not exist"):
        svc.distribute(SYSTEM, 10**6, 1, [("ATELIER", "100")])
    assert _splits(runtime) == 0


def test_report_result_per_code_per_month_adds_up(runtime: Runtime) -> None:
    svc, did, ids, user = _world(runtime)
    third = "33.3333"
    parts = svc.distribute(
        SYSTEM, ids[1], 1, [("ATELIER", third), ("WINKEL", third), ("KANTOOR", "33.3334")]
    )
    assert [p.amount for p in parts] == [D("166.67"), D("166.66"), D("166.67")]
    svc.distribute(SYSTEM, ids[3], 2, [("WINKEL", "75"), ("KANTOOR", "25")])  # 2000 revenue
    report = svc.analytic_report(user, did, "cost centre", 2026)
    by = {(r.code, r.month): r for r in report.rows}
    assert sum(r.costs for r in report.rows if r.month == "2026-01") == D("700.00")
    assert by[("WINKEL", "2026-03")].revenue == D("1500.00")
    assert by[("KANTOOR", "2026-03")].revenue == D("500.00")
    assert by[("(unassigned)", "2026-01")].costs == D("200.00")  # Lev Y not distributed
    assert by[("(unassigned)", "2026-03")].revenue == D("300.00")
    # the 2025 sale is outside the year; the total is the 2026 result
    assert report.total == D("2000.00") + D("300.00") - D("500.00") - D("200.00")
    assert svc.analytic_report(user, did, "cost centre").total == report.total + D("1000.00")
    data = report.as_json()
    assert data["total"] == "1600.00"
    assert data["dimension"] == "cost centre"

    rows = list(
        csv.reader(
            io.StringIO(
                svc.analytic_report_csv(user, did, "cost centre", 2026).decode("utf-8-sig")
            ),
            delimiter=";",
        )
    )
    assert rows[0] == ["cost centre", "month", "revenue", "costs", "result"]
    assert rows[-1] == ["total", "", "", "", "1600.00"]
    wb = load_workbook(io.BytesIO(svc.analytic_report_xlsx(user, did, "cost centre", 2026)))
    ws = wb.active
    assert ws is not None
    values = list(ws.iter_rows(values_only=True))
    assert values[-1][0] == "total"
    assert D(str(values[-1][4])) == D("1600.00")

    with pytest.raises(Refused, match="no dimension 'nope'"):
        svc.analytic_report(user, did, "nope")
    with pytest.raises(Refused, match="four digits"):
        svc.analytic_report(user, did, "project", "20x6")


def test_defaults_learned_per_supplier_and_account_stored_on_confirmation(
    runtime: Runtime,
) -> None:
    svc, did, ids, user = _world(runtime)
    svc.distribute(SYSTEM, ids[1], 1, [("ATELIER", "40"), ("WINKEL", "60")])  # Lev X, booked
    with runtime.tx() as s:
        lev_x = s.scalar(select(Supplier.id).where(Supplier.name == "Lev X"))
        proposal = repo.replace_entry(
            s,
            dossier_id=did,
            document_id=None,
            fields={
                "supplier_id": lev_x,
                "journal": "AKP",
                "bookyear": "2026",
                "period": "2026-05",
                "vat_period": "2026-05",
                "date": dt.date(2026, 5, 4),
                "status": "proposed",
            },
            lines=[
                {"account": "604000", "debit": D("99.99"), "credit": D("0")},
                {"account": "440000", "debit": D("0"), "credit": D("99.99")},
            ],
        )
        pid = proposal.id
    shown = [d for d in svc.line_distributions(user, pid) if d.dimension == "cost centre"]
    assert len(shown) == 1
    assert shown[0].is_default
    assert [(p.code, p.amount) for p in shown[0].parts] == [
        ("ATELIER", D("40.00")),
        ("WINKEL", D("59.99")),
    ]
    assert _splits(runtime) == 2  # shown, not stored
    with runtime.tx() as s:  # the confirmation's learning step stores it
        entry = s.get(JournalEntry, pid)
        assert entry is not None
        entry.status = "booked"
        bookings.learn(s, entry, edited=False, invoice=None)
        bookings.learn(s, entry, edited=False, invoice=None)  # a replay changes nothing
    assert _splits(runtime) == 4
    stored = [d for d in svc.line_distributions(user, pid) if d.dimension == "cost centre"]
    assert not stored[0].is_default
    assert sum(p.amount for p in stored[0].parts) == D("99.99")
    report = svc.analytic_report(user, did, "cost centre", 2026)
    assert {(r.code, r.month): r.costs for r in report.rows}[("WINKEL", "2026-05")] == D("59.99")


def test_a_distribution_confirmed_with_the_booking_becomes_the_default(runtime: Runtime) -> None:
    svc, did, _, user = _world(runtime)
    with runtime.tx() as s:
        lev_y = s.scalar(select(Supplier.id).where(Supplier.name == "Lev Y"))

    def proposal(day: int) -> int:
        with runtime.tx() as s:
            return repo.replace_entry(
                s,
                dossier_id=did,
                document_id=None,
                fields={
                    "supplier_id": lev_y,
                    "journal": "AKP",
                    "bookyear": "2026",
                    "period": "2026-06",
                    "vat_period": "2026-06",
                    "date": dt.date(2026, 6, day),
                    "status": "proposed",
                },
                lines=[
                    {"account": "613000", "debit": D("10.00"), "credit": D("0")},
                    {"account": "440000", "debit": D("0"), "credit": D("10.00")},
                ],
            ).id

    first = proposal(1)
    assert all(not d.parts for d in svc.line_distributions(user, first))  # nothing learned yet
    svc.distribute(SYSTEM, first, 1, [("P1", "25"), ("P2", "75")])
    second = proposal(2)
    assert all(not d.parts for d in svc.line_distributions(user, second))  # not confirmed yet
    with runtime.tx() as s:
        entry = s.get(JournalEntry, first)
        assert entry is not None
        entry.status = "booked"
        bookings.learn(s, entry, edited=False, invoice=None)
    shown = [d for d in svc.line_distributions(user, second) if d.dimension == "project"]
    assert shown[0].is_default
    assert [(p.code, p.pct, p.amount) for p in shown[0].parts] == [
        ("P1", D("25"), D("2.50")),
        ("P2", D("75"), D("7.50")),
    ]
