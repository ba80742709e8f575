"""Analytical accounting storage: dimensions, codes, line distributions, defaults.

Kept apart from the entries tables: a line's distribution is named by entry id and
line seq (see :class:`storage.models.AnalyticSplit`).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import (
    AnalyticCode,
    AnalyticDefault,
    AnalyticDimension,
    AnalyticSplit,
    JournalEntry,
    JournalLine,
    utcnow,
)

__all__ = [
    "RESULT_CLASSES",
    "add_code",
    "add_dimension",
    "apply_defaults",
    "codes_of",
    "default_for",
    "dimension_by_name",
    "dimensions",
    "get_entry",
    "learn_from_entry",
    "replace_split",
    "report_lines",
    "save_default",
    "splits_of_entry",
]

#: Analytical distributions apply to result accounts: costs (6) and revenue (7).
RESULT_CLASSES = ("6", "7")


def dimensions(s: Session, dossier_id: int) -> list[AnalyticDimension]:
    stmt = (
        select(AnalyticDimension)
        .where(AnalyticDimension.dossier_id == dossier_id)
        .order_by(AnalyticDimension.name)
    )
    return list(s.scalars(stmt))


def dimension_by_name(s: Session, dossier_id: int, name: str) -> AnalyticDimension | None:
    return s.scalar(
        select(AnalyticDimension).where(
            AnalyticDimension.dossier_id == dossier_id, AnalyticDimension.name == name
        )
    )


def add_dimension(s: Session, dossier_id: int, name: str) -> AnalyticDimension:
    dim = AnalyticDimension(dossier_id=dossier_id, name=name, active=True)
    s.add(dim)
    s.flush()
    return dim


def codes_of(s: Session, dimension_id: int) -> list[AnalyticCode]:
    stmt = (
        select(AnalyticCode)
        .where(AnalyticCode.dimension_id == dimension_id)
        .order_by(AnalyticCode.code)
    )
    return list(s.scalars(stmt))


def add_code(s: Session, dimension_id: int, code: str, label: str = "") -> AnalyticCode:
    row = AnalyticCode(dimension_id=dimension_id, code=code, label=label, active=True)
    s.add(row)
    s.flush()
    return row


def get_entry(s: Session, entry_id: int) -> JournalEntry | None:
    return s.get(JournalEntry, entry_id)


def splits_of_entry(s: Session, entry_id: int) -> list[tuple[AnalyticSplit, AnalyticCode]]:
    stmt = (
        select(AnalyticSplit, AnalyticCode)
        .join(AnalyticCode, AnalyticCode.id == AnalyticSplit.code_id)
        .where(AnalyticSplit.entry_id == entry_id)
        .order_by(AnalyticSplit.line_seq, AnalyticSplit.dimension_id, AnalyticSplit.id)
    )
    return [(sp, code) for sp, code in s.execute(stmt).tuples()]


def replace_split(
    s: Session,
    *,
    dossier_id: int,
    entry_id: int,
    line_seq: int,
    dimension_id: int,
    shares: Sequence[tuple[int, Decimal]],
    by_user: int | None,
) -> None:
    """The distribution of one line in one dimension, replacing any earlier one."""
    s.execute(
        delete(AnalyticSplit).where(
            AnalyticSplit.entry_id == entry_id,
            AnalyticSplit.line_seq == line_seq,
            AnalyticSplit.dimension_id == dimension_id,
        )
    )
    for code_id, pct in shares:
        s.add(
            AnalyticSplit(
                dossier_id=dossier_id,
                entry_id=entry_id,
                line_seq=line_seq,
                dimension_id=dimension_id,
                code_id=code_id,
                pct=pct,
                by_user=by_user,
                at=utcnow(),
            )
        )
    s.flush()


def default_for(
    s: Session, dimension_id: int, account: str, supplier_id: int | None
) -> dict[str, Any] | None:
    """The learned ``{code: pct}`` for the supplier and account, else for the account."""
    for sid in ([supplier_id] if supplier_id else []) + [0]:
        row = s.scalar(
            select(AnalyticDefault).where(
                AnalyticDefault.dimension_id == dimension_id,
                AnalyticDefault.account == account,
                AnalyticDefault.supplier_id == sid,
            )
        )
        if row is not None and row.shares:
            return dict(row.shares)
    return None


def save_default(
    s: Session, dimension_id: int, account: str, supplier_id: int | None, shares: dict[str, str]
) -> None:
    sid = supplier_id or 0
    row = s.scalar(
        select(AnalyticDefault).where(
            AnalyticDefault.dimension_id == dimension_id,
            AnalyticDefault.account == account,
            AnalyticDefault.supplier_id == sid,
        )
    )
    if row is None:
        s.add(
            AnalyticDefault(
                dimension_id=dimension_id,
                account=account,
                supplier_id=sid,
                shares=shares,
                at=utcnow(),
            )
        )
    else:
        row.shares = shares
        row.at = utcnow()
    s.flush()


def apply_defaults(s: Session, entry: JournalEntry, by_user: int | None = None) -> int:
    """Store the learned default (supplier and account, else account) on every result
    line of ``entry`` without a distribution; a default naming an inactive code is left
    out.  Returns how many line distributions were stored.  Nothing is learned here:
    an auto-booked entry is no confirmation.  Idempotent."""
    dims = [d for d in dimensions(s, entry.dossier_id) if d.active]
    if not dims:
        return 0
    have = {(sp.line_seq, sp.dimension_id) for sp, _ in splits_of_entry(s, entry.id)}
    stored = 0
    for dim in dims:
        active = {c.code: c.id for c in codes_of(s, dim.id) if c.active}
        for ln in entry.lines:
            if not ln.account.startswith(RESULT_CLASSES) or (ln.seq, dim.id) in have:
                continue
            default = default_for(s, dim.id, ln.account, entry.supplier_id)
            if not default or any(c not in active for c in default):
                continue
            replace_split(
                s,
                dossier_id=entry.dossier_id,
                entry_id=entry.id,
                line_seq=ln.seq,
                dimension_id=dim.id,
                shares=[(active[c], Decimal(str(p))) for c, p in default.items()],
                by_user=by_user,
            )
            stored += 1
    return stored


def learn_from_entry(s: Session, entry: JournalEntry, by_user: int | None = None) -> None:
    """On confirmation: a result line without a distribution gets the learned default
    (stored now, :func:`apply_defaults`), and every line distributed by hand becomes the
    default for its supplier and account and for its account.  Idempotent: replaying a
    confirmation changes nothing."""
    dims = [d for d in dimensions(s, entry.dossier_id) if d.active]
    if not dims:
        return
    have: dict[tuple[int, int], dict[str, str]] = {}
    for sp, code in splits_of_entry(s, entry.id):
        have.setdefault((sp.line_seq, sp.dimension_id), {})[code.code] = format(
            sp.pct.normalize(), "f"
        )
    for dim in dims:
        for ln in entry.lines:
            shares = have.get((ln.seq, dim.id))
            if shares is None or not ln.account.startswith(RESULT_CLASSES):
                continue
            save_default(s, dim.id, ln.account, entry.supplier_id, shares)
            if entry.supplier_id:
                save_default(s, dim.id, ln.account, None, shares)
    apply_defaults(s, entry, by_user)


def report_lines(
    s: Session, dossier_id: int, dimension_id: int, year: str | None
) -> list[tuple[str, str, Decimal, Decimal, list[tuple[str, Decimal]]]]:
    """Booked class 6/7 lines of the dossier: (month, account, debit, credit, shares)."""
    stmt = (
        select(JournalEntry.id, JournalEntry.date, JournalLine)
        .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
        .where(
            JournalEntry.dossier_id == dossier_id,
            JournalEntry.status == "booked",
            (JournalLine.account.like("6%")) | (JournalLine.account.like("7%")),
        )
        .order_by(JournalEntry.id, JournalLine.seq)
    )
    rows = [
        (eid, date, ln)
        for eid, date, ln in s.execute(stmt).tuples()
        if year is None or str(date.year) == year
    ]
    split_stmt = (
        select(AnalyticSplit, AnalyticCode.code)
        .join(AnalyticCode, AnalyticCode.id == AnalyticSplit.code_id)
        .where(AnalyticSplit.dossier_id == dossier_id, AnalyticSplit.dimension_id == dimension_id)
        .order_by(AnalyticSplit.id)
    )
    splits: dict[tuple[int, int], list[tuple[str, Decimal]]] = {}
    for sp, code in s.execute(split_stmt).tuples():
        splits.setdefault((sp.entry_id, sp.line_seq), []).append((code, sp.pct))
    return [
        (
            f"{date.year:04d}-{date.month:02d}",
            ln.account,
            ln.debit,
            ln.credit,
            splits.get((eid, ln.seq), []),
        )
        for eid, date, ln in rows
    ]
