"""OCR has its own queue: documents that need it are handed to the ``ocr`` queue, which the
worker service's OCR processes consume, so mails, e-invoices and text PDFs never wait
behind a backlog of scans.  Real brokers (SQLite file, Redis), real workers, real OCR."""

from __future__ import annotations

import io
import os
import signal
import time
from collections.abc import Callable, Iterator

import dramatiq
import pytest
from dramatiq import Worker
from helpers import CORPUS, documents, dossier

from pipeline import actors
from pipeline.broker import setup_broker
from pipeline.runtime import Runtime, build_runtime, reset_runtime
from pipeline.service import SYSTEM, Service
from pipeline.settings import Settings
from pipeline.steps import NextStep, extract_text_step, ocr_step
from pipeline.supervisor import worker_commands
from storage import db as storage_db
from storage import repo

TEXT_PDF = CORPUS / "pdf" / "zc_EN16931_Einfach.pdf"
PHOTO = CORPUS / "scanned" / "zc_konik_acme_invoice_42_photo.png"


def scan_pdf(n: int) -> bytes:
    """A small image-only PDF (no text layer): a scan that OCR reads quickly."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1240, 420), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=40)
    draw.text((60, 60), f"FACTUUR 2026-{n:04d}", fill=0, font=font)
    draw.text((60, 160), "Totaal EUR 121,00", fill=0, font=font)
    out = io.BytesIO()
    image.save(out, format="PDF", resolution=150)
    return out.getvalue()


def _add(rt: Runtime, did: int, data: bytes, name: str, ctype: str) -> int:
    ref = rt.blobs.put(data)
    with rt.tx() as s:
        doc, _ = repo.add_document(
            s,
            dossier_id=did,
            ref=ref,
            filename=name,
            content_type=ctype,
            origin="upload",
            channel="upload",
        )
        return doc.id


def _states(rt: Runtime, did: int) -> dict[str, str]:
    return {str(d.filename): d.state for d in documents(rt, did)}


def test_documents_needing_ocr_are_handed_to_the_ocr_queue_unread(runtime: Runtime) -> None:
    rt = runtime
    did = dossier(rt)
    scan = _add(rt, did, scan_pdf(1), "scan.pdf", "application/pdf")
    photo = _add(rt, did, PHOTO.read_bytes(), PHOTO.name, "image/png")
    pdf = _add(rt, did, TEXT_PDF.read_bytes(), TEXT_PDF.name, "application/pdf")
    # the extract queue's step reads the text PDF and hands the others on, untouched
    assert extract_text_step(rt, scan) == [NextStep("ocr", scan)]
    assert extract_text_step(rt, photo) == [NextStep("ocr", photo)]
    assert extract_text_step(rt, pdf) == [NextStep("propose", pdf)]
    states = _states(rt, did)
    assert states["scan.pdf"] == "received"
    assert states[PHOTO.name] == "received"
    assert states[TEXT_PDF.name] == "extracted"
    # a replayed message hands it on again; the OCR queue's step reads it
    assert extract_text_step(rt, scan) == [NextStep("ocr", scan)]
    assert ocr_step(rt, scan) == [NextStep("propose", scan)]
    with rt.tx() as s:
        extraction = repo.get_extraction(s, scan)
        assert extraction is not None
        assert extraction.extractor == "pdf_ocr"
    # idempotent: once read, both steps are no-ops
    assert ocr_step(rt, scan) == []
    assert extract_text_step(rt, scan) == []
    # every actor the worker service runs is on a queue some process consumes
    assert {a.queue_name for a in actors.ACTORS.values()} == {
        *actors.LIGHT_QUEUES,
        actors.OCR_QUEUE,
    }


def test_the_worker_service_runs_ocr_processes_on_the_ocr_queue_alone() -> None:
    light = worker_commands(2, 2, actors.LIGHT_QUEUES)
    ocr = worker_commands(3, 1, [actors.OCR_QUEUE], prefetch=1)
    assert len(light) == 2
    assert len(ocr) == 3
    for cmd in light:
        assert cmd[cmd.index("--queues") + 1 :] == ["split", "extract", "propose"]
        assert "--prefetch" not in cmd
    for cmd in ocr:
        assert cmd[cmd.index("--queues") + 1 :] == ["ocr"]
        assert cmd[cmd.index("--threads") + 1] == "1"
        assert cmd[cmd.index("--prefetch") + 1] == "1"


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def real_broker(
    request: pytest.FixtureRequest, sqlite_runtime: Runtime
) -> Iterator[dramatiq.Broker]:
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        settings = Settings(broker="redis", broker_url=url)
    else:
        settings = Settings(broker="sqlite", broker_url=sqlite_runtime.settings.broker_url)
    broker = setup_broker(settings)
    actors.bind(broker)
    try:
        yield broker
    finally:
        broker.close()
        actors.bind(setup_broker(Settings(broker="stub")))


def _wait(predicate: Callable[[], bool], what: str, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.mark.slow
def test_a_text_pdf_is_not_blocked_behind_an_ocr_backlog(
    sqlite_runtime: Runtime, real_broker: dramatiq.Broker
) -> None:
    """Three scans are queued before the text PDF.  A light worker process (one thread,
    the extract queue in FIFO order) reads the text PDF through to its proposal while
    every scan still waits, unread, in the OCR queue; the OCR process then reads them."""
    rt = sqlite_runtime
    did = dossier(rt)
    svc = Service(rt)
    scans = [f"scan-{n}.pdf" for n in range(3)]
    for n, name in enumerate(scans):
        svc.ingest(SYSTEM, did, scan_pdf(n), name)
    svc.ingest(SYSTEM, did, TEXT_PDF.read_bytes(), TEXT_PDF.name)
    light = Worker(real_broker, queues=set(actors.LIGHT_QUEUES), worker_threads=1)
    light.start()
    try:
        _wait(lambda: _states(rt, did)[TEXT_PDF.name] == "proposed", "text PDF never proposed")
        states = _states(rt, did)
        assert all(states[n] == "received" for n in scans), states
        if hasattr(real_broker, "pending"):  # SQLite: the scans' messages are in the OCR queue
            _wait(lambda: real_broker.pending("ocr") == len(scans), "scans not handed on")
        ocr = Worker(real_broker, queues={actors.OCR_QUEUE}, worker_threads=1)
        ocr.queue_prefetch = 1
        ocr.start()
        try:
            _wait(lambda: all(_states(rt, did)[n] != "received" for n in scans), "OCR never ran")
        finally:
            ocr.stop()
    finally:
        light.stop()
    states = _states(rt, did)
    assert all(states[n] in {"extracted", "proposed"} for n in scans), states
    with rt.tx() as s:
        for d in documents(rt, did):
            if d.filename in scans:
                extraction = repo.get_extraction(s, d.id)
                assert extraction is not None
                assert extraction.extractor == "pdf_ocr"


def _crash(rt: Runtime, document_id: int) -> list[NextStep]:
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


def _ocr_crash_in_child(rt: Runtime, document_id: int) -> int:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            for engine in storage_db._ENGINES.values():
                engine.dispose(close=False)
            storage_db._ENGINES.clear()
            reset_runtime(build_runtime(rt.settings))
            actors.run_step(_crash, "ocr", document_id)
        finally:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    return status


def test_a_scan_that_crashes_the_ocr_worker_n_times_is_failed(sqlite_runtime: Runtime) -> None:
    """The delivery count is per state entry, not per queue: handing a scan from the extract
    queue to the OCR queue is no crash, three OCR deliveries that kill the worker are."""
    rt = sqlite_runtime
    assert rt.settings.max_deliveries == 3
    did = dossier(rt)
    scan = _add(rt, did, scan_pdf(7), "scan.pdf", "application/pdf")
    for _ in range(4):  # handed on (the reconciler's re-sends too): never counted
        actors.run_step(extract_text_step, "extract", scan)
    for _ in range(3):
        assert os.WIFSIGNALED(_ocr_crash_in_child(rt, scan))
        assert _states(rt, did)["scan.pdf"] == "received"
    actors.run_step(ocr_step, "ocr", scan)  # the 4th delivery fails it instead
    (doc,) = documents(rt, did)
    assert doc.state == "failed"
    assert "crashed the worker 3 times (ocr step)" in (doc.state_reason or "")


def test_ocr_processes_zero_is_one_per_usable_core_at_most_four() -> None:
    from pipeline.supervisor import MAX_AUTO_OCR_PROCESSES, ocr_processes

    assert ocr_processes(3) == 3
    usable = len(os.sched_getaffinity(0))
    assert ocr_processes(0) == max(1, min(usable, MAX_AUTO_OCR_PROCESSES))
    assert 1 <= ocr_processes(0) <= 4
