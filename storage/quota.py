"""Monthly quota statements: the peak storage use of a dossier in a month, billed per
started GB above its free allowance (issue 17 item 4).

What counts is the dossier's running ``used_bytes`` (originals, each blob once per
dossier); rendered page images and derived files are not in it.  The peak of a month
is the highest daily figure recorded in it (``usage_day``), the figure carried in
from before the month, and, for the running month, today's use.  A statement of a
month that has ended is kept as made; the running month's is brought up to date.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Dossier, Membership, QuotaAlert, QuotaStatement, UsageDay, User, utcnow

__all__ = [
    "GB",
    "PRICE_PER_GB",
    "alert_history",
    "alert_members",
    "claim_alerts",
    "daily_use",
    "lock_statement",
    "month_bounds",
    "sent_alerts",
    "statement_for",
]

GB = 1_000_000_000
PRICE_PER_GB = Decimal("1.00")


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """``YYYY-MM`` -> (first day, first day of the next month); ValueError otherwise."""
    if len(month) != 7 or month[4] != "-":
        raise ValueError(f"month must look like 2026-11, not {month[:20]!r}")
    first = dt.date(int(month[:4]), int(month[5:]), 1)
    nxt = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, nxt


def _peak(session: Session, dossier: Dossier, first: dt.date, nxt: dt.date, today: dt.date) -> int:
    inside = session.scalar(
        select(func.max(UsageDay.used_bytes)).where(
            UsageDay.dossier_id == dossier.id, UsageDay.day >= first, UsageDay.day < nxt
        )
    )
    before = session.scalar(
        select(UsageDay.used_bytes)
        .where(UsageDay.dossier_id == dossier.id, UsageDay.day < first)
        .order_by(UsageDay.day.desc())
        .limit(1)
    )
    values = [int(v) for v in (inside, before) if v is not None]
    if first <= today < nxt:
        values.append(int(dossier.used_bytes or 0))
    return max(values, default=0)


def statement_for(
    session: Session, dossier: Dossier, month: str, *, today: dt.date | None = None
) -> QuotaStatement | None:
    """The dossier's statement of ``month``, made (or brought up to date while the month
    runs) and stored; None for a month that has not begun or before the dossier existed."""
    today = today or utcnow().date()
    first, nxt = month_bounds(month)
    created = dossier.created_at.date() if dossier.created_at else first
    if first > today or nxt <= created:
        return None
    row = session.get(QuotaStatement, (dossier.id, month))
    if row is not None and today >= nxt:
        return row  # a closed month is kept as made
    peak = _peak(session, dossier, first, nxt, today)
    free = int(dossier.free_bytes or 0)
    over = peak - free
    billed = math.ceil(over / GB) if over > 0 else 0
    if row is None:
        row = QuotaStatement(dossier_id=dossier.id, month=month)
        session.add(row)
    row.peak_bytes, row.free_bytes, row.billed_gb = peak, free, billed
    row.amount_eur = PRICE_PER_GB * billed
    session.flush()
    return row


# ----------------------------------------------------------------------------- alerts


def daily_use(session: Session, dossier: Dossier, today: dt.date, days: int) -> list[int]:
    """The dossier's use on each of the last ``days`` days up to today (fewer when it is
    younger): each day the last figure recorded on or before it, today the running one."""
    created = dossier.created_at.date() if dossier.created_at else today
    first = max(today - dt.timedelta(days=days - 1), created)
    if first > today:
        return [int(dossier.used_bytes or 0)]
    carried = session.scalar(
        select(UsageDay.used_bytes)
        .where(UsageDay.dossier_id == dossier.id, UsageDay.day < first)
        .order_by(UsageDay.day.desc())
        .limit(1)
    )
    rows = session.execute(
        select(UsageDay.day, UsageDay.used_bytes).where(
            UsageDay.dossier_id == dossier.id, UsageDay.day >= first, UsageDay.day <= today
        )
    )
    recorded = {day: int(used) for day, used in rows}
    value = int(carried or 0)
    out = []
    for n in range((today - first).days + 1):
        day = first + dt.timedelta(days=n)
        if day in recorded:
            value = int(recorded[day])
        out.append(value)
    out[-1] = int(dossier.used_bytes or 0)
    return out


def alert_members(session: Session, dossier_id: int) -> list[tuple[str, str, str | None]]:
    """(username, global role, e-mail address or None) of the dossier's active
    accountants and entrepreneurs."""
    rows = session.execute(
        select(User.username, User.role, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.dossier_id == dossier_id,
            User.active.is_(True),
            User.role.in_(("accountant", "entrepreneur")),
        )
        .order_by(User.username)
    ).tuples()
    return [(str(u), str(r), str(e) if e else None) for u, r, e in rows]


def sent_alerts(session: Session, dossier_id: int, month: str) -> set[str]:
    return set(
        session.scalars(
            select(QuotaAlert.threshold).where(
                QuotaAlert.dossier_id == dossier_id, QuotaAlert.month == month
            )
        )
    )


def alert_history(
    session: Session, dossier_ids: Sequence[int] | None, *, limit: int = 200
) -> list[QuotaAlert]:
    """The quota alerts sent (of these dossiers; None: all), newest first."""
    query = select(QuotaAlert).order_by(QuotaAlert.sent_at.desc(), QuotaAlert.dossier_id)
    if dossier_ids is not None:
        query = query.where(QuotaAlert.dossier_id.in_(list(dossier_ids)))
    return list(session.scalars(query.limit(limit)))


def claim_alerts(
    session: Session, dossier_id: int, month: str, thresholds: Sequence[str], used: int
) -> bool:
    """Record ``thresholds`` as sent this month (before the mails go, in the same
    transaction); False when another process recorded one of them first."""
    try:
        with session.begin_nested():
            for name in thresholds:
                session.add(
                    QuotaAlert(
                        dossier_id=dossier_id,
                        month=month,
                        threshold=name,
                        used_bytes=used,
                        recipients=[],
                        sent_at=utcnow(),
                    )
                )
            session.flush()
    except IntegrityError:
        return False
    return True


def lock_statement(session: Session, dossier_id: int, month: str) -> QuotaStatement | None:
    """The stored statement, locked (one invoice per dossier and month)."""
    return session.get(
        QuotaStatement, (dossier_id, month), with_for_update=True, populate_existing=True
    )
