"""Rechecking an entry the accountant edited (what the service layer calls before booking).

Amounts edited in the UI come back as floats: each is read as ``Decimal(str(x))``
and float noise below a thousandth of a cent is rounded to the cent.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from booking.amounts import CENT, ZERO, money
from booking.chart import Account
from booking.context import Dossier
from booking.learning import line_value
from booking.periods import lock_reason, period_of
from booking.vat import GRID_SIDE

__all__ = ["check_entry", "to_decimal"]

_NOISE = Decimal("0.000001")


def to_decimal(value: Any) -> Decimal:
    """A UI amount as Decimal: floats via ``str``, None/"" as zero; raises ValueError."""
    if value is None or value == "":
        return ZERO
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    if isinstance(value, float) and abs(amount - money(amount)) < _NOISE:
        return money(amount)
    return amount


def _check_line(i: int, line: Any, accounts: set[str] | None) -> tuple[Decimal, Decimal, list[str]]:
    where = f"line {i + 1}"
    problems: list[str] = []
    account = str(line_value(line, "account") or "").strip()
    if not account:
        problems.append(f"{where}: no account")
    elif accounts is not None and account not in accounts:
        problems.append(f"{where}: account {account} is not in the dossier's chart")
    amounts = []
    for name in ("debit", "credit"):
        try:
            value = to_decimal(line_value(line, name))
        except ValueError as exc:
            problems.append(f"{where}: {name} {exc}")
            value = ZERO
        if value < 0:
            problems.append(f"{where}: {name} {value} is negative")
        if value != value.quantize(CENT):
            problems.append(f"{where}: {name} {value} has more than two decimals")
        amounts.append(value)
    debit, credit = amounts
    if debit and credit:
        problems.append(f"{where}: both debit {debit} and credit {credit}")
    for grid in line_value(line, "vat_grid") or ():
        if str(grid) not in GRID_SIDE:
            problems.append(f"{where}: unknown VAT grid {grid!r}")
    return debit, credit, problems


def check_entry(
    lines: Sequence[Any],
    *,
    dossier: Dossier | None = None,
    date: _dt.date | None = None,
    period: str | None = None,
    chart: Iterable[Account] | None = None,
) -> list[str]:
    """Problems that forbid booking ``lines`` (empty list: the entry can be booked).

    Checks every line (account, amounts, grids), the balance to the cent, and,
    given a dossier and a date or period, that the period is open.
    """
    if not lines:
        return ["the entry has no lines"]
    if chart is None and dossier is not None:
        chart = dossier.chart
    accounts = None if chart is None else {acc.number for acc in chart}
    problems: list[str] = []
    total_debit = total_credit = ZERO
    for i, line in enumerate(lines):
        debit, credit, found = _check_line(i, line, accounts)
        problems += found
        total_debit += debit
        total_credit += credit
    if total_debit != total_credit:
        problems.append(
            f"the entry does not balance: debit {total_debit}, credit {total_credit} "
            f"(difference {total_debit - total_credit})"
        )
    when = period or (period_of(date) if date is not None else None)
    if dossier is not None and when is not None:
        reason = lock_reason(when, dossier)
        if reason:
            problems.append(reason)
    return problems
