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
from storage.models import (
    AuditEvent,
    Customer,
    Document,
    InvoiceSequence,
    JournalEntry,
    Mail,
    SalesInvoice,
    SalesInvoiceLine,
)
from tests.storage.archive_world import add_mail_and_sales, build


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
    assert counts == {"documents": 3, "entries": 3, "mails": 0, "invoices": 0}
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


def _origins(rt: Runtime, did: int) -> dict[str, object]:
    """Mails, each document's mail and parent, and the sales, by content (not ids)."""
    with rt.tx() as s:
        docs = {d.id: d for d in s.scalars(select(Document).where(Document.dossier_id == did))}
        mails = {m.id: m for m in s.scalars(select(Mail).where(Mail.dossier_id == did))}
        invoices = {
            i.id: i for i in s.scalars(select(SalesInvoice).where(SalesInvoice.dossier_id == did))
        }
        customers = {
            c.id: c.name for c in s.scalars(select(Customer).where(Customer.dossier_id == did))
        }
        lines = {
            i: [
                (ln.seq, ln.description, ln.quantity, ln.unit_price, ln.vat_rate, ln.net)
                for ln in s.scalars(
                    select(SalesInvoiceLine)
                    .where(SalesInvoiceLine.invoice_id == i)
                    .order_by(SalesInvoiceLine.seq)
                )
            ]
            for i in invoices
        }
        return {
            "mails": sorted(
                (
                    m.raw_sha256,
                    m.dedup_key,
                    m.envelope_from,
                    tuple(m.envelope_to),
                    m.message_id,
                    m.subject,
                    m.from_header,
                    m.auth_domain,
                    json.dumps(m.auth, sort_keys=True),  # JSON objects: no order
                )
                for m in mails.values()
            ),
            "documents": sorted(
                (
                    d.blob_sha256,
                    d.kind,
                    mails[d.mail_id].dedup_key if d.mail_id else None,
                    docs[d.parent_id].blob_sha256 if d.parent_id else None,
                    d.part_index,
                    d.origin,
                )
                for d in docs.values()
            ),
            "invoices": sorted(
                (
                    i.number or "",
                    i.kind,
                    i.state,
                    i.bookyear or 0,
                    i.sequence or 0,
                    i.issue_date,
                    customers[i.customer_id] if i.customer_id else None,
                    invoices[i.credits_id].number if i.credits_id else None,
                    docs[i.document_id].blob_sha256 if i.document_id else None,
                    i.total,
                    i.structured_communication,
                    i.ubl_sha256,
                    i.pdf_sha256,
                    json.dumps(i.issued, sort_keys=True),
                    tuple(lines[i.id]),
                )
                for i in invoices.values()
            ),
            "sequences": sorted(
                (q.bookyear, q.last)
                for q in s.scalars(select(InvoiceSequence).where(InvoiceSequence.dossier_id == did))
            ),
        }


def test_the_round_trip_carries_the_mails_and_the_sales_invoices(
    runtime: Runtime, tmp_path: Path
) -> None:
    from storage.db import migrate
    from tests.dbfixtures import make_runtime

    w = build(runtime)
    o = add_mail_and_sales(runtime, w)
    before = _origins(runtime, w.dossier_id)
    assert len(before["mails"]) == 1  # type: ignore[arg-type]
    assert len(before["invoices"]) == 3  # type: ignore[arg-type]
    target = tmp_path / "dossier.zip"
    report = export_dossier(runtime.tx, runtime.blobs, w.dossier_id, target)
    assert (report.documents, report.mails, report.invoices) == (5, 1, 3)
    assert report.verified == 5 + 3  # five originals, two XML, one PDF
    with zipfile.ZipFile(target) as zf:
        names = set(zf.namelist())
        assert zf.testzip() is None
    assert {"einvoices/2024_0001.xml", "einvoices/2024_0001.pdf", "einvoices/2024_0002.xml"} <= (
        names
    )
    assert f"documents/{o.mail_doc}/original" in names  # the raw mail, once
    assert not any(n.startswith("mails/") for n in names)
    new_id, counts = import_dossier(runtime.tx, runtime.blobs, target, mailbox="o@d.test")
    assert counts == {"documents": 5, "entries": 3, "mails": 1, "invoices": 3}
    assert _origins(runtime, new_id) == before
    assert _snapshot(runtime, new_id) == _snapshot(runtime, w.dossier_id)
    # into an empty boekbox (every blob comes from the archive)
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    url = f"sqlite:///{empty_dir / 'boekbox.db'}"
    migrate(url)
    empty = make_runtime(url, empty_dir)
    other_id, _ = import_dossier(empty.tx, empty.blobs, target, mailbox="x@d.test")
    assert _origins(empty, other_id) == before
    assert _snapshot(empty, other_id) == _snapshot(runtime, w.dossier_id)


def test_a_mail_whose_raw_message_is_no_document_travels_as_eml(
    runtime: Runtime, tmp_path: Path
) -> None:
    w = build(runtime)
    o = add_mail_and_sales(runtime, w)
    with runtime.tx() as s:
        attachment = s.get(Document, o.attachment_doc)
        assert attachment is not None
        attachment.parent_id = None
        mail_doc = s.get(Document, o.mail_doc)
        s.delete(mail_doc)
    before = _origins(runtime, w.dossier_id)
    target = tmp_path / "dossier.zip"
    export_dossier(runtime.tx, runtime.blobs, w.dossier_id, target)
    with zipfile.ZipFile(target) as zf:
        assert f"mails/{o.mail_id}.eml" in zf.namelist()
    new_id, counts = import_dossier(runtime.tx, runtime.blobs, target, mailbox="e@d.test")
    assert counts["mails"] == 1
    assert _origins(runtime, new_id) == before


@pytest.mark.parametrize("member", ["sales.json", "mails.json", "einvoices/2024_0001.xml"])
def test_tampered_sales_or_mails_are_refused(runtime: Runtime, tmp_path: Path, member: str) -> None:
    w = build(runtime)
    add_mail_and_sales(runtime, w)
    target = tmp_path / "dossier.zip"
    export_dossier(runtime.tx, runtime.blobs, w.dossier_id, target)
    bad = tmp_path / "bad.zip"
    _rewrite(target, bad, member, b"[]")
    with runtime.tx() as s:
        counts = (
            len(s.scalars(select(Mail.id)).all()),
            len(s.scalars(select(SalesInvoice.id)).all()),
        )
    with pytest.raises(ArchiveRefused, match="tampered"):
        import_dossier(runtime.tx, runtime.blobs, bad, mailbox="bad@d.test")
    with runtime.tx() as s:
        assert (
            len(s.scalars(select(Mail.id)).all()),
            len(s.scalars(select(SalesInvoice.id)).all()),
        ) == counts


def test_streamed_members_and_zip64_records_read_back(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Originals larger than a chunk go out in parts with their header patched after;
    ZIP64 sizes (forced here from 0 bytes) and the archive read back with the standard
    library and with Info-ZIP's unzip."""
    import shutil
    import subprocess

    from storage import dossier_archive

    monkeypatch.setattr(dossier_archive, "CHUNK", 256)
    monkeypatch.setattr(dossier_archive._ZipOut, "zip64_from", -1)
    w = build(runtime)
    add_mail_and_sales(runtime, w)
    target = tmp_path / "dossier.zip"
    export_dossier(runtime.tx, runtime.blobs, w.dossier_id, target)
    with zipfile.ZipFile(target) as zf:
        assert zf.testzip() is None
        info = zf.getinfo(f"documents/{w.old_doc}/old.pdf")
        assert info.file_size > 256
        assert zf.read(info) == runtime.blobs.get(w.old_sha)
        deflated = [i for i in zf.infolist() if i.filename.endswith(".xml")]
        assert deflated
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in deflated)
    if shutil.which("unzip"):
        subprocess.run(["unzip", "-tqq", str(target)], check=True)
    new_id, counts = import_dossier(runtime.tx, runtime.blobs, target, mailbox="z@d.test")
    assert counts["documents"] == 5
    assert _origins(runtime, new_id) == _origins(runtime, w.dossier_id)


@pytest.mark.parametrize("chunk", [1 << 20, 64], ids=["whole", "streamed"])
def test_a_missing_original_fails_the_export_and_leaves_no_archive(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    from storage import NotFound, dossier_archive

    monkeypatch.setattr(dossier_archive, "CHUNK", chunk)
    w = build(runtime)
    runtime.blobs.path(w.loose_sha).unlink()  # type: ignore[attr-defined]
    target = tmp_path / "dossier.zip"
    with pytest.raises(NotFound, match=w.loose_sha):
        export_dossier(runtime.tx, runtime.blobs, w.dossier_id, target)
    assert not target.exists()
    assert list(tmp_path.glob(".dossier.zip*")) == []


def test_duplicate_documents_share_one_member(runtime: Runtime, tmp_path: Path) -> None:
    w = build(runtime)
    with runtime.tx() as s:
        twin = s.get(Document, w.old_doc)
        assert twin is not None
        copy = Document(
            dossier_id=w.dossier_id,
            blob_sha256=twin.blob_sha256,
            size=twin.size,
            filename="old-again.pdf",
            content_type="application/pdf",
            origin="upload",
            channel="upload",
            state="duplicate",
            duplicate_of_id=twin.id,
        )
        s.add(copy)
        s.flush()
        copy_id = copy.id
    target = tmp_path / "dossier.zip"
    report = export_dossier(runtime.tx, runtime.blobs, w.dossier_id, target)
    assert (report.documents, report.verified) == (4, 3)
    with zipfile.ZipFile(target) as zf:
        names = zf.namelist()
    assert f"documents/{copy_id}/old-again.pdf" not in names
    new_id, counts = import_dossier(runtime.tx, runtime.blobs, target, mailbox="t@d.test")
    assert counts["documents"] == 4
    with runtime.tx() as s:
        rows = {
            d.filename: d for d in s.scalars(select(Document).where(Document.dossier_id == new_id))
        }
    assert rows["old-again.pdf"].blob_sha256 == w.old_sha
    assert rows["old-again.pdf"].duplicate_of_id == rows["old.pdf"].id
