"""Content-Transfer-Encoding decoding for the mail splitter: tolerant, never raises.

``decode_payload`` returns the decoded bytes plus a problem description (or None).
Base64 follows RFC 2045 section 6.8: characters outside the alphabet are ignored, so
stray ``!*`` or spaces in a line do not corrupt the file; missing padding is added.
Quoted-printable, uuencode and the identity encodings are handled too; an unknown
encoding keeps the raw bytes and says so.
"""

from __future__ import annotations

import binascii
import re
from email.message import Message

from intake.mime_headers import raw_header

__all__ = ["decode_payload", "raw_payload_bytes"]

_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_IDENTITY = {"", "7bit", "8bit", "binary", "7-bit", "8-bit", "none"}
_UUENCODE = {"x-uuencode", "uuencode", "x-uue", "uue"}


def raw_payload_bytes(part: Message) -> bytes:
    """The undecoded body of a leaf part as the bytes that were on the wire."""
    payload = part.get_payload()
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return b""


def decode_base64(data: bytes) -> tuple[bytes, str | None]:
    """Lenient base64: ignore non-alphabet bytes, stop at padding, repair the tail."""
    body = data.partition(b"=")[0]
    # usually only line ends sit between the base64 characters: drop them with one C
    # pass, and scrub with the regex only when anything else outside the alphabet is
    # left (the regex alone took ~10 us per kB, most of the split step of a PDF mail)
    cleaned = body.translate(None, b"\r\n")
    if cleaned.translate(None, _BASE64_ALPHABET):
        cleaned = _NOT_BASE64.sub(b"", cleaned)
    problem: str | None = None
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
        problem = "base64 body ends with a stray character"
    cleaned += b"=" * (-len(cleaned) % 4)
    try:
        return binascii.a2b_base64(cleaned), problem
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - cleaned input is valid
        return b"", f"undecodable base64: {exc}"


def decode_uuencode(data: bytes) -> tuple[bytes, str | None]:
    """Decode a ``begin ... end`` uuencoded body; damaged lines are skipped."""
    out = bytearray()
    started = False
    bad = 0
    for line in data.splitlines():
        if not started:
            started = line.startswith(b"begin ")
            continue
        stripped = line.rstrip(b"\r\n")
        if stripped in (b"end", b"`", b""):
            if stripped == b"end":
                break
            continue
        try:
            out += binascii.a2b_uu(stripped)
        except binascii.Error:
            length = ((stripped[0] - 32) & 63) * 4 // 3 if stripped else 0
            try:
                out += binascii.a2b_uu(stripped[: length + 1])
            except binascii.Error:
                bad += 1
    if not started:
        return b"", "uuencoded body without a 'begin' line"
    return bytes(out), (f"{bad} damaged uuencode lines" if bad else None)


def decode_payload(part: Message) -> tuple[bytes, str | None]:
    """Decoded body bytes of a leaf part and a problem note (None when clean)."""
    data = raw_payload_bytes(part)
    cte = (raw_header(part, "content-transfer-encoding") or "").strip().lower()
    if cte in _IDENTITY:
        return data, None
    if cte == "base64":
        return decode_base64(data)
    if cte == "quoted-printable":
        try:
            return binascii.a2b_qp(data), None
        except (binascii.Error, ValueError) as exc:  # pragma: no cover - a2b_qp is lenient
            return data, f"undecodable quoted-printable: {exc}"
    if cte in _UUENCODE:
        return decode_uuencode(data)
    return data, f"unknown Content-Transfer-Encoding {cte[:40]!r}: raw bytes kept"
