"""scripts/send_sample.py against a real SMTP server on loopback."""

from __future__ import annotations

import email
import email.policy
import importlib.util
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

ROOT = Path(__file__).resolve().parent.parent
SEND_SAMPLE = ROOT / "scripts" / "send_sample.py"
UBL_NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}


class Collector:
    """Keeps every delivered envelope."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Collector]]:
    collector = Collector()
    port = _free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, collector
    finally:
        controller.stop()


def _send(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SEND_SAMPLE), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _parsed(envelope: Envelope) -> EmailMessage:
    content: Any = envelope.original_content or envelope.content
    message = email.message_from_bytes(content, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_send_sample_delivers_an_invoice_to_the_address(
    smtp_server: tuple[int, Collector], tmp_path: Path
) -> None:
    port, collector = smtp_server
    invoice = tmp_path / "factuur-2024-001.pdf"
    invoice.write_bytes(b"%PDF-1.4\n% sample\n%%EOF\n")
    address = "demo-abc@dossiers.boekbox.localhost"
    result = _send(address, "--port", str(port), "--file", str(invoice))
    assert result.returncode == 0, result.stderr
    assert len(collector.envelopes) == 1
    envelope = collector.envelopes[0]
    assert envelope.rcpt_tos == [address]
    parts = list(_parsed(envelope).iter_attachments())
    assert [(p.get_filename(), p.get_content_type()) for p in parts] == [
        ("factuur-2024-001.pdf", "application/pdf")
    ]
    assert parts[0].get_content() == invoice.read_bytes()


def test_send_sample_default_attachments_are_invoices(smtp_server: tuple[int, Collector]) -> None:
    port, collector = smtp_server
    result = _send("demo@dossiers.boekbox.localhost", "--port", str(port))
    assert result.returncode == 0, result.stderr
    parts = list(_parsed(collector.envelopes[0]).iter_attachments())
    assert parts, "no attachment sent"
    for part in parts:
        assert part.get_content_type() in {"application/pdf", "application/xml", "text/xml"}
        body = part.get_payload(decode=True)
        assert isinstance(body, bytes)
        assert body.startswith((b"%PDF", b"<?xml"))


def test_builtin_ubl_invoice_adds_up() -> None:
    spec = importlib.util.spec_from_file_location("send_sample", SEND_SAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    root = ET.fromstring(module.builtin_ubl(date(2024, 3, 1)))

    def amount(path: str) -> Decimal:
        node = root.find(path, UBL_NS)
        assert node is not None, path
        assert node.text is not None, path
        return Decimal(node.text)

    assert root.findtext("cbc:IssueDate", namespaces=UBL_NS) == "2024-03-01"
    excl = amount("cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount")
    vat = amount("cac:TaxTotal/cbc:TaxAmount")
    assert excl + vat == amount("cac:LegalMonetaryTotal/cbc:PayableAmount")
    assert amount("cac:InvoiceLine/cbc:LineExtensionAmount") == excl


def test_send_sample_reports_an_unreachable_server() -> None:
    result = _send("demo@dossiers.boekbox.localhost", "--port", str(_free_port()))
    assert result.returncode == 1
    assert "could not deliver" in result.stderr
