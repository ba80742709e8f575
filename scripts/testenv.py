#!/usr/bin/env python3
"""Run one command with throwaway PostgreSQL and Redis servers on loopback.

Usage::

    python3 scripts/testenv.py [--no-postgres] [--no-redis] -- COMMAND [ARG...]

Both servers listen on free 127.0.0.1 ports and keep their data in one
temporary directory.  The command sees::

    BOEKBOX_TEST_PG_URL=postgresql+psycopg://boekbox@127.0.0.1:PORT/postgres
    BOEKBOX_TEST_REDIS_URL=redis://127.0.0.1:PORT/0
    BOEKBOX_REQUIRE_SERVERS=1

The servers are stopped and the directory removed when the command ends,
fails, or this script is interrupted (SIGINT/SIGTERM).  The exit status is
the command's.  PostgreSQL refuses to run as root, so when started as root
the cluster belongs to the ``postgres`` system user (``runuser``).

Standard library only: it runs before the project's virtualenv exists.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

READY_TIMEOUT = 60.0
PG_USER = "boekbox"


class ServerError(RuntimeError):
    """A test server could not be started."""


def log(message: str) -> None:
    print(f"testenv: {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_bindir() -> Path:
    """Newest Debian PostgreSQL, else whatever ``pg_ctl`` is on PATH."""

    def version(pg_ctl: str) -> int:
        name = Path(pg_ctl).parent.parent.name
        return int(name) if name.isdigit() else 0

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=version)
    if candidates:
        return Path(candidates[-1]).parent
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).resolve().parent
    raise ServerError("PostgreSQL server binaries not found: apt-get install postgresql")


def as_postgres_user(argv: list[str]) -> list[str]:
    """Prefix ``argv`` so it runs as the ``postgres`` user when we are root."""
    if os.geteuid() != 0:
        return argv
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return [runuser, "-u", "postgres", "--", *argv]


def wait_for(
    check: Callable[[], bool], what: str, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServerError(f"{what} exited with status {proc.returncode} while starting")
        if check():
            return
        time.sleep(0.1)
    raise ServerError(f"{what} not ready after {READY_TIMEOUT:.0f}s")


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Postgres:
    def __init__(self, workdir: Path) -> None:
        self.bindir = postgres_bindir()
        self.datadir = workdir / "pg"
        self.port = 0
        self.started = False

    def start(self) -> str:
        self.datadir.mkdir(mode=0o700)
        if os.geteuid() == 0:
            shutil.chown(self.datadir, "postgres", "postgres")
        self._run(
            str(self.bindir / "initdb"),
            "-D", str(self.datadir), "-A", "trust", "-U", PG_USER,
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        for _attempt in range(3):
            self.port = free_port()
            options = (
                f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=300"
            )
            log_file = str(self.datadir / "server.log")
            result = self._run(
                str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", log_file,
                "-o", options, "-w", "-t", str(int(READY_TIMEOUT)), "start",
                check=False,
            )  # fmt: skip
            if result.returncode == 0:
                self.started = True
                wait_for(lambda: port_open(self.port), "PostgreSQL")
                return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/postgres"
            log(f"PostgreSQL did not start on port {self.port}, retrying")
        tail = (self.datadir / "server.log").read_text(errors="replace")[-2000:]
        raise ServerError(f"PostgreSQL failed to start:\n{tail}")

    def stop(self) -> None:
        if not self.started:
            return
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "-w",
            "stop", check=False,
        )  # fmt: skip
        self.started = False

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            as_postgres_user(list(argv)),
            cwd=self.datadir.parent,  # the postgres user may not enter the caller's directory
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if check and result.returncode != 0:
            raise ServerError(f"{Path(argv[0]).name} failed:\n{result.stdout}{result.stderr}")
        return result


class Redis:
    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServerError("redis-server not found: apt-get install redis-server")
        self.binary = binary
        self.datadir = workdir / "redis"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        self.datadir.mkdir()
        for _attempt in range(3):
            self.port = free_port()
            self.proc = subprocess.Popen(
                [
                    self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", str(self.datadir),
                    "--databases", "64", "--daemonize", "no", "--loglevel", "warning",
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                wait_for(self._ping, "redis-server", self.proc)
            except ServerError as exc:
                log(f"{exc}; retrying")
                self.stop()
                continue
            return f"redis://127.0.0.1:{self.port}/0"
        raise ServerError("redis-server failed to start")

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@contextlib.contextmanager
def servers(postgres: bool, redis: bool) -> Iterator[dict[str, str]]:
    workdir = Path(tempfile.mkdtemp(prefix="boekbox-testenv-"))
    workdir.chmod(0o755)  # the postgres user must reach its data directory
    running: list[Postgres | Redis] = []
    env = {"BOEKBOX_REQUIRE_SERVERS": "1"}
    log(f"server data in {workdir}")
    try:
        if postgres:
            pg = Postgres(workdir)
            running.append(pg)
            env["BOEKBOX_TEST_PG_URL"] = pg.start()
        if redis:
            rd = Redis(workdir)
            running.append(rd)
            env["BOEKBOX_TEST_REDIS_URL"] = rd.start()
        yield env
    finally:
        for server in reversed(running):
            try:
                server.stop()
            except Exception as exc:  # keep stopping the others
                log(f"stopping {type(server).__name__}: {exc}")
        shutil.rmtree(workdir, ignore_errors=True)


def _raise_keyboard_interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-postgres", action="store_true", help="do not start PostgreSQL")
    parser.add_argument("--no-redis", action="store_true", help="do not start Redis")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="command to run (after --)")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        with servers(not args.no_postgres, not args.no_redis) as extra:
            for key, value in sorted(extra.items()):
                log(f"{key}={value}")
            return run_child(command, {**os.environ, **extra})
    except ServerError as exc:
        log(str(exc))
        return 3
    except KeyboardInterrupt:
        log("interrupted; servers stopped")
        return 130


def run_child(command: list[str], env: dict[str, str]) -> int:
    """Run the command; on interruption stop it before the servers go away."""
    child = subprocess.Popen(command, env=env)
    try:
        return child.wait()
    finally:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


if __name__ == "__main__":
    sys.exit(main())
