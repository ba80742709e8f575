"""The mail splitter: raw mail bytes in, a frozen :class:`SplitResult` out.

Pure: no I/O, no database, no environment.  ``split_mail`` never raises; whatever
cannot be read is returned as a :class:`QuarantinedPart` with a reason.

Header facts (subject, From, Message-ID) are decoded here from the raw header bytes
(UTF-8, then cp1252, RFC 2047), never surrogates; a duplicated Subject keeps the
first.  The From address is parsed with mail-parser's address helper.  Parts are
found by walking the stdlib ``email`` tree (see :mod:`intake.splitter_walk`).
"""

from __future__ import annotations

import email
import hashlib
import logging
import re

from intake.mail_header import header_length, scan_header
from intake.mime_headers import header_text, raw_header
from intake.splitter_content import Collector
from intake.splitter_forward import is_auto_reply
from intake.splitter_model import (
    DocumentPart,
    IgnoredPart,
    QuarantinedPart,
    SplitLimits,
    SplitResult,
)
from intake.splitter_walk import Scope, Walker

__all__ = [
    "DocumentPart",
    "IgnoredPart",
    "QuarantinedPart",
    "SplitLimits",
    "SplitResult",
    "split_mail",
    "trace_stripped_sha256",
]

log = logging.getLogger(__name__)

_WHOLE_MAIL = "message/rfc822"
# multipart/message containers, counted in the lower-cased mail: bytes.lower() folds
# exactly the ASCII letters an IGNORECASE bytes pattern folds, so the matches are those of
# the pattern with re.IGNORECASE on the mail as is, but the search starts from a literal
# (fast) where the IGNORECASE scan tried every position (~0.5 ms for a PDF mail)
_CONTAINER_LOWER = re.compile(rb"content-type:\s*(?:multipart|message)/")
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,990})>")


def _message_id(value: str | None) -> str | None:
    if not value:
        return None
    found = _MESSAGE_ID.search(value)
    text = found.group(1) if found else value.strip()
    return text[:998] or None


def _empty_result(raw: bytes, reason: str, detail: str) -> SplitResult:
    entry = QuarantinedPart(None, _WHOLE_MAIL, reason, hashlib.sha256(raw).hexdigest(), detail)
    return SplitResult((), (), (entry,), "", None, None, False, None, (detail,))


def split_mail(
    raw: bytes, limits: SplitLimits = SplitLimits(), *, envelope_sender: str | None = None
) -> SplitResult:
    """Split one raw mail into documents, ignored parts and quarantined parts.

    ``envelope_sender`` is the SMTP MAIL FROM ("" for the null sender, None if
    unknown); it only feeds ``is_auto_reply``.  Never raises.
    """
    data = bytes(raw) if isinstance(raw, bytes | bytearray | memoryview) else b""
    try:
        return _split(data, limits, envelope_sender)
    except RecursionError:
        return _empty_result(data, "mime_too_deep", "MIME structure nested too deeply to parse")
    except Exception as exc:  # the promise is: never an exception out
        log.exception("split_mail failed; the whole mail is quarantined")
        return _empty_result(data, "split_failed", f"{type(exc).__name__}: {exc}"[:500])


def _split(raw: bytes, limits: SplitLimits, envelope_sender: str | None) -> SplitResult:
    header_len = header_length(raw)
    if header_len > limits.max_header_bytes:
        return _empty_result(
            raw,
            "header_too_large",
            f"header section is {header_len:,} bytes; the limit is {limits.max_header_bytes:,}",
        )
    containers = len(_CONTAINER_LOWER.findall(raw.lower()))
    if containers > limits.max_parts:
        return _empty_result(
            raw, "too_many_parts",
            f"{containers:,} multipart/message containers; the limit is {limits.max_parts}",
        )  # fmt: skip
    lines = raw.count(b"\n") + 1
    if containers > 1 and containers * lines > limits.max_parse_cost:
        return _empty_result(
            raw, "too_complex",
            f"{containers:,} containers x {lines:,} lines exceeds the parse budget "
            f"({limits.max_parse_cost:,}): the stdlib parser checks every line per level",
        )  # fmt: skip
    msg = email.message_from_bytes(raw)
    linesep = "\r\n" if b"\r\n" in raw[: header_len + 2] else "\n"
    col = Collector(limits, zip_budget=limits.max_zip_total)
    walker = Walker(col, linesep)
    walker.message(msg, 0, Scope())
    return SplitResult(
        documents=tuple(col.documents),
        ignored=tuple(col.ignored),
        quarantined=tuple(col.quarantined),
        subject=header_text(msg, "subject") or "",
        from_address=walker.mail_sender,
        message_id=_message_id(raw_header(msg, "message-id")),
        is_auto_reply=is_auto_reply(msg, envelope_sender),
        forwarded_from=walker.forwarded_from
        or next((d.original_sender for d in col.documents if d.original_sender), None),
        warnings=tuple(dict.fromkeys(col.warnings)),
    )


def trace_stripped_sha256(raw: bytes) -> str:
    """SHA-256 of the mail without trace headers (Received, Return-Path, Delivered-To,
    X-Original-To, Authentication-Results, ARC-*...) and without an mbox ``From ``
    line, line ends as CRLF: with the Message-ID, the redelivery key."""
    return scan_header(raw).trace_stripped_sha256
