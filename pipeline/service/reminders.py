"""Open items per customer with ageing, and the daily, idempotent reminder run (levels 1, 2
and formal notice; Belgian consumer and late-payment rules in ``invoicing.reminders``)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from decimal import Decimal
from typing import Any

from invoicing import Seller
from invoicing.reminders import (
    REFERENCE_RATES,
    ReminderPolicy,
    SentReminder,
    ageing,
    parse_reference_rates,
    reminders_due,
)
from pipeline.service.core import Refused, UserView, requires
from pipeline.service.sales_common import (
    OpenItemRow,
    P,
    ReminderView,
    SalesBase,
    _core,
    _plain,
    _seller,
    _settings,
    deliver_send,
)
from storage import invoicing as store
from storage import repo
from storage.models import InvoiceSend, ReminderSent

log = logging.getLogger("pipeline.service.reminders")

__all__ = ["RemindersService"]


class RemindersService(SalesBase):
    """Open items and reminders (permission ``invoice``)."""

    # -- open items and reminders ---------------------------------------------------------
    @requires(P.INVOICE)
    def open_items(
        self, user: UserView, dossier_id: int, *, today: dt.date | None = None
    ) -> list[OpenItemRow]:
        """Open invoices per customer with ageing buckets (not due, 1-30, 31-60, 61-90, 90+)."""
        from invoicing.reminders import AGEING_BUCKETS

        day = today or dt.date.today()
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            found = self._open_invoices(s, dossier_id)
        rows = ageing([o for _, o in found], day)
        return [
            OpenItemRow(
                customer_key=r.customer_key,
                customer_name=r.customer_name,
                buckets=dict(zip(AGEING_BUCKETS, r.buckets, strict=True)),
                invoices=tuple(
                    {
                        "invoice_id": int(i.key),
                        "number": i.number,
                        "due_date": _plain(i.due_date),
                        "open_amount": _plain(i.open_amount),
                    }
                    for i in r.items
                ),
            )
            for r in rows
        ]

    @requires(P.INVOICE)
    def run_reminders(
        self,
        user: UserView,
        dossier_id: int | None = None,
        *,
        today: dt.date | None = None,
        dry_run: bool = False,
        deliver: bool = True,
    ) -> list[ReminderView]:
        """The daily reminder run: the reminders due today (level 1, 2, formal notice),
        each recorded once per invoice and level (running it again sends nothing new) and
        mailed when the customer has an address.  ``dry_run`` lists without recording."""
        day = today or dt.date.today()
        result: list[ReminderView] = []
        queued: list[int] = []
        with self.rt.tx() as s:
            if dossier_id is not None:
                self._require(s, user, dossier_id, P.INVOICE)
                dossiers = [dossier_id]
            else:
                scope = self._dossier_ids(s, user)
                dossiers = [
                    d
                    for d in store.dossiers_with_open_invoices(s, day)
                    if scope is None or (d in scope and P.INVOICE in self._permissions(s, user, d))
                ]
            has_mail = "email" in self.channels()
            for did in dossiers:
                dossier = repo.get_dossier(s, did)
                try:
                    seller = _seller(dossier)
                except Refused:
                    continue
                policy = self._policy(dossier, seller, self.rt.settings.late_interest_rates)
                found = self._open_invoices(s, did)
                by_key = {o.key: inv for inv, o in found}
                sent = [
                    SentReminder(str(r.invoice_id), _level(r.level), r.sent_on)
                    for r in store.list_reminders(s, [int(k) for k in by_key])
                ]
                for due in reminders_due([o for _, o in found], sent, day, policy):
                    inv = by_key[due.invoice.key]
                    view = ReminderView(
                        dossier_id=did,
                        invoice_id=inv.id,
                        number=inv.number or "",
                        level=int(due.level),
                        amount_due=due.amount_due,
                        fee=due.fee,
                        interest=due.interest,
                        subject=due.subject,
                        body=due.body,
                        warnings=tuple(due.warnings),
                    )
                    if not dry_run:
                        send_id = None
                        email = (inv.issued or {}).get("draft", {}).get("customer", {}).get("email")
                        if email and has_mail:
                            send = InvoiceSend(
                                invoice_id=inv.id,
                                dossier_id=did,
                                channel="email",
                                purpose="reminder",
                                destination=email,
                                state="queued",
                                message_id=str(uuid.uuid4()),
                            )
                            s.add(send)
                            s.flush()
                            send_id = send.id
                            queued.append(send.id)
                        s.add(
                            ReminderSent(
                                invoice_id=inv.id,
                                dossier_id=did,
                                level=int(due.level),
                                channel=str(due.channel),
                                sent_on=day,
                                amount_due=due.amount_due,
                                fee=due.fee,
                                interest=due.interest,
                                send_id=send_id,
                                subject=f"{due.subject}\n\n{due.body}"[:20_000],
                            )
                        )
                        view = ReminderView(**{**_fields(view), "send_id": send_id})
                    result.append(view)
        if deliver:
            for send_id in queued:
                deliver_send(self, send_id)
        return result

    @staticmethod
    def _policy(dossier: Any, seller: Seller, extra_rates: str = "") -> ReminderPolicy:
        cfg = dict(_settings(dossier).get("reminders") or {})
        kwargs: dict[str, Any] = {}
        if extra_rates:  # checked when the settings were loaded
            kwargs["rates"] = {**REFERENCE_RATES, **parse_reference_rates(extra_rates)}
        for key in ("first_after_days", "days_between"):
            if key in cfg:
                kwargs[key] = int(cfg[key])
        for key in ("consumer_damages_clause", "company_interest"):
            if key in cfg:
                kwargs[key] = bool(cfg[key])
        for key in ("consumer_reminder_fee", "postage", "company_flat_fee"):
            if key in cfg:
                kwargs[key] = Decimal(str(cfg[key]))
        return _core(
            ReminderPolicy,
            creditor_name=seller.name,
            creditor_enterprise_number=seller.enterprise_number,
            **kwargs,
        )


def _level(value: int) -> Any:
    from invoicing.reminders import ReminderLevel

    return ReminderLevel(value)


def _fields(view: ReminderView) -> dict[str, Any]:
    return {k: getattr(view, k) for k in view.__slots__}
