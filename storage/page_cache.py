"""The page images the review UI shows, rendered once per document, page and resolution.

The sandboxed renderer (:mod:`pipeline.render`) decodes the untrusted original in a
limited child; what it returns is kept here (table ``page_render``) so a second view,
from any session or UI process, reads the PNG instead of decoding the original again.
Derived data: not counted in the dossier's storage quota, deleted with its document
(a retention purge deletes the rows through their foreign key, a junk purge with
:func:`drop`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import PageRender

__all__ = ["CachedPage", "drop", "get", "page_count", "put"]

#: a PNG larger than this is not kept (rendered again on each view instead)
MAX_PNG_BYTES = 16_000_000


@dataclass(frozen=True, slots=True)
class CachedPage:
    png: bytes
    width: int
    height: int
    page: int
    page_count: int


def get(
    session: Session, document_id: int, source_sha256: str, page: int, dpi: int
) -> CachedPage | None:
    row = session.scalar(
        select(PageRender).where(
            PageRender.document_id == document_id,
            PageRender.source_sha256 == source_sha256,
            PageRender.page == page,
            PageRender.dpi == dpi,
        )
    )
    if row is None:
        return None
    return CachedPage(bytes(row.png), row.width, row.height, row.page, row.page_count)


def page_count(session: Session, document_id: int, source_sha256: str) -> int | None:
    """The document's page count as a cached render saw it, or None (nothing cached)."""
    found = session.scalar(
        select(func.max(PageRender.page_count)).where(
            PageRender.document_id == document_id, PageRender.source_sha256 == source_sha256
        )
    )
    return int(found) if found is not None else None


def put(
    session: Session,
    document_id: int,
    source_sha256: str,
    dpi: int,
    page: CachedPage,
) -> bool:
    """Keep a rendered page; False when it was there already (idempotent) or too large."""
    if len(page.png) > MAX_PNG_BYTES:
        return False
    if get(session, document_id, source_sha256, page.page, dpi) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                PageRender(
                    document_id=document_id,
                    source_sha256=source_sha256,
                    page=page.page,
                    dpi=dpi,
                    page_count=page.page_count,
                    width=page.width,
                    height=page.height,
                    png=page.png,
                )
            )
            session.flush()
    except IntegrityError:  # another session rendered the same page at the same time
        return False
    return True


def drop(session: Session, document_ids: Iterable[int]) -> int:
    """Delete the cached pages of these documents; how many rows went."""
    ids = sorted(set(document_ids))
    if not ids:
        return 0
    result = session.execute(delete(PageRender).where(PageRender.document_id.in_(ids)))
    return int(getattr(result, "rowcount", 0) or 0)
