"""The S3 blob store against a real SeaweedFS: the promises of the local store.

Content addressing, idempotent writes, corrupt reads detected, nothing
visible under the final key before an upload is complete (a connection cut
mid-upload, a wrong checksum, a reader racing a large write), and the quota
counted once when two documents share a blob (storage.repo on PostgreSQL).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.runtime import build_runtime, reset_runtime
from pipeline.service import SYSTEM, Service
from pipeline.settings import Settings
from storage import NotFound, StorageError, StorageUnavailable, open_blob_store, sha256_hex
from storage.db import dispose_engines, migrate
from storage.s3 import S3BlobStore
from tests.e2e.seaweed import ACCESS_KEY, SECRET_KEY, SeaweedFS, new_bucket_name, s3_server

__all__ = ["s3_server"]

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def _store(endpoint: str, bucket: str | None = None, prefix: str = "") -> S3BlobStore:
    return S3BlobStore(
        bucket or new_bucket_name(),
        prefix=prefix,
        endpoint_url=endpoint,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
    )


@pytest.fixture
def store(s3_server: SeaweedFS) -> S3BlobStore:
    return _store(s3_server.endpoint_url, prefix="blobs")


def _keys(store: S3BlobStore) -> list[str]:
    pages = store._client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket)
    return [obj["Key"] for page in pages for obj in page.get("Contents", [])]


def test_put_get_exists_by_content_address(store: S3BlobStore) -> None:
    data = b"%PDF-1.4 a tiny invoice\n" * 100
    ref = store.put(data)
    assert ref.sha256 == hashlib.sha256(data).hexdigest()
    assert ref.size == len(data)
    assert store.exists(ref.sha256)
    assert store.get(ref.sha256) == data
    assert _keys(store) == [f"blobs/{ref.sha256[:2]}/{ref.sha256[2:4]}/{ref.sha256}"]
    assert store.describe() == f"s3://{store.bucket}/blobs"


def test_missing_blob_is_not_found(store: S3BlobStore) -> None:
    absent = sha256_hex(b"never stored")
    assert not store.exists(absent)
    with pytest.raises(NotFound):
        store.get(absent)


def test_a_second_put_of_the_same_bytes_writes_nothing(store: S3BlobStore) -> None:
    data = os.urandom(4096)
    ref = store.put(data)
    key = _keys(store)[0]
    before = store._client.head_object(Bucket=store.bucket, Key=key)
    assert store.put(data) == ref
    after = store._client.head_object(Bucket=store.bucket, Key=key)
    assert after["LastModified"] == before["LastModified"]
    assert after["ETag"] == before["ETag"]
    assert _keys(store) == [key]


def test_open_blob_store_builds_the_s3_store_from_a_spec(s3_server: SeaweedFS) -> None:
    bucket = new_bucket_name()
    blobs = open_blob_store(
        f"s3://{bucket}/tenant-a",
        s3_endpoint_url=s3_server.endpoint_url,
        s3_access_key=ACCESS_KEY,
        s3_secret_key=SECRET_KEY,
    )
    assert isinstance(blobs, S3BlobStore)
    ref = blobs.put(b"hello")
    assert blobs.get(ref.sha256) == b"hello"
    assert _keys(blobs)[0].startswith("tenant-a/")


def test_bytes_changed_on_the_server_are_detected_on_read(store: S3BlobStore) -> None:
    ref = store.put(b"original invoice bytes")
    key = _keys(store)[0]
    store._client.put_object(Bucket=store.bucket, Key=key, Body=b"tampered invoice bytes")
    with pytest.raises(StorageError, match="corrupt"):
        store.get(ref.sha256)


def test_an_upload_with_a_wrong_checksum_leaves_nothing(store: S3BlobStore) -> None:
    from botocore.exceptions import ClientError

    data = b"some bytes"
    wrong_md5 = "1B2M2Y8AsgTpgAmY7PhCfg=="  # MD5 of b""
    key = store._key(sha256_hex(data))
    with pytest.raises(ClientError):
        store._client.put_object(Bucket=store.bucket, Key=key, Body=data, ContentMD5=wrong_md5)
    assert not store.exists(sha256_hex(data))


class _CuttingProxy:
    """TCP proxy to the S3 endpoint that drops each connection after ``limit`` request bytes."""

    def __init__(self, target: tuple[str, int], limit: int) -> None:
        self.target, self.limit = target, limit
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cuts = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._up, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._down, args=(client, upstream), daemon=True).start()

    def _up(self, client: socket.socket, upstream: socket.socket) -> None:
        sent = 0
        with contextlib.suppress(OSError):
            while chunk := client.recv(65536):
                if sent + len(chunk) > self.limit:
                    upstream.sendall(chunk[: self.limit - sent])
                    self.cuts += 1
                    break
                upstream.sendall(chunk)
                sent += len(chunk)
        for sock in (client, upstream):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _down(self, client: socket.socket, upstream: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := upstream.recv(65536):
                client.sendall(chunk)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def cutting_proxy(s3_server: SeaweedFS) -> Iterator[_CuttingProxy]:
    host, port = s3_server.endpoint_url.removeprefix("http://").split(":")
    proxy = _CuttingProxy((host, int(port)), limit=256 * 1024)
    yield proxy
    proxy.close()


def test_an_upload_cut_midway_is_never_visible(
    s3_server: SeaweedFS, cutting_proxy: _CuttingProxy
) -> None:
    bucket = new_bucket_name()
    direct = _store(s3_server.endpoint_url, bucket)
    through_proxy = _store(f"http://127.0.0.1:{cutting_proxy.port}", bucket)
    data = os.urandom(2 * 1024 * 1024)
    with pytest.raises(StorageUnavailable):
        through_proxy.put(data)
    assert cutting_proxy.cuts >= 1
    assert not direct.exists(sha256_hex(data))
    assert _keys(direct) == []
    assert direct.put(data).sha256 == sha256_hex(data)  # a retry later completes it
    assert direct.get(sha256_hex(data)) == data


def test_a_reader_racing_a_large_write_sees_nothing_or_everything(store: S3BlobStore) -> None:
    data = os.urandom(12 * 1024 * 1024)
    sha = sha256_hex(data)
    seen: list[str] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            if not store.exists(sha):
                seen.append("absent")
                continue
            seen.append("complete" if store.get(sha) == data else "partial")

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        store.put(data)
    finally:
        done.set()
        thread.join(timeout=60)
    assert "partial" not in seen
    assert "absent" in seen  # the reader really looked while the write was under way
    assert store.get(sha) == data


@pytest.fixture
def pg_s3_service(
    fresh_pg_url: str, s3_server: SeaweedFS, tmp_path: Path
) -> Iterator[tuple[Service, Any]]:
    migrate(fresh_pg_url)
    settings = Settings(
        database_url=fresh_pg_url,
        blob_store=f"s3://{new_bucket_name()}/blobs",
        s3_endpoint_url=s3_server.endpoint_url,
        s3_access_key=ACCESS_KEY,
        s3_secret_key=SECRET_KEY,
        broker="stub",
        mail_domain="dossiers.boekbox.test",
    )
    rt = build_runtime(settings)
    reset_runtime(rt)
    yield Service(rt), rt
    reset_runtime(None)
    dispose_engines()


def test_quota_counts_a_blob_shared_by_two_documents_once(
    pg_s3_service: tuple[Service, Any],
) -> None:
    svc, rt = pg_s3_service
    pdf = (CORPUS / "pdf" / "zc_EN16931_Einfach.pdf").read_bytes()
    ubl = (CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml").read_bytes()
    janssens = svc.create_dossier(SYSTEM, "Bakkerij Janssens", vat_number="BE0712345630").id
    other = svc.create_dossier(SYSTEM, "Brouwerij Peeters").id
    first = svc.ingest(SYSTEM, janssens, pdf, "invoice.pdf")
    second = svc.ingest(SYSTEM, janssens, pdf, "same-invoice-again.pdf")
    svc.ingest(SYSTEM, janssens, ubl, "invoice.xml")
    svc.ingest(SYSTEM, other, pdf, "invoice.pdf")
    assert first.state == "received"
    assert (second.state, second.duplicate_of) == ("duplicate", first.id)
    quotas = {q.dossier_id: q for q in svc.quotas(SYSTEM)}
    assert quotas[janssens].used_bytes == len(pdf) + len(ubl)
    assert quotas[other].used_bytes == len(pdf)  # each dossier pays for its own copy
    assert rt.blobs.get(first.sha256) == pdf
    assert len(_keys(rt.blobs)) == 2  # one object per distinct content
