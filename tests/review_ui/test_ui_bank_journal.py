"""The Payments page books CODA in the bank journal (issue 14): the import says what it
booked, an unmatched line is booked against an account with the form, a refusal shows
its reason (AppTest, seeded SQLite world)."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal as D
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest
from test_ui_invoicing import Inv, app, inv, ok, pick_dossier, texts
from ui_world import World

from pipeline.service import SYSTEM

sys.path.insert(0, str(Path(__file__).parents[1] / "invoicing"))
from invoicing_coda_builder import coda_statement

__all__ = ["inv"]  # the fixture, shared with the invoicing page tests

BOOK = "Book in the bank journal"


def _submit(at: AppTest) -> None:
    next(b for b in at.button if b.label == BOOK).click().run()
    ok(at)


def _account(at: AppTest, number: str) -> None:
    """Pick the account (a form widget: takes effect with the submit, no run before)."""
    box = at.selectbox(key="pay_book_account")
    box.select_index(next(i for i, o in enumerate(box.options) if o.split(" ")[0] == number))


def _bank(world: World, dossier: int) -> list[Any]:
    return world.service.entries(SYSTEM, dossier, journal="bank")


def test_coda_books_matches_and_the_form_books_a_line_against_an_account(
    world: World, inv: Inv
) -> None:
    data = coda_statement(
        [(D("100.00"), inv.ogm, ""), (D("-15.40"), None, "bank costs")],
        day=dt.date(2026, 11, 30),
    )
    at = app(world.seed.anna, "payments")
    pick_dossier(at, "pay_dossier", inv.dossier)
    at.file_uploader(key="pay_coda").upload("nov.cod", data, "text/plain").run()
    at.button(key="pay_import").click().run()
    ok(at)
    shown = texts(at, "success")
    assert any("1 booked in the bank journal." in s for s in shown), shown
    assert len(_bank(world, inv.dossier)) == 1
    # the same statement in another file: nothing booked twice
    at.file_uploader(key="pay_coda").clear().run()
    at.file_uploader(key="pay_coda").upload("nov2.cod", data + b"\n", "text/plain").run()
    at.button(key="pay_import").click().run()
    ok(at)
    shown = texts(at, "success")
    assert any("0 booked in the bank journal; 2 imported before" in s for s in shown), shown
    assert len(_bank(world, inv.dossier)) == 1

    (line,) = world.service.unmatched_movements(SYSTEM, inv.dossier)
    assert at.selectbox(key="pay_book_movement").value == line.id  # the only line
    _submit(at)  # no account picked
    assert any("pick a bank line and an account" in e for e in texts(at, "error"))
    world.service.lock_periods(SYSTEM, inv.dossier, "2026-11")
    _account(at, "657000")
    _submit(at)
    errors = texts(at, "error")
    assert any("Booking refused" in e and "2026-11 is locked" in e for e in errors), errors
    assert len(_bank(world, inv.dossier)) == 1  # nothing saved
    world.service.unlock_period(SYSTEM, inv.dossier, "2026-11")
    _account(at, "657000")
    at.text_input(key="pay_book_text").input("fees november")
    _submit(at)
    assert any("booked as bank 2026/2 on 657000" in s for s in texts(at, "success"))
    entry = _bank(world, inv.dossier)[-1]
    assert [(ln.account, ln.debit, ln.credit) for ln in entry.lines] == [
        ("657000", D("15.40"), D("0")),
        ("550000", D("0"), D("15.40")),
    ]
    assert entry.lines[0].description == "fees november"
    assert world.service.unmatched_movements(SYSTEM, inv.dossier) == []
