"""Storage on SQLite and PostgreSQL: schema, idempotent inserts, quota counted once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect

from pipeline.runtime import Runtime
from pipeline.states import DocumentState, IllegalTransition
from storage import LocalBlobStore, repo, sha256_hex
from storage.db import check_initialised, get_engine, migrate
from storage.errors import NotFound, NotInitialised


def _dossier(rt: Runtime, name: str = "Bakkerij Janssens") -> int:
    with rt.tx() as s:
        d = repo.create_dossier(s, name=name, mailbox=f"{name.split()[0].lower()}@d.test")
        return d.id


def test_migration_creates_every_table_and_is_idempotent(db_url: str) -> None:
    migrate(db_url)  # second run: nothing to do, no error
    names = set(inspect(get_engine(db_url)).get_table_names())
    for table in (
        "dossier",
        "mail",
        "document",
        "blob",
        "dossier_blob",
        "extraction",
        "supplier",
        "account",
        "journal_entry",
        "journal_line",
        "app_user",
        "membership",
        "audit_event",
        "alembic_version",
    ):
        assert table in names
    check_initialised(db_url)


def test_uninitialised_database_is_reported(tmp_path: Path) -> None:
    with pytest.raises(NotInitialised, match="boekbox init"):
        check_initialised(f"sqlite:///{tmp_path / 'empty.db'}")


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url: str) -> None:
    with get_engine(sqlite_url).connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_address_lookup_ignores_case_of_domain_and_plus_tags(runtime: Runtime) -> None:
    _dossier(runtime)
    with runtime.tx() as s:
        assert repo.find_dossier_by_address(s, "<Bakkerij+invoices@D.TEST>") is not None
        assert repo.find_dossier_by_address(s, "other@d.test") is None


def test_mailbox_tokens_carry_64_random_bits() -> None:
    tokens = {repo.new_mailbox_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(len(t) == 16 and int(t, 16) >= 0 for t in tokens)


def test_store_mail_is_idempotent_per_dossier(runtime: Runtime) -> None:
    did = _dossier(runtime)
    ref = runtime.blobs.put(b"From: a@b\r\n\r\nhello")
    with runtime.tx() as s:
        d = repo.get_dossier(s, did)
        first, created = repo.store_mail(
            s,
            dossier=d,
            raw=ref,
            dedup_key="k1",
            envelope_from="a@b",
            envelope_to=["x@d.test"],
            message_id="<1@b>",
            peer_ip="127.0.0.1",
        )
        assert created
    with runtime.tx() as s:
        d = repo.get_dossier(s, did)
        again, created = repo.store_mail(
            s,
            dossier=d,
            raw=ref,
            dedup_key="k1",
            envelope_from="a@b",
            envelope_to=["x@d.test"],
            message_id="<1@b>",
            peer_ip="127.0.0.1",
        )
        assert not created
        assert again.id == first.id
        assert repo.count_documents(s, kind="mail") == 1


def test_quota_counts_a_shared_blob_once_per_dossier(runtime: Runtime) -> None:
    did = _dossier(runtime)
    other = _dossier(runtime, "Atelier Dubois")
    pdf = b"%PDF-1.4 same bytes"
    ref = runtime.blobs.put(pdf)
    with runtime.tx() as s:
        for n in range(3):
            repo.add_document(
                s,
                dossier_id=did,
                ref=ref,
                filename=f"f{n}.pdf",
                content_type="application/pdf",
                origin="upload",
                channel="upload",
            )
        repo.add_document(
            s,
            dossier_id=other,
            ref=ref,
            filename="f.pdf",
            content_type="application/pdf",
            origin="upload",
            channel="upload",
        )
    with runtime.tx() as s:
        d, o = repo.get_dossier(s, did), repo.get_dossier(s, other)
        assert d.used_bytes == len(pdf)
        assert d.document_count == 3
        assert o.used_bytes == len(pdf)
        assert repo.usage_history(s, did)[-1][1] == len(pdf)


def test_concurrent_registration_counts_once(runtime: Runtime) -> None:
    did = _dossier(runtime)
    refs = [runtime.blobs.put(f"blob {n}".encode()) for n in range(5)]
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for ref in refs:
                with runtime.tx() as s:
                    repo.register_blob(s, did, ref)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with runtime.tx() as s:
        assert repo.get_dossier(s, did).used_bytes == sum(r.size for r in refs)


def test_child_documents_are_idempotent_per_part(runtime: Runtime) -> None:
    did = _dossier(runtime)
    ref = runtime.blobs.put(b"raw mail")
    part = runtime.blobs.put(b"%PDF-1.7 part")
    with runtime.tx() as s:
        d = repo.get_dossier(s, did)
        mail_doc, _ = repo.store_mail(
            s,
            dossier=d,
            raw=ref,
            dedup_key="m",
            envelope_from="",
            envelope_to=[],
            message_id=None,
            peer_ip=None,
        )
        a, created_a = repo.add_document(
            s,
            dossier_id=did,
            ref=part,
            filename="a.pdf",
            content_type="application/pdf",
            origin="attachment",
            channel="smtp",
            parent=mail_doc,
            part_index=0,
        )
        b, created_b = repo.add_document(
            s,
            dossier_id=did,
            ref=part,
            filename="a.pdf",
            content_type="application/pdf",
            origin="attachment",
            channel="smtp",
            parent=mail_doc,
            part_index=0,
        )
        assert created_a
        assert not created_b
        assert a.id == b.id


def test_state_changes_go_through_the_transition_table(runtime: Runtime) -> None:
    did = _dossier(runtime)
    ref = runtime.blobs.put(b"%PDF-1.7 x")
    with runtime.tx() as s:
        doc, _ = repo.add_document(
            s,
            dossier_id=did,
            ref=ref,
            filename="x.pdf",
            content_type="application/pdf",
            origin="upload",
            channel="upload",
        )
        with pytest.raises(IllegalTransition):
            repo.set_state(s, doc, DocumentState.BOOKED)
        repo.set_state(s, doc, DocumentState.FAILED, "parser crashed")
        assert doc.state == "failed"
        assert doc.state_reason == "parser crashed"
        assert "failed" in doc.timings


def test_blob_store_is_content_addressed_and_atomic(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    ref = store.put(b"abc")
    assert ref.sha256 == sha256_hex(b"abc")
    assert store.put(b"abc") == ref
    assert store.get(ref.sha256) == b"abc"
    assert store.path(ref.sha256).parent.parent.parent == tmp_path / "blobs"
    assert list((tmp_path / "blobs" / "tmp").iterdir()) == []


def test_delivery_columns_are_read_and_written_for_that_document_only(runtime: Runtime) -> None:
    """The actor shell's own read and UPDATE (``delivery_facts``, ``set_delivery``) touch
    the one document, only the columns given, and stamp ``updated_at`` as a flush would."""
    did = _dossier(runtime)
    with runtime.tx() as s:
        ids = [
            repo.add_document(
                s,
                dossier_id=did,
                ref=runtime.blobs.put(f"%PDF-1.7 part {n}".encode()),
                filename=f"{n}.pdf",
                content_type="application/pdf",
                origin="upload",
                channel="upload",
            )[0].id
            for n in range(3)
        ]

    def columns(doc_id: int) -> tuple[object, ...]:
        with runtime.tx() as s:
            d = repo.get_document(s, doc_id)
            return d.state, d.timings, d.attempts, d.updated_at

    before = {i: columns(i) for i in ids}
    target = ids[1]
    with runtime.tx() as s:
        state, timings, attempts = repo.delivery_facts(s, target, lock=True)
        assert (state, timings, attempts) == before[target][:3]
        assert timings is not None
        repo.set_delivery(s, target, timings={**timings, "delivery_key": ["received"]}, attempts=2)
    written = columns(target)
    assert written[:3] == ("received", {**timings, "delivery_key": ["received"]}, 2)
    assert written[3] > before[target][3]  # type: ignore[operator]
    with runtime.tx() as s:
        repo.set_delivery(s, target, attempts=1)  # the timings stay as they are
    assert columns(target)[:3] == ("received", {**timings, "delivery_key": ["received"]}, 1)
    for other in (ids[0], ids[2]):
        assert columns(other) == before[other]
    with runtime.tx() as s:
        with pytest.raises(NotFound):
            repo.delivery_facts(s, max(ids) + 100)
        with pytest.raises(ValueError):
            repo.set_delivery(s, target, state="booked")
