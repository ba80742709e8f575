"""Engines, sessions and migrations.

SQLite (the embedded default) runs in WAL mode with foreign keys on and
``synchronous=FULL``: a commit that returned is on disk, which the SMTP
server's 250 relies on.  PostgreSQL is used as is.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from storage.errors import NotInitialised, StorageUnavailable

log = logging.getLogger(__name__)

#: what :func:`session_factory` returns (so other packages never import SQLAlchemy)
SessionFactory = sessionmaker[Session]
DbSession = Session

_ENGINES: dict[str, Engine] = {}
_LOCK = threading.Lock()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # take the write lock at BEGIN so two writers never deadlock on upgrade
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """A new engine for ``url`` (use :func:`get_engine` for the shared one)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=False
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling is off so BEGIN IMMEDIATE takes effect
        event.listen(engine, "connect", lambda c, r: setattr(c, "isolation_level", None))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def get_engine(url: str) -> Engine:
    with _LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            engine = make_engine(url)
            _ENGINES[url] = engine
        return engine


def dispose_engines() -> None:
    """Forget pooled connections (after a fork, or in tests)."""
    with _LOCK:
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()


def session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(get_engine(url), expire_on_commit=False)


@contextlib.contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One short transaction: commit on success, roll back on error.

    Connection-level failures become :class:`StorageUnavailable`.
    """
    session = factory()
    try:
        yield session
        session.commit()
    except OperationalError as exc:
        session.rollback()
        raise StorageUnavailable(f"database unavailable: {exc.orig}") from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("storage") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["engine"] = get_engine(url)
    return cfg


def migrate(url: str) -> None:
    """Bring the schema to the newest migration (idempotent), then refresh the
    planner's statistics (:func:`refresh_statistics`)."""
    from alembic import command

    command.upgrade(_alembic_config(url), "head")
    refresh_statistics(url)


#: rows SQLite's ANALYZE samples per index: approximate statistics in milliseconds
ANALYSIS_LIMIT = 1000
_ANALYZED: dict[str, float] = {}


def refresh_statistics(url: str, *, every_seconds: float = 0.0) -> bool:
    """Give SQLite's query planner the current table sizes (a sampled ``ANALYZE``).

    Without statistics SQLite guesses, and on a large dossier some lists then sort
    the whole table.  Run after migrations and periodically by the reconciler
    (``every_seconds``: at most once per that many seconds per database in this
    process).  PostgreSQL's autovacuum keeps its own statistics: nothing to do.
    Returns whether it ran.
    """
    if not url.startswith("sqlite"):
        return False
    now = time.monotonic()
    last = _ANALYZED.get(url)
    if every_seconds > 0 and last is not None and now - last < every_seconds:
        return False
    _ANALYZED[url] = now
    with get_engine(url).begin() as conn:
        conn.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        conn.exec_driver_sql("ANALYZE")
    return True


def check_initialised(url: str) -> None:
    try:
        names = inspect(get_engine(url)).get_table_names()
    except OperationalError as exc:
        raise StorageUnavailable(f"database unavailable: {exc.orig}") from exc
    if "dossier" not in names or "alembic_version" not in names:
        raise NotInitialised("the database is not initialised: run `boekbox init` first")
