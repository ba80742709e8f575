"""The document lists stay fast on a fresh SQLite database (no planner statistics):
each page is read in id order from an index, never by sorting the whole table; and
the statistics are refreshed after migrations and by the reconciler."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import event
from sqlalchemy.orm import Session

from storage import repo
from storage.db import _alembic_config, dispose_engines, get_engine, migrate, refresh_statistics

NOW = "2026-01-01 00:00:00"


def _plans(url: str, call: Callable[[Session], Any]) -> list[str]:
    """The query plan of every SELECT ``call`` runs, as SQLite reads it."""
    engine = get_engine(url)
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cur: Any, statement: str, params: Any, *_a: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with Session(engine) as s:
            call(s)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert seen
    with engine.connect() as c:
        raw = c.connection.driver_connection
        assert raw is not None
        return [
            " | ".join(row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params))
            for sql, params in seen
        ]


@pytest.mark.parametrize(
    "call",
    [
        # the Inbox of an admin (no dossier filter), one queue
        lambda s: repo.list_documents(s, states=["booked"], limit=50),
        # the Inbox of one dossier
        lambda s: repo.list_documents(s, dossier_ids=[1], states=["proposed"], limit=50),
        # the portal's newest files of a dossier
        lambda s: repo.list_documents(s, dossier_ids=[1], kind="file", limit=50),
    ],
    ids=["inbox-all", "inbox-dossier", "newest-files"],
)
def test_lists_need_no_sort_without_statistics(call: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    command.upgrade(_alembic_config(url), "head")  # migrations only: no ANALYZE
    with get_engine(url).connect() as c:
        assert not c.execute(
            sa.text("SELECT name FROM sqlite_master WHERE name='sqlite_stat1'")
        ).all()
    (plan,) = _plans(url, call)
    assert "TEMP B-TREE" not in plan, plan
    dispose_engines()


def test_statistics_after_migrations_and_at_most_once_per_period(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    migrate(url)
    engine = get_engine(url)
    with engine.begin() as c:
        c.execute(
            sa.text(
                "INSERT INTO dossier (id, name, mailbox, enabled, allowed_senders, free_bytes,"
                " used_bytes, document_count, settings, created_at) VALUES (1, 'D', 'd@x.test',"
                " 1, '[]', 0, 0, 0, '{}', :now)"
            ),
            {"now": NOW},
        )
    migrate(url)  # again: idempotent, and the statistics now know the dossier
    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT tbl FROM sqlite_stat1 WHERE tbl = 'dossier'")).all()
    assert rows
    assert refresh_statistics(url, every_seconds=3600) is False  # migrate just did
    assert refresh_statistics(url, every_seconds=1e-6) is True  # that period has passed
    assert refresh_statistics(url) is True  # asked for outright
    assert refresh_statistics("postgresql+psycopg://u@h/db") is False  # autovacuum's job
    dispose_engines()
