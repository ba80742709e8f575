"""Issue 18 item 5: a spoofed e-invoice must not take over a real one nor redirect a payment.

The attack: an unknown sender mails a UBL with the real supplier's VAT number,
invoice number and total but another IBAN.  Real database, real extraction,
sender checks against a real DNS server on loopback (tests/dnsserver.py).
"""

from __future__ import annotations

import dataclasses
import email
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from dnsserver import LocalDns, local_dns
from helpers import CORPUS, documents, dossier, run_all

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, Refused, Service
from pipeline.steps import NextStep
from storage import repo
from storage.models import Document, Mail, SupplierIban

GENUINE_IBAN = "BE11001445566748"
ATTACKER_IBAN = "BE68539007547034"
SUPPLIER = "facturen@elektro-peeters.example"


def _parts() -> dict[str, bytes]:
    raw = (CORPUS / "mail" / "pdf_and_ubl_same_invoice.eml").read_bytes()
    out = {}
    for part in email.message_from_bytes(raw).walk():
        name = part.get_filename()
        if name:
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            out[name.rsplit(".", 1)[1]] = payload
    return out


PARTS = _parts()


@pytest.fixture
def zone() -> Iterator[LocalDns]:
    for server in local_dns():
        # the genuine supplier's mail server is our loopback client; the attacker has no SPF
        server.add("elektro-peeters.example", "TXT", '"v=spf1 ip4:127.0.0.1 -all"')
        yield server


@pytest.fixture
def rt(runtime: Runtime, zone: LocalDns) -> Runtime:
    settings = dataclasses.replace(
        runtime.settings, dns_servers=zone.servers, dns_timeout_seconds=2.0
    )
    return dataclasses.replace(runtime, settings=settings)


def mail_with(
    rt: Runtime,
    dossier_id: int,
    *,
    sender: str,
    header_from: str,
    filename: str,
    data: bytes,
    subtype: str,
    key: str,
) -> int:
    msg = EmailMessage()
    msg["From"] = header_from
    msg["To"] = "bakkerij-janssens@dossiers.boekbox.test"
    msg["Subject"] = "Factuur 2026/0311"
    msg["Message-ID"] = f"<{key}@test>"
    msg.set_content("In bijlage de factuur.")
    msg.add_attachment(data, maintype="application", subtype=subtype, filename=filename)
    ref = rt.blobs.put(msg.as_bytes())
    with rt.tx() as s:
        doc, _ = repo.store_mail(
            s,
            dossier=repo.get_dossier(s, dossier_id),
            raw=ref,
            dedup_key=key,
            envelope_from=sender,
            envelope_to=["bakkerij-janssens@dossiers.boekbox.test"],
            message_id=f"{key}@test",
            peer_ip="127.0.0.1",
            from_header=header_from,
        )
        return doc.id


def genuine_pdf(rt: Runtime, did: int, key: str = "genuine") -> Document:
    mail_id = mail_with(
        rt, did, sender=SUPPLIER, header_from=f"Elektro Peeters <{SUPPLIER}>",
        filename="Factuur_2026-0311.pdf", data=PARTS["pdf"], subtype="pdf", key=key,
    )  # fmt: skip
    run_all(rt, [NextStep("split", mail_id)])
    return next(d for d in documents(rt, did) if d.kind == "file" and d.mail_id is not None)


def spoofed_ubl(rt: Runtime, did: int, iban: str = ATTACKER_IBAN) -> Document:
    xml = PARTS["xml"].replace(GENUINE_IBAN.encode(), iban.encode())
    assert xml != PARTS["xml"]
    mail_id = mail_with(
        rt, did, sender="billing@elektro-peeters-invoices.example",
        header_from=f"Elektro Peeters <{SUPPLIER}>",
        filename="Factuur_2026-0311.xml", data=xml, subtype="xml", key="spoofed",
    )  # fmt: skip
    run_all(rt, [NextStep("split", mail_id)])
    return next(
        d for d in documents(rt, did) if d.kind == "file" and d.content_type == "application/xml"
    )


def _doc(rt: Runtime, doc_id: int) -> Document:
    with rt.tx() as s:
        return repo.get_document(s, doc_id)


def _codes(doc: Document) -> set[str]:
    return {a["code"] for a in doc.alerts or []}


def test_spoofed_ubl_does_not_take_over_the_genuine_pdf(rt: Runtime) -> None:
    svc = Service(rt)
    did = dossier(rt)
    pdf = genuine_pdf(rt, did)
    assert pdf.state == "proposed", pdf.state_reason
    with rt.tx() as s:
        mail = s.get(Mail, pdf.mail_id)
        assert mail is not None
        assert mail.auth_domain == "elektro-peeters.example"  # SPF pass, aligned
        assert mail.auth is not None
        assert mail.auth["spf"] == "pass"
    (sup,) = svc.suppliers(SYSTEM, did)
    svc.set_supplier_policy(SYSTEM, sup.id, autobook="always")

    ubl = spoofed_ubl(rt, did)
    pdf = _doc(rt, pdf.id)
    # the genuine PDF stays; neither is the other's duplicate; both carry the conflict
    assert pdf.state == "proposed"
    assert pdf.duplicate_of_id is None
    assert ubl.state == "proposed", ubl.state_reason
    assert ubl.duplicate_of_id is None
    assert "payment_conflict" in _codes(pdf)
    assert "payment_conflict" in _codes(ubl)
    conflict = next(a for a in ubl.alerts or [] if a["code"] == "payment_conflict")
    assert ATTACKER_IBAN in conflict["message"]
    assert GENUINE_IBAN in conflict["message"]
    # the IBAN warning is on the spoofed UBL, and it was not booked despite "always"
    iban = next(a for a in ubl.alerts or [] if a["code"] == "iban_unconfirmed")
    assert iban["iban"] == ATTACKER_IBAN
    detail = svc.document(SYSTEM, ubl.id)
    assert detail.entry is not None
    assert not detail.entry.auto_booked
    assert detail.entry.status == "proposed"
    assert any("not booked automatically" in w for w in detail.entry.warnings)
    assert detail.mail is not None
    assert detail.mail.auth_domain is None
    assert "auto_book_blocked" in [a["action"] for a in detail.audit]
    assert {a["code"] for a in detail.row.alerts} >= {"iban_unconfirmed", "payment_conflict"}


def test_a_changed_iban_needs_an_explicit_audited_confirmation(rt: Runtime) -> None:
    svc = Service(rt)
    did = dossier(rt)
    pdf = genuine_pdf(rt, did)
    assert "iban_unconfirmed" in _codes(pdf)  # first IBAN of this supplier: "new"
    with pytest.raises(Refused, match="new IBAN"):  # booking alone never confirms it
        svc.confirm(SYSTEM, pdf.id)
    assert _doc(rt, pdf.id).state == "proposed"
    svc.confirm(SYSTEM, pdf.id, iban_checked=True)  # "I checked this IBAN with the supplier"
    (first,) = [a for a in svc.document(SYSTEM, pdf.id).audit if a["action"] == "iban_confirmed"]
    assert (first["iban"], first["via"], first["kind"]) == (GENUINE_IBAN, "booking", "new")
    with rt.tx() as s:
        (known,) = s.query(SupplierIban).all()
        assert known.iban == GENUINE_IBAN
    assert _codes(_doc(rt, pdf.id)) == set()

    # the same invoice number again (genuine invoice booked: not movable) with another IBAN
    ubl = spoofed_ubl(rt, did)
    assert ubl.state == "proposed"
    alert = next(a for a in ubl.alerts or [] if a["code"] == "iban_unconfirmed")
    assert alert["kind"] == "changed"
    assert alert["known"] == [GENUINE_IBAN]
    with pytest.raises(Refused, match="changed IBAN"):
        svc.confirm(SYSTEM, ubl.id)
    with pytest.raises(Refused):
        svc.confirm_iban(SYSTEM, ubl.id, GENUINE_IBAN)  # not the IBAN shown
    assert svc.confirm_iban(SYSTEM, ubl.id, ATTACKER_IBAN) == ATTACKER_IBAN
    audit = [a for a in svc.document(SYSTEM, ubl.id).audit if a["action"] == "iban_confirmed"]
    assert len(audit) == 1
    assert audit[0]["iban"] == ATTACKER_IBAN
    assert audit[0]["previous"] == [GENUINE_IBAN]
    assert audit[0]["at"] is not None
    assert "iban_unconfirmed" not in _codes(_doc(rt, ubl.id))
    svc.confirm(SYSTEM, ubl.id)
    assert _doc(rt, ubl.id).state == "booked"


def test_an_authenticated_known_supplier_still_auto_books(rt: Runtime) -> None:
    """The checks block only what they should: known IBAN + authenticated sender books."""
    svc = Service(rt)
    did = dossier(rt)
    pdf = genuine_pdf(rt, did)
    svc.confirm(SYSTEM, pdf.id, iban_checked=True)
    (sup,) = svc.suppliers(SYSTEM, did)
    svc.set_supplier_policy(SYSTEM, sup.id, autobook="always")
    xml = PARTS["xml"].replace(b"2026/0311", b"2026/0312")
    mail_id = mail_with(
        rt, did, sender=SUPPLIER, header_from=SUPPLIER, filename="Factuur_2026-0312.xml",
        data=xml, subtype="xml", key="next",
    )  # fmt: skip
    run_all(rt, [NextStep("split", mail_id)])
    nxt = next(d for d in documents(rt, did) if d.filename == "Factuur_2026-0312.xml")
    assert nxt.state == "booked", (nxt.state_reason, nxt.alerts)


def test_an_unauthenticated_mail_never_auto_books(rt: Runtime) -> None:
    svc = Service(rt)
    did = dossier(rt)
    pdf = genuine_pdf(rt, did)
    svc.confirm(SYSTEM, pdf.id, iban_checked=True)
    (sup,) = svc.suppliers(SYSTEM, did)
    svc.set_supplier_policy(SYSTEM, sup.id, autobook="always")
    xml = PARTS["xml"].replace(b"2026/0311", b"2026/0313")
    # known IBAN, but MAIL FROM another domain and no DKIM: the From header is unproven
    mail_id = mail_with(
        rt, did, sender="x@elsewhere.example", header_from=SUPPLIER,
        filename="Factuur_2026-0313.xml", data=xml, subtype="xml", key="unauth",
    )  # fmt: skip
    run_all(rt, [NextStep("split", mail_id)])
    nxt = next(d for d in documents(rt, did) if d.filename == "Factuur_2026-0313.xml")
    assert nxt.state == "proposed"
    assert _codes(nxt) == set()
    entry = svc.document(SYSTEM, nxt.id).entry
    assert entry is not None
    assert any("not authenticated" in w for w in entry.warnings)
