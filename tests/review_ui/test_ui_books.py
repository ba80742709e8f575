"""Books, Dashboard and Overview pages through AppTest on the seeded SQLite world."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from books_world import seed_books
from streamlit.testing.v1 import AppTest
from ui_world import APP, World

from pipeline.service import UserView


def app(user: UserView, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user"] = user
    at.run()
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table(at: AppTest, column: str) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def texts(at: AppTest, kind: str) -> list[str]:
    return [re.sub(r"\\(.)", r"\1", str(e.value)) for e in getattr(at, kind)]


@pytest.fixture
def books(world: World) -> World:
    seed_books(world.runtime, world.seed.dossier_a)
    return world


def test_books_ledger_drills_down_to_the_entry_and_its_document(books: World) -> None:
    at = app(books.seed.erik, "books")
    at.selectbox(key="bk_account").select("400000").run()
    ledger = table(at, "Balance")
    assert list(ledger["Balance"]) == pytest.approx([1210.0, 3630.0, 3993.0, 2783.0])
    assert ledger["Counterparty"][1] == "Klant B"
    assert ledger["Document"][1].startswith("review?doc=")
    assert any("closing 2 783.00" in c for c in texts(at, "caption"))
    at.selectbox(key="bk_entry").select_index(1).run()
    doc = ledger["Document"][1].split("=")[1]
    assert [p.proto.label for p in at.get("page_link")] == [f"Open document #{doc}"]
    lines = table(at, "Grids")
    assert list(lines["Account"]) == ["400000", "700000", "451000"]
    assert [b.key for b in at.get("download_button")] == [
        "bk_dl_ledger_csv",
        "bk_dl_ledger_xlsx",
        "bk_dl_ledger_pdf",
    ]


def test_books_trial_balance_journals_vat_and_parties(books: World) -> None:
    at = app(books.seed.erik, "books")
    at.button_group(key="bk_list").set_value("trial_balance").run()
    tb = table(at, "Name").set_index("Account")
    assert tb.loc["700000", "Balance"] == pytest.approx(-3000.0)
    at.button_group(key="bk_list").set_value("journals").run()
    assert "VKP" in set(table(at, "Grids")["Journal"])
    at.button_group(key="bk_list").set_value("vat").run()
    assert at.selectbox(key="bk_vat_period").value == "2026-03"
    assert any("483.00" in str(m.value) for m in at.metric)
    at.button_group(key="bk_list").set_value("parties").run()
    at.radio(key="bk_kind").set_value("suppliers").run()
    assert set(table(at, "Days overdue")["Counterparty"]) == {"Lev X", "Lev Y"}
    assert not at.exception


def test_dashboard_shows_reports_and_keeps_an_own_chart(books: World) -> None:
    at = app(books.seed.erik, "dashboard")
    at.selectbox(key="db_year").set_value(2026).run()
    assert not at.exception
    assert any("VAT 2026-03 to pay" in str(m.label) for m in at.metric)
    assert "No own charts yet: build one below." in texts(at, "caption")
    at.text_input(key="db_new_name").input("Kosten")
    at.text_input(key="db_new_measure").input("60-61")
    at.text_input(key="db_new_from").input("2026-01")
    at.text_input(key="db_new_to").input("2026-06")
    at.selectbox(key="db_new_gran").set_value("quarter")
    at.button[[b.label for b in at.button].index("Add chart")].click().run()
    assert not at.exception
    assert "Chart Kosten added." in texts(at, "success")
    # a new session (a reload) still shows it: stored per user
    again = app(books.seed.erik, "dashboard")
    assert any("accounts 60-61" in c and "total 700.00" in c for c in texts(again, "caption"))
    # another user of the dossier does not see it
    other = app(books.seed.anna, "dashboard")
    assert not any("accounts 60-61" in c for c in texts(other, "caption"))


def test_dashboard_refuses_a_bad_measure_where_the_user_looks(books: World) -> None:
    at = app(books.seed.erik, "dashboard")
    at.text_input(key="db_new_name").input("X")
    at.text_input(key="db_new_measure").input("=cmd|calc")
    at.button[[b.label for b in at.button].index("Add chart")].click().run()
    assert any("Add chart refused" in e and "account range" in e for e in texts(at, "error"))


def test_overview_lists_the_users_dossiers_only(books: World) -> None:
    anna = table(app(books.seed.anna, "overview"), "Open VAT periods")
    assert set(anna["Dossier"]) == {"Bakkerij Janssens", "Garage Peeters"}
    erik = table(app(books.seed.erik, "overview"), "Open VAT periods")
    assert list(erik["Dossier"]) == ["Bakkerij Janssens"]
    assert erik["Open VAT periods"][0] == "2025-03, 2026-01, 2026-03"
