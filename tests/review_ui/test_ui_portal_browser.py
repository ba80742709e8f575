"""The client portal in a real headless Chromium on a phone (390 x 844): the entrepreneur
logs in, uploads a photo of an invoice, sees it processed and finds it by a printed word."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from test_ui_browser import CHROMIUM_ARGS, ui_url  # noqa: F401 - the server fixture
from ui_world import PASSWORD, World

from pipeline import steps
from pipeline.service import SYSTEM
from pipeline.steps import NextStep

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
WORD = "Zonnebloem"


def invoice_photo() -> bytes:
    """A JPEG of a printed invoice, as a phone would send it."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(image)
    big, font = ImageFont.truetype(FONT, 56), ImageFont.truetype(FONT, 34)
    draw.text((100, 120), f"Brouwerij {WORD} BV", font=big, fill="black")
    lines = [
        "Kerkstraat 12, 9000 Gent",
        "BTW BE0403019261",
        "",
        "FACTUUR",
        "Factuurnummer: 2026-0042",
        "Factuurdatum: 03/11/2026",
        "",
        "Omschrijving                     Bedrag",
        "Vaten tafelbier                  100,00",
        "",
        "Totaal excl. BTW                 100,00",
        "BTW 21%                           21,00",
        "Totaal te betalen EUR            121,00",
    ]
    for n, line in enumerate(lines):
        draw.text((100, 260 + 60 * n), line, font=font, fill="black")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _process_new_uploads(world: World, known: set[int], timeout: float = 60) -> int:
    """Run the pipeline for the document the page uploaded (the broker is a stub here)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = world.service.documents(SYSTEM, dossier_id=world.seed.dossier_a, kind=None)
        new = [r for r in rows if r.id not in known]
        if new:
            todo = [NextStep("extract", r.id) for r in new if r.state == "received"]
            step = {"extract": steps.extract_step, "propose": steps.propose_step}
            while todo:
                nxt = todo.pop(0)
                todo.extend(step[nxt.step](world.runtime, nxt.document_id))
            return new[0].id
        time.sleep(0.3)
    raise AssertionError("the upload never reached the database")


def test_phone_upload_photo_see_it_processed_and_find_it(
    world: World,
    ui_url: str,  # noqa: F811
    chromium_path: str,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    photo = tmp_path / "IMG_0042.jpg"
    photo.write_bytes(invoice_photo())
    known = {r.id for r in world.service.documents(SYSTEM, kind=None, limit=1000)}
    expect.set_options(timeout=30_000)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844})
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto(f"{ui_url}/upload")
            page.get_by_role("textbox", name="User name").fill("erik")
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_role("heading", name="Upload")).to_be_visible()
            page.locator("input[type=file]").first.set_input_files(str(photo))
            page.get_by_role("button", name="Upload 1 file").click()
            expect(page.get_by_text("Your uploads")).to_be_visible()
            doc_id = _process_new_uploads(world, known)
            # the page follows the upload by itself until the outcome is there
            expect(page.get_by_text(f"#{doc_id} · To review")).to_be_visible()
            expect(page.get_by_text("1 of 1 processed")).to_be_visible()
            page.screenshot(path=str(tmp_path / "upload.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390

            page.goto(f"{ui_url}/documents")  # the cookie keeps the login
            expect(page.get_by_role("heading", name="Documents")).to_be_visible()
            expect(page.get_by_text("Each started GB above the free 1 GB")).to_be_visible()
            search = page.get_by_role("textbox", name="Search")
            search.fill(WORD.lower())
            search.press("Enter")
            expect(page.get_by_text("1 document", exact=True)).to_be_visible()
            expect(page.get_by_role("heading", name=f"#{doc_id} · IMG_0042.jpg")).to_be_visible()
            expect(page.get_by_role("button", name="Download the original")).to_be_visible()
            image = page.get_by_test_id("stImage").first.locator("img")
            expect(image).to_be_visible()
            page.screenshot(path=str(tmp_path / "documents.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
        finally:
            browser.close()
    assert world.service.document(SYSTEM, doc_id).row.state == "proposed"
