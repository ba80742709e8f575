"""The entrepreneur's dashboard in a real headless Chromium on a phone-sized screen:
add an own chart, reload, and it is still there (stored per user)."""

from __future__ import annotations

from pathlib import Path

import pytest
from books_world import seed_books
from test_ui_browser import CHROMIUM_ARGS, ui_url
from ui_world import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["ui_url"]  # the fixture: a streamlit server on the test's database


def test_entrepreneur_adds_an_own_chart_on_a_phone_and_it_stays(
    world: World, ui_url: str, chromium_path: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    seed_books(world.runtime, world.seed.dossier_a)
    expect.set_options(timeout=30_000)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844})
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto(f"{ui_url}/dashboard")
            page.get_by_role("textbox", name="User name").fill("erik")
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
            expect(page.get_by_text("No own charts yet: build one below.")).to_be_visible()
            page.get_by_role("textbox", name="Name").fill("Kosten per kwartaal")
            page.get_by_role("textbox", name="Accounts").fill("60-61")
            page.get_by_role("button", name="Add chart").click()
            expect(page.get_by_text("Chart Kosten per kwartaal added.")).to_be_visible()
            expect(page.get_by_text("accounts 60-61", exact=False)).to_be_visible()

            page.reload()  # still logged in, the chart still there
            expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
            expect(page.get_by_text("Kosten per kwartaal", exact=True)).to_be_visible()
            expect(page.get_by_text("accounts 60-61", exact=False)).to_be_visible()
            charts = page.get_by_test_id("stVegaLiteChart")
            # result, ageing, top customers, suppliers, own: each draws in its own time
            expect(charts.nth(4)).to_be_visible()
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the page is {width} px wide on a 390 px screen"
            page.screenshot(path=str(tmp_path / "dashboard-phone.png"), full_page=True)
        finally:
            browser.close()
    assert world.service.own_charts(world.seed.erik, world.seed.dossier_a)[0].name == (
        "Kosten per kwartaal"
    )
    assert (tmp_path / "dashboard-phone.png").stat().st_size > 10_000
