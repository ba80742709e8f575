"""The Analytics page through AppTest on the seeded SQLite world."""

from __future__ import annotations

import re

import pandas as pd
from books_world import seed_books
from streamlit.testing.v1 import AppTest
from ui_world import APP, World

from pipeline.service import SYSTEM, UserView


def app(user: UserView) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user"] = user
    at.run()
    at.switch_page("views/analytics.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table(at: AppTest, column: str) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def texts(at: AppTest, kind: str) -> list[str]:
    return [re.sub(r"\\(.)", r"\1", str(e.value)) for e in getattr(at, kind)]


def test_dimensions_distribution_and_report_on_the_page(world: World) -> None:
    ids = seed_books(world.runtime, world.seed.dossier_a)
    at = app(world.seed.anna)
    at.selectbox(key="an_dossier").select(world.seed.dossier_a).run()
    assert any("No analytical dimensions yet" in t for t in texts(at, "info"))
    at.text_input(key="an_name").input("cost centre")
    at.text_input(key="an_codes").input("WINKEL:Shop ATELIER")
    at.button[0].click().run()
    assert not at.exception
    assert list(table(at, "Codes")["Codes"]) == ["ATELIER, WINKEL (Shop)"]

    at.number_input(key="an_entry").set_value(ids[1]).run()  # Lev X: 604000 500.00
    at.text_input(key="an_shares").input("WINKEL=60 ATELIER=30")
    at.button[1].click().run()
    assert any("the shares add up to 90 %, not 100 %" in t for t in texts(at, "error"))
    at.text_input(key="an_shares").input("WINKEL=60 ATELIER=40")
    at.button[1].click().run()
    assert not at.exception
    shown = table(at, "Distribution")
    assert list(shown["Distribution"]) == ["WINKEL 60% = 300.00, ATELIER 40% = 200.00"]

    at.number_input(key="an_year").set_value(2026).run()
    report = table(at, "Result")
    by = {(r.Code, r.Month): r.Result for r in report.itertuples()}
    assert by[("WINKEL", "2026-01")] == -300.0
    assert by[("(unassigned)", "2026-03")] == 2300.0
    assert [b.key for b in at.get("download_button")] == ["an_dl_csv", "an_dl_xlsx"]


def test_a_client_portal_member_reads_but_cannot_change(world: World) -> None:
    world.service.add_dimension(SYSTEM, world.seed.dossier_a, "project", ["P1"])
    at = app(world.seed.erik)  # entrepreneur of A: client portal rights
    assert list(table(at, "Codes")["Dimension"]) == ["project"]
    at.text_input(key="an_name").input("project")
    at.text_input(key="an_codes").input("P2")
    at.button[0].click().run()
    assert any("you do not have the right to make manual entries" in t for t in texts(at, "error"))
    assert [
        c.code for c in world.service.analytic_dimensions(SYSTEM, world.seed.dossier_a)[0].codes
    ] == ["P1"]
