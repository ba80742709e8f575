"""Received mails and blob accounting: the SMTP server's group commit, in plain SQL.

:func:`store_mails` stores a batch of mails in the caller's transaction with a
few statements per batch and two short inserts per mail (see
:mod:`storage.rawsql` for why this path bypasses SQLAlchemy's statement
machinery).  :func:`register_blobs` counts new blobs in the dossiers' quota;
the split step and uploads use it too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from storage.blobs import BlobRef
from storage.models import Base, utcnow
from storage.rawsql import Raw
from storage.states import DocumentState

__all__ = ["MailIn", "MailStored", "register_blobs", "store_mails"]

_T = Base.metadata.tables
_MAIL, _DOCUMENT, _BLOB, _DOSSIER_BLOB, _USAGE_DAY = (
    _T["mail"], _T["document"], _T["blob"], _T["dossier_blob"], _T["usage_day"],
)  # fmt: skip
_RECEIVED = DocumentState.RECEIVED.value


@dataclass(frozen=True, slots=True)
class MailIn:
    """One received mail for one dossier (what :func:`store_mails` takes)."""

    dossier_id: int
    raw: BlobRef
    dedup_key: str
    envelope_from: str
    envelope_to: tuple[str, ...]
    message_id: str | None
    peer_ip: str | None
    subject: str | None = None
    from_header: str | None = None
    sender_allowed: bool = True


@dataclass(frozen=True, slots=True)
class MailStored:
    document_id: int
    created: bool
    state: str


def register_blobs(session: Session, pairs: Sequence[tuple[int, BlobRef]]) -> set[tuple[int, str]]:
    """Record stored blobs and count each once in its dossier's quota.

    Returns the (dossier, sha256) pairs that were new to their dossier.
    Race-free: the ``dossier_blob`` primary key decides, and ``ON CONFLICT DO
    NOTHING RETURNING`` reports only the rows this transaction inserted.
    """
    if not pairs:
        return set()
    with Raw(session) as raw:
        return _register(raw, pairs)


def _register(raw: Raw, pairs: Sequence[tuple[int, BlobRef]]) -> set[tuple[int, str]]:
    now = raw.value(_BLOB, "created_at", utcnow())
    blobs = {ref.sha256: ref.size for _, ref in pairs}
    raw.executemany(
        "INSERT INTO blob (sha256, size, created_at) VALUES (?, ?, ?) "
        "ON CONFLICT (sha256) DO NOTHING",
        sorted((sha, size, now) for sha, size in blobs.items()),
    )
    wanted = sorted({(did, ref.sha256, ref.size) for did, ref in pairs})
    inserted = raw.each_returning(
        "INSERT INTO dossier_blob (dossier_id, sha256, size, created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (dossier_id, sha256) DO NOTHING RETURNING dossier_id",
        [(did, sha, size, now) for did, sha, size in wanted],
    )
    added: dict[int, int] = {}
    new: set[tuple[int, str]] = set()
    for (did, sha, size), row in zip(wanted, inserted, strict=True):
        if row is not None:
            added[did] = added.get(did, 0) + size
            new.add((did, sha))
    day = raw.value(_USAGE_DAY, "day", utcnow().date())
    for did, size in sorted(added.items()):
        (used,) = raw.execute(
            "UPDATE dossier SET used_bytes = used_bytes + ? WHERE id = ? RETURNING used_bytes",
            (size, did),
        ).fetchone()
        raw.execute(
            "INSERT INTO usage_day (dossier_id, day, used_bytes) VALUES (?, ?, ?) "
            "ON CONFLICT (dossier_id, day) DO UPDATE SET used_bytes = excluded.used_bytes",
            (did, day, used),
        )
    return new


def store_mails(session: Session, items: Sequence[MailIn]) -> list[MailStored]:
    """Store many mails in one transaction (the SMTP server's group commit).

    Idempotent per ``(dossier, dedup_key)``: a redelivery (also within the
    batch) returns the first mail document with ``created=False``.  A
    concurrent writer of the same key makes the insert raise
    :class:`~sqlalchemy.exc.IntegrityError`; retrying the batch then finds
    the stored rows.
    """
    with Raw(session) as raw:
        found = _existing(raw, {(i.dossier_id, i.dedup_key) for i in items})
        new: dict[tuple[int, str], MailIn] = {}
        for i in items:
            key = (i.dossier_id, i.dedup_key)
            if key not in found and key not in new:
                new[key] = i
        if new:
            _insert_mails(raw, list(new.values()), found)
    out: list[MailStored] = []
    given: set[tuple[int, str]] = set()
    for i in items:
        key = (i.dossier_id, i.dedup_key)
        stored = found[key]
        out.append(
            stored if key not in given else MailStored(stored.document_id, False, stored.state)
        )
        given.add(key)
    return out


def _existing(raw: Raw, keys: set[tuple[int, str]]) -> dict[tuple[int, str], MailStored]:
    found: dict[tuple[int, str], MailStored] = {}
    for chunk in _chunks(sorted({k for _, k in keys}), 500):
        rows = raw.execute(
            "SELECT mail.dossier_id, mail.dedup_key, document.id, document.state "
            "FROM mail JOIN document ON document.mail_id = mail.id "
            f"WHERE document.kind = 'mail' AND mail.dedup_key IN ({', '.join('?' * len(chunk))})",
            chunk,
        ).fetchall()
        for did, dedup, doc_id, state in rows:
            if (did, dedup) in keys:
                found[(int(did), str(dedup))] = MailStored(int(doc_id), False, str(state))
    return found


def _chunks(values: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


_MAIL_COLUMNS = (
    "dossier_id", "raw_sha256", "dedup_key", "envelope_from", "envelope_to", "message_id",
    "peer_ip", "subject", "from_header", "sender_allowed",
)  # fmt: skip
_DOCUMENT_COLUMNS = ("dossier_id", "mail_id", "blob_sha256", "size")


def _insert_mails(raw: Raw, new: list[MailIn], found: dict[tuple[int, str], MailStored]) -> None:
    now = utcnow()
    _register(raw, [(i.dossier_id, i.raw) for i in new])
    mail_ids = raw.insert_ids(
        _MAIL,
        _MAIL_COLUMNS,
        [
            (
                i.dossier_id,
                i.raw.sha256,
                i.dedup_key,
                i.envelope_from,
                list(i.envelope_to),
                i.message_id,
                i.peer_ip,
                i.subject,
                i.from_header,
                i.sender_allowed,
            )
            for i in new
        ],
        {"ignored": [], "quarantined": [], "received_at": now},
    )
    doc_ids = raw.insert_ids(
        _DOCUMENT,
        _DOCUMENT_COLUMNS,
        [
            (i.dossier_id, mail_id, i.raw.sha256, i.raw.size)
            for i, mail_id in zip(new, mail_ids, strict=True)
        ],
        {
            "kind": "mail",
            "filename": None,
            "content_type": "message/rfc822",
            "origin": "smtp",
            "channel": "smtp",
            "state": _RECEIVED,
            "timings": {"received": now.isoformat()},
            "attempts": 0,
            "warning_count": 0,
            "created_at": now,
            "updated_at": now,
        },
    )
    for i, doc_id in zip(new, doc_ids, strict=True):
        found[(i.dossier_id, i.dedup_key)] = MailStored(int(doc_id), True, _RECEIVED)
