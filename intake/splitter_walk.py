"""Depth-first walk of the stdlib ``email`` message tree for the mail splitter.

mail-parser's attachment list is not enough (it misses ZIP members, winmail.dat
contents and opaque S/MIME, and drops a nameless octet-stream PDF), so the tree is
walked here: multipart containers, signed and encrypted entities, embedded messages
(message/rfc822, recursively and depth-limited) and leaves, which go to
:func:`intake.splitter_content.handle_blob`.
"""

from __future__ import annotations

import email
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from email import policy
from email.generator import BytesGenerator
from email.message import Message

from mailparser.utils import get_addresses

from intake.mime_headers import (
    decode_bytes,
    disposition,
    header_text,
    parse_params,
    part_filename,
    raw_header,
)
from intake.mime_payload import decode_payload
from intake.smime import signed_content
from intake.splitter_content import Blob, Collector, handle_blob, sha256
from intake.splitter_forward import (
    address_of,
    html_references,
    html_to_text,
    inline_forward_sender,
    part_references,
)
from intake.splitter_model import IgnoredPart

__all__ = ["Scope", "Walker", "content_type", "sender_address"]

log = logging.getLogger(__name__)

_REPORT_PARTS = frozenset(
    {
        "message/delivery-status",
        "message/disposition-notification",
        "message/rfc822-headers",
        "text/rfc822-headers",
        "message/feedback-report",
        "message/global-delivery-status",
        "message/global-disposition-notification",
        "message/global-headers",
    }
)
_SIGNATURES = frozenset(
    {
        "application/pgp-signature",
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
    }
)
_OPAQUE = frozenset(
    {"application/pkcs7-mime", "application/x-pkcs7-mime", "application/pgp-encrypted"}
)
_NOT_BODY_TEXT = frozenset({"text/calendar", "text/vcard", "text/x-vcard", "text/directory"})
_EMBEDDED = frozenset({"message/rfc822", "message/global"})


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a part sits: origin label for plain attachments, container prefix,
    the original sender known so far, forward nesting and the HTML references."""

    base: str = "attachment"
    prefix: str = ""
    sender: str | None = None
    forward_depth: int = 0
    refs: frozenset[str] = frozenset()


def content_type(part: Message) -> str:
    """Effective lower-case media type; stdlib rules (invalid -> text/plain)."""
    try:
        return part.get_content_type().lower()
    except Exception:  # a broken header value means: plain text
        return "text/plain"


def sender_address(msg: Message) -> str | None:
    """The From address, parsed by mail-parser (robust against display-name tricks)."""
    value = header_text(msg, "from")
    if not value:
        return None
    try:
        for _name, address in get_addresses(value, decode_names=True):
            if "@" in address:
                local, _, domain = address.strip().rpartition("@")
                return f"{local}@{domain.lower()}"
    except Exception:  # mail-parser trouble: fall back to our own scan
        log.debug("mail-parser could not parse From %r", value)
    return address_of(value)


def _children(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    return []


def _body_leaves(msg: Message, budget: int = 2000) -> Iterator[Message]:
    """Text/plain and text/html body leaves of one message (not inside embedded ones)."""
    stack = [msg]
    while stack and budget > 0:
        budget -= 1
        part = stack.pop()
        ctype = content_type(part)
        if ctype.startswith("message/"):
            continue
        if part.is_multipart():
            stack.extend(reversed(_children(part)))
        elif ctype in ("text/plain", "text/html") and _is_body(part):
            yield part


def _is_body(part: Message) -> bool:
    return part_filename(part) is None and disposition(part) != "attachment"


def _text_of(part: Message, limit: int) -> str:
    data, _problem = decode_payload(part)
    return decode_bytes(data[:limit], parse_params(raw_header(part, "content-type")).get("charset"))


class Walker:
    """Walks one mail into a :class:`Collector`; records the first original sender."""

    def __init__(self, col: Collector, linesep: str) -> None:
        self.col = col
        self.linesep = linesep
        self.forwarded_from: str | None = None
        #: the From address of the mail itself (the message walked at depth 0), so the
        #: splitter does not parse that header a second time
        self.mail_sender: str | None = None

    def message(self, msg: Message, depth: int, scope: Scope) -> None:
        limit = self.col.limits.max_html_scan
        refs: set[str] = set()
        plain: str | None = None
        html: str | None = None
        for leaf in _body_leaves(msg):
            text = _text_of(leaf, limit)
            if content_type(leaf) == "text/html":
                refs |= html_references(text)
                html = text if html is None else html
            elif plain is None:
                plain = text
        own = sender_address(msg)
        if depth == 0:
            self.mail_sender = own
        body = plain if plain and plain.strip() else html_to_text(html or "")
        forwarded = inline_forward_sender(body, own)
        sender = forwarded or scope.sender
        if forwarded and self.forwarded_from is None:
            self.forwarded_from = forwarded
        self.entity(msg, depth, replace(scope, sender=sender, refs=frozenset(refs)))

    def entity(self, part: Message, depth: int, scope: Scope) -> None:
        if not self.col.count_part():
            return
        ctype = content_type(part)
        if depth > self.col.limits.max_depth:
            self.col.quarantine(
                part_filename(part),
                ctype,
                "mime_too_deep",
                None,
                f"MIME nesting deeper than {self.col.limits.max_depth}",
                scope.base,
            )
            return
        for defect in getattr(part, "defects", []):
            self.col.warnings.append(f"{ctype}: {type(defect).__name__}")
        if ctype in _REPORT_PARTS:
            return
        if ctype in _EMBEDDED and isinstance(part.get_payload(), list):
            self.embedded(part, ctype, depth, scope)
        elif part.is_multipart():
            self.multipart(part, ctype, depth, scope)
        else:
            self.leaf(part, ctype, depth, scope)

    def multipart(self, part: Message, ctype: str, depth: int, scope: Scope) -> None:
        children = _children(part)
        if ctype == "multipart/encrypted":
            self.col.quarantine(
                None,
                ctype,
                "encrypted",
                sha256(self._serialize(part)),
                "encrypted content cannot be read",
                scope.base,
            )
            return
        if ctype == "multipart/signed" and children:
            protocol = parse_params(raw_header(part, "content-type")).get("protocol", "").lower()
            signed = scope
            if "pkcs7" in protocol and scope.base == "attachment":
                signed = replace(scope, base="smime-signed")
            self.entity(children[0], depth + 1, signed)
            children = children[1:]
        for child in children:
            self.entity(child, depth + 1, scope)

    def embedded(self, part: Message, ctype: str, depth: int, scope: Scope) -> None:
        inner = _children(part)
        if not inner:
            return
        filename = part_filename(part)
        limit = self.col.limits.max_forward_depth
        if scope.forward_depth + 1 > limit:
            self.col.quarantine(
                filename,
                ctype,
                "forward_depth_exceeded",
                sha256(self._serialize(inner[0])),
                f"forwarded messages nested deeper than {limit}",
                scope.base,
            )
            return
        sender = sender_address(inner[0]) or scope.sender
        nested = replace(scope, sender=sender, forward_depth=scope.forward_depth + 1)
        if disposition(part) == "attachment":
            if self.forwarded_from is None:
                self.forwarded_from = sender
            name = filename or "message.eml"
            digest = sha256(self._serialize(inner[0]))
            self.col.ignored.append(
                IgnoredPart(name, ctype, digest, "container_unpacked", scope.base)
            )
            label = f"rfc822:{name}"
            prefix = f"{scope.prefix}/{label}" if scope.prefix else label
            nested = replace(nested, base=prefix, prefix=prefix)
        self.message(inner[0], depth + 1, nested)

    def leaf(self, part: Message, ctype: str, depth: int, scope: Scope) -> None:
        filename = part_filename(part)
        if ctype.startswith("text/") and ctype not in _NOT_BODY_TEXT and _is_body(part):
            return  # the mail body itself
        data, problem = decode_payload(part)
        if problem:
            self.col.warnings.append(f"{filename or ctype}: {problem}")
        if ctype in _SIGNATURES:
            self.col.ignored.append(
                IgnoredPart(filename, ctype, sha256(data), "signature", scope.base)
            )
            return
        if ctype in _OPAQUE:
            smime_type = parse_params(raw_header(part, "content-type")).get("smime-type", "")
            signed = smime_type.lower() == "signed-data"
            if signed or (not smime_type and "pkcs7" in ctype):
                found = signed_content(data, max_bytes=self.col.limits.max_zip_total)
                if found.data is not None:
                    self.smime_signed(part, ctype, data, found.data, depth, scope)
                    return
                if signed:
                    self.col.quarantine(
                        filename,
                        ctype,
                        "smime_opaque",
                        sha256(data),
                        f"opaque S/MIME signed data cannot be unpacked: {found.problem}",
                        scope.base,
                    )
                    return
            self.col.quarantine(
                filename,
                ctype,
                "encrypted",
                sha256(data),
                "encrypted content (S/MIME enveloped data or PGP) cannot be read",
                scope.base,
            )
            return
        referenced = bool(part_references(part) & scope.refs)
        handle_blob(
            self.col,
            Blob(
                data,
                filename,
                ctype,
                scope.base,
                scope.sender,
                referenced,
                prefix=scope.prefix,
                damaged=problem,
            ),
        )

    def smime_signed(
        self, part: Message, ctype: str, der: bytes, inner: bytes, depth: int, scope: Scope
    ) -> None:
        """Walk the MIME entity an opaque S/MIME signature wraps; keep the signature
        itself as evidence (an ignored ``signature`` part with its SHA-256)."""
        name = part_filename(part) or "smime.p7m"
        self.col.ignored.append(IgnoredPart(name, ctype, sha256(der), "signature", scope.base))
        self.col.warnings.append(f"{name}: opaque S/MIME signed data unpacked (not verified)")
        base = "smime-signed" if scope.base == "attachment" else scope.base
        entity = email.message_from_bytes(inner)
        self.message(entity, depth + 1, replace(scope, base=base))

    def _serialize(self, msg: Message) -> bytes:
        """The embedded message as bytes (headers as received, original line ends)."""
        out = io.BytesIO()
        try:
            gen_policy = policy.compat32.clone(linesep=self.linesep)
            BytesGenerator(out, mangle_from_=False, maxheaderlen=0, policy=gen_policy).flatten(msg)
        except Exception:  # a message the generator cannot write back
            log.debug("cannot serialise an embedded message", exc_info=True)
            return b""
        return out.getvalue()
