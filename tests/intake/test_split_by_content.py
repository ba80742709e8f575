"""The splitter decides by content (issues 15 and 18): a UBL labelled text/plain, an
e-invoice behind a DOCTYPE, opaque S/MIME signed data, and an image bomb."""

from __future__ import annotations

import datetime as dt
import io
import sys
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from intake.smime import signed_content  # noqa: E402
from intake.splitter import SplitResult, split_mail  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
UBL = (CORPUS / "ubl" / "ublbe_15000004.xml").read_bytes()
PDF = (CORPUS / "pdf" / "oca_efff_exact_be.pdf").read_bytes()


def _mail(*parts: MIMEBase, outer: MIMEBase | None = None) -> bytes:
    msg = MIMEMultipart()
    msg["From"] = "boekhouding@leverancier.example"
    msg["Subject"] = "Factuur 2026-001"
    msg.attach(MIMEText("In bijlage onze factuur."))
    for part in parts:
        msg.attach(part)
    return (outer or msg).as_bytes()


def _attach(data: bytes, filename: str, maintype: str, subtype: str) -> MIMEBase:
    part = MIMEBase(maintype, subtype)
    part.set_payload(data)
    from email import encoders

    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def _reasons(result: SplitResult) -> list[str]:
    return [q.reason for q in result.quarantined]


# ------------------------------------------------------------------ UBL as text/plain


def test_ubl_labelled_text_plain_is_an_e_invoice_by_content() -> None:
    result = split_mail(_mail(_attach(UBL, "factuur.xml", "text", "plain")))
    [doc] = result.documents
    assert doc.content_type == "application/xml"
    assert doc.declared_content_type == "text/plain"
    assert doc.xml_kind == "ubl-invoice"
    assert doc.data == UBL
    assert result.ignored == ()


def test_plain_text_and_other_xml_labelled_text_plain_stay_ignored() -> None:
    notes = _attach(b"gewoon een notitie", "notes.txt", "text", "plain")
    feed = _attach(b"<rss><channel/></rss>", "feed.xml", "text", "plain")
    result = split_mail(_mail(notes, feed))
    assert result.documents == ()
    assert sorted(i.reason for i in result.ignored) == ["unsupported_type", "unsupported_type"]


# ------------------------------------------------------------------ DOCTYPE


def _with_doctype(xml: bytes) -> bytes:
    body = xml[xml.index(b"?>") + 2 :] if xml.startswith(b"<?xml") else xml
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + body
    )


def test_e_invoice_with_a_doctype_is_a_document_not_ignored() -> None:
    result = split_mail(_mail(_attach(_with_doctype(UBL), "factuur.xml", "application", "xml")))
    [doc] = result.documents
    assert doc.xml_kind == "ubl-invoice"
    assert doc.filename == "factuur.xml"
    assert result.ignored == ()
    assert any("DOCTYPE" in w for w in result.warnings)


def test_other_xml_with_a_doctype_stays_ignored() -> None:
    svg = b'<?xml version="1.0"?><!DOCTYPE svg><svg xmlns="http://www.w3.org/2000/svg"/>'
    result = split_mail(_mail(_attach(svg, "logo.xml", "application", "xml")))
    assert result.documents == ()
    assert [i.reason for i in result.ignored] == ["unrecognised_content"]


# ------------------------------------------------------------------ S/MIME


def _signer() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Leverancier NV")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _signed_entity() -> bytes:
    inner = MIMEMultipart()
    inner.attach(MIMEText("Factuur in bijlage."))
    inner.attach(_attach(PDF, "factuur_2026_001.pdf", "application", "pdf"))
    return inner.as_bytes().replace(b"\n", b"\r\n")


def _smime_part(der: bytes, smime_type: str) -> MIMEApplication:
    part = MIMEApplication(der, "pkcs7-mime")
    part.set_param("smime-type", smime_type)
    part.set_param("name", "smime.p7m")
    part.add_header("Content-Disposition", "attachment", filename="smime.p7m")
    return part


def test_opaque_signed_smime_is_unpacked_and_the_signature_kept() -> None:
    cert, key = _signer()
    der = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(_signed_entity())
        .add_signer(cert, key, hashes.SHA256())
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )
    whole = _smime_part(der, "signed-data")
    whole["From"] = "boekhouding@leverancier.example"
    whole["Subject"] = "Factuur (ondertekend)"
    result = split_mail(whole.as_bytes())
    assert [(d.filename, d.content_type, d.origin) for d in result.documents] == [
        ("factuur_2026_001.pdf", "application/pdf", "smime-signed")
    ]
    assert result.documents[0].data == PDF
    [signature] = result.ignored
    assert signature.reason == "signature"
    assert signature.content_type == "application/pkcs7-mime"
    assert signature.filename == "smime.p7m"
    assert signature.sha256 is not None
    assert result.quarantined == ()
    # the same as an attachment of a plain mail
    attached = split_mail(_mail(_smime_part(der, "signed-data")))
    assert [d.filename for d in attached.documents] == ["factuur_2026_001.pdf"]


def test_encrypted_smime_and_broken_signed_data_stay_quarantined() -> None:
    cert, _key = _signer()
    from cryptography.hazmat.primitives.asymmetric import rsa

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_cert = (
        x509.CertificateBuilder()
        .subject_name(cert.subject)
        .issuer_name(cert.issuer)
        .public_key(rsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(cert.not_valid_before_utc)
        .not_valid_after(cert.not_valid_after_utc)
        .sign(rsa_key, hashes.SHA256())
    )
    enveloped = (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(_signed_entity())
        .add_recipient(rsa_cert)
        .encrypt(serialization.Encoding.DER, [])
    )
    assert _reasons(split_mail(_mail(_smime_part(enveloped, "enveloped-data")))) == ["encrypted"]
    # enveloped data that claims to be signed is not unpacked either
    lying = split_mail(_mail(_smime_part(enveloped, "signed-data")))
    assert _reasons(lying) == ["smime_opaque"]
    assert "not signed data" in lying.quarantined[0].detail
    broken = split_mail(_mail(_smime_part(b"0\x82\x01\x00garbage", "signed-data")))
    assert _reasons(broken) == ["smime_opaque"]
    assert signed_content(b"", max_bytes=10).data is None


def test_detached_signature_has_no_content_to_unpack() -> None:
    cert, key = _signer()
    detached = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(b"hello")
        .add_signer(cert, key, hashes.SHA256())
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature])
    )
    found = signed_content(detached, max_bytes=1_000_000)
    assert found.data is None
    assert "detached" in (found.problem or "")


# ------------------------------------------------------------------ image bomb


def test_image_bomb_is_over_the_pixel_limit_not_damaged() -> None:
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")  # 400 Mpx in ~50 kB
    result = split_mail(_mail(_attach(out.getvalue(), "scan.png", "image", "png")))
    assert result.documents == ()
    [q] = result.quarantined
    assert q.reason == "over_the_pixel_limit"
    assert "400,000,000 pixels" in q.detail
    out = io.BytesIO()
    Image.new("1", (9_000, 9_000)).save(out, "PNG")  # 81 Mpx: Pillow only warns
    assert _reasons(split_mail(_mail(_attach(out.getvalue(), "s.png", "image", "png")))) == [
        "over_the_pixel_limit"
    ]


@pytest.mark.parametrize("size", [(2480, 3508)])
def test_a_normal_scan_is_still_a_document(size: tuple[int, int]) -> None:
    out = io.BytesIO()
    Image.new("L", size, 255).save(out, "PNG")
    result = split_mail(_mail(_attach(out.getvalue(), "scan.png", "image", "png")))
    assert [d.content_type for d in result.documents] == ["image/png"]
