"""Ledger queries: the books of a dossier aggregated in SQL.

Booked journal lines are summed per account and month, per entry (for open items) and
paged per account (general ledger), so a dossier with tens of thousands of lines
answers in milliseconds (indexes ``ix_entry_dossier_status_date`` and
``ix_journal_line_account_entry``, migration 0009).  Rows come back as plain dicts;
the ledger core (:mod:`ledger`) turns them into reports.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, delete, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from storage.models import (
    Account,
    Document,
    Dossier,
    JournalEntry,
    JournalLine,
    OwnChart,
    Payment,
    SalesInvoice,
    Supplier,
)

BOOKED = "booked"
ZERO = Decimal("0.00")
#: documents that still need the accountant (not booked, not refused, not filed away)
WAITING_STATES = ("received", "extracted", "proposed", "failed", "quarantined")


_CENT = Decimal("0.01")


def _dec(value: Any) -> Decimal:
    if not value:
        return ZERO
    if type(value) is Decimal:  # most sums already are (no detour through str)
        return value.quantize(_CENT)
    return Decimal(str(value)).quantize(_CENT)


def _booked(dossier_id: int) -> ColumnElement[bool]:
    return and_(JournalEntry.dossier_id == dossier_id, JournalEntry.status == BOOKED)


def account_range(lo: str, hi: str) -> ColumnElement[bool]:
    """Accounts between the prefixes ``lo`` and ``hi`` inclusive (index-friendly)."""
    return and_(JournalLine.account >= lo, JournalLine.account < _after(hi))


def _after(prefix: str) -> str:
    """A string above every account number that starts with ``prefix``: account numbers
    are digits, and a letter sorts after every digit in every collation."""
    return prefix + "z"


def ranges_clause(ranges: tuple[tuple[str, str], ...]) -> ColumnElement[bool]:
    return or_(*(account_range(lo, hi) for lo, hi in ranges))


# ----------------------------------------------------------------------------- sums


def account_months(
    s: Session,
    dossier_id: int,
    *,
    start: str | None = None,
    end: str | None = None,
    ranges: tuple[tuple[str, str], ...] | None = None,
) -> list[tuple[str, str, Decimal, Decimal]]:
    """(account, month, debit, credit) of booked lines, months ``start``..``end``."""
    stmt = (
        select(
            JournalLine.account,
            JournalEntry.period,
            func.sum(JournalLine.debit),
            func.sum(JournalLine.credit),
        )
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(_booked(dossier_id))
        .group_by(JournalLine.account, JournalEntry.period)
    )
    if start:
        stmt = stmt.where(JournalEntry.period >= start)
    if end:
        stmt = stmt.where(JournalEntry.period <= end)
    if ranges:
        stmt = stmt.where(ranges_clause(ranges))
    return [(a, p, _dec(d), _dec(c)) for a, p, d, c in s.execute(stmt)]


def account_names(s: Session, dossier_id: int) -> dict[str, str]:
    rows = s.execute(
        select(Account.number, Account.name_nl, Account.name_fr).where(
            Account.dossier_id == dossier_id
        )
    )
    return {n: (nl or fr or "") for n, nl, fr in rows}


def count_lines(s: Session, dossier_id: int) -> int:
    """The baseline of the bench: a bare count of the dossier's booked lines."""
    return int(
        s.scalar(
            select(func.count(JournalLine.id))
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .where(_booked(dossier_id))
        )
        or 0
    )


# ----------------------------------------------------------------------------- lines


def _counterparty() -> Any:
    return func.coalesce(
        SalesInvoice.customer_name, Supplier.name, Document.supplier_name, literal("")
    )


def _line_columns() -> tuple[Any, ...]:
    return (
        JournalLine.entry_id,
        JournalEntry.date,
        JournalEntry.journal,
        JournalLine.account,
        JournalLine.debit,
        JournalLine.credit,
        JournalEntry.number,
        JournalEntry.period,
        JournalEntry.vat_period,
        JournalLine.vat_grids,
        _counterparty().label("counterparty"),
        JournalLine.description,
        JournalEntry.document_id,
        JournalEntry.due_date,
    )


def _with_names(stmt: Any) -> Any:
    return (
        stmt.outerjoin(Supplier, Supplier.id == JournalEntry.supplier_id)
        .outerjoin(Document, Document.id == JournalEntry.document_id)
        .outerjoin(SalesInvoice, SalesInvoice.document_id == JournalEntry.document_id)
    )


def _row(r: Any) -> dict[str, Any]:
    return {
        "entry_id": r[0],
        "date": r[1],
        "journal": r[2],
        "account": r[3],
        "debit": _dec(r[4]),
        "credit": _dec(r[5]),
        "number": r[6],
        "period": r[7],
        "vat_period": r[8] or "",
        "vat_grids": tuple(str(g) for g in (r[9] or ())),
        "counterparty": r[10] or "",
        "description": r[11] or "",
        "document_id": r[12],
        "due_date": r[13],
    }


def lines(
    s: Session,
    dossier_id: int,
    *,
    ranges: tuple[tuple[str, str], ...] | None = None,
    account: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    entry_ids: list[int] | None = None,
    vat_period: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Booked lines with their entry and counterparty, by date, entry and line."""
    stmt = _with_names(
        select(*_line_columns())
        .select_from(JournalLine)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
    ).where(_booked(dossier_id))
    if account is not None:
        stmt = stmt.where(JournalLine.account == account)
    if ranges:
        stmt = stmt.where(ranges_clause(ranges))
    if start is not None:
        stmt = stmt.where(JournalEntry.date >= start)
    if end is not None:
        stmt = stmt.where(JournalEntry.date <= end)
    if entry_ids is not None:
        stmt = stmt.where(JournalLine.entry_id.in_(entry_ids))
    if vat_period is not None:
        stmt = stmt.where(
            or_(
                JournalEntry.vat_period == vat_period,
                and_(JournalEntry.vat_period == "", JournalEntry.period == vat_period),
            )
        )
    stmt = stmt.order_by(JournalEntry.date, JournalLine.entry_id, JournalLine.seq)
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_row(r) for r in s.execute(stmt)]


def account_page(
    s: Session,
    dossier_id: int,
    account: str,
    *,
    start: dt.date | None,
    end: dt.date | None,
    offset: int,
    limit: int,
) -> tuple[Decimal, int, Decimal, list[dict[str, Any]]]:
    """One page of an account's ledger: (balance carried into the page, lines in the
    period, closing balance of the period, the page's lines)."""
    base = (
        select(JournalLine.debit, JournalLine.credit)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(_booked(dossier_id), JournalLine.account == account)
    )
    before = base.where(JournalEntry.date < start) if start else None
    opening = ZERO
    if before is not None:
        sub = before.subquery()
        d, c = s.execute(select(func.sum(sub.c.debit), func.sum(sub.c.credit))).one()
        opening = _dec(d) - _dec(c)
    inside = base
    if start:
        inside = inside.where(JournalEntry.date >= start)
    if end:
        inside = inside.where(JournalEntry.date <= end)
    sub = inside.subquery()
    n, d, c = s.execute(select(func.count(), func.sum(sub.c.debit), func.sum(sub.c.credit))).one()
    closing = opening + _dec(d) - _dec(c)
    carried = opening
    if offset:
        head = (
            inside.order_by(JournalEntry.date, JournalLine.entry_id, JournalLine.seq)
            .limit(offset)
            .subquery()
        )
        d, c = s.execute(select(func.sum(head.c.debit), func.sum(head.c.credit))).one()
        carried += _dec(d) - _dec(c)
    page = lines(s, dossier_id, account=account, start=start, end=end, offset=offset, limit=limit)
    return carried, int(n or 0), closing, page


def entry_ids_page(
    s: Session,
    dossier_id: int,
    *,
    journal: str | None = None,
    period: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[int, list[int]]:
    """(number of booked entries, one page of their ids) by journal, date, number."""
    where = [_booked(dossier_id)]
    if journal:
        where.append(JournalEntry.journal == journal)
    if period:
        where.append(JournalEntry.period == period)
    total = s.scalar(select(func.count(JournalEntry.id)).where(*where)) or 0
    ids = s.scalars(
        select(JournalEntry.id)
        .where(*where)
        .order_by(JournalEntry.journal, JournalEntry.date, JournalEntry.number, JournalEntry.id)
        .offset(offset)
        .limit(limit)
    )
    return int(total), list(ids)


def journal_codes(s: Session, dossier_id: int) -> list[str]:
    return list(
        s.scalars(
            select(JournalEntry.journal)
            .distinct()
            .where(_booked(dossier_id))
            .order_by(JournalEntry.journal)
        )
    )


def vat_periods(s: Session, dossier_id: int) -> list[str]:
    """The VAT periods of booked entries, latest first."""
    label = func.coalesce(func.nullif(JournalEntry.vat_period, ""), JournalEntry.period)
    return list(
        s.scalars(select(label).distinct().where(_booked(dossier_id)).order_by(label.desc()))
    )


def claims(
    s: Session,
    dossier_id: int,
    prefix: str,
    *,
    as_of: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Per booked entry: its summed ``prefix`` (40 or 44) lines, as one line per entry."""
    return claims_of(s, dossier_id, (prefix,), as_of=as_of)[prefix]


def claims_of(
    s: Session,
    dossier_id: int,
    prefixes: tuple[str, ...],
    *,
    as_of: dt.date | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """:func:`claims` of several account prefixes in one pass over the lines."""
    inside = {p: account_range(p, p) for p in prefixes}
    cols: list[Any] = [JournalLine.entry_id.label("entry_id")]
    for n, p in enumerate(prefixes):
        cols += [
            func.sum(case((inside[p], JournalLine.debit), else_=0)).label(f"d{n}"),
            func.sum(case((inside[p], JournalLine.credit), else_=0)).label(f"c{n}"),
            func.sum(case((inside[p], 1), else_=0)).label(f"n{n}"),
        ]
    sums = (
        select(*cols)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(_booked(dossier_id), or_(*inside.values()))
        .group_by(JournalLine.entry_id)
    )
    if as_of is not None:
        sums = sums.where(JournalEntry.date <= as_of)
    sub = sums.subquery()
    stmt = _with_names(
        select(
            sub,
            JournalEntry.date,
            JournalEntry.journal,
            JournalEntry.number,
            JournalEntry.period,
            JournalEntry.vat_period,
            _counterparty().label("counterparty"),
            JournalEntry.document_id,
            JournalEntry.due_date,
        )
        .select_from(sub)
        .join(JournalEntry, JournalEntry.id == sub.c.entry_id)
    )
    out: dict[str, list[dict[str, Any]]] = {p: [] for p in prefixes}
    last = 1 + 3 * len(prefixes)  # entry id, then debit, credit, count per prefix
    for r in s.execute(stmt):  # positional: no mapping per row (the dashboard's bulk)
        date, journal, number, period, vat_period, counterparty, document_id, due = r[last:]
        for n, p in enumerate(prefixes):
            if not r[3 + 3 * n]:
                continue
            out[p].append(
                {
                    "entry_id": r[0],
                    "date": date,
                    "journal": journal,
                    "account": p,
                    "debit": _dec(r[1 + 3 * n]),
                    "credit": _dec(r[2 + 3 * n]),
                    "number": number,
                    "period": period,
                    "vat_period": vat_period or "",
                    "vat_grids": (),
                    "counterparty": counterparty or "",
                    "description": "",
                    "document_id": document_id,
                    "due_date": due,
                }
            )
    return out


def books_version(s: Session, dossier_id: int) -> tuple[Any, ...]:
    """A cheap fingerprint of the dossier's booked entries and payments: it changes
    whenever an entry is booked, reopened, rebooked or a payment recorded (cache key)."""
    entries = s.execute(
        select(
            func.count(JournalEntry.id),
            func.max(JournalEntry.id),
            func.sum(JournalEntry.id),
            func.max(JournalEntry.booked_at),
        ).where(_booked(dossier_id))
    ).one()
    payments = s.execute(
        select(func.count(Payment.id), func.max(Payment.id), func.sum(Payment.amount)).where(
            Payment.dossier_id == dossier_id
        )
    ).one()
    return (*entries, *payments)


def paid_per_entry(s: Session, dossier_id: int) -> dict[int, Decimal]:
    """Recorded payments per journal entry: a purchase entry's own payments, and a
    sales invoice's payments on the entry booked from its document."""
    paid: dict[int, Decimal] = {}
    direct = s.execute(
        select(Payment.entry_id, func.sum(Payment.amount))
        .where(Payment.dossier_id == dossier_id, Payment.entry_id.is_not(None))
        .group_by(Payment.entry_id)
    )
    via_invoice = s.execute(
        select(JournalEntry.id, func.sum(Payment.amount))
        .join(SalesInvoice, SalesInvoice.id == Payment.invoice_id)
        .join(JournalEntry, JournalEntry.document_id == SalesInvoice.document_id)
        .where(Payment.dossier_id == dossier_id, Payment.entry_id.is_(None))
        .group_by(JournalEntry.id)
    )
    for eid, total in [*direct, *via_invoice]:
        paid[int(eid)] = paid.get(int(eid), ZERO) + _dec(total)
    return paid


# ----------------------------------------------------------------------------- overview


def overview(s: Session, dossier_ids: list[int] | None) -> list[dict[str, Any]]:
    """Per dossier: documents waiting, the oldest unbooked one, the booking months
    with booked entries after ``locked_through``, storage use, the last document."""
    dq = select(Dossier).order_by(Dossier.name)
    if dossier_ids is not None:
        dq = dq.where(Dossier.id.in_(dossier_ids))
    dossiers = list(s.scalars(dq))
    ids = [d.id for d in dossiers]
    if not ids:
        return []
    waiting = dict(
        s.execute(
            select(Document.dossier_id, func.count(Document.id))
            .where(Document.dossier_id.in_(ids), Document.state.in_(WAITING_STATES))
            .group_by(Document.dossier_id)
        ).all()
    )
    oldest = dict(
        s.execute(
            select(Document.dossier_id, func.min(Document.created_at))
            .where(Document.dossier_id.in_(ids), Document.state.in_(WAITING_STATES))
            .group_by(Document.dossier_id)
        ).all()
    )
    last = dict(
        s.execute(
            select(Document.dossier_id, func.max(Document.created_at))
            .where(Document.dossier_id.in_(ids), Document.parent_id.is_(None))
            .group_by(Document.dossier_id)
        ).all()
    )
    label = func.coalesce(func.nullif(JournalEntry.vat_period, ""), JournalEntry.period)
    periods: dict[int, list[tuple[str, str]]] = {}
    for did, period, vat in s.execute(
        select(JournalEntry.dossier_id, JournalEntry.period, label)
        .where(JournalEntry.dossier_id.in_(ids), JournalEntry.status == BOOKED)
        .group_by(JournalEntry.dossier_id, JournalEntry.period, label)
    ):
        periods.setdefault(did, []).append((period, vat))
    out = []
    for d in dossiers:
        locked = str((d.settings or {}).get("locked_through") or "")[:7]
        open_vat = sorted({vat for period, vat in periods.get(d.id, []) if period > locked})
        out.append(
            {
                "dossier_id": d.id,
                "name": d.name,
                "waiting": int(waiting.get(d.id, 0)),
                "oldest_unbooked": oldest.get(d.id),
                "open_vat_periods": tuple(open_vat),
                "used_bytes": int(d.used_bytes),
                "free_bytes": int(d.free_bytes),
                "last_upload": last.get(d.id),
            }
        )
    return out


# ----------------------------------------------------------------------------- own charts


def add_chart(s: Session, **fields: Any) -> OwnChart:
    chart = OwnChart(**fields)
    s.add(chart)
    s.flush()
    return chart


def list_charts(s: Session, user_id: int, dossier_id: int) -> list[OwnChart]:
    return list(
        s.scalars(
            select(OwnChart)
            .where(OwnChart.user_id == user_id, OwnChart.dossier_id == dossier_id)
            .order_by(OwnChart.id)
        )
    )


def count_charts(s: Session, user_id: int, dossier_id: int) -> int:
    return int(
        s.scalar(
            select(func.count(OwnChart.id)).where(
                OwnChart.user_id == user_id, OwnChart.dossier_id == dossier_id
            )
        )
        or 0
    )


def delete_chart(s: Session, user_id: int, dossier_id: int, chart_id: int) -> bool:
    result = s.execute(
        delete(OwnChart).where(
            OwnChart.id == chart_id,
            OwnChart.user_id == user_id,
            OwnChart.dossier_id == dossier_id,
        )
    )
    return bool(getattr(result, "rowcount", 0))


__all__ = [
    "WAITING_STATES",
    "account_months",
    "account_names",
    "account_page",
    "add_chart",
    "books_version",
    "claims",
    "claims_of",
    "count_charts",
    "count_lines",
    "delete_chart",
    "entry_ids_page",
    "journal_codes",
    "lines",
    "list_charts",
    "overview",
    "paid_per_entry",
    "vat_periods",
]
