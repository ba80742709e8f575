"""Manual entry, Periods and Client bookings pages and the Inbox's approval line (AppTest)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from streamlit.testing.v1 import AppTest
from ui_world import APP, World

from pipeline.service import SYSTEM, UserView


def app(user: UserView, page: str, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user"] = user
    at.query_params.update(query)
    at.run()
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest, kind: str) -> list[str]:
    return [re.sub(r"\\(.)", r"\1", str(e.value)) for e in getattr(at, kind)]


def _lines(at: AppTest, rows: dict[int, dict[str, Any]]) -> None:
    at.session_state[at.data_editor[0].key] = {
        "edited_rows": rows,
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()


def _button(at: AppTest, label: str) -> Any:
    return next(b for b in at.button if b.label == label)


BALANCED = {
    0: {"Account": "613000", "Debit": 50.0, "Description": "fees"},
    1: {"Account": "440000", "Credit": 50.0},
}


def test_a_manual_entry_is_booked_and_refusals_show_their_reason(world: World) -> None:
    seed = world.seed
    at = app(seed.anna, "manual_entry")
    at.date_input(key="me_date").set_value(dt.date(2026, 3, 31)).run()
    _lines(at, {0: {"Account": "613000", "Debit": 50.0}, 1: {"Account": "440000", "Credit": 40}})
    assert any("difference" in w for w in texts(at, "warning"))
    at.button(key="me_book").click().run()
    assert any("does not balance: debit 50.00, credit 40.00" in e for e in texts(at, "error"))
    assert world.service.entries(SYSTEM, seed.dossier_a, journal="misc") == []
    _lines(at, BALANCED)
    assert any("balanced" in s for s in texts(at, "success"))
    at.button(key="me_book").click().run()
    assert not at.exception
    booked = world.service.entries(SYSTEM, seed.dossier_a, journal="misc")
    assert [(e.number, e.origin) for e in booked] == [(1, "manual")]
    assert any("Booked misc 2026/1" in s for s in texts(at, "success"))
    # the entrepreneur (client portal) has no right to manual entries
    at = app(seed.erik, "manual_entry")
    _lines(at, BALANCED)
    at.button(key="me_book").click().run()
    assert any("make manual entries" in e for e in texts(at, "error")), texts(at, "error")


def test_locking_a_period_on_the_periods_page_refuses_entries_there(world: World) -> None:
    seed = world.seed
    at = app(seed.anna, "periods")
    at.text_input(key="pd_lock_month").input("2026-03")
    _button(at, "Lock periods").click().run()
    assert any("Locked through 2026-03" in s for s in texts(at, "success"))
    assert world.service.period_locks(SYSTEM, seed.dossier_a).locked_through == "2026-03"
    at = app(seed.anna, "manual_entry")
    at.date_input(key="me_date").set_value(dt.date(2026, 3, 31)).run()
    _lines(at, BALANCED)
    at.button(key="me_book").click().run()
    assert any("period 2026-03 is locked" in e for e in texts(at, "error")), texts(at, "error")
    at = app(seed.erik, "periods")
    at.text_input(key="pd_unlock_month").input("2026-03")
    _button(at, "Reopen").click().run()
    assert any("refused" in e for e in texts(at, "error"))
    assert world.service.period_locks(SYSTEM, seed.dossier_a).locked_through == "2026-03"


def test_a_client_booking_shows_on_the_inbox_and_the_accountant_approves_it(
    world: World,
) -> None:
    seed, svc = world.seed, world.service
    svc.set_rights(SYSTEM, seed.dossier_a, "erik", role="client_bookkeeper")
    erik = svc.add_user(SYSTEM, "erik2", "secret-pass", "entrepreneur")
    svc.add_member(SYSTEM, seed.dossier_a, "erik2", "client_bookkeeper")
    booked = svc.confirm(erik, seed.ubl, iban_checked=True)  # its IBAN is new
    assert booked.approval == "waiting"
    inbox = app(seed.anna, "inbox")
    assert any("1 client booking(s) wait for approval" in i for i in texts(inbox, "info"))
    at = app(seed.anna, "approvals")
    at.text_area(key="ap_comment").input("rent is 610000")
    at.button(key="ap_return").click().run()
    assert any("Sent back" in s for s in texts(at, "success"))
    assert any("rent is 610000" in i for i in texts(at, "info"))
    assert svc.document(SYSTEM, seed.ubl).row.state == "proposed"
    review = app(erik, "review", doc=str(seed.ubl))
    shown = texts(review, "warning")
    assert any("Sent back by the accountant: rent is 610000" in w for w in shown), shown
    entry = svc.confirm(erik, seed.ubl)
    review = app(seed.anna, "review", doc=str(seed.ubl))
    review.button(key=f"rv_ap_approve_{entry.id}").click().run()
    assert any("Approved" in s for s in texts(review, "success"))
    assert svc.waiting_approval(SYSTEM, seed.dossier_a) == {}
