"""The SMTP intake server: ``boekbox smtp`` runs :func:`run_server`.

A shell around aiosmtpd (see :mod:`intake.smtp_handler` for the replies and
:mod:`intake.smtp_writer` for the group commit).  ``250`` means: the raw mail
is in the blob store (fsynced), its mail row is committed, and the split step
is enqueued.  SIGTERM/SIGINT stop it cleanly: stop accepting, answer idle
sessions ``421``, let sessions inside DATA finish, commit, exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from intake.smtp_data import Spool
from intake.smtp_handler import IntakeHandler
from intake.smtp_limits import LimitConfig, MemoryBudget, PeerLimits
from intake.smtp_protocol import IntakeSMTP, ServerState, parse_networks
from intake.smtp_writer import GroupCommitWriter
from pipeline.runtime import Runtime

__all__ = ["IntakeServer", "ServerThread", "run_server", "send_split"]

log = logging.getLogger(__name__)

IDENT = "boekbox ESMTP"
#: commands a sender has no reason to repeat often within one connection; every
#: other command (MAIL, RCPT, DATA, RSET, ...) gets ``smtp_max_commands`` each
CALL_LIMITS = {
    "NOOP": 50, "VRFY": 10, "EXPN": 10, "HELP": 10, "AUTH": 3, "STARTTLS": 2,
    "EHLO": 10, "HELO": 10,
}  # fmt: skip

#: bytes/s: while the server is busy (near its connection cap), a DATA section
#: slower than this on average, after the busy timeout, is cut off (a slowloris
#: in DATA); when not busy any rate is fine (DATA bytes restart the timeout)
MIN_DATA_RATE = 2048.0

Enqueue = Callable[[Sequence[int]], None]


def send_split(document_ids: Sequence[int]) -> None:
    """Enqueue the split step (the configured dramatiq broker)."""
    from pipeline.actors import send_many

    send_many("split", list(document_ids))


def spool_dir(configured: str, blob_store: str) -> str:
    """Where large DATA sections are spooled: the setting, else beside the local blobs
    (same disk as where the mail ends up), else (S3) the system temp directory."""
    if configured:
        return configured
    if "://" in blob_store:
        return tempfile.gettempdir()
    return os.path.join(blob_store, "spool")


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


class IntakeServer:
    """One listening SMTP server on the running event loop."""

    def __init__(
        self,
        rt: Runtime,
        *,
        enqueue: Enqueue | None = None,
        host: str | None = None,
        port: int | None = None,
        hostname: str | None = None,
        pool_threads: int = 32,
        shutdown_grace: float = 30.0,
        min_data_rate: float = MIN_DATA_RATE,
    ) -> None:
        s = rt.settings
        self.rt = rt
        self.host = s.smtp_host if host is None else host
        self.port = s.smtp_port if port is None else port
        self.hostname = hostname or socket.getfqdn()
        self.shutdown_grace = shutdown_grace
        self._enqueue = enqueue
        limits = LimitConfig(
            s.smtp_max_connections, s.smtp_max_connections_per_ip,
            s.smtp_max_messages_per_minute_per_ip,
        )  # fmt: skip
        self.state = ServerState(
            PeerLimits(limits),
            proxy_protocol=s.smtp_proxy_protocol,
            trusted_proxies=parse_networks(s.smtp_trusted_proxies),
            idle_timeout=s.smtp_command_timeout,
            busy_timeout=s.smtp_busy_timeout,
            min_data_rate=min_data_rate,
            spool=Spool(s.smtp_spool_bytes, spool_dir(s.smtp_spool_dir, s.blob_store))
            if s.smtp_spool_bytes > 0
            else None,
            budget=MemoryBudget(s.smtp_memory_budget_bytes),
        )
        self.executor = ThreadPoolExecutor(pool_threads, thread_name_prefix="smtp-io")
        self.writer: GroupCommitWriter | None = None
        self._tls = (
            tls_context(s.smtp_tls_cert, s.smtp_tls_key)
            if s.smtp_tls_cert and s.smtp_tls_key
            else None
        )
        self._server: asyncio.Server | None = None

    def _protocol(self, handler: IntakeHandler) -> IntakeSMTP:
        s = self.rt.settings
        return IntakeSMTP(
            handler,
            state=self.state,
            data_size_limit=s.smtp_max_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=self.hostname,
            ident=IDENT,
            tls_context=self._tls,
            require_starttls=False,
            timeout=s.smtp_command_timeout,
            command_call_limit={**CALL_LIMITS, "*": max(1, s.smtp_max_commands)},
            proxy_protocol_timeout=10.0 if s.smtp_proxy_protocol else None,
        )

    async def start(self) -> None:
        if not log.isEnabledFor(logging.DEBUG):
            # aiosmtpd logs every command at INFO; we log one line per stored mail
            logging.getLogger("mail.log").setLevel(logging.WARNING)
        enqueue = self._enqueue
        if enqueue is None:
            import pipeline.actors  # noqa: F401  (fail at start, not at the first mail)

            enqueue = send_split
        self.writer = GroupCommitWriter(self.rt, enqueue)
        self.writer.start()
        handler = IntakeHandler(self.rt, self.writer, executor=self.executor, state=self.state)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: self._protocol(handler), host=self.host, port=self.port, backlog=512
        )
        self.port = self._server.sockets[0].getsockname()[1]
        log.info(
            "SMTP intake listening on %s:%s (TLS %s, PROXY %s)", self.host, self.port,
            "on" if self._tls else "off", "on" if self.state.proxy_protocol else "off",
        )  # fmt: skip

    async def stop(self, grace: float | None = None) -> None:
        """Stop accepting, finish transactions inside DATA, commit, release."""
        grace = self.shutdown_grace if grace is None else grace
        self.state.closing = True
        if self._server is not None:
            self._server.close()
        for session in list(self.state.sessions):
            session.shut()
        if self.state.in_data:
            log.info("waiting for %d transactions in DATA", self.state.in_data)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.state.idle.wait(), grace)
        for session in list(self.state.sessions):
            session.shut()
            if session.transport is not None:
                session.transport.close()
        await asyncio.sleep(0)
        loop = asyncio.get_running_loop()
        if self.writer is not None:
            await loop.run_in_executor(None, self.writer.close)
            w = self.writer
            log.info(
                "group commit: %d mails in %d batches (%.1f per batch)", w.deliveries, w.batches,
                w.deliveries / w.batches if w.batches else 0.0,
            )  # fmt: skip
        await loop.run_in_executor(None, self.executor.shutdown)
        log.info("SMTP intake stopped")


async def _serve(rt: Runtime) -> None:
    server = IntakeServer(rt)
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
        log.info("signal received, shutting down")
    finally:
        await server.stop()


def run_server(rt: Runtime) -> None:
    """Serve SMTP until SIGTERM/SIGINT, then shut down cleanly (blocks)."""
    asyncio.run(_serve(rt))


class ServerThread:
    """An :class:`IntakeServer` on its own event loop thread (tests, benchmarks)."""

    def __init__(self, rt: Runtime, **kwargs: object) -> None:
        self.rt = rt
        self._kwargs = kwargs
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="smtp-loop", daemon=True)
        self.server: IntakeServer | None = None

    def start(self) -> IntakeServer:
        self._thread.start()

        async def boot() -> IntakeServer:
            server = IntakeServer(self.rt, **self._kwargs)  # type: ignore[arg-type]
            await server.start()
            return server

        self.server = asyncio.run_coroutine_threadsafe(boot(), self.loop).result(30)
        return self.server

    def stop(self, grace: float = 10.0) -> None:
        if self.loop.is_closed():
            return
        if self.server is not None:
            asyncio.run_coroutine_threadsafe(self.server.stop(grace), self.loop).result(grace + 30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(30)
        self.loop.close()
