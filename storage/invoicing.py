"""Storage of sales invoicing: customers, items, invoices, the gapless number, sends,
CODA imports, payments and reminders.  Queries only; the rules live in
``pipeline.service.invoicing`` and the ``invoicing`` core.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from storage.errors import NotFound
from storage.models import (
    BankMovement,
    CodaImport,
    Customer,
    InvoiceSend,
    InvoiceSequence,
    JournalEntry,
    JournalLine,
    Payment,
    ReminderSent,
    SalesInvoice,
    SalesInvoiceLine,
    SalesItem,
    utcnow,
)

__all__ = [
    "add_payment",
    "allocate_number",
    "credited_total",
    "get_customer",
    "get_invoice",
    "get_item",
    "get_send",
    "list_customers",
    "list_invoices",
    "list_items",
    "list_movements",
    "list_payments",
    "list_reminders",
    "open_purchase_amounts",
    "open_purchase_entries",
    "open_sales_amounts",
    "pending_sends",
    "replace_lines",
    "sends_of",
]


# ----------------------------------------------------------------------------- customers, items


def get_customer(s: Session, dossier_id: int, customer_id: int) -> Customer:
    row = s.get(Customer, customer_id)
    if row is None or row.dossier_id != dossier_id:
        raise NotFound(f"customer {customer_id} does not exist")
    return row


def list_customers(
    s: Session, dossier_id: int, *, include_inactive: bool = False
) -> list[Customer]:
    q = select(Customer).where(Customer.dossier_id == dossier_id)
    if not include_inactive:
        q = q.where(Customer.active.is_(True))
    return list(s.scalars(q.order_by(Customer.name, Customer.id)))


def get_item(s: Session, dossier_id: int, item_id: int) -> SalesItem:
    row = s.get(SalesItem, item_id)
    if row is None or row.dossier_id != dossier_id:
        raise NotFound(f"item {item_id} does not exist")
    return row


def list_items(s: Session, dossier_id: int, *, include_inactive: bool = False) -> list[SalesItem]:
    q = select(SalesItem).where(SalesItem.dossier_id == dossier_id)
    if not include_inactive:
        q = q.where(SalesItem.active.is_(True))
    return list(s.scalars(q.order_by(SalesItem.description, SalesItem.id)))


# ----------------------------------------------------------------------------- invoices


def get_invoice(s: Session, invoice_id: int, *, lock: bool = False) -> SalesInvoice:
    q = select(SalesInvoice).where(SalesInvoice.id == invoice_id)
    if lock:
        q = q.with_for_update()
    row = s.scalar(q)
    if row is None:
        raise NotFound(f"invoice {invoice_id} does not exist")
    return row


def replace_lines(s: Session, invoice_id: int, rows: Iterable[dict[str, Any]]) -> None:
    for old in s.scalars(select(SalesInvoiceLine).where(SalesInvoiceLine.invoice_id == invoice_id)):
        s.delete(old)
    s.flush()
    for seq, row in enumerate(rows, start=1):
        s.add(SalesInvoiceLine(invoice_id=invoice_id, seq=seq, **row))


def list_invoices(
    s: Session,
    dossier_ids: list[int] | None,
    *,
    state: str | None = None,
    paid: bool | None = None,
    overdue_on: dt.date | None = None,
    customer_id: int | None = None,
    kind: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[SalesInvoice]:
    q = select(SalesInvoice)
    if dossier_ids is not None:
        q = q.where(SalesInvoice.dossier_id.in_(dossier_ids))
    if state:
        q = q.where(SalesInvoice.state == state)
    if kind:
        q = q.where(SalesInvoice.kind == kind)
    if customer_id is not None:
        q = q.where(SalesInvoice.customer_id == customer_id)
    if paid is True:
        q = q.where(SalesInvoice.state == "issued", SalesInvoice.paid_amount >= SalesInvoice.total)
    elif paid is False:
        q = q.where(SalesInvoice.state == "issued", SalesInvoice.paid_amount < SalesInvoice.total)
    if overdue_on is not None:
        q = q.where(
            SalesInvoice.state == "issued",
            SalesInvoice.kind == "invoice",
            SalesInvoice.paid_amount < SalesInvoice.total,
            SalesInvoice.due_date < overdue_on,
        )
    q = q.order_by(SalesInvoice.id.desc()).limit(limit).offset(offset)
    return list(s.scalars(q))


def credit_notes_of(s: Session, invoice_id: int) -> list[int]:
    return list(
        s.scalars(
            select(SalesInvoice.id)
            .where(SalesInvoice.credits_id == invoice_id)
            .order_by(SalesInvoice.id)
        )
    )


def credited_total(s: Session, invoice_id: int) -> Decimal:
    """What issued credit notes already credited of ``invoice_id``."""
    total = s.scalar(
        select(func.coalesce(func.sum(SalesInvoice.total), 0)).where(
            SalesInvoice.credits_id == invoice_id, SalesInvoice.state == "issued"
        )
    )
    return Decimal(str(total or 0))


def allocate_number(s: Session, dossier_id: int, bookyear: int) -> int:
    """The next gapless sequence of ``dossier_id`` in ``bookyear``, inside the caller's
    transaction: the sequence row is locked (``SELECT ... FOR UPDATE`` on PostgreSQL,
    the database write lock on SQLite) until that transaction ends, so a rolled-back
    issue gives its number back and parallel issuers wait for each other."""
    key = {"dossier_id": dossier_id, "bookyear": bookyear}
    row = s.scalar(select(InvoiceSequence).filter_by(**key).with_for_update())
    if row is None:
        try:
            with s.begin_nested():
                s.add(InvoiceSequence(last=0, **key))
        except IntegrityError:
            pass  # a parallel issuer created it first
        row = s.scalar(
            select(InvoiceSequence)
            .filter_by(**key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert row is not None
    # an UPDATE takes the write lock on SQLite too, before the value is read back
    s.execute(update(InvoiceSequence).filter_by(**key).values(last=InvoiceSequence.last + 1))
    s.refresh(row)
    return int(row.last)


# ----------------------------------------------------------------------------- sending


def get_send(s: Session, send_id: int, *, lock: bool = False) -> InvoiceSend:
    q = select(InvoiceSend).where(InvoiceSend.id == send_id)
    if lock:
        q = q.with_for_update()
    row = s.scalar(q)
    if row is None:
        raise NotFound(f"send {send_id} does not exist")
    return row


def sends_of(s: Session, invoice_id: int) -> list[InvoiceSend]:
    return list(
        s.scalars(
            select(InvoiceSend).where(InvoiceSend.invoice_id == invoice_id).order_by(InvoiceSend.id)
        )
    )


def pending_sends(s: Session, *, older_than: dt.datetime | None = None) -> list[int]:
    """Sends still queued (or interrupted while sending), oldest first."""
    q = select(InvoiceSend.id).where(InvoiceSend.state.in_(("queued", "sending")))
    if older_than is not None:
        q = q.where(InvoiceSend.updated_at < older_than)
    return list(s.scalars(q.order_by(InvoiceSend.id)))


# ----------------------------------------------------------------------------- payments


def add_payment(s: Session, **fields: Any) -> Payment:
    row = Payment(**fields)
    s.add(row)
    if row.invoice_id is not None:
        s.execute(
            update(SalesInvoice)
            .where(SalesInvoice.id == row.invoice_id)
            .values(paid_amount=SalesInvoice.paid_amount + row.amount, updated_at=utcnow())
        )
    s.flush()
    return row


def list_payments(
    s: Session, dossier_id: int, *, invoice_id: int | None = None, entry_id: int | None = None
) -> list[Payment]:
    q = select(Payment).where(Payment.dossier_id == dossier_id)
    if invoice_id is not None:
        q = q.where(Payment.invoice_id == invoice_id)
    if entry_id is not None:
        q = q.where(Payment.entry_id == entry_id)
    return list(s.scalars(q.order_by(Payment.id)))


def paid_on_entries(s: Session, entry_ids: Iterable[int]) -> dict[int, Decimal]:
    ids = list(entry_ids)
    if not ids:
        return {}
    rows = s.execute(
        select(Payment.entry_id, func.sum(Payment.amount))
        .where(Payment.entry_id.in_(ids))
        .group_by(Payment.entry_id)
    )
    return {int(eid): Decimal(str(total)) for eid, total in rows if eid is not None}


def open_purchase_entries(s: Session, dossier_id: int) -> list[JournalEntry]:
    """Booked purchase entries with a payment reference (matched by CODA), their lines
    loaded with them (one query for all the lines, not one per entry)."""
    q = (
        select(JournalEntry)
        .where(
            JournalEntry.dossier_id == dossier_id,
            JournalEntry.status == "booked",
            JournalEntry.payment_reference.is_not(None),
        )
        .options(selectinload(JournalEntry.lines))
    )
    return [e for e in s.scalars(q) if any(ln.account.startswith("440") for ln in e.lines)]


_CENT = Decimal("0.01")


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(_CENT)


def open_sales_amounts(s: Session, dossier_id: int) -> list[tuple[int, Decimal, str | None]]:
    """``(invoice id, open amount, structured communication)`` of every issued invoice of
    the dossier not fully paid, in one query of three columns (no ORM rows: a CODA
    import matches against tens of thousands of them)."""
    q = (
        select(
            SalesInvoice.id,
            SalesInvoice.total,
            SalesInvoice.paid_amount,
            SalesInvoice.structured_communication,
        )
        .where(
            SalesInvoice.dossier_id == dossier_id,
            SalesInvoice.state == "issued",
            SalesInvoice.kind == "invoice",
            SalesInvoice.paid_amount < SalesInvoice.total,
        )
        .order_by(SalesInvoice.id.desc())
    )
    found = []
    for iid, total, paid, ogm in s.execute(q).tuples():
        open_amount = _money(total) - _money(paid)
        if open_amount > 0:
            found.append((int(iid), open_amount, ogm))
    return found


def open_purchase_amounts(s: Session, dossier_id: int) -> list[tuple[int, Decimal, str]]:
    """``(entry id, open amount, payment reference)`` of every booked purchase entry with
    a payment reference and a supplier (440…) balance not fully paid: the balance and the
    payments each summed by the database in one query."""
    owed = (
        select(
            JournalLine.entry_id.label("entry_id"),
            func.sum(JournalLine.credit - JournalLine.debit).label("owed"),
        )
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(
            JournalEntry.dossier_id == dossier_id,
            JournalEntry.status == "booked",
            JournalEntry.payment_reference.is_not(None),
            JournalLine.account.like("440%"),
        )
        .group_by(JournalLine.entry_id)
        .subquery()
    )
    paid = (
        select(Payment.entry_id.label("entry_id"), func.sum(Payment.amount).label("paid"))
        .where(Payment.dossier_id == dossier_id, Payment.entry_id.is_not(None))
        .group_by(Payment.entry_id)
        .subquery()
    )
    q = (
        select(JournalEntry.id, owed.c.owed, paid.c.paid, JournalEntry.payment_reference)
        .join(owed, owed.c.entry_id == JournalEntry.id)
        .outerjoin(paid, paid.c.entry_id == JournalEntry.id)
        .order_by(JournalEntry.id)
    )
    found = []
    for eid, total, done, reference in s.execute(q).tuples():
        open_amount = _money(total) - _money(done)
        if open_amount > 0:
            found.append((int(eid), open_amount, str(reference)))
    return found


def find_coda_import(s: Session, dossier_id: int, sha256: str) -> CodaImport | None:
    return s.scalar(
        select(CodaImport).where(CodaImport.dossier_id == dossier_id, CodaImport.sha256 == sha256)
    )


def insert_movements(s: Session, rows: list[dict[str, Any]]) -> dict[int, int]:
    """Store the movements of one import in bulk; returns ``{file line: movement id}``."""
    if not rows:
        return {}
    # Core insert on the table: the ORM's bulk path builds a command per row first
    s.connection().execute(insert(cast(Table, BankMovement.__table__)), rows)
    import_id = rows[0]["import_id"]
    found = s.execute(
        select(BankMovement.line, BankMovement.id).where(BankMovement.import_id == import_id)
    )
    return {int(line): int(mid) for line, mid in found}


def insert_payments(
    s: Session, rows: list[dict[str, Any]], paid_by_invoice: dict[int, Decimal]
) -> None:
    """Store payments in bulk and add them to their invoices (one UPDATE each)."""
    if rows:
        s.connection().execute(insert(cast(Table, Payment.__table__)), rows)
    if paid_by_invoice:
        table = cast(Table, SalesInvoice.__table__)
        s.connection().execute(
            table.update()
            .where(table.c.id == bindparam("b_id"))
            .values(paid_amount=table.c.paid_amount + bindparam("b_amount")),
            [{"b_id": k, "b_amount": v} for k, v in paid_by_invoice.items()],
        )
    s.expire_all()


def list_movements(
    s: Session,
    dossier_id: int,
    *,
    state: str | None = "unmatched",
    import_id: int | None = None,
    limit: int = 500,
) -> list[BankMovement]:
    q = select(BankMovement).where(BankMovement.dossier_id == dossier_id)
    if import_id is not None:
        q = q.where(BankMovement.import_id == import_id)
    if state:
        q = q.where(BankMovement.state == state)
    return list(s.scalars(q.order_by(BankMovement.id).limit(limit)))


def get_movement(s: Session, movement_id: int, *, lock: bool = False) -> BankMovement:
    q = select(BankMovement).where(BankMovement.id == movement_id)
    if lock:
        q = q.with_for_update()
    row = s.scalar(q)
    if row is None:
        raise NotFound(f"bank movement {movement_id} does not exist")
    return row


# ----------------------------------------------------------------------------- reminders


def list_reminders(s: Session, invoice_ids: Iterable[int]) -> list[ReminderSent]:
    ids = list(invoice_ids)
    if not ids:
        return []
    return list(
        s.scalars(
            select(ReminderSent)
            .where(ReminderSent.invoice_id.in_(ids))
            .order_by(ReminderSent.invoice_id, ReminderSent.level)
        )
    )


def reminder_of_send(s: Session, send_id: int) -> ReminderSent | None:
    return s.scalar(select(ReminderSent).where(ReminderSent.send_id == send_id))


def dossiers_with_open_invoices(s: Session, today: dt.date) -> list[int]:
    q = (
        select(SalesInvoice.dossier_id)
        .where(
            SalesInvoice.state == "issued",
            SalesInvoice.kind == "invoice",
            SalesInvoice.paid_amount < SalesInvoice.total,
            SalesInvoice.due_date < today,
        )
        .distinct()
    )
    return sorted(int(d) for d in s.scalars(q))
