"""The API the review UI and the CLI call.

Queries return frozen view objects (never ORM rows); commands take the
caller (:class:`UserView`) and check access here, in the service, not only
by hiding buttons: an entrepreneur of dossier A gets nothing of dossier B,
and only accountants and admins book.  Every call is one short transaction.
Lists are paginated in the query.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pipeline.runtime import Runtime, get_runtime
from pipeline.states import LABELS, REVIEW_STATES, DocumentState
from storage import NotFound, repo
from storage.models import Document, Dossier, JournalEntry, Supplier

S = DocumentState
log = logging.getLogger(__name__)

GB = 1_000_000_000
PRICE_PER_EXTRA_GB_EUR = Decimal("1")

ROLES = ("admin", "accountant", "entrepreneur")

__all__ = [
    "AccessDenied",
    "DocumentDetail",
    "DocumentRow",
    "DossierView",
    "EntryView",
    "LineView",
    "QuotaView",
    "ServiceError",
    "UserView",
]


# ----------------------------------------------------------------------------- errors


class ServiceError(Exception):
    """A command the service refuses, with a reason for the user."""


class AccessDenied(ServiceError):
    pass


class Refused(ServiceError):
    """A command refused on the merits (unbalanced, locked period, wrong state)."""


# ----------------------------------------------------------------------------- views


@dataclass(frozen=True, slots=True)
class UserView:
    id: int | None
    username: str
    role: str
    display_name: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def can_book(self) -> bool:
        return self.role in {"admin", "accountant"}


SYSTEM = UserView(id=None, username="system", role="admin", display_name="boekbox")


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


# ----------------------------------------------------------------------------- mapping


def _dossier_view(d: Dossier) -> DossierView:
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


def _supplier_view(sup: Supplier) -> SupplierView:
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


def _row(d: Document, dossier_names: dict[int, str]) -> DocumentRow:
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
    )


def _entry_view(e: JournalEntry) -> EntryView:
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


# ----------------------------------------------------------------------------- service


class Service:
    """Every UI and CLI operation; one instance per process is enough."""

    def __init__(self, runtime: Runtime | None = None) -> None:
        self._rt = runtime

    @property
    def rt(self) -> Runtime:
        return self._rt or get_runtime()

    # -- access -----------------------------------------------------------------------
    def _dossier_ids(self, s: Any, user: UserView) -> list[int] | None:
        """None means every dossier (admin)."""
        if user.is_admin:
            return None
        if user.id is None:
            return []
        return repo.member_dossier_ids(s, user.id)

    def _check_dossier(self, s: Any, user: UserView, dossier_id: int) -> None:
        ids = self._dossier_ids(s, user)
        if ids is not None and dossier_id not in ids:
            raise AccessDenied("you have no access to this dossier")

    def _document(self, s: Any, user: UserView, doc_id: int, *, lock: bool = False) -> Document:
        try:
            doc = repo.get_document(s, doc_id, lock=lock)
        except NotFound:
            raise ServiceError(f"document {doc_id} does not exist") from None
        self._check_dossier(s, user, doc.dossier_id)
        return doc

    def _require_booker(self, user: UserView) -> None:
        if not user.can_book:
            raise AccessDenied("only accountants and admins can change bookings")

    # -- users --------------------------------------------------------------------------
    def authenticate(self, username: str, password: str) -> UserView | None:
        from pipeline.passwords import verify_password

        with self.rt.tx() as s:
            user = repo.get_user(s, username)
            if user is None or not user.active:
                verify_password("x", None)  # same time whether or not the user exists
                return None
            if not verify_password(password, user.password_hash):
                return None
            return UserView(user.id, user.username, user.role, user.display_name)

    def user(self, username: str) -> UserView | None:
        with self.rt.tx() as s:
            user = repo.get_user(s, username)
            if user is None or not user.active:
                return None
            return UserView(user.id, user.username, user.role, user.display_name)

    def add_user(
        self,
        caller: UserView,
        username: str,
        password: str,
        role: str,
        dossiers: Sequence[int] = (),
    ) -> UserView:
        from pipeline.passwords import hash_password

        if not caller.is_admin:
            raise AccessDenied("only admins add users")
        if role not in ROLES:
            raise ServiceError(f"role must be one of {', '.join(ROLES)}")
        with self.rt.tx() as s:
            if repo.get_user(s, username) is not None:
                raise ServiceError(f"user {username} already exists")
            user = repo.create_user(
                s, username=username, password_hash=hash_password(password), role=role
            )
            for dossier_id in dossiers:
                repo.add_membership(s, user.id, dossier_id, role)
            repo.audit(s, "user_added", user_id=caller.id, username=username, role=role)
            return UserView(user.id, user.username, user.role, user.display_name)

    def add_member(self, caller: UserView, dossier_id: int, username: str, role: str) -> None:
        if not caller.is_admin:
            raise AccessDenied("only admins manage members")
        with self.rt.tx() as s:
            user = repo.get_user(s, username)
            if user is None:
                raise ServiceError(f"unknown user {username}")
            repo.add_membership(s, user.id, dossier_id, role)
            repo.audit(
                s,
                "member_added",
                user_id=caller.id,
                dossier_id=dossier_id,
                username=username,
                role=role,
            )

    def members(self, caller: UserView, dossier_id: int) -> list[tuple[str, str]]:
        with self.rt.tx() as s:
            self._check_dossier(s, caller, dossier_id)
            return [(u.username, role) for u, role in repo.dossier_members(s, dossier_id)]

    # -- dossiers -----------------------------------------------------------------------
    def dossiers(self, user: UserView) -> list[DossierView]:
        with self.rt.tx() as s:
            return [_dossier_view(d) for d in repo.list_dossiers(s, self._dossier_ids(s, user))]

    def dossier(self, user: UserView, ref: int | str) -> DossierView:
        with self.rt.tx() as s:
            try:
                d = repo.get_dossier(s, ref)
            except NotFound as exc:
                raise ServiceError(str(exc)) from None
            self._check_dossier(s, user, d.id)
            return _dossier_view(d)

    def create_dossier(
        self,
        user: UserView,
        name: str,
        *,
        vat_number: str | None = None,
        allowed_senders: Sequence[str] = (),
        mailbox_local: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> DossierView:
        from booking import starter_chart

        if not user.is_admin:
            raise AccessDenied("only admins create dossiers")
        if not name.strip():
            raise ServiceError("a dossier needs a name")
        local = mailbox_local or f"{_slug(name)}-{repo.new_mailbox_token()}"
        address = f"{local}@{self.rt.settings.mail_domain}"
        with self.rt.tx() as s:
            if repo.find_dossier_by_address(s, address) is not None:
                raise ServiceError(f"address {address} is taken")
            d = repo.create_dossier(
                s,
                name=name.strip(),
                mailbox=address,
                vat_number=_compact(vat_number),
                allowed_senders=allowed_senders,
                settings=settings,
            )
            repo.install_accounts(
                s,
                d.id,
                (
                    {
                        "number": a.number,
                        "name_nl": a.name_nl,
                        "name_fr": a.name_fr,
                        "kind": str(a.kind),
                        "grid": a.grid,
                    }
                    for a in starter_chart()
                ),
            )
            repo.audit(s, "dossier_created", user_id=user.id, dossier_id=d.id, name=name)
            return _dossier_view(d)

    def update_dossier(
        self,
        user: UserView,
        dossier_id: int,
        *,
        allowed_senders: Sequence[str] | None = None,
        enabled: bool | None = None,
        settings: dict[str, Any] | None = None,
    ) -> DossierView:
        if not user.is_admin:
            raise AccessDenied("only admins change dossiers")
        with self.rt.tx() as s:
            d = repo.get_dossier(s, dossier_id)
            if allowed_senders is not None:
                d.allowed_senders = [a.strip().lower() for a in allowed_senders if a.strip()]
            if enabled is not None:
                d.enabled = enabled
            if settings is not None:
                d.settings = {**(d.settings or {}), **settings}
            repo.audit(s, "dossier_updated", user_id=user.id, dossier_id=d.id)
            return _dossier_view(d)

    # -- suppliers and their auto-booking policy ---------------------------------------
    def suppliers(self, user: UserView, dossier_id: int) -> list[SupplierView]:
        with self.rt.tx() as s:
            self._check_dossier(s, user, dossier_id)
            return [_supplier_view(sup) for sup in repo.list_suppliers(s, dossier_id)]

    def set_supplier_policy(
        self,
        user: UserView,
        supplier_id: int,
        *,
        autobook: str,
        after: int | None = None,
        default_account: str | None = None,
    ) -> SupplierView:
        """Auto-booking as the accountant sets it: ``never`` (default), ``after_n``
        unedited confirmations in a row, or ``always``; plus the supplier's default account."""
        from booking import AutobookMode

        self._require_booker(user)
        try:
            mode = AutobookMode(autobook)
        except ValueError:
            raise Refused(
                f"auto-booking must be one of {', '.join(m.value for m in AutobookMode)}"
            ) from None
        if after is not None and after < 1:
            raise Refused("auto-booking after N confirmations needs N >= 1")
        with self.rt.tx() as s:
            try:
                sup = repo.get_supplier(s, supplier_id)
            except NotFound:
                raise ServiceError(f"supplier {supplier_id} does not exist") from None
            self._check_dossier(s, user, sup.dossier_id)
            sup.autobook_policy = mode.value
            if after is not None:
                sup.autobook_after = after
            if default_account is not None:
                sup.default_account = default_account.strip() or None
            repo.audit(
                s,
                "supplier_policy",
                user_id=user.id,
                dossier_id=sup.dossier_id,
                supplier_id=sup.id,
                autobook=mode.value,
                after=sup.autobook_after,
            )
            return _supplier_view(sup)

    def accounts(self, user: UserView, dossier_id: int) -> list[AccountView]:
        with self.rt.tx() as s:
            self._check_dossier(s, user, dossier_id)
            return [
                AccountView(a.number, a.name_nl, a.name_fr, a.kind)
                for a in repo.list_accounts(s, dossier_id)
            ]

    # -- documents ----------------------------------------------------------------------
    def documents(
        self,
        user: UserView,
        *,
        dossier_id: int | None = None,
        states: Iterable[str] | None = None,
        kind: str | None = "file",
        offset: int = 0,
        limit: int = 50,
    ) -> list[DocumentRow]:
        with self.rt.tx() as s:
            ids = self._scope(s, user, dossier_id)
            docs = repo.list_documents(
                s, dossier_ids=ids, states=states, kind=kind, offset=offset, limit=limit
            )
            names = {d.id: d.name for d in repo.list_dossiers(s, {x.dossier_id for x in docs})}
            return [_row(d, names) for d in docs]

    def count_documents(
        self,
        user: UserView,
        *,
        dossier_id: int | None = None,
        states: Iterable[str] | None = None,
        kind: str | None = "file",
    ) -> int:
        with self.rt.tx() as s:
            ids = self._scope(s, user, dossier_id)
            return repo.count_documents(s, dossier_ids=ids, states=states, kind=kind)

    def state_counts(self, user: UserView) -> dict[tuple[int, str], int]:
        with self.rt.tx() as s:
            return repo.state_counts(s, self._dossier_ids(s, user))

    def _scope(self, s: Any, user: UserView, dossier_id: int | None) -> list[int] | None:
        ids = self._dossier_ids(s, user)
        if dossier_id is None:
            return ids
        if ids is not None and dossier_id not in ids:
            raise AccessDenied("you have no access to this dossier")
        return [dossier_id]

    def document(self, user: UserView, doc_id: int) -> DocumentDetail:
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id)
            names = {d.id: d.name for d in repo.list_dossiers(s, [doc.dossier_id])}
            extraction = repo.get_extraction(s, doc.id)
            entry = repo.entry_for_document(s, doc.id)
            mail_view = None
            if doc.mail_id is not None:
                m = repo.get_mail(s, doc.mail_id)
                mail_view = MailView(
                    m.id,
                    m.envelope_from,
                    tuple(m.envelope_to or ()),
                    m.subject,
                    m.message_id,
                    m.received_at,
                    m.peer_ip,
                    tuple(m.ignored or ()),
                    tuple(m.quarantined or ()),
                )
            schema: dict[str, Any] = {}
            if extraction is not None:
                from extractors.model import from_json

                schema = from_json(extraction.invoice).to_schema_dict()
            return DocumentDetail(
                row=_row(doc, names),
                fields=schema,
                confidence=dict(extraction.confidence) if extraction else {},
                findings=tuple(extraction.findings) if extraction else (),
                warnings=tuple(extraction.warnings) if extraction else (),
                entry=_entry_view(entry) if entry else None,
                mail=mail_view,
                children=tuple(_row(c, names) for c in repo.children(s, doc.id)),
                audit=tuple(
                    {"at": a.at, "action": a.action, "user_id": a.user_id, **(a.detail or {})}
                    for a in repo.audit_trail(s, doc.id)
                ),
            )

    def document_bytes(self, user: UserView, doc_id: int) -> tuple[bytes, str, str | None]:
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id)
            sha, ctype, name = doc.blob_sha256, doc.content_type, doc.filename
        return self.rt.blobs.get(sha), ctype, name

    def neighbours(
        self, user: UserView, doc_id: int, *, states: Iterable[str] | None = None
    ) -> tuple[int | None, int | None]:
        """Previous and next document of the review queue around ``doc_id``."""
        states = list(states or [S.PROPOSED.value])
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id)
            ids = self._scope(s, user, doc.dossier_id)
            return repo.neighbour_ids(s, doc_id, dossier_ids=ids, states=states)

    # -- commands -----------------------------------------------------------------------
    def _send(self, doc_id: int, kind: str, state: str) -> None:
        """Send the next step; the document is stored already, so a broker outage
        only delays it (the reconciler re-sends documents left waiting)."""
        from pipeline.actors import enqueue_for_state

        try:
            enqueue_for_state(doc_id, kind, state)
        except Exception as exc:
            log.warning(
                "document %s stored; queueing it failed (%s), the reconciler will send it",
                doc_id,
                exc,
            )

    def reprocess(self, user: UserView, doc_id: int) -> DocumentRow:
        """Run the pipeline again from the start for this document."""
        self._require_booker(user)
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id, lock=True)
            if doc.state == S.BOOKED.value:
                raise Refused("a booked document is reopened, not reprocessed")
            if doc.state != S.RECEIVED.value:
                repo.set_state(s, doc, S.RECEIVED, None, timing="reprocess")
            repo.drop_unbooked_entry(s, doc.id)
            doc.duplicate_of_id = None
            repo.audit(
                s, "reprocess", user_id=user.id, dossier_id=doc.dossier_id, document_id=doc.id
            )
            kind, state = doc.kind, doc.state
            row = _row(doc, {})
        self._send(doc_id, kind, state)
        return row

    def release(self, user: UserView, doc_id: int) -> DocumentRow:
        """Release a quarantined document (or mail) into the pipeline."""
        self._require_booker(user)
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id, lock=True)
            if doc.state != S.QUARANTINED.value:
                raise Refused("only quarantined documents can be released")
            repo.set_state(s, doc, S.RECEIVED, None, timing="released")
            doc.timings = {**(doc.timings or {}), "released": True}
            repo.audit(s, "release", user_id=user.id, dossier_id=doc.dossier_id, document_id=doc.id)
            kind, state = doc.kind, doc.state
            row = _row(doc, {})
        self._send(doc_id, kind, state)
        return row

    def reject(self, user: UserView, doc_id: int, reason: str) -> DocumentRow:
        self._require_booker(user)
        if not reason.strip():
            raise Refused("a rejection needs a reason")
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id, lock=True)
            if doc.state == S.REJECTED.value:
                return _row(doc, {})
            try:
                repo.set_state(s, doc, S.REJECTED, reason.strip(), code="rejected")
            except ValueError as exc:
                raise Refused(f"cannot reject a document that is {doc.state}: {exc}") from None
            repo.drop_unbooked_entry(s, doc.id)
            repo.audit(
                s,
                "reject",
                user_id=user.id,
                dossier_id=doc.dossier_id,
                document_id=doc.id,
                reason=reason,
            )
            return _row(doc, {})

    def mark_duplicate(self, user: UserView, doc_id: int, of_id: int) -> DocumentRow:
        self._require_booker(user)
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id, lock=True)
            master = self._document(s, user, of_id)
            if master.dossier_id != doc.dossier_id or master.id == doc.id:
                raise Refused("a duplicate must point to another document of the same dossier")
            try:
                repo.set_state(
                    s,
                    doc,
                    S.DUPLICATE,
                    f"marked duplicate of #{of_id} by {user.username}",
                    code="manual",
                )
            except ValueError as exc:
                raise Refused(str(exc)) from None
            doc.duplicate_of_id = of_id
            repo.drop_unbooked_entry(s, doc.id)
            repo.audit(
                s,
                "mark_duplicate",
                user_id=user.id,
                dossier_id=doc.dossier_id,
                document_id=doc.id,
                of=of_id,
            )
            return _row(doc, {})

    def save_draft(self, user: UserView, doc_id: int, lines: Sequence[dict[str, Any]]) -> EntryView:
        """Keep the accountant's edited lines without booking."""
        self._require_booker(user)
        clean = normalise_lines(lines)
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id, lock=True)
            entry = repo.entry_for_document(s, doc.id)
            if entry is None:
                raise Refused("this document has no proposed entry")
            if entry.status == "booked":
                raise Refused("the entry is booked; reopen it first")
            _replace_lines(s, entry, clean)
            entry.status = "draft"
            entry.edited = True
            repo.audit(
                s, "save_draft", user_id=user.id, dossier_id=doc.dossier_id, document_id=doc.id
            )
            return _entry_view(entry)

    def confirm(
        self, user: UserView, doc_id: int, lines: Sequence[dict[str, Any]] | None = None
    ) -> EntryView:
        """Book the (possibly edited) entry; the document stays linked to it."""
        from extractors.model import from_json
        from pipeline import bookings

        self._require_booker(user)
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id, lock=True)
            if doc.state != S.PROPOSED.value:
                raise Refused(
                    f"only documents waiting for review can be booked (this one is "
                    f"{LABELS[DocumentState(doc.state)].lower()})"
                )
            entry = repo.entry_for_document(s, doc.id)
            if entry is None:
                raise Refused("this document has no proposed entry")
            before = _lines_signature(entry)
            if lines is not None:
                _replace_lines(s, entry, normalise_lines(lines))
            problems = check_entry_rules(entry, repo.get_dossier(s, doc.dossier_id))
            if problems:
                raise Refused("; ".join(problems))
            edited = entry.edited or _lines_signature(entry) != before
            entry.edited = edited
            bookings.book_entry(s, doc, entry, user_id=user.id)
            extraction = repo.get_extraction(s, doc.id)
            invoice = from_json(extraction.invoice) if extraction is not None else None
            bookings.learn(s, entry, edited=edited, invoice=invoice)
            repo.audit(
                s,
                "confirm",
                user_id=user.id,
                dossier_id=doc.dossier_id,
                document_id=doc.id,
                entry_id=entry.id,
                edited=edited,
                number=entry.number,
            )
            return _entry_view(entry)

    def reopen(self, user: UserView, doc_id: int) -> EntryView:
        self._require_booker(user)
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id, lock=True)
            entry = repo.entry_for_document(s, doc.id)
            if doc.state != S.BOOKED.value or entry is None:
                raise Refused("only booked documents can be reopened")
            locked = _lock_reason(repo.get_dossier(s, doc.dossier_id), entry.period)
            if locked:
                raise Refused(locked)
            entry.status = "proposed"
            repo.set_state(s, doc, S.PROPOSED, None, timing="reopened")
            repo.audit(s, "reopen", user_id=user.id, dossier_id=doc.dossier_id, document_id=doc.id)
            return _entry_view(entry)

    def correct_field(self, user: UserView, doc_id: int, field_name: str, value: str) -> None:
        """Store a corrected extracted field (and learn the supplier's hint)."""
        from pipeline import corrections

        self._require_booker(user)
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id, lock=True)
            try:
                corrections.apply(s, self.rt, doc, field_name, value, user_id=user.id)
            except corrections.CorrectionError as exc:
                raise Refused(str(exc)) from None

    # -- journals, VAT, quota ------------------------------------------------------------
    def entries(
        self,
        user: UserView,
        dossier_id: int,
        *,
        journal: str | None = None,
        period: str | None = None,
        offset: int = 0,
        limit: int = 200,
    ) -> list[EntryView]:
        with self.rt.tx() as s:
            self._check_dossier(s, user, dossier_id)
            return [
                _entry_view(e)
                for e in repo.list_entries(
                    s,
                    dossier_id=dossier_id,
                    journal=journal,
                    period=period,
                    offset=offset,
                    limit=limit,
                )
            ]

    def vat_return(self, user: UserView, dossier_id: int) -> dict[str, dict[str, Decimal]]:
        """Grid totals per VAT period from booked entries."""
        from booking import vat_return_by_period

        with self.rt.tx() as s:
            self._check_dossier(s, user, dossier_id)
            entries = repo.list_entries(s, dossier_id=dossier_id, limit=1_000_000)
            rows = [
                {
                    "vat_period": e.vat_period or e.period,
                    "lines": [
                        {"debit": ln.debit, "credit": ln.credit, "vat_grid": list(ln.vat_grids)}
                        for ln in e.lines
                    ],
                }
                for e in entries
            ]
        return vat_return_by_period(rows)

    def quotas(self, user: UserView) -> list[QuotaView]:
        with self.rt.tx() as s:
            out = []
            for d in repo.list_dossiers(s, self._dossier_ids(s, user)):
                extra, cost = quota_of(d)
                out.append(
                    QuotaView(
                        dossier_id=d.id,
                        dossier_name=d.name,
                        used_bytes=int(d.used_bytes),
                        free_bytes=int(d.free_bytes),
                        documents=int(d.document_count),
                        extra_gb=extra,
                        monthly_cost_eur=cost,
                        used_fraction=int(d.used_bytes) / max(1, int(d.free_bytes)),
                        history=tuple(repo.usage_history(s, d.id)),
                    )
                )
        out.sort(key=lambda q: (-q.used_fraction, q.dossier_name))
        return out

    # -- ingest -------------------------------------------------------------------------
    def ingest(
        self, user: UserView, dossier_id: int, data: bytes, filename: str | None
    ) -> DocumentRow:
        """Add a file without SMTP (upload, CLI); mails (.eml) are split like received ones."""
        from intake.ingest import classify_upload

        with self.rt.tx() as s:
            self._check_dossier(s, user, dossier_id)
        kind, content_type = classify_upload(data, filename)
        ref = self.rt.blobs.put(data)
        with self.rt.tx() as s:
            dossier = repo.get_dossier(s, dossier_id)
            if kind == "mail":
                doc, _ = repo.store_mail(
                    s,
                    dossier=dossier,
                    raw=ref,
                    dedup_key=f"upload:{ref.sha256}",
                    envelope_from="",
                    envelope_to=[dossier.mailbox],
                    message_id=None,
                    peer_ip=None,
                    subject=filename,
                )
                doc.channel = "upload"
            else:
                doc, created = repo.add_document(
                    s,
                    dossier_id=dossier.id,
                    ref=ref,
                    filename=filename,
                    content_type=content_type,
                    origin="upload",
                    channel="upload",
                )
                if created:
                    first = repo.first_document_with_blob(
                        s, dossier.id, ref.sha256, before_id=doc.id
                    )
                    if first is not None:
                        doc.duplicate_of_id = first.id
                        repo.set_state(
                            s,
                            doc,
                            S.DUPLICATE,
                            f"same file as document #{first.id}",
                            code="same_content",
                        )
            repo.audit(
                s,
                "ingest",
                user_id=user.id,
                dossier_id=dossier.id,
                document_id=doc.id,
                filename=filename,
            )
            row = _row(doc, {dossier.id: dossier.name})
        if row.state == S.RECEIVED.value:
            self._send(row.id, row.kind, row.state)
        return row

    def stats(self, user: UserView) -> list[Any]:
        """p50/p95 seconds per pipeline step and document type (see pipeline.stats)."""
        from pipeline.stats import summarise

        with self.rt.tx() as s:
            rows = repo.timing_rows(s, self._dossier_ids(s, user))
        return summarise(rows)

    def review_queue_count(self, user: UserView) -> int:
        return self.count_documents(user, states=[s.value for s in REVIEW_STATES])

    # -- page images (review UI) ---------------------------------------------------------
    def _visual_source(self, user: UserView, doc_id: int) -> tuple[str, str] | None:
        """(blob sha256, content type) of what shows the document's pages, if anything."""
        from pipeline.render import renderable

        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id)
            if doc.kind == "mail":
                return None
            if renderable(doc.content_type):
                return doc.blob_sha256, doc.content_type
            child = next((c for c in repo.children(s, doc.id) if renderable(c.content_type)), None)
            return (child.blob_sha256, child.content_type) if child else None

    def page_images(self, user: UserView, doc_id: int, *, dpi: int = 110) -> tuple[Any, ...]:
        """The document's pages as PNGs (:class:`pipeline.render.PageImage`), capped.

        An e-invoice (XML) shows the PDF it embeds; a mail or an XML without one
        gives ``()``.  An unreadable file raises :class:`ServiceError` with the reason.
        """
        from pipeline.render import RenderError, render_pages

        source = self._visual_source(user, doc_id)
        if source is None:
            return ()
        try:
            return render_pages(self.rt.blobs.get(source[0]), source[1], dpi=dpi)
        except RenderError as exc:
            raise ServiceError(f"the pages cannot be shown: {exc}") from None

    def page_image(
        self,
        user: UserView,
        doc_id: int,
        *,
        page: int = 1,
        dpi: int = 110,
        box: Sequence[float] | None = None,
    ) -> Any | None:
        """One page (from 1) as a PNG ``PageImage`` with ``box`` (page fractions) drawn on it.

        ``None`` when the document has nothing to show (see :meth:`page_images`).
        """
        from pipeline.render import RenderError, render_page

        source = self._visual_source(user, doc_id)
        if source is None:
            return None
        rect = None if box is None else tuple(float(v) for v in box)
        try:
            return render_page(
                self.rt.blobs.get(source[0]),
                source[1],
                page=page,
                dpi=dpi,
                box=rect,  # type: ignore[arg-type]
            )
        except RenderError as exc:
            raise ServiceError(f"the page cannot be shown: {exc}") from None


# ----------------------------------------------------------------------------- helpers


def _slug(name: str) -> str:
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = "".join(ch if ch.isalnum() else "-" for ch in ascii_name.lower())
    slug = "-".join(part for part in slug.split("-") if part)
    return (slug or "dossier")[:40]


def _compact(vat: str | None) -> str | None:
    if not vat:
        return None
    return "".join(ch for ch in vat.upper() if ch.isalnum())


def _money(value: Any, what: str) -> Decimal:
    """UI tables hand back floats: go through str, round to cents, refuse junk."""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return Decimal("0.00")
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise Refused(f"{what} is not an amount: {value!r}") from None
    if amount < 0:
        raise Refused(f"{what} cannot be negative: {amount}")
    return amount


def normalise_lines(lines: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for n, ln in enumerate(lines, start=1):
        account = str(ln.get("account") or "").strip().split(" ", 1)[0]
        if not account:
            raise Refused(f"line {n} has no account")
        grids = ln.get("vat_grids", ln.get("vat_grid")) or ()
        if isinstance(grids, str):
            grids = [g.strip() for g in grids.split(",") if g.strip()]
        debit = _money(ln.get("debit"), f"line {n} debit")
        credit = _money(ln.get("credit"), f"line {n} credit")
        if debit == 0 and credit == 0:
            continue
        out.append(
            {
                "account": account,
                "debit": debit,
                "credit": credit,
                "vat_code": (ln.get("vat_code") or None),
                "vat_grids": [str(g) for g in grids],
                "description": str(ln.get("description") or ""),
                "reason": str(ln.get("reason") or "edited by the accountant"),
                "confidence": float(ln.get("confidence") or 1.0),
                "kind": str(ln.get("kind") or "base"),
            }
        )
    return out


def _replace_lines(s: Any, entry: JournalEntry, lines: list[dict[str, Any]]) -> None:
    from storage.models import JournalLine

    entry.lines.clear()
    s.flush()
    for seq, ln in enumerate(lines, start=1):
        entry.lines.append(JournalLine(seq=seq, **ln))
    s.flush()


def _lines_signature(entry: JournalEntry) -> list[tuple[str, Decimal, Decimal]]:
    return sorted(
        (
            ln.account,
            Decimal(ln.debit).quantize(Decimal("0.01")),
            Decimal(ln.credit).quantize(Decimal("0.01")),
        )
        for ln in entry.lines
    )


def _lock_reason(dossier: Dossier, period: str) -> str | None:
    """Why ``period`` is locked for ``dossier`` (booking's rule), or None."""
    from booking.periods import lock_reason
    from pipeline.bookings import dossier_context

    return lock_reason(period, dossier_context(dossier))


def check_entry_rules(entry: JournalEntry, dossier: Dossier) -> list[str]:
    problems = []
    debit = sum((Decimal(ln.debit) for ln in entry.lines), Decimal("0"))
    credit = sum((Decimal(ln.credit) for ln in entry.lines), Decimal("0"))
    if not entry.lines:
        problems.append("the entry has no lines")
    if debit != credit:
        problems.append(f"the entry does not balance: debit {debit:.2f} vs credit {credit:.2f}")
    locked = _lock_reason(dossier, entry.period)
    if locked:
        problems.append(locked)
    return problems
