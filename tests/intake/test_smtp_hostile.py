"""Hostile senders over real loopback SMTP (issue 18): idle and RSET exhaustion, the
command cap, DATA spooled to disk, a slow DATA, bad MAIL FROM bytes, untrusted PROXY
headers, postmaster, and the per-dossier daily intake cap.

Real aiosmtpd server, real SQLite database (and PostgreSQL where marked) in tmp_path."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Callable
from typing import BinaryIO

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

from intake.smtp_limits import MemoryBudget
from pipeline.runtime import Runtime
from storage import intake_guard, repo
from storage.db import migrate
from storage.models import Blob, Document, Dossier, Mail


class Raw:
    """A raw SMTP client on a socket (for what smtplib will not send)."""

    def __init__(self, port: int, *, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.file: BinaryIO = self.sock.makefile("rwb")

    def line(self) -> bytes:
        return self.file.readline()

    def reply(self) -> bytes:
        """One whole (possibly multi-line) reply; its last line."""
        while True:
            line = self.line()
            if len(line) < 4 or line[3:4] != b"-":
                return line

    def send(self, data: bytes) -> None:
        self.file.write(data)
        self.file.flush()

    def cmd(self, line: bytes) -> bytes:
        self.send(line + b"\r\n")
        return self.reply()

    def close(self) -> None:
        with contextlib.suppress(OSError):  # the server may have closed it already
            self.file.close()
        self.sock.close()


# ----------------------------------------------------------------------------- exhaustion


def test_idle_sessions_are_shed_when_the_server_is_near_its_cap(
    make_rt: Callable[..., Runtime], start_server: Start
) -> None:
    rt = make_rt(smtp_max_connections=10, smtp_busy_timeout=0.3)
    add_dossier(rt, "bakkerij-janssens")
    srv = start_server(rt)
    idle = [Raw(srv.port) for _ in range(10)]  # fills the cap and says nothing more
    for conn in idle:
        assert conn.line().startswith(b"220")
        assert conn.cmd(b"EHLO idle.test").startswith(b"250")
    time.sleep(0.6)
    code, reply = deliver(srv, invoice_mail(), [JANSSENS])  # a real sender still gets in
    assert code == 250, reply
    assert count(rt, Mail) == 1
    said = []
    for conn in idle:  # those idle while the server was busy were closed with 421
        conn.sock.settimeout(0.5)
        try:
            said.append(conn.line())
        except TimeoutError:
            said.append(b"(still open)")
        conn.close()
    assert sum(s.startswith(b"421 4.4.2") for s in said) >= 3, said


def test_rset_and_noop_do_not_keep_a_session_open(
    make_rt: Callable[..., Runtime], start_server: Start
) -> None:
    srv = start_server(make_rt(smtp_command_timeout=1.0))
    conn = Raw(srv.port)
    assert conn.line().startswith(b"220")
    assert conn.cmd(b"EHLO keepalive.test").startswith(b"250")
    t0 = time.monotonic()
    closed_with = b""
    while time.monotonic() - t0 < 6:
        time.sleep(0.2)
        try:
            answer = conn.cmd(b"RSET" if int(time.monotonic() * 5) % 2 else b"NOOP")
        except OSError:
            break
        if not answer.startswith(b"250"):
            closed_with = answer
            break
    elapsed = time.monotonic() - t0
    conn.close()
    assert closed_with.startswith(b"421 4.4.2"), closed_with
    assert elapsed < 3  # about the 1 s idle timeout, however many RSETs


def test_every_command_is_counted_per_session(
    make_rt: Callable[..., Runtime], start_server: Start
) -> None:
    srv = start_server(make_rt(smtp_max_commands=5))
    conn = Raw(srv.port)
    assert conn.line().startswith(b"220")
    for _ in range(5):
        assert conn.cmd(b"RSET").startswith(b"250")
    assert conn.cmd(b"RSET").startswith(b"421 4.7.0")
    conn.sock.settimeout(5)
    assert conn.line() == b""  # closed
    conn.close()


def _big_mail(size: int) -> bytes:
    lines = [b"." + str(n).encode() + b" a line that starts with a dot" for n in range(20)]
    body = b"\r\n".join(lines) + b"\r\n" + (b"Z" * 998 + b"\r\n") * (size // 1000)
    return invoice_mail() + body


def test_large_data_is_spooled_and_stored_exactly(
    make_rt: Callable[..., Runtime], start_server: Start
) -> None:
    rt = make_rt(smtp_spool_bytes=64 * 1024, smtp_memory_budget_bytes=1024 * 1024)
    add_dossier(rt, "bakkerij-janssens")
    srv = start_server(rt)
    raw = _big_mail(3_000_000)
    code, reply = deliver(srv, raw, [JANSSENS])
    assert code == 250, reply
    state = srv.server.state
    # went through the spool: loaded within the memory budget (a mail larger than the
    # whole budget passes alone), and released afterwards
    peak = state.budget.peak
    assert peak >= 2 * len(raw)
    assert state.budget.used == 0
    with rt.tx() as s:
        doc = s.get(Document, queued_ids(reply)[0])
        assert doc is not None
        assert rt.blobs.get(doc.blob_sha256) == raw  # dot-stuffing undone, nothing lost
    small = invoice_mail(2)
    assert deliver(srv, small, [JANSSENS])[0] == 250
    assert state.budget.peak == peak  # a small mail never touches the spool


def test_spooled_data_over_the_size_limit_is_552(
    make_rt: Callable[..., Runtime], start_server: Start
) -> None:
    rt = make_rt(smtp_spool_bytes=16 * 1024, smtp_max_bytes=200_000)
    add_dossier(rt, "bakkerij-janssens")
    srv = start_server(rt)
    with srv.client() as c:
        c.ehlo("client.test")
        assert c.mail("a@b.example")[0] == 250
        assert c.rcpt(JANSSENS)[0] == 250
        code, text = c.data(_big_mail(400_000))
        assert (code, text[:5]) == (552, b"5.3.4")
    assert count(rt, Mail) == 0


def test_data_timeout_restarts_on_progress(
    make_rt: Callable[..., Runtime], start_server: Start
) -> None:
    rt = make_rt(smtp_command_timeout=1.0, smtp_spool_bytes=8192)
    add_dossier(rt, "bakkerij-janssens")
    srv = start_server(rt)
    conn = Raw(srv.port)
    assert conn.line().startswith(b"220")
    for line in (
        b"HELO slow.test",
        b"MAIL FROM:<a@b.example>",
        b"RCPT TO:<" + JANSSENS.encode() + b">",
    ):
        assert conn.cmd(line).startswith(b"250")
    assert conn.cmd(b"DATA").startswith(b"354")
    raw = _big_mail(60_000)
    stuffed = raw.replace(b"\r\n.", b"\r\n..")
    step = len(stuffed) // 10 + 1
    t0 = time.monotonic()
    for pos in range(0, len(stuffed), step):  # a slow link: 3 s in all, > the 1 s timeout
        conn.send(stuffed[pos : pos + step])
        time.sleep(0.3)
    conn.send(b".\r\n")
    assert time.monotonic() - t0 > 2.5
    assert conn.reply().startswith(b"250 2.0.0")
    conn.close()
    with rt.tx() as s:
        (mail,) = s.scalars(select(Mail))
        assert rt.blobs.get(mail.raw_sha256) == raw


def test_a_trickling_data_is_cut_off_only_while_the_server_is_busy(
    make_rt: Callable[..., Runtime], start_server: Start
) -> None:
    rt = make_rt(smtp_max_connections=10, smtp_busy_timeout=0.5, smtp_spool_bytes=4096)
    add_dossier(rt, "bakkerij-janssens")
    srv = start_server(rt, min_data_rate=20_000.0)
    slow = Raw(srv.port)
    assert slow.line().startswith(b"220")
    rcpt = b"RCPT TO:<" + JANSSENS.encode() + b">"
    for line in (b"HELO slow.test", b"MAIL FROM:<a@b.example>", rcpt):
        assert slow.cmd(line).startswith(b"250")
    assert slow.cmd(b"DATA").startswith(b"354")
    slow.send(invoice_mail())

    def trickle(seconds: float) -> bool:
        """Send 1.2 kB every 0.2 s (6 kB/s); False once the server closed the connection."""
        end = time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                slow.send(b"T" * 1198 + b"\r\n")
                time.sleep(0.2)
        except OSError:
            return False
        return True

    assert trickle(1.5)  # not busy: a slow link may take its time
    others = [Raw(srv.port) for _ in range(8)]  # now busy (80% of 10)
    for conn in others:
        assert conn.line().startswith(b"220")
        assert conn.cmd(b"NOOP").startswith(b"250")
    assert not trickle(5)  # busy: below the minimum rate it is cut off
    for conn in others:
        conn.close()
    slow.close()
    assert srv.server.state.shed >= 1
    assert count(rt, Mail) == 0


def test_memory_budget_is_first_come_first_served() -> None:
    async def run() -> list[str]:
        budget = MemoryBudget(100)
        order: list[str] = []
        await budget.acquire(60)

        async def take(name: str, size: int) -> None:
            await budget.acquire(size)
            order.append(name)

        waiting = [asyncio.create_task(take("a", 50)), asyncio.create_task(take("b", 10))]
        await asyncio.sleep(0)
        assert order == []  # b would fit, but waits behind a
        budget.release(60)
        await asyncio.gather(*waiting)
        assert budget.used == 60
        big = asyncio.create_task(take("huge", 500))  # larger than the budget: alone
        await asyncio.sleep(0)
        assert order == ["a", "b"]
        budget.release(60)
        await big
        return order

    assert asyncio.run(run()) == ["a", "b", "huge"]


# ----------------------------------------------------------------------------- bad senders


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
@pytest.mark.parametrize(
    "sender",
    [b"fact\xe9ur@b.example", b"a\x00b@b.example", b"a\x01@b.example", b"x" * 330 + b"@b.example"],
)
def test_a_sender_that_cannot_be_stored_is_refused_at_mail(
    database: str,
    sender: bytes,
    make_rt: Callable[..., Runtime],
    start_server: Start,
    request: pytest.FixtureRequest,
) -> None:
    if database == "postgresql":
        url = request.getfixturevalue("fresh_pg_url")
        migrate(url)
        rt = make_rt(database_url=url)
    else:
        rt = make_rt()
    add_dossier(rt, "bakkerij-janssens")
    srv = start_server(rt)
    conn = Raw(srv.port)
    assert conn.line().startswith(b"220")
    assert conn.cmd(b"EHLO client.test").startswith(b"250")
    assert conn.cmd(b"MAIL FROM:<" + sender + b">").startswith(b"553 5.1.7")  # permanent
    assert conn.cmd(b"RCPT TO:<" + JANSSENS.encode() + b">").startswith(b"503")
    assert conn.cmd(b"DATA").startswith(b"503")  # it never reaches DATA
    conn.close()
    code, _ = deliver(srv, invoice_mail(), [JANSSENS], sender="fine@b.example")
    assert code == 250
    assert count(rt, Mail) == 1


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_header_with_nul_is_stored_not_refused_at_data_forever(
    database: str,
    make_rt: Callable[..., Runtime],
    start_server: Start,
    request: pytest.FixtureRequest,
) -> None:
    if database == "postgresql":
        url = request.getfixturevalue("fresh_pg_url")
        migrate(url)
        rt = make_rt(database_url=url)
    else:
        rt = make_rt()
    add_dossier(rt, "bakkerij-janssens")
    srv = start_server(rt)
    raw = invoice_mail().replace(b"Subject: Factuur 1", b"Subject: =?utf-8?b?AGE=?= \x00x")
    raw = raw.replace(b"Message-ID: <invoice.1@", b"Message-ID: <inv\x00oice.1@")
    raw = raw.replace(b"From: facturatie", b"From: =?utf-8?q?a=00b?= facturatie")
    code, reply = deliver(srv, raw, [JANSSENS])
    assert code == 250, reply  # PostgreSQL refuses NUL in text: was 451 on every retry
    with rt.tx() as s:
        (mail,) = s.scalars(select(Mail))
        assert "\x00" not in (mail.subject or "") + (mail.from_header or "")
        assert "\x00" not in (mail.message_id or "")
        assert rt.blobs.get(mail.raw_sha256) == raw  # the mail itself is kept as sent
    assert deliver(srv, raw, [JANSSENS])[0] == 250  # a redelivery is the same record
    assert count(rt, Mail) == 1


# ----------------------------------------------------------------------------- PROXY, postmaster


def test_proxy_header_from_an_untrusted_peer_is_refused(
    make_rt: Callable[..., Runtime], start_server: Start
) -> None:
    rt = make_rt(smtp_proxy_protocol=True, smtp_trusted_proxies="10.0.0.0/8, 192.0.2.7")
    add_dossier(rt, "bakkerij-janssens")
    srv = start_server(rt)
    conn = Raw(srv.port)
    assert conn.line().startswith(b"421 4.7.0")  # at once, before any PROXY header
    conn.sock.settimeout(5)
    assert conn.line() == b""
    conn.close()
    assert count(rt, Mail) == 0


def test_proxy_unknown_may_talk_but_not_send_mail(
    make_rt: Callable[..., Runtime], start_server: Start
) -> None:
    rt = make_rt(smtp_proxy_protocol=True)  # loopback is trusted by default
    add_dossier(rt, "bakkerij-janssens")
    srv = start_server(rt)
    conn = Raw(srv.port)
    conn.send(b"PROXY UNKNOWN\r\n")
    assert conn.line().startswith(b"220")
    assert conn.cmd(b"HELO balancer.test").startswith(b"250")
    assert conn.cmd(b"NOOP").startswith(b"250")  # a health check works
    assert conn.cmd(b"MAIL FROM:<a@b.example>").startswith(b"550 5.7.1")
    conn.close()
    assert count(rt, Mail) == 0


def test_postmaster_is_accepted_and_goes_to_the_system_dossier(
    janssens: Runtime, start_server: Start
) -> None:
    srv = start_server(janssens)
    with srv.client() as c:
        c.ehlo("client.test")
        assert c.mail("a@b.example")[0] == 250
        assert c.rcpt("Postmaster")[0] == 250  # RFC 5321: without a domain
        assert c.rcpt(f"POSTMASTER@{MAIL_DOMAIN.upper()}")[0] == 250
        assert c.rcpt("postmaster@elsewhere.example")[0] == 550
        code, reply = c.data(invoice_mail())
    assert code == 250
    with janssens.tx() as s:
        doc = s.get(Document, queued_ids(reply)[0])
        assert doc is not None
        dossier = s.get(Dossier, doc.dossier_id)
        assert dossier is not None
        assert (dossier.name, dossier.mailbox) == (
            "Postmaster (system)",
            f"postmaster@{MAIL_DOMAIN}",
        )
    assert deliver(srv, invoice_mail(2), [f"postmaster@{MAIL_DOMAIN}"])[0] == 250
    with janssens.tx() as s:
        assert (
            len(list(s.scalars(select(Dossier).where(Dossier.name == "Postmaster (system)")))) == 1
        )


# ----------------------------------------------------------------------------- intake cap


def test_daily_intake_cap_answers_452_and_alerts_the_accountant(
    make_rt: Callable[..., Runtime], start_server: Start
) -> None:
    rt = make_rt(intake_bytes_per_day=10_000_000)  # the default, for atelier-dubois
    add_dossier(rt, "bakkerij-janssens")
    add_dossier(rt, "atelier-dubois")
    with rt.tx() as s:
        repo.get_dossier(s, JANSSENS).settings = {"intake_bytes_per_day": 25_000}
    srv = start_server(rt)
    mails = [invoice_mail(n) + b"J" * 10_000 + b"\r\n" for n in range(4)]
    assert deliver(srv, mails[0], [JANSSENS])[0] == 250
    assert deliver(srv, mails[1], [JANSSENS])[0] == 250
    code, text = deliver(srv, mails[2], [JANSSENS])  # would pass 25 000 bytes today
    assert (code, text[:5]) == (452, b"4.2.2")
    with srv.client() as c:  # a declared SIZE is refused at RCPT already
        c.ehlo("client.test")
        assert c.mail("a@b.example", [f"SIZE={len(mails[3])}"])[0] == 250
        code, text = c.rcpt(JANSSENS)
        assert (code, text[:5]) == (452, b"4.2.2")
        assert c.rcpt(DUBOIS)[0] == 250  # the other dossier has its own cap
    assert deliver(srv, mails[3], [DUBOIS])[0] == 250
    with rt.tx() as s:
        janssens_id = repo.get_dossier(s, JANSSENS).id
        alerts = intake_guard.list_alerts(s, [janssens_id])
        assert [a.action for a in alerts] == ["alert.intake_limit"]  # once a day, not per mail
        assert alerts[0].detail["limit"] == 25_000
        assert intake_guard.list_alerts(s, [repo.get_dossier(s, DUBOIS).id]) == []
        assert intake_guard.intake_bytes_since(s, janssens_id, intake_guard.day_start()) == sum(
            len(m) for m in mails[:2]
        )
    assert count(rt, Mail) == 3
    assert count(rt, Blob) == 3
