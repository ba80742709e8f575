"""A small dossier for the archive tests: documents (one with a mail), entries, blobs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from pipeline.runtime import Runtime
from storage import repo
from storage.models import Document, JournalEntry, JournalLine


@dataclass(frozen=True)
class World:
    dossier_id: int
    old_doc: int  # 2012 invoice, booked in bookyear 2012
    new_doc: int  # 2024 invoice
    loose_doc: int  # 2013 upload, not booked
    old_entry_manual: int  # bookyear 2012 manual entry without document
    old_sha: str
    new_sha: str
    loose_sha: str


def _doc(rt: Runtime, did: int, data: bytes, name: str, day: dt.date) -> tuple[int, str]:
    ref = rt.blobs.put(data)
    with rt.tx() as s:
        doc, _ = repo.add_document(
            s,
            dossier_id=did,
            ref=ref,
            filename=name,
            content_type="application/pdf",
            origin="upload",
            channel="upload",
        )
        doc.invoice_date = day
        doc.created_at = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        return doc.id, ref.sha256


def _entry(
    rt: Runtime, did: int, doc_id: int | None, bookyear: str, number: int, day: dt.date
) -> int:
    with rt.tx() as s:
        entry = JournalEntry(
            dossier_id=did,
            document_id=doc_id,
            journal="purchases" if doc_id else "misc",
            bookyear=bookyear,
            period=f"{day.year:04d}-{day.month:02d}",
            number=number,
            date=day,
            status="booked",
            lines=[
                JournalLine(seq=1, account="604000", debit=Decimal("100.00")),
                JournalLine(seq=2, account="440000", credit=Decimal("100.00")),
            ],
        )
        s.add(entry)
        s.flush()
        if doc_id is not None:
            doc = s.get(Document, doc_id)
            assert doc is not None
            doc.state = "booked"
        return entry.id


def build(rt: Runtime, name: str = "Archief BV") -> World:
    with rt.tx() as s:
        did = repo.create_dossier(s, name=name, mailbox=f"{name.split()[0].lower()}@d.test").id
        repo.install_accounts(
            s,
            did,
            [
                {"number": "604000", "name_nl": "Aankopen", "name_fr": "Achats"},
                {"number": "440000", "name_nl": "Leveranciers", "name_fr": "Fournisseurs"},
            ],
        )
    old_doc, old_sha = _doc(rt, did, b"%PDF-1.4 old invoice " * 50, "old.pdf", dt.date(2012, 5, 3))
    new_doc, new_sha = _doc(rt, did, b"%PDF-1.4 new invoice " * 60, "new.pdf", dt.date(2024, 2, 1))
    loose_doc, loose_sha = _doc(rt, did, b"%PDF-1.4 loose " * 70, "loose.pdf", dt.date(2013, 7, 9))
    _entry(rt, did, old_doc, "2012", 1, dt.date(2012, 5, 3))
    _entry(rt, did, new_doc, "2024", 1, dt.date(2024, 2, 1))
    manual = _entry(rt, did, None, "2012", 2, dt.date(2012, 12, 31))
    return World(did, old_doc, new_doc, loose_doc, manual, old_sha, new_sha, loose_sha)
