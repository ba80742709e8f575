"""Bookyear, period and VAT period of a document date; locked periods.

Periods are calendar months ``"YYYY-MM"``.  A dossier locks every month up to
and including ``locked_through`` (``"YYYY-MM"`` or an ISO date) plus each month
in ``locked_periods``.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from booking.context import Dossier
from booking.errors import InvalidContext

__all__ = ["PeriodInfo", "first_open_period", "lock_reason", "period_info", "period_of"]


@dataclass(frozen=True, slots=True)
class PeriodInfo:
    bookyear: str
    period: str
    period_index: int
    vat_period: str


def _month(period: str) -> tuple[int, int]:
    try:
        year, month = int(period[:4]), int(period[5:7])
    except ValueError as exc:
        raise InvalidContext(f"period {period!r} is not YYYY-MM") from exc
    if not 1 <= month <= 12 or period[4:5] != "-":
        raise InvalidContext(f"period {period!r} is not YYYY-MM")
    return year, month


def period_info(period: str, dossier: Dossier) -> PeriodInfo:
    year, month = _month(period)
    start = dossier.bookyear_start_month
    if not 1 <= start <= 12:
        raise InvalidContext(f"bookyear start month {start} is not 1..12")
    first_year = year if month >= start else year - 1
    bookyear = str(first_year) if start == 1 else f"{first_year}-{first_year + 1}"
    index = (month - start) % 12 + 1
    if dossier.vat_period == "month":
        vat_period = period
    elif dossier.vat_period == "quarter":
        vat_period = f"{year}-Q{(month - 1) // 3 + 1}"
    else:
        raise InvalidContext(f"VAT period {dossier.vat_period!r} is not 'month' or 'quarter'")
    return PeriodInfo(bookyear, period, index, vat_period)


def period_of(day: _dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def lock_reason(period: str, dossier: Dossier) -> str | None:
    """Why ``period`` is locked, or None when it is open."""
    key = _month(period)
    if dossier.locked_through and key <= _month(dossier.locked_through[:7]):
        return (
            f"period {period} is locked: the dossier is closed through "
            f"{dossier.locked_through[:7]} (VAT return filed or year closed)"
        )
    if period in dossier.locked_periods:
        return f"period {period} is locked (VAT return filed)"
    return None


def first_open_period(period: str, dossier: Dossier, *, horizon: int = 36) -> str | None:
    year, month = _month(period)
    for _ in range(horizon):
        candidate = f"{year:04d}-{month:02d}"
        if lock_reason(candidate, dossier) is None:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None
