"""Probe: peak memory of ``boekbox smtp`` with many connections sending large mails.

Run:  .venv/bin/python bench/smtp_memory_bench.py [--connections 200] [--mb 48]
                                                  [--baseline-connections 10]

Starts the real CLI server (fresh SQLite database, blob directory and SQLite
broker in a temp directory) and opens ``--connections`` loopback connections at
once, each sending one distinct mail of about ``--mb`` MB (a base64 attachment)
in 256 kB writes.  Prints the server's peak RSS (VmHWM from /proc), how many
mails got 250, and peak RSS per connection.

The baseline, in the same run: the same server with DATA spooling switched off
(``BOEKBOX_SMTP_SPOOL_BYTES=0``, every session holds its whole mail in memory, as
before issue 18), at ``--baseline-connections`` connections (kept small: it
needs about 2-3x the mail size per session).  Printed: MB of peak RSS per
connection for both, and their ratio.  Target: peak RSS <= 1024 MB at 200 x 48 MB.
Needs about 2 x connections x mb of free disk in the temp directory.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from smtp_bench import BOEKBOX, RCPT, SENDER, Server, _wait_port, boekbox_env

CHUNK = 256 * 1024


def start(base: Path, connections: int, spool: bool) -> Server:
    import subprocess

    workdir = Path(tempfile.mkdtemp(prefix="smtp-mem-", dir=base))
    env = boekbox_env(workdir)
    env.update(
        BOEKBOX_SMTP_MAX_CONNECTIONS=str(max(200, connections)),
        BOEKBOX_SMTP_MAX_CONNECTIONS_PER_IP=str(max(200, connections)),
        BOEKBOX_INTAKE_BYTES_PER_DAY="0",
        BOEKBOX_SMTP_COMMAND_TIMEOUT="600",
        BOEKBOX_LOG_LEVEL="WARNING",
    )
    if not spool:
        env["BOEKBOX_SMTP_SPOOL_BYTES"] = "0"
    subprocess.run([BOEKBOX, "init"], env=env, check=True, capture_output=True)
    subprocess.run(
        [BOEKBOX, "dossier", "add", "Bench BV", "--address", "bench"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    env["BOEKBOX_LOG_LEVEL"] = "INFO"  # the "listening on" line
    proc = subprocess.Popen([BOEKBOX, "smtp"], env=env, stderr=subprocess.PIPE, text=True)
    return Server(proc, _wait_port(proc, proc.stderr), workdir)


def make_body(mb: int) -> bytes:
    """One base64 attachment of about ``mb`` MB (shared by all mails; headers differ)."""
    raw = os.urandom(mb * 1024 * 1024 * 3 // 4)
    b64 = base64.encodebytes(raw).replace(b"\n", b"\r\n")
    return (
        b"--b0undary\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="big.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + b64 + b"\r\n--b0undary--\r\n"
    )


def head(i: int) -> bytes:
    return (
        f"From: Supplier <{SENDER}>\r\nTo: {RCPT}\r\nSubject: Big {i}\r\n"
        f"Message-ID: <big.{i}.{os.urandom(6).hex()}@supplier.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b0undary"\r\n\r\n'
    ).encode()


async def send_one(port: int, i: int, body: bytes) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def reply() -> bytes:
        while True:
            line = await reader.readline()
            if len(line) < 4 or line[3:4] != b"-":
                return line

    try:
        if not (await reply()).startswith(b"220"):
            return "no greeting"
        commands = (f"MAIL FROM:<{SENDER}>".encode(), f"RCPT TO:<{RCPT}>".encode(), b"DATA")
        for cmd in (b"EHLO bench.test", *commands):
            writer.write(cmd + b"\r\n")
            answer = await reply()
            if answer[:1] not in (b"2", b"3"):
                return answer.decode(errors="replace").strip()
        writer.write(head(i))
        view = memoryview(body)
        for pos in range(0, len(view), CHUNK):
            writer.write(view[pos : pos + CHUNK])
            await writer.drain()
        writer.write(b".\r\n")
        answer = await reply()
        writer.write(b"QUIT\r\n")
        return answer.decode(errors="replace").strip()[:3]
    finally:
        writer.close()


async def send_all(port: int, connections: int, body: bytes) -> list[str]:
    return await asyncio.gather(*(send_one(port, i, body) for i in range(connections)))


def run(base: Path, connections: int, body: bytes, spool: bool) -> tuple[float, int, float]:
    server = start(base, connections, spool)
    try:
        idle = server.peak_rss_mb()
        t0 = time.monotonic()
        results = asyncio.run(send_all(server.port, connections, body))
        elapsed = time.monotonic() - t0
        peak = server.peak_rss_mb()
    finally:
        server.stop()
    ok = sum(r == "250" for r in results)
    others = sorted({r for r in results if r != "250"})
    print(
        f"  spool {'on ' if spool else 'off'}: {connections} x {len(body) / 2**20:.0f} MB: "
        f"{ok} x 250 in {elapsed:.1f} s; server RSS idle {idle:.0f} MB, peak {peak:.0f} MB"
        + (f"; other replies: {others}" if others else ""),
        flush=True,
    )
    return peak, ok, idle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--mb", type=int, default=48)
    parser.add_argument("--baseline-connections", type=int, default=10)
    parser.add_argument("--tmp", default=None, help="directory for the server's files")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="smtp-mem-bench-", dir=args.tmp))
    body = make_body(args.mb)
    print(f"SMTP memory probe: {args.connections} connections x {args.mb} MB", flush=True)
    peak, ok, idle = run(base, args.connections, body, spool=True)
    per = (peak - idle) / max(1, args.connections)
    if args.baseline_connections:
        b_peak, _, b_idle = run(base, args.baseline_connections, body, spool=False)
        b_per = (b_peak - b_idle) / args.baseline_connections
        print(
            f"per connection above idle: spool on {per:.1f} MB, spool off {b_per:.1f} MB "
            f"(ratio {per / b_per:.3f})"
        )
    verdict = "OK" if peak <= 1024 and ok == args.connections else "OVER TARGET"
    print(
        f"peak RSS {peak:.0f} MB at {args.connections} x {args.mb} MB (target <= 1024): {verdict}"
    )
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
