"""Retention: what must be kept until when, legal holds, and the purge that deletes
what is past its date (with an audit record of what went).

* A document is kept until 1 January of the year after its date (the invoice date,
  else the day it arrived) plus ``retention_years`` (the dossier's setting, default 10:
  Belgian VAT Code art. 60 § 4).  An entry is kept until 1 January after the closing of
  its bookyear plus the same years; a document booked in an entry is kept as long as
  the entry.  Computed from the rows, never stored, so a later date or a changed
  setting always counts.
* A legal hold on the dossier or the document blocks deletion indefinitely.
* :func:`run_purge` deletes in three phases, each committed before the next, so a
  crash at any point resumes (the next run picks up the ``marked`` items first)
  without losing a retained file or leaving a row without its blob:

  1. **mark**: one ``purge_item`` row (state ``marked``) per document, entry or mail
     past its date;
  2. **rows**: re-check each marked item (a hold placed meanwhile wins: ``kept``),
     delete its rows (dependent rows deleted or unlinked), take its blob out of the
     dossier's quota; state ``rows``;
  3. **blobs**: delete the blob row and then the stored bytes of every blob no row
     references any more; state ``deleted``.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from storage.blobgc import _referencing_columns
from storage.errors import Conflict, NotFound
from storage.models import (
    AuditEvent,
    Base,
    Blob,
    Document,
    Dossier,
    DossierBlob,
    JournalEntry,
    Mail,
    PurgeItem,
    UsageDay,
    utcnow,
)

__all__ = [
    "DEFAULT_RETENTION_YEARS",
    "PurgePlan",
    "PurgeReport",
    "bookyear_retain_until",
    "date_retain_until",
    "delete_dossier",
    "document_retention",
    "plan_purge",
    "purge_log",
    "retention_years",
    "run_purge",
    "set_hold",
]

DEFAULT_RETENTION_YEARS = 10
MIN_RETENTION_YEARS = 7  # company law's minimum: the setting never goes below it
_CHUNK = 500


def retention_years(dossier: Dossier) -> int:
    raw = (dossier.settings or {}).get("retention_years", DEFAULT_RETENTION_YEARS)
    try:
        years = int(raw)
    except (TypeError, ValueError):
        return DEFAULT_RETENTION_YEARS
    return max(MIN_RETENTION_YEARS, years)


def date_retain_until(day: dt.date, years: int) -> dt.date:
    """Ten (``years``) years from 1 January after ``day``."""
    return dt.date(day.year + 1 + years, 1, 1)


def bookyear_retain_until(bookyear: str, years: int) -> dt.date:
    """``years`` from 1 January after the closing of the bookyear ("2025", "2025-2026")."""
    last = int(bookyear.strip()[-4:])
    return dt.date(last + 1 + years, 1, 1)


def _doc_day(doc_date: dt.date | None, created: dt.datetime) -> dt.date:
    return doc_date or created.date()


@dataclass(frozen=True, slots=True)
class Retention:
    retain_until: dt.date
    held: bool

    def deletable(self, today: dt.date) -> bool:
        return not self.held and today >= self.retain_until


def document_retention(session: Session, document_id: int) -> Retention:
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound(f"unknown document: {document_id}")
    dossier = session.get(Dossier, doc.dossier_id)
    assert dossier is not None
    years = retention_years(dossier)
    until = date_retain_until(_doc_day(doc.invoice_date, doc.created_at), years)
    bookyear = session.scalar(
        select(JournalEntry.bookyear).where(JournalEntry.document_id == document_id)
    )
    if bookyear:
        until = max(until, bookyear_retain_until(bookyear, years))
    return Retention(until, bool(doc.legal_hold or dossier.legal_hold))


# ----------------------------------------------------------------------------- holds


def set_hold(
    session: Session, dossier_id: int, *, document_id: int | None, on: bool, user_id: int | None
) -> None:
    dossier = session.get(Dossier, dossier_id, with_for_update=True)
    if dossier is None:
        raise NotFound(f"unknown dossier: {dossier_id}")
    if document_id is None:
        dossier.legal_hold = on
    else:
        doc = session.get(Document, document_id, with_for_update=True)
        if doc is None or doc.dossier_id != dossier_id:
            raise NotFound(f"unknown document: {document_id}")
        doc.legal_hold = on
    session.add(
        AuditEvent(
            action="archive.hold" if on else "archive.release",
            dossier_id=dossier_id,
            document_id=document_id,
            user_id=user_id,
            detail={},
        )
    )


# ----------------------------------------------------------------------------- plan


@dataclass(frozen=True, slots=True)
class Candidate:
    kind: str  # document | entry
    object_id: int
    sha256: str | None
    size: int
    label: str
    retain_until: dt.date


@dataclass(slots=True)
class PurgePlan:
    dossier_id: int
    today: dt.date
    due: list[Candidate] = field(default_factory=list)
    retained: int = 0
    held: int = 0
    next_date: dt.date | None = None

    @property
    def due_bytes(self) -> int:
        return sum(c.size for c in self.due if c.kind == "document")


def plan_purge(session: Session, dossier_id: int, today: dt.date) -> PurgePlan:
    """What a purge of the dossier would delete today, and what it keeps."""
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound(f"unknown dossier: {dossier_id}")
    years = retention_years(dossier)
    plan = PurgePlan(dossier_id, today)

    def keep(until: dt.date, held: bool) -> bool:
        if held:
            plan.held += 1
            return True
        if today < until:
            plan.retained += 1
            plan.next_date = until if plan.next_date is None else min(plan.next_date, until)
            return True
        return False

    rows = session.execute(
        select(
            Document.id,
            Document.blob_sha256,
            Document.size,
            Document.filename,
            Document.invoice_date,
            Document.created_at,
            Document.legal_hold,
            JournalEntry.bookyear,
        )
        .outerjoin(JournalEntry, JournalEntry.document_id == Document.id)
        .where(Document.dossier_id == dossier_id)
        .order_by(Document.id)
    )
    for doc_id, sha, size, filename, day, created, held, bookyear in rows:
        until = date_retain_until(_doc_day(day, created), years)
        if bookyear:
            until = max(until, bookyear_retain_until(bookyear, years))
        if keep(until, bool(held or dossier.legal_hold)):
            continue
        label = filename or f"document {doc_id}"
        plan.due.append(Candidate("document", doc_id, sha, int(size or 0), label, until))
    entries = session.execute(
        select(JournalEntry.id, JournalEntry.bookyear, JournalEntry.journal, JournalEntry.number)
        .where(JournalEntry.dossier_id == dossier_id, JournalEntry.document_id.is_(None))
        .order_by(JournalEntry.id)
    )
    for entry_id, bookyear, journal, number in entries:
        until = bookyear_retain_until(bookyear, years)
        if keep(until, bool(dossier.legal_hold)):
            continue
        label = f"{journal} {bookyear}/{number or '-'}"
        plan.due.append(Candidate("entry", entry_id, None, 0, label, until))
    return plan


# ----------------------------------------------------------------------------- purge


@dataclass(slots=True)
class PurgeReport:
    run: str
    dossier_id: int
    dry_run: bool
    documents: int = 0
    entries: int = 0
    mails: int = 0
    kept: int = 0
    retained: int = 0
    held: int = 0
    freed_bytes: int = 0
    blobs_deleted: int = 0
    resumed: bool = False
    items: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "dossier_id": self.dossier_id,
            "dry_run": self.dry_run,
            "documents": self.documents,
            "entries": self.entries,
            "mails": self.mails,
            "kept": self.kept,
            "retained": self.retained,
            "held": self.held,
            "freed_bytes": self.freed_bytes,
            "blobs_deleted": self.blobs_deleted,
            "resumed": self.resumed,
            "items": list(self.items),
        }


#: crash points for tests: a callable raising at the named phase boundary
CrashHook = Callable[[str], None]


def run_purge(
    tx: Callable[[], Any],
    store: Any,
    dossier_id: int,
    *,
    today: dt.date | None = None,
    dry_run: bool = False,
    user_id: int | None = None,
    blob_grace_seconds: float = 600.0,
    crash: CrashHook | None = None,
) -> PurgeReport:
    """Purge (or, with ``dry_run``, list) what of the dossier is past its retention date.

    An unfinished earlier run of the dossier (items left ``marked`` or ``rows``) is
    finished first; ``tx`` opens a short transaction (``Runtime.tx``).
    """
    today = today or utcnow().date()
    with tx() as s:
        plan = plan_purge(s, dossier_id, today)
        pending = s.scalar(
            select(PurgeItem.run)
            .where(PurgeItem.dossier_id == dossier_id, PurgeItem.state.in_(("marked", "rows")))
            .limit(1)
        )
    report = PurgeReport(pending or secrets.token_hex(8), dossier_id, dry_run)
    report.retained, report.held = plan.retained, plan.held
    if dry_run:
        for c in plan.due:
            report.items.append(_item_dict(c.kind, c.object_id, c.label, c.size, c.retain_until))
            if c.kind == "document":
                report.documents += 1
                report.freed_bytes += c.size
            else:
                report.entries += 1
        return report
    if pending is not None:
        report.resumed = True
    else:
        # phase 1: mark
        with tx() as s:
            now = utcnow()
            for c in plan.due:
                s.add(
                    PurgeItem(
                        run=report.run,
                        dossier_id=dossier_id,
                        kind=c.kind,
                        object_id=c.object_id,
                        sha256=c.sha256,
                        size=c.size,
                        label=c.label,
                        retain_until=c.retain_until,
                        state="marked",
                        by_user=user_id,
                        at=now,
                    )
                )
    if crash:
        crash("marked")
    # phase 2: rows
    with tx() as s:
        _delete_marked_rows(s, report, today)
    if crash:
        crash("rows")
    # phase 3: blobs no row references any more
    _delete_unreferenced_blobs(tx, store, report, blob_grace_seconds, crash)
    with tx() as s:
        for item in s.scalars(
            select(PurgeItem).where(PurgeItem.run == report.run).order_by(PurgeItem.id)
        ):
            if item.state == "deleted":
                report.items.append(
                    _item_dict(item.kind, item.object_id, item.label, item.size, item.retain_until)
                )
        s.add(
            AuditEvent(
                action="archive.purge",
                dossier_id=dossier_id if s.get(Dossier, dossier_id) is not None else None,
                user_id=user_id,
                detail={k: v for k, v in report.as_dict().items() if k != "items"},
            )
        )
    return report


def _item_dict(
    kind: str, object_id: int, label: str | None, size: int, until: dt.date | None
) -> dict[str, Any]:
    return {
        "kind": kind,
        "id": object_id,
        "label": label,
        "size": int(size or 0),
        "retain_until": until.isoformat() if until else None,
    }


def _delete_marked_rows(s: Session, report: PurgeReport, today: dt.date) -> None:
    dossier = s.get(Dossier, report.dossier_id, with_for_update=True)
    items = list(
        s.scalars(
            select(PurgeItem)
            .where(PurgeItem.run == report.run, PurgeItem.state == "marked")
            .order_by(PurgeItem.id)
        )
    )
    if not items:
        return
    if dossier is None:
        for item in items:
            item.state = "rows"
        return
    years = retention_years(dossier)
    doc_ids: list[int] = []
    entry_ids: list[int] = []
    for item in items:
        if item.kind == "document":
            doc = s.get(Document, item.object_id)
            if doc is None:  # gone already (a crash after the delete, before the mark)
                item.state = "rows"
                continue
            ret = document_retention(s, doc.id)
            if not ret.deletable(today):
                item.state = "kept"  # a hold or a later date since it was marked
                report.kept += 1
                continue
            doc_ids.append(doc.id)
        elif item.kind == "entry":
            entry = s.get(JournalEntry, item.object_id)
            if entry is None:
                item.state = "rows"
                continue
            if dossier.legal_hold or today < bookyear_retain_until(entry.bookyear, years):
                item.state = "kept"
                report.kept += 1
                continue
            entry_ids.append(entry.id)
        item.state = "rows"
    # a document's entry goes with it (its retention counted in the document's)
    entry_ids += list(
        s.scalars(select(JournalEntry.id).where(JournalEntry.document_id.in_(doc_ids)))
    )
    mail_ids = set(s.scalars(select(Document.mail_id).where(Document.id.in_(doc_ids))).all()) - {
        None
    }
    shas = set(s.scalars(select(Document.blob_sha256).where(Document.id.in_(doc_ids))))
    _delete_rows(s, JournalEntry.__table__, entry_ids)
    _delete_rows(s, Document.__table__, doc_ids)
    report.documents += len(doc_ids)
    report.entries += len(entry_ids)
    # a mail none of whose documents is left goes too
    gone_mails = [
        mid
        for mid in mail_ids
        if s.scalar(select(Document.id).where(Document.mail_id == mid).limit(1)) is None
    ]
    for mid in gone_mails:
        mail = s.get(Mail, mid)
        if mail is not None:
            shas.add(mail.raw_sha256)
            s.add(
                PurgeItem(
                    run=report.run,
                    dossier_id=report.dossier_id,
                    kind="mail",
                    object_id=mid,
                    sha256=mail.raw_sha256,
                    size=0,
                    label=mail.subject,
                    state="rows",
                    at=utcnow(),
                )
            )
    _delete_rows(s, Mail.__table__, [m for m in gone_mails if m is not None])
    report.mails += len(gone_mails)
    # quota: blobs the dossier no longer refers to
    still = set(
        s.scalars(
            select(Document.blob_sha256).where(
                Document.dossier_id == report.dossier_id, Document.blob_sha256.in_(shas)
            )
        )
    ) | set(
        s.scalars(
            select(Mail.raw_sha256).where(
                Mail.dossier_id == report.dossier_id, Mail.raw_sha256.in_(shas)
            )
        )
    )
    freed_rows = list(
        s.execute(
            select(DossierBlob.sha256, DossierBlob.size).where(
                DossierBlob.dossier_id == report.dossier_id,
                DossierBlob.sha256.in_(shas - still),
            )
        )
    )
    freed = sum(int(size) for _, size in freed_rows)
    if freed_rows:
        s.execute(
            delete(DossierBlob).where(
                DossierBlob.dossier_id == report.dossier_id,
                DossierBlob.sha256.in_([sha for sha, _ in freed_rows]),
            )
        )
    report.freed_bytes += freed
    dossier.used_bytes = max(0, int(dossier.used_bytes) - freed)
    dossier.document_count = max(0, int(dossier.document_count) - len(doc_ids))
    day = s.get(UsageDay, (dossier.id, today))
    if day is None:
        s.add(UsageDay(dossier_id=dossier.id, day=today, used_bytes=dossier.used_bytes))
    else:
        day.used_bytes = dossier.used_bytes


def _delete_unreferenced_blobs(
    tx: Callable[[], Any],
    store: Any,
    report: PurgeReport,
    grace: float,
    crash: CrashHook | None,
) -> None:
    with tx() as s:
        shas = sorted(
            set(
                s.scalars(
                    select(PurgeItem.sha256).where(
                        PurgeItem.run == report.run,
                        PurgeItem.state == "rows",
                        PurgeItem.sha256.is_not(None),
                    )
                )
            )
        )
        columns = [c for c in _referencing_columns() if c.table is not Blob.__table__]
        referenced: set[str] = set()
        for start in range(0, len(shas), _CHUNK):
            chunk = shas[start : start + _CHUNK]
            for column in columns:
                referenced.update(s.scalars(select(column).where(column.in_(chunk)).distinct()))
        gone = [sha for sha in shas if sha not in referenced]
        for start in range(0, len(gone), _CHUNK):
            s.execute(delete(Blob).where(Blob.sha256.in_(gone[start : start + _CHUNK])))
    # the rows are committed gone: now the bytes (a crash here leaves bytes no row
    # names, which the next run, or the blob collector, deletes)
    # never below the store's own guard: a put of existing content younger than that
    # may not have refreshed its age (S3), and a row may be about to name it again
    cutoff = time.time() - max(grace, float(getattr(store, "min_gc_grace_seconds", 0.0)))
    for i, sha in enumerate(gone):
        if crash and i == len(gone) // 2:
            crash("blobs")
        if store.delete_if_older(sha, cutoff) is not None:
            report.blobs_deleted += 1
    with tx() as s:
        s.execute(
            update(PurgeItem)
            .where(PurgeItem.run == report.run, PurgeItem.state == "rows")
            .values(state="deleted")
        )


def _children(table: Any) -> list[Any]:
    """Columns of every table with a foreign key to ``table``'s primary key."""
    (pk,) = table.primary_key.columns
    found = []
    for other in Base.metadata.sorted_tables:
        for column in other.columns:
            if any(fk.column is pk for fk in column.foreign_keys):
                found.append(column)
    return found


def _delete_rows(s: Session, table: Any, ids: Iterable[int], depth: int = 0) -> None:
    """Delete rows by id: rows that must point at them are deleted too, rows that may
    (a nullable link: an audit event, a payment) are unlinked."""
    ids = sorted(set(ids))
    if not ids or depth > 4:
        return
    (pk,) = table.primary_key.columns
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for column in _children(table):
            if column.table is table:
                s.execute(update(table).where(column.in_(chunk)).values({column.name: None}))
            elif column.nullable:
                s.execute(update(column.table).where(column.in_(chunk)).values({column.name: None}))
            else:
                child_pks = list(column.table.primary_key.columns)
                if len(child_pks) == 1 and not column.primary_key:
                    child_ids = list(s.scalars(select(child_pks[0]).where(column.in_(chunk))))
                    _delete_rows(s, column.table, child_ids, depth + 1)
                else:
                    s.execute(delete(column.table).where(column.in_(chunk)))
        s.execute(delete(table).where(pk.in_(chunk)))


# ----------------------------------------------------------------------------- dossier


def delete_dossier(
    tx: Callable[[], Any],
    store: Any,
    dossier_id: int,
    *,
    today: dt.date | None = None,
    user_id: int | None = None,
    blob_grace_seconds: float = 600.0,
) -> PurgeReport:
    """Delete a dossier: the same purge, refused (:class:`Conflict`) while anything of
    it is retained or held; then every remaining row of it goes."""
    today = today or utcnow().date()
    with tx() as s:
        dossier = s.get(Dossier, dossier_id)
        if dossier is None:
            raise NotFound(f"unknown dossier: {dossier_id}")
        plan = plan_purge(s, dossier_id, today)
        if dossier.legal_hold or plan.held:
            raise Conflict("the dossier or one of its documents is under a legal hold")
        if plan.retained:
            raise Conflict(
                f"{plan.retained} documents or entries are retained"
                f" (until {plan.next_date.isoformat() if plan.next_date else '?'})"
            )
    report = run_purge(
        tx, store, dossier_id, today=today, user_id=user_id, blob_grace_seconds=blob_grace_seconds
    )
    with tx() as s:
        name = s.scalar(select(Dossier.name).where(Dossier.id == dossier_id))
        left = s.scalar(
            select(func.count()).select_from(Document).where(Document.dossier_id == dossier_id)
        )
        if left:
            raise Conflict(f"{left} documents of the dossier are still kept")
        shas = list(
            s.scalars(select(DossierBlob.sha256).where(DossierBlob.dossier_id == dossier_id))
        )
        _delete_rows(s, Dossier.__table__, [dossier_id])
        s.add(
            PurgeItem(
                run=report.run,
                dossier_id=dossier_id,
                kind="dossier",
                object_id=dossier_id,
                label=name,
                state="deleted",
                by_user=user_id,
                at=utcnow(),
            )
        )
        s.add(
            AuditEvent(
                action="archive.dossier_deleted",
                user_id=user_id,
                detail={"dossier_id": dossier_id, "name": name, "run": report.run},
            )
        )
    # blobs only the dossier's remaining rows (sales invoices, CODA files) named
    _sweep_dossier_blobs(tx, store, report, shas, blob_grace_seconds)
    return report


def _sweep_dossier_blobs(
    tx: Callable[[], Any], store: Any, report: PurgeReport, all_blobs: list[str], grace: float
) -> None:
    with tx() as s:
        columns = [c for c in _referencing_columns() if c.table is not Blob.__table__]
        referenced: set[str] = set()
        for start in range(0, len(all_blobs), _CHUNK):
            chunk = all_blobs[start : start + _CHUNK]
            for column in columns:
                referenced.update(s.scalars(select(column).where(column.in_(chunk)).distinct()))
        gone = [sha for sha in all_blobs if sha not in referenced]
        for start in range(0, len(gone), _CHUNK):
            s.execute(delete(Blob).where(Blob.sha256.in_(gone[start : start + _CHUNK])))
    # never below the store's own guard: a put of existing content younger than that
    # may not have refreshed its age (S3), and a row may be about to name it again
    cutoff = time.time() - max(grace, float(getattr(store, "min_gc_grace_seconds", 0.0)))
    for sha in gone:
        if store.delete_if_older(sha, cutoff) is not None:
            report.blobs_deleted += 1


def purge_log(session: Session, dossier_id: int, *, limit: int = 200) -> list[dict[str, Any]]:
    """What purges of the dossier deleted, newest first (plain dicts)."""
    rows = session.scalars(
        select(PurgeItem)
        .where(PurgeItem.dossier_id == dossier_id, PurgeItem.state == "deleted")
        .order_by(PurgeItem.id.desc())
        .limit(limit)
    )
    return [
        {
            "at": p.at.isoformat(),
            "run": p.run,
            **_item_dict(p.kind, p.object_id, p.label, p.size, p.retain_until),
        }
        for p in rows
    ]
