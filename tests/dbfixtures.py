"""Database and runtime fixtures shared by storage and pipeline tests.

``db_url`` is parametrised over SQLite (a file in tmp_path) and PostgreSQL
(a fresh database on the server ``make test`` starts), migrated to head.
``runtime`` is a :class:`pipeline.runtime.Runtime` on that database with a
blob directory in tmp_path, installed as the process runtime.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline.runtime import Runtime, build_runtime, reset_runtime
from pipeline.settings import Settings
from storage.db import dispose_engines, migrate


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'boekbox.db'}"
    else:
        factory: Callable[[], str] = request.getfixturevalue("pg_url_factory")
        url = factory()
    migrate(url)
    yield url
    dispose_engines()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'boekbox.db'}"
    migrate(url)
    yield url
    dispose_engines()


def make_runtime(db: str, tmp_path: Path, **overrides: object) -> Runtime:
    # a test's SMTP server takes a free port: the default 2525 clashed between parallel tests
    overrides.setdefault("smtp_port", 0)
    settings = Settings(
        database_url=db,
        blob_store=str(tmp_path / "blobs"),
        broker="stub",
        broker_url=str(tmp_path / "queue.db"),
        mail_domain="dossiers.boekbox.test",
        **overrides,  # type: ignore[arg-type]
    )
    rt = build_runtime(settings)
    reset_runtime(rt)
    return rt


@pytest.fixture
def runtime(db_url: str, tmp_path: Path) -> Iterator[Runtime]:
    yield make_runtime(db_url, tmp_path)
    reset_runtime(None)


@pytest.fixture
def sqlite_runtime(sqlite_url: str, tmp_path: Path) -> Iterator[Runtime]:
    yield make_runtime(sqlite_url, tmp_path)
    reset_runtime(None)
