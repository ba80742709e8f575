"""CODA feeds the bank journal (issue 14): each matched movement booked 550000 against the
customer or supplier and linked to what it settles; unmatched ones booked by hand with the
checks of every entry; the same statement again books nothing twice; locked periods
refuse with the reason.  SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import func, select
from test_invoicing_service import setup, spec

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, Refused, Service
from storage import repo
from storage.models import BankMovement, JournalEntry, Payment

sys.path.insert(0, str(Path(__file__).parents[1] / "invoicing"))
from invoicing_coda_builder import coda_statement

DAY = dt.date(2026, 12, 4)


def _bank(svc: Service, did: int) -> list[tuple[int | None, list[tuple[str, D, D]]]]:
    return [
        (e.number, [(ln.account, ln.debit, ln.credit) for ln in e.lines])
        for e in svc.entries(SYSTEM, did, journal="bank")
    ]


def _count(rt: Runtime, model: type, **where: object) -> int:
    with rt.tx() as s:
        stmt = select(func.count()).select_from(model)
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        return int(s.scalar(stmt) or 0)


def test_matched_movements_are_booked_once_and_the_rest_by_hand(runtime: Runtime) -> None:
    svc, did, cid = setup(runtime)
    inv = svc.issue(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid)).id)  # 242.00
    data = coda_statement(
        [
            (D("242.00"), inv.structured_communication, ""),
            (D("-15.40"), None, "bank costs november"),
            (D("5.00"), None, "unknown payer"),
        ],
        day=DAY,
    )
    report = svc.import_coda(SYSTEM, did, data, filename="nov.cod")
    assert (report.movements, report.matched, report.booked) == (3, 1, 1)
    assert _bank(svc, did) == [
        (1, [("550000", D("242.00"), D("0")), ("400000", D("0"), D("242.00"))])
    ]
    (entry,) = svc.entries(SYSTEM, did, journal="bank")
    assert entry.date == DAY
    assert entry.origin == "coda"
    with runtime.tx() as s:  # the movement knows its entry, its payment the invoice
        mv = s.scalar(select(BankMovement).where(BankMovement.state == "matched"))
        assert mv is not None
        assert mv.entry_id == entry.id
        pay = s.scalar(select(Payment).where(Payment.movement_id == mv.id))
        assert pay is not None
        assert pay.invoice_id == inv.id
        row = s.get(JournalEntry, entry.id)
        assert row is not None
        assert row.document_number == inv.number
        assert any(a.number == "550000" for a in repo.list_accounts(s, did))  # joined the chart

    # the same statement in another file (a blank line more): nothing paid or booked twice
    again = svc.import_coda(SYSTEM, did, data + b"\n", filename="nov-again.cod")
    assert (again.movements, again.matched, again.booked, again.already_imported) == (0, 0, 0, 3)
    assert len(_bank(svc, did)) == 1
    assert svc.invoice(SYSTEM, inv.id).row.paid_amount == D("242.00")
    assert _count(runtime, BankMovement) == 3
    # a file carrying one new statement twice stores and books its movements once
    twice = coda_statement([(D("-2.50"), None, "card fee")], day=DAY, iban="BE68539007547034")
    report = svc.import_coda(SYSTEM, did, twice + twice, filename="twice.cod")
    assert (report.movements, report.already_imported) == (1, 1)
    assert _count(runtime, BankMovement) == 4
    svc.match_movement(SYSTEM, report.unmatched[0].id, ignore=True)

    # the unmatched ones, booked by hand against an account: the checks of every entry
    left = {m.amount: m for m in svc.unmatched_movements(SYSTEM, did)}
    assert set(left) == {D("-15.40"), D("5.00")}
    costs = left[D("-15.40")]
    with pytest.raises(Refused, match="account 999999 is not in the dossier's chart"):
        svc.book_movement(SYSTEM, costs.id, "999999")
    with pytest.raises(Refused, match="another account than the bank"):
        svc.book_movement(SYSTEM, costs.id, "550000")
    with pytest.raises(Refused, match="not an account number"):
        svc.book_movement(SYSTEM, costs.id, "")
    assert len(_bank(svc, did)) == 1  # nothing saved
    booked = svc.book_movement(SYSTEM, costs.id, "657000 Bankkosten", description="fees")
    assert booked.number == 2
    assert [(ln.account, ln.debit, ln.credit) for ln in booked.lines] == [
        ("657000", D("15.40"), D("0")),
        ("550000", D("0"), D("15.40")),
    ]
    with pytest.raises(Refused, match="booked already"):
        svc.book_movement(SYSTEM, costs.id, "657000")
    assert {m.amount for m in svc.unmatched_movements(SYSTEM, did)} == {D("5.00")}

    # a locked period refuses with the reason: by hand, and a statement of that month
    svc.lock_periods(SYSTEM, did, "2026-12")
    with pytest.raises(Refused, match="2026-12 is locked"):
        svc.book_movement(SYSTEM, left[D("5.00")].id, "740000")
    other = svc.issue(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid, ("1", "10", "21"))).id)
    with pytest.raises(Refused, match="match to one sales invoice"):
        svc.match_movement(SYSTEM, left[D("5.00")].id)
    with pytest.raises(Refused, match="2026-12 is locked"):
        svc.match_movement(SYSTEM, left[D("5.00")].id, invoice_id=other.id)
    assert svc.invoice(SYSTEM, other.id).row.paid_amount == D("0.00")  # nothing saved
    december = coda_statement([(D("12.10"), other.structured_communication, "")], day=DAY)
    with pytest.raises(Refused, match=r"nothing imported: line 3 \(2026-12-04\): .*locked"):
        svc.import_coda(SYSTEM, did, december)
    assert _count(runtime, BankMovement) == 4  # nothing of the refused file
    svc.unlock_period(SYSTEM, did, "2026-12")
    matched = svc.match_movement(SYSTEM, left[D("5.00")].id, invoice_id=other.id)
    assert matched.entry_id is not None
    assert _bank(svc, did)[-1] == (
        3,
        [("550000", D("5.00"), D("0")), ("400000", D("0"), D("5.00"))],
    )


def test_a_supplier_payment_is_booked_against_the_purchase_payable(runtime: Runtime) -> None:
    svc, did, _ = setup(runtime)
    ogm = "123456789002"
    with runtime.tx() as s:
        supplier = repo.upsert_supplier(
            s, did, vat="BE0428759497", iban=None, name="Lev Z", country="BE"
        )
        purchase = repo.replace_entry(
            s,
            dossier_id=did,
            document_id=None,
            fields={
                "supplier_id": supplier.id if supplier else None,
                "journal": "purchase",
                "bookyear": "2026",
                "period": "2026-11",
                "vat_period": "2026-Q4",
                "date": dt.date(2026, 11, 20),
                "status": "booked",
                "number": 1,
                "payment_reference": ogm,
                "document_number": "LZ-77",
            },
            lines=[
                {"account": "604000", "debit": D("100.00"), "credit": D("0")},
                {"account": "411000", "debit": D("21.00"), "credit": D("0")},
                {"account": "440000", "debit": D("0"), "credit": D("121.00")},
            ],
        )
        pid = purchase.id
    report = svc.import_coda(SYSTEM, did, coda_statement([(D("-121.00"), ogm, "")], day=DAY))
    assert (report.matched, report.booked) == (1, 1)
    (entry,) = svc.entries(SYSTEM, did, journal="bank")
    assert [(ln.account, ln.debit, ln.credit) for ln in entry.lines] == [
        ("440000", D("121.00"), D("0")),
        ("550000", D("0"), D("121.00")),
    ]
    with runtime.tx() as s:
        row = s.get(JournalEntry, entry.id)
        assert row is not None
        assert (row.document_number, row.supplier_id) == (
            "LZ-77",
            supplier.id if supplier else None,
        )
        assert s.scalar(select(Payment.entry_id).where(Payment.amount == D("121.00"))) == pid
