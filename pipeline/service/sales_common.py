"""What the sales capabilities (invoicing, sending, payments, reminders) share: the views,
input parsing, the access check of one invoice, the delivery channels and the delivery of
one send.  Not a capability: no public service method lives here.

The rules the sales capabilities keep, on the pure ``invoicing`` core:

* issuing allocates the dossier's next number in the bookyear inside the issuing
  transaction (the sequence row is locked), so a failed issue gives its number back;
* an issued invoice is never edited: it is corrected by a credit note (BT-25) that may
  not credit more than what remains of it;
* a send is stored (queued, with its message id) before anything leaves; delivering it
  again reuses that id (the access point deduplicates on it, a mail keeps its
  Message-ID), and a sent one is never sent again;
* a CODA file is imported whole or not at all; each matched movement is booked in the
  bank journal (:mod:`.bank_journal`), a movement imported before (in any file) is skipped,
  a movement in a locked period refuses the file with the reason.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from booking.amounts import plain_number
from invoicing import Adjustment, DraftLine, InvoicingError, IssuedInvoice, ItemKind, Seller
from invoicing import Customer as CoreCustomer
from invoicing import Item as CoreItem
from invoicing.reminders import OpenInvoice
from invoicing.serial import from_json
from pipeline.invoice_channels import Channel, ChannelError, MailRelay, Outgoing, PeppolAccessPoint
from pipeline.service.core import Permission, Refused, ServiceBase, ServiceError, UserView
from storage import NotFound, repo
from storage import invoicing as store
from storage.models import BankMovement, InvoiceSend, SalesInvoice, SalesItem, utcnow
from storage.models import Customer as CustomerRow

log = logging.getLogger("pipeline.service.invoicing")

__all__ = [
    "CodaReport",
    "CustomerView",
    "InvoiceDetail",
    "InvoiceRow",
    "ItemView",
    "MovementView",
    "OpenItemRow",
    "ReminderView",
    "SalesBase",
    "SendView",
    "deliver_send",
]

P = Permission
ZERO = Decimal("0.00")
MAX_SEND_ATTEMPTS = 8
#: a send in "sending" this recently is being delivered by another worker: left alone
#: (longer than a channel's timeouts; a delivery that crashed is taken up after it)
SENDING_LEASE = dt.timedelta(minutes=5)
MAX_CODA_BYTES = 50 * 1024 * 1024


# ----------------------------------------------------------------------------- views


@dataclass(frozen=True, slots=True)
class CustomerView:
    id: int
    dossier_id: int
    name: str
    country: str
    vat: str | None
    enterprise_number: str | None
    peppol_id: str | None
    email: str | None
    language: str
    payment_terms_days: int
    is_consumer: bool
    active: bool
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ItemView:
    id: int
    dossier_id: int
    description: str
    unit_price: Decimal
    vat_rate: Decimal | None
    unit: str
    kind: str
    exempt: bool
    account: str
    active: bool


@dataclass(frozen=True, slots=True)
class SendView:
    id: int
    channel: str
    purpose: str
    destination: str
    state: str
    reason: str | None
    message_id: str
    attempts: int
    warnings: tuple[str, ...]
    sent_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    id: int
    dossier_id: int
    kind: str
    state: str
    number: str | None
    customer_id: int | None
    customer_name: str
    issue_date: dt.date | None
    due_date: dt.date | None
    net_total: Decimal
    vat_total: Decimal
    total: Decimal
    paid_amount: Decimal
    open_amount: Decimal
    payment_state: str  # draft | unpaid | partial | paid | credit_note
    overdue: bool
    structured_communication: str | None
    credits_id: int | None
    document_id: int | None

    def as_dict(self) -> dict[str, Any]:
        return {k: _plain(getattr(self, k)) for k in self.__slots__}


@dataclass(frozen=True, slots=True)
class InvoiceDetail:
    row: InvoiceRow
    draft: dict[str, Any]
    lines: tuple[dict[str, Any], ...]
    tax_rows: tuple[dict[str, Any], ...]
    mentions: tuple[str, ...]
    has_pdf: bool
    has_ubl: bool
    sends: tuple[SendView, ...]
    payments: tuple[dict[str, Any], ...]
    credit_notes: tuple[int, ...]
    reminders: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class MovementView:
    id: int
    import_id: int
    line: int
    amount: Decimal
    value_date: dt.date | None
    counterparty_name: str | None
    counterparty_account: str | None
    structured_communication: str | None
    communication: str | None
    state: str
    entry_id: int | None = None  # the bank-journal entry booking it


@dataclass(frozen=True, slots=True)
class CodaReport:
    import_id: int
    statements: int
    movements: int
    matched: int
    unmatched: tuple[MovementView, ...]
    matches: tuple[dict[str, Any], ...]
    booked: int = 0  # bank-journal entries made (one per matched movement)
    already_imported: int = 0  # movements of the file imported before: skipped


@dataclass(frozen=True, slots=True)
class OpenItemRow:
    customer_key: str
    customer_name: str
    buckets: dict[str, Decimal]
    invoices: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class ReminderView:
    dossier_id: int
    invoice_id: int
    number: str
    level: int
    amount_due: Decimal
    fee: Decimal
    interest: Decimal
    subject: str
    body: str
    warnings: tuple[str, ...] = field(default=())
    send_id: int | None = None


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _customer_view(c: CustomerRow) -> CustomerView:
    d = c.data or {}
    return CustomerView(
        id=c.id,
        dossier_id=c.dossier_id,
        name=c.name,
        country=str(d.get("country", "")),
        vat=c.vat,
        enterprise_number=d.get("enterprise_number"),
        peppol_id=c.peppol_id,
        email=c.email,
        language=str(d.get("language", "nl")),
        payment_terms_days=int(d.get("payment_terms_days", 30)),
        is_consumer=bool(d.get("is_consumer", False)),
        active=c.active,
        data=dict(d),
    )


def _item_view(i: SalesItem) -> ItemView:
    core = from_json(CoreItem, i.data)
    return ItemView(
        id=i.id,
        dossier_id=i.dossier_id,
        description=core.description,
        unit_price=core.unit_price,
        vat_rate=core.vat_rate,
        unit=core.unit,
        kind=core.kind.value,
        exempt=core.exempt,
        account=core.account,
        active=i.active,
    )


def _send_view(r: InvoiceSend) -> SendView:
    return SendView(
        id=r.id,
        channel=r.channel,
        purpose=r.purpose,
        destination=r.destination,
        state=r.state,
        reason=r.reason,
        message_id=r.message_id,
        attempts=r.attempts,
        warnings=tuple(str(w) for w in (r.warnings or [])),
        sent_at=r.sent_at,
    )


def _open(inv: SalesInvoice) -> Decimal:
    if inv.state != "issued" or inv.kind != "invoice":
        return ZERO
    return max(Decimal(inv.total) - Decimal(inv.paid_amount), ZERO)


def _row(inv: SalesInvoice, today: dt.date | None = None) -> InvoiceRow:
    today = today or dt.date.today()
    open_amount = _open(inv)
    if inv.state != "issued":
        pstate = "draft"
    elif inv.kind == "credit_note":
        pstate = "credit_note"
    elif open_amount == 0:
        pstate = "paid"
    elif Decimal(inv.paid_amount) > 0:
        pstate = "partial"
    else:
        pstate = "unpaid"
    return InvoiceRow(
        id=inv.id,
        dossier_id=inv.dossier_id,
        kind=inv.kind,
        state=inv.state,
        number=inv.number,
        customer_id=inv.customer_id,
        customer_name=inv.customer_name,
        issue_date=inv.issue_date,
        due_date=inv.due_date,
        net_total=Decimal(inv.net_total),
        vat_total=Decimal(inv.vat_total),
        total=Decimal(inv.total),
        paid_amount=Decimal(inv.paid_amount),
        open_amount=open_amount,
        payment_state=pstate,
        overdue=bool(open_amount and inv.due_date and inv.due_date < today),
        structured_communication=inv.structured_communication,
        credits_id=inv.credits_id,
        document_id=inv.document_id,
    )


def _movement_view(m: BankMovement) -> MovementView:
    return MovementView(
        id=m.id,
        import_id=m.import_id,
        line=m.line,
        amount=Decimal(m.amount),
        value_date=m.value_date,
        counterparty_name=m.counterparty_name,
        counterparty_account=m.counterparty_account,
        structured_communication=m.structured_communication,
        communication=m.communication,
        state=m.state,
        entry_id=m.entry_id,
    )


# ----------------------------------------------------------------------------- input parsing


def _dec(value: Any, what: str) -> Decimal:
    try:
        result = Decimal(plain_number(str(value)))
    except (InvalidOperation, ValueError):
        raise Refused(f"{what}: {str(value)[:30]!r} is not a number") from None
    if not result.is_finite() or abs(result) >= Decimal("1e12"):
        raise Refused(f"{what}: out of range")
    return result


def _opt_dec(value: Any, what: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _dec(value, what)


def _date(value: Any, what: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise Refused(f"{what}: {str(value)[:30]!r} is not a date (YYYY-MM-DD)") from None


def _core(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call the invoicing core; its errors become a refusal with its reason."""
    try:
        return fn(*args, **kwargs)
    except InvoicingError as exc:
        raise Refused(str(exc)) from None
    except (TypeError, ValueError) as exc:
        raise Refused(f"invalid input: {exc}") from None


_CUSTOMER_FIELDS = (
    "name",
    "country",
    "street",
    "postal_code",
    "city",
    "language",
    "vat",
    "enterprise_number",
    "peppol_id",
    "email",
    "payment_terms_days",
    "is_consumer",
)


def _customer_from(fields: Mapping[str, Any]) -> CoreCustomer:
    unknown = set(fields) - set(_CUSTOMER_FIELDS)
    if unknown:
        raise Refused(f"unknown customer fields: {', '.join(sorted(unknown))}")
    kwargs = {k: v for k, v in fields.items() if v is not None}
    for key in ("vat", "enterprise_number", "peppol_id", "email"):
        if isinstance(kwargs.get(key), str) and not kwargs[key].strip():
            kwargs.pop(key)
    if "payment_terms_days" in kwargs:
        kwargs["payment_terms_days"] = int(kwargs["payment_terms_days"])
    return _core(CoreCustomer, **kwargs)


def _item_from(fields: Mapping[str, Any]) -> CoreItem:
    allowed = {
        "description",
        "unit_price",
        "vat_rate",
        "unit",
        "kind",
        "exempt",
        "revenue_account",
        "code",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise Refused(f"unknown item fields: {', '.join(sorted(unknown))}")
    kwargs = dict(fields)
    kwargs["unit_price"] = _dec(kwargs.get("unit_price", "0"), "unit price")
    if "vat_rate" in kwargs:
        kwargs["vat_rate"] = _opt_dec(kwargs["vat_rate"], "VAT rate")
    if "kind" in kwargs:
        kwargs["kind"] = _core(ItemKind, kwargs["kind"])
    return _core(CoreItem, **kwargs)


def _line_from(raw: Mapping[str, Any], item: CoreItem | None, n: int) -> DraftLine:
    what = f"line {n}"
    quantity = _dec(raw.get("quantity", "1"), f"{what} quantity")
    if item is not None:
        base = DraftLine.of(item, quantity)
        values: dict[str, Any] = {
            "description": base.description,
            "quantity": quantity,
            "unit_price": base.unit_price,
            "vat_rate": base.vat_rate,
            "unit": base.unit,
            "kind": base.kind,
            "exempt": base.exempt,
            "revenue_account": base.revenue_account,
        }
    else:
        values = {"vat_rate": None, "kind": ItemKind.SERVICES, "exempt": False}
        values["quantity"] = quantity
    if "description" in raw:
        values["description"] = str(raw["description"])
    if "unit_price" in raw:
        values["unit_price"] = _dec(raw["unit_price"], f"{what} unit price")
    if "vat_rate" in raw:
        values["vat_rate"] = _opt_dec(raw["vat_rate"], f"{what} VAT rate")
    for key in ("unit", "revenue_account"):
        if raw.get(key):
            values[key] = str(raw[key])
    if "kind" in raw:
        values["kind"] = _core(ItemKind, raw["kind"])
    if "exempt" in raw:
        values["exempt"] = bool(raw["exempt"])
    if "unit_price" not in values:
        raise Refused(f"{what}: a unit price is needed")
    if values.get("vat_rate") is None and not values.get("exempt"):
        raise Refused(f"{what}: no VAT rate (give vat_rate, or exempt for an exempt supply)")
    values.setdefault("description", "")
    return _core(DraftLine, **values)


def _adjustment_from(raw: Mapping[str, Any]) -> Adjustment:
    return _core(
        Adjustment,
        is_charge=bool(raw.get("is_charge", False)),
        reason=str(raw.get("reason", "")),
        amount=_opt_dec(raw.get("amount"), "adjustment amount"),
        percent=_opt_dec(raw.get("percent"), "adjustment percent"),
        vat_rate=_opt_dec(raw.get("vat_rate"), "adjustment VAT rate"),
    )


def _seller(dossier: Any) -> Seller:
    cfg = (dossier.settings or {}).get("invoicing") or {}
    raw = cfg.get("seller")
    if not raw:
        raise Refused(
            "this dossier has no invoicing details yet (address, enterprise number, IBAN, "
            "BIC): set them in the invoicing settings"
        )
    data = dict(raw)
    data.setdefault("name", dossier.name)
    if "vat" not in data:
        data["vat"] = dossier.vat_number
    return _core(from_json, Seller, data)


def _settings(dossier: Any) -> dict[str, Any]:
    return dict((dossier.settings or {}).get("invoicing") or {})


# ----------------------------------------------------------------------------- the service


class SalesBase(ServiceBase):
    """The access check of one sales invoice, the channels, the open invoices."""

    def _invoice(
        self, s: Any, user: UserView, invoice_id: int, permission: Permission, *, lock: bool = False
    ) -> SalesInvoice:
        missing = ServiceError(f"invoice {invoice_id} does not exist")
        try:
            inv = store.get_invoice(s, invoice_id, lock=lock)
        except NotFound:
            raise missing from None
        if P.VIEW not in self._permissions(s, user, inv.dossier_id):
            raise missing
        self._require(s, user, inv.dossier_id, permission)
        return inv

    def channels(self) -> dict[str, Channel]:
        st = self.rt.settings
        found: dict[str, Channel] = {}
        if st.peppol_ap_url and st.peppol_ap_token:
            found["peppol"] = PeppolAccessPoint(st.peppol_ap_url, st.peppol_ap_token)
        if st.outgoing_smtp_url:
            found["email"] = MailRelay(st.outgoing_smtp_url)
        return found

    def _open_invoices(self, s: Any, dossier_id: int) -> list[tuple[SalesInvoice, OpenInvoice]]:
        found = []
        for inv in store.list_invoices(
            s, [dossier_id], state="issued", kind="invoice", paid=False, limit=1_000_000
        ):
            open_amount = _open(inv)
            if open_amount <= 0 or inv.issued is None:
                continue
            issued = from_json(IssuedInvoice, inv.issued)
            c = issued.customer
            found.append(
                (
                    inv,
                    OpenInvoice(
                        key=str(inv.id),
                        number=inv.number or "",
                        customer_key=str(inv.customer_id),
                        customer_name=c.name,
                        is_consumer=c.is_consumer,
                        language=c.language,
                        issue_date=issued.issue_date,
                        due_date=issued.due_date,
                        total=Decimal(inv.total),
                        open_amount=open_amount,
                        structured_communication=issued.structured_communication,
                    ),
                )
            )
        return found


def _plain_tree(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_tree(v) for v in value]
    return _plain(value)


# ----------------------------------------------------------------------------- delivery


def deliver_send(svc: SalesBase, send_id: int) -> str:
    """Deliver one queued send; returns its state afterwards.  Idempotent: a sent one is
    left alone, and a retry reuses the stored message id (see the module doc)."""
    rt = svc.rt
    with rt.tx() as s:
        row = store.get_send(s, send_id, lock=True)
        if row.state in ("sent", "failed"):
            return row.state
        if row.state == "sending":
            since = row.updated_at
            if since.tzinfo is None:
                since = since.replace(tzinfo=dt.UTC)
            if utcnow() - since < SENDING_LEASE:
                return row.state  # another delivery is under way: never two at once
        inv = store.get_invoice(s, row.invoice_id)
        issued = from_json(IssuedInvoice, inv.issued) if inv.issued else None
        if issued is None:
            row.state, row.reason = "failed", "the invoice is not issued"
            return row.state
        channel = svc.channels().get(row.channel)
        if channel is None:
            row.reason = f"channel {row.channel} is not configured; waiting"
            return row.state
        row.state = "sending"
        row.attempts += 1
        cfg = _settings(repo.get_dossier(s, inv.dossier_id))
        pdf_sha, ubl_sha = inv.pdf_sha256, inv.ubl_sha256
        subject, body = _texts(row, issued)
        if row.purpose == "reminder":
            reminder = store.reminder_of_send(s, row.id)
            if reminder is not None and reminder.subject:
                subject, _, body = reminder.subject.partition("\n\n")
        item = Outgoing(
            message_id=row.message_id,
            recipient=row.destination,
            number=inv.number or "",
            sender_name=issued.seller.name,
            sender_email=issued.seller.email or f"invoices@{rt.settings.mail_domain}",
            subject=subject,
            body=body,
            pdf=None,
            ubl=None,
            sender_ref=cfg.get("peppol_sender_ref"),
        )
        attempts = row.attempts
    # committed: state "sending" and the message id are stored before anything leaves
    pdf = rt.blobs.get(pdf_sha) if pdf_sha else None
    ubl = rt.blobs.get(ubl_sha) if ubl_sha else None
    if item.recipient and channel.name == "peppol":
        item = _replace(item, ubl=ubl)
    else:
        item = _replace(item, pdf=pdf, ubl=ubl)
    try:
        provider_id = channel.send(item)
        error: ChannelError | None = None
    except ChannelError as exc:
        provider_id, error = None, exc
    with rt.tx() as s:
        row = store.get_send(s, send_id, lock=True)
        if row.state == "sent":
            return "sent"
        if error is None:
            row.state, row.reason = "sent", None
            row.provider_id = provider_id
            row.sent_at = utcnow()
            repo.audit(
                s,
                "invoice_sent",
                dossier_id=row.dossier_id,
                invoice_id=row.invoice_id,
                channel=row.channel,
                message_id=row.message_id,
            )
        elif not error.retry or attempts >= MAX_SEND_ATTEMPTS:
            row.state, row.reason = "failed", error.reason
        else:
            row.state, row.reason = "queued", f"will retry: {error.reason}"
        log.info("send %s of invoice %s: %s", send_id, row.invoice_id, row.state)
        return row.state


def _replace(item: Outgoing, **changes: Any) -> Outgoing:
    import dataclasses

    return dataclasses.replace(item, **changes)


def _texts(row: InvoiceSend, issued: IssuedInvoice) -> tuple[str, str]:
    from invoicing.texts import fmt_date, fmt_money

    lang = issued.customer.language
    if row.purpose == "reminder":
        return f"Reminder {issued.number}", "Please find attached the invoice that is still open."
    what = "Credit note" if issued.is_credit_note else "Invoice"
    body = (
        f"{what} {issued.number} of {fmt_date(issued.issue_date, lang)} from "
        f"{issued.seller.name}: {fmt_money(issued.totals.payable, lang)} EUR, due "
        f"{fmt_date(issued.due_date, lang)}, structured communication "
        f"{issued.structured_communication}.\n\nThe PDF and the e-invoice (UBL, Peppol BIS "
        "3.0) are attached."
    )
    return f"{what} {issued.number} - {issued.seller.name}", body
