"""The client portal: upload from the browser or phone, find and file documents.

Uploads take the same path as mail: :meth:`upload` hands each file to the
service's ``ingest`` (a ZIP is wrapped in a mail first, so the mail splitter
unpacks it with its limits and duplicate detection, exactly like a mailed
archive).  :meth:`upload_progress` follows what became of each file.

Documents are searched by full text (the text the extract step stored: fields and
page words; SQLite FTS5 or PostgreSQL full-text search), supplier or customer,
period, amount, state, type and tag.  A document that is not an invoice (contract,
payslip, bank letter) is filed under a tag: it leaves the review queue and is never
booked from there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from email.message import EmailMessage
from typing import Any, cast

from pipeline.service.core import (
    Permission,
    Refused,
    ServiceBase,
    ServiceError,
    UserView,
    requires,
)
from pipeline.service.views import DocumentRow, QuotaView, quota_of, row_view
from storage import fulltext, repo
from storage.fulltext import DocumentFilter
from storage.states import ACTIVE_STATES, LABELS, DocumentState

__all__ = [
    "DOC_TYPES",
    "STATE_LABELS",
    "DocumentFilter",
    "DocumentPage",
    "FilingView",
    "PortalService",
    "UploadItem",
]

S = DocumentState

#: document state -> its label, for filters
STATE_LABELS: dict[str, str] = {s.value: LABELS[s] for s in DocumentState if s.value != "split"}
#: the types a search can be narrowed to
DOC_TYPES = ("invoice", "credit_note", "filed")
#: states a document can be filed from (the others are still moving, or booked)
FILEABLE = frozenset({S.PROPOSED, S.QUARANTINED, S.FAILED, S.REJECTED, S.FILED})
MAX_TAG = 60
_ZIP_TYPES = frozenset({"application/zip"})
#: at most this many files are followed at once
MAX_PROGRESS = 200


@dataclass(frozen=True, slots=True)
class UploadItem:
    """One uploaded file, or a document it was split into, and how far it got."""

    id: int
    parent_id: int | None
    filename: str | None
    kind: str
    state: str
    state_label: str
    reason: str | None
    duplicate_of: int | None
    #: the pipeline still owes work on it
    working: bool


@dataclass(frozen=True, slots=True)
class DocumentPage:
    rows: tuple[DocumentRow, ...]
    #: how many match, counted up to ``fulltext.COUNT_CAP`` (see ``more``)
    total: int
    #: more than ``total`` match (the count stopped at the cap)
    more: bool = False


@dataclass(frozen=True, slots=True)
class FilingView:
    """What the document page shows besides the review detail."""

    document_id: int
    tag: str | None
    doc_type: str | None
    channel: str
    origin: str
    uploaded_at: dt.datetime
    #: the first characters of the stored text (what search finds it by)
    text_excerpt: str


def _item(d: Any) -> UploadItem:
    state = S(d.state)
    return UploadItem(
        id=d.id,
        parent_id=d.parent_id,
        filename=d.filename,
        kind=d.kind,
        state=d.state,
        state_label=LABELS[state],
        reason=d.state_reason,
        duplicate_of=d.duplicate_of_id,
        working=state in ACTIVE_STATES,
    )


def zip_as_mail(data: bytes, filename: str) -> bytes:
    """An uploaded archive as a mail carrying it, for the mail splitter."""
    msg = EmailMessage()
    msg["Subject"] = f"Upload {filename}"
    msg.set_content(f"Uploaded archive {filename}\n")
    msg.add_attachment(data, maintype="application", subtype="zip", filename=filename)
    return msg.as_bytes()


def clean_tag(tag: str | None) -> str:
    value = " ".join("".join(ch if ch.isprintable() else " " for ch in (tag or "")).split())
    if not value:
        raise ServiceError("name the tag to file the document under")
    if len(value) > MAX_TAG:
        raise ServiceError(f"a tag is at most {MAX_TAG} characters")
    return value


class PortalService(ServiceBase):
    # -- upload ---------------------------------------------------------------------------
    @requires(Permission.UPLOAD)
    def upload(
        self, user: UserView, dossier_id: int, data: bytes, filename: str | None
    ) -> DocumentRow:
        """One file from the browser or phone, through the same intake as mail."""
        from extractors.safe_text import safe_filename
        from intake.ingest import classify_upload

        with self.rt.tx() as s:
            self._require(s, user, dossier_id, Permission.UPLOAD)
        limit = self.rt.settings.smtp_max_bytes
        if not data:
            raise Refused(f"{safe_filename(filename) or 'the file'} is empty")
        if len(data) > limit:
            raise Refused(
                f"{safe_filename(filename) or 'the file'} is {len(data):,} bytes,"
                f" over the limit of {limit:,}"
            )
        name = safe_filename(filename) or "upload"
        kind, ctype = classify_upload(data, name)
        ingest = cast(Any, self).ingest  # DocumentsService.ingest, on the composed Service
        if kind == "file" and ctype in _ZIP_TYPES:
            row: DocumentRow = ingest(user, dossier_id, zip_as_mail(data, name), f"{name}.eml")
            return row
        row = ingest(user, dossier_id, data, name)
        return row

    @requires(Permission.VIEW)
    def upload_progress(
        self, user: UserView, dossier_id: int, document_ids: Sequence[int]
    ) -> list[UploadItem]:
        """The uploaded documents and what they were split into, oldest first.

        Ids of another dossier are left out, like ids that do not exist.
        """
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, Permission.VIEW)
            docs = fulltext.upload_batch(s, list(document_ids)[:MAX_PROGRESS])
            return [_item(d) for d in docs if d.dossier_id == dossier_id]

    # -- find -----------------------------------------------------------------------------
    @requires(Permission.VIEW)
    def search_documents(
        self,
        user: UserView,
        dossier_id: int,
        query: DocumentFilter | None = None,
        *,
        offset: int = 0,
        limit: int = 50,
    ) -> DocumentPage:
        """The dossier's documents matching ``query``, newest first, one page and the total."""
        f = query or DocumentFilter()
        if f.doc_type is not None and f.doc_type not in DOC_TYPES:
            raise ServiceError(f"unknown document type {f.doc_type!r}")
        if f.states and not set(f.states) <= {s.value for s in DocumentState}:
            raise ServiceError("unknown document state")
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, Permission.VIEW)
            docs = fulltext.search_documents(s, [dossier_id], f, offset=offset, limit=limit)
            total = fulltext.count_documents(s, [dossier_id], f)
            names = {d.id: d.name for d in repo.list_dossiers(s, [dossier_id])}
            more = total > fulltext.COUNT_CAP
            rows = tuple(row_view(d, names) for d in docs)
            return DocumentPage(rows, min(total, fulltext.COUNT_CAP), more)

    @requires(Permission.VIEW)
    def document_tags(self, user: UserView, dossier_id: int) -> list[str]:
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, Permission.VIEW)
            return fulltext.tags(s, [dossier_id])

    @requires(Permission.VIEW)
    def document_filing(self, user: UserView, doc_id: int) -> FilingView:
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id)
            stored = fulltext.text_of(s, doc.id)
            return FilingView(
                document_id=doc.id,
                tag=doc.tag,
                doc_type=stored.doc_type if stored else None,
                channel=doc.channel,
                origin=doc.origin,
                uploaded_at=doc.created_at,
                text_excerpt=(stored.body if stored else "")[:2000],
            )

    # -- file -----------------------------------------------------------------------------
    @requires(Permission.UPLOAD)
    def file_document(self, user: UserView, doc_id: int, tag: str) -> DocumentRow:
        """File a document that is not an invoice under ``tag``; it is not booked.

        A booked document only gets the tag; one the pipeline is still reading, a
        duplicate or a mail is refused.  Filing again changes the tag.
        """
        value = clean_tag(tag)
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id, lock=True, permission=Permission.UPLOAD)
            state = S(doc.state)
            if doc.kind != "file":
                raise Refused("a mail is not filed; file the documents it carried")
            if state is S.BOOKED:
                fulltext.file_document(s, doc, value)
            elif state in FILEABLE:
                if state is not S.FILED:
                    repo.set_state(s, doc, S.FILED, None, timing="filed")
                    repo.drop_unbooked_entry(s, doc.id)
                fulltext.file_document(s, doc, value)
            else:
                raise Refused(
                    f"a document that is {LABELS[state].lower()} cannot be filed"
                    + (" yet" if state in ACTIVE_STATES else "")
                )
            repo.audit(
                s, "file_document", user_id=user.id, dossier_id=doc.dossier_id,
                document_id=doc.id, tag=value, state=doc.state,
            )  # fmt: skip
            return row_view(doc, {})

    # -- storage --------------------------------------------------------------------------
    @requires(Permission.VIEW)
    def storage_use(self, user: UserView, dossier_id: int) -> QuotaView:
        """The dossier's storage against the free allowance, and the extra GB's cost."""
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, Permission.VIEW)
            d = repo.get_dossier(s, dossier_id)
            extra, cost = quota_of(d)
            return QuotaView(
                dossier_id=d.id,
                dossier_name=d.name,
                used_bytes=int(d.used_bytes),
                free_bytes=int(d.free_bytes),
                documents=int(d.document_count),
                extra_gb=extra,
                monthly_cost_eur=Decimal(cost),
                used_fraction=int(d.used_bytes) / max(1, int(d.free_bytes)),
            )
