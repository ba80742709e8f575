"""The accountant's day in a real Chromium (issue 16): twenty mixed corpus documents, each booked
or rejected without leaving the Review page, timed.

The documents (text PDFs, scans, phone photos, UBL e-invoices, a SEK invoice, the same invoice as
a PDF and as a photo) are ingested through the service into a dossier of their own, with the
pipeline steps run synchronously as ``ui_world`` does; then one accountant logs in and works the
queue from the first document to the last on the Review page only.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from test_ui_browser import CHROMIUM_ARGS, ui_url  # noqa: F401  (ui_url is a fixture)
from ui_world import CORPUS, PASSWORD, World

from pipeline.service import SYSTEM, UserView

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: (folder, file): 8 text PDFs, 3 scans, 3 photos, 6 UBL (one in SEK); coolblue twice (PDF, photo)
DOCUMENTS = (
    ("pdf", "i2d_AmazonWebServices.pdf"),
    ("pdf", "i2d_AzureInterior.pdf"),
    ("pdf", "i2d_QualityHosting.pdf"),
    ("pdf", "i2d_coolblue1.pdf"),
    ("pdf", "mu_Facture_F20180027.pdf"),
    ("pdf", "oca_efff_exact_be.pdf"),
    ("pdf", "zc_EN16931_Einfach.pdf"),
    ("pdf", "zc_zf1_BASIC_Einfach.pdf"),
    ("scanned", "i2d_NetpresseInvoice_scan.pdf"),
    ("scanned", "zc_mustang_RE_20201121_508_scan.pdf"),
    ("scanned", "zc_fnfe_Facture_FR_EN16931_scan.pdf"),
    ("scanned", "i2d_coolblue1_photo.jpg"),
    ("scanned", "mu_103767_Invoice_photo.png"),
    ("scanned", "zc_konik_acme_invoice_42_photo.png"),
    ("ubl", "ublbe_15000001.xml"),
    ("ubl", "cen_ubl-tc434-example1.xml"),
    ("ubl", "sebis_Hyrbil.xml"),
    ("ubl", "cen_Invoice-Min_content_with_VAT.xml"),
    ("ubl", "peppol_vat-category-Z.xml"),
    ("ubl", "cen_CreditNote-Min_content_with_VAT.xml"),
)
DONE = {"booked", "rejected", "duplicate"}


def _ingest_all(world: World) -> tuple[UserView, list[int]]:
    from pipeline import steps

    svc, rt = world.service, world.runtime
    dossier = svc.create_dossier(SYSTEM, "Walk BV", vat_number="BE0743182920")
    walker = svc.add_user(SYSTEM, "walker", PASSWORD, "accountant", dossiers=[dossier.id])
    ids = []
    for folder, name in DOCUMENTS:
        path = CORPUS / folder / name
        row = svc.ingest(SYSTEM, dossier.id, path.read_bytes(), path.name)
        for nxt in steps.extract_step(rt, row.id):
            if nxt.step == "propose":
                steps.propose_step(rt, nxt.document_id)
        ids.append(row.id)
    return walker, ids


def _heading_doc(page: Any, previous: int | None) -> int:
    """The document the Review page shows now (waits until it differs from ``previous``)."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            texts = page.locator("h3").all_inner_texts()
        except Error:  # the log-in reloads the page once (the session cookie)
            texts = []
        for text in texts:
            found = re.match(r"#(\d+) ", text.strip())
            if found and int(found.group(1)) != previous:
                return int(found.group(1))
        page.wait_for_timeout(100)
    raise AssertionError(f"the Review page did not move on from #{previous}")


def _settle(page: Any) -> None:
    """Streamlit has finished this run: no "Running" status, no stale element left."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')",
        timeout=30_000,
    )


def _wait_state(
    world: World, user: UserView, doc_id: int, page: Any, refused: str, *, strict: bool = True
) -> str:
    """Poll the document's state until it is done, or the page shows ``refused``."""
    deadline = time.monotonic() + (30 if strict else 15)
    while time.monotonic() < deadline:
        state = world.service.document(user, doc_id).row.state
        if state in DONE:
            return state
        if page.get_by_text(refused).count():
            return "refused"
        page.wait_for_timeout(100)
    if not strict:
        return "no answer"
    alerts = page.get_by_role("alert").all_inner_texts()
    raise AssertionError(f"#{doc_id} neither done nor refused: {alerts}")


def _work_one(world: World, user: UserView, page: Any, doc_id: int) -> tuple[str, str]:
    """Book (by hand, at a rate) or reject the shown document; (how, resulting state)."""
    from playwright.sync_api import expect

    _settle(page)
    detail = world.service.document(user, doc_id)
    how = []
    same = page.get_by_role("button", name=re.compile(r"^Mark as duplicate of document #"))
    if same.count():
        same.first.click()
        return "same invoice as another: marked duplicate", _wait_state(
            world, user, doc_id, page, "Mark duplicate refused"
        )
    rate_box = page.get_by_role("textbox", name=re.compile(r"^Exchange rate: 1 EUR = \?"))
    if rate_box.count() and (detail.entry is None or detail.entry.exchange_rate is None):
        rate_box.fill("11,2")
        expect(rate_box).to_have_value("11,2")
        page.get_by_role("button", name="Book in euro at this rate").click()
        answer = page.get_by_text(re.compile(r"^(Re-proposed in euro at|Exchange rate refused)"))
        expect(answer.first).to_be_visible()
        how.append(answer.first.inner_text()[:90])
        _settle(page)
        detail = world.service.document(user, doc_id)  # a rate may have made the entry
    if detail.entry is None:
        by_hand = page.get_by_role("button", name="Book by hand")
        by_hand.click()
        expect(by_hand).to_have_count(0)  # the prefilled entry editor replaced it
        _settle(page)
        how.append("booked by hand")
    alerts = world.service.document(user, doc_id).row.alerts
    if any(a.get("code") == "iban_unconfirmed" for a in alerts):
        # a new IBAN is never booked unasked: the accountant says they checked it
        checked = page.get_by_role("checkbox", name=re.compile(r"^I checked IBAN "))
        page.get_by_text(re.compile(r"^I checked IBAN \S+ with the supplier")).click()
        expect(checked).to_be_checked()
        # the rerun that took the tick has drawn the page: then no stale copy is left
        expect(page.get_by_text(re.compile(r"will be confirmed for this supplier"))).to_be_visible()
        _settle(page)
        how.append("IBAN checked")
    confirm = page.get_by_role("button", name="Confirm and next")
    expect(confirm).to_have_count(1)  # the page has finished drawing (no stale copy)
    expect(confirm).to_be_enabled()
    confirm.click()
    state = _wait_state(world, user, doc_id, page, "Not booked:", strict=False)
    if state in DONE:
        return " + ".join(how) or "confirmed", state
    shown = page.get_by_text(re.compile("^Not booked:"))
    reason = shown.first.inner_text() if shown.count() else "no answer to Confirm"
    page.get_by_role("textbox", name="Reason for rejecting").fill("cannot be booked: " + reason)
    page.get_by_role("button", name="Reject", exact=True).click()
    return f"rejected ({reason[:80]})", _wait_state(world, user, doc_id, page, "Reject refused")


def test_twenty_documents_booked_or_rejected_on_the_review_page(
    world: World,
    ui_url: str,  # noqa: F811
    chromium_path: str,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    started = time.monotonic()
    walker, ids = _ingest_all(world)
    ingested = time.monotonic() - started
    waiting = [i for i in ids if world.service.document(walker, i).row.state == "proposed"]
    expect.set_options(timeout=30_000)
    log: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            page.goto(f"{ui_url}/review")
            page.get_by_role("textbox", name="User name").fill("walker")
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            walk_started = time.monotonic()
            current: int | None = None
            for _ in range(len(waiting)):
                current = _heading_doc(page, current)
                assert "/review" in page.url, page.url  # never leaves the Review page
                how, state = _work_one(world, walker, page, current)
                log.append(f"#{current}: {how} -> {state}")
                print(f"{time.monotonic() - walk_started:6.1f} s  {log[-1]}", flush=True)
                if len(log) == len(waiting):
                    break
            walked = time.monotonic() - walk_started
            page.screenshot(path=str(tmp_path / "walk-end.png"), full_page=True)
        finally:
            browser.close()
    states = {i: world.service.document(walker, i).row.state for i in ids}
    print(
        f"\nwalk: {len(ids)} documents ingested in {ingested:.1f} s; {len(waiting)} to review"
        f" worked in the browser in {walked:.1f} s"
        f" ({walked / max(1, len(waiting)):.1f} s per document)\n"
        + "\n".join(log)
        + "".join(
            f"\nnot in review: #{i} {DOCUMENTS[n][1]} -> {states[i]}"
            for n, i in enumerate(ids)
            if i not in waiting
        )
    )
    assert len(waiting) >= 15, states  # most of the twenty reach the review queue
    # the same invoice as a PDF and as a phone photo: linked, the later copy marked duplicate
    pdf = ids[DOCUMENTS.index(("pdf", "i2d_coolblue1.pdf"))]
    shot = ids[DOCUMENTS.index(("scanned", "i2d_coolblue1_photo.jpg"))]
    twin = world.service.document(walker, shot).row
    assert (twin.state, twin.duplicate_of) == ("duplicate", pdf), (twin, log)
    assert states[pdf] in {"booked", "rejected"}, states
    assert all(states[i] in DONE for i in waiting), states
    assert sum(states[i] == "booked" for i in waiting) >= 10, log
