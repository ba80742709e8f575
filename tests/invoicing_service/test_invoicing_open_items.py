"""The open items a CODA import matches against, read in bulk (plain columns, sums in the
database) on SQLite and PostgreSQL: the same items and amounts as the per-row reading."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from sqlalchemy import select
from test_invoicing_service import setup, spec

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM
from storage import invoicing as store
from storage.models import JournalEntry, JournalLine, Payment

DAY = dt.date(2026, 3, 2)


def _entry(
    did: int, status: str, ref: str | None, lines: list[tuple[str, str, str]]
) -> JournalEntry:
    entry = JournalEntry(
        dossier_id=did, journal="purchase", bookyear="2026", period="2026-03", date=DAY,
        status=status, payment_reference=ref,
    )  # fmt: skip
    for seq, (account, debit, credit) in enumerate(lines, 1):
        entry.lines.append(JournalLine(seq=seq, account=account, debit=D(debit), credit=D(credit)))
    return entry


def test_open_amounts_in_bulk_equal_the_row_by_row_reading(runtime: Runtime) -> None:
    svc, did, cid = setup(runtime)
    paid_part = svc.issue(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid)).id)
    untouched = svc.issue(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid, ("1", "10", "21"))).id)
    paid_all = svc.issue(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid, ("2", "5", "6"))).id)
    svc.create_draft(SYSTEM, did, spec(cid))  # a draft is no open item
    svc.mark_paid(SYSTEM, paid_part.id, "42.00")
    svc.mark_paid(SYSTEM, paid_all.id)
    with runtime.tx() as s:
        three = [("600000", "100", "0"), ("411000", "21", "0"), ("440000", "0", "121")]
        owed = _entry(did, "booked", "+++090/9337/55493+++", three)
        two_suppliers = [("600000", "80", "0"), ("440000", "0", "50"), ("440100", "0", "30")]
        split = _entry(did, "booked", "REF-2", two_suppliers)
        settled = _entry(did, "booked", "REF-3", [("600000", "50", "0"), ("440000", "0", "50")])
        no_supplier = _entry(did, "booked", "REF-4", [("600000", "9", "0"), ("550000", "0", "9")])
        proposed = _entry(did, "proposed", "REF-5", [("600000", "7", "0"), ("440000", "0", "7")])
        no_ref = _entry(did, "booked", None, [("600000", "6", "0"), ("440000", "0", "6")])
        s.add_all([owed, split, settled, no_supplier, proposed, no_ref])
        s.flush()
        for entry_id, amount in ((owed.id, "21.00"), (settled.id, "50.00"), (split.id, "0.50")):
            s.add(Payment(dossier_id=did, entry_id=entry_id, amount=D(amount), date=DAY,
                          source="manual"))  # fmt: skip
        s.flush()
        sales = store.open_sales_amounts(s, did)
        purchases = store.open_purchase_amounts(s, did)
        # the row-by-row reading these replace
        entries = store.open_purchase_entries(s, did)
        paid = store.paid_on_entries(s, (e.id for e in entries))
        by_rows = []
        for e in entries:
            total = sum((D(ln.credit) - D(ln.debit) for ln in e.lines
                         if ln.account.startswith("440")), D(0))  # fmt: skip
            if total - paid.get(e.id, D(0)) > 0:
                by_rows.append((e.id, total - paid.get(e.id, D(0)), e.payment_reference))
        ids = {"owed": owed.id, "split": split.id}
        ogm = {
            i: store.get_invoice(s, i).structured_communication
            for i in (paid_part.id, untouched.id)
        }
    assert all(ogm.values())
    assert sales == [  # newest first
        (untouched.id, untouched.total, ogm[untouched.id]),
        (paid_part.id, paid_part.total - D("42.00"), ogm[paid_part.id]),
    ]
    assert purchases == [
        (ids["owed"], D("100.00"), "+++090/9337/55493+++"),
        (ids["split"], D("79.50"), "REF-2"),
    ]
    assert purchases == by_rows


def test_bank_entries_in_bulk_get_their_ids_in_order(runtime: Runtime) -> None:
    """Numbered entries go in with one executemany and are found back by number; without
    numbers (or a number taken) the RETURNING path is used; the ids follow the input."""
    from storage import bank_journal

    _, did, _ = setup(runtime)

    def entry(number: int | None, reason: str) -> dict[str, object]:
        return {"dossier_id": did, "journal": "bank", "bookyear": "2026", "period": "2026-03",
                "date": DAY, "status": "booked", "number": number, "reason": reason}  # fmt: skip

    def line(amount: str) -> list[dict[str, object]]:
        return [
            {"seq": 1, "account": "550000", "debit": D(amount), "credit": D("0")},
            {"seq": 2, "account": "400000", "debit": D("0"), "credit": D(amount)},
        ]

    with runtime.tx() as s:
        numbered = bank_journal.insert_entries(
            s, [entry(3, "c"), entry(1, "a"), entry(2, "b")], [line("3"), line("1"), line("2")]
        )
        again = bank_journal.insert_entries(s, [entry(2, "taken")], [line("9")])  # RETURNING
        plain = bank_journal.insert_entries(s, [entry(None, "x"), entry(None, "y")],
                                            [line("7"), line("8")])  # fmt: skip
        got = {
            e.id: (e.number, e.reason, sorted(str(ln.debit) for ln in e.lines))
            for e in s.scalars(select(JournalEntry).where(JournalEntry.dossier_id == did))
        }
    assert [got[i][:2] for i in numbered] == [(3, "c"), (1, "a"), (2, "b")]
    assert [got[i][2] for i in numbered] == [["0.00", "3.00"], ["0.00", "1.00"], ["0.00", "2.00"]]
    assert [got[i][1] for i in again + plain] == ["taken", "x", "y"]
