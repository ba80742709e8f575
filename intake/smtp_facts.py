"""Header facts of a received mail, read from its header section only (pure).

The SMTP server stores every mail before anything parses its MIME structure;
it only needs the Message-ID (for the redelivery key), the Subject and the
From header for the mail record.  Reading them never raises.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass

from intake.mail_header import scan_header
from intake.mime_headers import decode_header_value, unfold_raw

__all__ = ["MailFacts", "mail_facts", "redelivery_key", "sender_allowed", "storable"]

log = logging.getLogger(__name__)

_SURROGATE = re.compile("[\ud800-\udfff]")
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,990})>")
#: the header section is cut here before parsing: a mail with more header than this
#: still gets stored, just without subject/From on the record (the splitter decides)
MAX_HEADER_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class MailFacts:
    message_id: str | None
    subject: str | None
    from_header: str | None
    dedup_key: str


def _message_id(value: str | None) -> str | None:
    if not value:
        return None
    found = _MESSAGE_ID.search(value)
    text = found.group(1) if found else value.strip()
    return text[:998] or None


_WANTED = frozenset({"message-id", "subject", "from"})


def redelivery_key(message_id: str | None, trace_stripped_sha256: str) -> str:
    """SHA-256 over the Message-ID and the trace-stripped mail: the same mail
    delivered again (new Received/Return-Path/Delivered-To) gets the same key."""
    digest = hashlib.sha256()
    digest.update((message_id or "").encode("utf-8", "surrogateescape"))
    digest.update(b"\x00")
    digest.update(trace_stripped_sha256.encode("ascii"))
    return digest.hexdigest()


def storable(text: str | None) -> str | None:
    """``text`` as every database stores it: NUL (refused by PostgreSQL) and lone
    surrogates (not UTF-8) become U+FFFD, so a header can never make a mail fail
    at DATA on every retry."""
    if text is None:
        return None
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = _SURROGATE.sub("\ufffd", text)
    return text


def _text(value: bytes | None) -> str | None:
    return None if value is None else storable(decode_header_value(value))


def mail_facts(raw: bytes) -> MailFacts:
    """Message-ID, Subject, From and the redelivery key, in one pass over the header."""
    scan = scan_header(raw, _WANTED, max_header=MAX_HEADER_BYTES)
    message_id = subject = from_header = None
    try:
        raw_id = scan.values.get("message-id")
        message_id = storable(_message_id(unfold_raw(raw_id) if raw_id is not None else None))
        subject = _text(scan.values.get("subject"))
        from_header = _text(scan.values.get("from"))
    except Exception:  # the record loses a convenience, the mail is still stored
        log.warning("could not read the header section of a received mail", exc_info=True)
    return MailFacts(
        message_id, subject, from_header, redelivery_key(message_id, scan.trace_stripped_sha256)
    )


def _normal(address: str) -> str:
    return address.strip().strip("<>").strip().lower()


def sender_allowed(envelope_from: str, allowed: tuple[str, ...]) -> bool:
    """True when the dossier has no allow-list, or lists the sender or its domain.

    Entries are addresses (``a@b.example``) or domains (``b.example`` or
    ``@b.example``).  The null sender is allowed only by an empty list.
    """
    if not allowed:
        return True
    sender = _normal(envelope_from)
    if "@" not in sender:
        return False
    domain = sender.rpartition("@")[2]
    for entry in (_normal(a) for a in allowed):
        bare = entry.lstrip("@")
        if entry == sender or ("@" not in bare and bare == domain):
            return True
    return False
