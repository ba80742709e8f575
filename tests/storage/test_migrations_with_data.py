"""Upgrading a database that already holds dossiers and documents, to the newest schema.

A migration that rebuilds a table (Alembic's batch mode on SQLite) can trip the foreign
keys of rows that point at it; fresh databases never show that, so this test upgrades a
populated one, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from storage.db import _alembic_config, dispose_engines, get_engine

NOW = "2026-01-01 00:00:00"


@pytest.mark.parametrize("start", ["0001", "0010"])
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_populated_database_upgrades_to_head(
    backend: str, start: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """From the schema that last landed (0001) and from the one before the archive."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        factory: Callable[[], str] = request.getfixturevalue("pg_url_factory")
        url = factory()
    true = "true" if backend == "postgres" else "1"
    command.upgrade(_alembic_config(url), start)
    engine = get_engine(url)
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
        c.execute(
            sa.text(
                "INSERT INTO document (id, dossier_id, kind, blob_sha256, size, filename,"
                " content_type, origin, channel, state, attempts, timings, warning_count,"
                " created_at, updated_at) VALUES (1, 1, 'file', 'a', 1, 'f.pdf',"
                " 'application/pdf', 'upload', 'upload', 'proposed', 0, '{}', 0, :now, :now)"
            ),
            {"now": NOW},
        )
        c.execute(
            sa.text(
                "INSERT INTO extraction (document_id, invoice, findings, warnings,"
                " confidence, pages, extractor, created_at)"
                " VALUES (1, '{}', '[]', '[]', '{}', '[]', 'x', :now)"
            ),
            {"now": NOW},
        )
        c.execute(
            sa.text(
                "INSERT INTO app_user (id, username, password_hash, role, display_name, active,"
                f" created_at) VALUES (1, 'anna', 'x', 'accountant', 'Anna', {true}, :now)"
            ),
            {"now": NOW},
        )
    command.upgrade(_alembic_config(url), "head")
    with engine.begin() as c:
        held = c.execute(sa.text("SELECT legal_hold FROM dossier WHERE id = 1")).scalar_one()
        doc = c.execute(sa.text("SELECT legal_hold, state FROM document WHERE id = 1")).one()
        user = c.execute(sa.text("SELECT username, email FROM app_user WHERE id = 1")).one()
    assert not held
    assert (bool(doc[0]), doc[1]) == (False, "proposed")
    assert tuple(user) == ("anna", None)  # 0021: the e-mail address is unknown until set
    dispose_engines()
