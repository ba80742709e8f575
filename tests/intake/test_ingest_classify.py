"""What an uploaded file is: by its content, a mail by its headers or .eml name."""

from __future__ import annotations

import io
import zipfile

from intake.ingest import classify_upload


def test_a_zip_holding_a_pdf_is_a_zip() -> None:
    # a stored (uncompressed) member puts "%PDF-" in the archive's first bytes
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.pdf", b"%PDF-1.4\n%%EOF\n")
    assert classify_upload(buf.getvalue(), "batch.zip") == ("file", "application/zip")


def test_a_pdf_with_junk_before_its_header_is_a_pdf() -> None:
    assert classify_upload(b"\r\n garbage %PDF-1.4\n", "x.pdf") == ("file", "application/pdf")


def test_a_mail_by_headers_or_name() -> None:
    mail = b"Received: from x\r\nSubject: hi\r\n\r\nbody"
    assert classify_upload(mail, None) == ("mail", "message/rfc822")
    assert classify_upload(b"Subject: x\n\nbody", "saved.eml") == ("mail", "message/rfc822")
    assert classify_upload(b"\xff\xd8\xff\xe0JFIF", "photo.jpg") == ("file", "image/jpeg")
