"""The archive on PostgreSQL + S3 (SeaweedFS): verify finds a missing and a damaged
object, export/import round-trips, a purge deletes rows and keeps shared blobs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pipeline.runtime import Runtime, build_runtime, reset_runtime
from pipeline.settings import Settings
from storage.db import dispose_engines, migrate
from storage.dossier_archive import export_dossier, import_dossier
from storage.integrity import verify_blobs
from storage.models import Document
from storage.retention import run_purge
from tests.e2e.seaweed import ACCESS_KEY, SECRET_KEY, SeaweedFS, new_bucket_name, s3_server
from tests.storage.archive_world import build

__all__ = ["s3_server"]


@pytest.fixture
def pg_s3_runtime(fresh_pg_url: str, s3_server: SeaweedFS) -> Iterator[Runtime]:
    migrate(fresh_pg_url)
    rt = build_runtime(
        Settings(
            database_url=fresh_pg_url,
            blob_store=f"s3://{new_bucket_name()}/blobs",
            s3_endpoint_url=s3_server.endpoint_url,
            s3_access_key=ACCESS_KEY,
            s3_secret_key=SECRET_KEY,
            broker="stub",
            mail_domain="dossiers.boekbox.test",
        )
    )
    reset_runtime(rt)
    yield rt
    reset_runtime(None)
    dispose_engines()


def test_archive_on_postgres_and_s3(pg_s3_runtime: Runtime, tmp_path: Path) -> None:
    rt = pg_s3_runtime
    store: Any = rt.blobs
    w = build(rt)
    assert verify_blobs(rt.tx, store, dossier_id=w.dossier_id).clean
    target = tmp_path / "dossier.zip"
    export_dossier(rt.tx, store, w.dossier_id, target)
    new_id, counts = import_dossier(rt.tx, store, target, mailbox="s3@d.test")
    assert counts == {"documents": 3, "entries": 3, "mails": 0, "invoices": 0}
    with rt.tx() as s:
        shas = sorted(s.scalars(select(Document.blob_sha256).where(Document.dossier_id == new_id)))
    assert shas == sorted([w.old_sha, w.new_sha, w.loose_sha])
    # damage one object, delete another
    store._client.put_object(Bucket=store.bucket, Key=store._key(w.loose_sha), Body=b"rot")
    store._client.delete_object(Bucket=store.bucket, Key=store._key(w.old_sha))
    report = verify_blobs(rt.tx, store, dossier_id=w.dossier_id)
    assert [m["sha256"] for m in report.missing] == [w.old_sha]
    assert [d["sha256"] for d in report.damaged] == [w.loose_sha]
    # a purge on S3 deletes the rows; blobs the first dossier still uses stay
    purged = run_purge(rt.tx, store, new_id, today=dt.date(2025, 6, 1), blob_grace_seconds=0)
    assert purged.documents == 2
    assert purged.blobs_deleted == 0
    assert store.exists(w.new_sha)
