"""Connection and rate limits of the SMTP server (event-loop thread only, no locks).

aiosmtpd has no global connection cap; the protocol asks :class:`PeerLimits`
when a connection opens and tells it when the connection ends.  Replies past a
limit are transient (``421``/``451``): a legitimate sender retries later.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["LimitConfig", "MemoryBudget", "PeerLimits"]

TOO_MANY_CONNECTIONS = "421 4.7.0 Too many connections, try again later"
TOO_MANY_FROM_PEER = "421 4.7.0 Too many connections from your address, try again later"
WINDOW_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class LimitConfig:
    max_connections: int = 200
    max_connections_per_ip: int = 20
    max_messages_per_minute_per_ip: int = 600
    #: share of ``max_connections`` from which the server counts as busy
    busy_fraction: float = 0.8


class PeerLimits:
    """Counts open connections (overall and per peer IP) and messages per minute."""

    def __init__(self, config: LimitConfig, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._clock = clock
        self.total = 0
        self._per_ip: dict[str, int] = {}
        self._recent: dict[str, deque[float]] = {}

    def open(self, ip: str | None) -> str | None:
        """Count a new connection, or return the ``421`` reply that refuses it.

        ``ip`` None counts the connection only against the global cap (behind a
        PROXY-protocol balancer the real peer is known later: :meth:`assign`).
        """
        if self.total >= self.config.max_connections:
            return TOO_MANY_CONNECTIONS
        if ip is not None and self._per_ip.get(ip, 0) >= self.config.max_connections_per_ip:
            return TOO_MANY_FROM_PEER
        self.total += 1
        if ip is not None:
            self._per_ip[ip] = self._per_ip.get(ip, 0) + 1
        return None

    def assign(self, ip: str) -> str | None:
        """Count an open connection (opened with ``ip`` None) against ``ip``."""
        if self._per_ip.get(ip, 0) >= self.config.max_connections_per_ip:
            return TOO_MANY_FROM_PEER
        self._per_ip[ip] = self._per_ip.get(ip, 0) + 1
        return None

    def close(self, ip: str | None) -> None:
        self.total = max(0, self.total - 1)
        if ip is None:
            return
        left = self._per_ip.get(ip, 0) - 1
        if left > 0:
            self._per_ip[ip] = left
        else:
            self._per_ip.pop(ip, None)

    @property
    def busy(self) -> bool:
        """Near the connection cap: idle sessions get the short timeout."""
        return self.total >= self.config.max_connections * self.config.busy_fraction

    @property
    def full(self) -> bool:
        return self.total >= self.config.max_connections

    def connections_from(self, ip: str) -> int:
        return self._per_ip.get(ip, 0)

    def allow_message(self, ip: str | None) -> bool:
        """Count one more message from ``ip``; False once past the per-minute limit."""
        if ip is None:
            return True
        now = self._clock()
        recent = self._recent.setdefault(ip, deque())
        while recent and now - recent[0] >= WINDOW_SECONDS:
            recent.popleft()
        if len(recent) >= self.config.max_messages_per_minute_per_ip:
            return False
        recent.append(now)
        if len(self._recent) > 10_000:
            self._forget_idle(now)
        return True

    def _forget_idle(self, now: float) -> None:
        for ip in [ip for ip, q in self._recent.items() if not q or now - q[-1] >= WINDOW_SECONDS]:
            del self._recent[ip]


class MemoryBudget:
    """Bytes that sessions may hold in memory at once for storing spooled mails.

    A session waits (first come, first served) until its mail fits; a mail
    larger than the whole budget is let through alone.  Event loop only.
    """

    def __init__(self, total: int) -> None:
        self.total = total
        self.used = 0
        self.peak = 0
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()

    def _fits(self, size: int) -> bool:
        return self.used == 0 or self.used + size <= self.total

    async def acquire(self, size: int) -> None:
        if not self._waiters and self._fits(size):
            self._take(size)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (size, future)
        self._waiters.append(entry)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release(size)  # granted just as the session went away
            else:
                self._waiters.remove(entry)
                self._wake()
            raise

    def _take(self, size: int) -> None:
        self.used += size
        self.peak = max(self.peak, self.used)

    def release(self, size: int) -> None:
        self.used = max(0, self.used - size)
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._fits(self._waiters[0][0]):
            size, future = self._waiters.popleft()
            if future.done():
                continue
            self._take(size)
            future.set_result(None)
