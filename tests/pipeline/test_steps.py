"""Pipeline steps on a real database: results, idempotent replays, duplicates."""

from __future__ import annotations

from helpers import CORPUS, documents, dossier, run_all, store_eml

from pipeline.runtime import Runtime
from pipeline.steps import NextStep, extract_step, propose_step, split_step
from storage import repo


def test_a_mail_ends_as_documents_waiting_for_review(runtime: Runtime) -> None:
    did = dossier(runtime)
    raw = (CORPUS / "mail" / "pdf_attachment_direct_from_supplier.eml").read_bytes()
    mail_id = store_eml(runtime, did, raw)
    run_all(runtime, [NextStep("split", mail_id)])
    docs = documents(runtime, did)
    mail = next(d for d in docs if d.kind == "mail")
    files = [d for d in docs if d.kind == "file"]
    assert mail.state == "split"
    assert len(files) == 1
    assert files[0].state == "proposed", files[0].state_reason
    assert files[0].content_type == "application/pdf"
    assert set(files[0].timings) >= {"received", "extracted", "proposed"}


def test_every_step_is_idempotent(runtime: Runtime) -> None:
    did = dossier(runtime)
    raw = (CORPUS / "mail" / "ubl_attachment.eml").read_bytes()
    mail_id = store_eml(runtime, did, raw)
    ran = run_all(runtime, [NextStep("split", mail_id)])
    before = [(d.id, d.state, d.state_reason) for d in documents(runtime, did)]
    with runtime.tx() as s:
        entries = len(repo.list_entries(s, dossier_id=did, status=None))
    # dramatiq delivers at least once: replay every step that ran
    for step in ran:
        fn = {"split": split_step, "extract": extract_step, "propose": propose_step}[step.step]
        assert fn(runtime, step.document_id) == []
    after = [(d.id, d.state, d.state_reason) for d in documents(runtime, did)]
    assert after == before
    with runtime.tx() as s:
        assert len(repo.list_entries(s, dossier_id=did, status=None)) == entries == 1


def test_the_same_attachment_twice_is_a_duplicate_of_the_first(runtime: Runtime) -> None:
    did = dossier(runtime)
    raw = (CORPUS / "mail" / "pdf_attachment_direct_from_supplier.eml").read_bytes()
    run_all(runtime, [NextStep("split", store_eml(runtime, did, raw, "a"))])
    forwarded = raw.replace(b"Subject:", b"Subject: Fwd:", 1)
    run_all(runtime, [NextStep("split", store_eml(runtime, did, forwarded, "b"))])
    files = [d for d in documents(runtime, did) if d.kind == "file"]
    assert [f.state for f in files] == ["proposed", "duplicate"]
    assert files[1].duplicate_of_id == files[0].id
    with runtime.tx() as s:
        assert (
            repo.get_dossier(s, did).used_bytes
            == sum(len(b) for b in {raw, forwarded}) + files[0].size
        )


def test_pdf_and_ubl_of_one_invoice_give_one_booking_with_the_ubl_as_master(
    runtime: Runtime,
) -> None:
    did = dossier(runtime)
    raw = (CORPUS / "mail" / "pdf_and_ubl_same_invoice.eml").read_bytes()
    run_all(runtime, [NextStep("split", store_eml(runtime, did, raw))])
    files = {d.content_type: d for d in documents(runtime, did) if d.kind == "file"}
    ubl, pdf = files["application/xml"], files["application/pdf"]
    assert ubl.state == "proposed", ubl.state_reason
    assert pdf.state == "duplicate"
    assert pdf.duplicate_of_id == ubl.id
    with runtime.tx() as s:
        assert len(repo.list_entries(s, dossier_id=did, status=None)) == 1


def test_a_mail_without_attachment_is_visible_with_its_subject(runtime: Runtime) -> None:
    did = dossier(runtime)
    raw = (CORPUS / "mail" / "no_attachment_portal_link.eml").read_bytes()
    run_all(runtime, [NextStep("split", store_eml(runtime, did, raw))])
    (mail,) = documents(runtime, did)
    assert mail.state == "no_attachment"
    assert "'" in (mail.state_reason or "")


def test_unreadable_input_is_quarantined_with_a_reason(runtime: Runtime) -> None:
    did = dossier(runtime)
    ref = runtime.blobs.put(b"%PDF-1.7\nthis is not really a pdf")
    with runtime.tx() as s:
        doc, _ = repo.add_document(
            s,
            dossier_id=did,
            ref=ref,
            filename="broken.pdf",
            content_type="application/pdf",
            origin="upload",
            channel="upload",
        )
        doc_id = doc.id
    assert extract_step(runtime, doc_id) == []
    with runtime.tx() as s:
        doc = repo.get_document(s, doc_id)
        assert doc.state == "quarantined"
        assert doc.state_reason


def test_propose_needs_an_extracted_document(runtime: Runtime) -> None:
    did = dossier(runtime)
    ref = runtime.blobs.put((CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml").read_bytes())
    with runtime.tx() as s:
        doc, _ = repo.add_document(
            s,
            dossier_id=did,
            ref=ref,
            filename="x.xml",
            content_type="application/xml",
            origin="upload",
            channel="upload",
        )
        doc_id = doc.id
    assert propose_step(runtime, doc_id) == []  # still RECEIVED: nothing to do
    assert extract_step(runtime, doc_id) == [NextStep("propose", doc_id)]
    assert propose_step(runtime, doc_id) == []
    with runtime.tx() as s:
        assert repo.get_document(s, doc_id).state == "proposed"


def test_the_pdf_embedded_in_an_e_invoice_becomes_its_display_copy(runtime: Runtime) -> None:
    from email.message import EmailMessage

    import peppol

    xml = (CORPUS / "ubl" / "ublbe_15000001.xml").read_bytes()
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "l@x.example", "d@boekbox.test", "Factuur"
    msg["Message-ID"] = "<ublbe-embedded@x.example>"
    msg.set_content("In bijlage.")
    msg.add_attachment(xml, maintype="application", subtype="xml", filename="factuur.xml")
    did = dossier(runtime)
    run_all(runtime, [NextStep("split", store_eml(runtime, did, msg.as_bytes()))])
    files = [d for d in documents(runtime, did) if d.kind == "file"]
    ubl = next(d for d in files if d.filename == "factuur.xml")
    (copy,) = [d for d in files if d.parent_id == ubl.id]
    assert ubl.state == "proposed", ubl.state_reason
    assert (copy.state, copy.duplicate_of_id, copy.content_type) == (
        "duplicate", ubl.id, "application/pdf",
    )  # fmt: skip
    (embedded,) = peppol.embedded_attachments(xml)
    assert runtime.blobs.get(copy.blob_sha256) == embedded.data
    with runtime.tx() as s:
        stored = repo.get_extraction(s, ubl.id)
    assert stored is not None
    attachment = stored.invoice["attachments"][0]
    assert (attachment["embedded"], attachment["data_base64"]) == (True, "")  # no 250 kB copy
