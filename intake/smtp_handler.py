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
import datetime as dt
import logging
import re
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from intake.smtp_facts import sender_allowed
from intake.smtp_protocol import SHUTTING_DOWN, IntakeEnvelope, IntakeSMTP, ServerState
from intake.smtp_writer import GroupCommitWriter, Incoming, Route, WriterClosed
from pipeline.runtime import Runtime
from storage import StorageFull, StorageUnavailable, intake_guard, repo

__all__ = ["DossierTarget", "IntakeHandler"]

log = logging.getLogger(__name__)

TEMPORARY = "451 4.3.0 Temporary local problem, try again later"
DISK_FULL = "452 4.3.1 Insufficient system storage, try again later"
RATE_LIMITED = "451 4.7.1 Too many messages from your address, try again later"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
LOOKUP_FAILED = "451 4.3.0 Recipient lookup failed temporarily, try again later"
BAD_SENDER = "553 5.1.7 Bad sender address syntax (not UTF-8, control characters or too long)"
BAD_RECIPIENT = "553 5.1.3 Bad recipient address syntax (not UTF-8, control characters or too long)"
UNKNOWN_ORIGIN = "550 5.7.1 Mail without the sender's address (PROXY UNKNOWN) is not accepted"
OVER_INTAKE = "452 4.2.2 Mailbox over its daily intake limit, try again later"
#: what the mail table can hold (``String(320)``)
MAX_ADDRESS = 320
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SIZE_PARAM = re.compile(r"SIZE=(\d{1,18})", re.IGNORECASE)
#: the system dossier that receives ``postmaster@<mail domain>`` (RFC 5321 section 4.5.1)
POSTMASTER_NAME = "Postmaster (system)"


def bad_address(address: str | None) -> bool:
    """True for an envelope address that can never be stored: bytes that are not
    UTF-8 (aiosmtpd keeps them as surrogates), NUL and other control characters,
    or longer than the column."""
    if not address:
        return False
    if len(address) > MAX_ADDRESS or _CONTROL.search(address):
        return True
    try:
        address.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


@dataclass(frozen=True, slots=True)
class DossierTarget:
    dossier_id: int
    allowed_senders: tuple[str, ...]
    #: bytes this dossier may receive per UTC day (0: no cap)
    intake_limit: int = 0


@dataclass(slots=True)
class _Intake:
    """Bytes a dossier received today: the database's count plus what this server
    stored (or is storing) since it was read."""

    day: dt.date
    counted: int
    added: int
    read_at: float

    @property
    def used(self) -> int:
        return self.counted + self.added


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
        self._intake: dict[int, _Intake] = {}
        self._alerted: set[tuple[int, dt.date]] = set()
        self.postmaster = f"postmaster@{rt.settings.mail_domain}".lower()

    # -- blocking work (thread pool) --------------------------------------------------
    def lookup(self, address: str) -> DossierTarget | None:
        """The enabled dossier behind an envelope recipient, or None."""
        with self.rt.tx() as s:
            dossier = repo.find_dossier_by_address(s, address)
            if dossier is None and repo.normalise_address(address) == self.postmaster:
                dossier = self._postmaster_dossier(s)
            if dossier is None or not dossier.enabled:
                return None
            limit = (dossier.settings or {}).get("intake_bytes_per_day")
            if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
                limit = self.rt.settings.intake_bytes_per_day
            return DossierTarget(
                dossier.id, tuple(str(a) for a in dossier.allowed_senders or ()), limit
            )

    def _postmaster_dossier(self, s: Any) -> Any:
        """The postmaster's system dossier, created on its first mail (admins see it)."""
        try:
            with s.begin_nested():
                return repo.create_dossier(s, name=POSTMASTER_NAME, mailbox=self.postmaster)
        except Exception:  # created concurrently by another session
            return repo.find_dossier_by_address(s, self.postmaster)

    def intake_today(self, dossier_id: int) -> int:
        with self.rt.tx() as s:
            return intake_guard.intake_bytes_since(s, dossier_id, intake_guard.day_start())

    def alert_intake(self, dossier_id: int, limit: int, used: int, sender: str) -> None:
        with self.rt.tx() as s:
            intake_guard.raise_alert(
                s, intake_guard.INTAKE_LIMIT_ALERT, dossier_id=dossier_id,
                since=intake_guard.day_start(), limit=limit, used=used, sender=sender[:320],
                message=f"Daily intake limit of {limit} bytes reached; further mail today is "
                "refused with 452 (senders retry later).",
            )  # fmt: skip

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

    async def _intake_state(self, dossier_id: int) -> _Intake:
        """Today's intake of a dossier, re-read from the database every ``lookup_ttl``."""
        now = time.monotonic()
        today = dt.datetime.now(dt.UTC).date()
        known = self._intake.get(dossier_id)
        if known is None or known.day != today or now - known.read_at > self.lookup_ttl:
            counted: int = await self._in_pool(self.intake_today, dossier_id)
            known = self._intake.get(dossier_id)  # other sessions went on meanwhile
            if known is None or known.day != today or now - known.read_at > self.lookup_ttl:
                known = _Intake(today, counted, 0, now)
                if len(self._intake) > 10_000:
                    self._intake.clear()
                self._intake[dossier_id] = known
        return known

    async def _over_intake(self, target: DossierTarget, size: int, sender: str) -> bool:
        """True (and the accountant alerted) when ``size`` more bytes pass today's cap."""
        if not target.intake_limit:
            return False
        state = await self._intake_state(target.dossier_id)
        if state.used + size <= target.intake_limit:
            return False
        key = (target.dossier_id, state.day)
        log.warning(
            "dossier %d over its daily intake limit (%d + %d > %d bytes)",
            target.dossier_id, state.used, size, target.intake_limit,
        )  # fmt: skip
        if key not in self._alerted:
            try:
                await self._in_pool(
                    self.alert_intake, target.dossier_id, target.intake_limit, state.used, sender
                )
                self._alerted.add(key)
            except Exception:  # the refusal stands; the alert is tried again next time
                log.warning("could not store the intake alert", exc_info=True)
        return True

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
        if smtp.origin_unknown:
            return UNKNOWN_ORIGIN
        if bad_address(address):
            # refused at once: such a sender could never be stored, and a 4xx at
            # DATA would make its MTA retry for days
            log.warning("refused a sender address from %s: %r", smtp.peer_ip, address)
            return BAD_SENDER
        if not self.state.limits.allow_message(smtp.peer_ip):
            log.warning("message rate limit reached for %s", smtp.peer_ip)
            return RATE_LIMITED
        env.mail_from = address
        env.mail_options.extend(mail_options)
        smtp.progress()
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str,
        rcpt_options: list[str],
    ) -> str:  # fmt: skip
        smtp, env = _intake(server, envelope)
        if self.state.closing:
            _close_after_reply(server)
            return SHUTTING_DOWN
        if len(env.rcpt_tos) >= self.max_recipients:
            return TOO_MANY_RECIPIENTS
        if bad_address(address):
            return BAD_RECIPIENT
        if address.lower() == "postmaster":  # RFC 5321: accepted without a domain
            address = self.postmaster
        try:
            target = await self.find_target(address)
        except StorageUnavailable as exc:
            log.warning("recipient lookup for %s failed: %s", address, exc)
            return LOOKUP_FAILED
        if target is None:
            return f"550 5.1.1 <{address}>: Recipient address rejected: no such dossier"
        try:
            over = await self._over_intake(target, _declared_size(env), _sender(env))
        except StorageUnavailable as exc:
            log.warning("intake count for %s failed: %s", address, exc)
            return LOOKUP_FAILED
        if over:
            return OVER_INTAKE
        smtp.progress()
        env.rcpt_tos.append(address)
        env.rcpt_options.extend(rcpt_options)
        known = env.routes.get(target.dossier_id)
        recipients = (*known.recipients, address) if known else (address,)
        allowed = sender_allowed(_sender(env), target.allowed_senders)
        env.routes[target.dossier_id] = Route(target.dossier_id, recipients, allowed)
        env.targets[target.dossier_id] = target
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        smtp, env = _intake(server, envelope)
        raw = env.original_content
        if not isinstance(raw, bytes) or not env.routes:
            return "503 5.5.1 Error: need RCPT command"
        size = len(raw)
        reserved: list[_Intake] = []
        try:
            for target in env.targets.values():
                if await self._over_intake(target, size, _sender(env)):
                    return OVER_INTAKE
            for target in env.targets.values():
                if target.intake_limit:
                    state = await self._intake_state(target.dossier_id)
                    state.added += size
                    reserved.append(state)
            incoming = Incoming(raw, _sender(env), smtp.peer_ip, tuple(env.routes.values()))
            del raw
            stored = await self.writer.submit(incoming)
            reserved.clear()  # counted for good
        except StorageFull as exc:
            log.error("disk full, mail from %s refused with 452: %s", smtp.peer_ip, exc)
            return DISK_FULL
        except (StorageUnavailable, WriterClosed) as exc:
            log.warning("storage unavailable, mail from %s refused with 451: %s", smtp.peer_ip, exc)
            return TEMPORARY
        except Exception:  # our bug must never become a permanent 5xx
            log.exception("storing a mail from %s failed", smtp.peer_ip)
            return TEMPORARY
        finally:
            for state in reserved:  # not stored: give the bytes back
                state.added -= size
        ids = ",".join(str(i) for i in stored.document_ids)
        return f"250 2.0.0 Ok: queued as {ids}"

    async def handle_PROXY(
        self, server: SMTP, session: Session, envelope: Envelope, proxy_data: Any
    ) -> bool:
        smtp, _ = _intake(server, envelope)
        if proxy_data is None or not proxy_data.valid:
            return False
        if proxy_data.src_addr is None:
            # a balancer's health check (PROXY LOCAL / UNKNOWN): it may talk, not send mail
            smtp.origin_unknown = True
            return True
        refusal = smtp.count_behind_proxy(str(proxy_data.src_addr))
        if refusal is not None:
            await smtp.push(refusal)
            return False
        return True

    async def handle_exception(self, error: Exception) -> str:
        log.error("SMTP session error: %s", error, exc_info=error)
        return TEMPORARY


def _declared_size(envelope: Envelope) -> int:
    """The ``SIZE=`` the client declared at MAIL (0 when none)."""
    for option in envelope.mail_options:
        found = _SIZE_PARAM.fullmatch(option)
        if found:
            return int(found.group(1))
    return 0


def _sender(envelope: Envelope) -> str:
    sender = envelope.mail_from or ""
    return "" if sender == "<>" else sender
