"""File names (RFC 2047, RFC 2231, raw 8-bit, paths), header decoding and the
redelivery key ``trace_stripped_sha256``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from intake.mime_headers import decode_rfc2047, parse_params, safe_basename  # noqa: E402
from intake.splitter import split_mail, trace_stripped_sha256  # noqa: E402

PDF_B64 = b"JVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoKPDw+PgplbmRvYmoKJSVFT0YK"


def one_attachment(disposition: bytes, ctype: bytes = b"application/pdf") -> bytes:
    return b"\r\n".join(
        [
            b"From: =?UTF-8?Q?Fr=C3=A9d=C3=A9ric?= <f@x.example>",
            b"Subject: =?ISO-8859-1?Q?Facture_=E9t=E9?=",
            b"MIME-Version: 1.0",
            b'Content-Type: multipart/mixed; boundary="B"',
            b"",
            b"--B",
            b"Content-Type: text/plain",
            b"",
            b"body",
            b"--B",
            b"Content-Type: " + ctype,
            b"Content-Disposition: " + disposition,
            b"Content-Transfer-Encoding: base64",
            b"",
            PDF_B64,
            b"--B--",
            b"",
        ]
    )


@pytest.mark.parametrize(
    ("disposition", "name"),
    [
        (b"attachment; filename*=UTF-8''factuur_%C3%A9t%C3%A9.pdf", "factuur_été.pdf"),
        (b"attachment; filename*0*=UTF-8''fact%C3; filename*1*=%A9.pdf", "facté.pdf"),
        (
            b'attachment; filename*0="deel een "; filename*1="deel twee.pdf"',
            "deel een deel twee.pdf",
        ),
        (b"attachment; filename*=iso-8859-1'fr'r%E9sum%E9.pdf", "résumé.pdf"),
        (b'attachment; filename="=?UTF-8?B?ZmFjdHV1cl/DqXTDqS5wZGY=?="', "factuur_été.pdf"),
        (b'attachment; filename="=?iso-8859-1?Q?f=E9?= =?iso-8859-1?Q?e.pdf?="', "fée.pdf"),
        (b'attachment; filename="factuur_\xc3\xa9t\xc3\xa9.pdf"', "factuur_été.pdf"),
        (b'attachment; filename="factuur_\xe9t\xe9.pdf"', "factuur_été.pdf"),  # cp1252
        (b'attachment; filename="../../etc/passwd.pdf"', "passwd.pdf"),
        (b'attachment; filename="C:\\\\Users\\\\jan\\\\f.pdf"', "f.pdf"),
        (b'attachment; filename="cafe\xcc\x81.pdf"', "café.pdf"),  # NFD -> NFC
        (b'attachment; filename="tab\there.pdf"', "tab here.pdf"),
        (b'attachment; filename=".."', None),
    ],
)
def test_attachment_names(disposition: bytes, name: str | None) -> None:
    result = split_mail(one_attachment(disposition))
    assert [d.filename for d in result.documents] == [name]
    assert result.documents[0].content_type == "application/pdf"


def test_subject_and_from_are_decoded() -> None:
    result = split_mail(one_attachment(b"attachment"))
    assert result.subject == "Facture été"
    assert result.from_address == "f@x.example"


def test_raw_latin1_and_duplicate_subject_give_text_not_surrogates() -> None:
    raw = b"Subject: Caf\xe9 eerst\r\nSubject: tweede\r\nFrom: a@b.example\r\n\r\nhallo\r\n"
    result = split_mail(raw)
    assert result.subject == "Café eerst"
    assert result.documents == ()


def test_header_helpers() -> None:
    assert decode_rfc2047("=?utf-8?b?w6k=?= =?utf-8?q?t=C3=A9?=") == "été"
    assert decode_rfc2047("=?x-unknown?q?caf=E9?=") == "café"  # cp1252 fallback
    assert decode_rfc2047("=?utf-8?b?!!broken?=") == "=?utf-8?b?!!broken?="
    assert parse_params('attachment; FILENAME="a;b.pdf"; size=3') == {
        "filename": "a;b.pdf",
        "size": "3",
    }
    assert safe_basename("") is None
    assert safe_basename("x" * 400 + ".pdf") is not None
    assert len(safe_basename("x" * 400) or "") == 255


BASE = b"From: a@b.example\r\nSubject: factuur\r\nMessage-ID: <m1@b.example>\r\n\r\nbody\r\n"


def test_trace_headers_do_not_change_the_redelivery_key() -> None:
    key = trace_stripped_sha256(BASE)
    relayed = (
        b"Return-Path: <a@b.example>\r\nReceived: from mx1 by mx2;\r\n\tTue, 3 Mar 2026\r\n"
        b"Delivered-To: dossier@x.test\r\nX-Original-To: dossier@x.test\r\n" + BASE
    )
    assert trace_stripped_sha256(relayed) == key
    assert trace_stripped_sha256(BASE.replace(b"\r\n", b"\n")) == key
    assert trace_stripped_sha256(b"From a@b.example Tue Mar 3\r\n" + BASE) == key
    assert trace_stripped_sha256(BASE.replace(b"factuur", b"factuur 2")) != key
    assert trace_stripped_sha256(BASE.replace(b"body", b"b0dy")) != key


def test_a_broken_byte_in_an_rfc2231_charset_is_read_as_an_unknown_charset() -> None:
    # a non-UTF-8 byte in a header reaches us as a surrogate escape; in the charset of a
    # filename*= it made codecs.lookup raise UnicodeEncodeError (found by hypothesis)
    assert parse_params("attachment; filename*=\udce9utf-8''a%C3%A9.pdf") == {"filename": "aé.pdf"}
    raw = (
        b"From: a@example.test\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=\xe9utf-8''f%C3%A9.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n"
    )
    assert [d.filename for d in split_mail(raw).documents] == ["fé.pdf"]
