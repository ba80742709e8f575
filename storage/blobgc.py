"""Blob garbage collection: delete blobs no row refers to, never an in-flight one.

A blob is written *before* the transaction that refers to it commits (the SMTP
writer, the split step, an upload), and a mail refused with 451 after DATA, or a
crash, leaves blobs that no row will ever name.  :func:`collect_garbage` deletes
them, with three guards:

* **referenced**: a blob is kept while its SHA-256 is in the ``blob`` table or in
  any column with a foreign key to it (documents, mails, dossier quota rows: found
  from the ORM metadata, so a new referencing table is covered by declaring its FK);
* **grace period**: only blobs last *put* before ``now - grace`` are candidates.
  Every put of existing content restarts its age (local store: mtime; S3: a
  re-PUT once older than ``REFRESH_AFTER_SECONDS``), so a blob written or reused
  just before its row commits is always younger than the grace period;
* **re-check at delete**: the store checks the age again at the moment of deleting
  (the local store renames the file away first and puts it back if it turned young).

The grace period must be longer than any put-to-commit interval (seconds in
practice; default one day).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Base, Blob

__all__ = ["CollectableStore", "GcReport", "collect_garbage", "referenced_among"]

log = logging.getLogger(__name__)

DEFAULT_GRACE_SECONDS = 86_400.0
_CHUNK = 500


@runtime_checkable
class CollectableStore(Protocol):
    """A blob store the collector can sweep (local directory, S3)."""

    min_gc_grace_seconds: float

    def iter_blobs(self) -> Iterator[tuple[str, float]]: ...

    def delete_if_older(self, sha256: str, cutoff: float) -> int | None: ...

    def describe(self) -> str: ...


@dataclass(slots=True)
class GcReport:
    """What one collection found and did."""

    store: str
    dry_run: bool
    grace_seconds: float
    scanned: int = 0
    young: int = 0
    referenced: int = 0
    deleted: int = 0
    deleted_bytes: int = 0
    stale_temp_files: int = 0
    deleted_sha256: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "dry_run": self.dry_run,
            "grace_seconds": self.grace_seconds,
            "scanned": self.scanned,
            "young": self.young,
            "referenced": self.referenced,
            "deleted": self.deleted,
            "deleted_bytes": self.deleted_bytes,
            "stale_temp_files": self.stale_temp_files,
            "deleted_sha256": list(self.deleted_sha256),
        }


def _referencing_columns() -> list[Any]:
    target = Blob.__table__.c.sha256
    columns: list[Any] = [target]
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column is target for fk in column.foreign_keys):
                columns.append(column)
    return columns


def referenced_among(session: Session, shas: Iterable[str]) -> set[str]:
    """The SHA-256s of ``shas`` that some row refers to."""
    wanted = list(dict.fromkeys(shas))
    found: set[str] = set()
    columns = _referencing_columns()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        for column in columns:
            rest = [sha for sha in chunk if sha not in found]
            if not rest:
                break
            found.update(session.scalars(select(column).where(column.in_(rest)).distinct()))
    return found


def collect_garbage(
    tx: Callable[[], Any],
    store: object,
    *,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    dry_run: bool = False,
    now: float | None = None,
) -> GcReport:
    """Delete (or, with ``dry_run``, list) the unreferenced blobs older than the grace.

    ``tx`` opens a short transaction (``Runtime.tx``).  Raises ValueError for a store
    that cannot be swept or a grace period the store cannot honour.
    """
    if not isinstance(store, CollectableStore):
        raise ValueError(f"the blob store {store!r} does not support garbage collection")
    if grace_seconds < store.min_gc_grace_seconds:
        raise ValueError(
            f"grace period {grace_seconds:.0f} s is below the {store.min_gc_grace_seconds:.0f} s"
            f" this blob store ({store.describe()}) needs"
        )
    cutoff = (time.time() if now is None else now) - grace_seconds
    report = GcReport(store.describe(), dry_run, grace_seconds)
    batch: list[str] = []
    for sha, modified in store.iter_blobs():
        report.scanned += 1
        if modified >= cutoff:
            report.young += 1
            continue
        batch.append(sha)
        if len(batch) >= _CHUNK:
            _sweep(tx, store, batch, cutoff, report)
            batch = []
    if batch:
        _sweep(tx, store, batch, cutoff, report)
    cleaner = getattr(store, "delete_stale_temp_files", None)
    if cleaner is not None and not dry_run:
        report.stale_temp_files = int(cleaner(cutoff))
    if report.deleted or report.stale_temp_files:
        log.info(
            "blob gc %s: %d unreferenced blobs (%d bytes) %s, %d stale temp files",
            report.store,
            report.deleted,
            report.deleted_bytes,
            "found (dry run)" if dry_run else "deleted",
            report.stale_temp_files,
        )
    return report


def _sweep(
    tx: Callable[[], Any],
    store: CollectableStore,
    batch: list[str],
    cutoff: float,
    report: GcReport,
) -> None:
    with tx() as session:
        keep = referenced_among(session, batch)
    for sha in batch:
        if sha in keep:
            report.referenced += 1
            continue
        if report.dry_run:
            report.deleted += 1
            report.deleted_sha256.append(sha)
            continue
        size = store.delete_if_older(sha, cutoff)
        if size is None:
            report.young += 1  # put again since it was listed
            continue
        report.deleted += 1
        report.deleted_bytes += size
        report.deleted_sha256.append(sha)
