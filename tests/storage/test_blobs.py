"""The local blob store: batches with one flush, repair of a torn blob, per-blob errors.

Every test runs with ``syncfs`` group flushing (Linux) and with the portable
per-file fsync path, which must behave the same.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from storage import BlobRef, LocalBlobStore, StorageError, StorageFull, put_one, sha256_hex


@pytest.fixture(params=[True, False], ids=["syncfs", "fsync-each"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs", group_sync=request.param)


def test_put_many_stores_each_blob_in_order_and_once(store: LocalBlobStore) -> None:
    datas = [b"first", b"second", b"first", b""]
    results = store.put_many(datas)
    assert results == [BlobRef(sha256_hex(d), len(d)) for d in datas]
    for data in datas:
        assert store.get(sha256_hex(data)) == data
    files = [p for p in store.root.rglob("*") if p.is_file()]
    assert len(files) == 3  # the repeated blob is one file
    assert list((store.root / "tmp").iterdir()) == []
    assert store.put_many([]) == []


def test_a_torn_blob_left_by_a_crash_is_repaired_not_trusted(store: LocalBlobStore) -> None:
    data = b"%PDF-1.4 the real invoice bytes"
    ref = store.put(data)
    path = store.path(ref.sha256)
    path.write_bytes(b"\0" * len(data))  # renamed into place, data never reached the disk
    assert store.put(data) == ref
    assert path.read_bytes() == data
    path.write_bytes(data[:5])  # or cut short
    assert store.put_many([data]) == [ref]
    assert store.get(ref.sha256) == data


def test_an_existing_intact_blob_is_reused(store: LocalBlobStore) -> None:
    data = b"same attachment in many mails"
    ref = store.put(data)
    before = store.path(ref.sha256).stat().st_ino
    assert store.put(data) == ref
    assert store.path(ref.sha256).stat().st_ino == before  # not rewritten


def test_put_one_raises_the_error_of_its_single_result() -> None:
    ref = BlobRef("0" * 64, 1)
    assert put_one([ref]) == ref
    with pytest.raises(StorageFull):
        put_one([StorageFull("disk full")])


@pytest.mark.parametrize("group_sync", [True, False], ids=["syncfs", "fsync-each"])
def test_a_full_disk_fails_only_the_blobs_that_do_not_fit(
    small_tmpfs: Callable[[str], Path], group_sync: bool
) -> None:
    small_disk = small_tmpfs("256k")
    store = LocalBlobStore(small_disk, group_sync=group_sync)
    small, big = b"a small mail", os.urandom(1024 * 1024)
    results = store.put_many([small, big, b"another small one"])
    assert results[0] == BlobRef(sha256_hex(small), len(small))
    assert isinstance(results[1], StorageFull)
    assert isinstance(results[2], BlobRef)
    assert store.get(sha256_hex(small)) == small
    leftovers = [p for p in small_disk.rglob("*") if p.is_file()]
    assert len(leftovers) == 2  # no partial blob, no temp file
    assert not isinstance(results[0], StorageError)
