"""What an uploaded or ingested file is (pure): a mail to split, or a document."""

from __future__ import annotations

__all__ = ["classify_upload", "sniff_content_type"]

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"PK\x03\x04", "application/zip"),
)

_MAIL_HEADERS = (
    b"received:",
    b"from:",
    b"return-path:",
    b"message-id:",
    b"mime-version:",
    b"delivered-to:",
    b"date:",
    b"subject:",
    b"to:",
    b"x-",
)


def sniff_content_type(data: bytes) -> str:
    head = data[:1024]
    for magic, ctype in _MAGIC:
        if head.startswith(magic):
            return ctype
    if b"%PDF-" in head:  # a PDF with junk before its header (readers accept it)
        return "application/pdf"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc"):
        return "image/heic"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<"):
        return "application/xml"
    return "application/octet-stream"


def _looks_like_mail(data: bytes, filename: str | None) -> bool:
    if filename and filename.lower().endswith((".eml", ".msg.eml")):
        return True
    first = data[:2048].lstrip().split(b"\n", 1)[0].lower()
    return any(first.startswith(h) for h in _MAIL_HEADERS) and b":" in first


def classify_upload(data: bytes, filename: str | None) -> tuple[str, str]:
    """``("mail", "message/rfc822")`` or ``("file", content type by content)``."""
    ctype = sniff_content_type(data)
    if ctype == "application/octet-stream" and _looks_like_mail(data, filename):
        return "mail", "message/rfc822"
    return "file", ctype
