"""Benchmark: boekbox's SMTP intake against a bare aiosmtpd that only writes+fsyncs.

Run:  .venv/bin/python bench/smtp_bench.py [--rounds R] [--n-small N] [--n-large M]

In one run, for 20 KB and 1 MB mails at concurrency 1 and 16, over loopback:
(a) a bare aiosmtpd server whose handler writes each message to a file and fsyncs it
    (in a 32-thread pool, the same pool size boekbox uses), and
(b) ``boekbox smtp`` (blob fsynced, mail row committed, split step enqueued on the
    SQLite broker: the real CLI process, default settings, INFO logging).
Each (size, concurrency, server) starts a FRESH server process on a fresh directory,
so VmHWM (peak RSS) belongs to that load alone.  Clients are smtplib threads, one
connection each, sending their share of the mails back to back.  Printed per row:
msgs/s, MB/s, p50/p99 time-to-250 (ms), peak RSS (MB), server CPU ms per mail
(user+system, /proc); then ratio b/a of msgs/s.
Rounds interleave a and b; the best round per cell is reported.
Targets: ratio >= 0.85 at concurrency 16 for 20 KB; boekbox peak RSS < 200 MB at 1 MB x 16.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import re
import shutil
import signal
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BOEKBOX = str(Path(sys.executable).with_name("boekbox"))
DOMAIN = "bench.boekbox.test"
RCPT = f"bench@{DOMAIN}"
SENDER = "facturatie@supplier.example"


# ----------------------------------------------------------------------------- (a) bare server


def serve_bare(directory: str) -> None:
    """The baseline: aiosmtpd, and a handler that writes + fsyncs each message."""
    from aiosmtpd.smtp import SMTP

    pool = ThreadPoolExecutor(32)
    counter = iter(range(10**9))

    def write(data: bytes) -> None:
        path = os.path.join(directory, f"m{next(counter)}.eml")
        with open(path, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            await asyncio.get_running_loop().run_in_executor(pool, write, envelope.content)
            return "250 OK"

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: SMTP(Handler(), data_size_limit=52_428_800, hostname="bare", ident="bare"),
            host="127.0.0.1",
            port=0,
            backlog=512,
        )
        print(f"listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()

    asyncio.run(main())


# ----------------------------------------------------------------------------- servers


@dataclass
class Server:
    proc: subprocess.Popen[str]
    port: int
    workdir: Path

    def peak_rss_mb(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(found.group(1)) / 1024 if found else float("nan")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _wait_port(proc: subprocess.Popen[str], stream: Any) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        found = re.search(r"listening on [\d.]+:(\d+)", line)
        if found:
            threading.Thread(target=lambda: [None for _ in stream], daemon=True).start()
            return int(found.group(1))
    raise RuntimeError("server did not start")


def start_bare(base: Path) -> Server:
    workdir = Path(tempfile.mkdtemp(prefix="bare-", dir=base))
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve-bare", str(workdir)],
        stdout=subprocess.PIPE,
        text=True,
    )
    return Server(proc, _wait_port(proc, proc.stdout), workdir)


def boekbox_env(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        BOEKBOX_DATABASE_URL=f"sqlite:///{workdir / 'boekbox.db'}",
        BOEKBOX_BLOB_STORE=str(workdir / "blobs"),
        BOEKBOX_BROKER="sqlite",
        BOEKBOX_BROKER_URL=str(workdir / "queue.db"),
        BOEKBOX_MAIL_DOMAIN=DOMAIN,
        BOEKBOX_SMTP_PORT="0",
        BOEKBOX_SMTP_MAX_MESSAGES_PER_MINUTE_PER_IP="1000000",
        BOEKBOX_SMTP_MAX_CONNECTIONS_PER_IP="100",
        BOEKBOX_SMTP_HOST="127.0.0.1",
        BOEKBOX_LOG_LEVEL="INFO",
    )
    return env


def start_boekbox(base: Path) -> Server:
    workdir = Path(tempfile.mkdtemp(prefix="boekbox-", dir=base))
    env = boekbox_env(workdir)
    subprocess.run([BOEKBOX, "init"], env=env, check=True, capture_output=True)
    subprocess.run(
        [BOEKBOX, "dossier", "add", "Bench BV", "--address", "bench"],
        env=env,
        check=True,
        capture_output=True,
    )
    proc = subprocess.Popen([BOEKBOX, "smtp"], env=env, stderr=subprocess.PIPE, text=True)
    return Server(proc, _wait_port(proc, proc.stderr), workdir)


# ----------------------------------------------------------------------------- client


def make_mails(count: int, size: int, tag: str) -> list[bytes]:
    """``count`` distinct mails of about ``size`` bytes: a text body and a PDF-ish attachment."""
    payload_len = max(0, (size - 1200) * 3 // 4)
    mails = []
    for i in range(count):
        blob = b"%PDF-1.4\n" + os.urandom(payload_len)
        b64 = base64.encodebytes(blob).replace(b"\n", b"\r\n")
        head = (
            f"From: Supplier <{SENDER}>\r\nTo: {RCPT}\r\nSubject: Factuur {tag}-{i}\r\n"
            f"Message-ID: <{tag}.{i}.{os.urandom(6).hex()}@supplier.example>\r\n"
            "MIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="b0undary"\r\n\r\n'
            "--b0undary\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "In bijlage onze factuur.\r\n\r\n"
            "--b0undary\r\nContent-Type: application/pdf\r\n"
            f'Content-Disposition: attachment; filename="factuur-{i}.pdf"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
        ).encode()
        mails.append(head + b64 + b"\r\n--b0undary--\r\n")
    return mails


def send_all(port: int, mails: list[bytes], concurrency: int) -> tuple[float, list[float]]:
    """Wall seconds for all mails, and each mail's time-to-250."""
    shares = [mails[i::concurrency] for i in range(concurrency)]
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(concurrency + 1)
    errors: list[BaseException] = []

    def worker(share: list[bytes]) -> None:
        try:
            client = smtplib.SMTP("127.0.0.1", port, timeout=300)
            client.ehlo("bench.client")
            barrier.wait()
            mine = []
            for mail in share:
                t0 = time.perf_counter()
                client.sendmail(SENDER, [RCPT], mail)
                mine.append(time.perf_counter() - t0)
            client.quit()
            with lock:
                latencies.extend(mine)
        except BaseException as exc:  # reported below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(s,)) for s in shares]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"client errors: {errors[:3]}")
    return wall, latencies


# ----------------------------------------------------------------------------- report


@dataclass
class Row:
    msgs_s: float
    mb_s: float
    p50_ms: float
    p99_ms: float
    rss_mb: float
    cpu_ms: float


def run_cell(kind: str, base: Path, mails: list[bytes], concurrency: int) -> Row:
    server = start_bare(base) if kind == "bare" else start_boekbox(base)
    try:
        cpu0 = server.cpu_seconds()
        wall, lat = send_all(server.port, mails, concurrency)
        cpu = (server.cpu_seconds() - cpu0) / len(mails) * 1e3
        rss = server.peak_rss_mb()
    finally:
        server.stop()
    lat.sort()
    total_mb = sum(len(m) for m in mails) / 1e6
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    return Row(
        len(mails) / wall, total_mb / wall, statistics.median(lat) * 1e3, p99 * 1e3, rss, cpu
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--n-small", type=int, default=480, help="20 KB mails per cell")
    parser.add_argument("--n-large", type=int, default=48, help="1 MB mails per cell")
    parser.add_argument(
        "--cell", action="append", help="only SIZE:CONC cells, e.g. 20000:16 (repeatable)"
    )
    parser.add_argument("--serve-bare", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return
    var = ROOT / "var"
    base = Path(tempfile.mkdtemp(prefix="smtp-bench-", dir=var if var.is_dir() else None))
    cells = [(20_000, 1), (20_000, 16), (1_000_000, 1), (1_000_000, 16)]
    if args.cell:
        wanted = {tuple(int(x) for x in c.split(":")) for c in args.cell}
        cells = [c for c in cells if c in wanted]
    best: dict[tuple[int, int, str], Row] = {}
    try:
        for rnd in range(args.rounds):
            for size, conc in cells:
                n = args.n_small if size < 100_000 else args.n_large
                if conc == 1:
                    n = max(16, n // 3)
                for kind in ("bare", "boekbox") if rnd % 2 == 0 else ("boekbox", "bare"):
                    mails = make_mails(n, size, f"r{rnd}{kind}{size}{conc}")
                    row = run_cell(kind, base, mails, conc)
                    key = (size, conc, kind)
                    if key not in best or row.msgs_s > best[key].msgs_s:
                        best[key] = row
                    print(
                        f"round {rnd + 1} {size // 1000:>5} KB c{conc:<2} {kind:<7} "
                        f"{row.msgs_s:8.1f} msgs/s  p50 {row.p50_ms:7.1f} ms  "
                        f"RSS {row.rss_mb:6.1f} MB",
                        file=sys.stderr,
                        flush=True,
                    )
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(
        f"{'size':>7} {'conc':>4} {'server':<8} {'msgs/s':>8} {'MB/s':>7} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'peakRSS MB':>10} {'CPU ms/msg':>10} {'ratio b/a':>9}"
    )
    for size, conc in cells:
        a, b = best[(size, conc, "bare")], best[(size, conc, "boekbox")]
        for kind, row in (("bare", a), ("boekbox", b)):
            shown = f"{b.msgs_s / a.msgs_s:9.2f}" if kind == "boekbox" else ""
            print(
                f"{size // 1000:>5}KB {conc:>4} {kind:<8} {row.msgs_s:8.1f} {row.mb_s:7.2f} "
                f"{row.p50_ms:8.1f} {row.p99_ms:8.1f} {row.rss_mb:10.1f} {row.cpu_ms:10.2f} {shown}"
            )
    if (20_000, 16, "boekbox") in best:
        small = best[(20_000, 16, "boekbox")]
        ratio = small.msgs_s / best[(20_000, 16, "bare")].msgs_s
        verdict = "OK" if ratio >= 0.85 else "MISSED"
        print(f"target ratio >= 0.85 at 20 KB c16: {ratio:.2f} {verdict}")
    if (1_000_000, 16, "boekbox") in best:
        rss = best[(1_000_000, 16, "boekbox")].rss_mb
        print(
            f"target peak RSS < 200 MB at 1 MB c16: {rss:.1f} MB {'OK' if rss < 200 else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
