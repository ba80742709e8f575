"""Migration 0008: extracted documents get a searchable text row; the index follows it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from storage.db import _alembic_config, dispose_engines, get_engine

NOW = "2026-01-01 00:00:00"


def _search(c: sa.Connection, postgres: bool, word: str) -> list[int]:
    if postgres:
        sql = (
            "SELECT document_id FROM document_text"
            " WHERE tsv @@ plainto_tsquery('simple', :w) ORDER BY document_id"
        )
    else:
        sql = "SELECT rowid FROM document_fts WHERE document_fts MATCH :w ORDER BY rowid"
    return [r[0] for r in c.execute(sa.text(sql), {"w": word})]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_backfill_and_index(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        factory: Callable[[], str] = request.getfixturevalue("pg_url_factory")
        url = factory()
    postgres = backend == "postgres"
    command.upgrade(_alembic_config(url), "0007")
    engine = get_engine(url)
    true = "true" if postgres else "1"
    with engine.begin() as c:
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
        for doc_id, supplier, extracted in ((1, "Brouwerij Zonnebloem", True), (2, "Other", False)):
            c.execute(
                sa.text(
                    "INSERT INTO document (id, dossier_id, kind, blob_sha256, size, filename,"
                    " content_type, origin, channel, state, attempts, timings, supplier_name,"
                    " invoice_number, warning_count, created_at, updated_at) VALUES (:id, 1,"
                    " 'file', 'a', 1, 'f.pdf', 'application/pdf', 'upload', 'upload',"
                    " 'proposed', 0, '{}', :sup, 'INV-77', 0, :now, :now)"
                ),
                {"id": doc_id, "sup": supplier, "now": NOW},
            )
            if extracted:
                c.execute(
                    sa.text(
                        "INSERT INTO extraction (document_id, invoice, findings, warnings,"
                        " confidence, pages, extractor, created_at)"
                        " VALUES (:id, '{}', '[]', '[]', '{}', '[]', 'x', :now)"
                    ),
                    {"id": doc_id, "now": NOW},
                )
    command.upgrade(_alembic_config(url), "0008")  # this migration, not later ones
    with engine.begin() as c:
        assert _search(c, postgres, "zonnebloem") == [1]
        assert _search(c, postgres, "other") == []  # never extracted: nothing to search
        c.execute(sa.text("UPDATE document_text SET body = 'huurcontract' WHERE document_id = 1"))
        assert _search(c, postgres, "zonnebloem") == []
        assert _search(c, postgres, "huurcontract") == [1]
        c.execute(sa.text("DELETE FROM document_text"))
        assert _search(c, postgres, "huurcontract") == []
    command.upgrade(_alembic_config(url), "0008")  # idempotent
    dispose_engines()
