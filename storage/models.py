"""The database schema: SQLAlchemy 2.x typed ORM.

Every table lives here; migrations in ``storage/migrations`` are generated
from these classes.  Money is ``Numeric(14, 2)``; JSON columns hold plain
data (never pickles).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy's declared mapping
        dict[str, Any]: JSON,
        list[Any]: JSON,
        dt.datetime: DateTime(timezone=True),
    }


class Dossier(Base):
    __tablename__ = "dossier"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    vat_number: Mapped[str | None] = mapped_column(String(32))
    #: full mailbox address, lower-case; the local part carries a random token
    mailbox: Mapped[str] = mapped_column(String(320), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    allowed_senders: Mapped[list[Any]] = mapped_column(default=list)
    free_bytes: Mapped[int] = mapped_column(BigInteger, default=1_000_000_000)
    #: running counter, updated in the same transaction as the blobs it counts
    used_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    document_count: Mapped[int] = mapped_column(Integer, default=0)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: a legal hold: nothing of the dossier is deleted, whatever its retention date
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)


class Blob(Base):
    __tablename__ = "blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DossierBlob(Base):
    """A blob counted once in a dossier's quota, however many documents share it."""

    __tablename__ = "dossier_blob"

    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256"), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class UsageDay(Base):
    """Storage use per dossier per day, for the chart over time."""

    __tablename__ = "usage_day"

    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    used_bytes: Mapped[int] = mapped_column(BigInteger)


class QuotaStatement(Base):
    """A dossier's billed storage for one month (``YYYY-MM``), kept once made."""

    __tablename__ = "quota_statement"

    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    peak_bytes: Mapped[int] = mapped_column(BigInteger)
    free_bytes: Mapped[int] = mapped_column(BigInteger)
    billed_gb: Mapped[int] = mapped_column(Integer)
    amount_eur: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: the firm's sales invoice made from this statement (no foreign key: migration 0014)
    invoice_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class QuotaAlert(Base):
    """A quota alert mailed (threshold ``80``, ``100`` or ``forecast``), once per month."""

    __tablename__ = "quota_alert"

    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    threshold: Mapped[str] = mapped_column(String(16), primary_key=True)
    used_bytes: Mapped[int] = mapped_column(BigInteger)
    recipients: Mapped[list[Any]] = mapped_column(JSON, default=list)
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Mail(Base):
    __tablename__ = "mail"
    __table_args__ = (UniqueConstraint("dossier_id", "dedup_key", name="uq_mail_dedup"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    raw_sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256"))
    envelope_from: Mapped[str] = mapped_column(String(320), default="")
    envelope_to: Mapped[list[Any]] = mapped_column(default=list)
    message_id: Mapped[str | None] = mapped_column(String(998))
    dedup_key: Mapped[str] = mapped_column(String(128))
    peer_ip: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    subject: Mapped[str | None] = mapped_column(Text)
    from_header: Mapped[str | None] = mapped_column(Text)
    #: parts that are not documents, each {filename, content_type, sha256, reason}
    ignored: Mapped[list[Any]] = mapped_column(default=list)
    quarantined: Mapped[list[Any]] = mapped_column(default=list)
    sender_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    #: sender authentication (SPF, DKIM, DMARC), filled by the split step:
    #: {"spf", "dkim", "dmarc", "domain", "source", "detail"}; None = not checked yet
    auth: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: the domain the mail is authenticated for (DMARC-aligned), None when unauthenticated
    auth_domain: Mapped[str | None] = mapped_column(String(255))


class Document(Base):
    __tablename__ = "document"
    __table_args__ = (
        UniqueConstraint("parent_id", "part_index", name="uq_document_part"),
        Index("ix_document_dossier_state", "dossier_id", "state", "id"),
        Index("ix_document_state_updated", "state", "updated_at"),
        Index("ix_document_dossier_sha", "dossier_id", "blob_sha256"),
        Index("ix_document_dossier_tag", "dossier_id", "tag"),
        # document lists newest first (migration 0018)
        Index("ix_document_state_id", "state", "id"),
        Index("ix_document_dossier_kind", "dossier_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    mail_id: Mapped[int | None] = mapped_column(ForeignKey("mail.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    part_index: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), default="file")  # mail | file
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256"))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    filename: Mapped[str | None] = mapped_column(String(500))
    content_type: Mapped[str] = mapped_column(String(120), default="application/octet-stream")
    declared_content_type: Mapped[str | None] = mapped_column(String(120))
    origin: Mapped[str] = mapped_column(String(500), default="upload")
    channel: Mapped[str] = mapped_column(String(32), default="smtp")
    state: Mapped[str] = mapped_column(String(20), default="received")
    state_reason: Mapped[str | None] = mapped_column(Text)
    reason_code: Mapped[str | None] = mapped_column(String(64))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    timings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # denormalised for fast lists (filled by the extract step)
    supplier_name: Mapped[str | None] = mapped_column(String(300))
    supplier_vat: Mapped[str | None] = mapped_column(String(32))
    invoice_number: Mapped[str | None] = mapped_column(String(120))
    invoice_date: Mapped[dt.date | None] = mapped_column(Date)
    total_incl_vat: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    warning_count: Mapped[int] = mapped_column(Integer, default=0)
    #: prominent warnings for the reviewer, each {code, message, ...}: a new or
    #: changed IBAN, a twin whose payment details differ, an unauthenticated sender
    alerts: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    #: the tag a document is filed under (contracts, payroll, bank letters, ...)
    tag: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: a legal hold: never deleted, whatever its retention date
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)

    mail: Mapped[Mail | None] = relationship(lazy="raise")


class DocumentText(Base):
    """The text the extract step read (pages and fields), for full-text search.

    SQLite indexes ``body`` and ``stems`` in the FTS5 table ``document_fts`` (triggers
    keep it in step); PostgreSQL ``body`` in a generated ``tsv`` column with a GIN index
    (migrations 0008, 0016).
    """

    __tablename__ = "document_text"

    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    #: invoice | credit_note (from the extraction)
    doc_type: Mapped[str | None] = mapped_column(String(20))
    customer_name: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    #: the Dutch and French stems of body's words (storage.fulltext.stems_of), for FTS5
    stems: Mapped[str] = mapped_column(Text, default="", server_default="")


class Extraction(Base):
    __tablename__ = "extraction"

    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), primary_key=True)
    invoice: Mapped[dict[str, Any]] = mapped_column()
    findings: Mapped[list[Any]] = mapped_column(default=list)
    warnings: Mapped[list[Any]] = mapped_column(default=list)
    confidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    pages: Mapped[list[Any]] = mapped_column(default=list)
    extractor: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PageRender(Base):
    """A page image of a document as the review UI shows it (derived, rendered once).

    Made by the sandboxed renderer on the first view; not in the storage quota; goes
    with its document (migration 0015).
    """

    __tablename__ = "page_render"
    __table_args__ = (
        UniqueConstraint("document_id", "source_sha256", "page", "dpi", name="uq_page_render"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    #: the blob the page was rendered from (an e-invoice shows its embedded PDF)
    source_sha256: Mapped[str] = mapped_column(String(64))
    page: Mapped[int] = mapped_column(Integer)
    dpi: Mapped[int] = mapped_column(Integer)
    page_count: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    png: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Supplier(Base):
    __tablename__ = "supplier"
    __table_args__ = (UniqueConstraint("dossier_id", "key", name="uq_supplier_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    #: VAT number, else IBAN, else normalised name
    key: Mapped[str] = mapped_column(String(200))
    vat_number: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(300))
    iban: Mapped[str | None] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(2))
    default_account: Mapped[str | None] = mapped_column(String(12))
    autobook_policy: Mapped[str] = mapped_column(String(16), default="never")
    autobook_after: Mapped[int] = mapped_column(Integer, default=3)
    confirmations_in_a_row: Mapped[int] = mapped_column(Integer, default=0)
    history: Mapped[list[Any]] = mapped_column(default=list)
    hints: Mapped[list[Any]] = mapped_column(default=list)


class SupplierIban(Base):
    """An IBAN the accountant accepted for a supplier of a dossier (booked or confirmed)."""

    __tablename__ = "supplier_iban"
    __table_args__ = (UniqueConstraint("supplier_id", "iban", name="uq_supplier_iban"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"))
    iban: Mapped[str] = mapped_column(String(64))
    #: "booked" (learned from a booking) or "confirmed" (explicit IBAN confirmation)
    source: Mapped[str] = mapped_column(String(32))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    confirmed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Account(Base):
    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("dossier_id", "number", name="uq_account_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    number: Mapped[str] = mapped_column(String(12))
    name_nl: Mapped[str] = mapped_column(String(200))
    name_fr: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(32), default="")
    grid: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class JournalEntry(Base):
    __tablename__ = "journal_entry"
    __table_args__ = (
        Index("ix_entry_dossier_journal_period", "dossier_id", "journal", "bookyear", "period"),
        Index("ix_entry_dossier_status_date", "dossier_id", "status", "date"),
        Index("ix_entry_dossier_approval", "dossier_id", "approval"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), unique=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"))
    journal: Mapped[str] = mapped_column(String(16))
    bookyear: Mapped[str] = mapped_column(String(16))
    #: booking month "YYYY-MM"; ``vat_period`` is the VAT return it belongs to
    period: Mapped[str] = mapped_column(String(7))
    vat_period: Mapped[str] = mapped_column(String(8), default="")
    number: Mapped[int | None] = mapped_column(Integer)
    date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    payment_reference: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default="proposed")  # proposed|draft|booked
    regime: Mapped[str | None] = mapped_column(String(64))
    document_number: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(Text)
    warnings: Mapped[list[Any]] = mapped_column(default=list)
    confidence: Mapped[float] = mapped_column(default=0.0)
    auto_booked: Mapped[bool] = mapped_column(Boolean, default=False)
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    booked_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    booked_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: foreign-currency document: its currency, the rate used (units per EUR), where the
    #: rate came from (user, invoice, ubl_tax_total, ecb), the ECB date, its own total
    document_currency: Mapped[str | None] = mapped_column(String(3))
    exchange_rate: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    rate_source: Mapped[str | None] = mapped_column(String(16))
    rate_date: Mapped[dt.date | None] = mapped_column(Date)
    original_total: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    #: None (a document's proposal) | manual | opening
    origin: Mapped[str | None] = mapped_column(String(16))
    #: booked by a client member (not an accountant of the dossier, not an admin)
    by_client: Mapped[bool] = mapped_column(Boolean, default=False)
    #: None | waiting | approved | returned (back to review with ``approval_comment``)
    approval: Mapped[str | None] = mapped_column(String(16))
    approval_comment: Mapped[str | None] = mapped_column(Text)

    lines: Mapped[list[JournalLine]] = relationship(
        order_by="JournalLine.seq", cascade="all, delete-orphan", lazy="selectin"
    )


class JournalLine(Base):
    __tablename__ = "journal_line"
    __table_args__ = (
        Index("ix_journal_line_account_entry", "account", "entry_id"),
        # the books' sums read from the index alone (migration 0019)
        Index("ix_journal_line_entry_amounts", "entry_id", "account", "debit", "credit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    account: Mapped[str] = mapped_column(String(12))
    debit: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    credit: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    vat_code: Mapped[str | None] = mapped_column(String(32))
    vat_grids: Mapped[list[Any]] = mapped_column(default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[float] = mapped_column(default=0.0)
    kind: Mapped[str] = mapped_column(String(20), default="base")
    vat_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    deductible_pct: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(16), default="accountant")
    display_name: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Where notices (quota alerts) go; None = no address known (migration 0021).
    email: Mapped[str | None] = mapped_column(String(254), default=None)


class ExchangeRate(Base):
    """An ECB reference rate: units of ``currency`` for one euro on ``day``."""

    __tablename__ = "exchange_rate"

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    rate: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    source: Mapped[str] = mapped_column(String(16), default="ecb")


class UserSession(Base):
    """A logged-in browser: the cookie holds a random token, only its SHA-256 is stored."""

    __tablename__ = "user_session"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_user_session_token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    #: "web" (a browser's session) or "ticket" (a one-time, one-minute code that the
    #: browser exchanges for a web session, so the token reaches an HttpOnly cookie)
    kind: Mapped[str] = mapped_column(String(8), default="web")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class LoginFailure(Base):
    """One failed log-in: throttles guessing per user name and per address."""

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_username_at", "username", "at"),
        Index("ix_login_failure_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    username: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(64))


class Membership(Base):
    __tablename__ = "membership"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), primary_key=True)
    #: a named preset of permissions (accountant, client_bookkeeper, client_portal, ...)
    role: Mapped[str] = mapped_column(String(32), default="accountant")
    #: the permissions held in this dossier when the accountant set them one by one;
    #: None means the role's preset
    permissions: Mapped[list[Any] | None] = mapped_column()


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_document", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


# ----------------------------------------------------------------------------- sales invoicing


class Customer(Base):
    """A customer of a dossier; ``data`` is the invoicing core's Customer as JSON."""

    __tablename__ = "customer"
    __table_args__ = (Index("ix_customer_dossier_name", "dossier_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    name: Mapped[str] = mapped_column(String(500))
    vat: Mapped[str | None] = mapped_column(String(32))
    peppol_id: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(320))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SalesItem(Base):
    """A catalogue item of a dossier; ``data`` is the invoicing core's Item as JSON."""

    __tablename__ = "sales_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    description: Mapped[str] = mapped_column(String(500))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class InvoiceSequence(Base):
    """The last number issued per dossier and bookyear (locked while issuing: gapless)."""

    __tablename__ = "invoice_sequence"

    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), primary_key=True)
    bookyear: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class SalesInvoice(Base):
    """A sales invoice or credit note: ``draft`` (editable) until issued, then immutable.

    ``draft`` holds the core's InvoiceDraft as JSON (customer snapshot included);
    ``issued`` the IssuedInvoice once issued.  PDF and UBL are blobs (foreign keys, so
    the blob collector keeps them).
    """

    __tablename__ = "sales_invoice"
    __table_args__ = (
        UniqueConstraint("dossier_id", "number", name="uq_sales_invoice_number"),
        UniqueConstraint("dossier_id", "bookyear", "sequence", name="uq_sales_invoice_seq"),
        Index("ix_sales_invoice_dossier_state", "dossier_id", "state", "id"),
        Index("ix_sales_invoice_ogm", "dossier_id", "structured_communication"),
        Index("ix_sales_invoice_document", "document_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    kind: Mapped[str] = mapped_column(String(16), default="invoice")  # invoice | credit_note
    state: Mapped[str] = mapped_column(String(16), default="draft")  # draft | issued
    credits_id: Mapped[int | None] = mapped_column(ForeignKey("sales_invoice.id"))
    draft: Mapped[dict[str, Any]] = mapped_column(default=dict)
    issued: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    number: Mapped[str | None] = mapped_column(String(40))
    bookyear: Mapped[int | None] = mapped_column(Integer)
    sequence: Mapped[int | None] = mapped_column(Integer)
    issue_date: Mapped[dt.date | None] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    structured_communication: Mapped[str | None] = mapped_column(String(12))
    customer_name: Mapped[str] = mapped_column(String(500), default="")
    net_total: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    vat_total: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    paid_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    pdf_sha256: Mapped[str | None] = mapped_column(ForeignKey("blob.sha256"))
    ubl_sha256: Mapped[str | None] = mapped_column(ForeignKey("blob.sha256"))
    #: the review document (sales booking proposal) once booked
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    issued_at: Mapped[dt.datetime | None] = mapped_column()


class SalesInvoiceLine(Base):
    """The lines of a sales invoice (written from its draft on every save)."""

    __tablename__ = "sales_invoice_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("sales_invoice.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("sales_item.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    vat_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    net: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    account: Mapped[str] = mapped_column(String(12))


class InvoiceSend(Base):
    """One sending of an invoice over one channel.  ``message_id`` is stored (committed)
    before the network is touched, so a retry after a crash asks, never sends twice."""

    __tablename__ = "invoice_send"
    __table_args__ = (Index("ix_invoice_send_state", "state", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("sales_invoice.id"), index=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    channel: Mapped[str] = mapped_column(String(16))  # peppol | email
    purpose: Mapped[str] = mapped_column(String(16), default="invoice")  # invoice | reminder
    destination: Mapped[str] = mapped_column(String(320))
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued|sending|sent|failed
    reason: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    provider_id: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column()


class CodaImport(Base):
    """One imported CODA file (the same file twice is refused)."""

    __tablename__ = "coda_import"
    __table_args__ = (UniqueConstraint("dossier_id", "sha256", name="uq_coda_import_file"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256"))
    filename: Mapped[str | None] = mapped_column(String(500))
    statements: Mapped[int] = mapped_column(Integer, default=0)
    movements: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BankMovement(Base):
    """A movement of an imported statement; ``state`` unmatched | matched | booked (by hand,
    against an account) | ignored."""

    __tablename__ = "bank_movement"
    __table_args__ = (
        Index("ix_bank_movement_dossier_state", "dossier_id", "state"),
        Index("ix_bank_movement_key", "dossier_id", "movement_key"),
        Index("ix_bank_movement_entry", "entry_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    import_id: Mapped[int] = mapped_column(ForeignKey("coda_import.id"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    value_date: Mapped[dt.date | None] = mapped_column(Date)
    counterparty_name: Mapped[str | None] = mapped_column(String(300))
    counterparty_account: Mapped[str | None] = mapped_column(String(64))
    structured_communication: Mapped[str | None] = mapped_column(String(12))
    communication: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="unmatched")
    #: account, statement, sequence, detail, date and amount: the same movement in
    #: another file is recognised (and booked once)
    movement_key: Mapped[str | None] = mapped_column(String(200))
    #: the financial-journal entry booking it (no foreign key, like analytic_split)
    entry_id: Mapped[int | None] = mapped_column(Integer)


class Payment(Base):
    """A payment of a sales invoice or of a booked purchase entry (manual or from CODA)."""

    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("sales_invoice.id"), index=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entry.id"), index=True)
    movement_id: Mapped[int | None] = mapped_column(ForeignKey("bank_movement.id"))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    date: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(16), default="manual")  # manual | coda
    rule: Mapped[str | None] = mapped_column(String(16))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReminderSent(Base):
    """A reminder level sent for an invoice (one per level: the daily run is idempotent)."""

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("invoice_id", "level", name="uq_reminder_level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("sales_invoice.id"), index=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    level: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16), default="email")
    sent_on: Mapped[dt.date] = mapped_column(Date)
    amount_due: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    fee: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    interest: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    send_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_send.id"))
    subject: Mapped[str] = mapped_column(Text, default="")


# ----------------------------------------------------------------------------- dashboard


class OwnChart(Base):
    """A chart a user built on their dashboard: a measure (account range or group,
    e.g. ``60-61``), a period ``YYYY-MM``..``YYYY-MM``, a granularity and a chart type."""

    __tablename__ = "own_chart"
    __table_args__ = (Index("ix_own_chart_user_dossier", "user_id", "dossier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    name: Mapped[str] = mapped_column(String(120))
    measure: Mapped[str] = mapped_column(String(60))
    period_from: Mapped[str] = mapped_column(String(7))
    period_to: Mapped[str] = mapped_column(String(7))
    granularity: Mapped[str] = mapped_column(String(8))
    chart_type: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# ----------------------------------------------------------------------------- archive


class PurgeItem(Base):
    """A document or entry a retention purge took (``deleted``) or is about to take
    (``marked``): the audit record of what went and the resume point after a crash.
    ``sha256`` is no foreign key: the record outlives the blob."""

    __tablename__ = "purge_item"
    __table_args__ = (
        Index("ix_purge_item_run_state", "run", "state"),
        Index("ix_purge_item_dossier", "dossier_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run: Mapped[str] = mapped_column(String(32))
    dossier_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # document | entry | dossier
    object_id: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    label: Mapped[str | None] = mapped_column(Text)
    retain_until: Mapped[dt.date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default="marked")  # marked | deleted
    by_user: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# ----------------------------------------------------------------------------- analytics


class AnalyticDimension(Base):
    """An analytical dimension of a dossier (cost centre, project, …)."""

    __tablename__ = "analytic_dimension"
    __table_args__ = (UniqueConstraint("dossier_id", "name", name="uq_analytic_dimension_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    name: Mapped[str] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AnalyticCode(Base):
    __tablename__ = "analytic_code"
    __table_args__ = (UniqueConstraint("dimension_id", "code", name="uq_analytic_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dimension_id: Mapped[int] = mapped_column(ForeignKey("analytic_dimension.id"))
    code: Mapped[str] = mapped_column(String(30))
    label: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AnalyticSplit(Base):
    """The share (percent) of one booking line given to one code of a dimension.

    The line is named by entry id + seq, no foreign key: rewriting an entry's lines
    never trips over it.  Amounts are allocated from the line amount when read."""

    __tablename__ = "analytic_split"
    __table_args__ = (
        Index("ix_analytic_split_entry", "entry_id", "line_seq"),
        Index("ix_analytic_split_dim", "dossier_id", "dimension_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(Integer)
    entry_id: Mapped[int] = mapped_column(Integer)
    line_seq: Mapped[int] = mapped_column(Integer)
    dimension_id: Mapped[int] = mapped_column(Integer)
    code_id: Mapped[int] = mapped_column(ForeignKey("analytic_code.id"))
    pct: Mapped[Decimal] = mapped_column(Numeric(9, 4))
    by_user: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AnalyticDefault(Base):
    """The last confirmed distribution per dimension, account and supplier
    (``supplier_id`` 0: the account on its own).  ``shares``: {code: "pct"}."""

    __tablename__ = "analytic_default"
    __table_args__ = (
        UniqueConstraint("dimension_id", "account", "supplier_id", name="uq_analytic_default"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dimension_id: Mapped[int] = mapped_column(Integer)
    account: Mapped[str] = mapped_column(String(12))
    supplier_id: Mapped[int] = mapped_column(Integer, default=0)
    shares: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
