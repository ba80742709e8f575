"""Crash test: ``boekbox smtp`` as a subprocess, 520 mails from 16 concurrent
connections, SIGKILL in the middle, restart, resend what did not get ``250``.

Every mail that got 250 is stored exactly once and enqueued for splitting; no mail
that did not get 250 is half-stored (a row without its blob, a document); after
the resend every mail is stored once and the split step makes its one document
once, even when run twice.  Finally SIGTERM shuts the server down cleanly."""

from __future__ import annotations

import json
import os
import re
import signal
import smtplib
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

import pytest
from smtp_support import MAIL_DOMAIN, add_dossier, smtp_settings
from sqlalchemy import select

from pipeline.runtime import Runtime, build_runtime, reset_runtime
from pipeline.steps import split_step
from storage import sha256_hex
from storage.db import dispose_engines, migrate
from storage.models import Document, Mail

BOEKBOX = str(Path(sys.executable).with_name("boekbox"))
RCPT = f"crash-test@{MAIL_DOMAIN}"
TOTAL = 520
CLIENTS = 16
KILL_AFTER = 200


def _mail(n: int) -> tuple[str, bytes]:
    msg = EmailMessage()
    msg["From"] = "facturatie@leverancier.example"
    msg["To"] = RCPT
    msg["Subject"] = f"Factuur {n}"
    msg["Message-ID"] = f"<crash.{n}@leverancier.example>"
    msg.set_content("In bijlage.\n" + "x" * 2000)
    pdf = b"%PDF-1.4\n% invoice " + str(n).encode() + b"\n" + os.urandom(3000) + b"\n%%EOF\n"
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"F{n}.pdf")
    return f"crash.{n}@leverancier.example", msg.as_bytes().replace(b"\n", b"\r\n")


class Server:
    def __init__(self, tmp: Path, env: dict[str, str], name: str) -> None:
        self.log = tmp / f"{name}.log"
        with self.log.open("wb") as err:
            self.proc = subprocess.Popen([BOEKBOX, "smtp"], env=env, stderr=err)
        self.port = self._wait_port()

    def _wait_port(self) -> int:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = re.search(r"listening on 127\.0\.0\.1:(\d+)", self.log.read_text())
            if found:
                return int(found.group(1))
            assert self.proc.poll() is None, self.log.read_text()
            time.sleep(0.1)
        raise AssertionError("boekbox smtp did not start: " + self.log.read_text())


def _send_share(
    port: int, mails: list[tuple[str, bytes]], acked: set[str], lock: threading.Lock
) -> None:
    try:
        client = smtplib.SMTP("127.0.0.1", port, timeout=60)
        client.ehlo("crash.client")
        for mid, raw in mails:
            client.sendmail("facturatie@leverancier.example", [RCPT], raw)
            with lock:
                acked.add(mid)
        client.quit()
    except (OSError, smtplib.SMTPException):
        return  # the server died: whatever was not acked is resent later


def _blast(port: int, mails: list[tuple[str, bytes]], acked: set[str], kill: Server | None) -> None:
    lock = threading.Lock()
    threads = [
        threading.Thread(target=_send_share, args=(port, mails[i::CLIENTS], acked, lock))
        for i in range(CLIENTS)
    ]
    for t in threads:
        t.start()
    if kill is not None:
        while len(acked) < KILL_AFTER and any(t.is_alive() for t in threads):
            time.sleep(0.005)
        kill.proc.send_signal(signal.SIGKILL)
        kill.proc.wait(30)
    for t in threads:
        t.join(300)


def _stored(rt: Runtime) -> list[tuple[str | None, str, int]]:
    with rt.tx() as s:
        return [
            (m.message_id, m.raw_sha256, d.id)
            for m, d in s.execute(
                select(Mail, Document)
                .join(Document, Document.mail_id == Mail.id)
                .where(Document.kind == "mail")
            )
        ]


def _check_no_half_stored(rt: Runtime) -> None:
    blobs = Path(rt.settings.blob_store)
    with rt.tx() as s:
        docs = list(s.scalars(select(Document)))
    for doc in docs:
        assert doc.kind == "mail", "nothing is split before a worker runs"
        path = blobs / doc.blob_sha256[:2] / doc.blob_sha256[2:4] / doc.blob_sha256
        assert sha256_hex(path.read_bytes()) == doc.blob_sha256


@pytest.mark.slow
def test_sigkill_midway_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    settings = smtp_settings(tmp_path, broker="sqlite")
    migrate(settings.database_url)
    rt = build_runtime(settings)
    reset_runtime(rt)
    add_dossier(rt, "crash-test")
    env = dict(os.environ)
    env.update(
        BOEKBOX_DATABASE_URL=settings.database_url,
        BOEKBOX_BLOB_STORE=settings.blob_store,
        BOEKBOX_BROKER="sqlite",
        BOEKBOX_BROKER_URL=settings.broker_url,
        BOEKBOX_MAIL_DOMAIN=MAIL_DOMAIN,
        BOEKBOX_SMTP_PORT="0",
        BOEKBOX_SMTP_MAX_MESSAGES_PER_MINUTE_PER_IP="100000",
        BOEKBOX_SMTP_MAX_CONNECTIONS_PER_IP="100",
        BOEKBOX_SMTP_HOST="127.0.0.1",
        BOEKBOX_LOG_LEVEL="INFO",
    )
    mails = [_mail(n) for n in range(TOTAL)]
    try:
        first = Server(tmp_path, env, "first")
        acked: set[str] = set()
        _blast(first.port, mails, acked, kill=first)
        assert first.proc.returncode == -signal.SIGKILL
        assert KILL_AFTER <= len(acked) < TOTAL, "the kill must land midway"

        stored = _stored(rt)
        stored_ids = [mid for mid, _, _ in stored]
        assert len(stored_ids) == len(set(stored_ids)), "stored twice"
        assert acked <= set(stored_ids), "a mail that got 250 is missing"
        _check_no_half_stored(rt)

        second = Server(tmp_path, env, "second")
        resend = [m for m in mails if m[0] not in acked]
        again: set[str] = set()
        _blast(second.port, resend, again, kill=None)
        assert again == {mid for mid, _ in resend}, "every resent mail gets 250"
        second.proc.send_signal(signal.SIGTERM)
        assert second.proc.wait(60) == 0, second.log.read_text()[-2000:]
    finally:
        for name in ("first", "second"):
            proc = locals().get(name)
            if isinstance(proc, Server) and proc.proc.poll() is None:
                proc.proc.kill()

    stored = _stored(rt)
    assert sorted(mid or "" for mid, _, _ in stored) == sorted(mid for mid, _ in mails)
    raw_by_id = {mid: sha256_hex(raw) for mid, raw in mails}
    assert all(raw_by_id[mid or ""] == sha for mid, sha, _ in stored), (
        "stored bytes are the sent bytes"
    )
    with sqlite3.connect(settings.broker_url) as queue:
        bodies = [json.loads(b) for (b,) in queue.execute("SELECT body FROM queue_message")]
    enqueued = {b["args"][0] for b in bodies if b["actor_name"] == "split"}
    assert {doc_id for _, _, doc_id in stored} <= enqueued, "a stored mail was never enqueued"

    doc_ids = [doc_id for _, _, doc_id in stored]
    with ThreadPoolExecutor(8) as pool:  # as the workers would: concurrently
        list(pool.map(lambda doc_id: split_step(rt, doc_id), doc_ids))
    for doc_id in doc_ids:  # a duplicate queue message must cost nothing
        assert split_step(rt, doc_id) == []
    with rt.tx() as s:
        children = list(s.scalars(select(Document).where(Document.kind == "file")))
    assert len(children) == TOTAL
    assert len({c.parent_id for c in children}) == TOTAL
    reset_runtime(None)
    dispose_engines()
