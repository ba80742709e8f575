"""The SMTP server over loopback with smtplib: replies, routing, storage failures,
redelivery, allow-list, STARTTLS, limits, PROXY protocol and clean shutdown.

Real aiosmtpd server, real SQLite database and blob directory in tmp_path."""

from __future__ import annotations

import asyncio
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import MAIL_DOMAIN, RunningServer, add_dossier
from sqlalchemy import func, select

from intake.smtp_handler import TEMPORARY, IntakeHandler
from pipeline.runtime import Runtime
from pipeline.steps import split_step
from storage import repo
from storage.models import Blob, Document, Mail

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


# ----------------------------------------------------------------------------- protocol


def test_ehlo_advertises_extensions_and_banner_hides_version(
    janssens: Runtime, start_server: Start
) -> None:
    srv = start_server(janssens)
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        banner = sock.recv(200)
    assert banner.startswith(b"220 mx.boekbox.test boekbox ESMTP")
    assert b"aiosmtpd" not in banner
    assert b"1.4" not in banner
    with srv.client() as c:
        code, _ = c.ehlo("client.test")
        assert code == 250
        assert c.esmtp_features["size"] == str(janssens.settings.smtp_max_bytes)
        for ext in ("8bitmime", "smtputf8", "pipelining", "enhancedstatuscodes"):
            assert ext in c.esmtp_features, ext
        assert "auth" not in c.esmtp_features
        assert "starttls" not in c.esmtp_features
        # ENHANCEDSTATUSCODES is advertised, so aiosmtpd's own replies carry them too
        assert c.noop() == (250, b"2.0.0 OK")
        assert c.docmd("DATA") == (503, b"5.5.1 Error: need RCPT command")
        assert c.docmd("MAIL", "FROM:<a@b.example> BODY=9BIT")[1][:5] == b"5.5.4"
        assert c.rset() == (250, b"2.0.0 OK")
        assert c.docmd("HELP", "EHLO") == (250, b"2.0.0 Syntax: EHLO hostname")


def test_unknown_and_disabled_recipients_get_550(janssens: Runtime, start_server: Start) -> None:
    with janssens.tx() as s:
        repo.get_dossier(s, DUBOIS).enabled = False
    srv = start_server(janssens)
    with srv.client() as c:
        c.ehlo("client.test")
        assert c.mail("a@b.example")[0] == 250
        code, text = c.rcpt(f"nobody@{MAIL_DOMAIN}")
        assert (code, text[:5]) == (550, b"5.1.1")
        assert c.rcpt(DUBOIS)[0] == 550
        assert c.rcpt("bakkerij-janssens@elsewhere.example")[0] == 550
        assert c.rcpt(f"Bakkerij-Janssens+facturen@{MAIL_DOMAIN.upper()}") == (250, b"2.1.5 OK")
        code, reply = c.data(invoice_mail())
    assert code == 250
    with janssens.tx() as s:
        doc = s.get(Document, queued_ids(reply)[0])
        assert doc is not None
        assert doc.dossier_id == repo.get_dossier(s, JANSSENS).id
    assert count(janssens, Mail) == 1


def test_oversize_is_552_5_3_4_at_mail_and_at_data(
    make_rt: Callable[..., Runtime], start_server: Start
) -> None:
    rt = make_rt(smtp_max_bytes=10_000)
    add_dossier(rt, "bakkerij-janssens")
    srv = start_server(rt)
    big = invoice_mail() + (b"X" * 70 + b"\r\n") * 200
    with srv.client() as c:
        c.ehlo("client.test")
        code, text = c.mail("a@b.example", ["SIZE=20000"])
        assert (code, text[:5]) == (552, b"5.3.4")
        assert c.mail("a@b.example")[0] == 250
        assert c.rcpt(JANSSENS)[0] == 250
        code, text = c.data(big)
        assert (code, text[:5]) == (552, b"5.3.4")
        # the session goes on: a mail within the limit is accepted
        assert c.mail("a@b.example")[0] == 250
        assert c.rcpt(JANSSENS)[0] == 250
        assert c.data(invoice_mail())[0] == 250
    assert count(rt, Mail) == 1


# ----------------------------------------------------------------------------- storage trouble


def test_blob_store_failure_is_451_and_nothing_is_stored(
    janssens: Runtime, start_server: Start
) -> None:
    srv = start_server(janssens)
    tmp = Path(janssens.settings.blob_store) / "tmp"
    shutil.rmtree(tmp)
    tmp.write_bytes(b"not a directory")  # every blob write fails (even for root)
    code, text = deliver(srv, invoice_mail(), [JANSSENS])
    assert (code, text[:5]) == (451, b"4.3.0")
    assert count(janssens, Mail) == 0
    assert srv.enqueued.ids == []
    tmp.unlink()
    tmp.mkdir()
    code, _ = deliver(srv, invoice_mail(), [JANSSENS])  # the sender's retry succeeds
    assert code == 250
    assert count(janssens, Mail) == 1


def test_database_down_is_451_at_rcpt(make_rt: Callable[..., Runtime], start_server: Start) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there
    rt = make_rt(database_url=f"postgresql+psycopg://boekbox@127.0.0.1:{port}/boekbox")
    srv = start_server(rt)
    with srv.client() as c:
        c.ehlo("client.test")
        assert c.mail("a@b.example")[0] == 250
        code, text = c.rcpt(JANSSENS)
    assert (code, text[:5]) == (451, b"4.3.0")


def test_disk_full_is_452(
    make_rt: Callable[..., Runtime], start_server: Start, tmp_path: Path
) -> None:
    blobs = tmp_path / "tiny"
    blobs.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(blobs)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        rt = make_rt(blob_store=str(blobs))
        add_dossier(rt, "bakkerij-janssens")
        srv = start_server(rt)
        raw = invoice_mail() + (b"Y" * 70 + b"\r\n") * 3000
        code, text = deliver(srv, raw, [JANSSENS])
        assert (code, text[:5]) == (452, b"4.3.1")
        assert count(rt, Mail) == 0
        srv.thread.stop()
    finally:
        subprocess.run(["umount", str(blobs)], check=False)


def test_enqueue_failure_after_commit_still_250(janssens: Runtime, start_server: Start) -> None:
    def broken(ids: object) -> None:
        raise ConnectionError("broker down")

    srv = start_server(janssens, enqueue=broken)
    code, reply = deliver(srv, invoice_mail(), [JANSSENS])
    assert code == 250  # committed; the reconciler re-sends what was not enqueued
    with janssens.tx() as s:
        doc = s.get(Document, queued_ids(reply)[0])
        assert doc is not None
        assert doc.state == "received"


def test_handler_bug_is_transient() -> None:
    handler = IntakeHandler.__new__(IntakeHandler)
    assert asyncio.run(handler.handle_exception(ZeroDivisionError("bug"))) == TEMPORARY
    assert TEMPORARY.startswith("451 4.3.0")


# ----------------------------------------------------------------------------- routing, redelivery


def test_redelivery_is_one_record(janssens: Runtime, start_server: Start) -> None:
    srv = start_server(janssens)
    raw = invoice_mail(7)
    code, first = deliver(srv, raw, [JANSSENS])
    assert code == 250
    relayed = b"Received: from relay.example by mx; Mon, 1 Jun 2026 10:00:00 +0000\r\n"
    relayed += b"Delivered-To: " + JANSSENS.encode() + b"\r\n" + raw
    code, second = deliver(srv, relayed, [JANSSENS], sender="bounce@relay.example")
    assert code == 250
    assert queued_ids(first) == queued_ids(second)
    assert count(janssens, Mail) == 1
    assert count(janssens, Blob) == 1
    code, _ = deliver(srv, invoice_mail(8), [JANSSENS])  # another mail is another record
    assert count(janssens, Mail) == 2


def test_one_mail_to_two_dossiers_is_one_blob_two_records(
    janssens: Runtime, start_server: Start
) -> None:
    srv = start_server(janssens)
    rcpts = [JANSSENS, DUBOIS, f"bakkerij-janssens+x@{MAIL_DOMAIN}"]
    code, reply = deliver(srv, invoice_mail(), rcpts)
    assert code == 250
    ids = queued_ids(reply)
    assert len(ids) == 2
    assert sorted(srv.enqueued.ids) == sorted(ids)
    with janssens.tx() as s:
        docs = [s.get(Document, i) for i in ids]
        assert len({d.blob_sha256 for d in docs if d}) == 1
        assert len({d.dossier_id for d in docs if d}) == 2
        mails = list(s.scalars(select(Mail).order_by(Mail.id)))
        assert [sorted(m.envelope_to) for m in mails] == [sorted([rcpts[0], rcpts[2]]), [DUBOIS]]
    assert count(janssens, Blob) == 1


def test_null_sender_and_dsn_are_stored_not_answered(
    janssens: Runtime, start_server: Start
) -> None:
    srv = start_server(janssens)
    dsn = (
        "From: MAILER-DAEMON@relay.example\r\nTo: " + JANSSENS + "\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\n"
        "Message-ID: <dsn.1@relay.example>\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n--b--\r\n"
    ).encode()
    with srv.client() as c:
        c.ehlo("relay.example")
        assert c.mail("<>") == (250, b"2.1.0 OK")
        assert c.rcpt(JANSSENS)[0] == 250
        code, reply = c.data(dsn)
    assert code == 250
    doc_id = queued_ids(reply)[0]
    assert split_step(janssens, doc_id) == []
    with janssens.tx() as s:
        doc = s.get(Document, doc_id)
        assert doc is not None
        assert doc.state == "no_attachment"
        mail = s.get(Mail, doc.mail_id)
        assert mail is not None
        assert mail.envelope_from == ""


def test_allow_list_quarantines_unlisted_senders(smtp_rt: Runtime, start_server: Start) -> None:
    add_dossier(
        smtp_rt,
        "bakkerij-janssens",
        allowed_senders=["boekhouding@janssens.example", "@vandamme.example"],
    )
    srv = start_server(smtp_rt)
    results = {}
    for n, sender in enumerate(
        ["boekhouding@janssens.example", "Facturen@VanDamme.example", "spam@elders.example"]
    ):
        code, reply = deliver(srv, invoice_mail(n, sender=sender), [JANSSENS], sender=sender)
        assert code == 250  # stored, never dropped nor bounced
        doc_id = queued_ids(reply)[0]
        split_step(smtp_rt, doc_id)
        with smtp_rt.tx() as s:
            doc = s.get(Document, doc_id)
            assert doc is not None
            mail = s.get(Mail, doc.mail_id)
            assert mail is not None
            results[sender] = (mail.sender_allowed, doc.state)
    assert results == {
        "boekhouding@janssens.example": (True, "split"),
        "Facturen@VanDamme.example": (True, "split"),
        "spam@elders.example": (False, "quarantined"),
    }


# ----------------------------------------------------------------------------- TLS, PROXY


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=mx.boekbox.test", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_starttls_with_a_test_certificate(
    make_rt: Callable[..., Runtime], start_server: Start, tmp_path: Path
) -> None:
    cert, key = _self_signed(tmp_path)
    rt = make_rt(smtp_tls_cert=str(cert), smtp_tls_key=str(key))
    add_dossier(rt, "bakkerij-janssens")
    srv = start_server(rt)
    ctx = ssl.create_default_context(cafile=str(cert))
    ctx.check_hostname = False
    with srv.client() as c:
        c.ehlo("client.test")
        assert "starttls" in c.esmtp_features
        assert c.starttls(context=ctx)[0] == 220
        c.ehlo("client.test")
        assert "starttls" not in c.esmtp_features
        assert "auth" not in c.esmtp_features  # no AUTH on the MX, not even under TLS
        assert isinstance(c.sock, ssl.SSLSocket)
        assert c.sock.version() is not None
        assert c.mail("a@b.example")[0] == 250
        assert c.rcpt(JANSSENS)[0] == 250
        assert c.data(invoice_mail())[0] == 250
    assert count(rt, Mail) == 1


def test_proxy_protocol_peer_address(make_rt: Callable[..., Runtime], start_server: Start) -> None:
    rt = make_rt(smtp_proxy_protocol=True)
    add_dossier(rt, "bakkerij-janssens")
    srv = start_server(rt)
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        f = sock.makefile("rwb")
        f.write(b"PROXY TCP4 203.0.113.7 192.0.2.1 40000 25\r\n")
        f.flush()
        assert f.readline().startswith(b"220 ")
        for line in (
            b"HELO client.test",
            b"MAIL FROM:<a@b.example>",
            b"RCPT TO:<" + JANSSENS.encode() + b">",
            b"DATA",
        ):
            f.write(line + b"\r\n")
            f.flush()
            assert f.readline()[:1] in (b"2", b"3")
        f.write(invoice_mail() + b".\r\n")
        f.flush()
        assert f.readline().startswith(b"250 2.0.0")
    with rt.tx() as s:
        assert [m.peer_ip for m in s.scalars(select(Mail))] == ["203.0.113.7"]
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(b"HELO no-proxy-header\r\n")  # without the header: dropped
        sock.settimeout(15)
        assert sock.recv(100) == b""


# ----------------------------------------------------------------------------- limits


def test_global_connection_cap_is_421(make_rt: Callable[..., Runtime], start_server: Start) -> None:
    rt = make_rt(smtp_max_connections=2)
    srv = start_server(rt)
    first, second = srv.client(), srv.client()
    with pytest.raises(smtplib.SMTPConnectError) as refused:
        srv.client()
    assert refused.value.smtp_code == 421
    assert refused.value.smtp_error[:5] in (b"4.7.0", "4.7.0")
    first.quit()
    time.sleep(0.2)
    third = srv.client()  # a slot is free again
    assert third.noop()[0] == 250
    second.quit()
    third.quit()


def test_per_ip_connection_cap_and_message_rate(
    make_rt: Callable[..., Runtime], start_server: Start
) -> None:
    rt = make_rt(smtp_max_connections_per_ip=1, smtp_max_messages_per_minute_per_ip=2)
    add_dossier(rt, "bakkerij-janssens")
    srv = start_server(rt)
    with srv.client() as c:
        with pytest.raises(smtplib.SMTPConnectError) as refused:
            srv.client()
        assert refused.value.smtp_code == 421
        c.ehlo("client.test")
        for n in range(2):
            assert c.mail("a@b.example")[0] == 250
            assert c.rcpt(JANSSENS)[0] == 250
            assert c.data(invoice_mail(n))[0] == 250
        code, text = c.mail("a@b.example")
        assert (code, text[:5]) == (451, b"4.7.1")
    assert count(rt, Mail) == 2


def test_idle_connection_times_out(make_rt: Callable[..., Runtime], start_server: Start) -> None:
    srv = start_server(make_rt(smtp_command_timeout=0.5))
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        assert sock.recv(100).startswith(b"220")
        t0 = time.monotonic()
        assert sock.recv(100) == b""
        assert time.monotonic() - t0 < 5


# ----------------------------------------------------------------------------- shutdown


def test_shutdown_finishes_data_and_refuses_idle_sessions(
    janssens: Runtime, start_server: Start
) -> None:
    srv = start_server(janssens)
    idle = srv.client()
    idle.ehlo("idle.test")
    busy = socket.create_connection(("127.0.0.1", srv.port), timeout=20)
    f = busy.makefile("rwb")
    assert f.readline().startswith(b"220")
    for line in (
        b"HELO busy.test",
        b"MAIL FROM:<a@b.example>",
        b"RCPT TO:<" + JANSSENS.encode() + b">",
        b"DATA",
    ):
        f.write(line + b"\r\n")
        f.flush()
        f.readline()
    raw = invoice_mail(3)
    f.write(raw[:200])
    f.flush()
    stopper = threading.Thread(target=srv.thread.stop, kwargs={"grace": 15})
    stopper.start()
    time.sleep(0.5)
    code, text = idle.mail("a@b.example")  # the idle session got 421 and was closed
    assert (code, text[:5]) == (421, b"4.3.2")
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=2)  # no longer accepting
    f.write(raw[200:] + b".\r\n")
    f.flush()
    assert f.readline().startswith(b"250 2.0.0")  # the transaction in DATA finished
    stopper.join(30)
    assert not stopper.is_alive()
    busy.close()
    assert count(janssens, Mail) == 1
