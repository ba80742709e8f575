"""Sales invoicing: customers, items, drafts, issuing, credit notes, sending, payments,
CODA, reminders and the sales booking proposal, on the pure ``invoicing`` core.

Rules kept here:

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

import csv
import datetime as dt
import io
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from booking.amounts import plain_number
from invoicing import (
    Adjustment,
    CodaError,
    DraftLine,
    InvoiceDraft,
    InvoicingError,
    IssuedInvoice,
    ItemKind,
    Seller,
    VatCase,
    compute_totals,
    credit_note_draft,
    parse_coda,
    render_outputs,
)
from invoicing import Customer as CoreCustomer
from invoicing import Item as CoreItem
from invoicing import issue as core_issue
from invoicing.matching import OpenItem, match_payments
from invoicing.numbering import parse_ogm
from invoicing.reminders import OpenInvoice, ReminderPolicy, SentReminder, ageing, reminders_due
from invoicing.serial import from_json, to_json
from pipeline.invoice_channels import (
    Channel,
    ChannelError,
    MailRelay,
    Outgoing,
    PeppolAccessPoint,
)
from pipeline.service import bank_journal as bank
from pipeline.service.core import Permission, Refused, ServiceBase, ServiceError, UserView, requires
from pipeline.service.views import EntryView, entry_view
from pipeline.warmup import settle_once
from storage import NotFound, repo
from storage import bank_journal as bank_store
from storage import entries as entries_store
from storage import invoicing as store
from storage.models import (
    BankMovement,
    CodaImport,
    InvoiceSend,
    ReminderSent,
    SalesInvoice,
    SalesItem,
    utcnow,
)
from storage.models import Customer as CustomerRow

log = logging.getLogger("pipeline.service.invoicing")

__all__ = [
    "CodaReport",
    "CustomerView",
    "InvoiceDetail",
    "InvoiceRow",
    "InvoicingService",
    "ItemView",
    "MovementView",
    "OpenItemRow",
    "ReminderView",
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


class InvoicingService(ServiceBase):
    """Sales invoicing for entrepreneurs and accountants (permission ``invoice``)."""

    # -- settings -------------------------------------------------------------------------
    @requires(P.INVOICE)
    def invoicing_settings(self, user: UserView, dossier_id: int) -> dict[str, Any]:
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            return _settings(repo.get_dossier(s, dossier_id))

    @requires(P.INVOICE)
    def set_invoicing_settings(
        self,
        user: UserView,
        dossier_id: int,
        *,
        seller: Mapping[str, Any] | None = None,
        prefix: str | None = None,
        auto_book: bool | None = None,
        reminders: Mapping[str, Any] | None = None,
        peppol_sender_ref: str | None = None,
    ) -> dict[str, Any]:
        """Seller details (address, enterprise number, IBAN, BIC, logo...), the number
        prefix, automatic booking of issued invoices, the reminder policy."""
        from invoicing.numbering import format_number

        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            d = repo.get_dossier(s, dossier_id)
            cfg = _settings(d)
            if seller is not None:
                data = {"name": d.name, "vat": d.vat_number, **dict(seller)}
                cfg["seller"] = to_json(_core(from_json, Seller, data))
            if prefix is not None:
                _core(format_number, prefix, 2026, 1)
                cfg["prefix"] = prefix
            if auto_book is not None:
                if auto_book:
                    self._require(s, user, dossier_id, P.BOOK_SALES)
                cfg["auto_book"] = bool(auto_book)
            if reminders is not None:
                cfg["reminders"] = {k: _plain(v) for k, v in reminders.items()}
            if peppol_sender_ref is not None:
                cfg["peppol_sender_ref"] = peppol_sender_ref
            d.settings = {**(d.settings or {}), "invoicing": cfg}
            repo.audit(s, "invoicing_settings", user_id=user.id, dossier_id=dossier_id)
            return cfg

    # -- customers ------------------------------------------------------------------------
    @requires(P.INVOICE)
    def customers(
        self, user: UserView, dossier_id: int, *, include_inactive: bool = False
    ) -> list[CustomerView]:
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            rows = store.list_customers(s, dossier_id, include_inactive=include_inactive)
            return [_customer_view(c) for c in rows]

    @requires(P.INVOICE)
    def customer(self, user: UserView, dossier_id: int, customer_id: int) -> CustomerView:
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            return _customer_view(self._customer(s, dossier_id, customer_id))

    def _customer(self, s: Any, dossier_id: int, customer_id: int) -> CustomerRow:
        try:
            return store.get_customer(s, dossier_id, customer_id)
        except NotFound as exc:
            raise ServiceError(str(exc)) from None

    @requires(P.INVOICE)
    def create_customer(
        self, user: UserView, dossier_id: int, fields: Mapping[str, Any]
    ) -> CustomerView:
        """A new customer; VAT, enterprise number and Peppol id are checked."""
        core = _customer_from(fields)
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            row = self._store_customer(s, dossier_id, core)
            return _customer_view(row)

    def _store_customer(self, s: Any, dossier_id: int, core: CoreCustomer) -> CustomerRow:
        row = CustomerRow(
            dossier_id=dossier_id,
            name=core.name,
            vat=core.vat,
            peppol_id=core.peppol_id,
            email=core.email,
            data=to_json(core),
            active=True,
        )
        s.add(row)
        s.flush()
        return row

    @requires(P.INVOICE)
    def update_customer(
        self, user: UserView, dossier_id: int, customer_id: int, fields: Mapping[str, Any]
    ) -> CustomerView:
        """Change a customer (issued invoices keep the customer as it was)."""
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            row = self._customer(s, dossier_id, customer_id)
            merged = {**(row.data or {}), **dict(fields)}
            core = _customer_from(merged)
            row.name, row.vat, row.peppol_id, row.email = (
                core.name,
                core.vat,
                core.peppol_id,
                core.email,
            )
            row.data = to_json(core)
            return _customer_view(row)

    @requires(P.INVOICE)
    def delete_customer(self, user: UserView, dossier_id: int, customer_id: int) -> None:
        """Deactivate a customer (kept for the invoices that name it)."""
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            self._customer(s, dossier_id, customer_id).active = False

    @requires(P.INVOICE)
    def import_customers(
        self, user: UserView, dossier_id: int, data: bytes
    ) -> tuple[list[CustomerView], list[tuple[int, str]]]:
        """Import a customer CSV: the valid rows are added, each bad row is reported
        with its line (``(line, reason)``)."""
        from invoicing.customers_csv import parse_customers_csv

        result = _core(parse_customers_csv, data)
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            added = [
                _customer_view(self._store_customer(s, dossier_id, c)) for _, c in result.customers
            ]
            repo.audit(
                s, "customers_imported", user_id=user.id, dossier_id=dossier_id, count=len(added)
            )
        return added, [(int(line), str(reason)) for line, reason in result.errors]

    @requires(P.INVOICE)
    def export_customers_csv(self, user: UserView, dossier_id: int) -> str:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["name", "country", "vat", "peppol_id", "email", "language"])
        for c in self.customers(user, dossier_id):
            writer.writerow(
                [c.name, c.country, c.vat or "", c.peppol_id or "", c.email or "", c.language]
            )
        return out.getvalue()

    # -- items ----------------------------------------------------------------------------
    @requires(P.INVOICE)
    def items(self, user: UserView, dossier_id: int) -> list[ItemView]:
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            return [_item_view(i) for i in store.list_items(s, dossier_id)]

    @requires(P.INVOICE)
    def create_item(self, user: UserView, dossier_id: int, fields: Mapping[str, Any]) -> ItemView:
        core = _item_from(fields)
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            row = SalesItem(dossier_id=dossier_id, description=core.description, data=to_json(core))
            s.add(row)
            s.flush()
            return _item_view(row)

    @requires(P.INVOICE)
    def update_item(
        self, user: UserView, dossier_id: int, item_id: int, fields: Mapping[str, Any]
    ) -> ItemView:
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            row = self._item(s, dossier_id, item_id)
            core = _item_from({**(row.data or {}), **dict(fields)})
            row.description, row.data = core.description, to_json(core)
            return _item_view(row)

    @requires(P.INVOICE)
    def delete_item(self, user: UserView, dossier_id: int, item_id: int) -> None:
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            self._item(s, dossier_id, item_id).active = False

    def _item(self, s: Any, dossier_id: int, item_id: int) -> SalesItem:
        try:
            return store.get_item(s, dossier_id, item_id)
        except NotFound as exc:
            raise ServiceError(str(exc)) from None

    # -- drafts ---------------------------------------------------------------------------
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

    def _build_draft(
        self, s: Any, dossier_id: int, spec: Mapping[str, Any]
    ) -> tuple[InvoiceDraft, int, list[int | None]]:
        try:
            customer_id = int(spec["customer_id"])
        except (KeyError, TypeError, ValueError):
            raise Refused("the invoice needs a customer (customer_id)") from None
        crow = self._customer(s, dossier_id, customer_id)
        customer = _core(from_json, CoreCustomer, crow.data)
        raw_lines = spec.get("lines") or []
        if not isinstance(raw_lines, list) or not raw_lines:
            raise Refused("the invoice needs at least one line")
        lines: list[DraftLine] = []
        item_ids: list[int | None] = []
        for n, raw in enumerate(raw_lines, start=1):
            if not isinstance(raw, Mapping):
                raise Refused(f"line {n}: expected an object")
            item = None
            item_id = raw.get("item_id")
            if item_id is not None:
                item = from_json(CoreItem, self._item(s, dossier_id, int(item_id)).data)
            lines.append(_line_from(raw, item, n))
            item_ids.append(int(item_id) if item_id is not None else None)
        case = _core(VatCase, spec.get("vat_case", VatCase.DOMESTIC.value))
        draft = _core(
            InvoiceDraft,
            customer=customer,
            lines=tuple(lines),
            vat_case=case,
            adjustments=tuple(_adjustment_from(a) for a in spec.get("adjustments") or ()),
            issue_date=_date(spec.get("issue_date"), "issue date"),
            delivery_date=_date(spec.get("delivery_date"), "delivery date"),
            buyer_reference=spec.get("buyer_reference") or None,
            order_reference=spec.get("order_reference") or None,
            note=spec.get("note") or None,
        )
        return draft, customer_id, item_ids

    def _save_draft(
        self, s: Any, inv: SalesInvoice, draft: InvoiceDraft, item_ids: Sequence[int | None]
    ) -> None:
        seller = _seller(repo.get_dossier(s, inv.dossier_id))
        totals = _core(compute_totals, draft, seller)
        inv.draft = to_json(draft)
        inv.customer_name = draft.customer.name
        inv.net_total = totals.tax_exclusive
        inv.vat_total = totals.vat
        inv.total = totals.payable
        s.flush()
        store.replace_lines(
            s,
            inv.id,
            [
                {
                    "item_id": item_id,
                    "description": ln.description,
                    "quantity": ln.quantity,
                    "unit_price": ln.unit_price,
                    "vat_rate": ln.vat_rate,
                    "net": ln.net,
                    "account": ln.account,
                }
                for ln, item_id in zip(draft.lines, item_ids, strict=True)
            ],
        )

    @requires(P.INVOICE)
    def create_draft(self, user: UserView, dossier_id: int, spec: Mapping[str, Any]) -> InvoiceRow:
        """A new draft invoice from ``spec``: ``customer_id``, ``lines`` (each ``item_id``
        and/or ``description``, ``quantity``, ``unit_price``, ``vat_rate``, ``exempt``,
        ``kind``, ``unit``, ``revenue_account``), ``vat_case``, ``adjustments``,
        ``issue_date``, ``delivery_date``, ``buyer_reference``, ``order_reference``, ``note``.
        Totals are computed (and the VAT case checked) on every save."""
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            draft, customer_id, item_ids = self._build_draft(s, dossier_id, spec)
            inv = SalesInvoice(
                dossier_id=dossier_id,
                customer_id=customer_id,
                kind="invoice",
                state="draft",
                created_by=user.id,
            )
            s.add(inv)
            s.flush()
            self._save_draft(s, inv, draft, item_ids)
            return _row(inv)

    @requires(P.INVOICE)
    def update_draft(self, user: UserView, invoice_id: int, spec: Mapping[str, Any]) -> InvoiceRow:
        """Replace a draft's content; an issued invoice is refused (credit it instead)."""
        with self.rt.tx() as s:
            inv = self._invoice(s, user, invoice_id, P.INVOICE, lock=True)
            self._refuse_issued(inv)
            if inv.kind == "credit_note":
                raise Refused("a credit note draft is changed by deleting and crediting again")
            draft, customer_id, item_ids = self._build_draft(s, inv.dossier_id, spec)
            inv.customer_id = customer_id
            self._save_draft(s, inv, draft, item_ids)
            return _row(inv)

    @requires(P.INVOICE)
    def delete_draft(self, user: UserView, invoice_id: int) -> None:
        with self.rt.tx() as s:
            inv = self._invoice(s, user, invoice_id, P.INVOICE, lock=True)
            self._refuse_issued(inv)
            store.replace_lines(s, inv.id, [])
            s.delete(inv)

    @staticmethod
    def _refuse_issued(inv: SalesInvoice) -> None:
        if inv.state != "draft":
            raise Refused(
                f"invoice {inv.number} is issued and cannot be changed; correct it with a "
                "credit note"
            )

    @requires(P.INVOICE)
    def preview_totals(
        self, user: UserView, dossier_id: int, spec: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Live totals of a draft being edited (nothing stored)."""
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            draft, _, _ = self._build_draft(s, dossier_id, spec)
            totals = _core(compute_totals, draft, _seller(repo.get_dossier(s, dossier_id)))
            return _plain_tree(to_json(totals))

    # -- issuing --------------------------------------------------------------------------
    @requires(P.INVOICE)
    def issue(self, user: UserView, invoice_id: int, *, today: dt.date | None = None) -> InvoiceRow:
        """Fix the number, render and validate the PDF and the UBL, store both: all in one
        transaction, so a refused or failed issue leaves the draft and the number free."""
        with self.rt.tx() as s:
            inv = self._invoice(s, user, invoice_id, P.INVOICE, lock=True)
            if inv.state == "issued":
                return _row(inv)  # issuing twice is issuing once
            dossier = repo.get_dossier(s, inv.dossier_id)
            seller = _seller(dossier)
            cfg = _settings(dossier)
            draft = _core(from_json, InvoiceDraft, inv.draft)
            day = draft.issue_date or today or dt.date.today()
            remaining = None
            if inv.kind == "credit_note":
                original = store.get_invoice(s, int(inv.credits_id or 0), lock=True)
                remaining = Decimal(original.total) - store.credited_total(s, original.id)
            _core(compute_totals, draft, seller)  # refuse a bad draft before numbering
            sequence = store.allocate_number(s, inv.dossier_id, day.year)
            issued = _core(
                core_issue,
                draft,
                seller,
                dossier_id=inv.dossier_id,
                sequence=sequence,
                issue_date=day,
                prefix=str(cfg.get("prefix", "")),
                remaining_to_credit=remaining,
            )
            out = render_outputs(issued)
            if out.fatal:
                first = out.fatal[0]
                raise Refused(f"the UBL fails validation ({first.rule_id}): {first.message}")
            pdf_ref = self.rt.blobs.put(out.pdf)
            repo.register_blob(s, inv.dossier_id, pdf_ref)
            inv.pdf_sha256 = pdf_ref.sha256
            if out.ubl is not None:
                ubl_ref = self.rt.blobs.put(out.ubl)
                repo.register_blob(s, inv.dossier_id, ubl_ref)
                inv.ubl_sha256 = ubl_ref.sha256
            inv.state = "issued"
            inv.issued = to_json(issued)
            inv.number = issued.number
            inv.bookyear = issued.bookyear
            inv.sequence = issued.sequence
            inv.issue_date = issued.issue_date
            inv.due_date = issued.due_date
            inv.structured_communication = parse_ogm(issued.structured_communication)
            inv.net_total = issued.totals.tax_exclusive
            inv.vat_total = issued.totals.vat
            inv.total = issued.totals.payable
            inv.issued_by = user.id
            inv.issued_at = utcnow()
            if inv.kind == "credit_note" and inv.credits_id is not None:
                store.add_payment(
                    s,
                    dossier_id=inv.dossier_id,
                    invoice_id=inv.credits_id,
                    amount=issued.totals.payable,
                    date=day,
                    source="credit_note",
                    rule=issued.number,
                    created_by=user.id,
                )
            repo.audit(
                s,
                "invoice_issued",
                user_id=user.id,
                dossier_id=inv.dossier_id,
                invoice_id=inv.id,
                number=issued.number,
            )
            s.flush()
            if cfg.get("auto_book"):
                self._book(s, inv, issued, out.ubl or out.pdf, auto=True)
            row = _row(inv)
        # the first issue built the renderer's and validator's caches: later garbage
        # collections leave them alone (pipeline.warmup)
        settle_once()
        return row

    @requires(P.INVOICE)
    def credit_note(
        self,
        user: UserView,
        invoice_id: int,
        *,
        lines: Sequence[Mapping[str, Any]] | None = None,
        note: str | None = None,
    ) -> InvoiceRow:
        """A credit-note draft for an issued invoice (all its lines, or ``lines``);
        issue it with :meth:`issue`.  More than what remains of the invoice is refused."""
        with self.rt.tx() as s:
            original = self._invoice(s, user, invoice_id, P.INVOICE, lock=True)
            if original.state != "issued" or original.kind != "invoice":
                raise Refused("only an issued invoice can be credited")
            issued = _core(from_json, IssuedInvoice, original.issued)
            chosen: tuple[DraftLine, ...] = ()
            if lines:
                chosen = tuple(_line_from(raw, None, n) for n, raw in enumerate(lines, 1))
            draft = _core(credit_note_draft, issued, chosen, note)
            totals = _core(compute_totals, draft, issued.seller)
            remaining = Decimal(original.total) - store.credited_total(s, original.id)
            if totals.payable > remaining:
                raise Refused(
                    f"credit note of {totals.payable} EUR is more than the {remaining} EUR "
                    f"that remains of invoice {original.number}"
                )
            cn = SalesInvoice(
                dossier_id=original.dossier_id,
                customer_id=original.customer_id,
                kind="credit_note",
                state="draft",
                credits_id=original.id,
                created_by=user.id,
            )
            s.add(cn)
            s.flush()
            self._save_draft(s, cn, draft, [None] * len(draft.lines))
            return _row(cn)

    # -- queries --------------------------------------------------------------------------
    @requires(P.INVOICE)
    def invoices(
        self,
        user: UserView,
        dossier_id: int | None = None,
        *,
        state: str | None = None,
        paid: bool | None = None,
        overdue: bool = False,
        customer_id: int | None = None,
        kind: str | None = None,
        today: dt.date | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[InvoiceRow]:
        """Invoices and credit notes, newest first; ``state`` draft/issued, ``paid``
        True/False, ``overdue`` (unpaid past the due date)."""
        day = today or dt.date.today()
        with self.rt.tx() as s:
            if dossier_id is not None:
                self._require(s, user, dossier_id, P.INVOICE)
                ids: list[int] | None = [dossier_id]
            else:
                ids = self._dossier_ids(s, user)
                if ids is not None:
                    ids = [d for d in ids if P.INVOICE in self._permissions(s, user, d)]
            rows = store.list_invoices(
                s,
                ids,
                state=state,
                paid=paid,
                overdue_on=day if overdue else None,
                customer_id=customer_id,
                kind=kind,
                limit=min(limit, 1000),
                offset=offset,
            )
            return [_row(r, day) for r in rows]

    @requires(P.INVOICE)
    def invoice(self, user: UserView, invoice_id: int) -> InvoiceDetail:
        with self.rt.tx() as s:
            inv = self._invoice(s, user, invoice_id, P.INVOICE)
            issued = from_json(IssuedInvoice, inv.issued) if inv.issued else None
            draft = issued.draft if issued else from_json(InvoiceDraft, inv.draft)
            totals = issued.totals if issued else None
            if totals is None:
                try:
                    totals = compute_totals(draft, _seller(repo.get_dossier(s, inv.dossier_id)))
                except (InvoicingError, ServiceError):
                    totals = None  # an incomplete draft shows no totals
            return InvoiceDetail(
                row=_row(inv),
                draft=_plain_tree(inv.draft),
                lines=tuple(_plain_tree(to_json(ln)) for ln in draft.lines),
                tax_rows=tuple(_plain_tree(to_json(r)) for r in (totals.rows if totals else ())),
                mentions=issued.mentions if issued else (),
                has_pdf=inv.pdf_sha256 is not None,
                has_ubl=inv.ubl_sha256 is not None,
                sends=tuple(_send_view(r) for r in store.sends_of(s, inv.id)),
                payments=tuple(
                    {
                        "id": p.id,
                        "amount": _plain(p.amount),
                        "date": _plain(p.date),
                        "source": p.source,
                        "rule": p.rule,
                    }
                    for p in store.list_payments(s, inv.dossier_id, invoice_id=inv.id)
                ),
                credit_notes=tuple(store.credit_notes_of(s, inv.id)),
                reminders=tuple(
                    {"level": r.level, "sent_on": _plain(r.sent_on), "subject": r.subject}
                    for r in store.list_reminders(s, [inv.id])
                ),
            )

    @requires(P.INVOICE)
    def invoice_pdf(self, user: UserView, invoice_id: int) -> tuple[bytes, str]:
        """The PDF of an issued invoice (a draft gets a preview render, not stored)."""
        with self.rt.tx() as s:
            inv = self._invoice(s, user, invoice_id, P.INVOICE)
            sha, number = inv.pdf_sha256, inv.number
            if sha is None:
                from invoicing.issue import issue as preview_issue
                from invoicing.pdf import render_pdf

                draft = _core(from_json, InvoiceDraft, inv.draft)
                seller = _seller(repo.get_dossier(s, inv.dossier_id))
                day = draft.issue_date or dt.date.today()
                preview = _core(
                    preview_issue,
                    draft,
                    seller,
                    dossier_id=inv.dossier_id,
                    sequence=1,
                    issue_date=day,
                    prefix="DRAFT",
                    remaining_to_credit=Decimal(inv.total),
                )
                return render_pdf(preview), f"draft-{inv.id}.pdf"
        return self.rt.blobs.get(sha), f"{number}.pdf"

    @requires(P.INVOICE)
    def invoice_ubl(self, user: UserView, invoice_id: int) -> tuple[bytes, str]:
        with self.rt.tx() as s:
            inv = self._invoice(s, user, invoice_id, P.INVOICE)
            if inv.ubl_sha256 is None:
                raise Refused("this invoice has no UBL (a draft, or a customer without Peppol id)")
            sha, number = inv.ubl_sha256, inv.number
        return self.rt.blobs.get(sha), f"{number}.xml"

    # -- sending --------------------------------------------------------------------------
    def channels(self) -> dict[str, Channel]:
        st = self.rt.settings
        found: dict[str, Channel] = {}
        if st.peppol_ap_url and st.peppol_ap_token:
            found["peppol"] = PeppolAccessPoint(st.peppol_ap_url, st.peppol_ap_token)
        if st.outgoing_smtp_url:
            found["email"] = MailRelay(st.outgoing_smtp_url)
        return found

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

    # -- payments -------------------------------------------------------------------------
    @requires(P.MANAGE_PAYMENTS)
    def mark_paid(
        self,
        user: UserView,
        invoice_id: int,
        amount: Decimal | str | None = None,
        *,
        date: dt.date | None = None,
    ) -> InvoiceRow:
        """Record a payment by hand: the whole open amount, or ``amount`` (partly paid)."""
        with self.rt.tx() as s:
            inv = self._invoice(s, user, invoice_id, P.MANAGE_PAYMENTS, lock=True)
            if inv.state != "issued" or inv.kind != "invoice":
                raise Refused("only an issued invoice can be paid")
            open_amount = _open(inv)
            value = open_amount if amount is None else _dec(amount, "amount")
            if value <= 0:
                raise Refused("a payment must be more than zero")
            if value > open_amount:
                raise Refused(f"{value} EUR is more than the {open_amount} EUR still open")
            store.add_payment(
                s,
                dossier_id=inv.dossier_id,
                invoice_id=inv.id,
                amount=value,
                date=date or dt.date.today(),
                source="manual",
                created_by=user.id,
            )
            s.refresh(inv)
            repo.audit(
                s,
                "invoice_paid",
                user_id=user.id,
                dossier_id=inv.dossier_id,
                invoice_id=inv.id,
                amount=_plain(value),
            )
            return _row(inv)

    @requires(P.MANAGE_PAYMENTS)
    def import_coda(
        self, user: UserView, dossier_id: int, data: bytes, *, filename: str | None = None
    ) -> CodaReport:
        """Import a CODA statement file in one transaction: movements matched on the
        structured communication and amount to open sales invoices and booked purchase
        entries, each matched one booked in the bank journal; the rest listed for manual
        matching or booking.  A bad file, or a movement in a locked period, is refused with
        its line number and nothing of it is stored.  Movements imported before (the same
        statement in another file) are skipped: nothing is paid or booked twice."""
        with self.rt.tx() as s:  # the right first, then the file
            self._require(s, user, dossier_id, P.MANAGE_PAYMENTS)
        if len(data) > MAX_CODA_BYTES:
            raise Refused("the CODA file is larger than 50 MB")
        try:
            parsed = parse_coda(data)
        except CodaError as exc:
            raise Refused(f"CODA file refused, nothing imported: {exc}") from None
        ref = self.rt.blobs.put(data)
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.MANAGE_PAYMENTS)
            earlier = store.find_coda_import(s, dossier_id, ref.sha256)
            if earlier is not None:
                raise Refused(f"this CODA file was imported already (import {earlier.id})")
            repo.register_blob(s, dossier_id, ref)
            imp = CodaImport(
                dossier_id=dossier_id,
                sha256=ref.sha256,
                filename=filename,
                statements=len(parsed.statements),
                imported_by=user.id,
            )
            keyed = [
                (bank.movement_key(st, mv), mv) for st in parsed.statements for mv in st.movements
            ]
            known = bank_store.known_keys(s, dossier_id, (k for k, _ in keyed))
            keys = {id(mv): k for k, mv in keyed}
            fresh: list[Any] = []
            for k, mv in keyed:  # imported before, or twice in this file: once
                if k not in known:
                    known.add(k)
                    fresh.append(mv)
            movements = tuple(fresh)
            dossier = entries_store.lock_dossier(s, dossier_id)
            locked = bank.lock_problems(
                dossier,
                [(mv.line, mv.value_date or mv.entry_date or dt.date.today()) for mv in movements],
            )
            if locked:
                raise bank.refusal(locked, "CODA file refused, nothing imported: ")
            s.add(imp)
            s.flush()
            items = self._open_items(s, dossier_id)
            result = match_payments(movements, items.values())
            matched = {id(m.movement) for m in result.matches}
            ids = store.insert_movements(
                s,
                [
                    {
                        "dossier_id": dossier_id,
                        "import_id": imp.id,
                        "line": mv.line,
                        "amount": mv.amount,
                        "value_date": mv.value_date or mv.entry_date,
                        "counterparty_name": (mv.counterparty_name or "")[:300] or None,
                        "counterparty_account": (mv.counterparty_account or "")[:64] or None,
                        "structured_communication": mv.ogm,
                        "communication": mv.free_communication,
                        "state": "matched" if id(mv) in matched else "unmatched",
                        "movement_key": keys[id(mv)],
                    }
                    for mv in movements
                ],
            )
            matches = []
            payments: list[dict[str, Any]] = []
            paid: dict[int, Decimal] = {}
            for m in result.matches:
                mv = m.movement
                target = items[m.item.key]
                sales = m.item.side == "sales"
                payments.append(
                    {
                        "dossier_id": dossier_id,
                        "invoice_id": target if sales else None,
                        "entry_id": None if sales else target,
                        "movement_id": ids[mv.line],
                        "amount": m.amount,
                        "date": mv.value_date or mv.entry_date or dt.date.today(),
                        "source": "coda",
                        "rule": m.rule,
                        "created_by": user.id,
                        "created_at": utcnow(),
                    }
                )
                if sales:
                    paid[target] = paid.get(target, ZERO) + m.amount
                matches.append(
                    {
                        "line": mv.line,
                        "side": m.item.side,
                        "target": target,
                        "amount": _plain(m.amount),
                        "kind": str(m.kind),
                        "rule": m.rule,
                    }
                )
            store.insert_payments(s, payments, paid)
            booked = self._book_matches(s, user, dossier, result.matches, items, ids)
            imp.movements = len(movements)
            imp.matched = len(result.matches)
            repo.audit(
                s,
                "coda_imported",
                user_id=user.id,
                dossier_id=dossier_id,
                import_id=imp.id,
                movements=len(movements),
                matched=len(result.matches),
                booked=booked,
                already_imported=len(keyed) - len(movements),
            )
            return CodaReport(
                import_id=imp.id,
                statements=len(parsed.statements),
                movements=len(movements),
                matched=len(result.matches),
                unmatched=tuple(
                    _movement_view(r)
                    for r in store.list_movements(s, dossier_id, import_id=imp.id, limit=10**6)
                ),
                matches=tuple(matches),
                booked=booked,
                already_imported=len(keyed) - len(movements),
            )

    def _book_matches(
        self,
        s: Any,
        user: UserView,
        dossier: Any,
        matches: Sequence[Any],
        items: _Items,
        ids: dict[int, int],
    ) -> int:
        """Book each matched movement in the bank journal, linked to what it settles."""
        sales = {items[m.item.key] for m in matches if m.item.side == "sales"}
        invoices = bank_store.sales_invoices(s, sales)
        _, receivable = bank_store.entry_accounts(
            s, document_ids=(i.document_id for i in invoices.values() if i.document_id), prefix="40"
        )
        purchases = {items[m.item.key] for m in matches if m.item.side != "sales"}
        payable, _ = bank_store.entry_accounts(s, entry_ids=purchases, prefix="44")
        rows = (
            {e.id: e for e in store.open_purchase_entries(s, dossier.id) if e.id in purchases}
            if purchases
            else {}
        )
        postings: list[bank.BankPosting] = []
        for m in matches:
            mv, target = m.movement, items[m.item.key]
            who = (mv.counterparty_name or "").strip()[:100]
            if m.item.side == "sales":
                inv = invoices[target]
                account = receivable.get(inv.document_id or 0, bank.CUSTOMERS)
                number, supplier_id = inv.number or f"#{inv.id}", None
                what = f"payment of sales invoice {number}"
            else:
                entry = rows.get(target)
                account = payable.get(target, bank.SUPPLIERS)
                number = (entry.document_number if entry else None) or f"entry {target}"
                supplier_id = entry.supplier_id if entry else None
                what = f"payment of purchase {number}"
            postings.append(
                bank.BankPosting(
                    date=mv.value_date or mv.entry_date or dt.date.today(),
                    amount=mv.amount,
                    account=account,
                    description=f"{what} {who}".strip(),
                    reason=f"CODA line {mv.line}: {what} ({m.rule}, {m.kind})",
                    line=mv.line,
                    document_number=number,
                    supplier_id=supplier_id,
                )
            )
        entry_ids = bank.post(s, user, dossier, postings)
        bank_store.link_movements(
            s, {ids[m.movement.line]: e for m, e in zip(matches, entry_ids, strict=True)}
        )
        return len(entry_ids)

    def _open_items(self, s: Any, dossier_id: int) -> _Items:
        """Open sales invoices and booked purchase entries, as the matcher's items;
        returns ``{key: id}`` with the item objects as ``.values()``-compatible keys."""
        items = _Items()
        # two queries of plain columns, whatever the number of open items
        for iid, open_amount, ogm in store.open_sales_amounts(s, dossier_id):
            items.add(OpenItem(f"s{iid}", "sales", open_amount, ogm), iid)
        for eid, open_amount, reference in store.open_purchase_amounts(s, dossier_id):
            items.add(OpenItem(f"p{eid}", "purchase", open_amount, reference), eid)
        return items

    @requires(P.MANAGE_PAYMENTS)
    def unmatched_movements(self, user: UserView, dossier_id: int) -> list[MovementView]:
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.MANAGE_PAYMENTS)
            return [_movement_view(m) for m in store.list_movements(s, dossier_id)]

    @requires(P.MANAGE_PAYMENTS)
    def match_movement(
        self,
        user: UserView,
        movement_id: int,
        *,
        invoice_id: int | None = None,
        entry_id: int | None = None,
        ignore: bool = False,
    ) -> MovementView:
        """Match an unmatched bank movement by hand to a sales invoice (``invoice_id``)
        or a booked purchase entry (``entry_id``), or set it aside (``ignore``)."""
        with self.rt.tx() as s:
            try:
                mv = store.get_movement(s, movement_id, lock=True)
            except NotFound:
                raise ServiceError(f"bank movement {movement_id} does not exist") from None
            self._require(s, user, mv.dossier_id, P.MANAGE_PAYMENTS)
            if mv.state != "unmatched":
                raise Refused(f"this movement is {mv.state} already")
            if ignore:
                mv.state = "ignored"
                return _movement_view(mv)
            if (invoice_id is None) == (entry_id is None):
                raise Refused("match to one sales invoice or one purchase entry")
            amount = abs(Decimal(mv.amount))
            if invoice_id is not None:
                inv = self._invoice(s, user, invoice_id, P.MANAGE_PAYMENTS, lock=True)
                if inv.dossier_id != mv.dossier_id or inv.state != "issued":
                    raise Refused("that invoice is not an issued invoice of this dossier")
                if Decimal(mv.amount) <= 0:
                    raise Refused("a debit movement cannot pay a sales invoice")
            else:
                entry_ids = {e.id for e in store.open_purchase_entries(s, mv.dossier_id)}
                if entry_id not in entry_ids:
                    raise Refused("that entry is not a booked purchase of this dossier")
                if Decimal(mv.amount) >= 0:
                    raise Refused("a credit movement cannot pay a purchase invoice")
            store.add_payment(
                s,
                dossier_id=mv.dossier_id,
                invoice_id=invoice_id,
                entry_id=entry_id,
                movement_id=mv.id,
                amount=amount,
                date=mv.value_date or dt.date.today(),
                source="coda",
                rule="manual",
                created_by=user.id,
            )
            dossier = entries_store.lock_dossier(s, mv.dossier_id)
            if invoice_id is not None:
                number = inv.number or f"#{inv.id}"
                _, found = bank_store.entry_accounts(
                    s, document_ids=[inv.document_id] if inv.document_id else [], prefix="40"
                )
                account = found.get(inv.document_id or 0, bank.CUSTOMERS)
                what, supplier_id = f"payment of sales invoice {number}", None
            else:
                assert entry_id is not None
                row = entries_store.get_entry(s, entry_id)
                found, _ = bank_store.entry_accounts(s, entry_ids=[entry_id], prefix="44")
                account = found.get(entry_id, bank.SUPPLIERS)
                number = (row.document_number if row else None) or f"entry {entry_id}"
                supplier_id = row.supplier_id if row else None
                what = f"payment of purchase {number}"
            (posted_id,) = bank.post(
                s,
                user,
                dossier,
                [
                    bank.BankPosting(
                        date=mv.value_date or dt.date.today(),
                        amount=Decimal(mv.amount),
                        account=account,
                        description=f"{what} {mv.counterparty_name or ''}".strip(),
                        reason=f"bank line {mv.line} matched by hand: {what}",
                        document_number=number,
                        supplier_id=supplier_id,
                    )
                ],
            )
            mv.state = "matched"
            mv.entry_id = posted_id
            return _movement_view(mv)

    @requires(P.MANAGE_PAYMENTS)
    def book_movement(
        self, user: UserView, movement_id: int, account: str, *, description: str = ""
    ) -> EntryView:
        """Book an unmatched bank movement in the bank journal against ``account`` (bank
        costs, wages, a loan, VAT paid…): the balance, chart and period checks of every
        entry; refused with the reason, nothing saved."""
        number = str(account or "").strip().split(" ", 1)[0]
        if not number.isdigit():
            raise Refused(f"account {number[:20]!r} is not an account number")
        with self.rt.tx() as s:
            try:
                mv = store.get_movement(s, movement_id, lock=True)
            except NotFound:
                raise ServiceError(f"bank movement {movement_id} does not exist") from None
            self._require(s, user, mv.dossier_id, P.MANAGE_PAYMENTS)
            if mv.state != "unmatched":
                raise Refused(f"this movement is {mv.state} already")
            dossier = entries_store.lock_dossier(s, mv.dossier_id)
            text = str(description or "").strip()[:300]
            who = (mv.counterparty_name or "").strip()[:100]
            (entry_id,) = bank.post(
                s,
                user,
                dossier,
                [
                    bank.BankPosting(
                        date=mv.value_date or dt.date.today(),
                        amount=Decimal(mv.amount),
                        account=number,
                        description=text or f"bank line {mv.line} {who}".strip(),
                        reason=f"bank line {mv.line} booked by hand on {number}",
                    )
                ],
            )
            mv.state = "booked"
            mv.entry_id = entry_id
            entry = entries_store.get_entry(s, entry_id)
            assert entry is not None
            repo.audit(
                s,
                "bank_movement_booked",
                user_id=user.id,
                dossier_id=mv.dossier_id,
                entry_id=entry.id,
                movement_id=mv.id,
                account=number,
                amount=_plain(Decimal(mv.amount)),
            )
            return entry_view(entry)

    # -- open items and reminders ---------------------------------------------------------
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
                policy = self._policy(dossier, seller)
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
    def _policy(dossier: Any, seller: Seller) -> ReminderPolicy:
        cfg = dict(_settings(dossier).get("reminders") or {})
        kwargs: dict[str, Any] = {}
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

    # -- booking --------------------------------------------------------------------------
    @requires(P.BOOK_SALES)
    def book_invoice(self, user: UserView, invoice_id: int) -> int:
        """The sales-journal proposal of an issued invoice or credit note, as a document
        waiting for review (its UBL as the document): open it and confirm.  Returns the
        document id (the same one when asked again)."""
        with self.rt.tx() as s:
            inv = self._invoice(s, user, invoice_id, P.BOOK_SALES, lock=True)
            if inv.state != "issued" or inv.issued is None:
                raise Refused("only an issued invoice can be booked")
            if inv.document_id is not None:
                return int(inv.document_id)
            issued = from_json(IssuedInvoice, inv.issued)
            sha = inv.ubl_sha256 or inv.pdf_sha256
            assert sha is not None
            content = self.rt.blobs.get(sha)
            return self._book(s, inv, issued, content, auto=False)

    def _book(
        self, s: Any, inv: SalesInvoice, issued: IssuedInvoice, content: bytes, *, auto: bool
    ) -> int:
        from booking import PeriodLocked
        from booking.context import BookingContext
        from extractors.model import to_json as invoice_json
        from invoicing.sales_booking import sales_proposal
        from invoicing.ubl import to_invoice_data
        from pipeline import bookings
        from storage.blobs import BlobRef, sha256_hex
        from storage.states import DocumentState as S

        dossier = repo.get_dossier(s, inv.dossier_id)
        ctx = BookingContext(dossier=bookings.dossier_context(dossier))
        try:
            try:
                proposal = sales_proposal(issued, ctx)
            except PeriodLocked as exc:
                if exc.first_open is None:
                    raise
                proposal = sales_proposal(
                    issued, BookingContext(dossier=ctx.dossier, period=exc.first_open)
                )
        except PeriodLocked as exc:
            raise Refused(str(exc)) from None
        is_xml = inv.ubl_sha256 is not None
        ref = BlobRef(sha256_hex(content), len(content))
        doc, _ = repo.add_document(
            s,
            dossier_id=inv.dossier_id,
            ref=ref,
            filename=f"{inv.number}.{'xml' if is_xml else 'pdf'}",
            content_type="application/xml" if is_xml else "application/pdf",
            origin=f"sales invoice {inv.number}",
            channel="invoicing",
        )
        invoice = to_invoice_data(issued)
        repo.save_extraction(
            s,
            doc.id,
            invoice=invoice_json(invoice),
            findings=[],
            warnings=[],
            confidence={},
            extractor="invoicing",
        )
        doc.supplier_name = issued.customer.name
        doc.supplier_vat = issued.customer.vat
        doc.invoice_number = issued.number
        doc.invoice_date = issued.issue_date
        doc.total_incl_vat = issued.totals.payable
        repo.set_state(s, doc, S.EXTRACTED, None)
        entry = repo.replace_entry(
            s,
            dossier_id=inv.dossier_id,
            document_id=doc.id,
            fields=bookings.entry_fields(proposal),
            lines=bookings.line_rows(proposal),
        )
        repo.set_state(s, doc, S.PROPOSED, None, timing="proposed")
        inv.document_id = doc.id
        if auto:
            bookings.book_entry(s, doc, entry, user_id=None, auto=True)
            repo.audit(
                s,
                "auto_booked",
                dossier_id=inv.dossier_id,
                document_id=doc.id,
                reason="issued sales invoice (dossier option)",
            )
        return int(doc.id)


class _Items(dict[str, Any]):
    """Matcher items keyed by their key; iterating ``values()`` yields OpenItems."""

    def __init__(self) -> None:
        super().__init__()
        self._objects: list[OpenItem] = []
        self.rows: dict[str, SalesInvoice] = {}

    def add(self, item: OpenItem, target: int, row: SalesInvoice | None = None) -> None:
        self[item.key] = target
        self._objects.append(item)
        if row is not None:
            self.rows[item.key] = row

    def values(self) -> Any:
        return list(self._objects)


def _level(value: int) -> Any:
    from invoicing.reminders import ReminderLevel

    return ReminderLevel(value)


def _fields(view: ReminderView) -> dict[str, Any]:
    return {k: getattr(view, k) for k in view.__slots__}


def _plain_tree(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_tree(v) for v in value]
    return _plain(value)


# ----------------------------------------------------------------------------- delivery


def deliver_send(svc: InvoicingService, send_id: int) -> str:
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
