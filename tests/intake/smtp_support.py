"""Helpers for the SMTP server tests (test modules import them from here;
the fixtures live in conftest.py)."""

from __future__ import annotations

import dataclasses
import re
import smtplib
import threading
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from intake.server import IntakeServer, ServerThread
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from storage import repo

ROOT = Path(__file__).resolve().parents[2]
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
