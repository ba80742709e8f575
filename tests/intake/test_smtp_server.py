"""The SMTP server over loopback with smtplib: replies, routing, storage failures,
redelivery, allow-list and the null sender.

Real aiosmtpd server, real SQLite database and blob directory in tmp_path."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from smtp_support import (
    DUBOIS,
    JANSSENS,
    MAIL_DOMAIN,
    Start,
    add_dossier,
    count,
    deliver,
    invoice_mail,
    queued_ids,
)
from sqlalchemy import select

from intake.smtp_handler import TEMPORARY, IntakeHandler
from pipeline.runtime import Runtime
from pipeline.steps import split_step
from storage import repo
from storage.models import Blob, Document, Mail

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


def test_allow_list_quarantines_unlisted_senders(
    make_rt: Callable[..., Runtime], start_server: Start
) -> None:
    """The allow-list judges the sender authenticated by SPF (here) or DKIM, aligned with
    the From header: a listed From address sent through another domain's SPF is a spoof."""
    from dnsserver import LocalDns

    zone = LocalDns().start()
    for domain in ("janssens.example", "vandamme.example", "elders.example"):
        zone.add(domain, "TXT", '"v=spf1 ip4:127.0.0.1 -all"')
    zone.add("dezon.example", "TXT", '"v=spf1 ip4:192.0.2.1 -all"')  # not our client
    smtp_rt = make_rt(dns_servers=zone.servers, dns_timeout_seconds=2.0)
    add_dossier(
        smtp_rt,
        "bakkerij-janssens",
        allowed_senders=["boekhouding@janssens.example", "@vandamme.example", "@dezon.example"],
    )
    srv = start_server(smtp_rt)
    results = {}
    cases = [
        ("boekhouding@janssens.example", "boekhouding@janssens.example"),
        ("Facturen@VanDamme.example", "Facturen@VanDamme.example"),
        ("spam@elders.example", "spam@elders.example"),
        ("spoof@elders.example", "boekhouding@janssens.example"),  # MAIL FROM, From header
        ("facturen@dezon.example", "facturen@dezon.example"),  # listed, SPF fails
    ]
    for n, (sender, header_from) in enumerate(cases):
        raw = invoice_mail(n, sender=header_from)
        code, reply = deliver(srv, raw, [JANSSENS], sender=sender)
        assert code == 250  # stored, never dropped nor bounced
        doc_id = queued_ids(reply)[0]
        split_step(smtp_rt, doc_id)
        with smtp_rt.tx() as s:
            doc = s.get(Document, doc_id)
            assert doc is not None
            mail = s.get(Mail, doc.mail_id)
            assert mail is not None
            results[sender] = (mail.sender_allowed, doc.state)
    zone.stop()
    assert results == {
        "boekhouding@janssens.example": (True, "split"),
        "Facturen@VanDamme.example": (True, "split"),
        "spam@elders.example": (False, "quarantined"),
        "spoof@elders.example": (False, "quarantined"),
        "facturen@dezon.example": (False, "quarantined"),
    }
