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
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Dossier, QuotaStatement, UsageDay, utcnow

__all__ = ["GB", "PRICE_PER_GB", "month_bounds", "statement_for"]

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
