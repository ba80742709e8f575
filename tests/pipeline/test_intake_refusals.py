"""Refused and incomplete e-invoices reach the accountant as documents (issues 18.10, 15):
real mails through the splitter and the pipeline steps, on SQLite and PostgreSQL."""

from __future__ import annotations

from email import encoders
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from helpers import CORPUS, documents, dossier, run_all, store_eml

from pipeline.runtime import Runtime
from pipeline.steps import NextStep
from storage import repo

UBL = (CORPUS / "ubl" / "peppol_base-example.xml").read_bytes()


def _mail(xml: bytes, filename: str, ctype: tuple[str, str] = ("application", "xml")) -> bytes:
    msg = MIMEMultipart()
    msg["From"] = "facturatie@leverancier.example"
    msg["Subject"] = "Uw factuur"
    msg.attach(MIMEText("In bijlage onze factuur."))
    part = MIMEBase(*ctype)
    part.set_payload(xml)
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    msg.attach(part)
    return msg.as_bytes()


def test_an_e_invoice_with_a_doctype_is_a_quarantined_document(runtime: Runtime) -> None:
    did = dossier(runtime)
    body = UBL[UBL.index(b"?>") + 2 :] if UBL.startswith(b"<?xml") else UBL
    xxe = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n' + body
    )
    run_all(runtime, [NextStep("split", store_eml(runtime, did, _mail(xxe, "factuur.xml")))])
    docs = documents(runtime, did)
    mail = next(d for d in docs if d.kind == "mail")
    [invoice] = [d for d in docs if d.kind == "file"]
    assert mail.state == "split", mail.state_reason  # not "no invoice attached"
    assert invoice.filename == "factuur.xml"
    assert invoice.state == "quarantined"
    assert "DOCTYPE" in (invoice.state_reason or "")
    with runtime.tx() as s:
        stored = repo.get_mail(s, mail.mail_id)
        assert stored.ignored == []


def test_a_ubl_without_invoice_number_is_read_and_flagged(runtime: Runtime) -> None:
    did = dossier(runtime)
    no_number = UBL.replace(b"<cbc:ID>Snippet1</cbc:ID>", b"", 1)
    assert no_number != UBL
    raw = _mail(no_number, "factuur.xml", ("text", "plain"))  # also: labelled text/plain
    run_all(runtime, [NextStep("split", store_eml(runtime, did, raw))])
    [invoice] = [d for d in documents(runtime, did) if d.kind == "file"]
    assert invoice.state in {"extracted", "proposed"}, invoice.state_reason
    assert invoice.invoice_number is None
    assert invoice.total_incl_vat is not None
    assert invoice.warning_count >= 1
    with runtime.tx() as s:
        extraction = repo.get_extraction(s, invoice.id)
        assert extraction is not None
        assert any("BT-1" in w for w in extraction.warnings)
