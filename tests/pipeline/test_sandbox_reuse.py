"""Reusable sandbox children (``sandbox.run(..., reuse=True)``), with real processes: a
child serves several calls, each with its full CPU budget, and is replaced after an error,
a limit, a crash, its last call, or when it dies while idle; a process with idle children
exits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pipeline import sandbox

LIMITS = sandbox.SandboxLimits(memory_mb=600, cpu_seconds=2, wall_seconds=60)


def _pid() -> int:
    return os.getpid()


def _burn(seconds: float) -> int:
    """Use ``seconds`` of CPU time; the child's pid."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return os.getpid()


def _allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


_KEPT: list[bytes] = []


def _keep(megabytes: int) -> int:
    """Keep ``megabytes`` of written memory in the child (a leak); its pid."""
    _KEPT.append(b"x" * (megabytes * 1024 * 1024))
    return os.getpid()


def _fail() -> None:
    raise ValueError("not an invoice")


def _die() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def test_a_reusable_child_serves_the_next_call_and_a_one_call_child_does_not() -> None:
    first = sandbox.run(_pid, limits=LIMITS, reuse=True)
    assert first != os.getpid()
    assert sandbox.run(_pid, limits=LIMITS, reuse=True) == first
    assert sandbox.run(_pid, limits=LIMITS) != first  # reuse=False: a child of its own
    # other limits, another child: a child's memory cap is set once
    other = sandbox.SandboxLimits(memory_mb=700, cpu_seconds=2, wall_seconds=60)
    assert sandbox.run(_pid, limits=other, reuse=True) != first
    assert sandbox.run(_pid, limits=LIMITS, reuse=True) == first


def test_every_call_gets_the_full_cpu_budget_and_the_limit_still_holds() -> None:
    # three calls of 1.2 s in one child: 3.6 s in all, over a 2 s budget per call
    pids = {sandbox.run(_burn, 1.2, limits=LIMITS, reuse=True) for _ in range(3)}
    assert len(pids) == 1
    with pytest.raises(sandbox.SandboxLimit, match="over the CPU time limit of 2 s") as info:
        sandbox.run(_burn, 30.0, limits=LIMITS, reuse=True)
    assert info.value.kind == "cpu"
    assert sandbox.run(_pid, limits=LIMITS, reuse=True) not in pids  # replaced


def test_a_child_over_the_memory_limit_is_replaced() -> None:
    before = sandbox.run(_pid, limits=LIMITS, reuse=True)
    with pytest.raises(sandbox.SandboxLimit, match="over the memory limit of 600 MB"):
        sandbox.run(_allocate, 2048, limits=LIMITS, reuse=True)
    after = sandbox.run(_pid, limits=LIMITS, reuse=True)
    assert after != before
    assert sandbox.run(_allocate, 100, limits=LIMITS, reuse=True) == 100 << 20


def test_after_an_error_or_a_crash_the_next_call_gets_another_child() -> None:
    # an error may leave the decoder in any state (an OCR time-out cancels tesseract
    # mid-page): that child is not used again
    child = sandbox.run(_pid, limits=LIMITS, reuse=True)
    with pytest.raises(ValueError, match="not an invoice"):
        sandbox.run(_fail, limits=LIMITS, reuse=True)
    second = sandbox.run(_pid, limits=LIMITS, reuse=True)
    assert second != child
    with pytest.raises(sandbox.SandboxError, match="SIGSEGV"):
        sandbox.run(_die, limits=LIMITS, reuse=True)
    assert sandbox.run(_pid, limits=LIMITS, reuse=True) not in (child, second)


def test_a_child_whose_memory_grew_is_replaced() -> None:
    child = sandbox.run(_keep, 10, limits=LIMITS, reuse=True)
    assert sandbox.run(_keep, 10, limits=LIMITS, reuse=True) == child
    assert sandbox.run(_keep, sandbox.REUSE_GROWTH_MB, limits=LIMITS, reuse=True) == child
    assert sandbox.run(_pid, limits=LIMITS, reuse=True) != child


def test_a_scan_reads_the_same_in_a_reused_child_as_in_a_fresh_one(corpus_dir: Path) -> None:
    # tesseract's engines live on in a reused child: what one document leaves in them must
    # not change the next one's reading (checked here on scans and photos in two orders)
    from extractors import ExtractOptions
    from pipeline.steps import extract_in_child

    scans = corpus_dir / "scanned"
    files = [
        scans / "i2d_QualityHosting_scan.pdf",  # two pages: both page engines
        scans / "zc_mustang_RE_20201121_508_scan.pdf",
        scans / "i2d_coolblue1_photo.jpg",
    ]
    limits = sandbox.SandboxLimits(memory_mb=2048, cpu_seconds=120, wall_seconds=300)

    def read(path: Path, reuse: bool) -> object:
        args = (path.read_bytes(), path.name, ExtractOptions())
        return sandbox.run(extract_in_child, *args, limits=limits, reuse=reuse)

    fresh = {path: read(path, reuse=False) for path in files}
    for order in (files, files[::-1]):
        for path in order:
            assert read(path, reuse=True) == fresh[path], path.name


def test_a_child_killed_while_idle_is_replaced_without_an_error() -> None:
    child = sandbox.run(_pid, limits=LIMITS, reuse=True)
    os.kill(child, signal.SIGKILL)
    time.sleep(0.2)
    assert sandbox.run(_pid, limits=LIMITS, reuse=True) not in (child, os.getpid())


def test_a_child_is_replaced_after_its_last_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "REUSE_CALLS", 3)
    sandbox._POOL.close()
    pids = [sandbox.run(_pid, limits=LIMITS, reuse=True) for _ in range(7)]
    assert [len(set(pids[i : i + 3])) for i in (0, 3)] == [1, 1]
    assert len(set(pids)) == 3


def test_a_process_with_idle_children_exits_and_leaves_none(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys
        from pipeline import sandbox
        import os
        limits = sandbox.SandboxLimits(memory_mb=600, cpu_seconds=5, wall_seconds=60)
        print(sandbox.run(os.getpid, limits=limits, reuse=True), flush=True)
        """
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    child = int(done.stdout.strip())
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{child}").exists()
