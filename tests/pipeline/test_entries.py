"""Entries by hand in every journal, opening balances, bookyears, period locks and the
accountant's approval of client bookings (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from helpers import CORPUS, ECB_DKK, dossier, run_all

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, AccessDenied, Refused, Service
from pipeline.steps import NextStep
from storage.models import AuditEvent, Document, JournalEntry

D = Decimal
UBL = CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml"
MARCH_31 = dt.date(2026, 3, 31)


def _lines(*rows: tuple[str, str, str]) -> list[dict[str, str]]:
    return [{"account": a, "debit": d, "credit": c} for a, d, c in rows]


def _count(rt: Runtime) -> int:
    with rt.tx() as s:
        return s.query(JournalEntry).count()


def _actions(rt: Runtime, dossier_id: int) -> list[str]:
    with rt.tx() as s:
        rows = s.query(AuditEvent).filter_by(dossier_id=dossier_id).order_by(AuditEvent.id)
        return [e.action for e in rows]


def test_entries_by_hand_are_checked_numbered_per_journal_and_locked_periods_refuse(
    runtime: Runtime,
) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    assert svc.add_account(SYSTEM, did, "550000", "Bank") is True
    assert svc.add_account(SYSTEM, did, "550000", "Bank") is False
    depreciation = _lines(("613000", "100,00", ""), ("440000", "", "100.00"))
    first = svc.add_manual_entry(SYSTEM, did, "misc", MARCH_31, depreciation, description="x")
    second = svc.add_manual_entry(SYSTEM, did, "misc", MARCH_31, depreciation)
    bank = svc.add_manual_entry(
        SYSTEM, did, "bank", MARCH_31, _lines(("440000", "100", ""), ("550000", "", "100"))
    )
    assert (first.journal, first.bookyear, first.number, first.status) == (
        "misc",
        "2026",
        1,
        "booked",
    )
    assert (second.number, bank.number, bank.journal) == (2, 1, "bank")
    assert first.origin == "manual"
    assert first.balanced
    assert not first.by_client
    assert [ln.debit for ln in first.lines] == [D("100.00"), D("0.00")]
    before = _count(runtime)
    refusals = {
        "does not balance: debit 100.00, credit 99.99": _lines(
            ("613000", "100", ""), ("440000", "", "99.99")
        ),
        "line 2: account 999999 is not in the dossier's chart": _lines(
            ("613000", "1", ""), ("999999", "", "1")
        ),
        "unknown VAT grid '99'": [
            {"account": "613000", "debit": "1", "vat_grids": "99"},
            {"account": "440000", "credit": "1"},
        ],
        "line 1: debit is not an amount": _lines(("613000", "ten", ""), ("440000", "", "1")),
        "the entry has no lines": [],
    }
    for reason, lines in refusals.items():
        with pytest.raises(Refused, match=reason):
            svc.add_manual_entry(SYSTEM, did, "misc", MARCH_31, lines)
    with pytest.raises(Refused, match="unknown journal 'cash'"):
        svc.add_manual_entry(SYSTEM, did, "cash", MARCH_31, depreciation)
    # a client portal member may not make manual entries; a client bookkeeper may not in bank
    # without the payments right
    klant = svc.add_user(SYSTEM, "klant", "probe-password", "entrepreneur")
    svc.add_member(SYSTEM, did, "klant", "client_portal")
    with pytest.raises(AccessDenied, match="make manual entries"):
        svc.add_manual_entry(klant, did, "misc", MARCH_31, depreciation)
    # period locks: a locked period refuses new entries with the reason; reopening needs the right
    locks = svc.lock_periods(SYSTEM, did, "2026-03")
    assert locks.locked_through == "2026-03"
    with pytest.raises(Refused, match="period 2026-03 is locked"):
        svc.add_manual_entry(SYSTEM, did, "misc", MARCH_31, depreciation)
    with pytest.raises(Refused, match="locked already"):
        svc.lock_periods(SYSTEM, did, "2026-02")
    with pytest.raises(AccessDenied, match="close periods"):
        svc.unlock_period(klant, did, "2026-03")
    assert _count(runtime) == before
    april = svc.add_manual_entry(SYSTEM, did, "misc", dt.date(2026, 4, 1), depreciation)
    assert april.number == 3  # gapless: the refusals took no number
    assert svc.unlock_period(SYSTEM, did, "2026-03").locked_through == "2026-02"
    assert svc.add_manual_entry(SYSTEM, did, "misc", MARCH_31, depreciation).number == 4
    with pytest.raises(Refused, match="is not locked"):
        svc.unlock_period(SYSTEM, did, "2026-03")
    actions = _actions(runtime, did)
    assert actions.count("manual_entry") == 5
    assert {"periods_locked", "period_unlocked", "account_added"} <= set(actions)


def test_amounts_typed_with_thousands_separators_are_read_as_on_the_review_page(
    runtime: Runtime,
) -> None:
    # "1,234.50" was read as 1.2345 ("more than two decimals") while the review page read
    # it as 1234.50: one parser for numbers people type
    svc = Service(runtime)
    did = dossier(runtime)
    entry = svc.add_manual_entry(
        SYSTEM,
        did,
        "misc",
        MARCH_31,
        _lines(("613000", "1,234.50", ""), ("440000", "", "1.234,50")),
    )
    assert [(ln.debit, ln.credit) for ln in entry.lines] == [
        (D("1234.50"), D("0.00")),
        (D("0.00"), D("1234.50")),
    ]


def test_opening_balances_import_all_or_nothing_and_the_next_bookyear_carries_them(
    runtime: Runtime,
) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    svc.add_account(SYSTEM, did, "550000", "Bank")
    svc.add_account(SYSTEM, did, "100000", "Kapitaal")
    bad = b"account;debit;credit\n550000;1000;\n604000;5;\n100000;;1000\n"
    with pytest.raises(Refused, match="nothing was saved: line 3: account 604000 is a result"):
        svc.import_opening(SYSTEM, did, "2026", bad)
    assert _count(runtime) == 0
    good = b"account;debit;credit\n550000;1000,00;\n100000;;1000,00\n"
    opening = svc.import_opening(SYSTEM, did, "2026", good)
    assert (opening.origin, opening.journal, opening.number, opening.date) == (
        "opening",
        "misc",
        1,
        dt.date(2026, 1, 1),
    )
    with pytest.raises(Refused, match="has opening balances already"):
        svc.import_opening(SYSTEM, did, "2026", good)
    again = svc.import_opening(SYSTEM, did, "2026", good, replace=True)
    assert again.number == 1
    assert _count(runtime) == 1
    # a cost of 200 paid from the bank: a loss of 200 for 2026
    svc.add_manual_entry(
        SYSTEM, did, "bank", MARCH_31, _lines(("613000", "200", ""), ("550000", "", "200"))
    )
    year = svc.create_bookyear(SYSTEM, did)
    assert (year.name, year.first_period, year.last_period, year.has_opening) == (
        "2027",
        "2027-01",
        "2027-12",
        True,
    )
    carried = [e for e in svc.entries(SYSTEM, did, journal="misc") if e.bookyear == "2027"]
    assert len(carried) == 1
    assert carried[0].origin == "opening"
    assert carried[0].number == 1
    assert {(ln.account, ln.debit, ln.credit) for ln in carried[0].lines} == {
        ("100000", D("0.00"), D("1000.00")),
        ("141000", D("200.00"), D("0.00")),
        ("550000", D("800.00"), D("0.00")),
    }
    assert [y.name for y in svc.bookyears(SYSTEM, did)] == ["2026", "2027"]
    assert "bookyear_created" in _actions(runtime, did)
    assert "opening_imported" in _actions(runtime, did)


def test_a_client_booking_waits_for_the_accountant_who_approves_or_sends_it_back(
    runtime: Runtime,
) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    svc.import_rates(SYSTEM, ECB_DKK)  # the DKK invoice is proposed in euro at the ECB rate
    row = svc.ingest(SYSTEM, did, UBL.read_bytes(), UBL.name)
    run_all(runtime, [NextStep("extract", row.id)])
    client = svc.add_user(SYSTEM, "ondernemer", "probe-password", "entrepreneur")
    svc.add_member(SYSTEM, did, "ondernemer", "client_bookkeeper")
    accountant = svc.add_user(SYSTEM, "boekhouder", "probe-password", "accountant")
    svc.add_member(SYSTEM, did, "boekhouder", "accountant")
    booked = svc.confirm(client, row.id)
    assert booked.by_client
    assert booked.approval == "waiting"
    assert svc.waiting_approval(accountant, did) == {did: 1}
    assert [e.id for e in svc.client_bookings(accountant, did)] == [booked.id]
    with pytest.raises(AccessDenied, match="only the accountant"):
        svc.approve_booking(client, booked.id)
    with pytest.raises(Refused, match="comment is required"):
        svc.return_booking(accountant, booked.id, "  ")
    back = svc.return_booking(accountant, booked.id, "613000 is wrong: this is rent (610000)")
    assert back.approval == "returned"
    assert back.status == "proposed"
    with runtime.tx() as s:
        doc = s.get(Document, row.id)
        assert doc is not None
        assert doc.state == "proposed"
    detail = svc.document(client, row.id)
    assert detail.entry is not None
    assert detail.entry.approval_comment == "613000 is wrong: this is rent (610000)"
    assert svc.waiting_approval(accountant, did) == {}
    rebooked = svc.confirm(client, row.id)
    assert rebooked.approval == "waiting"
    assert rebooked.number == booked.number
    approved = svc.approve_booking(accountant, booked.id)
    assert approved.approval == "approved"
    assert approved.by_client
    assert svc.waiting_approval(accountant, did) == {}
    with pytest.raises(Refused, match="not waiting"):
        svc.approve_booking(accountant, booked.id)
    actions = _actions(runtime, did)
    assert "client_booking_returned" in actions
    assert "client_booking_approved" in actions


def test_the_bank_journal_is_named_financial_bank_as_coda_books_it_too(runtime: Runtime) -> None:
    did = dossier(runtime)
    journals = dict(Service(runtime).journal_list(SYSTEM, did))
    assert journals["bank"] == "Financial (bank)"  # not "by hand": CODA imports book there
