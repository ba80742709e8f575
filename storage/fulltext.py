"""Full-text search and filing of documents.

The extract step stores what it read per document (:class:`DocumentText`, an
upsert, so a replay rewrites the same row).  SQLite searches it with FTS5 (table
``document_fts``, filled by triggers); PostgreSQL with the generated ``tsv`` column
(Dutch, French and simple word forms) and its GIN index.  Every query term is
matched as a word prefix, so ``factu`` finds ``factuur`` and ``facture``.

Word forms on SQLite: :func:`save_text` also stores ``stems``, the Dutch and French
Snowball stems of the text's words (those that differ from the word), and FTS5
indexes both columns.  A query word matches as a prefix or through its own Dutch or
French stem, so ``facturen`` finds ``factuur``, ``factures`` finds ``facture`` and
``herstellingen`` finds ``herstelling``.

Search terms come from users: only word characters reach the engines, always as
bound parameters.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from typing import Any

import snowballstemmer
from sqlalchemy import Integer, Select, column, func, or_, select, table, text
from sqlalchemy.orm import Session

from storage.models import Document, DocumentText, Mail

__all__ = [
    "COUNT_CAP",
    "MAX_TERMS",
    "DocumentFilter",
    "count_documents",
    "file_document",
    "save_text",
    "search_documents",
    "stems_of",
    "tags",
    "terms_of",
    "text_of",
]

#: counts stop here: the list says "1,000+" rather than counting a whole archive
COUNT_CAP = 1_000
#: at most this many words of a query are searched (the rest is ignored)
MAX_TERMS = 8
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class DocumentFilter:
    """What a document list is narrowed by; ``None``/empty means no narrowing."""

    text: str = ""
    party: str = ""  # supplier or customer name (substring, case-insensitive)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    states: tuple[str, ...] = ()
    doc_type: str | None = None  # invoice | credit_note | filed
    tag: str | None = None


#: longest word that is stemmed (longer ones are codes, not words)
_STEM_MAX = 40
_STEMMERS = (snowballstemmer.stemmer("dutch"), snowballstemmer.stemmer("french"))


def terms_of(query: str) -> list[str]:
    """The words of a user's query, lower-case, at most :data:`MAX_TERMS`."""
    return [w.lower() for w in _WORD.findall(query or "")][:MAX_TERMS]


@lru_cache(maxsize=65_536)
def word_stems(word: str) -> tuple[str, ...]:
    """The Dutch and French stems of a lower-case ``word`` that differ from it."""
    if len(word) < 3 or len(word) > _STEM_MAX or not word.isalpha():
        return ()
    found: list[str] = []
    for stemmer in _STEMMERS:
        stem = stemmer.stemWord(word)
        if stem and stem != word and stem not in found:
            found.append(stem)
    return tuple(found)


def stems_of(body: str) -> str:
    """What the ``stems`` column holds: every distinct stem of ``body``'s words."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(body or ""):
        for stem in word_stems(word.lower()):
            seen.setdefault(stem, None)
    return " ".join(seen)


def save_text(
    s: Session,
    doc: Document,
    *,
    body: str,
    doc_type: str | None = None,
    customer_name: str | None = None,
) -> None:
    """Store (or replace) what ``doc`` is searched by; idempotent."""
    row = s.get(DocumentText, doc.id)
    if row is None:
        row = DocumentText(document_id=doc.id, dossier_id=doc.dossier_id)
        s.add(row)
    row.body = body
    row.stems = stems_of(body)
    row.doc_type = doc_type
    row.customer_name = (customer_name or "")[:300] or None
    s.flush()


def text_of(s: Session, doc_id: int) -> DocumentText | None:
    return s.get(DocumentText, doc_id)


def _pg_tsquery(words: list[str]) -> Any:
    """Dutch and French word forms of every word, or every word as a prefix."""
    return text(
        "document_text.tsv @@ (to_tsquery('dutch', :fts_plain)"
        " || to_tsquery('french', :fts_plain) || to_tsquery('simple', :fts_prefix))"
    ).bindparams(fts_plain=" & ".join(words), fts_prefix=" & ".join(f"{w}:*" for w in words))


def _pg_probe(s: Session, words: list[str], dossier_ids: Sequence[int] | None) -> list[int]:
    """At most COUNT_CAP + 1 documents of the dossiers whose text matches (GIN index);
    asked once per transaction, so a page and its count share it."""
    scope = None if dossier_ids is None else tuple(dossier_ids)
    key = ("fulltext.probe", tuple(words), scope, COUNT_CAP)
    found: list[int] | None = s.info.get(key)
    if found is None:
        probe = select(DocumentText.document_id).where(_pg_tsquery(words))
        if scope is not None:
            probe = probe.where(DocumentText.dossier_id.in_(scope))
        found = s.info[key] = list(s.scalars(probe.limit(COUNT_CAP + 1)))
    return found


def _text_match(s: Session, words: list[str], dossier_ids: Sequence[int] | None) -> Any:
    """A clause on ``Document.id``: the documents whose text has every word (prefix)."""
    if s.get_bind().dialect.name == "postgresql":
        # The planner misjudges how many rows a text query matches (a rare word walks
        # the whole table backwards, testing each row).  So ask the GIN index first for
        # at most COUNT_CAP + 1 matches of these dossiers: fewer, and they are the
        # answer; more, and matches are dense, so walking newest first finds a page fast.
        found = _pg_probe(s, words, dossier_ids)
        if len(found) <= COUNT_CAP:
            return Document.id.in_(found)
        dense = select(DocumentText.document_id).where(_pg_tsquery(words)).scalar_subquery()
        return Document.id.in_(dense)
    fts = text("SELECT rowid FROM document_fts WHERE document_fts MATCH :fts_match").bindparams(
        fts_match=_fts5(words)
    )
    return Document.id.in_(fts)


def _fts5(words: list[str]) -> str:
    """An FTS5 query: every word, as a quoted prefix or one of its Dutch/French stems
    (all quoted, so nothing in it is syntax); a stem matches a word of the text or a
    stem of one (the ``stems`` column)."""
    parts = []
    for w in words:
        forms = [f'"{w}"*', *(f'"{stem}"' for stem in word_stems(w))]
        parts.append(forms[0] if len(forms) == 1 else f"({' OR '.join(forms)})")
    return " AND ".join(parts)


def _filtered(
    s: Session, stmt: Select[Any], dossier_ids: Iterable[int] | None, f: DocumentFilter
) -> Select[Any]:
    stmt = stmt.where(Document.kind == "file")
    ids = None if dossier_ids is None else sorted(set(dossier_ids))
    if ids is not None:
        stmt = stmt.where(Document.dossier_id.in_(ids))
    words = terms_of(f.text)
    if words:
        stmt = stmt.where(_text_match(s, words, ids))
    if f.party.strip():
        like = f"%{_escape_like(f.party.strip().lower())}%"
        customers = select(DocumentText.document_id).where(
            func.lower(DocumentText.customer_name).like(like, escape="\\")
        )
        stmt = stmt.where(
            or_(
                func.lower(Document.supplier_name).like(like, escape="\\"),
                Document.id.in_(customers.scalar_subquery()),
            )
        )
    if f.date_from is not None:
        stmt = stmt.where(Document.invoice_date >= f.date_from)
    if f.date_to is not None:
        stmt = stmt.where(Document.invoice_date <= f.date_to)
    if f.amount_min is not None:
        stmt = stmt.where(Document.total_incl_vat >= f.amount_min)
    if f.amount_max is not None:
        stmt = stmt.where(Document.total_incl_vat <= f.amount_max)
    if f.states:
        stmt = stmt.where(Document.state.in_(list(f.states)))
    if f.tag:
        stmt = stmt.where(Document.tag == f.tag)
    if f.doc_type == "filed":
        stmt = stmt.where(Document.state == "filed")
    elif f.doc_type:
        typed = select(DocumentText.document_id).where(DocumentText.doc_type == f.doc_type)
        stmt = stmt.where(Document.id.in_(typed.scalar_subquery()), Document.state != "filed")
    return stmt


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_documents(
    s: Session,
    dossier_ids: Iterable[int] | None,
    f: DocumentFilter,
    *,
    offset: int = 0,
    limit: int = 50,
) -> list[Document]:
    """The file documents matching ``f``, newest first, one page.

    On SQLite a text search walks the FTS5 index newest first (``ORDER BY rowid
    DESC`` is the index's own order) and stops at the page: a word found in half
    the dossier costs no more than a rare one.
    """
    words = terms_of(f.text)
    if words and s.get_bind().dialect.name != "postgresql":
        fts = table("document_fts", column("rowid", Integer))
        stmt = (
            select(Document)
            .join(fts, fts.c.rowid == Document.id)
            .where(text("document_fts MATCH :fts_match").bindparams(fts_match=_fts5(words)))
        )
        stmt = _filtered(s, stmt, dossier_ids, replace(f, text="")).order_by(fts.c.rowid.desc())
    else:
        stmt = _filtered(s, select(Document), dossier_ids, f).order_by(Document.id.desc())
    stmt = stmt.offset(max(0, offset)).limit(max(1, min(limit, 500)))
    return list(s.scalars(stmt))


def count_documents(
    s: Session, dossier_ids: Iterable[int] | None, f: DocumentFilter, *, cap: int = COUNT_CAP
) -> int:
    """How many documents match ``f``, at most ``cap + 1`` (more than ``cap``)."""
    ids = None if dossier_ids is None else sorted(set(dossier_ids))
    if cap <= COUNT_CAP and replace(f, text="") == DocumentFilter():
        # text only: the index probe already knows whether more than the cap match
        words = terms_of(f.text)
        postgres = s.get_bind().dialect.name == "postgresql"
        if words and postgres and len(_pg_probe(s, words, ids)) > COUNT_CAP:
            return cap + 1
    inner = _filtered(s, select(Document.id), ids, f).limit(cap + 1).subquery()
    return int(s.scalar(select(func.count()).select_from(inner)) or 0)


def tags(s: Session, dossier_ids: Iterable[int] | None) -> list[str]:
    """The tags in use in the dossiers, sorted."""
    stmt = select(Document.tag).distinct().where(Document.tag.is_not(None))
    if dossier_ids is not None:
        stmt = stmt.where(Document.dossier_id.in_(list(dossier_ids)))
    return sorted(t for t in s.scalars(stmt) if t)


def file_document(s: Session, doc: Document, tag: str | None) -> None:
    """Set (or clear) the tag a document is filed under."""
    doc.tag = tag


def upload_batch(s: Session, ids: Iterable[int]) -> list[Document]:
    """The documents ``ids`` (and what they were split into), for an upload's progress."""
    wanted = list(ids)
    if not wanted:
        return []
    stmt = (
        select(Document)
        .where(or_(Document.id.in_(wanted), Document.parent_id.in_(wanted)))
        .order_by(Document.id)
    )
    return list(s.scalars(stmt))


def mail_of(s: Session, doc: Document) -> Mail | None:
    return s.get(Mail, doc.mail_id) if doc.mail_id is not None else None
