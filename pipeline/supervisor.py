"""Supervised child processes: the worker service's workers, and ``boekbox up``'s services.

``boekbox worker`` used to run ``dramatiq --processes N``, whose main process
shuts everything down when one worker process dies ("exited unexpectedly ...
shutting down"), and the reconciler (and, under ``boekbox up``, the SMTP
server and the UI) with it.  Here the service process supervises its worker
processes itself: one that exits without being asked to (kill -9, the OOM
killer, a native crash) is logged and started again at once (with a short
back-off if it keeps dying at start), the others keep working, and its
messages come back to the queue (SQLite broker: dead-owner leases; Redis:
dramatiq's heartbeats).  SIGTERM/SIGINT stop every process cleanly.

``boekbox up`` supervises its three services (SMTP server, worker service, UI)
the same way: a killed SMTP server or UI is started again and the other
services never notice.  Every supervised child gets SIGTERM when its supervisor
dies (Linux parent-death signal), so a killed worker service leaves no orphan
worker processes behind when its replacement starts.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
import logging
import os
import select
import signal
import subprocess
import sys
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

__all__ = ["StopRequest", "Supervisor", "worker_process_main"]

#: a process that dies sooner than this after its start waits before the next try
_QUICK_DEATH_S = 2.0
_MAX_BACKOFF_S = 30.0
_PR_SET_PDEATHSIG = 1


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()  # resolved here: the child between fork and exec only calls it


class StopRequest:
    """A stop flag that a signal handler may set: it takes no lock.

    ``threading.Event.set`` takes the event's lock.  Python runs a signal handler in the
    main thread between two bytecodes, so a second SIGTERM that arrives while the first
    handler holds that lock (``kill`` to the process group, then the supervisor's own
    SIGTERM a moment later) runs the handler again, and it waits for the lock its own
    thread holds: forever.  A worker process hung that way until it was killed.  Here
    :meth:`set` only sets a bool and writes one byte to a pipe; :meth:`wait` polls it.
    """

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self._set = False
        self._poller = select.poll()
        self._poller.register(self._read, select.POLLIN)
        weakref.finalize(self, _close_pipe, self._read, self._write)

    def set(self) -> None:
        if self._set:
            return
        self._set = True
        with contextlib.suppress(OSError):  # full (not with one byte) or closed
            os.write(self._write, b"\0")  # stays in the pipe: every wait returns

    def is_set(self) -> bool:
        return self._set

    def wait(self, timeout: float | None = None) -> bool:
        """True once set; False when ``timeout`` seconds passed first."""
        if not self._set:
            self._poller.poll(None if timeout is None else max(0, int(timeout * 1000)))
        return self._set


def _close_pipe(*fds: int) -> None:
    for fd in fds:
        os.close(fd)


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the supervisor dies (kill -9 included)."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)


def worker_process_main(argv: Sequence[str] | None = None) -> None:
    """One dramatiq worker (threads consuming the given queues) until SIGTERM."""
    parser = argparse.ArgumentParser(prog="pipeline.workerproc")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--queues", nargs="+", required=True)
    parser.add_argument(
        "--prefetch", type=int, default=0, help="messages claimed ahead (0: dramatiq's default)"
    )
    args = parser.parse_args(argv)
    stop = StopRequest()

    def handler(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    from dramatiq import Worker

    from pipeline import actors, sandbox
    from pipeline import send_actor as _send_actor  # noqa: F401 (declares the send actor)

    if actors.OCR_QUEUE in args.queues:
        sandbox.preload_ocr_engines()  # before this process starts its fork server
    from pipeline.settings import load_settings

    settings = load_settings()
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper(), logging.INFO),
        format=f"%(asctime)s [worker {os.getpid()}] %(levelname)s %(name)s: %(message)s",
    )
    broker = actors.ACTORS["split"].broker
    broker.emit_after("process_boot")
    worker = Worker(broker, queues=set(args.queues), worker_threads=max(1, args.threads))
    if args.prefetch > 0:
        # a process claims no more than it works on: a claimed message waits for this
        # process even when another one is idle (the OCR processes' long documents)
        worker.queue_prefetch = args.prefetch
    worker.start()
    log.info("worker process ready: queues %s, %d thread(s)", args.queues, args.threads)
    while not stop.wait(1.0):
        pass
    worker.stop(timeout=30_000)
    broker.close()


@dataclass
class _Slot:
    command: list[str]
    name: str = "worker process"
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    failures: int = 0
    not_before: float = 0.0
    restarts: int = field(default=0)


class Supervisor:
    """Keeps one process per command alive until :meth:`stop`.

    ``names`` (one per command) name the processes in the log ("SMTP server").
    """

    def __init__(
        self,
        commands: Sequence[list[str]],
        *,
        names: Sequence[str] | None = None,
        env: dict[str, str] | None = None,
        on_restart: Callable[[int, int], None] | None = None,
    ) -> None:
        labels = list(names) if names is not None else ["worker process"] * len(commands)
        if len(labels) != len(commands):
            raise ValueError("one name per command")
        self.slots = [_Slot(list(c), n) for c, n in zip(commands, labels, strict=True)]
        self.env = env
        self.on_restart = on_restart
        self._stopping = StopRequest()

    def _start(self, slot: _Slot) -> None:
        slot.proc = subprocess.Popen(
            slot.command,
            env=self.env,
            # preexec_fn only calls prctl (resolved in the parent): safe with threads
            preexec_fn=_die_with_parent if _PRCTL is not None else None,
        )
        slot.started = time.monotonic()
        if slot.restarts:
            log.warning("%s started again (pid %d)", slot.name, slot.proc.pid)

    def start(self) -> None:
        for slot in self.slots:
            self._start(slot)

    def pids(self) -> list[int]:
        return [s.proc.pid for s in self.slots if s.proc is not None and s.proc.poll() is None]

    def check(self) -> None:
        """Replace every process that died (one pass)."""
        now = time.monotonic()
        for slot in self.slots:
            if self._stopping.is_set():
                return
            if slot.proc is not None and slot.proc.poll() is None:
                continue
            if slot.proc is not None:  # died: note it once
                code = slot.proc.returncode
                how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
                quick = now - slot.started < _QUICK_DEATH_S
                slot.failures = slot.failures + 1 if quick else 0
                delay = min(_MAX_BACKOFF_S, 0.5 * 2**slot.failures) if slot.failures else 0.0
                slot.not_before = now + delay
                log.error(
                    "%s %d stopped unexpectedly (%s); starting a new one%s",
                    slot.name,
                    slot.proc.pid,
                    how,
                    f" in {delay:.1f} s" if delay else "",
                )
                old = slot.proc.pid
                slot.proc = None
                slot.restarts += 1
                if self.on_restart is not None:
                    self.on_restart(old, slot.restarts)
            if now >= slot.not_before:
                self._start(slot)

    def run(self, every: float = 0.2) -> None:
        """Supervise until :meth:`stop` is called (from a signal handler)."""
        while not self._stopping.wait(every):
            self.check()

    def request_stop(self) -> None:
        """Make :meth:`run` return (safe from a signal handler)."""
        self._stopping.set()

    def stop(self, timeout: float = 40.0) -> int:
        """SIGTERM every process, wait, SIGKILL the ones left; 0 when all stopped cleanly."""
        self._stopping.set()
        procs = [s.proc for s in self.slots if s.proc is not None]
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        code = 0
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                code = 1
        return code


def worker_commands(
    processes: int, threads: int, queues: Sequence[str], *, prefetch: int = 0
) -> list[list[str]]:
    base = [sys.executable, "-m", "pipeline.workerproc", "--threads", str(threads)]
    if prefetch > 0:
        base += ["--prefetch", str(prefetch)]
    return [[*base, "--queues", *queues] for _ in range(max(1, processes))]


#: the most OCR processes "0" (one per core) starts: each has its own fork server
MAX_AUTO_OCR_PROCESSES = 4


def ocr_processes(configured: int) -> int:
    """OCR worker processes: the setting, or when it is 0 one per CPU core this process
    may use (its affinity, not the host's count), at most :data:`MAX_AUTO_OCR_PROCESSES`."""
    if configured > 0:
        return configured
    return max(1, min(len(os.sched_getaffinity(0)), MAX_AUTO_OCR_PROCESSES))
