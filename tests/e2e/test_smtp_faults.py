"""SMTP intake under storage faults, with a real ``boekbox smtp`` process.

* PostgreSQL unreachable for 10 s (every connection through a loopback TCP
  relay is cut and new ones refused): the server answers 451, the sender
  retries, and once the database is back the mail is stored exactly once,
  nothing half-stored in between.
* The blob store's disk full (a 1 MiB tmpfs mounted for the test; needs root):
  452, no partial or corrupt blob left; once space is freed the retry is stored.
"""

from __future__ import annotations

import contextlib
import email.policy
import hashlib
import os
import socket
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.e2e.e2e_support import (
    CORPUS,
    Stack,
    assert_every_state_has_its_reason,
    running,
    send_mail,
    smtp_server,
)

pytestmark = pytest.mark.slow

ADDRESS = "janssens@dossiers.boekbox.test"


class Relay:
    """A loopback TCP relay to a server that can be cut (``down``) and restored (``up``)."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.is_up = True
        self.closed = False
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                continue  # closed (the loop ends) or a client that gave up
            if not self.is_up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def down(self) -> None:
        self.is_up = False
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    def up(self) -> None:
        self.is_up = True

    def close(self) -> None:
        self.closed = True
        self.down()
        self.listener.close()


def _mail(subject: str, attachment: bytes, filename: str, message_id: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "facturatie@elektro-peeters.example"
    msg["To"] = ADDRESS
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg.set_content("Beste klant, in bijlage onze factuur.")
    maintype, subtype = ("application", "pdf") if filename.endswith(".pdf") else ("image", "png")
    msg.add_attachment(attachment, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes(policy=email.policy.SMTP)  # CRLF line ends, as on the wire


def _counts(stack: Stack) -> tuple[int, int]:
    mails = stack.sql("SELECT COUNT(*) FROM mail")[0][0]
    docs = stack.sql("SELECT COUNT(*) FROM document")[0][0]
    return int(mails), int(docs)


def test_postgres_unreachable_for_10_s_means_451_then_the_retry_is_stored_once(
    tmp_path: Path, fresh_pg_url: str
) -> None:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(fresh_pg_url)
    relay = Relay(int(parts.port or 5432))
    relayed = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{relay.port}"))
    stack = Stack.embedded(tmp_path, database_url=relayed)
    pdf = (CORPUS / "pdf" / "zc_EN16931_Miete.pdf").read_bytes()
    other = (CORPUS / "pdf" / "zc_EN16931_Einfach.pdf").read_bytes()
    first = _mail("Factuur 1", pdf, "factuur-1.pdf", "<first@elektro-peeters.example>")
    second = _mail("Factuur 2", other, "factuur-2.pdf", "<second@elektro-peeters.example>")
    try:
        _deliver_through_an_outage(stack, relay, first, second)
    finally:
        relay.close()


def _deliver_through_an_outage(stack: Stack, relay: Relay, first: bytes, second: bytes) -> None:
    stack.init_dossier()
    with smtp_server(stack) as port:
        assert send_mail(port, ADDRESS, first) == (250, "accepted")
        relay.down()
        outage_ends = time.monotonic() + 10
        replies = []
        while time.monotonic() < outage_ends:  # the sender retries every 2 s
            replies.append(send_mail(port, ADDRESS, second))
            time.sleep(2)
        relay.up()
        assert replies
        assert {code for code, _ in replies} == {451}, replies
        during = _counts(stack)
        code, text = send_mail(port, ADDRESS, second)
        deadline = time.monotonic() + 30
        while code != 250 and time.monotonic() < deadline:  # pool reconnecting
            time.sleep(1)
            code, text = send_mail(port, ADDRESS, second)
        assert code == 250, text
        assert send_mail(port, ADDRESS, second)[0] == 250  # a duplicate delivery: stored once
    assert during == (1, 1)  # nothing of the refused attempts was stored
    assert stack.sql("SELECT COUNT(*) FROM mail")[0][0] == 2
    message_ids = sorted(r[0] for r in stack.sql("SELECT message_id FROM mail"))
    assert message_ids == ["first@elektro-peeters.example", "second@elektro-peeters.example"]
    with running(stack):
        stack.start_worker("worker", "--processes", "1")
        states = stack.wait_until_settled(timeout=240)
    assert_every_state_has_its_reason(states)
    names = {d["filename"]: d["state"] for d in stack.documents() if d["kind"] == "file"}
    assert set(names) == {"factuur-1.pdf", "factuur-2.pdf"}


@pytest.fixture
def tiny_disk(small_tmpfs: Callable[[str], Path]) -> Path:
    return small_tmpfs("1m")


def _fill(disk: Path, leave: int) -> Path:
    filler = disk / "filler"
    stat = os.statvfs(disk)
    free = stat.f_bavail * stat.f_frsize
    filler.write_bytes(b"\0" * max(0, free - leave))
    return filler


def _blob_files(disk: Path) -> list[Path]:
    return [p for p in disk.rglob("*") if p.is_file() and p.name != "filler"]


def test_blob_disk_full_means_452_and_no_partial_blob(tmp_path: Path, tiny_disk: Path) -> None:
    stack = Stack.embedded(tmp_path, blob_store=str(tiny_disk))
    stack.init_dossier()
    pdf = (CORPUS / "pdf" / "zc_EN16931_Miete.pdf").read_bytes()
    big = _mail("Factuur", pdf + os.urandom(300_000), "factuur.pdf", "<big@elektro-peeters.ex>")
    with smtp_server(stack) as port:
        filler = _fill(tiny_disk, leave=64 * 1024)
        code, text = send_mail(port, ADDRESS, big)
        assert code == 452, text
        assert _blob_files(tiny_disk) == []  # no partial blob, no temp file left behind
        assert _counts(stack) == (0, 0)
        filler.unlink()
        code, text = send_mail(port, ADDRESS, big)
        assert code == 250, text
    blobs = _blob_files(tiny_disk)
    assert len(blobs) == 1
    assert hashlib.sha256(blobs[0].read_bytes()).hexdigest() == blobs[0].name
    assert blobs[0].read_bytes() == big  # the whole mail as received
    assert _counts(stack) == (1, 1)
