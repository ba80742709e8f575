"""Shared test fixtures: corpus location and the real servers started by ``make test``.

``make test`` runs pytest under ``scripts/testenv.py``, which starts a throwaway
PostgreSQL and Redis on loopback and exports::

    BOEKBOX_TEST_PG_URL      postgresql+psycopg://boekbox@127.0.0.1:PORT/postgres
    BOEKBOX_TEST_REDIS_URL   redis://127.0.0.1:PORT/0
    BOEKBOX_REQUIRE_SERVERS  1

A test that needs a server it does not have SKIPS locally and FAILS when
``BOEKBOX_REQUIRE_SERVERS=1`` (CI), so a broken CI set-up cannot pass silently.
The same rule holds for Chromium (:func:`chromium_path`).  Use
:func:`require_or_skip` for other tools.

Fixtures:

- ``pg_url_factory()`` -> SQLAlchemy URL of a new, empty, uniquely named
  database on the test server (dropped at teardown); ``fresh_pg_url`` is one
  such URL.  Safe under pytest-xdist.
- ``redis_url`` -> URL of a Redis database owned by this xdist worker, flushed
  before and after the test.
- ``chromium_path`` -> path of a Chromium executable.
- ``corpus_dir`` -> :data:`CORPUS`, checked to exist.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import hypothesis
import pytest

# Tests never touch ./var: unless a test configures otherwise, dramatiq actors bind to a
# stub broker (pipeline.broker reads BOEKBOX_BROKER when pipeline.actors is first imported).
os.environ.setdefault("BOEKBOX_BROKER", "stub")

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The shared test corpus: the repository root's sibling ``shared/corpus``
#: (``BOEKBOX_CORPUS`` points elsewhere).
CORPUS = Path(os.environ.get("BOEKBOX_CORPUS") or REPO_ROOT.parent / "shared" / "corpus")

PG_URL_ENV = "BOEKBOX_TEST_PG_URL"
REDIS_URL_ENV = "BOEKBOX_TEST_REDIS_URL"
REQUIRE_ENV = "BOEKBOX_REQUIRE_SERVERS"
#: Redis databases 1..REDIS_WORKER_DBS-1 are handed out per xdist worker.
REDIS_WORKER_DBS = 64


def servers_required() -> bool:
    """True in CI (``make test``): missing servers or tools are failures."""
    return os.environ.get(REQUIRE_ENV, "") == "1"


def require_or_skip(reason: str) -> None:
    """Skip the current test, or fail it when servers are required (CI)."""
    if servers_required():
        pytest.fail(f"{reason} (required: {REQUIRE_ENV}=1)", pytrace=False)
    pytest.skip(reason)


def _worker_index() -> int:
    """0 for the xdist controller or a plain run, N+1 for worker gwN."""
    match = re.fullmatch(r"gw(\d+)", os.environ.get("PYTEST_XDIST_WORKER", ""))
    return int(match.group(1)) + 1 if match else 0


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


def _libpq_url(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://`` -> ``postgresql://`` for psycopg itself."""
    scheme, rest = sqlalchemy_url.split("://", 1)
    return scheme.split("+", 1)[0] + "://" + rest


# Hypothesis on a busy 2-core CI machine: no per-example deadline (timing is the benchmarks'
# job), no "too slow" health check, and print the blob that reproduces a failure.
hypothesis.settings.register_profile(
    "boekbox-ci",
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow],
    print_blob=True,
)
hypothesis.settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("boekbox-ci" if servers_required() else "default")
)


def pytest_report_header(config: pytest.Config) -> list[str]:
    present = "present" if CORPUS.is_dir() else "MISSING"
    return [
        f"boekbox corpus: {CORPUS} ({present})",
        f"boekbox servers: postgres={os.environ.get(PG_URL_ENV) or 'none'} "
        f"redis={os.environ.get(REDIS_URL_ENV) or 'none'} required={servers_required()}",
    ]


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shared corpus folder (skips locally, fails in CI when it is missing)."""
    if not CORPUS.is_dir():
        require_or_skip(f"test corpus not found at {CORPUS} (set BOEKBOX_CORPUS)")
    return CORPUS


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """SQLAlchemy URL of the test server's maintenance database (do not write to it)."""
    url = os.environ.get(PG_URL_ENV, "")
    if not url:
        require_or_skip(f"{PG_URL_ENV} is not set; run `make test` for a PostgreSQL server")
    return url


@pytest.fixture
def pg_url_factory(pg_server_url: str) -> Iterator[Callable[[], str]]:
    """Call it to get the SQLAlchemy URL of a new empty database; all dropped at teardown."""
    import psycopg

    created: list[str] = []
    admin_url = _libpq_url(pg_server_url)

    def make() -> str:
        name = f"bbtest_{_worker_index()}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return _with_database(pg_server_url, name)

    yield make
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fresh_pg_url(pg_url_factory: Callable[[], str]) -> str:
    """SQLAlchemy URL of a new empty PostgreSQL database for this test."""
    return pg_url_factory()


# --------------------------------------------------------------------------- Redis


@pytest.fixture(scope="session")
def redis_server_url() -> str:
    """URL of the test Redis server (database 0, shared: prefer ``redis_url``)."""
    url = os.environ.get(REDIS_URL_ENV, "")
    if not url:
        require_or_skip(f"{REDIS_URL_ENV} is not set; run `make test` for a Redis server")
    return url


@pytest.fixture
def redis_url(redis_server_url: str) -> Iterator[str]:
    """A Redis database of this xdist worker alone, empty at start, flushed afterwards."""
    import redis

    index = _worker_index()
    if index >= REDIS_WORKER_DBS:
        pytest.fail(f"more than {REDIS_WORKER_DBS - 1} xdist workers: no Redis database left")
    url = _with_database(redis_server_url, str(index))
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
        yield url
        client.flushdb()
    finally:
        client.close()


# --------------------------------------------------------------------------- Chromium


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of a Chromium/Chrome executable (BOEKBOX_CHROMIUM overrides the search)."""
    override = os.environ.get("BOEKBOX_CHROMIUM", "")
    if override:
        return override
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    require_or_skip("no chromium executable found (apt-get install chromium)")
    raise AssertionError("unreachable")


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """``mount(size)``: a fresh tmpfs of ``size`` (e.g. ``"1m"``), unmounted after the test.

    A real small disk for disk-full tests; skipped where mounting is not allowed (not root).
    """
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        point = tmp_path / f"tmpfs-{len(mounted)}"
        point.mkdir()
        if os.geteuid() != 0 or shutil.which("mount") is None:
            pytest.skip("mounting a tmpfs needs root")
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)
