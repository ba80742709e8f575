"""Blob garbage collection (issue 18.8): unreferenced old blobs go; a referenced blob and
a fresh (in-flight) unreferenced blob stay; a blob reused while the collector runs stays.
Local store on SQLite and PostgreSQL; the S3 store against a real SeaweedFS."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pipeline.runtime import Runtime
from storage import LocalBlobStore, NotFound
from storage.blobgc import collect_garbage, referenced_among
from storage.models import Blob, Document, Dossier
from tests.e2e.seaweed import ACCESS_KEY, SECRET_KEY, SeaweedFS, new_bucket_name, s3_server

__all__ = ["s3_server"]

DAY = 86_400.0


def _age(store: LocalBlobStore, sha: str, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(store.path(sha), (past, past))


def _reference(rt: Runtime, sha: str, size: int) -> None:
    with rt.tx() as s:
        s.add(Blob(sha256=sha, size=size))


def test_old_orphan_goes_referenced_and_fresh_blobs_stay(runtime: Runtime) -> None:
    store = runtime.blobs
    assert isinstance(store, LocalBlobStore)
    kept = store.put(b"%PDF- referenced invoice")
    orphan = store.put(b"raw mail refused with 451 after DATA")
    in_flight = store.put(b"written just now, its row not committed yet")
    _reference(runtime, kept.sha256, kept.size)
    _age(store, kept.sha256, 3 * DAY)
    _age(store, orphan.sha256, 3 * DAY)

    dry = collect_garbage(runtime.tx, store, grace_seconds=DAY, dry_run=True)
    assert dry.deleted_sha256 == [orphan.sha256]
    assert store.exists(orphan.sha256)

    report = collect_garbage(runtime.tx, store, grace_seconds=DAY)
    assert report.deleted_sha256 == [orphan.sha256]
    assert report.deleted_bytes == orphan.size
    assert (report.scanned, report.referenced, report.young) == (3, 1, 1)
    with pytest.raises(NotFound):
        store.get(orphan.sha256)
    assert store.get(kept.sha256) == b"%PDF- referenced invoice"
    assert store.exists(in_flight.sha256)
    # a second pass finds nothing more
    assert collect_garbage(runtime.tx, store, grace_seconds=DAY).deleted == 0


def test_every_foreign_key_to_blob_counts_as_a_reference(runtime: Runtime) -> None:
    store = runtime.blobs
    ref = store.put(b"document blob")
    with runtime.tx() as s:
        dossier = Dossier(name="D", mailbox="d-x@dossiers.boekbox.test")
        s.add(dossier)
        s.add(Blob(sha256=ref.sha256, size=ref.size))
        s.flush()
        s.add(Document(dossier_id=dossier.id, blob_sha256=ref.sha256, size=ref.size))
    with runtime.tx() as s:
        assert referenced_among(s, [ref.sha256, "0" * 64]) == {ref.sha256}


def test_a_blob_reused_by_a_put_gets_young_again(sqlite_runtime: Runtime) -> None:
    store = sqlite_runtime.blobs
    assert isinstance(store, LocalBlobStore)
    data = b"the same attachment mailed again"
    ref = store.put(data)
    _age(store, ref.sha256, 3 * DAY)
    store.put(data)  # reused: a row will refer to it in a moment
    assert collect_garbage(sqlite_runtime.tx, store, grace_seconds=DAY).deleted == 0
    assert store.get(ref.sha256) == data


def test_delete_puts_back_a_blob_that_turned_young_meanwhile(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs", group_sync=False)
    ref = store.put(b"listed as old, reused before the delete")
    cutoff = time.time() - DAY
    # the collector listed it as old; a put touched it before the delete ran
    assert store.delete_if_older(ref.sha256, cutoff) is None
    assert store.exists(ref.sha256)
    _age(store, ref.sha256, 2 * DAY)
    assert store.delete_if_older(ref.sha256, cutoff) == ref.size
    assert not store.exists(ref.sha256)
    assert store.delete_if_older(ref.sha256, cutoff) is None  # already gone
    assert list(os.scandir(tmp_path / "blobs" / "tmp")) == []


def test_stale_temp_files_of_dead_writers_go(sqlite_runtime: Runtime) -> None:
    store = sqlite_runtime.blobs
    assert isinstance(store, LocalBlobStore)
    stale = store.root / "tmp" / "12345-dead-0"
    stale.write_bytes(b"half a blob")
    past = time.time() - 3 * DAY
    os.utime(stale, (past, past))
    fresh = store.root / "tmp" / "12345-live-0"
    fresh.write_bytes(b"being written")
    report = collect_garbage(sqlite_runtime.tx, store, grace_seconds=DAY)
    assert report.stale_temp_files == 1
    assert not stale.exists()
    assert fresh.exists()


def test_a_store_without_collection_or_a_short_grace_is_refused(sqlite_runtime: Runtime) -> None:
    with pytest.raises(ValueError, match="does not support"):
        collect_garbage(sqlite_runtime.tx, object())

    class Strict(LocalBlobStore):
        min_gc_grace_seconds = 7200.0

    strict = Strict(sqlite_runtime.settings.blob_store)
    with pytest.raises(ValueError, match="below"):
        collect_garbage(sqlite_runtime.tx, strict, grace_seconds=60)


def test_s3_store_old_orphan_goes_and_fresh_stays(
    sqlite_runtime: Runtime, s3_server: SeaweedFS
) -> None:
    from storage.s3 import S3BlobStore

    store = S3BlobStore(
        new_bucket_name(),
        prefix="blobs",
        endpoint_url=s3_server.endpoint_url,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
    )
    kept = store.put(b"referenced in S3")
    orphan = store.put(b"orphan in S3")
    _reference(sqlite_runtime, kept.sha256, kept.size)
    time.sleep(1.2)  # S3 LastModified has one-second resolution
    line = time.time()
    time.sleep(1.2)
    fresh = store.put(b"in flight in S3")
    grace = store.min_gc_grace_seconds
    report = collect_garbage(sqlite_runtime.tx, store, grace_seconds=grace, now=line + grace)
    assert report.deleted_sha256 == [orphan.sha256]
    assert (report.scanned, report.referenced, report.young) == (3, 1, 1)
    assert not store.exists(orphan.sha256)
    assert store.exists(kept.sha256)
    assert store.exists(fresh.sha256)
    with pytest.raises(ValueError, match="below"):
        collect_garbage(sqlite_runtime.tx, store, grace_seconds=60)


def test_the_worker_reconciler_loop_runs_the_collector(sqlite_url: str, tmp_path: Path) -> None:
    import threading

    from dbfixtures import make_runtime

    from pipeline import cli
    from pipeline.runtime import reset_runtime

    rt = make_runtime(sqlite_url, tmp_path, blob_gc_grace_seconds=60.0)
    try:
        store = rt.blobs
        assert isinstance(store, LocalBlobStore)
        orphan = store.put(b"left by a refused mail")
        _age(store, orphan.sha256, 3600)
        stop = threading.Event()
        loop = threading.Thread(target=cli._reconcile_loop, args=(stop, 0.05, 0.05))
        loop.start()
        deadline = time.monotonic() + 30
        while store.exists(orphan.sha256) and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        loop.join(10)
        assert not store.exists(orphan.sha256)
    finally:
        reset_runtime(None)
