"""Web sessions and failed log-ins (rows only; the policy lives in the service).

The browser holds a random token in an HttpOnly cookie; the database holds only the
token's SHA-256, so a leaked database does not log anyone in.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from storage.models import LoginFailure, User, UserSession, utcnow

__all__ = [
    "clear_failures",
    "create_session",
    "failures",
    "find_session",
    "list_users",
    "prune",
    "record_failure",
    "revoke_session",
    "revoke_user_sessions",
    "token_hash",
]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def create_session(
    session: Session,
    *,
    user_id: int,
    token: str,
    kind: str = "web",
    expires_at: dt.datetime,
    address: str | None,
    user_agent: str | None,
) -> UserSession:
    row = UserSession(
        token_hash=token_hash(token),
        user_id=user_id,
        kind=kind,
        expires_at=expires_at,
        address=(address or None) and address[:64],
        user_agent=(user_agent or None) and user_agent[:300],
    )
    session.add(row)
    session.flush()
    return row


def find_session(
    session: Session, token: str, *, kind: str = "web", lock: bool = False
) -> tuple[UserSession, User] | None:
    """The live (not revoked) session of ``token`` with its user, whatever its age."""
    query = (
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(
            UserSession.token_hash == token_hash(token),
            UserSession.kind == kind,
            UserSession.revoked_at.is_(None),
        )
    )
    if lock:
        query = query.with_for_update(of=UserSession)
    row = session.execute(query).first()
    return None if row is None else (row[0], row[1])


def revoke_session(session: Session, token: str) -> bool:
    result = session.execute(
        update(UserSession)
        .where(UserSession.token_hash == token_hash(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return bool(getattr(result, "rowcount", 0))


def revoke_user_sessions(session: Session, user_id: int) -> int:
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def record_failure(session: Session, username: str, address: str | None) -> None:
    session.add(
        LoginFailure(username=username.lower()[:200], address=(address or None) and address[:64])
    )
    session.flush()


def failures(
    session: Session, *, username: str | None = None, address: str | None = None, since: dt.datetime
) -> tuple[int, dt.datetime | None]:
    """How many log-ins failed since ``since`` for this user name or address, and the last."""
    query = select(func.count(LoginFailure.id), func.max(LoginFailure.at)).where(
        LoginFailure.at >= since
    )
    if username is not None:
        query = query.where(LoginFailure.username == username.lower())
    if address is not None:
        query = query.where(LoginFailure.address == address)
    count, last = session.execute(query).one()
    if last is not None and last.tzinfo is None:  # SQLite hands back naive UTC
        last = last.replace(tzinfo=dt.UTC)
    return int(count or 0), last


def clear_failures(session: Session, username: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.username == username.lower()))


def prune(session: Session, *, before: dt.datetime) -> None:
    """Forget expired sessions and old failures."""
    session.execute(delete(UserSession).where(UserSession.expires_at < before))
    session.execute(delete(LoginFailure).where(LoginFailure.at < before))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))
