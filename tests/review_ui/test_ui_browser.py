"""End to end in a real headless Chromium: log in, confirm a corpus document, find it booked.

Streamlit runs as a subprocess on a free loopback port against a copy of the
seeded database; Playwright drives Debian's chromium (no browser download).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ui_world import PASSWORD, SERVER, World

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-extensions",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"streamlit exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(
        f"streamlit not healthy in 60 s: {log.read_text(errors='replace')[-2000:]}"
    )


@pytest.fixture
def ui_url(world: World, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "BOEKBOX_DATABASE_URL": world.runtime.settings.database_url,
        "BOEKBOX_BLOB_STORE": world.runtime.settings.blob_store,
        "BOEKBOX_BROKER": "stub",
        "BOEKBOX_BROKER_URL": str(tmp_path / "queue.db"),
        "BOEKBOX_MAIL_DOMAIN": "dossiers.boekbox.test",
    }
    log = tmp_path / "streamlit.log"
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        SERVER,
        "--server.headless=true",
        "--server.address=127.0.0.1",
        f"--server.port={port}",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _wait_rendered(page: Any) -> None:
    """The whole Review page is drawn and its page image decoded."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stExpander").get_by_text("History")).to_be_visible()
    image = page.get_by_test_id("stImage").first.locator("img")
    expect(image).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )


def test_login_confirm_and_find_it_in_the_journal(
    world: World, ui_url: str, chromium_path: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    seed = world.seed
    expect.set_options(timeout=30_000)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            page.goto(f"{ui_url}/review?doc={seed.pdf}")
            page.get_by_role("textbox", name="User name").fill("anna")
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            # the deep link survives the login
            expect(page.get_by_text(f"#{seed.pdf} · Amazon Web Services, Inc.")).to_be_visible()
            _wait_rendered(page)
            page.screenshot(path=str(tmp_path / "review.png"), full_page=True)
            # keyboard first: Alt+Down / Alt+Up walk the queue, Ctrl+Enter confirms
            page.keyboard.press("Alt+ArrowDown")
            expect(page.get_by_text(f"#{seed.ubl} · My Supplier Company")).to_be_visible()
            page.keyboard.press("Alt+ArrowUp")
            expect(page.get_by_text(f"#{seed.pdf} · Amazon Web Services, Inc.")).to_be_visible()
            _wait_rendered(page)
            # a USD invoice: no rate known, so Ctrl+Enter is refused where the user looks
            page.keyboard.press("Control+Enter")
            expect(page.get_by_text("the invoice is in USD and no exchange rate")).to_be_visible()
            assert world.service.document(seed.anna, seed.pdf).row.state == "proposed"
            page.get_by_role("textbox", name="Exchange rate: 1 EUR = ? USD").fill("1,34")
            page.get_by_role("button", name="Book in euro at this rate").click()
            expect(page.get_by_text("1 EUR = 1.34 USD")).to_be_visible()
            _wait_rendered(page)
            page.keyboard.press("Control+Enter")
            expect(page.get_by_text("booked in the purchase journal as #1")).to_be_visible()
            assert world.service.document(seed.anna, seed.pdf).row.state == "booked"

            # the session survives a reload (the HttpOnly cookie names it)
            page.reload()
            page.get_by_test_id("stSidebarNav").get_by_role("link", name="Journals").click()
            expect(page.get_by_role("heading", name="Journals")).to_be_visible()
            expect(page.get_by_text("1 booked entry on this page")).to_be_visible()
            expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
            page.screenshot(path=str(tmp_path / "journals.png"), full_page=True)
            page.get_by_role("button", name=f"Open document #{seed.pdf}").click()
            expect(page.get_by_text(f"#{seed.pdf} · Amazon Web Services, Inc.")).to_be_visible()
            expect(page.get_by_text("Booked", exact=True)).to_be_visible()
            assert f"doc={seed.pdf}" in page.url
            _wait_rendered(page)
            page.screenshot(path=str(tmp_path / "review-booked.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "journals.png").stat().st_size > 10_000
    assert (tmp_path / "review-booked.png").stat().st_size > 10_000


def test_the_session_survives_reloads_and_new_tabs_until_logout(
    world: World, ui_url: str, chromium_path: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    seed = world.seed
    expect.set_options(timeout=30_000)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto(f"{ui_url}/journals")
            page.get_by_role("textbox", name="User name").fill("erik")
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_role("heading", name="Journals")).to_be_visible()
            expect(page).to_have_url(f"{ui_url}/journals")
            # the browser trades the log-in ticket for the cookie just after the page shows
            deadline = time.monotonic() + 30
            while not (found := [c for c in context.cookies() if c["name"] == "boekbox_session"]):
                assert time.monotonic() < deadline, "no session cookie 30 s after logging in"
                page.wait_for_timeout(100)
            cookie = found[0]
            assert cookie["httpOnly"]
            assert cookie["sameSite"] == "Lax"

            # the trade is a navigation (to /auth/session and back): the reload replaces it,
            # so the script below runs in a page that is no longer being navigated away
            page.reload()
            expect(page.get_by_role("heading", name="Journals")).to_be_visible()
            page.wait_for_load_state("load")
            assert page.evaluate("document.cookie").find("boekbox_session") == -1
            other = context.new_page()  # a new tab
            other.goto(f"{ui_url}/review?doc={seed.pdf}")
            expect(other.get_by_text(f"#{seed.pdf} · Amazon Web Services, Inc.")).to_be_visible()
            other.close()

            # disabling the account ends the live session at the next load
            world.service.set_user_active(seed.root, "erik", False)
            page.reload()
            expect(page.get_by_role("textbox", name="Password")).to_be_visible()
            world.service.set_user_active(seed.root, "erik", True)

            page.get_by_role("textbox", name="User name").fill("erik")
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_text("Logged in as")).to_be_visible()
            page.reload()
            expect(page.get_by_text("Logged in as")).to_be_visible()
            # on a phone the sidebar starts collapsed: open it, as a user would
            page.get_by_test_id("stExpandSidebarButton").click()
            page.get_by_role("button", name="Log out").click()
            expect(page.get_by_role("textbox", name="Password")).to_be_visible()
            page.reload()
            expect(page.get_by_role("textbox", name="Password")).to_be_visible()
        finally:
            browser.close()


def _ingest_now(world: World, data: bytes, name: str) -> int:
    from pipeline import steps
    from pipeline.service import SYSTEM

    row = world.service.ingest(SYSTEM, world.seed.dossier_a, data, name)
    for nxt in steps.extract_step(world.runtime, row.id):
        steps.propose_step(world.runtime, nxt.document_id)
    return row.id


def test_review_day_rate_keyboard_in_a_table_by_hand_and_reject_next(
    world: World, ui_url: str, chromium_path: str, tmp_path: Path
) -> None:
    """Issue 16: a DKK invoice gets a rate and is booked with Ctrl+Enter from inside the
    entry table; a document without proposal is booked by hand; reject opens the next one."""
    from playwright.sync_api import expect, sync_playwright
    from ui_world import CORPUS

    from pipeline.service import SYSTEM

    seed = world.seed
    ubl = (CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml").read_bytes()  # DKK 2019-01-25
    world.service.import_rates(SYSTEM, b"Date,DKK\n2026-01-05,7.46\n")  # none for 2019
    dkk = _ingest_now(world, ubl, "dkk.xml")
    other_day = ubl.replace(b"<cbc:IssueDate>2019-01-25<", b"<cbc:IssueDate>2019-01-24<")
    by_hand = _ingest_now(world, other_day.replace(b">12345<", b">B-777<", 1), "by-hand.xml")
    assert world.service.document(SYSTEM, dkk).entry is None
    assert world.service.document(SYSTEM, by_hand).entry is None
    expect.set_options(timeout=30_000)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            page.goto(f"{ui_url}/review?doc={dkk}")
            page.get_by_role("textbox", name="User name").fill("anna")
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_text("no exchange rate is known")).to_be_visible()
            # a foreign-currency invoice: give the rate, see it with its source
            page.get_by_role("textbox", name="Exchange rate: 1 EUR = ? DKK").fill("7,4657")
            page.get_by_role("button", name="Book in euro at this rate").click()
            expect(page.get_by_text("1 EUR = 7.4657 DKK")).to_be_visible()
            expect(page.get_by_text("DKK, booked in euro at", exact=False)).to_contain_text(
                "given by the accountant"
            )
            page.screenshot(path=str(tmp_path / "rate.png"), full_page=True)
            alerts = world.service.document(SYSTEM, dkk).row.alerts
            if any(a.get("code") == "iban_unconfirmed" for a in alerts):  # new: checked
                page.get_by_text(re.compile(r"^I checked IBAN \S+ with the supplier")).click()
                expect(
                    page.get_by_text(re.compile(r"will be confirmed for this supplier"))
                ).to_be_visible()  # the rerun that took the tick has drawn the page
            # the keyboard in a table: focus the entry table, Ctrl+Enter books
            page.get_by_test_id("stDataFrame").last.click(position={"x": 60, "y": 50})
            page.keyboard.press("Control+Enter")
            expect(
                page.get_by_text(f"Document #{dkk} booked in the purchase journal")
            ).to_be_visible()
            assert world.service.document(SYSTEM, dkk).row.state == "booked"
            # a document without proposal: Book by hand, then confirm
            page.goto(f"{ui_url}/review?doc={by_hand}")
            expect(page.get_by_text("No proposed entry", exact=False)).to_be_visible()
            page.get_by_role("button", name="Book by hand").click()
            expect(page.get_by_text("booked by hand", exact=False)).to_be_visible()
            # its amounts are in DKK: booked only once a rate is given (in euro at that rate)
            page.get_by_role("textbox", name="Exchange rate: 1 EUR = ? DKK").fill("7,4661")
            page.get_by_role("button", name="Book in euro at this rate").click()
            expect(page.get_by_text("1 EUR = 7.4661 DKK")).to_be_visible()
            # Alt+Down / Alt+Up from inside the table walk the queue
            page.get_by_test_id("stDataFrame").last.click(position={"x": 60, "y": 50})
            page.keyboard.press("Alt+ArrowDown")
            page.wait_for_url(lambda u: f"doc={by_hand}" not in u)
            # the next document is drawn (its "Previous" leads back) before the keys are used
            expect(page.get_by_role("heading", name=re.compile(rf"^#{by_hand}\b"))).to_have_count(0)
            expect(page.locator(".st-key-rv_prev button")).to_be_enabled()
            expect(page.get_by_test_id("stDataFrame").last).to_be_visible()
            page.get_by_test_id("stDataFrame").last.click(position={"x": 60, "y": 50})
            page.keyboard.press("Alt+ArrowUp")
            page.wait_for_url(lambda u: f"doc={by_hand}" in u)
            # while the page reruns, the old page's button may still be shown next to the new
            confirm = page.get_by_role("button", name="Confirm and next")
            expect(confirm).to_have_count(1)
            confirm.click()
            expect(page.get_by_text(f"Document #{by_hand} booked in the purchase")).to_be_visible()
            assert world.service.document(SYSTEM, by_hand).row.state == "booked"
            booked = world.service.document(SYSTEM, by_hand).entry
            assert booked is not None
            assert booked.exchange_rate == Decimal("7.4661")
            total = max(ln.credit for ln in booked.lines)  # DKK 782179.43 / 7.4661, per line
            assert abs(total - Decimal("104764.12")) <= Decimal("0.01")
            # reject and move on to the next document
            page.goto(f"{ui_url}/review?doc={seed.pdf}")
            page.get_by_role("textbox", name="Reason for rejecting").fill("private purchase")
            page.get_by_role("button", name="Reject").click()
            expect(page.get_by_text(f"Document #{seed.pdf} rejected.")).to_be_visible()
            page.wait_for_url(lambda u: f"doc={seed.pdf}" not in u)
            assert world.service.document(SYSTEM, seed.pdf).row.state == "rejected"
            page.screenshot(path=str(tmp_path / "after-reject.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "rate.png").stat().st_size > 10_000
