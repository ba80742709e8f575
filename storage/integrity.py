"""Integrity: re-hash stored blobs against their content address.

:func:`read_chunks` streams a blob from the local or S3 store (never the whole blob
in memory); :func:`verify_blobs` checks every blob (of one dossier, or a random
sample) and reports the missing and damaged ones with the documents that use them.
A problem found is recorded once per document as an audit event
(``archive.blob_missing`` / ``archive.blob_damaged``), so it shows on the document.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from storage.errors import NotFound, StorageError
from storage.models import AuditEvent, Blob, Document, DossierBlob

__all__ = ["CHUNK", "VerifyReport", "read_chunks", "verify_blobs"]

CHUNK = 1 << 20


def read_chunks(store: Any, sha256: str, chunk: int = CHUNK) -> Iterator[bytes]:
    """The bytes of a blob in chunks; :class:`NotFound` when it is missing."""
    path = getattr(store, "path", None)
    if callable(path):
        try:
            fh = open(path(sha256), "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError as exc:
            raise NotFound(f"blob {sha256} is missing from {store.describe()}") from exc
        with fh:
            while block := fh.read(chunk):
                yield block
        return
    client = getattr(store, "_client", None)
    if client is not None and hasattr(store, "_key"):
        from botocore.exceptions import BotoCoreError, ClientError

        from storage.errors import StorageUnavailable

        try:
            obj = client.get_object(Bucket=store.bucket, Key=store._key(sha256))
        except ClientError as exc:
            raise NotFound(f"blob {sha256} is missing from {store.describe()}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"S3 endpoint unavailable: {exc}") from exc
        body = obj["Body"]
        try:
            yield from body.iter_chunks(chunk)
        finally:
            body.close()
        return
    yield store.get(sha256)


@dataclass(slots=True)
class VerifyReport:
    store: str
    checked: int = 0
    bytes: int = 0
    ok: int = 0
    missing: list[dict[str, Any]] = field(default_factory=list)
    damaged: list[dict[str, Any]] = field(default_factory=list)
    unavailable: list[dict[str, Any]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.damaged or self.unavailable)

    def as_dict(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "checked": self.checked,
            "bytes": self.bytes,
            "ok": self.ok,
            "missing": list(self.missing),
            "damaged": list(self.damaged),
            "unavailable": list(self.unavailable),
        }


def hash_blob(store: Any, sha256: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    for block in read_chunks(store, sha256):
        digest.update(block)
        size += len(block)
    return digest.hexdigest(), size


def verify_blobs(
    tx: Callable[[], Any],
    store: Any,
    *,
    dossier_id: int | None = None,
    sample: int | None = None,
    record: bool = True,
) -> VerifyReport:
    """Re-hash every blob (of ``dossier_id``; a random ``sample`` of them)."""
    with tx() as s:
        if dossier_id is None:
            stmt = select(Blob.sha256)
        else:
            stmt = select(DossierBlob.sha256).where(DossierBlob.dossier_id == dossier_id)
        if sample is not None:
            stmt = stmt.order_by(func.random()).limit(max(0, sample))
        else:
            stmt = stmt.order_by(stmt.selected_columns[0])
        shas = list(s.scalars(stmt))
    report = VerifyReport(store.describe())
    bad: dict[str, str] = {}
    for sha in shas:
        report.checked += 1
        try:
            got, size = hash_blob(store, sha)
        except NotFound:
            bad[sha] = "missing"
            continue
        except StorageError as exc:
            report.unavailable.append({"sha256": sha, "error": str(exc)})
            continue
        report.bytes += size
        if got == sha:
            report.ok += 1
        else:
            bad[sha] = "damaged"
    if not bad:
        return report
    with tx() as s:
        docs: dict[str, list[tuple[int, int]]] = {}
        for doc_id, did, sha in s.execute(
            select(Document.id, Document.dossier_id, Document.blob_sha256).where(
                Document.blob_sha256.in_(list(bad))
            )
        ):
            if dossier_id is None or did == dossier_id:
                docs.setdefault(sha, []).append((doc_id, did))
        for sha, what in sorted(bad.items()):
            users = docs.get(sha, [])
            entry = {"sha256": sha, "documents": [d for d, _ in users]}
            (report.missing if what == "missing" else report.damaged).append(entry)
            if not record:
                continue
            action = f"archive.blob_{what}"
            for doc_id, did in users:
                seen = s.scalar(
                    select(AuditEvent.id)
                    .where(AuditEvent.document_id == doc_id, AuditEvent.action == action)
                    .limit(1)
                )
                if seen is None:
                    s.add(
                        AuditEvent(
                            action=action,
                            dossier_id=did,
                            document_id=doc_id,
                            detail={"sha256": sha, "store": report.store},
                        )
                    )
    return report
