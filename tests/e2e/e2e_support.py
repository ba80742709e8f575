"""Drive whole boekbox deployments as real processes for the end-to-end tests.

A :class:`Stack` is one deployment's configuration (``BOEKBOX_*`` variables):
the embedded default (SQLite database, SQLite queue, local blob directory) or
the scale-out one (PostgreSQL, Redis, S3).  Commands run as ``boekbox``
subprocesses; workers are started in their own session and working directory
so scale-out workers share nothing but the servers.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
MAIL_DOMAIN = "dossiers.boekbox.test"
ACTIVE = {"received", "extracted"}
NEEDS_REASON = {"failed", "quarantined", "rejected", "duplicate", "no_attachment"}
QUEUES = ("split", "extract", "ocr", "propose")  # pipeline.actors: LIGHT_QUEUES + OCR_QUEUE

#: The customer of the crafted corpus mails (mail/*.eml are addressed to it).
JANSSENS = ("Bakkerij Janssens BV", "BE0712345630")


@dataclass
class Stack:
    name: str
    root: Path
    env: dict[str, str]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    # ------------------------------------------------------------------ set-ups

    @classmethod
    def embedded(cls, root: Path, **extra: str) -> Stack:
        env = {
            "BOEKBOX_DATABASE_URL": f"sqlite:///{root / 'var' / 'boekbox.db'}",
            "BOEKBOX_BLOB_STORE": str(root / "var" / "blobs"),
            "BOEKBOX_BROKER": "sqlite",
            "BOEKBOX_BROKER_URL": str(root / "var" / "queue.db"),
        }
        return cls("embedded", root, _base_env(env, extra))

    @classmethod
    def scale_out(
        cls, root: Path, *, pg_url: str, redis_url: str, s3_endpoint: str, bucket: str, **extra: str
    ) -> Stack:
        from tests.e2e.seaweed import ACCESS_KEY, SECRET_KEY

        env = {
            "BOEKBOX_DATABASE_URL": pg_url,
            "BOEKBOX_BLOB_STORE": f"s3://{bucket}/blobs",
            "BOEKBOX_S3_ENDPOINT_URL": s3_endpoint,
            "BOEKBOX_S3_ACCESS_KEY": ACCESS_KEY,
            "BOEKBOX_S3_SECRET_KEY": SECRET_KEY,
            "BOEKBOX_BROKER": "redis",
            "BOEKBOX_BROKER_URL": redis_url,
        }
        return cls("scale-out", root, _base_env(env, extra))

    @property
    def database_url(self) -> str:
        return self.env["BOEKBOX_DATABASE_URL"]

    # ------------------------------------------------------------------ commands

    def run(
        self, *args: str, check: bool = True, timeout: float = 300, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", *args],
            env=self.env,
            cwd=cwd or self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check:
            assert proc.returncode == 0, f"boekbox {' '.join(args)}:\n{proc.stderr[-3000:]}"
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def init_dossier(self, name: str = JANSSENS[0], vat: str = JANSSENS[1]) -> str:
        self.run("init")
        local = name.split()[1].lower() if " " in name else name.lower()
        return self.run("dossier", "add", name, "--vat", vat, "--address", local).stdout.strip()

    def ingest(self, dossier: str, paths: Iterable[Path], *, check: bool = True) -> Any:
        proc = self.run("ingest", *map(str, paths), "--dossier", dossier, "--json", check=check)
        return json.loads(proc.stdout) if proc.returncode == 0 else proc

    def documents(self) -> list[dict[str, Any]]:
        return list(self.json("documents", "--all-kinds", "--limit", "100000"))

    # ------------------------------------------------------------------ workers

    def start_worker(self, label: str, *args: str, **extra_env: str) -> subprocess.Popen[bytes]:
        """``boekbox worker ARGS`` in its own directory and process session."""
        home = self.root / label
        home.mkdir(parents=True, exist_ok=True)
        log = (home / "worker.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "worker", *args],
            env={**self.env, **extra_env},
            cwd=home,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.workers.append(proc)
        return proc

    def worker_logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
            for p in sorted(self.root.glob("*/worker.log"))
        )

    def stop_workers(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.workers:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.workers.clear()

    # ------------------------------------------------------------------ queue and states

    def queue_pending(self) -> int:
        """Messages queued, delayed for a retry, or being processed."""
        url = self.env["BOEKBOX_BROKER_URL"]
        if self.env["BOEKBOX_BROKER"] == "sqlite":
            if not Path(url).exists():
                return 0
            with contextlib.closing(sqlite3.connect(url, timeout=30)) as db:
                try:
                    row = db.execute("SELECT COUNT(*) FROM queue_message WHERE dead = 0")
                except sqlite3.OperationalError:
                    return 0
                return int(row.fetchone()[0])
        import redis

        client = redis.Redis.from_url(url)
        try:
            return sum(
                int(client.hlen(f"dramatiq:{q}{suffix}.msgs"))
                for q in QUEUES
                for suffix in ("", ".DQ")
            )
        finally:
            client.close()

    def states(self) -> list[tuple[int, str, str, str | None]]:
        """(id, kind, state, reason) of every document, straight from the database."""
        rows = self.sql("SELECT id, kind, state, state_reason FROM document ORDER BY id")
        return [(int(r[0]), str(r[1]), str(r[2]), r[3]) for r in rows]

    def sql(self, query: str, **params: Any) -> list[tuple[Any, ...]]:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(text(query), params)]
        finally:
            engine.dispose()

    def wait_until_settled(self, timeout: float = 300) -> list[tuple[int, str, str, str | None]]:
        """Wait for an empty queue, then return the states (none may still be working).

        Fails when the queue is empty but a document is still in ``received`` or
        ``extracted`` (a lost message), or when the queue does not drain in time.
        """
        deadline = time.monotonic() + timeout
        empty_polls = 0
        while True:
            for proc in self.workers:
                assert proc.poll() is None, f"a worker exited:\n{self.worker_logs()}"
            pending = self.queue_pending()
            empty_polls = empty_polls + 1 if pending == 0 else 0
            if empty_polls >= 2:
                states = self.states()
                left = [s for s in states if s[2] in ACTIVE]
                assert not left, f"queue empty but documents left working: {left}"
                return states
            assert time.monotonic() < deadline, (
                f"{pending} messages still queued after {timeout}s; states {self.states()}\n"
                f"{self.worker_logs()}"
            )
            time.sleep(1.0)


def _base_env(config: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOEKBOX_")}
    # the test servers' URLs are not configuration of the deployment under test
    env.update(config)
    env.update({"BOEKBOX_MAIL_DOMAIN": MAIL_DOMAIN, "BOEKBOX_LOG_LEVEL": "INFO"})
    env.update({f"BOEKBOX_{k.upper()}": v for k, v in extra.items()})
    return env


@contextlib.contextmanager
def running(stack: Stack) -> Iterator[Stack]:
    try:
        yield stack
    finally:
        stack.stop_workers()


def assert_every_state_has_its_reason(states: list[tuple[int, str, str, str | None]]) -> None:
    missing = [s for s in states if s[2] in NEEDS_REASON and not (s[3] or "").strip()]
    assert not missing, f"states without a reason: {missing}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def crlf(raw: bytes) -> bytes:
    """Line ends as on the wire (corpus files may use bare LF)."""
    return re.sub(rb"\r?\n", b"\r\n", raw)


def send_mail(port: int, address: str, raw: bytes) -> tuple[int, str]:
    """(code, text) of the final reply; transient refusals come back as their code."""
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
            client.ehlo("sender.example")
            client.sendmail("facturatie@supplier.example", [address], crlf(raw))
            return 250, "accepted"
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        return int(code), text.decode(errors="replace")
    except smtplib.SMTPResponseException as exc:
        return int(exc.smtp_code), exc.smtp_error.decode(errors="replace")


@contextlib.contextmanager
def smtp_server(stack: Stack) -> Iterator[int]:
    port = free_port()
    log = (stack.root / "smtp.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "smtp"],
        env={**stack.env, "BOEKBOX_SMTP_PORT": str(port)},
        cwd=stack.root,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            assert proc.poll() is None, (stack.root / "smtp.log").read_text()
            assert time.monotonic() < deadline, "boekbox smtp did not listen"
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
