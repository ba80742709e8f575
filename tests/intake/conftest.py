"""Fixtures for the SMTP server tests: a real SQLite database and blob directory in
tmp_path, and a real aiosmtpd server on a loopback port (in-process, on its own
event loop thread).  Nothing here is autouse: the splitter tests do not see it."""

from __future__ import annotations

import dataclasses
import re
import smtplib
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from intake.server import IntakeServer, ServerThread  # noqa: E402
from pipeline.runtime import Runtime, build_runtime, reset_runtime  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from storage import repo  # noqa: E402
from storage.db import dispose_engines, migrate  # noqa: E402

MAIL_DOMAIN = "dossiers.boekbox.test"
MAIL_DIR = ROOT / ".." / "shared" / "corpus" / "mail"


def smtp_settings(tmp_path: Path, **overrides: Any) -> Settings:
    base = Settings(
        database_url=f"sqlite:///{tmp_path / 'boekbox.db'}",
        blob_store=str(tmp_path / "blobs"),
        broker="stub",
        broker_url=str(tmp_path / "queue.db"),
        mail_domain=MAIL_DOMAIN,
        smtp_host="127.0.0.1",
        smtp_port=0,
    )
    return dataclasses.replace(base, **overrides)


@pytest.fixture
def make_rt(tmp_path: Path) -> Iterator[Callable[..., Runtime]]:
    """``make_rt(**settings)`` -> a migrated runtime on tmp_path."""

    def build(**overrides: Any) -> Runtime:
        settings = smtp_settings(tmp_path, **overrides)
        if settings.database_url.startswith("sqlite"):
            migrate(settings.database_url)
        rt = build_runtime(settings)
        reset_runtime(rt)
        return rt

    yield build
    reset_runtime(None)
    dispose_engines()


@pytest.fixture
def smtp_rt(make_rt: Callable[..., Runtime]) -> Runtime:
    return make_rt()


class Enqueued:
    """The enqueue hook of a test server: records the document ids sent to split."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self._lock = threading.Lock()

    def __call__(self, document_ids: Sequence[int]) -> None:
        with self._lock:
            self.ids.extend(document_ids)


@dataclasses.dataclass
class RunningServer:
    server: IntakeServer
    thread: ServerThread
    enqueued: Enqueued

    @property
    def port(self) -> int:
        return self.server.port

    def client(self, **kwargs: Any) -> smtplib.SMTP:
        return smtplib.SMTP("127.0.0.1", self.port, timeout=30, **kwargs)


@pytest.fixture
def start_server() -> Iterator[Callable[..., RunningServer]]:
    """``start_server(rt, **IntakeServer kwargs)`` -> a running server; stopped at teardown."""
    running: list[RunningServer] = []

    def start(rt: Runtime, **kwargs: Any) -> RunningServer:
        enqueued = Enqueued()
        kwargs.setdefault("enqueue", enqueued)
        kwargs.setdefault("hostname", "mx.boekbox.test")
        thread = ServerThread(rt, **kwargs)
        srv = RunningServer(thread.start(), thread, enqueued)
        running.append(srv)
        return srv

    yield start
    for srv in running:
        srv.thread.stop()


def add_dossier(rt: Runtime, local: str, *, allowed_senders: Sequence[str] = ()) -> int:
    with rt.tx() as s:
        dossier = repo.create_dossier(
            s, name=local, mailbox=f"{local}@{MAIL_DOMAIN}", allowed_senders=allowed_senders
        )
        return dossier.id


# ----------------------------------------------------------------------------- helpers

Start = Callable[..., RunningServer]
JANSSENS = f"bakkerij-janssens@{MAIL_DOMAIN}"
DUBOIS = f"atelier-dubois@{MAIL_DOMAIN}"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def invoice_mail(n: int = 1, *, sender: str = "facturatie@leverancier.example") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = JANSSENS
    msg["Subject"] = f"Factuur {n}"
    msg["Message-ID"] = f"<invoice.{n}@leverancier.example>"
    msg.set_content("In bijlage onze factuur.")
    msg.add_attachment(PDF + str(n).encode(), maintype="application", subtype="pdf",
                       filename=f"F{n}.pdf")  # fmt: skip
    return msg.as_bytes().replace(b"\n", b"\r\n")


def queued_ids(reply: bytes) -> list[int]:
    found = re.search(rb"queued as ([\d,]+)", reply)
    assert found, reply
    return [int(i) for i in found.group(1).split(b",")]


def deliver(
    srv: RunningServer, raw: bytes, rcpts: list[str], sender: str = "a@b.example"
) -> tuple[int, bytes]:
    with srv.client() as c:
        c.ehlo("client.test")
        assert c.mail(sender)[0] == 250
        for rcpt in rcpts:
            assert c.rcpt(rcpt)[0] == 250
        return c.data(raw)


def count(rt: Runtime, model: type) -> int:
    with rt.tx() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def janssens(smtp_rt: Runtime) -> Runtime:
    add_dossier(smtp_rt, "bakkerij-janssens")
    add_dossier(smtp_rt, "atelier-dubois")
    return smtp_rt
