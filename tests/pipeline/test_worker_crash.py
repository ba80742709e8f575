"""SIGKILL of the workers in the middle of OCR: every document still completes, once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import CORPUS
from test_cli import _env, boekbox

pytestmark = pytest.mark.slow

SCAN = CORPUS / "scanned" / "zc_EN16931_Einfach_scan.pdf"


def _worker(tmp_path: Path) -> subprocess.Popen[bytes]:
    log = (tmp_path / "worker.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "worker", "--processes", "1", "--threads", "2"],
        env=_env(tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _ocr_running(session: int, seen: dict[int, float]) -> bool:
    """A tesseract program runs in the worker's session, or (OCR through the library, in
    the sandbox child) a child of a fork server has lived for half a second: reading a
    text layer takes milliseconds, OCR seconds."""
    out = subprocess.run(
        ["ps", "-ww", "-eo", "sid,pid,ppid,comm,args"], capture_output=True, text=True
    ).stdout
    rows = [line.split(None, 4) for line in out.splitlines()[1:]]
    mine = [r for r in rows if len(r) == 5 and r[0] == str(session)]
    if any(r[3] == "tesseract" for r in mine):
        return True
    servers = {r[1] for r in mine if "multiprocessing.forkserver" in r[4]}
    now = time.monotonic()
    for r in mine:
        if r[2] in servers and r[1] in servers:  # a fork server's fork: a sandbox child
            seen.setdefault(int(r[1]), now)
    return any(now - first >= 0.5 for first in seen.values())


def _docs(tmp_path: Path) -> list[dict[str, object]]:
    return json.loads(boekbox(tmp_path, "documents", "--json", "--all-kinds").stdout)


def test_sigkill_mid_ocr_then_restart_finishes_every_document_once(tmp_path: Path) -> None:
    boekbox(tmp_path, "init")
    boekbox(tmp_path, "dossier", "add", "Schreinerei Kessel", "--address", "kessel")
    ubl = CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml"
    boekbox(tmp_path, "ingest", str(SCAN), str(ubl), "--dossier", "Schreinerei Kessel")
    worker = _worker(tmp_path)
    try:
        deadline = time.monotonic() + 120
        seen: dict[int, float] = {}
        while not _ocr_running(worker.pid, seen):
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            assert time.monotonic() < deadline, "OCR never started"
            time.sleep(0.05)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    states = {d["filename"]: d["state"] for d in _docs(tmp_path)}
    assert states[SCAN.name] == "received"  # the kill interrupted its extraction

    worker = _worker(tmp_path)
    try:
        deadline = time.monotonic() + 240
        while True:
            docs = _docs(tmp_path)
            if all(d["state"] not in {"received", "extracted"} for d in docs):
                break
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            assert time.monotonic() < deadline, docs
            time.sleep(0.5)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    by_name = {d["filename"]: d for d in docs}
    assert by_name[SCAN.name]["state"] == "proposed", by_name[SCAN.name]["reason"]
    assert by_name[ubl.name]["state"] == "proposed"
    assert len(docs) == 2  # nothing created twice
    import sqlite3

    db = sqlite3.connect(tmp_path / "db.sqlite")
    assert db.execute("SELECT COUNT(*) FROM extraction").fetchone()[0] == 2
    assert db.execute("SELECT COUNT(*) FROM journal_entry").fetchone()[0] <= 2
    assert (
        db.execute(
            "SELECT COUNT(*) FROM journal_entry GROUP BY document_id HAVING COUNT(*) > 1"
        ).fetchall()
        == []
    )
