"""Retention: dates, legal holds, the three-phase purge and its crash resumption,
dossier deletion (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pipeline.runtime import Runtime
from storage import Conflict
from storage.models import Blob, Document, Dossier, JournalEntry, PurgeItem
from storage.retention import (
    bookyear_retain_until,
    date_retain_until,
    delete_dossier,
    document_retention,
    run_purge,
    set_hold,
)
from tests.storage.archive_world import build

TODAY = dt.date(2025, 6, 1)


class Crash(Exception):
    pass


def _crash_at(phase: str):  # type: ignore[no-untyped-def]
    def hook(at: str) -> None:
        if at == phase:
            raise Crash(at)

    return hook


def _docs(rt: Runtime, did: int) -> set[int]:
    with rt.tx() as s:
        return set(s.scalars(select(Document.id).where(Document.dossier_id == did)))


def _no_row_without_blob(rt: Runtime) -> None:
    with rt.tx() as s:
        for sha in s.scalars(select(Document.blob_sha256)):
            assert rt.blobs.exists(sha), f"row without its blob: {sha}"
            assert s.get(Blob, sha) is not None


def test_retention_dates() -> None:
    assert date_retain_until(dt.date(2024, 12, 31), 10) == dt.date(2035, 1, 1)
    assert date_retain_until(dt.date(2024, 1, 1), 10) == dt.date(2035, 1, 1)
    assert bookyear_retain_until("2024", 10) == dt.date(2035, 1, 1)
    assert bookyear_retain_until("2024-2025", 10) == dt.date(2036, 1, 1)


def test_a_booked_document_is_kept_as_long_as_its_bookyear(runtime: Runtime) -> None:
    w = build(runtime)
    with runtime.tx() as s:
        assert document_retention(s, w.old_doc).retain_until == dt.date(2023, 1, 1)
        entry = s.scalar(select(JournalEntry).where(JournalEntry.document_id == w.old_doc))
        assert entry is not None
        entry.bookyear = "2014"  # booked later than the invoice date
    with runtime.tx() as s:
        assert document_retention(s, w.old_doc).retain_until == dt.date(2025, 1, 1)


def test_dry_run_then_purge_deletes_rows_and_blobs_past_their_date(runtime: Runtime) -> None:
    w = build(runtime)
    with runtime.tx() as s:
        used_before = s.get(Dossier, w.dossier_id).used_bytes  # type: ignore[union-attr]
    dry = run_purge(runtime.tx, runtime.blobs, w.dossier_id, today=TODAY, dry_run=True)
    assert (dry.documents, dry.entries) == (2, 1)
    assert {i["label"] for i in dry.items} >= {"old.pdf", "loose.pdf"}
    assert _docs(runtime, w.dossier_id) == {w.old_doc, w.new_doc, w.loose_doc}  # nothing went
    assert runtime.blobs.exists(w.old_sha)

    report = run_purge(runtime.tx, runtime.blobs, w.dossier_id, today=TODAY, blob_grace_seconds=0)
    assert (report.documents, report.entries) == (2, 2)  # old doc's entry + the manual one
    assert _docs(runtime, w.dossier_id) == {w.new_doc}
    assert not runtime.blobs.exists(w.old_sha)
    assert not runtime.blobs.exists(w.loose_sha)
    assert runtime.blobs.exists(w.new_sha)
    assert report.blobs_deleted == 2
    with runtime.tx() as s:
        dossier = s.get(Dossier, w.dossier_id)
        assert dossier is not None
        assert dossier.used_bytes == used_before - report.freed_bytes
        assert report.freed_bytes > 0
        went = {(p.kind, p.label) for p in s.scalars(select(PurgeItem)) if p.state == "deleted"}
        assert ("document", "old.pdf") in went
        assert ("document", "loose.pdf") in went
        assert s.scalar(select(func.count()).select_from(JournalEntry)) == 1
    _no_row_without_blob(runtime)


def test_a_legal_hold_blocks_deletion_indefinitely(runtime: Runtime) -> None:
    w = build(runtime)
    with runtime.tx() as s:
        set_hold(s, w.dossier_id, document_id=w.loose_doc, on=True, user_id=None)
    report = run_purge(
        runtime.tx, runtime.blobs, w.dossier_id, today=dt.date(2200, 1, 1), blob_grace_seconds=0
    )
    assert report.held == 1
    assert _docs(runtime, w.dossier_id) == {w.loose_doc}
    with runtime.tx() as s:
        set_hold(s, w.dossier_id, document_id=None, on=True, user_id=None)
        set_hold(s, w.dossier_id, document_id=w.loose_doc, on=False, user_id=None)
    run_purge(runtime.tx, runtime.blobs, w.dossier_id, today=dt.date(2200, 1, 1))
    assert _docs(runtime, w.dossier_id) == {w.loose_doc}  # the dossier's hold
    with pytest.raises(Conflict):
        delete_dossier(runtime.tx, runtime.blobs, w.dossier_id, today=dt.date(2200, 1, 1))


def test_the_dossier_setting_lengthens_retention(runtime: Runtime) -> None:
    w = build(runtime)
    with runtime.tx() as s:
        dossier = s.get(Dossier, w.dossier_id)
        assert dossier is not None
        dossier.settings = {"retention_years": 12}
    run_purge(runtime.tx, runtime.blobs, w.dossier_id, today=TODAY, blob_grace_seconds=0)
    # twelve years: the 2012 invoice went on 1 January 2025, the 2013 upload stays
    assert _docs(runtime, w.dossier_id) == {w.new_doc, w.loose_doc}


@pytest.mark.parametrize("phase", ["marked", "rows", "blobs"])
def test_a_purge_crashing_between_phases_resumes(runtime: Runtime, phase: str) -> None:
    w = build(runtime)
    with pytest.raises(Crash):
        run_purge(
            runtime.tx,
            runtime.blobs,
            w.dossier_id,
            today=TODAY,
            blob_grace_seconds=0,
            crash=_crash_at(phase),
        )
    _no_row_without_blob(runtime)
    assert w.new_doc in _docs(runtime, w.dossier_id)
    assert runtime.blobs.exists(w.new_sha)
    if phase == "marked":
        # a hold placed after the marking still wins
        with runtime.tx() as s:
            set_hold(s, w.dossier_id, document_id=w.loose_doc, on=True, user_id=None)
    again = run_purge(runtime.tx, runtime.blobs, w.dossier_id, today=TODAY, blob_grace_seconds=0)
    assert again.resumed
    _no_row_without_blob(runtime)
    assert not runtime.blobs.exists(w.old_sha)
    if phase == "marked":
        assert _docs(runtime, w.dossier_id) == {w.new_doc, w.loose_doc}
        assert again.kept == 1
    else:
        assert _docs(runtime, w.dossier_id) == {w.new_doc}
        assert not runtime.blobs.exists(w.loose_sha)
    with runtime.tx() as s:
        states = set(s.scalars(select(PurgeItem.state)))
        assert states <= {"deleted", "kept"}


def test_deleting_a_dossier_is_refused_while_anything_is_retained(runtime: Runtime) -> None:
    w = build(runtime)
    other = build(runtime, "Ander BV")
    with pytest.raises(Conflict, match="retained"):
        delete_dossier(runtime.tx, runtime.blobs, w.dossier_id, today=TODAY)
    assert _docs(runtime, w.dossier_id) == {w.old_doc, w.new_doc, w.loose_doc}
    report = delete_dossier(
        runtime.tx, runtime.blobs, w.dossier_id, today=dt.date(2040, 1, 1), blob_grace_seconds=0
    )
    assert report.documents == 3
    with runtime.tx() as s:
        assert s.get(Dossier, w.dossier_id) is None
        assert s.get(Dossier, other.dossier_id) is not None
        assert [p.kind for p in s.scalars(select(PurgeItem).where(PurgeItem.kind == "dossier"))]
    # the other dossier holds the same files: the shared blobs stay
    assert runtime.blobs.exists(w.new_sha)
    assert runtime.blobs.exists(w.old_sha)
    assert _docs(runtime, other.dossier_id) == {other.old_doc, other.new_doc, other.loose_doc}
    _no_row_without_blob(runtime)


def test_purge_junk_refuses_a_held_document(runtime: Runtime) -> None:
    from storage.intake_guard import purge_mail

    w = build(runtime)
    with runtime.tx() as s:
        set_hold(s, w.dossier_id, document_id=w.loose_doc, on=True, user_id=None)
    with runtime.tx() as s, pytest.raises(Conflict, match="legal hold"):
        purge_mail(s, w.dossier_id, w.loose_doc, reason="junk")
    with runtime.tx() as s:
        set_hold(s, w.dossier_id, document_id=w.loose_doc, on=False, user_id=None)
    with runtime.tx() as s:
        assert purge_mail(s, w.dossier_id, w.loose_doc, reason="junk").freed_bytes > 0


_KILLED_PURGE = """
import datetime as dt, os, sys
from pipeline.runtime import build_runtime
from pipeline.settings import Settings
from storage.retention import run_purge

rt = build_runtime(Settings(database_url=sys.argv[1], blob_store=sys.argv[2], broker="stub",
                            mail_domain="dossiers.boekbox.test"))
def die(at):
    if at == sys.argv[4]:
        os._exit(9)  # killed: no cleanup, no rollback of what was committed
run_purge(rt.tx, rt.blobs, int(sys.argv[3]), today=dt.date(2025, 6, 1), blob_grace_seconds=0,
          crash=die)
"""


@pytest.mark.parametrize("phase", ["marked", "rows", "blobs"])
def test_a_purge_process_killed_mid_run_resumes(
    sqlite_runtime: Runtime, tmp_path: Path, phase: str
) -> None:
    import subprocess
    import sys

    rt = sqlite_runtime
    w = build(rt)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _KILLED_PURGE,
            rt.settings.database_url,
            rt.settings.blob_store,
            str(w.dossier_id),
            phase,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 9, proc.stderr
    _no_row_without_blob(rt)
    assert rt.blobs.exists(w.new_sha)
    again = run_purge(rt.tx, rt.blobs, w.dossier_id, today=TODAY, blob_grace_seconds=0)
    assert again.resumed
    assert _docs(rt, w.dossier_id) == {w.new_doc}
    assert not rt.blobs.exists(w.old_sha)
    assert not rt.blobs.exists(w.loose_sha)
    _no_row_without_blob(rt)
