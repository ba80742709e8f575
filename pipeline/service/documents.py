"""Documents: lists, detail, pipeline commands, upload and page images."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pipeline.render import RenderLimits
from pipeline.service.core import (
    Permission,
    Refused,
    ServiceBase,
    ServiceError,
    UserView,
    requires,
)
from pipeline.service.views import DocumentDetail, DocumentRow, MailView, entry_view, row_view
from storage import page_cache, repo
from storage.states import REVIEW_STATES, DocumentState

S = DocumentState
BOOK = Permission.BOOK_PURCHASES


class DocumentsService(ServiceBase):
    @requires(Permission.VIEW)
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
            return [row_view(d, names) for d in docs]

    @requires(Permission.VIEW)
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

    @requires(Permission.VIEW)
    def state_counts(self, user: UserView) -> dict[tuple[int, str], int]:
        with self.rt.tx() as s:
            return repo.state_counts(s, self._dossier_ids(s, user))

    @requires(Permission.VIEW)
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
                    from_header=m.from_header,
                    auth=dict(m.auth) if m.auth is not None else None,
                    auth_domain=m.auth_domain,
                )
            schema: dict[str, Any] = {}
            if extraction is not None:
                from extractors.model import from_json

                schema = from_json(extraction.invoice).to_schema_dict()
            return DocumentDetail(
                row=row_view(doc, names),
                fields=schema,
                confidence=dict(extraction.confidence) if extraction else {},
                findings=tuple(extraction.findings) if extraction else (),
                warnings=tuple(extraction.warnings) if extraction else (),
                entry=entry_view(entry) if entry else None,
                mail=mail_view,
                children=tuple(row_view(c, names) for c in repo.children(s, doc.id)),
                audit=_audit_with_names(s, repo.audit_trail(s, doc.id)),
            )

    @requires(Permission.VIEW)
    def document_bytes(self, user: UserView, doc_id: int) -> tuple[bytes, str, str | None]:
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id)
            sha, ctype, name = doc.blob_sha256, doc.content_type, doc.filename
        return self._original(doc_id, sha), ctype, name

    def _original(self, doc_id: int, sha: str) -> bytes:
        """The stored original; a missing or damaged blob is a clear reason, not a crash."""
        from storage import BlobCorrupt, NotFound

        try:
            return self.rt.blobs.get(sha)
        except NotFound:
            raise ServiceError(
                f"the original file of document {doc_id} is missing from the archive"
                " (blob store); an admin can check it with `boekbox verify`"
            ) from None
        except BlobCorrupt:
            raise ServiceError(
                f"the original file of document {doc_id} is damaged in the archive"
                " (its bytes no longer match their SHA-256); an admin can check it"
                " with `boekbox verify`"
            ) from None

    @requires(Permission.VIEW)
    def neighbours(
        self, user: UserView, doc_id: int, *, states: Iterable[str] | None = None
    ) -> tuple[int | None, int | None]:
        """Previous and next document of the review queue around ``doc_id``."""
        states = list(states or [S.PROPOSED.value])
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id)
            ids = self._scope(s, user, doc.dossier_id)
            return repo.neighbour_ids(s, doc_id, dossier_ids=ids, states=states)

    @requires(Permission.BOOK_PURCHASES)
    def reprocess(self, user: UserView, doc_id: int) -> DocumentRow:
        """Run the pipeline again from the start for this document."""
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id, lock=True, permission=BOOK)
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
            row = row_view(doc, {})
        self._send(doc_id, kind, state)
        return row

    @requires(Permission.BOOK_PURCHASES)
    def release(self, user: UserView, doc_id: int) -> DocumentRow:
        """Release a quarantined document (or mail) into the pipeline."""
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id, lock=True, permission=BOOK)
            if doc.state != S.QUARANTINED.value:
                raise Refused("only quarantined documents can be released")
            repo.set_state(s, doc, S.RECEIVED, None, timing="released")
            doc.timings = {**(doc.timings or {}), "released": True}
            repo.audit(s, "release", user_id=user.id, dossier_id=doc.dossier_id, document_id=doc.id)
            kind, state = doc.kind, doc.state
            row = row_view(doc, {})
        self._send(doc_id, kind, state)
        return row

    @requires(Permission.BOOK_PURCHASES)
    def reject(self, user: UserView, doc_id: int, reason: str) -> DocumentRow:
        if not reason.strip():
            raise Refused("a rejection needs a reason")
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id, lock=True, permission=BOOK)
            if doc.state == S.REJECTED.value:
                return row_view(doc, {})
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
            return row_view(doc, {})

    @requires(Permission.BOOK_PURCHASES)
    def mark_duplicate(self, user: UserView, doc_id: int, of_id: int) -> DocumentRow:
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id, lock=True, permission=BOOK)
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
            return row_view(doc, {})

    @requires(Permission.UPLOAD)
    def ingest(
        self, user: UserView, dossier_id: int, data: bytes, filename: str | None
    ) -> DocumentRow:
        """Add a file without SMTP (upload, CLI); mails (.eml) are split like received ones.

        The name is cleaned like every outside file name (``safe_filename``: no path,
        control, bidi or zero-width characters)."""
        from extractors.safe_text import safe_filename
        from intake.ingest import classify_upload

        filename = safe_filename(filename)
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, Permission.UPLOAD)
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
            row = row_view(doc, {dossier.id: dossier.name})
        if row.state == S.RECEIVED.value:
            self._send(row.id, row.kind, row.state)
        return row

    @requires(Permission.VIEW)
    def review_queue_count(self, user: UserView) -> int:
        return self.count_documents(user, states=[s.value for s in REVIEW_STATES])

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

    @requires(Permission.VIEW)
    def page_images(self, user: UserView, doc_id: int, *, dpi: int = 110) -> tuple[Any, ...]:
        """The document's pages as PNGs (:class:`pipeline.render.PageImage`), capped.

        An e-invoice (XML) shows the PDF it embeds; a mail or an XML without one
        gives ``()``.  An unreadable file raises :class:`ServiceError` with the reason.
        Rendered once (see :meth:`page_image`), then read from the page cache.
        """
        from pipeline.render import PageImage, RenderError, isolated_render_pages

        source = self._visual_source(user, doc_id)
        if source is None:
            return ()
        with self.rt.tx() as s:
            count = page_cache.page_count(s, doc_id, source[0])
            cached = [
                page_cache.get(s, doc_id, source[0], n, dpi)
                for n in range(1, min(count or 0, _MAX_PAGES) + 1)
            ]
        if count and all(c is not None for c in cached):
            return tuple(
                PageImage(c.png, c.width, c.height, c.page, c.page_count) for c in cached if c
            )
        try:  # untrusted bytes: decoded in a limited child, never in the UI process
            pages = isolated_render_pages(
                self.rt.blobs.get(source[0]),
                source[1],
                dpi=dpi,
                memory_mb=self.rt.settings.extract_memory_mb,
            )
        except RenderError as exc:
            raise ServiceError(f"the pages cannot be shown: {exc}") from None
        with self.rt.tx() as s:
            for p in pages:
                page_cache.put(s, doc_id, source[0], dpi, _cached(p))
        return pages

    @requires(Permission.VIEW)
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
        The page is rendered from the untrusted original once, in a limited child
        process; the PNG is kept (``page_render``, derived: not in the quota, gone
        with the document) and later views read it; the box is drawn on that PNG.
        """
        from pipeline.render import PageImage, RenderError, draw_box, isolated_render_page

        source = self._visual_source(user, doc_id)
        if source is None:
            return None
        wanted = max(1, min(int(page), _MAX_PAGES))
        with self.rt.tx() as s:
            count = page_cache.page_count(s, doc_id, source[0])
            if count is not None:  # past the last page: the last one, as the renderer does
                wanted = max(1, min(wanted, count))
            hit = page_cache.get(s, doc_id, source[0], wanted, dpi)
        if hit is None:
            try:  # untrusted bytes: decoded in a limited child, never in the UI process
                rendered = isolated_render_page(
                    self.rt.blobs.get(source[0]),
                    source[1],
                    page=wanted,
                    dpi=dpi,
                    memory_mb=self.rt.settings.extract_memory_mb,
                )
            except RenderError as exc:
                raise ServiceError(f"the page cannot be shown: {exc}") from None
            hit = _cached(rendered)
            with self.rt.tx() as s:
                page_cache.put(s, doc_id, source[0], dpi, hit)
        png = hit.png
        if box is not None:  # drawn on our own bounded PNG, not on the original
            x0, y0, x1, y1 = (float(v) for v in box)
            png = draw_box(png, (x0, y0, x1, y1))
        return PageImage(png, hit.width, hit.height, hit.page, hit.page_count)


#: pages the renderer shows at most
_MAX_PAGES = RenderLimits().max_pages


def _cached(image: Any) -> page_cache.CachedPage:
    return page_cache.CachedPage(image.png, image.width, image.height, image.page, image.page_count)


def _audit_with_names(s: Any, events: list[Any]) -> tuple[dict[str, Any], ...]:
    """The document's audit trail, each event with ``user``: who did it (name), or "system"."""
    names: dict[int, str] = {}
    out = []
    for a in events:
        who = "system"
        if a.user_id is not None:
            if a.user_id not in names:
                try:
                    u = repo.get_user_by_id(s, a.user_id)
                    names[a.user_id] = u.display_name or u.username
                except Exception:  # a deleted user still leaves its trace
                    names[a.user_id] = f"user {a.user_id}"
            who = names[a.user_id]
        out.append(
            {"at": a.at, "action": a.action, "user_id": a.user_id, "user": who, **(a.detail or {})}
        )
    return tuple(out)
