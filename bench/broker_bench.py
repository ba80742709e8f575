"""Embedded broker choice: throughput of dramatiq's SQLite options, same run.

Enqueues N no-op messages and drains them with one dramatiq worker thread,
for (a) dramatiq's in-memory StubBroker (the baseline: no durability),
(b) the ``dramatiq-sqlite`` package (when installed) and (c) boekbox's own
``pipeline.sqlite_broker.SQLiteBroker``.  Prints messages/s for enqueue and
for drain and the ratio to the baseline.  Also checks what matters more
than speed: whether a message claimed by a killed worker comes back.

    .venv/bin/python bench/broker_bench.py [--messages 2000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import dramatiq
from dramatiq import Worker
from dramatiq.brokers.stub import StubBroker

from pipeline.sqlite_broker import SQLiteBroker


def _drain(broker: dramatiq.Broker, n: int, pending: Callable[[], int]) -> tuple[float, float]:
    done = [0]

    @dramatiq.actor(broker=broker, queue_name="bench", actor_name=f"noop{id(broker)}")
    def noop() -> None:
        done[0] += 1

    t0 = time.perf_counter()
    for _ in range(n):
        noop.send()
    enqueue = time.perf_counter() - t0
    worker = Worker(broker, worker_threads=1, worker_timeout=20)
    t1 = time.perf_counter()
    worker.start()
    while done[0] < n or pending():
        time.sleep(0.005)
    drain = time.perf_counter() - t1
    worker.stop()
    return n / enqueue, n / drain


def _survives_kill(make: str, path: Path) -> bool:
    """Claim a message in a child process, SIGKILL it, see if the message comes back."""
    script = textwrap.dedent(f"""
        import os, dramatiq
        {make}
        @dramatiq.actor(broker=b, queue_name="k")
        def job(): pass
        job.send()
        c = b.consume("k", timeout=100)
        m = None
        while m is None:
            m = next(c)
        os._exit(0)
    """)
    subprocess.run(
        [sys.executable, "-c", script], check=True, timeout=60, env={**os.environ, "BQ": str(path)}
    )
    script2 = textwrap.dedent(f"""
        import time, dramatiq
        {make}
        b.declare_queue("k")
        c = b.consume("k", timeout=100)
        deadline = time.time() + 5
        while time.time() < deadline:
            if next(c) is not None:
                print("back"); break
    """)
    out = subprocess.run(
        [sys.executable, "-c", script2],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "BQ": str(path)},
    )
    return "back" in out.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=500)
    n = parser.parse_args().messages
    rows: list[tuple[str, float, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        stub = StubBroker()
        stub.declare_queue("bench")
        e, d = _drain(stub, n, lambda: stub.queues["bench"].qsize())
        rows.append(("stub (memory, baseline)", e, d, "n/a"))
        try:
            import dramatiq_sqlite

            pkg = dramatiq_sqlite.SQLiteBroker(url=str(Path(tmp) / "pkg.db"))

            def pkg_pending() -> int:
                with pkg.db as cur:
                    cur.execute("SELECT COUNT(*) FROM dramatiq_messages WHERE state='queued'")
                    return int(cur.fetchone()[0])

            e, d = _drain(pkg, n, pkg_pending)
            back = _survives_kill(
                "import dramatiq_sqlite, os; "
                "b = dramatiq_sqlite.SQLiteBroker(url=os.environ['BQ'])",
                Path(tmp) / "pkgkill.db",
            )
            rows.append(("dramatiq-sqlite 0.1.0", e, d, "yes" if back else "NO (lost)"))
        except ImportError:
            rows.append(("dramatiq-sqlite (not installed)", 0.0, 0.0, "-"))
        ours = SQLiteBroker(Path(tmp) / "ours.db")
        e, d = _drain(ours, n, lambda: ours.pending("bench"))
        back = _survives_kill(
            "import os; from pipeline.sqlite_broker import SQLiteBroker; "
            "b = SQLiteBroker(os.environ['BQ'])",
            Path(tmp) / "ourskill.db",
        )
        rows.append(("boekbox SQLiteBroker", e, d, "yes" if back else "NO (lost)"))
    base_e, base_d = rows[0][1], rows[0][2]
    print(f"{n} messages, one worker thread")
    print(
        f"{'broker':<32} {'enqueue/s':>10} {'drain/s':>10} {'enq x':>7} {'drain x':>8} "
        f"{'killed worker msg back':>24}"
    )
    for name, e, d, back in rows:
        print(
            f"{name:<32} {e:>10.0f} {d:>10.0f} {e / base_e if e else 0:>7.2f} "
            f"{d / base_d if d else 0:>8.2f} {back:>24}"
        )


if __name__ == "__main__":
    main()
