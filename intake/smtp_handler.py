"""The aiosmtpd handler: recipient check, limits, durable DATA.

Every reply that is our fault is transient (``451``/``452``); the only
permanent refusals are an unknown dossier (``550 5.1.1``) and the size limit
(``552 5.3.4``, from :mod:`intake.smtp_protocol`).  Blocking work never runs
on the event loop: recipient lookups go to a thread pool, received mails to
the group-commit writer (:mod:`intake.smtp_writer`), and nothing parses the
MIME structure here: the split step does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from intake.smtp_facts import sender_allowed
from intake.smtp_protocol import SHUTTING_DOWN, IntakeEnvelope, IntakeSMTP, ServerState
from intake.smtp_writer import GroupCommitWriter, Incoming, Route, WriterClosed
from pipeline.runtime import Runtime
from storage import StorageFull, StorageUnavailable, repo

__all__ = ["DossierTarget", "IntakeHandler"]

log = logging.getLogger(__name__)

TEMPORARY = "451 4.3.0 Temporary local problem, try again later"
DISK_FULL = "452 4.3.1 Insufficient system storage, try again later"
RATE_LIMITED = "451 4.7.1 Too many messages from your address, try again later"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
LOOKUP_FAILED = "451 4.3.0 Recipient lookup failed temporarily, try again later"


@dataclass(frozen=True, slots=True)
class DossierTarget:
    dossier_id: int
    allowed_senders: tuple[str, ...]


def _intake(server: SMTP, envelope: Envelope) -> tuple[IntakeSMTP, IntakeEnvelope]:
    assert isinstance(server, IntakeSMTP)
    assert isinstance(envelope, IntakeEnvelope)
    return server, envelope


def _close_after_reply(server: SMTP) -> None:
    transport = server.transport
    if transport is not None:
        asyncio.get_running_loop().call_soon(transport.close)


class IntakeHandler:
    def __init__(
        self,
        rt: Runtime,
        writer: GroupCommitWriter,
        *,
        executor: Executor,
        state: ServerState,
        max_recipients: int = 100,
        lookup_ttl: float = 10.0,
    ) -> None:
        self.rt = rt
        self.writer = writer
        self.executor = executor
        self.state = state
        self.max_recipients = max_recipients
        self.lookup_ttl = lookup_ttl
        self._known: dict[str, tuple[float, DossierTarget]] = {}

    # -- blocking work (thread pool) --------------------------------------------------
    def lookup(self, address: str) -> DossierTarget | None:
        """The enabled dossier behind an envelope recipient, or None."""
        with self.rt.tx() as s:
            dossier = repo.find_dossier_by_address(s, address)
            if dossier is None or not dossier.enabled:
                return None
            return DossierTarget(dossier.id, tuple(str(a) for a in dossier.allowed_senders or ()))

    async def _in_pool(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def find_target(self, address: str) -> DossierTarget | None:
        """:meth:`lookup` with a short cache of known dossiers (event loop only).

        Only hits are cached, so a new dossier is reachable at once; a disabled
        one stops receiving within ``lookup_ttl`` seconds.
        """
        key = repo.normalise_address(address)
        now = time.monotonic()
        cached = self._known.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        target: DossierTarget | None = await self._in_pool(self.lookup, address)
        if target is not None:
            if len(self._known) > 10_000:
                self._known.clear()
            self._known[key] = (now + self.lookup_ttl, target)
        else:
            self._known.pop(key, None)
        return target

    # -- hooks -------------------------------------------------------------------------
    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str,
        responses: list[str],
    ) -> list[str]:  # fmt: skip
        session.host_name = hostname
        kept = [r for r in responses[:-1] if not r[4:].upper().startswith("AUTH")]
        return [*kept, "250-PIPELINING", "250-ENHANCEDSTATUSCODES", responses[-1]]

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str,
        mail_options: list[str],
    ) -> str:  # fmt: skip
        smtp, env = _intake(server, envelope)
        if self.state.closing:
            _close_after_reply(server)
            return SHUTTING_DOWN
        if not self.state.limits.allow_message(smtp.peer_ip):
            log.warning("message rate limit reached for %s", smtp.peer_ip)
            return RATE_LIMITED
        env.mail_from = address
        env.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str,
        rcpt_options: list[str],
    ) -> str:  # fmt: skip
        _, env = _intake(server, envelope)
        if self.state.closing:
            _close_after_reply(server)
            return SHUTTING_DOWN
        if len(env.rcpt_tos) >= self.max_recipients:
            return TOO_MANY_RECIPIENTS
        try:
            target = await self.find_target(address)
        except StorageUnavailable as exc:
            log.warning("recipient lookup for %s failed: %s", address, exc)
            return LOOKUP_FAILED
        if target is None:
            return f"550 5.1.1 <{address}>: Recipient address rejected: no such dossier"
        env.rcpt_tos.append(address)
        env.rcpt_options.extend(rcpt_options)
        known = env.routes.get(target.dossier_id)
        recipients = (*known.recipients, address) if known else (address,)
        allowed = sender_allowed(_sender(env), target.allowed_senders)
        env.routes[target.dossier_id] = Route(target.dossier_id, recipients, allowed)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        smtp, env = _intake(server, envelope)
        raw = env.original_content
        if not isinstance(raw, bytes) or not env.routes:
            return "503 5.5.1 Error: need RCPT command"
        try:
            incoming = Incoming(raw, _sender(env), smtp.peer_ip, tuple(env.routes.values()))
            stored = await self.writer.submit(incoming)
        except StorageFull as exc:
            log.error("disk full, mail from %s refused with 452: %s", smtp.peer_ip, exc)
            return DISK_FULL
        except (StorageUnavailable, WriterClosed) as exc:
            log.warning("storage unavailable, mail from %s refused with 451: %s", smtp.peer_ip, exc)
            return TEMPORARY
        except Exception:  # our bug must never become a permanent 5xx
            log.exception("storing a mail from %s failed", smtp.peer_ip)
            return TEMPORARY
        ids = ",".join(str(i) for i in stored.document_ids)
        return f"250 2.0.0 Ok: queued as {ids}"

    async def handle_PROXY(
        self, server: SMTP, session: Session, envelope: Envelope, proxy_data: Any
    ) -> bool:
        smtp, _ = _intake(server, envelope)
        if proxy_data is None or not proxy_data.valid:
            return False
        if proxy_data.src_addr is None:
            return True  # a balancer's health check (PROXY LOCAL / UNKNOWN)
        refusal = smtp.count_behind_proxy(str(proxy_data.src_addr))
        if refusal is not None:
            await smtp.push(refusal)
            return False
        return True

    async def handle_exception(self, error: Exception) -> str:
        log.error("SMTP session error: %s", error, exc_info=error)
        return TEMPORARY


def _sender(envelope: Envelope) -> str:
    sender = envelope.mail_from or ""
    return "" if sender == "<>" else sender
