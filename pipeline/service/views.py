"""Frozen view objects the service returns (never ORM rows), and their mapping."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from booking.intervat import GRID_LABELS
from storage.models import Document, Dossier, JournalEntry, Supplier
from storage.states import LABELS, DocumentState

GB = 1_000_000_000
PRICE_PER_EXTRA_GB_EUR = Decimal("1")

__all__ = [
    "GB",
    "GRID_LABELS",
    "PRICE_PER_EXTRA_GB_EUR",
    "AccountView",
    "DocumentDetail",
    "DocumentRow",
    "DossierView",
    "EntryView",
    "LineView",
    "MailView",
    "QuotaView",
    "SupplierView",
    "dossier_view",
    "entry_view",
    "quota_of",
    "row_view",
    "supplier_view",
]


@dataclass(frozen=True, slots=True)
class DossierView:
    id: int
    name: str
    vat_number: str | None
    mailbox: str
    enabled: bool
    allowed_senders: tuple[str, ...]
    used_bytes: int
    free_bytes: int
    document_count: int
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DocumentRow:
    id: int
    dossier_id: int
    dossier_name: str
    mail_id: int | None
    parent_id: int | None
    kind: str
    filename: str | None
    content_type: str
    sha256: str
    size: int
    state: str
    state_label: str
    reason: str | None
    reason_code: str | None
    duplicate_of: int | None
    supplier_name: str | None
    invoice_number: str | None
    invoice_date: dt.date | None
    total_incl_vat: Decimal | None
    warning_count: int
    created_at: dt.datetime
    timings: dict[str, Any] = field(default_factory=dict)
    #: prominent warnings (new/changed IBAN, payment conflict), each {code, message, ...}
    alerts: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class LineView:
    account: str
    debit: Decimal
    credit: Decimal
    vat_code: str | None
    vat_grids: tuple[str, ...]
    description: str
    reason: str
    confidence: float
    kind: str = "base"


@dataclass(frozen=True, slots=True)
class EntryView:
    id: int
    document_id: int | None
    journal: str
    bookyear: str
    period: str
    vat_period: str
    number: int | None
    date: dt.date
    due_date: dt.date | None
    payment_reference: str | None
    status: str
    regime: str | None
    reason: str | None
    warnings: tuple[str, ...]
    confidence: float
    auto_booked: bool
    lines: tuple[LineView, ...]
    #: a foreign-currency document: its currency, the rate (units per EUR), where the
    #: rate came from (user, invoice, ubl_tax_total, ecb), the ECB date, its own total
    document_currency: str | None = None
    exchange_rate: Decimal | None = None
    rate_source: str | None = None
    rate_date: dt.date | None = None
    original_total: Decimal | None = None
    #: None (a document's proposal) | manual | opening; a client's booking and its approval
    origin: str | None = None
    by_client: bool = False
    approval: str | None = None
    approval_comment: str | None = None

    @property
    def label(self) -> str:
        """``purchase 2026/7`` (journal, bookyear, number) once booked, else ''."""
        return f"{self.journal} {self.bookyear}/{self.number}" if self.number else ""

    @property
    def balanced(self) -> bool:
        return sum(ln.debit for ln in self.lines) == sum(ln.credit for ln in self.lines)


@dataclass(frozen=True, slots=True)
class MailView:
    id: int
    envelope_from: str
    envelope_to: tuple[str, ...]
    subject: str | None
    message_id: str | None
    received_at: dt.datetime
    peer_ip: str | None
    ignored: tuple[dict[str, Any], ...]
    quarantined: tuple[dict[str, Any], ...]
    from_header: str | None = None
    #: sender authentication {spf, dkim, dmarc, domain, source, detail, ...}; None = not checked
    auth: dict[str, Any] | None = None
    #: the domain the mail is authenticated for, None when it is not
    auth_domain: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentDetail:
    row: DocumentRow
    fields: dict[str, Any]
    confidence: dict[str, Any]
    findings: tuple[dict[str, Any], ...]
    warnings: tuple[str, ...]
    entry: EntryView | None
    mail: MailView | None
    children: tuple[DocumentRow, ...]
    audit: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class QuotaView:
    dossier_id: int
    dossier_name: str
    used_bytes: int
    free_bytes: int
    documents: int
    extra_gb: int
    monthly_cost_eur: Decimal
    used_fraction: float
    history: tuple[tuple[dt.date, int], ...] = ()


@dataclass(frozen=True, slots=True)
class SupplierView:
    id: int
    dossier_id: int
    name: str | None
    vat_number: str | None
    iban: str | None
    default_account: str | None
    autobook_policy: str
    autobook_after: int
    confirmations_in_a_row: int
    learned_lines: int


@dataclass(frozen=True, slots=True)
class AccountView:
    number: str
    name_nl: str
    name_fr: str
    kind: str

    @property
    def label(self) -> str:
        return f"{self.number} {self.name_nl}"


def dossier_view(d: Dossier) -> DossierView:
    return DossierView(
        id=d.id,
        name=d.name,
        vat_number=d.vat_number,
        mailbox=d.mailbox,
        enabled=d.enabled,
        allowed_senders=tuple(d.allowed_senders or ()),
        used_bytes=int(d.used_bytes),
        free_bytes=int(d.free_bytes),
        document_count=int(d.document_count),
        settings=dict(d.settings or {}),
    )


def supplier_view(sup: Supplier) -> SupplierView:
    return SupplierView(
        id=sup.id,
        dossier_id=sup.dossier_id,
        name=sup.name,
        vat_number=sup.vat_number,
        iban=sup.iban,
        default_account=sup.default_account,
        autobook_policy=sup.autobook_policy,
        autobook_after=int(sup.autobook_after),
        confirmations_in_a_row=int(sup.confirmations_in_a_row),
        learned_lines=len(sup.history or ()),
    )


def row_view(d: Document, dossier_names: dict[int, str]) -> DocumentRow:
    return DocumentRow(
        id=d.id,
        dossier_id=d.dossier_id,
        dossier_name=dossier_names.get(d.dossier_id, str(d.dossier_id)),
        mail_id=d.mail_id,
        parent_id=d.parent_id,
        kind=d.kind,
        filename=d.filename,
        content_type=d.content_type,
        sha256=d.blob_sha256,
        size=int(d.size),
        state=d.state,
        state_label=LABELS[DocumentState(d.state)],
        reason=d.state_reason,
        reason_code=d.reason_code,
        duplicate_of=d.duplicate_of_id,
        supplier_name=d.supplier_name,
        invoice_number=d.invoice_number,
        invoice_date=d.invoice_date,
        total_incl_vat=d.total_incl_vat,
        warning_count=int(d.warning_count or 0),
        created_at=d.created_at,
        timings=dict(d.timings or {}),
        alerts=tuple(dict(a) for a in (d.alerts or ()) if isinstance(a, dict)),
    )


def entry_view(e: JournalEntry) -> EntryView:
    return EntryView(
        id=e.id,
        document_id=e.document_id,
        journal=e.journal,
        bookyear=e.bookyear,
        period=e.period,
        vat_period=e.vat_period,
        number=e.number,
        date=e.date,
        due_date=e.due_date,
        payment_reference=e.payment_reference,
        status=e.status,
        regime=e.regime,
        reason=e.reason,
        warnings=tuple(e.warnings or ()),
        confidence=float(e.confidence or 0),
        auto_booked=bool(e.auto_booked),
        document_currency=e.document_currency,
        exchange_rate=None if e.exchange_rate is None else Decimal(e.exchange_rate),
        rate_source=e.rate_source,
        rate_date=e.rate_date,
        original_total=None if e.original_total is None else Decimal(e.original_total),
        origin=e.origin,
        by_client=bool(e.by_client),
        approval=e.approval,
        approval_comment=e.approval_comment,
        lines=tuple(
            LineView(
                account=ln.account,
                debit=Decimal(ln.debit).quantize(Decimal("0.01")),
                credit=Decimal(ln.credit).quantize(Decimal("0.01")),
                vat_code=ln.vat_code,
                vat_grids=tuple(ln.vat_grids or ()),
                description=ln.description,
                reason=ln.reason,
                confidence=float(ln.confidence or 0),
                kind=ln.kind,
            )
            for ln in e.lines
        ),
    )


def quota_of(d: DossierView | Dossier) -> tuple[int, Decimal]:
    """Extra GB started above the free allowance, and the monthly cost."""
    over = int(d.used_bytes) - int(d.free_bytes)
    extra = math.ceil(over / GB) if over > 0 else 0
    return extra, PRICE_PER_EXTRA_GB_EUR * extra
