"""Queries behind the SMTP intake cap: bytes received per dossier and day, the
alerts the accountant sees when a dossier hits its cap, and purging junk mail
so it is no longer billed.

Alerts are audit events whose action starts with ``alert.`` (no table of
their own): stored in the same place as every other event of a dossier,
listed by :func:`list_alerts`.

Purging keeps every row (the audit trail, and the blob garbage collector sees
the blobs as referenced) but takes the mail's blobs out of the dossier's
billed storage (``dossier_blob`` rows and ``used_bytes``), unless a document
that is kept shares them; the documents end ``rejected`` with reason code
``purged``.  Booked documents are never purged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from storage import page_cache
from storage.errors import Conflict, NotFound
from storage.models import (
    AuditEvent,
    Blob,
    Document,
    Dossier,
    DossierBlob,
    JournalEntry,
    Mail,
    UsageDay,
    utcnow,
)
from storage.states import DocumentState, can_transition

__all__ = [
    "ALERT_PREFIX",
    "INTAKE_LIMIT_ALERT",
    "PURGED",
    "Purged",
    "intake_bytes_since",
    "list_alerts",
    "purge_mail",
    "raise_alert",
]

PURGED = "purged"

ALERT_PREFIX = "alert."
INTAKE_LIMIT_ALERT = "alert.intake_limit"


def day_start(now: dt.datetime | None = None) -> dt.datetime:
    """Midnight UTC of the day of ``now``."""
    now = now or utcnow()
    return dt.datetime(now.year, now.month, now.day, tzinfo=dt.UTC)


def intake_bytes_since(session: Session, dossier_id: int, since: dt.datetime) -> int:
    """Bytes of the mails a dossier received since ``since`` (a redelivery is not a new mail)."""
    total = session.scalar(
        select(func.coalesce(func.sum(Blob.size), 0))
        .select_from(Mail)
        .join(Blob, Blob.sha256 == Mail.raw_sha256)
        .where(Mail.dossier_id == dossier_id, Mail.received_at >= since)
    )
    return int(total or 0)


def raise_alert(
    session: Session, action: str, *, dossier_id: int, since: dt.datetime, **detail: Any
) -> bool:
    """Store an alert for a dossier unless the same one was raised since ``since``.

    Returns True when a new alert was stored.
    """
    if not action.startswith(ALERT_PREFIX):
        raise ValueError(f"an alert action starts with {ALERT_PREFIX!r}: {action!r}")
    seen = session.scalar(
        select(AuditEvent.id)
        .where(
            AuditEvent.dossier_id == dossier_id,
            AuditEvent.action == action,
            AuditEvent.at >= since,
        )
        .limit(1)
    )
    if seen is not None:
        return False
    session.add(AuditEvent(action=action, dossier_id=dossier_id, detail=detail, at=utcnow()))
    return True


def list_alerts(
    session: Session, dossier_ids: list[int] | None = None, *, limit: int = 100
) -> list[AuditEvent]:
    """The newest alerts, of some dossiers (None: all)."""
    stmt = select(AuditEvent).where(AuditEvent.action.startswith(ALERT_PREFIX))
    if dossier_ids is not None:
        stmt = stmt.where(AuditEvent.dossier_id.in_(dossier_ids))
    return list(session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(limit)))


@dataclass(frozen=True, slots=True)
class Purged:
    mail_document_id: int
    document_ids: tuple[int, ...]
    freed_bytes: int
    already: bool = False


def purge_mail(session: Session, dossier_id: int, document_id: int, *, reason: str) -> Purged:
    """Purge the mail behind ``document_id`` (the mail or one of its documents).

    Raises :class:`NotFound` for a document outside the dossier and
    :class:`Conflict` when one of the mail's documents is booked.
    """
    doc = session.get(Document, document_id)
    if doc is None or doc.dossier_id != dossier_id:
        raise NotFound(f"unknown document: {document_id}")
    if doc.mail_id is None:
        docs = [doc]  # an upload: just this document
        root = doc
    else:
        docs = list(
            session.scalars(
                select(Document)
                .where(Document.dossier_id == dossier_id, Document.mail_id == doc.mail_id)
                .order_by(Document.id)
                .with_for_update()
            )
        )
        root = next((d for d in docs if d.kind == "mail"), docs[0])
    ids = [d.id for d in docs]
    if root.reason_code == PURGED:
        return Purged(root.id, tuple(ids), 0, already=True)
    booked = session.scalar(
        select(JournalEntry.id)
        .where(JournalEntry.document_id.in_(ids), JournalEntry.status == "booked")
        .limit(1)
    )
    if booked is not None or any(d.state == DocumentState.BOOKED.value for d in docs):
        raise Conflict("a booked document is never purged (reverse the booking first)")
    held = session.scalar(select(Dossier.legal_hold).where(Dossier.id == dossier_id))
    if held or any(d.legal_hold for d in docs):
        raise Conflict("a document under a legal hold is never purged")
    shas = {d.blob_sha256 for d in docs}
    kept = set(
        session.scalars(
            select(Document.blob_sha256).where(
                Document.dossier_id == dossier_id,
                Document.blob_sha256.in_(shas),
                Document.id.not_in(ids),
                or_(Document.reason_code.is_(None), Document.reason_code != PURGED),
            )
        )
    )
    freed_rows = list(
        session.execute(
            select(DossierBlob.sha256, DossierBlob.size).where(
                DossierBlob.dossier_id == dossier_id, DossierBlob.sha256.in_(shas - kept)
            )
        )
    )
    freed = sum(int(size) for _, size in freed_rows)
    if freed_rows:
        session.execute(
            delete(DossierBlob).where(
                DossierBlob.dossier_id == dossier_id,
                DossierBlob.sha256.in_([sha for sha, _ in freed_rows]),
            )
        )
    dossier = session.get(Dossier, dossier_id, with_for_update=True)
    assert dossier is not None
    dossier.used_bytes = max(0, int(dossier.used_bytes) - freed)
    today = utcnow().date()
    day = session.get(UsageDay, (dossier_id, today))
    if day is None:
        session.add(UsageDay(dossier_id=dossier_id, day=today, used_bytes=dossier.used_bytes))
    else:
        day.used_bytes = dossier.used_bytes
    for entry in session.scalars(
        select(JournalEntry).where(
            JournalEntry.document_id.in_(ids), JournalEntry.status != "booked"
        )
    ):
        session.delete(entry)  # an unbooked proposal goes with it (lines cascade)
    now = utcnow()
    for d in docs:
        if can_transition(DocumentState(d.state), DocumentState.REJECTED):
            d.state = DocumentState.REJECTED.value
        d.state_reason = reason
        d.reason_code = PURGED
        d.updated_at = now
    page_cache.drop(session, ids)  # the page images rendered from them go too
    return Purged(root.id, tuple(ids), freed)
