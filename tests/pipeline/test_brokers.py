"""The embedded SQLite broker and the Redis broker, each with a real dramatiq worker."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dramatiq
import pytest
from dramatiq import Worker
from dramatiq.middleware import CurrentMessage, Retries

from pipeline.settings import Settings
from pipeline.sqlite_broker import SQLiteBroker, reclaim_dead_leases


def _wait(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _broker(path: Path) -> SQLiteBroker:
    return SQLiteBroker(
        path, middleware=[Retries(max_retries=3, min_backoff=10, max_backoff=50), CurrentMessage()]
    )


def test_sqlite_broker_delivers_retries_and_acks(tmp_path: Path) -> None:
    broker = _broker(tmp_path / "q.db")
    seen: list[int] = []
    attempts: dict[int, int] = {}

    @dramatiq.actor(broker=broker, queue_name="t", max_retries=3)
    def work(n: int) -> None:
        attempts[n] = attempts.get(n, 0) + 1
        if n == 7 and attempts[n] < 3:
            raise RuntimeError("transient")
        seen.append(n)

    for n in range(10):
        work.send(n)
    worker = Worker(broker, worker_threads=2, worker_timeout=50)
    worker.start()
    try:
        _wait(lambda: sorted(seen) == list(range(10)))
        _wait(lambda: broker.pending("t") == 0)
    finally:
        worker.stop()
    assert attempts[7] == 3
    assert broker.dead_letters() == 0


def test_sqlite_broker_keeps_delayed_messages_in_the_file(tmp_path: Path) -> None:
    broker = _broker(tmp_path / "q.db")

    @dramatiq.actor(broker=broker, queue_name="t")
    def later() -> None:
        pass

    later.send_with_options(delay=60_000)
    reopened = _broker(tmp_path / "q.db")
    assert reopened.pending("t") == 1
    consumer = reopened.consume("t", timeout=10)
    assert next(consumer) is None  # not due yet


def test_a_message_leased_by_a_dead_process_comes_back(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    broker = _broker(path)

    @dramatiq.actor(broker=broker, queue_name="t")
    def job() -> None:
        pass

    job.send()
    # another process claims the message and dies without acknowledging it
    script = textwrap.dedent(f"""
        import os
        from pipeline.sqlite_broker import SQLiteBroker
        b = SQLiteBroker({str(path)!r})
        c = b.consume("t", timeout=10)
        m = None
        while m is None:
            m = next(c)
        os._exit(0)
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    consumer = broker.consume("t", timeout=10)
    assert reclaim_dead_leases(broker.connection()) == 1
    message = None
    deadline = time.monotonic() + 5
    while message is None and time.monotonic() < deadline:
        message = next(consumer)
    assert message is not None
    consumer.ack(message)
    assert broker.pending("t") == 0


def test_sqlite_broker_is_shared_between_processes(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    out = tmp_path / "out.txt"
    script = textwrap.dedent(f"""
        import dramatiq
        from pipeline.sqlite_broker import SQLiteBroker
        b = SQLiteBroker({str(path)!r})
        @dramatiq.actor(broker=b, queue_name="t")
        def write(n):
            with open({str(out)!r}, "a") as fh:
                fh.write(f"{{n}}\\n")
        for n in range(20):
            write.send(n)
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    broker = _broker(path)

    @dramatiq.actor(broker=broker, queue_name="t", actor_name="write")
    def write(n: int) -> None:
        with out.open("a") as fh:
            fh.write(f"{n}\n")

    worker = Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        _wait(lambda: broker.pending("t") == 0)
    finally:
        worker.stop()
    assert sorted(int(x) for x in out.read_text().split()) == list(range(20))


@pytest.mark.redis
def test_redis_broker_runs_the_pipeline_actors_queue(redis_url: str) -> None:
    from pipeline.broker import setup_broker

    broker = setup_broker(Settings(broker="redis", broker_url=redis_url, max_retries=2))
    try:
        done: list[str] = []

        @dramatiq.actor(broker=broker, queue_name="rt", max_retries=2, min_backoff=10)
        def echo(word: str) -> None:
            done.append(word)

        for word in ("a", "b", "c"):
            echo.send(word)
        worker = Worker(broker, worker_threads=2, worker_timeout=100)
        worker.start()
        try:
            _wait(lambda: sorted(done) == ["a", "b", "c"])
        finally:
            worker.stop()
    finally:
        broker.close()
        setup_broker(Settings(broker="stub"))
    assert os.environ.get("BOEKBOX_BROKER") in {None, "stub"}
