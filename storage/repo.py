"""Data access: every read and write the pipeline and service need.

Functions take an open :class:`~sqlalchemy.orm.Session` and never commit;
the caller owns the transaction (``storage.db.session_scope``).  Uniqueness
is enforced by constraints and handled on conflict, never by check-then-act.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import String, Table, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.blobs import BlobRef
from storage.errors import NotFound
from storage.mailstore import MailIn, register_blobs, store_mails
from storage.models import (
    Account,
    AuditEvent,
    Document,
    Dossier,
    ExchangeRate,
    Extraction,
    JournalEntry,
    JournalLine,
    Mail,
    Membership,
    Supplier,
    UsageDay,
    User,
    utcnow,
)
from storage.states import DocumentState, transition

# ----------------------------------------------------------------------------- helpers


def _insert(session: Session, model: Any) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def normalise_address(address: str) -> str:
    """Lower-case, strip ``<>`` and a ``+tag`` sub-address from the local part."""
    address = address.strip().strip("<>").strip()
    local, _, domain = address.rpartition("@")
    if not local:
        return address.lower()
    local = local.split("+", 1)[0]
    return f"{local.lower()}@{domain.lower()}"


def new_mailbox_token() -> str:
    """64 random bits, so dossier addresses cannot be guessed."""
    return secrets.token_hex(8)


# ----------------------------------------------------------------------------- dossiers


def create_dossier(
    session: Session,
    *,
    name: str,
    mailbox: str,
    vat_number: str | None = None,
    allowed_senders: Sequence[str] = (),
    settings: dict[str, Any] | None = None,
) -> Dossier:
    dossier = Dossier(
        name=name,
        mailbox=normalise_address(mailbox),
        vat_number=vat_number,
        allowed_senders=[s.lower() for s in allowed_senders],
        settings=settings or {},
        enabled=True,
        used_bytes=0,
        document_count=0,
        free_bytes=1_000_000_000,
    )
    session.add(dossier)
    session.flush()
    return dossier


def find_dossier_by_address(session: Session, address: str) -> Dossier | None:
    return session.scalar(select(Dossier).where(Dossier.mailbox == normalise_address(address)))


def get_dossier(session: Session, ref: int | str) -> Dossier:
    """A dossier by id, mailbox address or exact name."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        found = session.get(Dossier, int(ref))
    else:
        stmt = select(Dossier).where(
            (Dossier.mailbox == normalise_address(ref)) | (Dossier.name == ref)
        )
        found = session.scalars(stmt).first()
    if found is None:
        raise NotFound(f"unknown dossier: {ref}")
    return found


def list_dossiers(session: Session, ids: Iterable[int] | None = None) -> list[Dossier]:
    stmt = select(Dossier).order_by(Dossier.name)
    if ids is not None:
        stmt = stmt.where(Dossier.id.in_(list(ids)))
    return list(session.scalars(stmt))


# ----------------------------------------------------------------------------- blobs, quota


def register_blob(session: Session, dossier_id: int, ref: BlobRef) -> bool:
    """Record a stored blob and count it once in the dossier's quota.

    Returns True when the blob is new to this dossier (its bytes were added
    to the running counter in this transaction).
    """
    return bool(register_blobs(session, [(dossier_id, ref)]))


def usage_history(session: Session, dossier_id: int) -> list[tuple[dt.date, int]]:
    rows = session.execute(
        select(UsageDay.day, UsageDay.used_bytes)
        .where(UsageDay.dossier_id == dossier_id)
        .order_by(UsageDay.day)
    )
    return [(r[0], int(r[1])) for r in rows]


# ----------------------------------------------------------------------------- mail


def store_mail(
    session: Session,
    *,
    dossier: Dossier,
    raw: BlobRef,
    dedup_key: str,
    envelope_from: str,
    envelope_to: Sequence[str],
    message_id: str | None,
    peer_ip: str | None,
    subject: str | None = None,
    from_header: str | None = None,
    sender_allowed: bool = True,
) -> tuple[Document, bool]:
    """The mail row and its container document; idempotent on ``dedup_key``.

    Returns ``(mail_document, created)``; a redelivery returns the first one.
    """
    item = MailIn(
        dossier.id,
        raw,
        dedup_key,
        envelope_from,
        tuple(envelope_to),
        message_id,
        peer_ip,
        subject,
        from_header,
        sender_allowed,
    )
    try:
        with session.begin_nested():
            (stored,) = store_mails(session, [item])
    except IntegrityError:
        with session.begin_nested():
            (stored,) = store_mails(session, [item])
    doc = session.get(Document, stored.document_id)
    assert doc is not None
    return doc, stored.created


def _mail_document(session: Session, dossier_id: int, dedup_key: str) -> Document | None:
    return session.scalar(
        select(Document)
        .join(Mail, Document.mail_id == Mail.id)
        .where(Mail.dossier_id == dossier_id, Mail.dedup_key == dedup_key)
        .where(Document.kind == "mail")
    )


def get_mail(session: Session, mail_id: int) -> Mail:
    mail = session.get(Mail, mail_id)
    if mail is None:
        raise NotFound(f"unknown mail {mail_id}")
    return mail


# ----------------------------------------------------------------------------- documents


#: built once: a statement built per call costs more CPU than its SQLite query
_DOCUMENT_BY_ID = select(Document).where(Document.id == bindparam("doc_id"))
_DOCUMENT_BY_ID_LOCKED = _DOCUMENT_BY_ID.with_for_update()


def get_document(session: Session, doc_id: int, *, lock: bool = False) -> Document:
    locked = lock and session.get_bind().dialect.name == "postgresql"
    stmt = _DOCUMENT_BY_ID_LOCKED if locked else _DOCUMENT_BY_ID
    doc = session.scalar(stmt, {"doc_id": doc_id})
    if doc is None:
        raise NotFound(f"unknown document {doc_id}")
    return doc


#: the table itself: Core statements on it skip the ORM (no autoflush, no identity map)
_DOCUMENT = cast(Table, Document.__table__)
_DELIVERY = select(_DOCUMENT.c.state, _DOCUMENT.c.timings, _DOCUMENT.c.attempts).where(
    _DOCUMENT.c.id == bindparam("doc_id")
)
_DELIVERY_LOCKED = _DELIVERY.with_for_update()
#: the SET clause comes from the parameters given (``timings``, ``attempts`` or both)
_UPDATE_DELIVERY = update(_DOCUMENT).where(_DOCUMENT.c.id == bindparam("doc_id"))


def delivery_facts(
    session: Session, doc_id: int, *, lock: bool = False
) -> tuple[str, dict[str, Any] | None, int | None]:
    """``(state, timings, attempts)`` of a document, without loading it whole (the actor
    shell reads them before and after every step); ``lock`` as in :func:`get_document`."""
    locked = lock and session.get_bind().dialect.name == "postgresql"
    row = session.execute(_DELIVERY_LOCKED if locked else _DELIVERY, {"doc_id": doc_id}).first()
    if row is None:
        raise NotFound(f"unknown document {doc_id}")
    return row[0], row[1], row[2]


def set_delivery(session: Session, doc_id: int, **values: Any) -> None:
    """Store a document's ``timings`` and/or ``attempts`` in one UPDATE (``updated_at`` is
    stamped as an ORM flush of the document would); only the columns given are written."""
    if not values or not set(values) <= {"timings", "attempts"}:
        raise ValueError(f"set_delivery writes timings and attempts only, not {sorted(values)}")
    session.execute(_UPDATE_DELIVERY, {"doc_id": doc_id, **values})


_DOCUMENT_PART = select(Document).where(
    Document.parent_id == bindparam("parent_id"), Document.part_index == bindparam("part_index")
)


def add_document(
    session: Session,
    *,
    dossier_id: int,
    ref: BlobRef,
    filename: str | None,
    content_type: str,
    origin: str,
    channel: str,
    parent: Document | None = None,
    part_index: int | None = None,
    declared_content_type: str | None = None,
    mail_id: int | None = None,
) -> tuple[Document, bool]:
    """A new file document in RECEIVED (idempotent per parent and part index).

    Returns ``(document, created)``.
    """
    if parent is not None and part_index is not None:
        existing = session.scalar(
            _DOCUMENT_PART, {"parent_id": parent.id, "part_index": part_index}
        )
        if existing is not None:
            return existing, False
    with session.begin_nested():
        register_blob(session, dossier_id, ref)
        doc = Document(
            dossier_id=dossier_id,
            mail_id=mail_id if mail_id is not None else (parent.mail_id if parent else None),
            parent_id=parent.id if parent else None,
            part_index=part_index,
            kind="file",
            blob_sha256=ref.sha256,
            size=ref.size,
            filename=filename,
            content_type=content_type,
            declared_content_type=declared_content_type,
            origin=origin,
            channel=channel,
            state=DocumentState.RECEIVED.value,
            timings={"received": utcnow().isoformat()},
        )
        session.add(doc)
        session.flush()
        session.execute(
            update(Dossier)
            .where(Dossier.id == dossier_id)
            .values(document_count=Dossier.document_count + 1)
        )
    return doc, True


def first_document_with_blob(
    session: Session, dossier_id: int, sha256: str, *, before_id: int
) -> Document | None:
    """The earliest other file document of the dossier with the same bytes."""
    return session.scalar(
        _FIRST_WITH_BLOB, {"dossier_id": dossier_id, "sha256": sha256, "before_id": before_id}
    )


_FIRST_WITH_BLOB = (
    select(Document)
    .where(
        Document.dossier_id == bindparam("dossier_id"),
        Document.blob_sha256 == bindparam("sha256"),
        Document.kind == "file",
        Document.id < bindparam("before_id"),
    )
    .order_by(Document.id)
    .limit(1)
)


def lock_invoice_checks(session: Session, dossier_id: int) -> None:
    """Serialise duplicate-invoice checks of one dossier until the transaction ends.

    Two workers extracting the PDF and the UBL of one invoice at the same time
    would otherwise each miss the other's uncommitted row and both be proposed.
    SQLite needs nothing: ``BEGIN IMMEDIATE`` already serialises writers.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(dossier_id)))


def find_invoice_twin(
    session: Session,
    *,
    dossier_id: int,
    supplier_vat: str,
    invoice_number: str,
    total: Any,
    exclude_id: int,
) -> Document | None:
    """Another extracted document of the dossier with the same supplier, number and total."""
    candidates = session.scalars(
        _INVOICE_TWINS,
        {
            "dossier_id": dossier_id,
            "supplier_vat": supplier_vat,
            "number": invoice_number.strip().lower(),
            "exclude_id": exclude_id,
        },
    )
    for cand in candidates:
        if total is None or cand.total_incl_vat is None or cand.total_incl_vat == total:
            return cand
    return None


_INVOICE_TWINS = (
    select(Document)
    .where(
        Document.dossier_id == bindparam("dossier_id"),
        Document.supplier_vat == bindparam("supplier_vat"),
        func.lower(func.trim(Document.invoice_number)) == bindparam("number", type_=String()),
        Document.id != bindparam("exclude_id"),
        Document.kind == "file",
        Document.state.not_in([DocumentState.DUPLICATE.value, DocumentState.REJECTED.value]),
    )
    .order_by(Document.id)
)


def set_state(
    session: Session,
    doc: Document,
    target: DocumentState,
    reason: str | None = None,
    *,
    code: str | None = None,
    timing: str | None = None,
) -> None:
    """Move a document through the state machine (raises on illegal moves)."""
    transition(DocumentState(doc.state), target, reason)
    doc.state = target.value
    doc.state_reason = reason
    doc.reason_code = code
    stamp = timing or target.value
    timings = dict(doc.timings or {})
    timings[stamp] = utcnow().isoformat()
    doc.timings = timings
    doc.updated_at = utcnow()


def children(session: Session, doc_id: int) -> list[Document]:
    return list(
        session.scalars(
            select(Document).where(Document.parent_id == doc_id).order_by(Document.part_index)
        )
    )


def stuck_documents(
    session: Session, states: Iterable[DocumentState], older_than: dt.datetime, limit: int = 500
) -> list[Document]:
    return list(
        session.scalars(
            select(Document)
            .where(
                Document.state.in_([s.value for s in states]),
                Document.updated_at < older_than,
            )
            .order_by(Document.id)
            .limit(limit)
        )
    )


def list_documents(
    session: Session,
    *,
    dossier_ids: Iterable[int] | None = None,
    states: Iterable[str] | None = None,
    kind: str | None = None,
    offset: int = 0,
    limit: int = 100,
    newest_first: bool = True,
) -> list[Document]:
    stmt = select(Document)
    if dossier_ids is not None:
        stmt = stmt.where(Document.dossier_id.in_(list(dossier_ids)))
    if states is not None:
        stmt = stmt.where(Document.state.in_(list(states)))
    if kind is not None:
        stmt = stmt.where(Document.kind == kind)
    stmt = stmt.order_by(Document.id.desc() if newest_first else Document.id)
    return list(session.scalars(stmt.offset(offset).limit(limit)))


def count_documents(
    session: Session,
    *,
    dossier_ids: Iterable[int] | None = None,
    states: Iterable[str] | None = None,
    kind: str | None = None,
) -> int:
    stmt = select(func.count(Document.id))
    if dossier_ids is not None:
        stmt = stmt.where(Document.dossier_id.in_(list(dossier_ids)))
    if states is not None:
        stmt = stmt.where(Document.state.in_(list(states)))
    if kind is not None:
        stmt = stmt.where(Document.kind == kind)
    return int(session.scalar(stmt) or 0)


def neighbour_ids(
    session: Session, doc_id: int, *, dossier_ids: Iterable[int] | None, states: Iterable[str]
) -> tuple[int | None, int | None]:
    """The previous and next document id in the same queue (by id)."""
    base = select(Document.id).where(Document.state.in_(list(states)), Document.kind == "file")
    if dossier_ids is not None:
        base = base.where(Document.dossier_id.in_(list(dossier_ids)))
    prev_id = session.scalar(base.where(Document.id < doc_id).order_by(Document.id.desc()).limit(1))
    next_id = session.scalar(base.where(Document.id > doc_id).order_by(Document.id).limit(1))
    return prev_id, next_id


def state_counts(
    session: Session, dossier_ids: Iterable[int] | None = None
) -> dict[tuple[int, str], int]:
    stmt = select(Document.dossier_id, Document.state, func.count(Document.id)).group_by(
        Document.dossier_id, Document.state
    )
    if dossier_ids is not None:
        stmt = stmt.where(Document.dossier_id.in_(list(dossier_ids)))
    return {(r[0], r[1]): int(r[2]) for r in session.execute(stmt)}


def timing_rows(
    session: Session, dossier_ids: Iterable[int] | None = None, limit: int = 20_000
) -> list[tuple[str, str, str | None, dict[str, Any], dict[str, Any]]]:
    """(kind, content type, extractor, timings, parent timings) of recent documents."""
    from sqlalchemy.orm import aliased

    parent = aliased(Document)
    stmt = (
        select(
            Document.kind,
            Document.content_type,
            Extraction.extractor,
            Document.timings,
            parent.timings,
        )
        .outerjoin(Extraction, Extraction.document_id == Document.id)
        .outerjoin(parent, parent.id == Document.parent_id)
        .order_by(Document.id.desc())
        .limit(limit)
    )
    if dossier_ids is not None:
        stmt = stmt.where(Document.dossier_id.in_(list(dossier_ids)))
    return [(r[0], r[1], r[2], r[3] or {}, r[4] or {}) for r in session.execute(stmt)]


# ----------------------------------------------------------------------------- extraction


def save_extraction(
    session: Session,
    doc_id: int,
    *,
    invoice: dict[str, Any],
    findings: list[Any],
    warnings: list[Any],
    confidence: dict[str, Any],
    extractor: str,
    pages: list[Any] | None = None,
) -> Extraction:
    row = session.get(Extraction, doc_id)
    if row is None:
        row = Extraction(document_id=doc_id, invoice=invoice)
        session.add(row)
    row.invoice = invoice
    row.findings = findings
    row.warnings = warnings
    row.confidence = confidence
    row.extractor = extractor
    row.pages = pages or []
    row.created_at = utcnow()
    session.flush()
    return row


def get_extraction(session: Session, doc_id: int) -> Extraction | None:
    return session.get(Extraction, doc_id)


# ----------------------------------------------------------------------------- suppliers


def supplier_key(vat: str | None, iban: str | None, name: str | None) -> str | None:
    if vat:
        return "vat:" + "".join(ch for ch in vat.upper() if ch.isalnum())
    if iban:
        return "iban:" + iban.replace(" ", "").upper()
    if name:
        return "name:" + " ".join(name.lower().split())
    return None


def find_supplier(
    session: Session, dossier_id: int, *, vat: str | None, iban: str | None, name: str | None
) -> Supplier | None:
    for key in (
        supplier_key(vat, None, None),
        supplier_key(None, iban, None),
        supplier_key(None, None, name),
    ):
        if key is None:
            continue
        found = session.scalar(
            select(Supplier).where(Supplier.dossier_id == dossier_id, Supplier.key == key)
        )
        if found is not None:
            return found
    if iban:
        found = session.scalar(
            select(Supplier).where(
                Supplier.dossier_id == dossier_id,
                Supplier.iban == iban.replace(" ", "").upper(),
            )
        )
        if found is not None:
            return found
    return None


def upsert_supplier(
    session: Session,
    dossier_id: int,
    *,
    vat: str | None,
    iban: str | None,
    name: str | None,
    country: str | None = None,
) -> Supplier | None:
    found = find_supplier(session, dossier_id, vat=vat, iban=iban, name=name)
    if found is not None:
        if name and not found.name:
            found.name = name
        if iban and not found.iban:
            found.iban = iban.replace(" ", "").upper()
        if vat and not found.vat_number:
            found.vat_number = vat
        return found
    key = supplier_key(vat, iban, name)
    if key is None:
        return None
    try:
        with session.begin_nested():
            sup = Supplier(
                dossier_id=dossier_id,
                key=key,
                vat_number=vat,
                name=name,
                iban=iban.replace(" ", "").upper() if iban else None,
                country=country,
                history=[],
                hints=[],
                autobook_policy="never",
                autobook_after=3,
                confirmations_in_a_row=0,
            )
            session.add(sup)
            session.flush()
    except IntegrityError:
        return find_supplier(session, dossier_id, vat=vat, iban=iban, name=name)
    return sup


def list_suppliers(session: Session, dossier_id: int) -> list[Supplier]:
    return list(
        session.scalars(
            select(Supplier).where(Supplier.dossier_id == dossier_id).order_by(Supplier.name)
        )
    )


def get_supplier(session: Session, supplier_id: int) -> Supplier:
    found = session.get(Supplier, supplier_id)
    if found is None:
        raise NotFound(f"unknown supplier {supplier_id}")
    return found


def suppliers_with_hints(session: Session, dossier_id: int) -> list[Supplier]:
    rows = session.scalars(select(Supplier).where(Supplier.dossier_id == dossier_id))
    return [sup for sup in rows if sup.hints]


# ----------------------------------------------------------------------------- accounts


def install_accounts(session: Session, dossier_id: int, accounts: Iterable[dict[str, Any]]) -> int:
    n = 0
    for acc in accounts:
        inserted = session.execute(
            _insert(session, Account)
            .values(dossier_id=dossier_id, active=True, **acc)
            .on_conflict_do_nothing(index_elements=["dossier_id", "number"])
            .returning(Account.id)
        ).first()
        n += inserted is not None
    return n


def list_accounts(session: Session, dossier_id: int) -> list[Account]:
    return list(
        session.scalars(
            select(Account).where(Account.dossier_id == dossier_id).order_by(Account.number)
        )
    )


# ----------------------------------------------------------------------------- journal


_ENTRY_OF_DOCUMENT = select(JournalEntry).where(JournalEntry.document_id == bindparam("doc_id"))


def entry_for_document(session: Session, doc_id: int) -> JournalEntry | None:
    return session.scalar(_ENTRY_OF_DOCUMENT, {"doc_id": doc_id})


def replace_entry(
    session: Session,
    *,
    dossier_id: int,
    document_id: int | None,
    fields: dict[str, Any],
    lines: Sequence[dict[str, Any]],
) -> JournalEntry:
    """Create or overwrite the (unbooked) entry of a document."""
    entry = entry_for_document(session, document_id) if document_id is not None else None
    if entry is None:
        entry = JournalEntry(dossier_id=dossier_id, document_id=document_id, **fields)
        session.add(entry)
    else:
        for key, value in fields.items():
            setattr(entry, key, value)
        entry.lines.clear()
        session.flush()
    for seq, line in enumerate(lines, start=1):
        entry.lines.append(JournalLine(seq=seq, **line))
    session.flush()
    return entry


def drop_unbooked_entry(session: Session, document_id: int) -> bool:
    """Delete the document's proposed (or draft) entry; a booked one stays."""
    entry = entry_for_document(session, document_id)
    if entry is None or entry.status == "booked":
        return False
    session.delete(entry)
    return True


def next_entry_number(session: Session, dossier_id: int, journal: str, bookyear: str) -> int:
    current = session.scalar(
        select(func.max(JournalEntry.number)).where(
            JournalEntry.dossier_id == dossier_id,
            JournalEntry.journal == journal,
            JournalEntry.bookyear == bookyear,
        )
    )
    return int(current or 0) + 1


def list_entries(
    session: Session,
    *,
    dossier_id: int,
    journal: str | None = None,
    bookyear: str | None = None,
    period: str | None = None,
    status: str | None = "booked",
    offset: int = 0,
    limit: int = 200,
) -> list[JournalEntry]:
    stmt = select(JournalEntry).where(JournalEntry.dossier_id == dossier_id)
    if journal:
        stmt = stmt.where(JournalEntry.journal == journal)
    if bookyear is not None:
        stmt = stmt.where(JournalEntry.bookyear == bookyear)
    if period is not None:
        stmt = stmt.where(JournalEntry.period == period)
    if status:
        stmt = stmt.where(JournalEntry.status == status)
    stmt = stmt.order_by(JournalEntry.date, JournalEntry.id).offset(offset).limit(limit)
    return list(session.scalars(stmt))


# ----------------------------------------------------------------------------- users


def create_user(
    session: Session, *, username: str, password_hash: str, role: str, display_name: str = ""
) -> User:
    user = User(
        username=username.lower(),
        password_hash=password_hash,
        role=role,
        display_name=display_name or username,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.lower()))


def get_user_by_id(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"unknown user {user_id}")
    return user


def add_membership(session: Session, user_id: int, dossier_id: int, role: str) -> None:
    session.execute(
        _insert(session, Membership)
        .values(user_id=user_id, dossier_id=dossier_id, role=role)
        .on_conflict_do_update(index_elements=["user_id", "dossier_id"], set_={"role": role})
    )


def member_dossier_ids(session: Session, user_id: int) -> list[int]:
    return list(session.scalars(select(Membership.dossier_id).where(Membership.user_id == user_id)))


def user_access(session: Session, user_id: int) -> tuple[str, bool] | None:
    """(global role, active) of a user as stored now, or None when the user is gone."""
    row = session.execute(select(User.role, User.active).where(User.id == user_id)).first()
    return None if row is None else (str(row[0]), bool(row[1]))


def dossier_members(session: Session, dossier_id: int) -> list[tuple[User, str]]:
    rows = session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.dossier_id == dossier_id)
        .order_by(User.username)
    )
    return [(r[0], r[1]) for r in rows]


# ----------------------------------------------------------------------------- audit


def audit(
    session: Session,
    action: str,
    *,
    user_id: int | None = None,
    dossier_id: int | None = None,
    document_id: int | None = None,
    **detail: Any,
) -> None:
    session.add(
        AuditEvent(
            action=action,
            user_id=user_id,
            dossier_id=dossier_id,
            document_id=document_id,
            detail=detail,
            at=utcnow(),
        )
    )


def audit_trail(session: Session, document_id: int) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.document_id == document_id).order_by(AuditEvent.id)
        )
    )


# ----------------------------------------------------------------------------- exchange rates


def store_rates(
    session: Session, rows: Iterable[tuple[str, dt.date, Decimal]], *, source: str = "ecb"
) -> int:
    """Insert or replace exchange rates ``(currency, day, units per EUR)``; returns the count."""
    batch: list[dict[str, Any]] = []
    count = 0
    for currency, day, rate in rows:
        batch.append({"currency": currency.upper(), "day": day, "rate": rate, "source": source})
        if len(batch) >= 2000:
            count += _flush_rates(session, batch)
            batch = []
    if batch:
        count += _flush_rates(session, batch)
    return count


def _flush_rates(session: Session, batch: list[dict[str, Any]]) -> int:
    stmt = _insert(session, ExchangeRate).values(batch)
    stmt = stmt.on_conflict_do_update(
        index_elements=["currency", "day"],
        set_={"rate": stmt.excluded.rate, "source": stmt.excluded.source},
    )
    session.execute(stmt)
    return len(batch)


def rates_between(
    session: Session, currency: str, first: dt.date, last: dt.date
) -> list[tuple[dt.date, Decimal]]:
    """The stored rates of ``currency`` from ``first`` to ``last``, oldest first."""
    stmt = (
        select(ExchangeRate.day, ExchangeRate.rate)
        .where(ExchangeRate.currency == currency.upper())
        .where(ExchangeRate.day >= first, ExchangeRate.day <= last)
        .order_by(ExchangeRate.day)
    )
    return [(day, Decimal(rate)) for day, rate in session.execute(stmt)]


def count_rates(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ExchangeRate)) or 0)


def possible_twin_keys(
    session: Session,
    *,
    dossier_id: int,
    exclude_id: int,
    total: Any,
    invoice_date: Any,
    supplier_vat: str | None = None,
    invoice_number: str | None = None,
    limit: int = 200,
) -> list[Any]:
    """Live file documents of the dossier sharing the total, the date, the supplier VAT or
    the number with a document (newest ``limit``, returned oldest first), as rows of their
    ``id``, ``state``, ``invoice_number``, ``invoice_date`` and ``supplier_vat``.

    The caller compares supplier, number, total and date loosely (an OCR'd photo reads
    them with small differences); rejected and duplicate documents are left out.  Most
    candidates are ruled out on these columns; the rest are read whole with
    :func:`get_documents` (not every candidate as a whole document: up to 200 of them,
    twice per document of a large dossier).
    """
    given = {
        name: value
        for name, value in (
            ("total_incl_vat", total),
            ("invoice_date", invoice_date),
            ("supplier_vat", supplier_vat),
            ("invoice_number", invoice_number),
        )
        if value is not None and value != ""
    }
    if not given:
        return []
    stmt = _twin_keys_statement(tuple(given), limit)
    params = {"dossier_id": dossier_id, "exclude_id": exclude_id, **given}
    return sorted(session.execute(stmt, params), key=lambda row: row.id)


@functools.lru_cache(maxsize=64)
def _twin_keys_statement(columns: tuple[str, ...], limit: int) -> Any:
    """The statement of :func:`possible_twin_keys` for the columns given (built once each:
    15 combinations at most); each column's value is the parameter of the same name."""
    return (
        select(
            Document.id,
            Document.state,
            Document.invoice_number,
            Document.invoice_date,
            Document.supplier_vat,
        )
        .where(
            Document.dossier_id == bindparam("dossier_id"),
            or_(*(getattr(Document, name) == bindparam(name) for name in columns)),
            Document.id != bindparam("exclude_id"),
            Document.kind == "file",
            Document.state.not_in([DocumentState.DUPLICATE.value, DocumentState.REJECTED.value]),
        )
        .order_by(Document.id.desc())
        .limit(limit)
    )


def get_documents(session: Session, doc_ids: list[int]) -> list[Document]:
    """The documents with these ids (those that exist), in id order."""
    if not doc_ids:
        return []
    found = session.scalars(select(Document).where(Document.id.in_(doc_ids)))
    return sorted(found, key=lambda d: d.id)


def waiting_with_alerts(session: Session, dossier_id: int, *, limit: int = 1000) -> list[Document]:
    """Documents of the dossier waiting for review that carry alerts (newest ``limit``)."""
    return list(
        session.scalars(
            select(Document)
            .where(
                Document.dossier_id == dossier_id,
                Document.alerts.is_not(None),
                Document.state.in_([DocumentState.EXTRACTED.value, DocumentState.PROPOSED.value]),
            )
            .order_by(Document.id.desc())
            .limit(limit)
        )
    )
