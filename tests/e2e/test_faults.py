"""Faults under load: poison documents, and Redis restarted in the middle of a load.

Poison documents: no corpus file makes the hardened parsers raise anything
but their own errors (which quarantine with a reason), so the worker runs
with a ``sitecustomize`` that wraps ``extractors.extract_document``: a PDF
carrying the marker comment ``%BOEKBOX-TEST-POISON-RAISE`` raises an
unexpected error, one with ``%BOEKBOX-TEST-POISON-HANG`` never returns.
Everything else (broker, retries, time limit, database) is the real thing.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.e2e_support import (
    ACTIVE,
    CORPUS,
    Stack,
    assert_every_state_has_its_reason,
    running,
)
from tests.e2e.seaweed import SeaweedFS, new_bucket_name, s3_server

__all__ = ["s3_server"]

pytestmark = pytest.mark.slow

GOOD = [
    CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml",
    CORPUS / "ubl" / "ublbe_15000003.xml",
    CORPUS / "pdf" / "zc_EN16931_Miete.pdf",
    CORPUS / "pdf" / "i2d_QualityHosting.pdf",
]

SITECUSTOMIZE = '''\
"""Test fault injection for boekbox worker processes (see tests/e2e/test_faults.py)."""
import time

import extractors

def _poisoned(real):
    def extract(data, *args, **kwargs):
        if b"%BOEKBOX-TEST-POISON-RAISE" in data:
            raise RuntimeError("the parser crashed on this file (injected test fault)")
        if b"%BOEKBOX-TEST-POISON-HANG" in data:
            while True:
                time.sleep(0.05)
        return real(data, *args, **kwargs)

    return extract


# the worker decodes PDFs in a sandbox child (a fork server, which runs this file too)
extractors.extract_document = _poisoned(extractors.extract_document)
extractors.extract_with_text = _poisoned(extractors.extract_with_text)
'''


def _poison(tmp_path: Path, name: str, marker: str) -> Path:
    path = tmp_path / "load" / name
    path.parent.mkdir(exist_ok=True)
    base = (CORPUS / "pdf" / "zc_EN16931_Einfach.pdf").read_bytes()
    path.write_bytes(base + f"\n%BOEKBOX-TEST-POISON-{marker}\n".encode())
    return path


def test_poison_documents_fail_with_their_reason_and_do_not_block_the_queue(
    tmp_path: Path,
) -> None:
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(SITECUSTOMIZE)
    # the hanging document holds the worker's one thread for 6 s per attempt, then waits
    # for a retry: the good documents must all get through before it is given up
    stack = Stack.embedded(tmp_path, max_retries="2", step_time_limit_seconds="6")
    stack.init_dossier("Schreinerei Kessel GmbH", "BE0428759497")
    crash = _poison(tmp_path, "crashes-the-parser.pdf", "RAISE")
    hang = _poison(tmp_path, "hangs-the-parser.pdf", "HANG")
    with running(stack):
        # one process, one thread: a document that hangs holds the only thread
        stack.start_worker("worker", "--processes", "1", "--threads", "1", PYTHONPATH=str(inject))
        stack.ingest("Schreinerei Kessel GmbH", [hang, crash, *GOOD])
        deadline = time.monotonic() + 240
        while True:  # the good documents get through while the poison is retried
            by_name = {d[4]: d for d in _states_with_names(stack)}
            good_done = all(by_name[p.name][2] not in ACTIVE for p in GOOD)
            if good_done:  # the hanging one was retried or given up, never in the way
                assert by_name[hang.name][2] in {*ACTIVE, "failed", "quarantined"}
                break
            assert time.monotonic() < deadline, by_name
            time.sleep(0.5)
        states = stack.wait_until_settled(timeout=240)
    assert_every_state_has_its_reason(states)
    docs = {d["filename"]: d for d in stack.documents()}
    for path in GOOD:
        assert docs[path.name]["state"] in {"proposed", "booked"}, docs[path.name]
    # an unexpected extractor error is stored with its reason (quarantined at once: a
    # retry cannot mend a parser bug); a document that hangs is stopped by the time limit
    assert docs[crash.name]["state"] in {"failed", "quarantined"}
    assert "crashed on this file" in docs[crash.name]["reason"]
    assert docs[hang.name]["state"] in {"failed", "quarantined"}
    assert "time limit" in docs[hang.name]["reason"].lower().replace("timelimit", "time limit")


def _states_with_names(stack: Stack) -> list[tuple[int, str, str, str | None, str]]:
    rows = stack.sql("SELECT id, kind, state, state_reason, filename FROM document")
    return [(int(r[0]), str(r[1]), str(r[2]), r[3], str(r[4])) for r in rows]


# ----------------------------------------------------------------------------- Redis restart


class OwnRedis:
    """A redis-server of this test alone, with an append-only file, restartable on its port."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server not installed")
        self.binary, self.dir = binary, workdir
        workdir.mkdir()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.dir), "--appendonly", "yes", "--appendfsync", "everysec",
                "--save", "", "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not self._ping():
            assert self.proc.poll() is None, "redis-server exited"
            assert time.monotonic() < deadline, "redis-server did not answer"
            time.sleep(0.1)

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.kill()


def _wait_for_empty_queue(stack: Stack, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    empty = 0
    while empty < 3:
        with contextlib.suppress(Exception):
            empty = empty + 1 if stack.queue_pending() == 0 else 0
        assert time.monotonic() < deadline, stack.worker_logs()
        time.sleep(1.0)


def _text_load(tmp_path: Path, n: int, tag: str) -> list[Path]:
    """n distinct UBL invoices: corpus UBL files with a changed invoice number."""
    sources = sorted((CORPUS / "ubl").glob("ublbe_*.xml"))
    out = []
    folder = tmp_path / f"load-{tag}"
    folder.mkdir()
    for i in range(n):
        src = sources[i % len(sources)]
        data = src.read_bytes()
        start = data.index(b"<cbc:ID>") + len(b"<cbc:ID>")
        end = data.index(b"</cbc:ID>", start)
        data = data[:start] + f"{tag}-{i}-".encode() + data[start:end] + data[end:]
        path = folder / f"{tag}-{i}-{src.name}"
        path.write_bytes(data)
        out.append(path)
    return out


def test_redis_restarted_during_a_load_loses_no_document(
    tmp_path: Path, fresh_pg_url: str, own_redis: OwnRedis, s3_server: SeaweedFS
) -> None:
    stack = Stack.scale_out(
        tmp_path,
        pg_url=fresh_pg_url,
        redis_url=own_redis.url,
        s3_endpoint=s3_server.endpoint_url,
        bucket=new_bucket_name(),
    )
    dossier = "Bakkerij Janssens BV"
    stack.init_dossier()
    before = _text_load(tmp_path, 32, "before")
    during = _text_load(tmp_path, 2, "during")
    mail = CORPUS / "mail" / "several_invoices_one_mail.eml"
    with running(stack):
        # one thread each, and a load large enough that the first document done leaves
        # others queued or in flight when Redis goes
        stack.start_worker("machine-a", "--processes", "1", "--threads", "1")
        stack.start_worker("machine-b", "--processes", "1", "--threads", "1")
        stack.ingest(dossier, [mail, *before])
        deadline = time.monotonic() + 120
        while not any(s[2] not in ACTIVE for s in stack.states() if s[1] == "file"):
            assert time.monotonic() < deadline, stack.worker_logs()
            time.sleep(0.2)
        own_redis.kill()  # mid-load: some documents done, others queued or in flight
        in_flight = sum(1 for s in stack.states() if s[2] in ACTIVE)
        # while Redis is down
        stored = stack.run("ingest", *map(str, during), "--dossier", dossier, check=False)
        time.sleep(3)
        own_redis.start()  # same port, same append-only file
        _wait_for_empty_queue(stack, timeout=300)
        resent = int(stack.run("reconcile", "--older-than", "0").stdout.split()[0])
        states = stack.wait_until_settled(timeout=300)
    assert in_flight > 0  # the restart really hit a load in progress
    # the files are stored and the CLI says the reconciler will send them
    assert isinstance(stored, subprocess.CompletedProcess)
    assert stored.returncode == 0, stored.stderr
    assert "reconciler" in stored.stderr
    assert resent >= len(during)  # the documents stored while Redis was down
    assert_every_state_has_its_reason(states)
    docs = stack.documents()
    names = [d["filename"] for d in docs if d["kind"] == "file"]
    for path in before:
        assert names.count(path.name) == 1, path.name
    for path in during:
        assert names.count(path.name) == 1, path.name
    assert [d["state"] for d in docs if d["kind"] == "mail"] == ["split"]
    assert all(
        d["state"] in {"proposed", "booked", "duplicate"} for d in docs if d["kind"] == "file"
    ), [(d["filename"], d["state"], d["reason"]) for d in docs]
