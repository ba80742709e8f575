"""A second SIGTERM during the first one's handler must not hang a process.

Found in the worker-service tests: the test sends SIGTERM to the whole process group and
the supervisor sends each worker process its own SIGTERM a moment later.  The worker's
handler set a ``threading.Event``; the second signal ran the handler again while the
first held the event's lock, and the main thread waited for itself until the supervisor
killed it 40 s later (py-spy showed ``handler -> Event.set -> Condition.__enter__`` twice
on the main thread).

The child below is a real process with the handler the supervisor and the worker
processes use; the parent sends the second signal the moment the first handler reports
that it runs (at a different moment of it each round), many times over.  With
``threading.Event`` in its place it hung in each of five runs, after 1,714 to 20,563 rounds.
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.supervisor import StopRequest

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import os, signal, sys
from pipeline.supervisor import StopRequest

rounds, to_parent, from_parent = (int(a) for a in sys.argv[1:4])
state = {"calls": 0, "stop": StopRequest()}

def handler(signum, frame):
    state["calls"] += 1
    if state["calls"] == 1:
        os.write(to_parent, b"h")  # the first handler of this round runs now
    state["stop"].set()

signal.signal(signal.SIGTERM, handler)
for _ in range(rounds):
    state["calls"], state["stop"] = 0, StopRequest()
    os.write(to_parent, b"r")
    while not state["stop"].wait(1.0):
        pass
    os.read(from_parent, 1)  # the parent has sent both signals of this round
os.write(to_parent, b"d")
"""

ROUNDS = 40_000


def _read(fd: int, proc: subprocess.Popen[bytes], done: int) -> bytes:
    if not select.select([fd], [], [], 10)[0]:
        proc.kill()
        pytest.fail(f"the process hung after {done} rounds of two SIGTERMs")
    return os.read(fd, 1)


def test_two_sigterms_in_a_row_never_hang_the_stop_handler() -> None:
    to_parent_r, to_parent_w = os.pipe()
    from_parent_r, from_parent_w = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(ROUNDS), str(to_parent_w), str(from_parent_r)],
        pass_fds=(to_parent_w, from_parent_r),
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    os.close(to_parent_w)
    os.close(from_parent_r)
    try:
        for done in range(ROUNDS):
            assert _read(to_parent_r, proc, done) == b"r"
            os.kill(proc.pid, signal.SIGTERM)
            assert _read(to_parent_r, proc, done) == b"h"
            # while the first handler runs: at a different moment of it each round
            until = time.perf_counter() + random.random() * 40e-6
            while time.perf_counter() < until:
                pass
            os.kill(proc.pid, signal.SIGTERM)
            os.write(from_parent_w, b"k")
        assert _read(to_parent_r, proc, ROUNDS) == b"d"
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(to_parent_r)
        os.close(from_parent_w)


def test_stop_request_wakes_a_waiter_and_stays_set() -> None:
    stop = StopRequest()
    started = time.monotonic()
    assert stop.wait(0.05) is False
    assert time.monotonic() - started >= 0.04
    assert not stop.is_set()
    stop.set()
    stop.set()  # again: no error, no second byte needed
    started = time.monotonic()
    assert stop.wait(5.0) is True
    assert stop.wait(None) is True
    assert time.monotonic() - started < 1.0
    assert stop.is_set()
