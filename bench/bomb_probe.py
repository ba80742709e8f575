"""Probe: the worker service against the PDF/image bomb corpus, and a killed worker process.

Run:  .venv/bin/python bench/bomb_probe.py [--memory-mb 1024] [--keep DIR]

In a temporary directory (SQLite, SQLite queue, local blobs) it ingests the
bombs of tests/pipeline/bombs.py plus one real invoice, runs `boekbox worker`
(2 processes) until every document is settled, and prints:

* every bomb's final state and reason;
* the peak memory (VmHWM) of the worker service's processes and of the
  sandbox children that decoded the documents (sampled every 50 ms), against
  the configured limit (BOEKBOX_EXTRACT_MEMORY_MB);
* the time from kill -9 of one worker process to its replacement being up
  (a new process that answers in the process table), three times.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "pipeline"))

from bombs import corpus  # noqa: E402

CORPUS = ROOT / ".." / "shared" / "corpus"


def _env(work: Path, memory_mb: int, cpu_seconds: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOEKBOX_")}
    env.update(
        BOEKBOX_DATABASE_URL=f"sqlite:///{work / 'boekbox.db'}",
        BOEKBOX_BLOB_STORE=str(work / "blobs"),
        BOEKBOX_BROKER="sqlite",
        BOEKBOX_BROKER_URL=str(work / "queue.db"),
        BOEKBOX_MAIL_DOMAIN="dossiers.boekbox.probe",
        BOEKBOX_EXTRACT_MEMORY_MB=str(memory_mb),
        BOEKBOX_EXTRACT_CPU_SECONDS=str(cpu_seconds),
        BOEKBOX_LOG_LEVEL="INFO",
    )
    return env


def _boekbox(env: dict[str, str], *args: str) -> str:
    cmd = [sys.executable, "-m", "pipeline.cli", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout


def _tree(root: int) -> list[int]:
    out = subprocess.run(["ps", "-eo", "pid,ppid"], capture_output=True, text=True).stdout
    kids: dict[int, list[int]] = {}
    for line in out.splitlines()[1:]:
        pid, ppid = (int(x) for x in line.split())
        kids.setdefault(ppid, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(kids.get(pid, []))
    return found


def _hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cmd(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:80]
    except OSError:
        return "?"


class Peaks:
    def __init__(self, root: int) -> None:
        self.root = root
        self.peak: dict[int, tuple[int, str]] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.05):
            for pid in _tree(self.root):
                kb = _hwm_kb(pid)
                if kb > self.peak.get(pid, (0, ""))[0]:
                    self.peak[pid] = (kb, _cmd(pid))


def _workers(root: int) -> set[int]:
    return {p for p in _tree(root) if "pipeline.workerproc" in _cmd(p)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--memory-mb", type=int, default=1024)
    parser.add_argument("--cpu-seconds", type=int, default=30)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="boekbox-bomb-probe-"))
    work.mkdir(parents=True, exist_ok=True)
    env = _env(work, args.memory_mb, args.cpu_seconds)
    _boekbox(env, "init")
    _boekbox(env, "dossier", "add", "Probe BV", "--address", "probe")
    bombs = corpus()
    for name, data in bombs.items():
        (work / name).write_bytes(data)
    real = CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml"
    _boekbox(env, "ingest", *(str(work / n) for n in bombs), str(real), "--dossier", "Probe BV")
    log = (work / "worker.log").open("ab")
    worker = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "worker", "--processes", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    peaks = Peaks(worker.pid)
    sampler = threading.Thread(target=peaks.run, daemon=True)
    sampler.start()
    started = time.monotonic()
    try:
        while True:
            docs = json.loads(_boekbox(env, "documents", "--json", "--all-kinds"))
            if docs and all(d["state"] not in {"received", "extracted"} for d in docs):
                break
            if worker.poll() is not None:
                raise SystemExit("the worker service stopped")
            if time.monotonic() - started > 1800:
                raise SystemExit(f"not settled after 30 min: {docs}")
            time.sleep(1)
        settle = time.monotonic() - started
        replace_times = []
        for _ in range(3):
            while len(before := _workers(worker.pid)) < 2:
                time.sleep(0.05)
            victim = min(before)
            os.kill(victim, signal.SIGKILL)
            t0 = time.monotonic()
            while True:
                now = _workers(worker.pid)
                if len(now) == 2 and victim not in now:
                    break
                time.sleep(0.01)
            replace_times.append(time.monotonic() - t0)
            time.sleep(3)  # let the new process boot before the next kill
        alive = worker.poll() is None
    finally:
        peaks.stop.set()
        sampler.join(timeout=5)
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    print(f"bombs settled in {settle:.1f} s; worker service alive after kills: {alive}")
    for d in docs:
        print(f"  {d['filename']:<28} {d['state']:<12} {str(d['reason'] or '')[:110]}")
    limit_kb = args.memory_mb * 1024
    top = sorted(peaks.peak.values(), reverse=True)
    print(f"peak RSS per process (limit {args.memory_mb} MB for a decoding child):")
    for kb, cmd in top[:8]:
        print(f"  {kb / 1024:8.1f} MB  {kb / limit_kb:5.2f}x limit  {cmd}")
    biggest = top[0][0] if top else 0
    print(f"largest process peak: {biggest / 1024:.1f} MB = {biggest / limit_kb:.2f} x the limit")
    print(
        "killed worker process replaced in: "
        + ", ".join(f"{t:.2f} s" for t in replace_times)
        + f" (max {max(replace_times):.2f} s, target <= 5 s)"
    )
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
