"""Who really sent it, and should we ever answer: forwarded-header blocks in bodies,
addresses, HTML references and auto-reply detection for the mail splitter."""

from __future__ import annotations

import html
import re
import urllib.parse
from email.message import Message

from intake.mime_headers import header_text, raw_header

__all__ = [
    "address_of",
    "html_references",
    "html_to_text",
    "inline_forward_sender",
    "is_auto_reply",
]

_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_MARKER = re.compile(
    r"^\s*(?:-{2,}\s*(?:forwarded message|doorgestuurd bericht|message transf[ée]r[ée]|"
    r"weitergeleitete nachricht|original message|oorspronkelijk bericht|"
    r"message d'origine|urspr[üu]ngliche nachricht|messaggio inoltrato|mensaje reenviado)"
    r"\s*-*|(?:begin forwarded message|begin doorgestuurd bericht|"
    r"d[ée]but du message r[ée]exp[ée]di[ée]|anfang der weitergeleiteten nachricht)\s*:?)\s*$",
    re.IGNORECASE,
)
_FROM_LINE = re.compile(
    r"^\s*(?:from|van|de|von|da|afzender|exp[ée]diteur)\s*:\s*(.+)$", re.IGNORECASE
)
_SENT_LINE = re.compile(
    r"^\s*(?:sent|verzonden|envoy[ée]|gesendet|date|datum|inviato|enviado)\s*:", re.IGNORECASE
)
_QUOTE_PREFIX = re.compile(r"^(?:\s*>)+\s?")
_CID = re.compile(r"cid:([^\"'\s>)]+)", re.IGNORECASE)
_URL_ATTR = re.compile(r"(?:src|href|background)\s*=\s*[\"']?([^\"'\s>]+)", re.IGNORECASE)
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto(?:matisch)? ?(?:antwoord|reply|response)|"
    r"r[ée]ponse automatique|abwesenheitsnotiz|out of (?:the )?office|"
    r"afwezigheidsbericht|delivery status notification|undeliverable|onbestelbaar|"
    r"unzustellbar|non remis|mail delivery failed|returned mail|read:|gelezen:|lu :)",
    re.IGNORECASE,
)


def address_of(text: str | None) -> str | None:
    """The (last) e-mail address in a header or header-like line, lower-cased domain."""
    if not text:
        return None
    angle = re.findall(r"<([^<>\s]+@[^<>\s]+)>", text)
    candidates = angle or _ADDRESS.findall(text)
    if not candidates:
        return None
    local, _, domain = candidates[-1].strip().rpartition("@")
    return f"{local}@{domain.lower()}" if local and domain else None


def html_to_text(markup: str) -> str:
    """Good-enough text of an HTML body for header-block detection."""
    text = re.sub(r"(?is)<(script|style|head)\b.*?</\1\s*>", " ", markup)
    text = re.sub(r"(?i)<br\s*/?>|</(?:p|div|tr|li|h\d|table)\s*>", "\n", text)
    text = re.sub(r"<[^>]{0,2000}>", "", text)
    return html.unescape(text)


def inline_forward_sender(text: str, own_address: str | None = None) -> str | None:
    """Address in the first quoted header block (Gmail/Apple marker or Outlook block)."""
    lines = [_QUOTE_PREFIX.sub("", line).replace("*", "") for line in text.splitlines()[:5000]]
    for index, line in enumerate(lines):
        candidate: str | None = None
        if _MARKER.match(line):
            for follow in lines[index + 1 : index + 8]:
                found = _FROM_LINE.match(follow)
                if found:
                    candidate = address_of(found.group(1))
                    break
        else:
            found = _FROM_LINE.match(line)
            if found and any(_SENT_LINE.match(f) for f in lines[index + 1 : index + 5]):
                candidate = address_of(found.group(1))
        if candidate and candidate != own_address:
            return candidate
    return None


def _normal_ref(value: str) -> str:
    return urllib.parse.unquote(value.strip().strip("<>")).strip().lower()


def html_references(markup: str) -> frozenset[str]:
    """``cid:`` targets (as ``cid:<id>``) and URL attribute values used by the HTML."""
    refs = {"cid:" + _normal_ref(m) for m in _CID.findall(markup)}
    refs.update(_normal_ref(m) for m in _URL_ATTR.findall(markup))
    return frozenset(refs)


def part_references(part: Message) -> set[str]:
    """Keys under which the HTML could reference this part."""
    keys: set[str] = set()
    cid = raw_header(part, "content-id")
    if cid:
        keys.add("cid:" + _normal_ref(cid))
    location = raw_header(part, "content-location")
    if location:
        keys.add(_normal_ref(location))
    return keys


def is_auto_reply(msg: Message, envelope_sender: str | None) -> bool:
    """Auto-replies, DSNs/MDNs, ``Auto-Submitted``, null senders: never answer these."""
    if envelope_sender is not None and envelope_sender.strip() in ("", "<>"):
        return True
    return_path = raw_header(msg, "return-path")
    if return_path is not None and return_path.strip() in ("<>", ""):
        return True
    auto = raw_header(msg, "auto-submitted")
    if auto and auto.split(";")[0].strip().lower() != "no":
        return True
    if msg.get_content_type() in ("multipart/report", "message/delivery-status"):
        return True
    for name in ("x-autoreply", "x-autorespond", "x-auto-response", "x-failed-recipients"):
        if raw_header(msg, name):
            return True
    precedence = (raw_header(msg, "precedence") or "").strip().lower()
    if precedence == "auto_reply":
        return True
    subject = header_text(msg, "subject") or ""
    return bool(_AUTO_SUBJECT.match(subject))
