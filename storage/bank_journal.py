"""The bank (financial) journal fed by CODA: which movements are known already, the
counterparty accounts of the invoices a movement settles, and the movement -> entry link
(rows only; the rules live in :mod:`pipeline.service.bank_journal`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.orm import Session

from storage.models import BankMovement, JournalEntry, JournalLine, SalesInvoice

__all__ = [
    "entry_accounts",
    "insert_entries",
    "known_keys",
    "link_movements",
    "sales_invoices",
]


def known_keys(s: Session, dossier_id: int, keys: Iterable[str]) -> set[str]:
    """The movement keys of ``keys`` the dossier holds already (imported before)."""
    wanted = sorted(set(keys))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):  # bounded IN lists
        chunk = wanted[start : start + 500]
        rows = s.scalars(
            select(BankMovement.movement_key).where(
                BankMovement.dossier_id == dossier_id, BankMovement.movement_key.in_(chunk)
            )
        )
        found.update(str(r) for r in rows if r is not None)
    return found


def sales_invoices(s: Session, invoice_ids: Iterable[int]) -> dict[int, SalesInvoice]:
    ids = sorted(set(invoice_ids))
    if not ids:
        return {}
    return {inv.id: inv for inv in s.scalars(select(SalesInvoice).where(SalesInvoice.id.in_(ids)))}


def entry_accounts(
    s: Session,
    *,
    entry_ids: Iterable[int] = (),
    document_ids: Iterable[int] = (),
    prefix: str,
) -> tuple[dict[int, str], dict[int, str]]:
    """The first account starting with ``prefix`` (e.g. ``40`` receivable, ``44`` payable)
    of booked entries, by entry id and by document id."""
    eids, dids = sorted(set(entry_ids)), sorted(set(document_ids))
    if not eids and not dids:
        return {}, {}
    cond = []
    if eids:
        cond.append(JournalEntry.id.in_(eids))
    if dids:
        cond.append(JournalEntry.document_id.in_(dids))
    stmt = (
        select(JournalEntry.id, JournalEntry.document_id, JournalLine.account)
        .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
        .where(
            JournalEntry.status == "booked",
            JournalLine.account.like(f"{prefix}%"),
            cond[0] if len(cond) == 1 else (cond[0] | cond[1]),
        )
        .order_by(JournalEntry.id, JournalLine.seq)
    )
    by_entry: dict[int, str] = {}
    by_document: dict[int, str] = {}
    for eid, did, account in s.execute(stmt).tuples():
        by_entry.setdefault(int(eid), str(account))
        if did is not None:
            by_document.setdefault(int(did), str(account))
    return by_entry, by_document


def link_movements(s: Session, entries: dict[int, int], *, state: str | None = None) -> None:
    """Record the entry booking each movement (``{movement id: entry id}``), one
    executemany; ``state`` sets the movements' state too."""
    if not entries:
        return
    table = cast(Table, BankMovement.__table__)
    values: dict[str, Any] = {"entry_id": bindparam("b_entry")}
    if state is not None:
        values["state"] = state
    s.connection().execute(
        table.update().where(table.c.id == bindparam("b_id")).values(**values),
        [{"b_id": m, "b_entry": e} for m, e in entries.items()],
    )
    s.expire_all()


def insert_entries(
    s: Session, entries: list[dict[str, Any]], lines: list[list[dict[str, Any]]]
) -> list[int]:
    """Insert booked entries and their lines in bulk (one executemany each); returns the
    entry ids in the order given.  ``lines[i]`` are the lines of ``entries[i]``."""
    if not entries:
        return []
    s.flush()
    stmt = insert(JournalEntry).returning(JournalEntry.id, sort_by_parameter_order=True)
    ids = [int(i) for i in s.scalars(stmt, entries)]
    rows = [{**ln, "entry_id": eid} for eid, group in zip(ids, lines, strict=True) for ln in group]
    if rows:
        s.execute(insert(JournalLine), rows)
    return ids
