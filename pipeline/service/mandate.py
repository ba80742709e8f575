"""The Peppol-mandate watch in the service: ask a supplier for the e-invoice, and the
suppliers of a dossier that still send PDFs (see :mod:`pipeline.mandate`).

The request goes to the sender of the mail the PDF came in, from the dossier's own
intake address (so the e-invoice the supplier sends back lands in the dossier),
through the outgoing relay of the invoicing module (``BOEKBOX_OUTGOING_SMTP_URL``).
It is sent at most once per document: the document row is locked while sending and
the request is recorded on its alert in the same transaction (and audited).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from email.utils import parseaddr

from pipeline import mandate, payment_trust
from pipeline.invoice_channels import ChannelError, MailRelay, Outgoing
from pipeline.service.core import Permission, Refused, ServiceBase, UserView, requires
from storage import NotFound, repo
from storage.mandate import flagged_documents
from storage.models import utcnow

__all__ = ["MandateService", "MandateSupplierView"]


@dataclass(frozen=True, slots=True)
class MandateSupplierView:
    """A supplier of the dossier still sending PDFs after the mandate."""

    supplier_vat: str
    supplier_name: str
    documents: int
    requested: int
    last_date: dt.date | None
    document_ids: tuple[int, ...]


def _address(value: str | None) -> str | None:
    addr = parseaddr(value or "")[1].strip()
    if not addr or "@" not in addr or any(ch in addr for ch in "\r\n<>,;\"' "):
        return None
    return addr[:320]


class MandateService(ServiceBase):
    @requires(Permission.BOOK_PURCHASES)
    def request_peppol_invoice(self, user: UserView, doc_id: int) -> str:
        """Mail the supplier of a flagged document a request for the Peppol e-invoice.

        Returns the address it went to.  Refused when the document is not flagged, was
        requested already, has no known sender, or the relay is not configured."""
        url = self.rt.settings.outgoing_smtp_url
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id, lock=True)
            self._require(s, user, doc.dossier_id, Permission.BOOK_PURCHASES)
            found = payment_trust.alert(doc, mandate.MANDATE_ALERT)
            if found is None:
                raise Refused("this document is not flagged under the e-invoicing mandate")
            if found.get("requested_at"):
                raise Refused(
                    f"the e-invoice was requested already on {found['requested_at']}"
                    f" ({found.get('requested_to', '')}); not sending it twice"
                )
            if not url:
                raise Refused("no outgoing mail relay: set BOEKBOX_OUTGOING_SMTP_URL")
            to = None
            if doc.mail_id is not None:
                try:
                    mail = repo.get_mail(s, doc.mail_id)
                except NotFound:
                    mail = None
                if mail is not None:
                    to = _address(mail.from_header) or _address(mail.envelope_from)
            if to is None:
                raise Refused("no sender address is known for this document (not from a mail)")
            dossier = repo.get_dossier(s, doc.dossier_id)
            language = str((dossier.settings or {}).get("language") or "nl")
            text = mandate.request_text(
                language,
                number=doc.invoice_number,
                date=doc.invoice_date,
                customer=dossier.name,
                customer_vat=dossier.vat_number,
            )
            domain = dossier.mailbox.rsplit("@", 1)[-1] or "boekbox.invalid"
            message_id = f"mandate-{doc.id}-{uuid.uuid4().hex}@{domain}"
            item = Outgoing(
                message_id=message_id,
                recipient=to,
                number=doc.invoice_number or str(doc.id),
                sender_name=dossier.name,
                sender_email=dossier.mailbox,
                subject=text.subject,
                body=text.body,
                pdf=None,
                ubl=None,
            )
            try:
                MailRelay(url).send(item)
            except ChannelError as exc:
                raise Refused(f"the request could not be sent: {exc.reason}") from None
            when = utcnow().isoformat(timespec="seconds")
            extra = {k: v for k, v in found.items() if k not in ("code", "message")}
            extra.update(requested_at=when, requested_to=to, requested_by=user.username)
            payment_trust.put_alert(doc, mandate.MANDATE_ALERT, str(found["message"]), **extra)
            repo.audit(
                s,
                "peppol_invoice_requested",
                user_id=user.id,
                dossier_id=doc.dossier_id,
                document_id=doc.id,
                to=to,
                message_id=message_id,
                language=language,
            )
            return to

    @requires(Permission.VIEW)
    def mandate_suppliers(self, user: UserView, dossier_id: int) -> list[MandateSupplierView]:
        """The dossier's suppliers still sending PDFs (flagged documents not replaced by
        an e-invoice), most documents first."""
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, Permission.VIEW)
            docs = flagged_documents(
                s, dossier_id, after=mandate.CUTOFF, code=mandate.MANDATE_ALERT
            )
            groups: dict[str, list[tuple[int, str, dt.date | None, bool]]] = {}
            for d in docs:
                found = payment_trust.alert(d, mandate.MANDATE_ALERT) or {}
                vat = str(found.get("supplier_vat") or d.supplier_vat or "?")
                groups.setdefault(vat, []).append(
                    (d.id, d.supplier_name or "", d.invoice_date, bool(found.get("requested_at")))
                )
            out = [
                MandateSupplierView(
                    supplier_vat=vat,
                    supplier_name=next((n for _, n, _, _ in rows if n), ""),
                    documents=len(rows),
                    requested=sum(1 for *_, r in rows if r),
                    last_date=max((d for _, _, d, _ in rows if d), default=None),
                    document_ids=tuple(i for i, *_ in rows),
                )
                for vat, rows in groups.items()
            ]
            return sorted(out, key=lambda v: (-v.documents, v.supplier_vat))
