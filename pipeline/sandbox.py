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
"""

from __future__ import annotations

import logging
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


def _limit_self(limits: SandboxLimits) -> None:
    if limits.memory_mb > 0:
        cap = limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    if limits.cpu_seconds > 0:
        used = int(time.process_time())
        soft = used + limits.cpu_seconds
        resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 5))


def _child(conn: Connection, limits: SandboxLimits, fn: Callable[..., Any], args: Any) -> None:
    """Runs in the child: limits first, then the function; one message back."""
    # a Ctrl-C or a SIGTERM to the whole process group is for the worker, which
    # finishes its current document: this child ends with it (the caller kills
    # it with SIGKILL when it must)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        _limit_self(limits)
        try:
            result: tuple[str, Any] = ("ok", fn(*args))
        except MemoryError:
            result = ("memory", None)
        except Exception as exc:
            result = ("raise", exc)
        try:
            conn.send(result)
        except MemoryError:
            os._exit(70)
        except Exception as exc:  # the exception (or result) does not pickle
            conn.send(("raise", SandboxError(f"{type(exc).__name__}: {exc}")))
    finally:
        conn.close()


def _memory_reason(limits: SandboxLimits, how: str) -> SandboxLimit:
    return SandboxLimit(
        "memory",
        f"over the memory limit of {limits.memory_mb:,} MB while decoding the document ({how})",
    )


def run(fn: Callable[..., T], *args: Any, limits: SandboxLimits = SandboxLimits()) -> T:
    """``fn(*args)`` in a limited child process; its result or its exception.

    ``fn`` must be a module-level function and ``args`` must pickle.
    Raises :class:`SandboxLimit` when the child goes over a limit and
    :class:`SandboxError` when it dies otherwise.
    """
    ctx = _context()
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, limits, fn, args), daemon=True)
    child.start()
    send.close()
    try:
        message = _wait(receive, child, limits)
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()
    if message is None:
        raise _death(child.exitcode, limits)
    kind, value = message
    if kind == "ok":
        return value
    if kind == "memory":
        raise _memory_reason(limits, "allocation refused")
    raise value


def _wait(receive: Connection, child: Any, limits: SandboxLimits) -> tuple[str, Any] | None:
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
