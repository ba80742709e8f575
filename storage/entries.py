"""Journal entries typed by hand, opening balances, bookyears and client approvals (rows only).

Numbering is gapless per dossier, journal and bookyear: callers lock the dossier row
(:func:`lock_dossier`) before taking the next number, so two bookings never share one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.errors import NotFound
from storage.models import Dossier, JournalEntry, JournalLine

__all__ = [
    "account_balances",
    "approval_entries",
    "bookyears_in_use",
    "count_waiting",
    "get_entry",
    "lock_dossier",
    "opening_entry",
]


def lock_dossier(session: Session, dossier_id: int) -> Dossier:
    """The dossier row, locked for the transaction on PostgreSQL (SQLite serialises writes)."""
    stmt = select(Dossier).where(Dossier.id == dossier_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    found = session.scalar(stmt)
    if found is None:
        raise NotFound(f"unknown dossier {dossier_id}")
    return found


def get_entry(session: Session, entry_id: int) -> JournalEntry | None:
    return session.get(JournalEntry, entry_id)


def bookyears_in_use(session: Session, dossier_id: int) -> list[str]:
    rows = session.scalars(
        select(JournalEntry.bookyear).where(JournalEntry.dossier_id == dossier_id).distinct()
    )
    return sorted(str(r) for r in rows)


def account_balances(session: Session, dossier_id: int, bookyear: str) -> dict[str, Decimal]:
    """Debit minus credit per account of the booked entries of one bookyear."""
    rows = session.execute(
        select(JournalLine.account, func.sum(JournalLine.debit), func.sum(JournalLine.credit))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(
            JournalEntry.dossier_id == dossier_id,
            JournalEntry.bookyear == bookyear,
            JournalEntry.status == "booked",
        )
        .group_by(JournalLine.account)
    )
    return {str(acc): Decimal(str(d or 0)) - Decimal(str(c or 0)) for acc, d, c in rows.tuples()}


def opening_entry(session: Session, dossier_id: int, bookyear: str) -> JournalEntry | None:
    return session.scalar(
        select(JournalEntry).where(
            JournalEntry.dossier_id == dossier_id,
            JournalEntry.bookyear == bookyear,
            JournalEntry.origin == "opening",
        )
    )


def count_waiting(session: Session, dossier_ids: list[int] | None) -> dict[int, int]:
    """Client bookings waiting for the accountant's approval, per dossier."""
    stmt = (
        select(JournalEntry.dossier_id, func.count())
        .where(JournalEntry.approval == "waiting", JournalEntry.status == "booked")
        .group_by(JournalEntry.dossier_id)
    )
    if dossier_ids is not None:
        if not dossier_ids:
            return {}
        stmt = stmt.where(JournalEntry.dossier_id.in_(dossier_ids))
    return {int(d): int(n) for d, n in session.execute(stmt).tuples()}


def approval_entries(
    session: Session, dossier_id: int, approval: str, *, limit: int = 200
) -> list[JournalEntry]:
    stmt: Any = (
        select(JournalEntry)
        .where(JournalEntry.dossier_id == dossier_id, JournalEntry.approval == approval)
        .order_by(JournalEntry.date, JournalEntry.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))
