"""Review in plain words for the client bookkeeper, the accountant's full page, and the
analytical distribution form on the Review page (issue 14; AppTest, seeded SQLite world)."""

from __future__ import annotations

import re
from decimal import Decimal as D
from typing import Any

from streamlit.testing.v1 import AppTest
from ui_world import APP, World

from pipeline.service import SYSTEM, UserView
from review_ui.common import JOINER

WHAT = "What did you buy?"


def app(user: UserView, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user"] = user
    at.query_params.update(query)
    at.run()
    at.switch_page("views/review.py").run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def texts(at: AppTest, kind: str) -> list[str]:
    return [re.sub(r"\\(.)", r"\1", str(e.value)).replace(JOINER, "") for e in getattr(at, kind)]


def labels(at: AppTest, kind: str) -> list[str]:
    return [str(w.label) for w in getattr(at, kind)]


def _by_label(at: AppTest, kind: str, label: str) -> Any:
    return next(w for w in getattr(at, kind) if w.label == label)


def test_the_accountant_keeps_the_full_page(world: World) -> None:
    at = app(world.seed.anna, doc=str(world.seed.ubl))
    assert len(at.data_editor) == 1  # the entry's accounts
    assert "Correct a field" in [e.label for e in at.expander]
    assert WHAT not in labels(at, "text_input")
    assert "Show all fields" not in labels(at, "toggle")
    assert "Confirm and next" in labels(at, "button")


def test_a_client_portal_member_reads_the_full_page_without_booking(world: World) -> None:
    at = app(world.seed.erik, doc=str(world.seed.ubl))
    assert WHAT not in labels(at, "text_input")
    assert "Confirm and next" not in labels(at, "button")
    assert any("Read only" in c for c in texts(at, "caption"))


def test_the_client_bookkeeper_books_in_plain_words(world: World) -> None:
    seed, svc = world.seed, world.service
    svc.set_rights(SYSTEM, seed.dossier_a, "erik", role="client_bookkeeper")
    at = app(seed.erik, doc=str(seed.ubl))
    # only the fields needed, in words: no account table, no account numbers
    assert len(at.data_editor) == 0
    assert "Correct a field" not in [e.label for e in at.expander]
    shown = labels(at, "text_input")
    for label in (WHAT, "Supplier", "Date", "Total (VAT included)", "VAT"):
        assert label in shown, shown
    assert _by_label(at, "text_input", WHAT).value == "Shoes"
    assert _by_label(at, "text_input", "Supplier").value == "My Supplier Company"
    cost = _by_label(at, "selectbox", "Cost type")
    assert cost.value == "619000"
    assert not any(o[:1].isdigit() for o in cost.options), cost.options[:5]
    assert any("VAT you can deduct: 84.00" in c for c in texts(at, "caption"))

    # the full editor is one click away, with the booking buttons
    at.toggle(key=f"rv_all_fields_{seed.ubl}").set_value(True).run()
    ok(at)
    assert len(at.data_editor) == 1
    assert "Confirm and next" in labels(at, "button")
    at.toggle(key=f"rv_all_fields_{seed.ubl}").set_value(False).run()
    ok(at)
    assert len(at.data_editor) == 0

    # a refused field: the reason shows, nothing is booked
    _by_label(at, "text_input", "Date").input("2018-13-45")
    _by_label(at, "button", "Book it").click().run()
    ok(at)
    errors = texts(at, "error")
    assert any(e.startswith("Date refused, not booked") for e in errors), errors
    assert svc.document(SYSTEM, seed.ubl).row.state == "proposed"

    for alert in svc.document(SYSTEM, seed.ubl).row.alerts:  # a new IBAN is confirmed first
        if alert.get("code") == "iban_unconfirmed":
            svc.confirm_iban(SYSTEM, seed.ubl, str(alert["iban"]))
    at = app(seed.erik, doc=str(seed.ubl))
    cost = _by_label(at, "selectbox", "Cost type")
    cost.select_index(cost.options.index("Huur"))
    _by_label(at, "text_input", WHAT).input("Shop rent")
    _by_label(at, "button", "Book it").click().run()
    ok(at)
    detail = svc.document(SYSTEM, seed.ubl)
    assert detail.row.state == "booked", (texts(at, "error"), texts(at, "success"))
    assert detail.entry is not None
    assert detail.entry.approval == "waiting"  # a client's booking: the accountant approves
    base = [ln for ln in detail.entry.lines if ln.kind == "base"]
    assert [(ln.account, ln.debit, ln.description) for ln in base] == [
        ("610000", D("400.00"), "Shop rent")
    ]
    assert detail.entry.balanced


def test_the_distribution_form_on_the_review_page(world: World) -> None:
    seed, svc = world.seed, world.service
    svc.add_dimension(SYSTEM, seed.dossier_a, "cost centre", ["WINKEL", "ATELIER"])
    entry = svc.document(SYSTEM, seed.ubl).entry
    assert entry is not None
    at = app(seed.anna, doc=str(seed.ubl))
    assert "Analytical distribution" in [e.label for e in at.expander]
    shares = at.text_input(key=f"rv_dist_shares_{entry.id}_1_cost centre")
    shares.input("WINKEL=60").run()
    at.button(key=f"rv_dist_save_{entry.id}").click().run()
    ok(at)
    errors = texts(at, "error")
    assert any("Distribution refused" in e and "60 %" in e for e in errors), errors
    assert not any(d.parts for d in svc.line_distributions(SYSTEM, entry.id))  # nothing saved
    at.text_input(key=f"rv_dist_shares_{entry.id}_1_cost centre").input("WINKEL=60 ATELIER=40")
    at.button(key=f"rv_dist_save_{entry.id}").click().run()
    ok(at)
    assert any("WINKEL 60% = 240.00" in s for s in texts(at, "success")), texts(at, "success")
    (line,) = svc.line_distributions(SYSTEM, entry.id)
    assert [(p.code, p.amount) for p in line.parts] == [
        ("WINKEL", D("240.00")),
        ("ATELIER", D("160.00")),
    ]
    # opened again: the stored distribution is prefilled
    at = app(seed.anna, doc=str(seed.ubl))
    assert (
        at.text_input(key=f"rv_dist_shares_{entry.id}_1_cost centre").value
        == "WINKEL=60 ATELIER=40"
    )
    # the client portal reads it but cannot set it
    at = app(seed.erik, doc=str(seed.ubl))
    assert any("needs the right to make manual entries" in c for c in texts(at, "caption"))
    assert f"rv_dist_save_{entry.id}" not in [b.key for b in at.button]
