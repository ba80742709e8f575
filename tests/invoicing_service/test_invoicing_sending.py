"""Sending over real loopback servers: an HTTP server that follows the access point's
document submission API (the Peppol network is not reachable here), and an aiosmtpd
relay with STARTTLS and AUTH.  A send is stored before it leaves and never sent twice."""

from __future__ import annotations

import base64
import datetime as dt
import email
import json
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from dbfixtures import make_runtime
from sqlalchemy import update
from test_invoicing_service import CUSTOMER, setup, spec

from pipeline.runtime import Runtime, reset_runtime
from pipeline.service import SYSTEM, Refused
from pipeline.service.sales_common import deliver_send
from storage.models import InvoiceSend


class AccessPoint(ThreadingHTTPServer):
    """``POST /document_submissions`` with Bearer auth, deduplicated on idempotencyGuid."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[dict[str, Any]] = []
        self.by_key: dict[str, str] = {}
        self.fail_next = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api/v2"


class _Handler(BaseHTTPRequestHandler):
    server: AccessPoint

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path != "/api/v2/document_submissions":
            return self._answer(404, {"error": "not found"})
        if self.headers.get("Authorization") != "Bearer secret-key":
            return self._answer(401, {"error": "unauthorized"})
        if self.server.fail_next:
            self.server.fail_next -= 1
            return self._answer(503, {"error": "maintenance"})
        key = body["idempotencyGuid"]
        if key not in self.server.by_key:
            self.server.by_key[key] = f"guid-{len(self.server.by_key) + 1}"
            self.server.received.append(body)
        return self._answer(200, {"guid": self.server.by_key[key]})


@pytest.fixture
def access_point() -> Iterator[AccessPoint]:
    srv = AccessPoint()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _rt(runtime: Runtime, tmp_path: Path, **overrides: object) -> Runtime:
    reset_runtime(None)
    return make_runtime(runtime.settings.database_url, tmp_path, **overrides)


def test_peppol_send_through_the_access_point_api(
    runtime: Runtime, tmp_path: Path, access_point: AccessPoint
) -> None:
    rt = _rt(runtime, tmp_path, peppol_ap_url=access_point.url, peppol_ap_token="secret-key")
    svc, did, cid = setup(rt)
    inv = svc.issue(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid)).id)
    access_point.fail_next = 1  # the access point is down once: queued, not lost
    first = svc.send(SYSTEM, inv.id, now=True)
    assert (first.channel, first.state) == ("peppol", "queued")
    assert "503" in (first.reason or "")
    assert access_point.received == []
    assert svc.retry_sends(SYSTEM) == 1
    (sent,) = svc.sends(SYSTEM, inv.id)
    assert sent.state == "sent"
    assert sent.destination == "0208:0202239951"
    (body,) = access_point.received
    assert body["idempotencyGuid"] == sent.message_id
    assert body["routing"]["eIdentifiers"] == [{"scheme": "BE:EN", "id": "0202239951"}]
    ubl = base64.b64decode(body["document"]["rawDocumentData"]["document"])
    assert ubl == svc.invoice_ubl(SYSTEM, inv.id)[0]
    # a crash after the access point took it but before "sent" was stored: the retry
    # (once the other delivery's lease ran out) reuses the message id, and the access
    # point keeps one copy
    with rt.tx() as s:
        from storage import invoicing as store

        row = store.get_send(s, sent.id)
        row.state = "sending"
    assert deliver_send(svc, sent.id) == "sending"  # being delivered: not a second time
    with rt.tx() as s:
        s.execute(
            update(InvoiceSend)
            .where(InvoiceSend.id == sent.id)
            .values(updated_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6))
        )
    assert deliver_send(svc, sent.id) == "sent"
    assert len(access_point.received) == 1
    assert svc.retry_sends(SYSTEM) == 0  # nothing left to send


def test_unreachable_access_point_stays_queued(runtime: Runtime, tmp_path: Path) -> None:
    rt = _rt(runtime, tmp_path, peppol_ap_url="http://127.0.0.1:9/api", peppol_ap_token="k")
    svc, did, cid = setup(rt)
    inv = svc.issue(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid)).id)
    with pytest.raises(Refused, match="invalid enterprise number"):
        svc.send(SYSTEM, inv.id, channel="peppol", to="0208:0202239952")
    sent = svc.send(SYSTEM, inv.id, now=True)
    assert sent.state == "queued"
    assert "unreachable" in (sent.reason or "")
    again = svc.send(SYSTEM, inv.id, deliver=False)
    assert again.id == sent.id  # one send per invoice on its way, not two


class _Relay:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


def _auth(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"u", b"p")
    return AuthResult(success=ok)


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[tuple[_Relay, int]]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=relay.test", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert), str(key))
    handler = _Relay()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ctl = Controller(
        handler, hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=True,
        authenticator=_auth, auth_require_tls=True,
    )  # fmt: skip
    ctl.start()
    yield handler, port
    ctl.stop()


def test_mail_with_pdf_and_ubl_over_starttls_and_the_mandate_warning(
    runtime: Runtime, tmp_path: Path, relay: tuple[_Relay, int]
) -> None:
    handler, port = relay
    url = f"smtp://u:p@127.0.0.1:{port}?starttls=1&verify=0"
    rt = _rt(runtime, tmp_path, outgoing_smtp_url=url)
    svc, did, cid = setup(rt)
    inv = svc.issue(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid)).id)
    sent = svc.send(SYSTEM, inv.id, now=True)
    assert sent.state == "sent", sent.reason
    assert any("not a valid invoice under the e-invoicing mandate" in w for w in sent.warnings)
    (raw,) = handler.messages
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["To"] == CUSTOMER["email"]
    assert sent.message_id in msg["Message-ID"]
    names = sorted(p.get_filename() for p in msg.iter_attachments())
    assert names == ["F2026-0001.pdf", "F2026-0001.xml"]
    assert deliver_send(svc, sent.id) == "sent"  # sent is final: never twice
    assert len(handler.messages) == 1


def test_unconfigured_channel_and_a_draft_are_refused(runtime: Runtime) -> None:
    svc, did, cid = setup(runtime)
    inv = svc.issue(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid)).id)
    with pytest.raises(Refused, match="BOEKBOX_OUTGOING_SMTP_URL"):
        svc.send(SYSTEM, inv.id, channel="email")
    with pytest.raises(Refused, match="only an issued invoice can be sent"):
        svc.send(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid)).id)


def test_reminder_run_mails_each_level_once(
    runtime: Runtime, tmp_path: Path, relay: tuple[_Relay, int]
) -> None:
    handler, port = relay
    rt = _rt(runtime, tmp_path, outgoing_smtp_url=f"smtp://u:p@127.0.0.1:{port}?verify=0")
    svc, did, cid = setup(rt)
    inv = svc.issue(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid)).id)
    late = dt.date(2026, 5, 1)
    (due,) = svc.run_reminders(SYSTEM, did, today=late)
    assert due.send_id is not None
    assert (due.invoice_id, due.level) == (inv.id, 1)
    assert svc.run_reminders(SYSTEM, today=late) == []  # the daily run again: nothing new
    (raw,) = handler.messages
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == due.subject
    assert [s.purpose for s in svc.sends(SYSTEM, inv.id)] == ["reminder"]
