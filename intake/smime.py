"""Opaque S/MIME (``application/pkcs7-mime; smime-type=signed-data``): the signed
MIME entity inside a CMS SignedData, read with asn1crypto (pure, bytes in, bytes out).

Only signed data is unpacked; enveloped (encrypted) data is not, and neither is a
detached signature (no content inside).  The signature is not verified here: the
splitter keeps the ``.p7m`` as evidence (an ignored part with its SHA-256; the raw
mail is stored) and walks the signed entity like any other MIME part.
"""

from __future__ import annotations

import logging

__all__ = ["SignedContent", "signed_content"]

log = logging.getLogger(__name__)


class SignedContent:
    """What a SignedData holds: the encapsulated bytes, or why there are none."""

    __slots__ = ("data", "problem")

    def __init__(self, data: bytes | None, problem: str | None = None) -> None:
        self.data = data
        self.problem = problem


def signed_content(der: bytes, *, max_bytes: int) -> SignedContent:
    """The content a DER (or BER) CMS SignedData encapsulates; never raises."""
    try:
        from asn1crypto import cms
    except ImportError:  # pragma: no cover - a declared dependency
        return SignedContent(None, "asn1crypto is not installed")
    if len(der) > max_bytes:
        return SignedContent(None, f"{len(der):,} bytes; the limit is {max_bytes:,}")
    try:
        info = cms.ContentInfo.load(der)
        kind = info["content_type"].native
        if kind != "signed_data":
            return SignedContent(None, f"CMS content is {kind}, not signed data")
        encap = info["content"]["encap_content_info"]
        inner_type = encap["content_type"].native
        content = encap["content"]
        if content.native is None:
            return SignedContent(None, "detached signature: no signed content inside")
        value = content.native
        if inner_type != "data" or not isinstance(value, bytes):
            return SignedContent(None, f"signed content of type {inner_type} is not MIME data")
        return SignedContent(value)
    except Exception as exc:  # asn1crypto raises ValueError, TypeError, KeyError...
        log.debug("unreadable CMS SignedData", exc_info=True)
        return SignedContent(None, f"unreadable CMS structure: {type(exc).__name__}")
