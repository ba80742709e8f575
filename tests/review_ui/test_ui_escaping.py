"""Issue 18 item 6: text from a mail or a document is shown literally, never as Markdown/HTML.

A mail whose subject and attachment name carry a remote image (a tracking
beacon), a "click here to pay" link and an HTML tag is taken in through the
service and the real pipeline steps; the Review page must show the literal
text and create no image or link from it: checked on the page model
(AppTest) and in a real headless Chromium (no <img>/<a> to the attacker's
host, no request to it).
"""

from __future__ import annotations

import dataclasses
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from dnsserver import LocalDns
from streamlit.testing.v1 import AppTest
from ui_world import APP, CORPUS, PASSWORD, REPO_ROOT, World

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM
from review_ui.common import JOINER, esc

BEACON = "![x](http://evil/beacon.png)"
LINK = "[click here to pay](http://evil)"
TAG = '<img src="http://evil/tag.png">'
BARE = "www.pay-here.evil pay@evil.example https://evil.example/pay"
SUBJECT = f"Factuur {BEACON} {LINK} {TAG} {BARE}"
#: file names lose everything up to the last "/" (path parts), so these links use none
FILENAME = "![x](http:evil.beacon.png) [click here to pay](https:evil) <img src=http:evil.png>.pdf"


def test_esc_leaves_no_markdown_or_html_syntax() -> None:
    for text in (
        BEACON,
        LINK,
        TAG,
        "**bold** _it_ `code` # head\n- item :red[x] $x$ www.evil.test",
        BARE,
    ):
        escaped = esc(text)
        bare = re.sub(r"\\.", "", escaped).replace(JOINER, "")  # drop escapes and joiners
        assert not re.search(r"[!-/:-@\[-`{-~]", bare), escaped
        assert "\n" not in escaped
        shown = re.sub(r"\\(.)", r"\1", escaped).replace(JOINER, "")
        assert shown == text.replace("\n", " ")
    # bare addresses: no www., scheme or @ left for GFM's autolink literals
    assert f"www{JOINER}\\." in esc(BARE)
    assert f"pay{JOINER}\\@evil" in esc(BARE)
    assert f"https{JOINER}\\:" in esc(BARE)


def _hostile_mail() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Leverancier <facturen@leverancier.example>"
    msg["To"] = "bakkerij@dossiers.boekbox.test"
    msg["Subject"] = SUBJECT
    msg["Message-ID"] = "<hostile.1@leverancier.example>"
    msg.set_content(f"Betaal hier: {LINK}")
    pdf = (CORPUS / "pdf" / "i2d_AmazonWebServices.pdf").read_bytes()
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=FILENAME)
    return msg.as_bytes()


@dataclasses.dataclass(frozen=True)
class Hostile:
    mail_id: int
    file_id: int
    filename: str  # as stored (outside names are cleaned, e.g. no "/")


@pytest.fixture
def hostile(world: World) -> Hostile:
    from pipeline import steps

    zone = LocalDns().start()  # answers NXDOMAIN: the sender is not authenticated
    rt: Runtime = dataclasses.replace(
        world.runtime,
        settings=dataclasses.replace(world.runtime.settings, dns_servers=zone.servers),
    )
    try:
        row = world.service.ingest(SYSTEM, world.seed.dossier_a, _hostile_mail(), "hostile.eml")
        todo = [steps.NextStep("split", row.id)]
        run = {"split": steps.split_step, "extract": steps.extract_step}
        run["propose"] = steps.propose_step
        while todo:
            nxt = todo.pop(0)
            todo.extend(run[nxt.step](rt, nxt.document_id))
    finally:
        zone.stop()
    mail = world.service.document(SYSTEM, row.id)
    (child,) = mail.children
    assert mail.mail is not None
    assert mail.mail.subject == SUBJECT
    assert "evil" in (child.filename or "")
    return Hostile(row.id, child.id, child.filename or "")


def _rendered_texts(at: AppTest) -> list[str]:
    """Every element whose text Streamlit renders as Markdown, plus link labels."""
    out: list[str] = []
    for kind in ("markdown", "caption", "warning", "error", "info", "success", "subheader"):
        out.extend(str(e.value) for e in getattr(at, kind))
    out.extend(str(getattr(e, "proto", e).label) for e in at.get("page_link"))
    out.extend(str(e.label) for e in at.button)
    return out


def _open(user, doc_id: int) -> AppTest:  # type: ignore[no-untyped-def]
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user"] = user
    at.query_params.update({"doc": str(doc_id)})
    at.run()
    at.switch_page("views/review.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("which", ["mail", "file"])
def test_review_page_shows_hostile_subject_and_filename_literally(
    world: World, hostile: Hostile, which: str
) -> None:
    doc_id = hostile.mail_id if which == "mail" else hostile.file_id
    at = _open(world.seed.anna, doc_id)
    texts = _rendered_texts(at)
    hits = [t for t in texts if "evil" in t]
    assert hits, texts
    wanted = esc(SUBJECT) if which == "mail" else esc(hostile.filename)
    assert any(wanted in t for t in hits), hits
    for t in hits:
        # no unescaped Markdown link/image opener and no raw HTML tag survives
        assert not re.search(r"(?<!\\)\]\(|(?<!\\)!\[|(?<!\\)<img", t), t
    # the unauthenticated sender is stated on the page
    assert any("NOT authenticated" in t for t in texts), texts


# ----------------------------------------------------------------------------- Chromium


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
    server = REPO_ROOT / "review_ui" / "server.py"
    script = str(server if server.exists() else APP)
    log = tmp_path / "streamlit.log"
    cmd = [
        sys.executable, "-m", "streamlit", "run", script, "--server.headless=true",
        "--server.address=127.0.0.1", f"--server.port={port}",
        "--browser.gatherUsageStats=false", "--server.fileWatcherType=none",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text(errors="replace")[-2000:]
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                assert time.monotonic() < deadline, log.read_text(errors="replace")[-2000:]
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.mark.browser
@pytest.mark.slow
def test_chromium_creates_no_image_or_link_from_mail_text(
    world: World, hostile: Hostile, ui_url: str, chromium_path: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    requested: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("request", lambda r: requested.append(r.url))
            page.set_default_timeout(30_000)
            page.goto(f"{ui_url}/review?doc={hostile.mail_id}")
            page.get_by_role("textbox", name="User name").fill("anna")
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_text("Sender NOT authenticated", exact=False)).to_be_visible()
            body = page.locator("body")
            expect(body).to_contain_text("Factuur ![x](http")  # drawn (then compared whole)
            assert SUBJECT in body.inner_text().replace(JOINER, "")
            for doc_id, literal in (
                (hostile.mail_id, SUBJECT),
                (hostile.file_id, hostile.filename),
            ):
                if doc_id != hostile.mail_id:
                    page.goto(f"{ui_url}/review?doc={doc_id}")
                    expect(page.get_by_text("History")).to_be_visible()
                assert literal in body.inner_text().replace(JOINER, "")
                assert page.locator("img[src*='evil']").count() == 0
                assert page.locator("a[href*='evil']").count() == 0, [
                    a.evaluate("a => a.outerHTML") for a in page.locator("a[href*='evil']").all()
                ]
                # a link made from the Markdown would be named by its text alone; the only
                # links allowed to carry it are our own page links, which show it literally
                assert page.get_by_role("link", name="click here to pay", exact=True).count() == 0
                for link in page.locator("a", has_text="click here to pay").all():
                    assert "[click here to pay](" in link.inner_text(), link.evaluate(
                        "a => a.outerHTML"
                    )
        finally:
            browser.close()
    assert not [u for u in requested if "evil" in u], requested
