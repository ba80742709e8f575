"""The throwaway servers of ``make test`` and the shared fixtures built on them."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent
TESTENV = ROOT / "scripts" / "testenv.py"

PROBE = """
import os, sys
import psycopg, redis
pg = os.environ["BOEKBOX_TEST_PG_URL"].replace("+psycopg", "")
with psycopg.connect(pg) as conn:
    assert conn.execute("select 41 + 1").fetchone()[0] == 42
r = redis.Redis.from_url(os.environ["BOEKBOX_TEST_REDIS_URL"])
assert r.ping()
r.close()
assert os.environ["BOEKBOX_REQUIRE_SERVERS"] == "1"
sys.exit(5)
"""


def _libpq_url(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def test_testenv_runs_the_command_with_both_servers_then_removes_them() -> None:
    if not (
        shutil.which("redis-server") and list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    ):
        if os.environ.get("BOEKBOX_REQUIRE_SERVERS") == "1":
            pytest.fail("PostgreSQL or Redis server binaries missing")
        pytest.skip("PostgreSQL or Redis server binaries missing")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOEKBOX_")}
    result = subprocess.run(
        [sys.executable, str(TESTENV), "--", sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
    )
    assert result.returncode == 5, result.stderr  # the command's own exit status
    ports = [int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)/", result.stderr)]
    workdir = re.search(r"server data in (\S+)", result.stderr)
    assert len(ports) == 2, result.stderr
    assert workdir is not None
    assert not any(_port_open(port) for port in ports), "a server still listens"
    assert not Path(workdir.group(1)).exists(), "server data left behind"


def test_testenv_refuses_to_run_without_a_command() -> None:
    result = subprocess.run(
        [sys.executable, str(TESTENV)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "no command given" in result.stderr


@pytest.mark.postgres
def test_fresh_pg_urls_are_separate_empty_databases(
    pg_url_factory: Callable[[], str], fresh_pg_url: str
) -> None:
    other = pg_url_factory()
    assert other != fresh_pg_url
    assert fresh_pg_url.startswith("postgresql+psycopg://")
    with psycopg.connect(_libpq_url(fresh_pg_url), autocommit=True) as conn:
        conn.execute("create table marker (id int)")
    with psycopg.connect(_libpq_url(other)) as conn:
        tables = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'public'"
        ).fetchone()
    assert tables == (0,)


INNER_TEST = """
from pathlib import Path

def test_inner(pg_url_factory):
    names = [pg_url_factory().rsplit("/", 1)[1] for _ in range(2)]
    Path("created.txt").write_text("\\n".join(names))
"""


@pytest.mark.postgres
def test_pg_url_factory_drops_its_databases_at_teardown(pg_server_url: str, tmp_path: Path) -> None:
    # Run a one-test session with the real conftest, then look for its databases.
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_inner.py").write_text(INNER_TEST)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         "--rootdir", str(tmp_path), "-c", "/dev/null", "test_inner.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    names = (tmp_path / "created.txt").read_text().split()
    assert len(names) == 2
    assert names[0] != names[1]
    with psycopg.connect(_libpq_url(pg_server_url)) as conn:
        row = conn.execute(
            "select count(*) from pg_database where datname = any(%s)", [names]
        ).fetchone()
    assert row == (0,)


@pytest.mark.redis
def test_redis_url_is_an_empty_database_of_this_worker(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.dbsize() == 0
        client.set("boekbox:test", "1")
        assert client.get("boekbox:test") == b"1"
    finally:
        client.close()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    expected_db = int(worker[2:]) + 1 if worker.startswith("gw") else 0
    assert redis_url.endswith(f"/{expected_db}")


@pytest.mark.browser
def test_chromium_path_is_an_executable(chromium_path: str) -> None:
    assert os.access(chromium_path, os.X_OK)
