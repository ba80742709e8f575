"""Connection and rate limits of the SMTP server (event-loop thread only, no locks).

aiosmtpd has no global connection cap; the protocol asks :class:`PeerLimits`
when a connection opens and tells it when the connection ends.  Replies past a
limit are transient (``421``/``451``): a legitimate sender retries later.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["LimitConfig", "PeerLimits"]

TOO_MANY_CONNECTIONS = "421 4.7.0 Too many connections, try again later"
TOO_MANY_FROM_PEER = "421 4.7.0 Too many connections from your address, try again later"
WINDOW_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class LimitConfig:
    max_connections: int = 200
    max_connections_per_ip: int = 20
    max_messages_per_minute_per_ip: int = 600


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
