"""The SMTP server over loopback: STARTTLS, PROXY protocol, connection and message
limits, command timeout and clean shutdown.

Real aiosmtpd server, real SQLite database and blob directory in tmp_path."""

from __future__ import annotations

import shutil
import smtplib
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from smtp_support import (
    JANSSENS,
    Start,
    add_dossier,
    count,
    invoice_mail,
)
from sqlalchemy import select

from pipeline.runtime import Runtime
from storage.models import Mail

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
        assert sock.recv(100).startswith(b"421 4.4.2")  # said why, then closed
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
