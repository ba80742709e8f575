"""The README's `make run` promise, end to end, with real processes on loopback.

`scripts/run_demo.py` (what `make run` runs) initialises the database and a demo dossier and
prints the dossier address and a command that mails it a sample invoice; `boekbox up` then
serves SMTP, the worker and the UI. Running the printed command must make the invoice show up
as documents, and Ctrl-C must stop everything.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BOOT_TIMEOUT = 120.0
PIPELINE_TIMEOUT = 180.0

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("make_run")]


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


def _wait(
    check: Callable[[], bool], what: str, timeout: float, proc: subprocess.Popen[Any]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"boekbox up exited ({proc.returncode}) before {what}"
        if check():
            return
        time.sleep(0.5)
    pytest.fail(f"{what} not within {timeout:.0f}s")


def _ui_healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


@pytest.fixture
def demo_env(tmp_path: Path) -> dict[str, str]:
    pytest.importorskip("pipeline.cli")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOEKBOX_")}
    env.update(
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        BOEKBOX_DATABASE_URL=f"sqlite:///{tmp_path}/boekbox.db",
        BOEKBOX_BLOB_STORE=str(tmp_path / "blobs"),
        BOEKBOX_BROKER="sqlite",
        BOEKBOX_BROKER_URL=str(tmp_path / "queue.db"),
        BOEKBOX_SMTP_PORT=str(_free_port()),
        BOEKBOX_UI_PORT=str(_free_port()),
        BOEKBOX_WORKER_PROCESSES="1",
        BOEKBOX_WORKER_THREADS="1",
    )
    return env


@pytest.fixture
def demo(demo_env: dict[str, str]) -> tuple[str, str]:
    """What `make run` does before `boekbox up`: (demo address, printed send command)."""
    return _run_demo(demo_env)


@pytest.fixture
def boekbox_up(
    demo_env: dict[str, str], demo: tuple[str, str], tmp_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    log = (tmp_path / "up.log").open("wb")
    proc = subprocess.Popen(
        [str(BIN / "boekbox"), "up"],
        cwd=ROOT,
        env=demo_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, like a terminal's Ctrl-C
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        print((tmp_path / "up.log").read_text(errors="replace")[-4000:])


def _run_demo(env: dict[str, str]) -> tuple[str, str]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "run_demo.py"), "--no-up"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    address = re.search(r"demo dossier\s+(\S+@\S+)", result.stdout)
    command = re.search(r"^\s+(\S*python\S* scripts/send_sample\.py \S+)$", result.stdout, re.M)
    assert address is not None, result.stdout
    assert command is not None, result.stdout
    assert command.group(1).endswith(address.group(1))
    assert f"http://127.0.0.1:{env['BOEKBOX_UI_PORT']}" in result.stdout
    return address.group(1), command.group(1)


def _documents(env: dict[str, str]) -> list[dict[str, Any]]:
    result = subprocess.run(
        [str(BIN / "boekbox"), "documents", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert isinstance(rows, list)
    return rows


def test_run_demo_is_idempotent(demo_env: dict[str, str]) -> None:
    first, _ = _run_demo(demo_env)
    second, _ = _run_demo(demo_env)
    assert first == second, "a second `make run` must reuse the demo dossier"


def test_mail_sent_with_the_printed_command_becomes_documents(
    demo_env: dict[str, str], demo: tuple[str, str], boekbox_up: subprocess.Popen[bytes]
) -> None:
    # Given the demo set up by make run and the services up
    _address, command = demo
    smtp_port, ui_port = int(demo_env["BOEKBOX_SMTP_PORT"]), int(demo_env["BOEKBOX_UI_PORT"])
    _wait(lambda: _port_open(smtp_port), "SMTP listening", BOOT_TIMEOUT, boekbox_up)
    _wait(lambda: _ui_healthy(ui_port), "UI healthy", BOOT_TIMEOUT, boekbox_up)

    # When the printed one-line command is run
    argv = shlex.split(command)
    argv[0] = sys.executable if argv[0] in {"python3", ".venv/bin/python"} else argv[0]
    sent = subprocess.run(
        argv, cwd=ROOT, env=demo_env, capture_output=True, text=True, timeout=60, check=False
    )
    assert sent.returncode == 0, sent.stderr
    names = re.search(r": (.+)$", sent.stdout.strip())
    assert names is not None, sent.stdout
    filenames = set(names.group(1).split(", "))

    # Then every attachment becomes a document that the pipeline moves past its work states
    def settled() -> bool:
        rows = _documents(demo_env)
        by_name = {row.get("filename"): row for row in rows}
        return filenames <= set(by_name) and all(
            by_name[name].get("state") not in {"received", "extracted"} for name in filenames
        )

    _wait(settled, f"documents {sorted(filenames)} processed", PIPELINE_TIMEOUT, boekbox_up)

    # And Ctrl-C stops all three services
    os.killpg(boekbox_up.pid, signal.SIGINT)
    assert boekbox_up.wait(timeout=60) is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (_port_open(smtp_port) or _port_open(ui_port)):
        time.sleep(0.5)
    assert not _port_open(smtp_port), "SMTP still listening after Ctrl-C"
    assert not _port_open(ui_port), "UI still listening after Ctrl-C"
