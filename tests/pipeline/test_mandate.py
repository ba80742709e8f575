"""Issue 17 item 5: the Peppol-mandate watch.

A supplier dossier issues a real invoice (boekbox's invoicing renders its PDF and its
UBL, dated after 31 March 2026); the PDF alone is mailed to a Belgian client dossier,
flagged in review, the request for the e-invoice goes out once through a real aiosmtpd
relay on loopback, and when the UBL then arrives it is the master and the PDF its
duplicate.  Real database (SQLite and PostgreSQL), real extraction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import socket
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from helpers import documents, dossier, run_all

from extractors.model import from_json
from pipeline import mandate
from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, Refused, Service
from pipeline.steps import NextStep
from storage import repo
from storage.models import Document

SELLER = {
    "street": "Kerkstraat 1",
    "postal_code": "9000",
    "city": "Gent",
    "vat": "BE0403170701",
    "enterprise_number": "0403.170.701",
    "iban": "BE71 0961 2345 6769",
    "bic": "GKCCBEBB",
    "email": "facturen@desmet.example",
}
SUPPLIER_MAIL = "facturen@desmet.example"


class _Relay:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def relay() -> Iterator[tuple[_Relay, int]]:
    handler = _Relay()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ctl = Controller(handler, hostname="127.0.0.1", port=port)
    ctl.start()
    yield handler, port
    ctl.stop()


def _with_relay(runtime: Runtime, port: int) -> Runtime:
    url = f"smtp://127.0.0.1:{port}?starttls=0"
    return dataclasses.replace(
        runtime, settings=dataclasses.replace(runtime.settings, outgoing_smtp_url=url)
    )


def _issue(rt: Runtime, issue_date: str) -> tuple[bytes, bytes, str]:
    """Dossier De Smet invoices Bakkerij Janssens: (PDF, UBL, number)."""
    svc = Service(rt)
    a = svc.create_dossier(
        SYSTEM, "Bakkerij De Smet BV", vat_number="BE0403170701", mailbox_local="desmet"
    ).id
    svc.set_invoicing_settings(SYSTEM, a, seller=SELLER, prefix="F")
    cid = svc.create_customer(
        SYSTEM, a,
        {"name": "Bakkerij Janssens", "country": "BE", "vat": "BE0712345630",
         "peppol_id": "0208:0712345630", "street": "Markt 2", "postal_code": "1000",
         "city": "Brussel", "email": "boekhouding@janssens.example"},
    ).id  # fmt: skip
    draft = svc.create_draft(
        SYSTEM, a,
        {"customer_id": cid, "issue_date": issue_date, "lines": [
            {"description": "Meel", "quantity": "4", "unit_price": "25", "vat_rate": "6",
             "kind": "goods"},
        ]},
    )  # fmt: skip
    inv = svc.issue(SYSTEM, draft.id)
    pdf, _ = svc.invoice_pdf(SYSTEM, inv.id)
    ubl, _ = svc.invoice_ubl(SYSTEM, inv.id)
    return pdf, ubl, inv.number


def _mail(rt: Runtime, did: int, *, name: str, data: bytes, subtype: str, key: str) -> int:
    msg = EmailMessage()
    msg["From"] = f"Bakkerij De Smet <{SUPPLIER_MAIL}>"
    msg["To"] = "bakkerij-janssens@dossiers.boekbox.test"
    msg["Subject"] = "Factuur"
    msg["Message-ID"] = f"<{key}@test>"
    msg.set_content("In bijlage de factuur.")
    msg.add_attachment(data, maintype="application", subtype=subtype, filename=name)
    ref = rt.blobs.put(msg.as_bytes())
    with rt.tx() as s:
        doc, _ = repo.store_mail(
            s,
            dossier=repo.get_dossier(s, did),
            raw=ref,
            dedup_key=key,
            envelope_from="bounces+x@mailer.desmet.example",
            envelope_to=["bakkerij-janssens@dossiers.boekbox.test"],
            message_id=f"{key}@test",
            peer_ip="127.0.0.1",
            from_header=msg["From"],
        )
        mail_id = doc.id
    run_all(rt, [NextStep("split", mail_id)])
    return mail_id


def _file(rt: Runtime, did: int, content_type: str) -> Document:
    return next(
        d for d in documents(rt, did) if d.kind == "file" and d.content_type == content_type
    )


def _codes(doc: Document) -> set[str]:
    return {a["code"] for a in doc.alerts or []}


def test_pdf_after_the_mandate_is_flagged_requested_once_and_replaced_by_the_e_invoice(
    runtime: Runtime, relay: tuple[_Relay, int]
) -> None:
    handler, port = relay
    rt = _with_relay(runtime, port)
    svc = Service(rt)
    pdf_bytes, ubl_bytes, number = _issue(rt, "2026-04-15")
    b = dossier(rt)
    _mail(rt, b, name=f"{number}.pdf", data=pdf_bytes, subtype="pdf", key="pdf")
    pdf = _file(rt, b, "application/pdf")
    assert pdf.state == "proposed", pdf.state_reason
    assert mandate.MANDATE_ALERT in _codes(pdf)
    detail = svc.document(SYSTEM, pdf.id)
    assert any("not a valid invoice under the e-invoicing mandate" in str(a.get("message"))
               .lower() for a in detail.row.alerts)  # fmt: skip

    (row,) = svc.mandate_suppliers(SYSTEM, b)
    assert (row.supplier_vat, row.documents, row.requested) == ("BE0403170701", 1, 0)

    # one click: the request goes to the From of the mail, in the dossier's language (French
    # here), from the dossier's own address
    svc.update_dossier(SYSTEM, b, settings={"language": "fr"})
    assert svc.request_peppol_invoice(SYSTEM, pdf.id) == SUPPLIER_MAIL
    ((mail_from, rcpts, raw),) = handler.messages
    assert rcpts == [SUPPLIER_MAIL]
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert "Demande de facture électronique via Peppol" in str(msg["Subject"])
    assert number in str(msg["Subject"])
    assert mail_from == repo_mailbox(rt, b)
    body = msg.get_body(("plain",))
    assert body is not None
    assert "Peppol" in body.get_content()
    # never twice
    with pytest.raises(Refused, match="requested already"):
        svc.request_peppol_invoice(SYSTEM, pdf.id)
    assert len(handler.messages) == 1
    with rt.tx() as s:
        assert "peppol_invoice_requested" in [e.action for e in repo.audit_trail(s, pdf.id)]
    (row,) = svc.mandate_suppliers(SYSTEM, b)
    assert row.requested == 1

    # the check is idempotent and keeps the request on the alert
    with rt.tx() as s:
        doc = repo.get_document(s, pdf.id, lock=True)
        before = list(doc.alerts or [])
        extraction = repo.get_extraction(s, doc.id)
        assert extraction is not None
        assert mandate.check_mandate(doc, repo.get_dossier(s, b), from_json(extraction.invoice))
        assert doc.alerts == before

    # the e-invoice arrives: it is the master, the PDF its linked duplicate
    _mail(rt, b, name=f"{number}.xml", data=ubl_bytes, subtype="xml", key="ubl")
    ubl = _file(rt, b, "application/xml")
    pdf_now = _file(rt, b, "application/pdf")
    assert ubl.state == "proposed", ubl.state_reason
    assert mandate.MANDATE_ALERT not in _codes(ubl)
    assert pdf_now.state == "duplicate"
    assert pdf_now.duplicate_of_id == ubl.id
    assert svc.mandate_suppliers(SYSTEM, b) == []


def repo_mailbox(rt: Runtime, did: int) -> str:
    with rt.tx() as s:
        return repo.get_dossier(s, did).mailbox


def test_pdf_before_the_cutoff_is_not_flagged_and_cannot_be_requested(
    sqlite_runtime: Runtime,
) -> None:
    svc = Service(sqlite_runtime)
    pdf_bytes, _, number = _issue(sqlite_runtime, "2026-03-31")
    b = dossier(sqlite_runtime)
    _mail(sqlite_runtime, b, name=f"{number}.pdf", data=pdf_bytes, subtype="pdf", key="old")
    pdf = _file(sqlite_runtime, b, "application/pdf")
    assert pdf.state == "proposed", pdf.state_reason
    assert mandate.MANDATE_ALERT not in _codes(pdf)
    with pytest.raises(Refused, match="not flagged"):
        svc.request_peppol_invoice(SYSTEM, pdf.id)
    assert svc.mandate_suppliers(SYSTEM, b) == []


def test_the_rule() -> None:
    after = dt.date(2026, 4, 1)
    ok = {"content_type": "application/pdf", "supplier_vat": "BE 0403.170.701",
          "dossier_vat": "BE0712345630", "date": after}  # fmt: skip
    assert mandate.mandate_applies(**ok)  # type: ignore[arg-type]
    assert mandate.mandate_applies(**{**ok, "content_type": "image/jpeg"})  # type: ignore[arg-type]
    for change in (
        {"content_type": "application/xml"},
        {"supplier_vat": "NL123456789B01"},
        {"dossier_vat": None},
        {"supplier_vat": "BE0712345630"},  # its own sales invoice
        {"date": dt.date(2026, 3, 31)},
        {"date": None},
    ):
        assert not mandate.mandate_applies(**{**ok, **change}), change  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("language", "word"),
    [("nl", "Verzoek"), ("fr", "Demande"), ("de", "Bitte"), ("en", "Request"), ("xx", "Verzoek")],
)
def test_request_text_in_the_dossier_language(language: str, word: str) -> None:
    text = mandate.request_text(
        language, number="F2026-0001\r\nBcc: x@evil", date=dt.date(2026, 4, 2),
        customer="Bakkerij Janssens", customer_vat="BE0712345630",
    )  # fmt: skip
    assert text.subject.startswith(word)
    assert "\n" not in text.subject
    assert "\r" not in text.subject
    assert "2026-04-02" in text.body
    assert "BE0712345630" in text.body
