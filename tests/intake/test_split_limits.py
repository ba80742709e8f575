"""Limits and hostile structures: ZIP bombs, nesting, forwards, TNEF, S/MIME, images."""

from __future__ import annotations

import io
import struct
import sys
import zipfile
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from intake.splitter import SplitLimits, SplitResult, split_mail  # noqa: E402
from intake.tnef import read_tnef  # noqa: E402

PDF = (ROOT / ".." / "shared" / "corpus" / "pdf" / "oca_efff_exact_be.pdf").read_bytes()


def attachment(data: bytes, filename: str | None, ctype: str = "application/pdf") -> MIMEBase:
    maintype, subtype = ctype.split("/")
    part = (
        MIMEApplication(data, subtype) if maintype == "application" else MIMEBase(maintype, subtype)
    )
    if maintype != "application":
        part.set_payload(data)
        from email import encoders

        encoders.encode_base64(part)
    if filename is not None:
        part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def mail(*parts: MIMEBase, sender: str = "jan@klant.example", subject: str = "test") -> bytes:
    outer = MIMEMultipart("mixed")
    outer["From"] = sender
    outer["To"] = "dossier@dossiers.boekbox.test"
    outer["Subject"] = subject
    outer["Message-ID"] = "<t1@klant.example>"
    outer.attach(MIMEText("Zie bijlage.", "plain", "utf-8"))
    for part in parts:
        outer.attach(part)
    return outer.as_bytes()


def zip_bytes(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def reasons(result: SplitResult) -> list[str]:
    return [q.reason for q in result.quarantined]


# ----------------------------------------------------------------------------- ZIP


def test_zip_members_become_documents_with_their_path() -> None:
    archive = zip_bytes({"maart/a.pdf": PDF, "maart/notes.txt": b"hello"})
    result = split_mail(mail(attachment(archive, "facturen.zip", "application/zip")))
    assert [(d.filename, d.origin) for d in result.documents] == [
        ("a.pdf", "zip:facturen.zip/maart/a.pdf")
    ]
    assert [(i.filename, i.reason) for i in result.ignored] == [
        ("facturen.zip", "container_unpacked"),
        ("notes.txt", "unsupported_type"),
    ]


def test_zip_bomb_by_ratio_is_quarantined_before_inflating() -> None:
    bomb = zip_bytes({"zeros.pdf": b"\0" * 20_000_000})
    assert len(bomb) < 100_000
    result = split_mail(mail(attachment(bomb, "bomb.zip", "application/zip")))
    assert result.documents == ()
    assert reasons(result) == ["zip_ratio_exceeded"]
    assert result.quarantined[0].filename == "bomb.zip"
    assert "expands" in result.quarantined[0].detail


def test_zip_with_too_many_entries_is_quarantined() -> None:
    archive = zip_bytes({f"f{i}.txt": b"x" for i in range(250)})
    result = split_mail(mail(attachment(archive, "many.zip", "application/zip")))
    assert reasons(result) == ["zip_too_many_entries"]
    assert result.ignored == ()


def test_zip_total_size_budget() -> None:
    archive = zip_bytes({"a.pdf": PDF}, zipfile.ZIP_STORED)
    limits = SplitLimits(max_zip_total=len(PDF) - 1)
    result = split_mail(mail(attachment(archive, "a.zip", "application/zip")), limits)
    assert reasons(result) == ["zip_too_large"]


def test_nested_zips_up_to_the_depth_limit() -> None:
    level3 = zip_bytes({"x.pdf": PDF})
    level2 = zip_bytes({"c.zip": level3})
    level1 = zip_bytes({"b.zip": level2})
    ok = split_mail(mail(attachment(level1, "a.zip", "application/zip")))
    assert [d.origin for d in ok.documents] == ["zip:a.zip/zip:b.zip/zip:c.zip/x.pdf"]
    too_deep = split_mail(
        mail(attachment(zip_bytes({"a.zip": level1}), "top.zip", "application/zip"))
    )
    assert too_deep.documents == ()
    assert reasons(too_deep) == ["zip_too_deep"]


def _set_encrypted_flag(archive: bytes) -> bytes:
    data = bytearray(archive)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + offset] |= 0x01
    return bytes(data)


def test_encrypted_zip_member_is_quarantined() -> None:
    archive = _set_encrypted_flag(zip_bytes({"secret.pdf": PDF}, zipfile.ZIP_STORED))
    result = split_mail(mail(attachment(archive, "secret.zip", "application/zip")))
    assert result.documents == ()
    assert [(q.filename, q.reason) for q in result.quarantined] == [("secret.pdf", "encrypted")]


def test_zip_member_lying_about_its_size_is_not_trusted() -> None:
    data = bytearray(zip_bytes({"a.pdf": PDF + b"\0" * 3000}))
    central = data.find(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<I", 1000)  # declared size: 1000
    result = split_mail(mail(attachment(bytes(data), "lie.zip", "application/zip")))
    assert result.documents == ()
    # zipfile stops at the declared size, so the member fails its CRC: never more bytes
    assert [(q.filename, q.reason) for q in result.quarantined] == [("a.pdf", "damaged_attachment")]
    assert "CRC" in result.quarantined[0].detail


def test_docx_is_not_unpacked_as_an_archive() -> None:
    docx = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})
    ctype = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    result = split_mail(mail(attachment(docx, "brief.docx", ctype)))
    assert [(i.filename, i.reason) for i in result.ignored] == [("brief.docx", "unsupported_type")]


# ------------------------------------------------------------------- nesting & forwards


def forwarded(levels: int) -> bytes:
    inner = mail(attachment(PDF, "F-1.pdf"), sender="Leverancier <facturen@leverancier.example>")
    for level in range(levels):
        wrapper = MIMEMessage(__import__("email").message_from_bytes(inner))
        wrapper.add_header("Content-Disposition", "attachment", filename=f"l{level}.eml")
        inner = mail(wrapper, sender=f"forwarder{level}@klant.example", subject="Fwd")
    return inner


def test_forward_as_attachment_records_the_original_sender() -> None:
    result = split_mail(forwarded(2))
    assert [d.origin for d in result.documents] == ["rfc822:l1.eml/rfc822:l0.eml"]
    assert result.documents[0].original_sender == "facturen@leverancier.example"
    assert result.forwarded_from == "forwarder0@klant.example"
    assert [i.reason for i in result.ignored] == ["container_unpacked"] * 2


def test_nested_forward_depth_limit() -> None:
    assert len(split_mail(forwarded(5)).documents) == 1
    result = split_mail(forwarded(7))
    assert result.documents == ()
    assert reasons(result) == ["forward_depth_exceeded"]


def nested_multipart(depth: int) -> bytes:
    lines = [b"From: a@b.example", b"Subject: deep", b"MIME-Version: 1.0"]
    for level in range(depth):
        header = f'Content-Type: multipart/mixed; boundary="b{level}"'.encode()
        lines += [header, b"", f"--b{level}".encode()]
    lines += [b"Content-Type: application/pdf", b"Content-Transfer-Encoding: base64", b""]
    import base64

    lines += [base64.encodebytes(PDF)]
    for level in reversed(range(depth)):
        lines.append(f"--b{level}--".encode())
    return b"\r\n".join(lines)


def test_mime_depth_limit() -> None:
    assert len(split_mail(nested_multipart(10)).documents) == 1
    result = split_mail(nested_multipart(40))
    assert result.documents == ()
    assert reasons(result) == ["mime_too_deep"]


def test_absurd_nesting_is_refused_before_parsing() -> None:
    deep = nested_multipart(400)
    result = split_mail(deep)
    assert result.documents == ()
    assert reasons(result) == ["mime_too_deep"]
    refused = split_mail(nested_multipart(5000))
    assert refused.documents == ()
    assert reasons(refused) == ["too_many_parts"]
    assert refused.quarantined[0].filename is None


def test_part_count_limit() -> None:
    parts = [attachment(b"x", f"n{i}.txt", "text/plain") for i in range(30)]
    result = split_mail(mail(*parts), SplitLimits(max_parts=10))
    assert reasons(result) == ["too_many_parts"]
    assert len(result.ignored) < 10


def test_header_size_limit() -> None:
    raw = b"X-Junk: " + b"a" * 5000 + b"\r\n" + mail(attachment(PDF, "a.pdf"))
    result = split_mail(raw, SplitLimits(max_header_bytes=4096))
    assert result.documents == ()
    assert reasons(result) == ["header_too_large"]


# ------------------------------------------------------------------------ TNEF


def tnef_record(level: int, attr: int, data: bytes) -> bytes:
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BII", level, attr, len(data)) + data + struct.pack("<H", checksum)


def tnef_stream(pdf: bytes, long_name: str) -> bytes:
    name = long_name.encode("utf-16-le") + b"\0\0"
    props = struct.pack("<I", 1) + struct.pack("<HH", 0x001F, 0x3707)
    props += struct.pack("<II", 1, len(name)) + name + b"\0" * (-len(name) % 4)
    return (
        struct.pack("<IH", 0x223E9F78, 0x0001)
        + tnef_record(1, 0x00089006, b"\x01\x00\x00\x00")
        + tnef_record(2, 0x00069002, b"\0" * 14)
        + tnef_record(2, 0x00018010, b"FACTUU~1.PDF\0")
        + tnef_record(2, 0x0006800F, pdf)
        + tnef_record(2, 0x00069005, props)
    )


def test_tnef_reader_takes_the_long_file_name() -> None:
    [found] = read_tnef(tnef_stream(PDF, "Factuur été 2026.pdf"))
    assert found.filename == "Factuur été 2026.pdf"
    assert found.data == PDF


def test_tnef_in_a_mail_and_a_damaged_one() -> None:
    stream = tnef_stream(PDF, "Factuur.pdf")
    good = split_mail(mail(attachment(stream, "winmail.dat", "application/ms-tnef")))
    assert [(d.filename, d.origin) for d in good.documents] == [("Factuur.pdf", "tnef:winmail.dat")]
    broken = split_mail(mail(attachment(stream[:-40], "winmail.dat", "application/ms-tnef")))
    assert broken.documents == ()
    assert reasons(broken) == ["damaged_attachment"]


# -------------------------------------------------------------- S/MIME and labels


def test_opaque_smime_and_encrypted_are_quarantined() -> None:
    opaque = MIMEApplication(b"0\x82\x01\x00fake-der", "pkcs7-mime")
    opaque.set_param("smime-type", "signed-data")
    opaque.add_header("Content-Disposition", "attachment", filename="smime.p7m")
    assert reasons(split_mail(mail(opaque))) == ["smime_opaque"]
    encrypted = MIMEMultipart("encrypted", protocol="application/pgp-encrypted")
    encrypted.attach(MIMEApplication(b"Version: 1", "pgp-encrypted"))
    encrypted.attach(MIMEApplication(b"-----BEGIN PGP MESSAGE-----", "octet-stream"))
    assert reasons(split_mail(encrypted.as_bytes())) == ["encrypted"]


def test_content_is_what_counts_not_the_label() -> None:
    nameless = split_mail(mail(attachment(PDF, None, "application/octet-stream")))
    assert [(d.filename, d.content_type, d.declared_content_type) for d in nameless.documents] == [
        (None, "application/pdf", "application/octet-stream")
    ]
    wrong_ext = split_mail(mail(attachment(PDF, "factuur.dat", "application/octet-stream")))
    assert wrong_ext.documents[0].content_type == "application/pdf"
    fake = split_mail(mail(attachment(b"<html>not a pdf</html>", "factuur.pdf")))
    assert fake.documents == ()
    assert reasons(fake) == ["content_type_mismatch"]


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, "PNG")
    return buffer.getvalue()


def test_images_small_referenced_and_real() -> None:
    small = attachment(png(120, 40), "logo.png", "image/png")
    scan = attachment(png(800, 1100), "bon.png", "image/png")
    result = split_mail(mail(small, scan))
    assert [i.reason for i in result.ignored] == ["small_image"]
    assert [d.filename for d in result.documents] == ["bon.png"]

    related = MIMEMultipart("related")
    related.attach(
        MIMEText('<p>Hallo</p><img src="cid:banner@x"><img src="http://x/b.png">', "html")
    )
    banner = attachment(png(600, 300), None, "image/png")
    banner.add_header("Content-ID", "<banner@x>")
    located = attachment(png(600, 300), None, "image/png")
    located.add_header("Content-Location", "http://x/b.png")
    related.attach(banner)
    related.attach(located)
    decorated = split_mail(mail(related))
    assert decorated.documents == ()
    assert [i.reason for i in decorated.ignored] == ["inline_decoration"] * 2


def test_calendar_and_vcard_are_not_documents() -> None:
    invite = MIMEText("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "calendar")
    card = attachment(b"BEGIN:VCARD\r\nEND:VCARD\r\n", "jan.vcf", "text/vcard")
    result = split_mail(mail(invite, card))
    assert result.documents == ()
    assert [(i.content_type, i.reason) for i in result.ignored] == [
        ("text/calendar", "unsupported_type"),
        ("text/vcard", "unsupported_type"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        "Bonjour\n\nDe : Fournil Dupont <compta@fournil.example>\nEnvoyé : lundi 2 mars\n"
        "À : Jan\nObjet : Facture\n",
        "Zie hieronder.\n\nBegin forwarded message:\n\nFrom: Fournil <compta@fournil.example>\n"
        "Subject: Factuur\nDate: 2 March 2026\n",
        "-------- Message transféré --------\nSujet : Facture\n"
        "De : compta@fournil.example\nDate : 2 mars\n",
    ],
    ids=["outlook-fr", "apple-mail", "thunderbird-fr"],
)
def test_inline_forward_header_blocks(body: str) -> None:
    outer = MIMEMultipart("mixed")
    outer["From"] = "jan@klant.example"
    outer["Subject"] = "TR: Facture"
    outer.attach(MIMEText(body, "plain", "utf-8"))
    outer.attach(attachment(PDF, "facture.pdf"))
    result = split_mail(outer.as_bytes())
    assert result.forwarded_from == "compta@fournil.example"
    assert result.documents[0].original_sender == "compta@fournil.example"


def test_parse_cost_budget_refuses_deep_nesting_with_a_big_body() -> None:
    import base64

    body = base64.encodebytes(b"\0" * 3_000_000)  # about 53,000 lines
    raw = nested_multipart(300).replace(b"--b299--", body + b"\r\n--b299--")
    result = split_mail(raw)
    assert reasons(result) == ["too_complex"]


def test_heic_photo_is_a_document() -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), "white").save(buffer, "HEIF")
    result = split_mail(mail(attachment(buffer.getvalue(), "IMG_0001.HEIC", "image/heic")))
    assert [(d.filename, d.content_type) for d in result.documents] == [
        ("IMG_0001.HEIC", "image/heic")
    ]


CII = (
    b'<?xml version="1.0"?><rsm:CrossIndustryInvoice xmlns:rsm='
    b'"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>'
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&x;</Invoice>'
)


def test_xml_is_recognised_by_root_and_namespace() -> None:
    result = split_mail(
        mail(
            attachment(CII, "factur-x.xml", "application/xml"),
            attachment(b"<?xml version='1.0'?><order/>", "order.xml", "text/xml"),
            attachment(XXE, "evil.xml", "application/xml"),
        )
    )
    # an e-invoice behind a DOCTYPE is a document: the extract step quarantines it
    # with the reason (issue 18.10), it is not silently "ignored"
    assert [(d.filename, d.xml_kind) for d in result.documents] == [
        ("factur-x.xml", "cii"),
        ("evil.xml", "ubl-invoice"),
    ]
    assert [(i.filename, i.reason) for i in result.ignored] == [
        ("order.xml", "unrecognised_content"),
    ]
