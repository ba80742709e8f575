"""Run a decoder of untrusted bytes in a child process with resource limits.

PDF and image decoders (PDFium, Pillow, tesseract) can be driven by a few MB
of hostile input to allocate many GB or to spin for minutes, and an
allocation that fails inside native code aborts the whole process.  So the
worker (and the UI service for page images) never decodes untrusted bytes
itself: :func:`run` forks a child from a single-threaded fork server, sets
``RLIMIT_AS`` (address space, the memory cap) and ``RLIMIT_CPU`` in it,
calls the function, and sends the result back through a pipe.

A child that runs out of memory, CPU time or wall time becomes
:class:`SandboxLimit` with a reason ("over the memory limit of 1,024 MB"),
never a dead worker.  An exception raised by the function is re-raised in
the caller when it pickles (the extractors' errors do).

The child is a resource boundary, not a privilege boundary: it runs as the
worker's user, with its files and environment.  So a child may serve several
calls in turn (``run(..., reuse=True)``, for pure functions such as reading a
text PDF or drawing a page): each call keeps its full CPU budget and the
memory cap, and a child that went over a limit is replaced.
"""

from __future__ import annotations

import atexit
import logging
import math
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, TypeVar

log = logging.getLogger(__name__)

__all__ = ["SandboxError", "SandboxLimit", "SandboxLimits", "preload_ocr_engines", "run"]

T = TypeVar("T")

#: modules the fork server imports once, so every child starts warm; sandbox_warm
#: last: it imports what a child would import on first use and freezes the collector
PRELOAD = [
    "extractors.api",
    "extractors.ocr",
    "pipeline.render",
    "pipeline.steps",
    "pipeline.sandbox_warm",
]


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """``memory_mb``: address space of the child (0: no cap); ``cpu_seconds``:
    its CPU time; ``wall_seconds``: time before the caller kills it."""

    memory_mb: int = 1024
    cpu_seconds: int = 300
    wall_seconds: float = 600.0


class SandboxError(Exception):
    """The child died without an answer (a crash that is not a limit)."""


class SandboxLimit(SandboxError):
    """The child went over a limit; ``kind`` is "memory", "cpu" or "time"."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


_OCR_WARM = "pipeline.sandbox_ocr"
_CTX: Any = None
_CTX_LOCK = threading.Lock()


def preload_ocr_engines() -> None:
    """Have this process's fork server load the OCR engines (:mod:`pipeline.sandbox_ocr`).

    For the processes that read the ``ocr`` queue: every child they fork for a scan then
    starts with tesseract's models loaded.  Others do not pay the load (about 1 s of CPU
    and the models' memory in their fork server).  No effect once the server runs."""
    with _CTX_LOCK:
        if _CTX is None and _OCR_WARM not in PRELOAD:
            PRELOAD.insert(PRELOAD.index("pipeline.sandbox_warm"), _OCR_WARM)


def _context() -> Any:
    global _CTX
    with _CTX_LOCK:
        if _CTX is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(PRELOAD)
            _CTX = ctx
        return _CTX


def _limit_memory(limits: SandboxLimits) -> None:
    if limits.memory_mb > 0:
        cap = limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _limit_cpu(limits: SandboxLimits, *, last: bool) -> None:
    """The CPU-time budget of the next call: a soft limit (SIGXCPU, which ends the child)
    ``cpu_seconds`` above what the child has used so far, so a child that serves several
    calls gives each its full budget.  Before its last call the hard limit (SIGKILL) goes
    5 s above the soft one; before others it stays as it is (a process that is not root
    cannot raise it again), or goes 5 s above the soft one when it is lower."""
    if limits.cpu_seconds <= 0:
        return
    soft = math.ceil(time.process_time()) + limits.cpu_seconds
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if last or (hard != resource.RLIM_INFINITY and hard < soft + 5):
        hard = soft + 5
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _call(fn: Callable[..., Any], args: Any) -> tuple[str, Any]:
    try:
        return ("ok", fn(*args))
    except MemoryError:
        return ("memory", None)
    except Exception as exc:
        return ("raise", exc)


def _answer(conn: Connection, result: tuple[str, Any], more: bool) -> None:
    try:
        conn.send((*result, more))
    except MemoryError:
        os._exit(70)
    except Exception as exc:  # the exception (or result) does not pickle
        conn.send(("raise", SandboxError(f"{type(exc).__name__}: {exc}"), more))


def _ignore_stop_signals() -> None:
    # a Ctrl-C or a SIGTERM to the whole process group is for the worker, which
    # finishes its current document: this child ends with it (the caller kills
    # it with SIGKILL when it must)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _serve(conn: Connection, limits: SandboxLimits, calls: int, growth_mb: int) -> None:
    """Runs in the child: serves up to ``calls`` calls in turn (one, or more with
    :func:`run`'s ``reuse``).  Each call gets the full CPU budget; the child ends after
    a call that raised (out of memory, a damaged document, an OCR time-out: whatever
    state the decoder was left in goes with it), after its last call, once its resident
    memory grew by more than ``growth_mb`` since it started, or when the caller closes
    the pipe."""
    _ignore_stop_signals()
    retire_mb = _resident_mb() + growth_mb
    try:
        _limit_memory(limits)
        for served in range(1, calls + 1):
            try:
                fn, args = conn.recv()
            except EOFError:
                return
            _limit_cpu(limits, last=served == calls)
            result = _call(fn, args)
            del fn, args
            more = served < calls and result[0] == "ok" and _resident_mb() < retire_mb
            _answer(conn, result, more)
            del result
            if not more:
                return
    finally:
        conn.close()


def _resident_mb() -> float:
    try:
        with open("/proc/self/statm", "rb") as f:
            pages = int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return float("inf")  # unknown: do not keep the child
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def _memory_reason(limits: SandboxLimits, how: str) -> SandboxLimit:
    return SandboxLimit(
        "memory",
        f"over the memory limit of {limits.memory_mb:,} MB while decoding the document ({how})",
    )


@dataclass
class _Server:
    """A child (the caller's end of its pipe)."""

    process: Any
    conn: Connection


class _Pool:
    """Idle reusable children of this process, by limits (a child's memory cap is set
    once, when it starts).  Per process: a forked copy starts with an empty pool."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle: dict[SandboxLimits, list[_Server]] = {}
        self.pid = os.getpid()

    def take(self, limits: SandboxLimits) -> _Server | None:
        with self.lock:
            if self.pid != os.getpid():
                self.idle, self.pid = {}, os.getpid()
            servers = self.idle.get(limits, [])
            while servers:
                server = servers.pop()
                if server.process.is_alive():
                    return server
                _dispose(server)
        return None

    def give_back(self, limits: SandboxLimits, server: _Server) -> None:
        with self.lock:
            if self.pid == os.getpid():
                self.idle.setdefault(limits, []).append(server)
                return
        _dispose(server)

    def close(self) -> None:
        with self.lock:
            servers = [s for group in self.idle.values() for s in group]
            self.idle = {}
        for server in servers:
            _dispose(server)


def _dispose(server: _Server) -> None:
    server.conn.close()  # an idle child reads EOF and ends
    if server.process.is_alive():
        server.process.kill()
    server.process.join()


_POOL = _Pool()
atexit.register(_POOL.close)  # before multiprocessing's own exit hook (atexit is LIFO)

#: calls a reusable child serves before it is replaced
REUSE_CALLS = 64
#: a reusable child whose resident memory grew by more than this is replaced
REUSE_GROWTH_MB = 256


def run(
    fn: Callable[..., T],
    *args: Any,
    limits: SandboxLimits = SandboxLimits(),
    reuse: bool = False,
) -> T:
    """``fn(*args)`` in a limited child process; its result or its exception.

    ``fn`` must be a module-level function and ``args`` must pickle.
    Raises :class:`SandboxLimit` when the child goes over a limit and
    :class:`SandboxError` when it dies otherwise.

    ``reuse``: the call may be served by a child that served earlier calls (with the
    same limits) and is kept for later ones, instead of a child forked for this call
    alone.  A fork costs about 20 ms of CPU per document (page copies, a cold heap),
    about as much as reading a text PDF.  Each call still gets the full CPU budget and
    the child its memory cap; a child that raised, went over a limit, crashed, grew by more than
    :data:`REUSE_GROWTH_MB` or served :data:`REUSE_CALLS` calls is replaced.  For pure
    functions only: nothing a call leaves behind may change a later call's result.
    """
    server = _POOL.take(limits) if reuse else None
    if server is not None:
        try:
            server.conn.send((fn, args))
        except (OSError, EOFError):  # it died while idle: a new one
            _dispose(server)
            server = None
    try:
        if server is None:
            server = _start_server(limits, REUSE_CALLS if reuse else 1)
            server.conn.send((fn, args))
        message = _wait(server.conn, server.process, limits)
    except BaseException:
        if server is not None:
            _dispose(server)
        raise
    if message is None:
        _dispose(server)
        raise _death(server.process.exitcode, limits)
    kind, value, more = message
    if more:
        _POOL.give_back(limits, server)
    else:
        _dispose(server)
    return _result(kind, value, limits)


def _start_server(limits: SandboxLimits, calls: int) -> _Server:
    ctx = _context()
    mine, theirs = ctx.Pipe(duplex=True)
    process = ctx.Process(target=_serve, args=(theirs, limits, calls, REUSE_GROWTH_MB), daemon=True)
    process.start()
    theirs.close()
    return _Server(process, mine)


def _result(kind: str, value: Any, limits: SandboxLimits) -> Any:
    if kind == "ok":
        return value
    if kind == "memory":
        raise _memory_reason(limits, "allocation refused")
    raise value


def _wait(receive: Connection, child: Any, limits: SandboxLimits) -> tuple[str, Any, bool] | None:
    deadline = time.monotonic() + limits.wall_seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            child.kill()
            raise SandboxLimit(
                "time", f"over the time limit of {limits.wall_seconds:g} s while decoding"
            )
        if receive.poll(min(left, 1.0)):
            try:
                return receive.recv()
            except EOFError:
                return None
        if not child.is_alive() and not receive.poll(0):
            return None


def _death(code: int | None, limits: SandboxLimits) -> SandboxError:
    if code is not None and code < 0:
        sig = signal.Signals(-code)
        if sig in (signal.SIGXCPU,):
            return SandboxLimit(
                "cpu", f"over the CPU time limit of {limits.cpu_seconds:,} s while decoding"
            )
        if sig in (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS, signal.SIGKILL):
            # under an address-space cap a failed allocation in native code aborts or
            # dereferences NULL; a SIGKILL is the kernel's OOM killer
            return _memory_reason(limits, f"the decoder stopped with {sig.name}")
        return SandboxError(f"the decoder stopped with {sig.name}")
    if code == 70:
        return _memory_reason(limits, "no memory left to answer")
    return SandboxError(f"the decoder exited with code {code}")
