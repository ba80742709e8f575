"""Queries behind the SMTP intake cap: bytes received per dossier and day, and
the alerts the accountant sees when a dossier hits its cap.

Alerts are audit events whose action starts with ``alert.`` (no table of
their own): stored in the same place as every other event of a dossier,
listed by :func:`list_alerts`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import AuditEvent, Blob, Mail, utcnow

__all__ = ["ALERT_PREFIX", "INTAKE_LIMIT_ALERT", "intake_bytes_since", "list_alerts", "raise_alert"]

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
