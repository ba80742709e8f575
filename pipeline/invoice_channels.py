"""Sending issued invoices: one adapter interface, two channels.

* :class:`PeppolAccessPoint`: the Storecove REST API v2 (``POST /document_submissions``
  with the UBL as raw document data, Bearer API key, an ``idempotencyGuid``).  The
  Peppol network itself is reached only through the provider; these machines cannot
  reach it, so the adapter is tested against a local server following that API.
* :class:`MailRelay`: the PDF and the UBL attached to a mail sent through the outgoing
  relay (``smtp://user:pass@host:port?starttls=1``).

The caller stores the message id *before* calling :meth:`Channel.send`, and passes the
same id on a retry: the access point deduplicates on its idempotency key, and a mail
retried carries the same ``Message-ID`` (boekbox's intake, like most receivers, keeps
one copy per Message-ID).  :class:`ChannelError` says whether retrying can help.
"""

from __future__ import annotations

import base64
import json
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = [
    "Channel",
    "ChannelError",
    "MailRelay",
    "Outgoing",
    "PeppolAccessPoint",
    "mail_relay_from_url",
]

_TIMEOUT = 30.0


class ChannelError(Exception):
    """Sending failed; ``retry`` False when sending again cannot help (refused)."""

    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One invoice to send.  ``recipient`` is a Peppol id or an e-mail address."""

    message_id: str
    recipient: str
    number: str
    sender_name: str
    sender_email: str
    subject: str
    body: str
    pdf: bytes | None
    ubl: bytes | None
    sender_ref: str | None = None  # access point legal entity of the sender


class Channel(Protocol):
    name: str

    def send(self, item: Outgoing) -> str:
        """Deliver ``item``; returns the provider's id.  Raises :class:`ChannelError`."""
        ...


# ----------------------------------------------------------------------------- Peppol

# Storecove names ISO 6523 schemes by country and kind; others by their Peppol EAS code.
_SCHEMES = {"0208": "BE:EN", "9925": "BE:VAT", "0106": "NL:KVK", "9944": "NL:VAT"}


class PeppolAccessPoint:
    """Storecove's document submission API (a Peppol access point with a public REST API)."""

    name = "peppol"

    def __init__(self, base_url: str, token: str, *, timeout: float = _TIMEOUT) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ValueError("the access point URL must start with https:// (or http://)")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def payload(self, item: Outgoing) -> dict[str, object]:
        if item.ubl is None:
            raise ChannelError("no UBL to send over Peppol", retry=False)
        scheme, _, ident = item.recipient.partition(":")
        body: dict[str, object] = {
            "idempotencyGuid": item.message_id,
            "routing": {"eIdentifiers": [{"scheme": _SCHEMES.get(scheme, scheme), "id": ident}]},
            "document": {
                "documentType": "invoice",
                "rawDocumentData": {
                    "document": base64.b64encode(item.ubl).decode("ascii"),
                    "parse": True,
                    "parseStrategy": "ubl",
                },
            },
        }
        if item.sender_ref:
            body["legalEntityId"] = int(item.sender_ref) if item.sender_ref.isdigit() else 0
        return body

    def send(self, item: Outgoing) -> str:
        data = json.dumps(self.payload(item)).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 - http(s) checked in __init__
            f"{self.base_url}/document_submissions",
            data=data,
            method="POST",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read(1_000_000) or b"{}")
        except urllib.error.HTTPError as exc:
            detail = exc.read(2000).decode("utf-8", "replace")
            retry = exc.code >= 500 or exc.code == 429
            raise ChannelError(
                f"access point answered {exc.code}: {detail[:300]}", retry=retry
            ) from None
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ChannelError(f"access point unreachable: {reason}", retry=True) from None
        except ValueError:
            reason = "access point answered something that is not JSON"
            raise ChannelError(reason, retry=True) from None
        guid = answer.get("guid") if isinstance(answer, dict) else None
        if not isinstance(guid, str) or not guid:
            raise ChannelError("access point answered without a submission guid", retry=True)
        return guid


# ----------------------------------------------------------------------------- mail


@dataclass(frozen=True, slots=True)
class RelayConfig:
    host: str
    port: int
    username: str | None
    password: str | None
    starttls: bool
    ssl: bool
    verify: bool


def mail_relay_from_url(url: str) -> RelayConfig:
    """``smtp://user:pass@host:port?starttls=1`` (``smtps://`` for TLS from the start;
    ``verify=0`` accepts any certificate, for tests only)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("BOEKBOX_OUTGOING_SMTP_URL must look like smtp://user:pass@host:port")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}

    def flag(name: str, default: bool) -> bool:
        return query.get(name, "1" if default else "0").lower() in ("1", "true", "yes")

    return RelayConfig(
        host=parts.hostname,
        port=parts.port or (465 if parts.scheme == "smtps" else 587),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        starttls=parts.scheme == "smtp" and flag("starttls", True),
        ssl=parts.scheme == "smtps",
        verify=flag("verify", True),
    )


def build_mail(item: Outgoing) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f'"{item.sender_name.replace(chr(34), "")}" <{item.sender_email}>'
    msg["To"] = item.recipient
    msg["Subject"] = item.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = f"<{item.message_id}>"
    msg.set_content(item.body)
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in item.number)
    if item.pdf is not None:
        msg.add_attachment(item.pdf, maintype="application", subtype="pdf", filename=f"{safe}.pdf")
    if item.ubl is not None:
        msg.add_attachment(item.ubl, maintype="application", subtype="xml", filename=f"{safe}.xml")
    return msg


class MailRelay:
    name = "email"

    def __init__(self, url: str, *, timeout: float = _TIMEOUT) -> None:
        self.config = mail_relay_from_url(url)
        self.timeout = timeout

    def _context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        if not self.config.verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def send(self, item: Outgoing) -> str:
        cfg = self.config
        msg = build_mail(item)
        try:
            smtp: smtplib.SMTP
            if cfg.ssl:
                smtp = smtplib.SMTP_SSL(
                    cfg.host, cfg.port, timeout=self.timeout, context=self._context()
                )
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=self.timeout)
            with smtp:
                smtp.ehlo()
                if cfg.starttls:
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
                if cfg.username:
                    smtp.login(cfg.username, cfg.password or "")
                smtp.send_message(msg, from_addr=item.sender_email, to_addrs=[item.recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            reason = f"relay refused the recipient: {exc.recipients}"
            raise ChannelError(reason, retry=False) from None
        except smtplib.SMTPResponseException as exc:
            raw = exc.smtp_error
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
            raise ChannelError(
                f"relay answered {exc.smtp_code} {text[:200]}", retry=exc.smtp_code < 500
            ) from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise ChannelError(f"relay unreachable: {exc}", retry=True) from None
        return item.message_id
