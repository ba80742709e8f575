"""Migration 0016: existing texts get their Dutch/French stems and SQLite's FTS5 index
is rebuilt over them; a downgrade restores the body-only index."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from storage.db import _alembic_config, dispose_engines, get_engine
from storage.fulltext import _fts5, terms_of

NOW = "2026-01-01 00:00:00"


def _match(c: sa.Connection, query: str) -> list[int]:
    sql = "SELECT rowid FROM document_fts WHERE document_fts MATCH :q ORDER BY rowid"
    return [r[0] for r in c.execute(sa.text(sql), {"q": _fts5(terms_of(query))})]


def _populate(c: sa.Connection, true: str) -> None:
    c.execute(
        sa.text(
            "INSERT INTO dossier (id, name, mailbox, enabled, allowed_senders, free_bytes,"
            f" used_bytes, document_count, settings, created_at) VALUES (1, 'D', 'd@x.test',"
            f" {true}, '[]', 0, 0, 0, '{{}}', :now)"
        ),
        {"now": NOW},
    )
    c.execute(sa.text("INSERT INTO blob (sha256, size, created_at) VALUES ('a', 1, :now)"),
              {"now": NOW})  # fmt: skip
    for doc_id, body in ((1, "Herstelling van de verwarming"), (2, "Facture du chauffagiste")):
        c.execute(
            sa.text(
                "INSERT INTO document (id, dossier_id, kind, blob_sha256, size, filename,"
                " content_type, origin, channel, state, attempts, timings,"
                " warning_count, created_at, updated_at) VALUES (:id, 1,"
                " 'file', 'a', 1, 'f.pdf', 'application/pdf', 'upload', 'upload',"
                " 'proposed', 0, '{}', 0, :now, :now)"
            ),
            {"id": doc_id, "now": NOW},
        )
        c.execute(
            sa.text(
                "INSERT INTO document_text (document_id, dossier_id, body) VALUES (:id, 1, :body)"
            ),
            {"id": doc_id, "body": body},
        )


def test_sqlite_index_is_rebuilt_with_the_stems(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(_alembic_config(url), "0015")
    engine = get_engine(url)
    with engine.begin() as c:
        _populate(c, "1")
        assert _match(c, "verwarming") == [1]
    command.upgrade(_alembic_config(url), "0016")
    with engine.begin() as c:
        stems = c.execute(sa.text("SELECT stems FROM document_text WHERE document_id = 1"))
        assert "herstel" in stems.scalar_one().split()
        assert _match(c, "herstellingen") == [1]  # the existing row, through its stems
        assert _match(c, "factures chauffagistes") == [2]
        assert _match(c, "verwarming") == [1]  # prefixes as before
        # the triggers follow the new columns
        c.execute(sa.text("UPDATE document_text SET body = 'huurcontract', stems = 'huurcontract'"))
        assert _match(c, "herstellingen") == []
        assert _match(c, "huurcontract") == [1, 2]
    command.downgrade(_alembic_config(url), "0015")
    with engine.begin() as c:
        columns = [r[1] for r in c.execute(sa.text("PRAGMA table_info(document_text)"))]
        assert "stems" not in columns
        found = c.execute(
            sa.text("SELECT rowid FROM document_fts WHERE document_fts MATCH 'huurcontract'")
        )
        assert sorted(r[0] for r in found) == [1, 2]
        c.execute(sa.text("DELETE FROM document_text WHERE document_id = 2"))
        found = c.execute(
            sa.text("SELECT rowid FROM document_fts WHERE document_fts MATCH 'huurcontract'")
        )
        assert [r[0] for r in found] == [1]
    command.upgrade(_alembic_config(url), "head")
    dispose_engines()


def test_postgresql_gets_the_column(request: pytest.FixtureRequest) -> None:
    factory: Callable[[], str] = request.getfixturevalue("pg_url_factory")
    url = factory()
    command.upgrade(_alembic_config(url), "0015")
    with get_engine(url).begin() as c:
        _populate(c, "true")
    command.upgrade(_alembic_config(url), "0016")
    with get_engine(url).begin() as c:
        rows = c.execute(sa.text("SELECT document_id, stems FROM document_text ORDER BY 1"))
        assert [tuple(r) for r in rows] == [(1, ""), (2, "")]  # PostgreSQL stems itself
    command.downgrade(_alembic_config(url), "0015")
    command.upgrade(_alembic_config(url), "head")
    dispose_engines()
