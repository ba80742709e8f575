"""Dossier memberships with their rights (rows only; what a right allows is the service's)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import Membership, User

__all__ = ["drop_membership", "get_membership", "memberships", "rights_history", "set_membership"]


def get_membership(session: Session, user_id: int, dossier_id: int) -> Membership | None:
    return session.get(Membership, (user_id, dossier_id))


def memberships(session: Session, dossier_id: int) -> list[tuple[User, Membership]]:
    rows = session.execute(
        select(User, Membership)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.dossier_id == dossier_id)
        .order_by(User.username)
    )
    return [(r[0], r[1]) for r in rows]


def set_membership(
    session: Session, user_id: int, dossier_id: int, role: str, permissions: list[Any] | None
) -> Membership:
    row = get_membership(session, user_id, dossier_id)
    if row is None:
        row = Membership(user_id=user_id, dossier_id=dossier_id, role=role)
        session.add(row)
    row.role = role
    row.permissions = None if permissions is None else sorted(set(permissions))
    session.flush()
    return row


def drop_membership(session: Session, user_id: int, dossier_id: int) -> bool:
    result = session.execute(
        delete(Membership).where(Membership.user_id == user_id, Membership.dossier_id == dossier_id)
    )
    return bool(getattr(result, "rowcount", 0))


def rights_history(session: Session, dossier_id: int, limit: int = 200) -> list[Any]:
    """The audit events that changed who may do what in ``dossier_id``, newest first."""
    from storage.models import AuditEvent

    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.dossier_id == dossier_id,
                AuditEvent.action.in_(("rights_changed", "member_added", "member_removed")),
            )
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )
