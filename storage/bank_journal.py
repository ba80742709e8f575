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


def sales_invoices(s: Session, invoice_ids: Iterable[int]) -> dict[int, Any]:
    """``{id: row}`` with the ``id``, ``number`` and ``document_id`` of each invoice: plain
    rows, not ORM objects (a CODA import asks for tens of thousands), in bounded IN lists."""
    ids = sorted(set(invoice_ids))
    found: dict[int, Any] = {}
    for start in range(0, len(ids), 500):
        rows = s.execute(
            select(SalesInvoice.id, SalesInvoice.number, SalesInvoice.document_id).where(
                SalesInvoice.id.in_(ids[start : start + 500])
            )
        )
        found.update((int(row.id), row) for row in rows)
    return found


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
    # Core inserts on the tables: the ORM's bulk path prepares every row once more first
    entry_table = cast(Table, JournalEntry.__table__)
    line_table = cast(Table, JournalLine.__table__)
    conn = s.connection()
    ids = _insert_numbered(s, entries)
    if ids is None:  # RETURNING in parameter order: one statement per row on SQLite
        stmt = insert(entry_table).returning(entry_table.c.id, sort_by_parameter_order=True)
        ids = [int(i) for i in conn.execute(stmt, entries).scalars()]
    rows = [{**ln, "entry_id": eid} for eid, group in zip(ids, lines, strict=True) for ln in group]
    if rows:
        conn.execute(insert(line_table), rows)
    return ids


def _insert_numbered(s: Session, entries: list[dict[str, Any]]) -> list[int] | None:
    """Insert entries of one dossier and journal that carry their numbers with one plain
    executemany, and read the ids back by (bookyear, number); None, inserting nothing,
    when that key is not free or not given (the caller then inserts with RETURNING)."""
    dossiers = {e.get("dossier_id") for e in entries}
    journals = {e.get("journal") for e in entries}
    if len(dossiers) != 1 or len(journals) != 1 or any(e.get("number") is None for e in entries):
        return None
    keys = [(str(e["bookyear"]), int(e["number"])) for e in entries]
    if len(set(keys)) != len(keys):
        return None
    (dossier_id,), (journal,) = dossiers, journals
    numbers = [n for _, n in keys]
    years = sorted({y for y, _ in keys})

    def taken() -> list[tuple[int, str, int]]:
        q = select(JournalEntry.id, JournalEntry.bookyear, JournalEntry.number).where(
            JournalEntry.dossier_id == dossier_id,
            JournalEntry.journal == journal,
            JournalEntry.bookyear.in_(years),
            JournalEntry.number.between(min(numbers), max(numbers)),
        )
        return [(int(i), str(y), int(n)) for i, y, n in s.execute(q).tuples() if n is not None]

    wanted = set(keys)
    if any((y, n) in wanted for _, y, n in taken()):
        return None
    s.connection().execute(insert(cast(Table, JournalEntry.__table__)), entries)
    found = {(y, n): i for i, y, n in taken() if (y, n) in wanted}
    if len(found) != len(keys):
        raise RuntimeError("bank entries inserted but not all found back by their number")
    return [found[k] for k in keys]
