"""The Invoices page in a real headless Chromium on a phone (390 x 844): log in through the
form, make a draft, watch the totals follow the lines, issue it and see its number."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_ui_browser import CHROMIUM_ARGS, ui_url  # noqa: F401 - the server fixture
from test_ui_invoicing import CUSTOMER, SELLER
from ui_world import PASSWORD, World

from pipeline.service import SYSTEM

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_phone_user_makes_a_draft_sees_live_totals_and_issues_it(
    world: World,
    ui_url: str,  # noqa: F811
    chromium_path: str,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    svc, did = world.service, world.seed.dossier_a
    svc.set_invoicing_settings(SYSTEM, did, seller=SELLER, prefix="F")
    svc.create_customer(SYSTEM, did, CUSTOMER)
    expect.set_options(timeout=30_000)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.set_default_timeout(30_000)
            page.goto(f"{ui_url}/invoices")
            page.get_by_role("textbox", name="User name").fill("erik")
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_role("heading", name="Invoices")).to_be_visible()
            expect(page.get_by_role("heading", name="New draft")).to_be_visible()
            page.get_by_label("Line 1: description").fill("Advies")
            page.get_by_label("Line 1: description").press("Enter")
            quantity = page.get_by_label("Quantity")
            quantity.fill("2")
            quantity.press("Enter")
            price = page.get_by_label("Unit price (EUR, excl. VAT)")
            price.fill("100")
            price.press("Enter")
            expect(page.get_by_text("242.00 EUR")).to_be_visible()
            # a third unit: the totals follow without saving
            quantity.fill("3")
            quantity.press("Enter")
            expect(page.get_by_text("363.00 EUR")).to_be_visible()
            page.get_by_role("button", name="Save draft").click()
            expect(page.get_by_text("saved: total 363.00 EUR")).to_be_visible()
            page.get_by_role("button", name="Issue", exact=True).click()
            expect(page.get_by_text("Issued as F2026-0001")).to_be_visible()
            expect(page.get_by_role("heading", name="Invoice F2026-0001")).to_be_visible()
            expect(page.get_by_role("button", name="Download F2026-0001.pdf")).to_be_visible()
            expect(page.get_by_role("button", name="Save draft")).to_have_count(0)  # run done
            # the picker shows the invoice's new label, not the draft's
            picker = page.get_by_role("combobox", name="Invoice")
            expect(picker).to_have_value("F2026-0001 · Klant NV · 363.00")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, overflow  # nothing wider than the phone
            page.screenshot(path=str(tmp_path / "issued.png"), full_page=True)
        finally:
            browser.close()
    row = svc.invoices(SYSTEM, did, state="issued")[0]
    assert (row.number, str(row.total)) == ("F2026-0001", "363.00")
    assert (tmp_path / "issued.png").stat().st_size > 10_000
