"""The worker service with real processes: a killed worker process is replaced, bombs
are quarantined with their reason, and the service stays up through both."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bombs import flate_stream_bomb, image_xobject_bomb, png_bomb
from helpers import CORPUS
from test_cli import _env, boekbox

from extractors import tess

pytestmark = pytest.mark.slow

DOSSIER = "Schreinerei Kessel"


def _start_worker(tmp_path: Path, *args: str) -> subprocess.Popen[bytes]:
    log = (tmp_path / "worker.log").open("ab")
    env = {**_env(tmp_path), "BOEKBOX_EXTRACT_MEMORY_MB": "700", "BOEKBOX_LOG_LEVEL": "INFO"}
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "worker", *args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(worker: subprocess.Popen[bytes]) -> int:
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        return worker.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        raise


LIGHT = "--queues split extract propose"
OCR = "--queues ocr"


def _processes() -> list[tuple[str, str, str]]:
    """(pid, parent pid, command line) of every process."""
    cmd = ["ps", "-ww", "-eo", "pid,ppid,args"]  # full command lines, whatever COLUMNS says
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    rows = (line.split(None, 2) for line in out.splitlines()[1:])
    return [(r[0], r[1], r[2].rstrip()) for r in rows if len(r) == 3]


def _children(pid: int, queues: str = "") -> set[int]:
    """The worker processes of the service ``pid`` (those consuming ``queues``, if given)."""
    return {
        int(child)
        for child, parent, args in _processes()
        if parent == str(pid) and "pipeline.workerproc" in args and args.endswith(queues)
    }


def _docs(tmp_path: Path) -> dict[str, dict[str, object]]:
    out = boekbox(tmp_path, "documents", "--json", "--all-kinds").stdout
    return {str(d["filename"]): d for d in json.loads(out)}


IN_FLIGHT = {"received", "split", "extracted"}


def _wait_done(tmp_path: Path, worker: subprocess.Popen[bytes], names: set[str]) -> dict:
    deadline = time.monotonic() + 240
    while True:
        docs = _docs(tmp_path)
        # done = past the pipeline's in-between states (the check once stopped at
        # "extracted", a moment before "proposed")
        if names <= set(docs) and all(docs[n]["state"] not in IN_FLIGHT for n in names):
            return docs
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
        assert time.monotonic() < deadline, docs
        time.sleep(0.5)


def test_a_killed_worker_process_is_replaced_and_documents_still_get_processed(
    tmp_path: Path,
) -> None:
    boekbox(tmp_path, "init")
    boekbox(tmp_path, "dossier", "add", DOSSIER, "--address", "kessel")
    worker = _start_worker(tmp_path, "--processes", "2", "--ocr-processes", "1")
    try:
        deadline = time.monotonic() + 60
        while len(before := _children(worker.pid, LIGHT)) < 2 or not _children(worker.pid, OCR):
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            assert time.monotonic() < deadline, "worker processes never started"
            time.sleep(0.1)
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        while True:
            now = _children(worker.pid, LIGHT)
            if len(now) == 2 and victim not in now:
                break
            assert time.monotonic() - killed_at < 5, f"not replaced within 5 s: {now}"
            time.sleep(0.05)
        assert worker.poll() is None  # the service itself stayed up
        ubl = CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml"
        pdf = next((CORPUS / "pdf").glob("*.pdf"))
        boekbox(tmp_path, "ingest", str(ubl), str(pdf), "--dossier", DOSSIER)
        docs = _wait_done(tmp_path, worker, {ubl.name, pdf.name})
        assert docs[ubl.name]["state"] == "proposed", docs[ubl.name]["reason"]
        assert docs[pdf.name]["state"] not in {"failed"}, docs[pdf.name]["reason"]
    finally:
        assert _stop(worker) == 0
    assert (
        "stopped unexpectedly (signal SIGKILL); starting a new one"
        in (tmp_path / "worker.log").read_text()
    )


def test_bombs_are_quarantined_with_the_reason_and_the_worker_survives(tmp_path: Path) -> None:
    boekbox(tmp_path, "init")
    boekbox(tmp_path, "dossier", "add", DOSSIER, "--address", "kessel")
    files = {
        "flate-bomb.pdf": flate_stream_bomb(1024),
        "image-bomb.pdf": image_xobject_bomb(100_000),
        "bomb.png": png_bomb(12_000),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    ubl = CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml"
    paths = [str(tmp_path / n) for n in files]
    boekbox(tmp_path, "ingest", *paths, str(ubl), "--dossier", DOSSIER)
    worker = _start_worker(tmp_path, "--processes", "1", "--threads", "2", "--ocr-processes", "1")
    try:
        deadline = time.monotonic() + 60
        while not (_children(worker.pid, LIGHT) and _children(worker.pid, OCR)):
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            assert time.monotonic() < deadline, "worker processes never started"
            time.sleep(0.1)
        started = _children(worker.pid, LIGHT) | _children(worker.pid, OCR)
        docs = _wait_done(tmp_path, worker, {*files, ubl.name})
        pids = _children(worker.pid, LIGHT) | _children(worker.pid, OCR)
    finally:
        assert _stop(worker) == 0
    assert docs["flate-bomb.pdf"]["state"] == "quarantined"
    assert "over the memory limit" in str(docs["flate-bomb.pdf"]["reason"])
    for name in ("image-bomb.pdf", "bomb.png"):
        assert docs[name]["state"] == "quarantined", docs[name]
        assert "over the pixel limit" in str(docs[name]["reason"]), docs[name]["reason"]
    assert docs[ubl.name]["state"] == "proposed"
    assert pids == started  # the same worker processes did all of it
    assert "stopped unexpectedly" not in (tmp_path / "worker.log").read_text()


def _fork_server(worker_process: int) -> int | None:
    for pid, parent, args in _processes():
        if parent == str(worker_process) and "multiprocessing.forkserver" in args:
            return int(pid)
    return None


@pytest.mark.skipif(not tess.available(), reason="the OCR engine library is not built")
def test_only_the_ocr_processes_fork_servers_hold_the_ocr_models(tmp_path: Path) -> None:
    """tesseract's models (about 1 s of CPU to load) are loaded once, in the fork server
    of each process reading the ocr queue; the other processes' fork servers never
    load them."""
    boekbox(tmp_path, "init")
    boekbox(tmp_path, "dossier", "add", DOSSIER, "--address", "kessel")
    scan = CORPUS / "scanned" / "zc_EN16931_Einfach_scan.pdf"
    pdf = next((CORPUS / "pdf").glob("*.pdf"))
    boekbox(tmp_path, "ingest", str(scan), str(pdf), "--dossier", DOSSIER)
    worker = _start_worker(tmp_path, "--processes", "1", "--ocr-processes", "1")
    try:
        docs = _wait_done(tmp_path, worker, {scan.name, pdf.name})
        assert docs[scan.name]["state"] not in {"failed", "quarantined"}, docs[scan.name]
        servers = {}
        for queues in (LIGHT, OCR):
            (process,) = _children(worker.pid, queues)
            server = _fork_server(process)
            assert server is not None, f"no fork server under the {queues} process"
            servers[queues] = Path(f"/proc/{server}/maps").read_text()
    finally:
        assert _stop(worker) == 0
    assert "libtesseract" in servers[OCR]
    assert "libtesseract" not in servers[LIGHT]
