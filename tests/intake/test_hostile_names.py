"""Hostile file names from outside (issue 18.7): control characters, terminal escapes,
right-to-left overrides, zero-width characters and ``../`` are removed the same way from
mail part names, ZIP members, TNEF attachments and files embedded in an e-invoice; log
lines carry no raw newline from outside."""

from __future__ import annotations

import io
import logging
import struct
import sys
import unicodedata
import zipfile
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from extractors.safe_text import log_safe, safe_filename, safe_path  # noqa: E402
from intake.splitter import split_mail  # noqa: E402
from pipeline import logsafe  # noqa: E402

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
DROPPED = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
FORGED = "\n2026-12-06 04:00:00 INFO pipeline: payment approved"
HOSTILE = [
    "../../etc/passwd.pdf",
    "..\\..\\windows\\system32\\f.pdf",
    "factuur" + FORGED + ".pdf",
    "\x1b[2J\x1b[31mrood\x1b[0m.pdf",
    "invoice\u202efdp.exe",  # shows as "invoiceexe.pdf"
    "a\u2066b\u2069c\u200b\u200d\ufeff.pdf",
    "nul\x00byte\x7f\x85.pdf",
    "line\u2028sep\u2029.pdf",
    "/abs/path/x.pdf",
]


def _clean(name: str) -> None:
    assert not any(unicodedata.category(ch) in DROPPED for ch in name), repr(name)
    assert "/" not in name
    assert "\\" not in name
    assert name not in {"", ".", ".."}
    assert name == name.strip(" .")
    assert len(name) <= 255


@pytest.mark.parametrize("name", HOSTILE)
def test_safe_filename_strips_every_hostile_kind(name: str) -> None:
    out = safe_filename(name)
    assert out is not None
    _clean(out)
    assert out.endswith((".pdf", ".exe"))


def test_known_answers() -> None:
    assert safe_filename("../../etc/passwd.pdf") == "passwd.pdf"
    assert safe_filename("invoice\u202efdp.exe") == "invoicefdp.exe"
    assert safe_filename("\x1b[31mrood.pdf") == "[31mrood.pdf"
    assert safe_filename("tab\there.pdf") == "tab here.pdf"
    assert safe_filename("..") is None
    assert safe_filename("\u202e\u200b") is None
    assert safe_filename(b"caf\xe9.pdf") == "café.pdf"  # cp1252 bytes
    assert safe_filename("cafe\u0301.pdf") == "café.pdf"  # NFC
    long = safe_filename("x" * 400 + ".pdf")
    assert long is not None
    assert len(long) == 255
    assert long.endswith(".pdf")
    assert safe_path("../a/./b\u202e/../c.pdf") == "a/b/c.pdf"
    assert safe_path("/") is None


@given(st.text(max_size=300) | st.binary(max_size=300))
def test_safe_filename_property(name: str | bytes) -> None:
    out = safe_filename(name)
    if out is None:
        return
    _clean(out)
    assert unicodedata.normalize("NFC", out) == out
    assert safe_filename(out) == out  # idempotent: stored names come out as they went in


@given(st.text(max_size=300))
def test_safe_path_property(path: str) -> None:
    out = safe_path(path)
    if out is None:
        return
    assert not out.startswith("/")
    for part in out.split("/"):
        _clean(part)


@given(st.text(max_size=500))
def test_log_safe_is_one_printable_line(text: str) -> None:
    out = log_safe(text, limit=200)
    assert "\n" not in out
    assert "\r" not in out
    assert not any(unicodedata.category(ch) in DROPPED for ch in out)
    assert len(out) <= 201


# ------------------------------------------------------------------ through the splitter


def _mail(*parts: MIMEApplication) -> bytes:
    msg = MIMEMultipart()
    msg["From"] = "leverancier@example.com"
    msg["Subject"] = "factuur"
    msg.attach(MIMEText("zie bijlage"))
    for part in parts:
        msg.attach(part)
    return msg.as_bytes()


def _attach(data: bytes, filename: str, subtype: str = "octet-stream") -> MIMEApplication:
    part = MIMEApplication(data, subtype)
    part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", filename))
    return part


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data)
    return out.getvalue()


def _tnef(data: bytes, long_name: str) -> bytes:
    def record(level: int, attr: int, value: bytes) -> bytes:
        return struct.pack("<BII", level, attr, len(value)) + value + struct.pack("<H", 0)

    name = long_name.encode("utf-16-le") + b"\0\0"
    props = struct.pack("<I", 1) + struct.pack("<HH", 0x001F, 0x3707)
    props += struct.pack("<II", 1, len(name)) + name + b"\0" * (-len(name) % 4)
    return (
        struct.pack("<IH", 0x223E9F78, 0x0001)
        + record(2, 0x00069002, b"\0" * 14)
        + record(2, 0x0006800F, data)
        + record(2, 0x00069005, props)
    )


def _all_names(result: object) -> list[str]:
    names: list[str] = []
    for group in ("documents", "ignored", "quarantined"):
        for part in getattr(result, group):
            if part.filename is not None:
                names.append(part.filename)
            for piece in part.origin.split("/"):
                label, colon, rest = piece.partition(":")
                known = colon and label in {"zip", "tnef", "rfc822", "embedded"}
                names.append(rest if known else piece)
    return names


@pytest.mark.parametrize("hostile", HOSTILE)
def test_mail_part_zip_member_and_tnef_names_are_cleaned(hostile: str) -> None:
    archive = _zip({hostile: PDF, "sub/" + hostile: PDF + b"%2"})
    raw = _mail(
        _attach(PDF + b"%1", hostile, "pdf"),
        _attach(archive, hostile + ".zip", "zip"),
        _attach(_tnef(PDF + b"%3", hostile), "winmail.dat", "ms-tnef"),
    )
    result = split_mail(raw)
    assert len(result.documents) == 4, result
    names = _all_names(result)
    assert names
    for name in names:
        _clean(name)
    for doc in result.documents:
        assert ".." not in doc.origin.split("/")
        assert "\n" not in doc.origin
        assert "\x1b" not in doc.origin


def test_e_invoice_attachment_names_are_cleaned() -> None:
    import peppol

    ubl = (ROOT / ".." / "shared" / "corpus").glob("**/*.xml")
    sample = next(p for p in sorted(ubl) if b"EmbeddedDocumentBinaryObject" in p.read_bytes())
    data = sample.read_bytes()
    start = data.index(b"<cbc:EmbeddedDocumentBinaryObject")
    end = data.index(b">", start)
    hostile = "..\\x/\u202efdp.exe\x1b[1m.pdf"
    tag = (
        b'<cbc:EmbeddedDocumentBinaryObject mimeCode="application/pdf" filename="'
        + hostile.replace("\x1b", "&#x1b;").encode()
        + b'"'
    )
    # XML 1.0 forbids the ESC character even as a reference: keep the rest
    tag = tag.replace(b"&#x1b;", b"")
    forged = data[:start] + tag + data[end:]
    invoice = peppol.parse_invoice_xml(forged)
    embedded = [a for a in invoice.attachments if a.embedded]
    assert embedded
    assert embedded[0].filename is not None
    _clean(embedded[0].filename)
    files = peppol.embedded_attachments(forged)
    assert files[0].filename == embedded[0].filename
    assert "\u202e" not in (files[0].filename or "")


def test_quarantine_log_line_of_the_splitter_stays_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bad_zip = _zip({"x" + FORGED + ".pdf": b"not a pdf"})[:-30]  # a damaged archive
    raw = _mail(_attach(bad_zip, "evil" + FORGED + ".zip", "zip"))
    with caplog.at_level(logging.INFO, logger="intake"):
        result = split_mail(raw)
    assert result.quarantined
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("intake")]
    assert lines
    assert all("\n" not in line for line in lines)


def test_installed_log_guard_escapes_outside_arguments(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logsafe.install()
    logsafe.install()  # idempotent
    log = logging.getLogger("boekbox.test.logsafe")
    with caplog.at_level(logging.INFO, logger="boekbox.test.logsafe"):
        log.info("embedded attachment %s unreadable: %s", "a" + FORGED, ValueError("b\x1b[2J"))
        log.info("count %d of %s", 3, {"k": 1})
    first, second = (r.getMessage() for r in caplog.records)
    assert "\n" not in first
    assert "\x1b" not in first
    assert "\\x0a2026-12-06" in first
    assert "\\x1b[2J" in first
    assert second == "count 3 of {'k': 1}"


_HOSTILE_CHARS = st.sampled_from(
    ["/", "\\", "..", ".", "\n", "\r", "\x1b[2J", "\x00", "\u202e", "\u2066", "\u200b", "\ufeff"]
)
_NAME_PIECES = st.lists(st.text(max_size=6) | _HOSTILE_CHARS, min_size=1, max_size=12)


@given(_NAME_PIECES, _NAME_PIECES)
def test_any_part_or_member_name_comes_out_clean(part: list[str], member: list[str]) -> None:
    part_name = "".join(part) + ".pdf"
    member_name = "".join(member).replace("\x00", "") + ".pdf"  # zip names cannot hold NUL
    archive = _zip({member_name: PDF + b"%m"})
    raw = _mail(_attach(PDF + b"%p", part_name, "pdf"), _attach(archive, "a.zip", "zip"))
    result = split_mail(raw)
    assert len(result.documents) == 2
    for name in _all_names(result):
        _clean(name)
