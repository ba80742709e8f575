"""A mail refused with 451 after DATA leaves its raw blob behind (issue 18.8): the blob
garbage collector removes it once older than the grace period, and never a blob that a
row refers to.  Real SMTP over loopback, SQLite."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from smtp_support import JANSSENS, RunningServer, deliver, invoice_mail

from pipeline.runtime import Runtime
from storage import LocalBlobStore, sha256_hex
from storage.blobgc import collect_garbage

Start = Callable[..., RunningServer]


def test_blob_of_a_mail_refused_after_data_is_collected(
    janssens: Runtime, start_server: Start
) -> None:
    store = janssens.blobs
    assert isinstance(store, LocalBlobStore)
    srv = start_server(janssens)
    accepted = invoice_mail(1)
    assert deliver(srv, accepted, [JANSSENS])[0] == 250

    # the database refuses the rows of the next mail: 451 after its blob was written
    db_file = Path(janssens.settings.database_url.removeprefix("sqlite:///"))
    engine = sa.create_engine(f"sqlite:///{db_file}")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse_mail BEFORE INSERT ON mail "
            "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
        )
    refused = invoice_mail(2)
    code, _text = deliver(srv, refused, [JANSSENS])
    assert code == 451
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER refuse_mail")
    engine.dispose()
    orphans = [sha for sha, _ in store.iter_blobs() if not _is_referenced(janssens, sha)]
    assert len(orphans) == 1  # the refused mail's raw blob, stored byte for byte
    assert store.get(orphans[0]) != accepted
    assert sha256_hex(store.get(orphans[0])) == orphans[0]

    # right after the refusal it is in flight as far as the collector can tell
    assert collect_garbage(janssens.tx, store).deleted == 0
    # two days later it goes; the accepted mail's blob stays
    later = time.time() + 2 * 86_400
    report = collect_garbage(janssens.tx, store, now=later)
    assert report.deleted_sha256 == orphans
    assert report.referenced >= 1
    assert [sha for sha, _ in store.iter_blobs() if not _is_referenced(janssens, sha)] == []


def _is_referenced(rt: Runtime, sha: str) -> bool:
    from storage.blobgc import referenced_among

    with rt.tx() as s:
        return sha in referenced_among(s, [sha])
