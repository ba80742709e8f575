"""aiosmtpd's SMTP protocol with the replies and limits boekbox promises.

- ``552`` from aiosmtpd (``MAIL SIZE=`` over the limit, DATA overflow) is bare;
  it becomes ``552 5.3.4``.
- A connection past the global or per-IP cap is answered ``421 4.7.0`` and closed.
- Connections are registered with the server state, so a shutdown can stop
  idle sessions at once and wait for the ones inside DATA.
- DATA is read in chunks rather than line by line (:mod:`intake.smtp_data`);
  past a threshold it is spooled to disk, and a spooled mail is loaded for
  storing only within a server-wide memory budget.
- Timeouts: a session is closed (``421 4.4.2``) when it has made no progress
  (no MAIL, RCPT or DATA bytes) for the idle timeout, so ``RSET``/``NOOP``
  cannot keep it open; near the connection cap the timeout shrinks to the
  busy timeout and sessions idle that long are shed to make room.  DATA bytes
  count as progress, so a slow link can deliver a large mail; but while the
  server is busy, a DATA slower on average than the minimum rate is cut off.
- PROXY protocol headers are accepted only from trusted proxy networks.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, AnyStr, BinaryIO

from aiosmtpd.smtp import SMTP, Envelope, syntax

from intake.smtp_data import Spool, read_data, unstuff
from intake.smtp_limits import MemoryBudget, PeerLimits
from intake.smtp_writer import Route

__all__ = ["IntakeEnvelope", "IntakeSMTP", "ServerState", "parse_networks"]

log = logging.getLogger(__name__)

SHUTTING_DOWN = "421 4.3.2 Service shutting down, try again later"
IDLE_TIMEOUT = "421 4.4.2 Idle timeout, closing connection"
SHED_BUSY = "421 4.4.2 Idle too long while the server is busy, closing connection"
UNTRUSTED_PROXY = "421 4.7.0 Your address may not send a PROXY header"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_REWRITES = {
    b"552 Error: message size exceeds fixed maximum message size": (
        b"552 5.3.4 Message size exceeds fixed maximum message size"
    ),
    b"552 Error: Too much mail data": b"552 5.3.4 Message size exceeds fixed maximum message size",
}
_HAS_ENHANCED = re.compile(rb"^\d\d\d [245]\.\d{1,3}\.\d{1,3}(?: |$)")
#: enhanced codes for aiosmtpd's own replies (RFC 2034: once advertised, on every reply
#: but the greeting, 354 and the replies to EHLO/HELO)
_ENHANCED_BY_CODE = {
    b"500": b"5.5.2", b"501": b"5.5.4", b"502": b"5.5.1", b"503": b"5.5.1", b"504": b"5.5.4",
    b"530": b"5.7.0", b"554": b"5.7.0", b"555": b"5.5.4", b"553": b"5.1.3",
}  # fmt: skip
_PLAIN = (b"220", b"354")
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
#: ``<local@domain> params`` with a dot-atom local part and a plain domain: nearly every
#: MAIL FROM and RCPT TO a mailer sends
_SIMPLE_PATH = re.compile(
    rf"[ \t]*<({_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>[ \t]*(.*)", re.DOTALL
)


def enhance(reply: bytes) -> bytes:
    """Prefix an aiosmtpd reply with an enhanced status code when it has none."""
    reply = _REWRITES.get(reply, reply)
    code = reply[:3]
    if len(reply) < 4 or reply[3:4] != b" " or code in _PLAIN or _HAS_ENHANCED.match(reply):
        return reply
    if code[:1] not in (b"2", b"4", b"5"):
        return reply
    extra = _ENHANCED_BY_CODE.get(code, code[:1] + b".0.0")
    return code + b" " + extra + b" " + reply[4:]


def parse_networks(spec: str | Sequence[str]) -> tuple[Network, ...]:
    """``"10.0.0.0/8, ::1"`` -> networks (a bare address is a /32 or /128)."""
    items = spec.split(",") if isinstance(spec, str) else spec
    return tuple(ipaddress.ip_network(i.strip(), strict=False) for i in items if i.strip())


def _ip(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not text:
        return None
    try:
        addr = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


@dataclass
class ServerState:
    """What every session of one server shares (touched on the event loop only)."""

    limits: PeerLimits
    proxy_protocol: bool = False
    #: networks that may send a PROXY header (with ``proxy_protocol``)
    trusted_proxies: tuple[Network, ...] = ()
    #: seconds without progress before an idle session is closed
    idle_timeout: float = 300.0
    #: the same once the server is busy (near its connection cap)
    busy_timeout: float = 15.0
    #: while busy, a DATA section slower than this on average (bytes/s) is cut off
    min_data_rate: float = 0.0
    spool: Spool | None = None
    budget: MemoryBudget = field(default_factory=lambda: MemoryBudget(256 * 1024 * 1024))
    closing: bool = False
    sessions: set[IntakeSMTP] = field(default_factory=set)
    in_data: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    shed: int = 0
    _last_sweep: float = 0.0

    def trusted_proxy(self, peer: str | None) -> bool:
        addr = _ip(peer)
        return addr is not None and any(addr in net for net in self.trusted_proxies)

    def idle_limit(self) -> float:
        if self.limits.busy:
            return min(self.busy_timeout, self.idle_timeout)
        return self.idle_timeout

    def shed_idle(self) -> None:
        """Near the cap: close sessions that made no progress for the busy timeout."""
        now = time.monotonic()
        if now - self._last_sweep < 0.2 and not self.limits.full:
            return
        self._last_sweep = now
        for session in list(self.sessions):
            if session.sheddable(now, self.busy_timeout) or session.trickling(
                now, self.busy_timeout, self.min_data_rate
            ):
                self.shed += 1
                session.goodbye(SHED_BUSY)


class IntakeEnvelope(Envelope):
    """An envelope that remembers the dossier each accepted recipient routes to."""

    def __init__(self) -> None:
        super().__init__()
        self.routes: dict[int, Route] = {}
        #: the handler's view of each routed dossier (``smtp_handler.DossierTarget``)
        self.targets: dict[int, Any] = {}


class IntakeSMTP(SMTP):
    def __init__(self, handler: Any, *, state: ServerState, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.state = state
        self.peer_ip: str | None = None
        self._counted = False
        self._counted_ip: str | None = None
        self._refusal: str | None = None
        self.in_data = False
        self._greeting = False
        #: inside our own work on a command (storing a mail): no timeout, never shed
        self.working = False
        #: the balancer sent ``PROXY UNKNOWN``: the real sender is not known
        self.origin_unknown = False
        self.progress_at = time.monotonic()
        #: when the current DATA section began, and its bytes so far
        self.data_started = 0.0
        self.data_bytes = 0

    def _create_envelope(self) -> IntakeEnvelope:
        return IntakeEnvelope()

    # -- connection accounting ---------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        first = self.transport is None
        super().connection_made(transport)
        if not first:
            return  # the same connection after STARTTLS
        peer = transport.get_extra_info("peername")
        self.peer_ip = str(peer[0]) if isinstance(peer, tuple) and peer else None
        self.progress_at = time.monotonic()
        if self.state.closing:
            self._refusal = SHUTTING_DOWN
            return
        if self.state.proxy_protocol and not self.state.trusted_proxy(self.peer_ip):
            log.warning("refused a connection from %s: not a trusted proxy", self.peer_ip)
            self._refusal = UNTRUSTED_PROXY
            return
        if self.state.limits.busy:
            self.state.shed_idle()
        counted_ip = None if self.state.proxy_protocol else self.peer_ip
        self._refusal = self.state.limits.open(counted_ip)
        if self._refusal is None:
            self._counted = True
            self._counted_ip = counted_ip
            self.state.sessions.add(self)
        else:
            log.warning("refused a connection from %s: %s", self.peer_ip, self._refusal)

    def count_behind_proxy(self, ip: str) -> str | None:
        """After a PROXY header: count this connection against the real peer ``ip``."""
        refusal = self.state.limits.assign(ip)
        if refusal is None:
            self._counted_ip = ip
        self.peer_ip = ip
        return refusal

    def _release(self) -> None:
        if self._counted:
            self._counted = False
            self.state.limits.close(self._counted_ip)
            self.state.sessions.discard(self)

    def connection_lost(self, error: Exception | None) -> None:
        self._release()
        super().connection_lost(error)

    # -- timeouts ------------------------------------------------------------------------
    def progress(self) -> None:
        """The sender moved a transaction on (MAIL, RCPT, DATA bytes): restart the clock."""
        self.progress_at = time.monotonic()
        if self.transport is not None and not self.working:
            self._reset_timeout()

    def _reset_timeout(self, duration: float | None = None) -> None:
        # aiosmtpd calls this before every command: the deadline counts from the
        # last progress, not from the last command, so RSET/NOOP do not extend it
        if duration is None:
            duration = self.progress_at + self.state.idle_limit() - time.monotonic()
        super()._reset_timeout(max(duration, 0.01))

    def _pause_timeout(self) -> None:
        if self._timeout_handle is not None:
            self._timeout_handle.cancel()

    def _timeout_cb(self) -> None:
        if self.working:
            return
        log.info("closing an idle session from %s", self.peer_ip)
        self.goodbye(IDLE_TIMEOUT)

    def data_progress(self, size: int) -> None:
        self.data_bytes = size
        self.progress()

    def sheddable(self, now: float, after: float) -> bool:
        return not (self.in_data or self.working) and now - self.progress_at >= after

    def trickling(self, now: float, after: float, min_rate: float) -> bool:
        """Inside DATA for longer than ``after`` seconds at less than ``min_rate`` bytes/s."""
        if not self.in_data or self.working or min_rate <= 0:
            return False
        elapsed = now - self.data_started
        return elapsed >= after and self.data_bytes < min_rate * elapsed

    def goodbye(self, reply: str) -> None:
        """Say ``reply`` (unless inside DATA), give back the connection slot, close."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        try:
            if not self.in_data and isinstance(transport, asyncio.WriteTransport):
                transport.write(reply.encode("ascii") + b"\r\n")
        except Exception:  # a transport half torn down (TLS): just close it
            log.debug("could not say goodbye to %s", self.peer_ip, exc_info=True)
        finally:
            self._release()
            transport.close()

    async def _handle_client(self) -> None:
        if self._refusal is not None:
            await self.push(self._refusal)
            assert self.transport is not None
            self.transport.close()
            return
        await super()._handle_client()

    # -- commands ------------------------------------------------------------------------
    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        """aiosmtpd's address parser (the stdlib's full RFC 5322 header parser, about
        0.15 ms a call) with a fast path for the plain ``<local@domain>`` form."""
        found = _SIMPLE_PATH.fullmatch(arg)
        if found is None:
            return super()._getaddr(arg)
        address, rest = found.group(1), found.group(2)
        if self.local_part_limit and len(address.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return address, rest

    # -- replies -------------------------------------------------------------------------
    async def push(self, status: AnyStr) -> None:
        raw = status.encode("utf-8") if isinstance(status, str) else status
        await super().push(raw if self._greeting else enhance(raw))

    @syntax("EHLO hostname")
    async def smtp_EHLO(self, hostname: str) -> None:
        self._greeting = True
        try:
            await super().smtp_EHLO(hostname)
        finally:
            self._greeting = False

    @syntax("HELO hostname")
    async def smtp_HELO(self, hostname: str) -> None:
        self._greeting = True
        try:
            await super().smtp_HELO(hostname)
        finally:
            self._greeting = False

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        self.in_data = True
        self.state.in_data += 1
        self.state.idle.clear()
        try:
            await self._data(arg)
        finally:
            self.in_data = False
            self.state.in_data -= 1
            if self.state.in_data == 0:
                self.state.idle.set()

    async def _data(self, arg: str) -> None:
        """aiosmtpd's DATA command, reading the message in chunks (:mod:`intake.smtp_data`)."""
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        envelope = self.envelope
        assert envelope is not None
        if not envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        self.progress()
        self.data_started, self.data_bytes = time.monotonic(), 0
        try:
            section = await read_data(
                self._reader, self.data_size_limit or None,  # 0: no limit
                spool=self.state.spool, progress=self.data_progress,
            )  # fmt: skip
        except asyncio.IncompleteReadError:
            log.info("connection from %s lost during DATA", self.peer_ip)
            return
        if section.over_limit:
            self.envelope = self._create_envelope()
            await self.push("552 Error: Too much mail data")
            return
        self.working = True
        self._pause_timeout()  # our own work: the sender is not idle
        held = 0
        try:
            if section.spooled is not None:
                held = 2 * section.size  # the stuffed and the unstuffed copy
                await self.state.budget.acquire(held)
                content = await _load(section.spooled)
            else:
                assert section.stuffed is not None
                content = unstuff(section.stuffed)
            envelope.content = envelope.original_content = content
            del content
            status = await self.event_handler.handle_DATA(self, self.session, envelope)
        finally:
            self.envelope = self._create_envelope()  # drop the mail before the next one
            if held:
                self.state.budget.release(held)
            if section.spooled is not None:
                section.spooled.close()
            self.working = False
        self.progress()
        await self.push(status)

    def shut(self) -> None:
        """Close an idle session with ``421`` (shutdown)."""
        if self.in_data:
            return
        self.goodbye(SHUTTING_DOWN)


async def _load(spooled: BinaryIO) -> bytes:
    """A spooled (dot-stuffed) DATA section as the message, read off the event loop."""

    def read() -> bytes:
        spooled.seek(0)
        return unstuff(spooled.read())

    return await asyncio.get_running_loop().run_in_executor(None, read)
