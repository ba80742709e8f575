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


@dataclass(frozen=True)
class Origins:
    """A mail with its attachment, and sales invoices, added to a :class:`World`."""

    mail_id: int
    mail_doc: int
    attachment_doc: int
    invoice_id: int
    credit_note_id: int
    draft_id: int


def add_mail_and_sales(rt: Runtime, w: World) -> Origins:
    """The mail a document came from (raw message kept as the mail document) and the
    dossier's sales: a customer, an item, an issued invoice with its UBL and PDF, a
    credit note of it (UBL only), a draft, and the numbering of 2024."""
    from storage.mailstore import register_blobs
    from storage.models import (
        Customer,
        InvoiceSequence,
        Mail,
        SalesInvoice,
        SalesInvoiceLine,
        SalesItem,
    )

    raw = rt.blobs.put(
        b"From: Leverancier <factuur@leverancier.test>\r\nSubject: Factuur 77\r\n"
        b"Message-ID: <77@leverancier.test>\r\n\r\nIn bijlage.\r\n"
    )
    attachment = rt.blobs.put(b"%PDF-1.4 attached invoice " * 40)
    ubl = rt.blobs.put(b"<?xml version='1.0'?><Invoice><ID>2024/0001</ID></Invoice>" * 5)
    pdf = rt.blobs.put(b"%PDF-1.4 sales invoice 2024/0001 " * 30)
    credit_ubl = rt.blobs.put(b"<?xml version='1.0'?><CreditNote><ID>2024/0002</ID></CreditNote>")
    with rt.tx() as s:
        register_blobs(s, [(w.dossier_id, ref) for ref in (raw, attachment, ubl, pdf, credit_ubl)])
        mail = Mail(
            dossier_id=w.dossier_id,
            raw_sha256=raw.sha256,
            envelope_from="factuur@leverancier.test",
            envelope_to=["archief@d.test"],
            message_id="<77@leverancier.test>",
            dedup_key="msgid:77@leverancier.test",
            subject="Factuur 77",
            from_header="Leverancier <factuur@leverancier.test>",
            auth={"spf": "pass", "dkim": "pass", "dmarc": "pass"},
            auth_domain="leverancier.test",
        )
        s.add(mail)
        s.flush()
        mail_doc = Document(
            dossier_id=w.dossier_id,
            mail_id=mail.id,
            kind="mail",
            blob_sha256=raw.sha256,
            size=raw.size,
            content_type="message/rfc822",
            origin="smtp",
            channel="smtp",
            state="split",
        )
        s.add(mail_doc)
        s.flush()
        doc = Document(
            dossier_id=w.dossier_id,
            mail_id=mail.id,
            parent_id=mail_doc.id,
            part_index=0,
            kind="file",
            blob_sha256=attachment.sha256,
            size=attachment.size,
            filename="factuur-77.pdf",
            content_type="application/pdf",
            origin="factuur@leverancier.test",
            channel="smtp",
            state="review",
            invoice_date=dt.date(2024, 3, 5),
        )
        s.add(doc)
        customer = Customer(
            dossier_id=w.dossier_id, name="Klant NV", vat="BE0403170701", email="k@klant.test"
        )
        item = SalesItem(dossier_id=w.dossier_id, description="Advies", data={"unit": "HUR"})
        s.add_all([customer, item])
        s.add(InvoiceSequence(dossier_id=w.dossier_id, bookyear=2024, last=2))
        s.flush()

        def invoice(number: str | None, seq: int | None, **kw: object) -> SalesInvoice:
            row = SalesInvoice(
                dossier_id=w.dossier_id,
                customer_id=customer.id,
                state="issued" if number else "draft",
                number=number,
                bookyear=2024 if number else None,
                sequence=seq,
                issue_date=dt.date(2024, 4, seq or 30),
                customer_name="Klant NV",
                net_total=Decimal("200.00"),
                vat_total=Decimal("42.00"),
                total=Decimal("242.00"),
                draft={"customer": {"name": "Klant NV"}},
                issued={"number": number} if number else None,
                **kw,  # type: ignore[arg-type]
            )
            s.add(row)
            s.flush()
            s.add(
                SalesInvoiceLine(
                    invoice_id=row.id,
                    seq=1,
                    item_id=item.id,
                    description="Advies april",
                    quantity=Decimal("2.0000"),
                    unit_price=Decimal("100.0000"),
                    vat_rate=Decimal("21.00"),
                    net=Decimal("200.00"),
                    account="700000",
                )
            )
            return row

        issued = invoice(
            "2024/0001",
            1,
            ubl_sha256=ubl.sha256,
            pdf_sha256=pdf.sha256,
            document_id=w.new_doc,
            structured_communication="123456789012",
        )
        credit = invoice("2024/0002", 2, kind="credit_note", credits_id=issued.id)
        credit.ubl_sha256 = credit_ubl.sha256
        draft = invoice(None, None)
        s.flush()
        return Origins(mail.id, mail_doc.id, doc.id, issued.id, credit.id, draft.id)
