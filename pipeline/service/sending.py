"""Sending issued invoices: over Peppol or by mail, stored before anything leaves, never twice."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from invoicing import IssuedInvoice
from invoicing.serial import from_json
from pipeline.service.core import Refused, UserView, requires
from pipeline.service.sales_common import P, SalesBase, SendView, _core, _send_view, deliver_send
from storage import invoicing as store
from storage import repo
from storage.models import InvoiceSend, utcnow

log = logging.getLogger("pipeline.service.sending")

__all__ = ["SendingService"]


class SendingService(SalesBase):
    """Sending invoices (permission ``invoice``)."""

    @requires(P.INVOICE)
    def send(
        self,
        user: UserView,
        invoice_id: int,
        *,
        channel: str | None = None,
        to: str | None = None,
        deliver: bool = True,
        now: bool = False,
    ) -> SendView:
        """Queue the invoice for sending (Peppol when the customer has a Peppol id and an
        access point is configured, else e-mail with PDF + UBL): the send is stored with its
        message id, then handed to the send actor (:mod:`pipeline.send_actor`), which a
        worker runs and retries with backoff while a failure can pass.  ``now`` delivers
        it in this process first (the actor then only retries); ``deliver=False`` only
        stores it.  The reconciler still delivers a send whose message was lost."""
        available = self.channels()
        with self.rt.tx() as s:
            inv = self._invoice(s, user, invoice_id, P.INVOICE, lock=True)
            if inv.state != "issued":
                raise Refused("only an issued invoice can be sent")
            issued = from_json(IssuedInvoice, inv.issued)
            customer = issued.customer
            chosen = channel or (
                "peppol"
                if customer.peppol_id and "peppol" in available and inv.ubl_sha256
                else "email"
            )
            if chosen not in ("peppol", "email"):
                raise Refused(f"unknown channel {chosen!r}: peppol or email")
            if chosen not in available:
                what = (
                    "BOEKBOX_PEPPOL_AP_URL" if chosen == "peppol" else "BOEKBOX_OUTGOING_SMTP_URL"
                )
                raise Refused(f"sending by {chosen} is not configured ({what})")
            destination = to or (customer.peppol_id if chosen == "peppol" else customer.email)
            if not destination:
                raise Refused(
                    "the customer has no Peppol id"
                    if chosen == "peppol"
                    else "the customer has no e-mail address"
                )
            if chosen == "peppol":
                from invoicing.model import validate_peppol_id

                destination = _core(validate_peppol_id, destination)
                if inv.ubl_sha256 is None:
                    raise Refused("this invoice has no UBL to send over Peppol")
            elif "@" not in destination or len(destination) > 254:
                raise Refused(f"invalid e-mail address {destination[:60]!r}")
            for earlier in store.sends_of(s, inv.id):
                if earlier.purpose == "invoice" and earlier.state in ("queued", "sending"):
                    return _send_view(earlier)  # already on its way
            warnings: list[str] = []
            if chosen == "email" and customer.is_belgian_vat_registered:
                warnings.append(
                    "an invoice mailed to a Belgian VAT-registered customer is not a valid "
                    "invoice under the e-invoicing mandate (since 1 January 2026 it must be "
                    "sent over Peppol)"
                    + ("" if inv.ubl_sha256 else "; this mail carries only the PDF")
                )
            row = InvoiceSend(
                invoice_id=inv.id,
                dossier_id=inv.dossier_id,
                channel=chosen,
                purpose="invoice",
                destination=destination,
                state="queued",
                message_id=str(uuid.uuid4()),
                warnings=warnings,
            )
            s.add(row)
            s.flush()
            send_id = row.id
            repo.audit(
                s,
                "invoice_send_queued",
                user_id=user.id,
                dossier_id=inv.dossier_id,
                invoice_id=inv.id,
                channel=chosen,
            )
        if deliver:
            from pipeline.send_queue import enqueue_send

            if not now or deliver_send(self, send_id) == "queued":
                enqueue_send(send_id)
        with self.rt.tx() as s:
            return _send_view(store.get_send(s, send_id))

    @requires(P.INVOICE)
    def sends(self, user: UserView, invoice_id: int) -> list[SendView]:
        with self.rt.tx() as s:
            inv = self._invoice(s, user, invoice_id, P.INVOICE)
            return [_send_view(r) for r in store.sends_of(s, inv.id)]

    @requires(None)
    def retry_sends(self, user: UserView, *, older_than_seconds: float = 0.0) -> int:
        """Deliver every queued send (the pipeline's retry; admins and the system)."""
        with self.rt.tx() as s:
            self._require_admin(s, user, "retry sending")
            cutoff = utcnow() - dt.timedelta(seconds=older_than_seconds)
            pending = store.pending_sends(s, older_than=cutoff if older_than_seconds else None)
        done = 0
        for send_id in pending:
            if deliver_send(self, send_id) == "sent":
                done += 1
        return done
