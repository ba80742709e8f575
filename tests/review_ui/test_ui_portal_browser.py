"""The client portal in a real headless Chromium on a phone (390 x 844): the entrepreneur
logs in, takes a photo of an invoice with the camera widget (Chromium's fake camera plays
a video made from an invoice image) and uploads a photo file, sees both processed and
finds each by a word printed on it."""

from __future__ import annotations

import io
import re
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
WORD = "Zonnebloem"  # printed on the photo sent as a file
CAMERA_WORD = "Klaproos"  # printed on the invoice the camera films


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


def camera_frames(path: Path, frames: int = 3) -> Path:
    """A Y4M video (what Chromium's fake camera plays) of a printed invoice held up to
    a phone's camera: portrait 720 x 1280, a few lines in large type."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = 720, 1280
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    big, font = ImageFont.truetype(FONT, 84), ImageFont.truetype(FONT, 64)
    draw.text((40, 120), CAMERA_WORD.upper(), font=big, fill="black")
    lines = ["FACTUUR", "Nr 2026-0042", "03/11/2026", "Totaal 121,00"]
    for n, line in enumerate(lines):
        draw.text((40, 340 + 130 * n), line, font=font, fill="black")
    y, cb, cr = image.convert("YCbCr").split()
    half = (width // 2, height // 2)
    frame = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + frame)
    return path


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


def test_phone_camera_and_file_upload_processed_and_found(
    world: World,
    ui_url: str,  # noqa: F811
    chromium_path: str,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    photo = tmp_path / "IMG_0042.jpg"
    photo.write_bytes(invoice_photo())
    video = camera_frames(tmp_path / "invoice.y4m")
    known = {r.id for r in world.service.documents(SYSTEM, kind=None, limit=1000)}
    expect.set_options(timeout=30_000)
    camera = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS + camera
        )
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844})
            context.grant_permissions(["camera"], origin=ui_url)
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto(f"{ui_url}/upload")
            page.get_by_role("textbox", name="User name").fill("erik")
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_role("heading", name="Upload")).to_be_visible()

            # the camera widget: the fake camera films the invoice, its button takes it
            page.get_by_text("Take a photo with the camera").click()
            widget = page.get_by_test_id("stCameraInput")
            expect(widget.locator("video")).to_be_visible()
            page.wait_for_function(
                "() => { const v = document.querySelector('[data-testid=stCameraInput] video');"
                " return v !== null && v.readyState >= 2 && v.videoWidth > 0; }"
            )
            widget.get_by_role("button", name="Take Photo").click()
            expect(widget.locator("img")).to_be_visible()  # the picture replaces the video
            page.get_by_role("button", name="Upload 1 file").click()
            expect(page.get_by_text("Your uploads")).to_be_visible()
            taken = _process_new_uploads(world, known)
            known.add(taken)
            # the page follows the upload by itself until the outcome is there
            expect(page.get_by_text(f"#{taken} · To review")).to_be_visible()
            expect(page.get_by_text("1 of 1 processed")).to_be_visible()

            # a photo file through the file input
            page.locator("input[type=file]").first.set_input_files(str(photo))
            page.get_by_role("button", name="Upload 1 file").click()
            doc_id = _process_new_uploads(world, known)
            expect(page.get_by_text(f"#{doc_id} · To review")).to_be_visible()
            expect(page.get_by_text("2 of 2 processed")).to_be_visible()
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
            search.fill(CAMERA_WORD.lower())  # the camera's picture, by its printed word
            search.press("Enter")
            expect(page.get_by_text("1 document", exact=True)).to_be_visible()
            heading = page.get_by_role("heading", name=re.compile(rf"^#{taken} · camera"))
            expect(heading).to_be_visible()
        finally:
            browser.close()
    assert world.service.document(SYSTEM, doc_id).row.state == "proposed"
    picture = world.service.document(SYSTEM, taken).row
    assert (picture.state, picture.content_type) == ("proposed", "image/jpeg")
