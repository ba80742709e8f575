"""`boekbox up` with real processes: a killed SMTP server, UI or worker service is started
again and the rest stays up (issue 18 item 2); SIGTERM stops everything cleanly."""

from __future__ import annotations

import json
import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from test_cli import _env, boekbox

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("make_run")]

BOOT_S = 180.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _ui_healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def _processes() -> list[tuple[int, int, str]]:
    out = subprocess.run(["ps", "-eo", "pid,ppid,args"], capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines()[1:]:
        parts = line.split(None, 2)
        if len(parts) == 3:
            rows.append((int(parts[0]), int(parts[1]), parts[2]))
    return rows


def _child(parent: int, marker: str) -> int | None:
    return next((p for p, pp, args in _processes() if pp == parent and marker in args), None)


def _children(parent: int, marker: str) -> set[int]:
    return {p for p, pp, args in _processes() if pp == parent and marker in args}


def _alive(pid: int) -> bool:
    return any(p == pid for p, _, _ in _processes())


class Up:
    def __init__(self, proc: subprocess.Popen[bytes], env: dict[str, str], log: Path) -> None:
        self.proc, self.env, self.log = proc, env, log
        self.smtp_port = int(env["BOEKBOX_SMTP_PORT"])
        self.ui_port = int(env["BOEKBOX_UI_PORT"])

    def wait(self, check: Callable[[], object], what: str, timeout: float = BOOT_S) -> object:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"boekbox up exited before {what}:\n{self.tail()}"
            got = check()
            if got:
                return got
            time.sleep(0.2)
        pytest.fail(f"{what} not within {timeout:.0f} s:\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    env = {
        **_env(tmp_path),
        "BOEKBOX_SMTP_PORT": str(_free_port()),
        "BOEKBOX_UI_PORT": str(_free_port()),
        "BOEKBOX_WORKER_PROCESSES": "1",
        "BOEKBOX_WORKER_THREADS": "1",
        "BOEKBOX_MAIL_AUTH": "header",  # no DNS look-ups from the test
        "BOEKBOX_MAIL_AUTH_TRUSTED_AUTHSERV_ID": "mx.boekbox.test",
        "BOEKBOX_LOG_LEVEL": "INFO",
    }
    boekbox(tmp_path, "init")
    log = tmp_path / "up.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "up"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield Up(proc, env, log)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        print(log.read_text(errors="replace")[-4000:])


def _mail(port: int, to: str, subject: str) -> dict[str, tuple[int, bytes]]:
    msg = EmailMessage()
    msg["From"] = "facturen@leverancier.test"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("Factuur in bijlage.")
    msg.add_attachment(b"not really a pdf", maintype="application", subtype="pdf", filename="f.pdf")
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        return smtp.send_message(msg)  # raises unless every recipient got 250


def _mails(tmp_path: Path) -> int:
    rows = json.loads(boekbox(tmp_path, "documents", "--json", "--all-kinds").stdout)
    return sum(1 for r in rows if r["kind"] == "mail")


def test_killed_smtp_ui_and_worker_service_are_restarted_and_sigterm_stops_all(
    tmp_path: Path, up: Up
) -> None:
    address = boekbox(tmp_path, "dossier", "add", "Bakkerij Janssens").stdout.strip()
    root = up.proc.pid
    up.wait(lambda: _port_open(up.smtp_port), "SMTP listening")
    up.wait(lambda: _ui_healthy(up.ui_port), "UI healthy")
    worker = up.wait(lambda: _child(root, "pipeline.cli worker"), "worker service")
    workers = up.wait(lambda: _children(int(worker), "pipeline.workerproc"), "worker processes")

    # kill -9 the SMTP server: a new one answers and accepts a mail
    smtp = _child(root, "pipeline.cli smtp")
    assert smtp is not None
    os.kill(smtp, signal.SIGKILL)
    new_smtp = up.wait(
        lambda: (p := _child(root, "pipeline.cli smtp")) and p != smtp and p, "a new SMTP server"
    )
    up.wait(lambda: _port_open(up.smtp_port), "SMTP listening again", 60)
    assert _mail(up.smtp_port, address, "after the SMTP restart") == {}
    assert _ui_healthy(up.ui_port)  # the UI never noticed

    # kill -9 the UI: the port answers again; SMTP keeps accepting meanwhile
    ui = _child(root, "streamlit")
    assert ui is not None
    os.kill(ui, signal.SIGKILL)
    assert _mail(up.smtp_port, address, "while the UI restarts") == {}
    up.wait(lambda: (p := _child(root, "streamlit")) and p != ui, "a new UI")
    up.wait(lambda: _ui_healthy(up.ui_port), "UI healthy again")

    # kill -9 the worker service: its worker processes go with it (no orphans) and a new
    # service with its own workers takes over
    os.kill(int(worker), signal.SIGKILL)
    up.wait(lambda: not any(_alive(p) for p in workers), "the old worker processes gone", 60)
    new_worker = up.wait(
        lambda: (p := _child(root, "pipeline.cli worker")) and p != worker and p,
        "a new worker service",
    )
    up.wait(lambda: _children(int(new_worker), "pipeline.workerproc"), "new worker processes")
    assert _child(root, "pipeline.cli smtp") == new_smtp  # untouched by the others' restarts
    assert _mails(tmp_path) == 2  # both mails accepted during the restarts were stored

    log = up.log.read_text(errors="replace")
    for name in ("SMTP server", "UI", "worker service"):
        assert f"{name} " in log, log
    assert log.count("stopped unexpectedly (signal SIGKILL)") == 3, log

    # SIGTERM: everything stops, cleanly, and nothing is left behind
    everything = {p for p, pp, _ in _processes() if pp == root}
    os.kill(root, signal.SIGTERM)
    assert up.proc.wait(timeout=90) == 0, up.tail()
    assert "boekbox stopped" in up.tail()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(p) for p in everything):
        time.sleep(0.2)
    assert not any(_alive(p) for p in everything)
    assert not _port_open(up.smtp_port)
    assert not _port_open(up.ui_port)
