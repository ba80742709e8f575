"""Integrity check and dossier export/import (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.runtime import Runtime
from storage.dossier_archive import ArchiveRefused, export_dossier, import_dossier
from storage.integrity import verify_blobs
from storage.models import AuditEvent, Document, JournalEntry
from tests.storage.archive_world import build


def _snapshot(rt: Runtime, did: int) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with rt.tx() as s:
        docs = {d.id: d for d in s.scalars(select(Document).where(Document.dossier_id == did))}
        doc_rows = sorted(
            (d.blob_sha256, d.filename, d.state, d.invoice_date, d.size) for d in docs.values()
        )
        entries = sorted(
            (
                e.journal,
                e.bookyear,
                e.number,
                e.date,
                e.status,
                docs[e.document_id].blob_sha256 if e.document_id else None,
                tuple((ln.account, ln.debit, ln.credit) for ln in e.lines),
            )
            for e in s.scalars(select(JournalEntry).where(JournalEntry.dossier_id == did))
        )
    return doc_rows, entries  # type: ignore[return-value]


def test_verify_reports_missing_and_damaged_blobs(runtime: Runtime) -> None:
    w = build(runtime)
    clean = verify_blobs(runtime.tx, runtime.blobs, dossier_id=w.dossier_id)
    assert clean.clean
    assert clean.checked == 3
    path_missing = runtime.blobs.path(w.old_sha)  # type: ignore[attr-defined]
    path_missing.unlink()
    path_damaged = runtime.blobs.path(w.loose_sha)  # type: ignore[attr-defined]
    path_damaged.write_bytes(b"bit rot")
    report = verify_blobs(runtime.tx, runtime.blobs, dossier_id=w.dossier_id)
    assert [m["documents"] for m in report.missing] == [[w.old_doc]]
    assert [d["documents"] for d in report.damaged] == [[w.loose_doc]]
    assert report.ok == 1
    sample = verify_blobs(runtime.tx, runtime.blobs, sample=2)
    assert sample.checked == 2
    with runtime.tx() as s:
        actions = {
            (e.document_id, e.action)
            for e in s.scalars(select(AuditEvent).where(AuditEvent.action.like("archive.%")))
        }
    assert (w.old_doc, "archive.blob_missing") in actions
    assert (w.loose_doc, "archive.blob_damaged") in actions


def test_export_then_import_gives_the_same_documents_bookings_and_links(
    runtime: Runtime, tmp_path: Path
) -> None:
    w = build(runtime)
    target = tmp_path / "dossier.zip"
    report = export_dossier(runtime.tx, runtime.blobs, w.dossier_id, target)
    assert report.documents == 3
    assert report.entries == 3
    with zipfile.ZipFile(target) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        ledger = zf.read("ledger.csv").decode()
    assert {"dossier.json", "documents.json", "bookings.json", "ledger.csv"} <= names
    assert "journals/purchases.csv" in names
    assert f"documents/{w.old_doc}/old.pdf" in names
    assert manifest["files"][f"documents/{w.old_doc}/old.pdf"]["sha256"] == w.old_sha
    assert "604000,Aankopen" in ledger
    new_id, counts = import_dossier(
        runtime.tx, runtime.blobs, target, mailbox="imported@dossiers.boekbox.test"
    )
    assert counts == {"documents": 3, "entries": 3}
    assert new_id != w.dossier_id
    assert _snapshot(runtime, new_id) == _snapshot(runtime, w.dossier_id)


def test_import_into_an_empty_boekbox(runtime: Runtime, tmp_path: Path) -> None:
    from tests.dbfixtures import make_runtime

    w = build(runtime)
    target = tmp_path / "dossier.zip"
    export_dossier(runtime.tx, runtime.blobs, w.dossier_id, target)
    before = _snapshot(runtime, w.dossier_id)
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    from storage.db import migrate

    url = f"sqlite:///{empty_dir / 'boekbox.db'}"
    migrate(url)
    empty = make_runtime(url, empty_dir)
    new_id, _ = import_dossier(empty.tx, empty.blobs, target, mailbox="x@d.test")
    assert _snapshot(empty, new_id) == before
    assert empty.blobs.exists(w.old_sha)


def _rewrite(src: Path, dst: Path, change: str, data: bytes) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, data if info.filename == change else zin.read(info))


@pytest.mark.parametrize("member", ["documents/{old}/old.pdf", "bookings.json", "manifest.json"])
def test_a_tampered_archive_is_refused_before_anything_is_written(
    runtime: Runtime, tmp_path: Path, member: str
) -> None:
    w = build(runtime)
    target = tmp_path / "dossier.zip"
    export_dossier(runtime.tx, runtime.blobs, w.dossier_id, target)
    bad = tmp_path / "bad.zip"
    _rewrite(target, bad, member.format(old=w.old_doc), b"tampered")
    with runtime.tx() as s:
        count = len(list(s.scalars(select(Document.id))))
    with pytest.raises(ArchiveRefused):
        import_dossier(runtime.tx, runtime.blobs, bad, mailbox="bad@d.test")
    with runtime.tx() as s:
        assert len(list(s.scalars(select(Document.id)))) == count


def test_an_interrupted_export_leaves_no_archive(runtime: Runtime, tmp_path: Path) -> None:
    w = build(runtime)
    target = tmp_path / "dossier.zip"
    with pytest.raises(KeyboardInterrupt):
        export_dossier(runtime.tx, runtime.blobs, w.dossier_id, target, crash_after=2)
    assert list(tmp_path.glob("*.zip*")) == []
    assert list(tmp_path.glob(".dossier.zip*")) == []


def test_retention_dates_survive_the_round_trip(runtime: Runtime, tmp_path: Path) -> None:
    w = build(runtime)
    target = tmp_path / "dossier.zip"
    export_dossier(runtime.tx, runtime.blobs, w.dossier_id, target)
    new_id, _ = import_dossier(runtime.tx, runtime.blobs, target, mailbox="r@d.test")
    with runtime.tx() as s:
        dates = sorted(
            d.invoice_date
            for d in s.scalars(select(Document).where(Document.dossier_id == new_id))
            if d.invoice_date
        )
    assert dates == [dt.date(2012, 5, 3), dt.date(2013, 7, 9), dt.date(2024, 2, 1)]


def test_a_damaged_original_fails_the_export_and_leaves_no_archive(
    runtime: Runtime, tmp_path: Path
) -> None:
    from storage import StorageError

    w = build(runtime)
    runtime.blobs.path(w.new_sha).write_bytes(b"bit rot")  # type: ignore[attr-defined]
    target = tmp_path / "dossier.zip"
    with pytest.raises(StorageError, match="damaged"):
        export_dossier(runtime.tx, runtime.blobs, w.dossier_id, target)
    assert not target.exists()
    assert list(tmp_path.glob(".dossier.zip*")) == []
