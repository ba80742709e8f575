"""Benchmark: the whole pipeline, SMTP to "ready for review", against the work floor.

Run:  .venv/bin/python bench/e2e_bench.py [--mails N] [--senders S] [--keep DIR]

On the embedded default (SQLite, SQLite queue, local blobs) in a temporary
directory, `boekbox smtp` and `boekbox worker` run as separate processes (what
`boekbox up` starts, without the UI).  N mails (default 1,000) are built from
../shared/corpus -- UBL (invoice number changed), text PDFs, scanned PDFs,
photos (a unique comment appended so every SHA-256 differs) and forwarded
mails (Message-ID and subject changed, their PDFs given a unique comment) --
and sent over SMTP by S concurrent senders.  When every document is ready
(review or final state), it prints:

* mails/s accepted (first connection to last 250);
* per type: documents, documents/min (first 250 to last ready of that type),
  p50/p95 seconds from the mail's 250 to its last document ready;
* peak memory (VmHWM) of every process of the run, largest tesseract sampled;
* the floor, measured in the same run after the load on the same templates
  (one measurement per distinct corpus file, times the number of documents
  made from it): bare lxml parse (UBL), bare pypdfium2 text with character
  boxes (text PDFs), bare tesseract per page with OMP_THREAD_LIMIT=1 (scans,
  photos); summed, divided by the cores, and boekbox's total time (first 250
  to last ready) divided by it (target <= 1.15 at the default 1,000 mails);
* the worker process tree's CPU use while OCR documents were queued (both
  cores busy = close to 2.0).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import email
import email.policy
import os
import random
import resource
import shutil
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from extract_bench import (  # noqa: E402
    OCR_DPI,
    _floor_images,
    floor_text_with_boxes,
)

CORPUS = ROOT / ".." / "shared" / "corpus"
ADDRESS_LOCAL = "bench"
DOMAIN = "dossiers.boekbox.bench"
LANGUAGES = "nld+fra+deu+eng"
MIX = {"ubl": 0.40, "pdf": 0.35, "forward": 0.10, "scan": 0.08, "photo": 0.07}
FORWARDS = ("forward_inline_gmail", "forward_inline_outlook", "forward_as_attachment")
OCR_TYPES = ("scan", "photo")


@dataclass
class Mail:
    kind: str
    template: Path
    message_id: str
    raw: bytes
    accepted_at: float = 0.0


@dataclass
class Sampler:
    """Polls /proc: peak memory per process, worker-tree CPU while OCR is queued."""

    roots: dict[str, int]
    db: Path
    peaks: dict[str, int] = field(default_factory=dict)  # label -> VmHWM kB
    ocr_cpu: float = 0.0
    ocr_wall: float = 0.0
    ocr_samples: int = 0
    ocr_tesseracts: int = 0  # summed over samples taken while OCR was queued
    cpu_total: dict[str, float] = field(default_factory=dict)  # label -> tree CPU s
    # long-lived process -> (its own CPU s, CPU s of its children that ended)
    cpu_parts: dict[str, tuple[float, float]] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)
    roles: dict[int, str | None] = field(default_factory=dict)
    children_cpu: dict[int, tuple[str, float]] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        """One pass over /proc per sample (there were five), and each process's command
        line read once: on 2 cores, the sampler's own CPU is taken from boekbox."""
        snapshot = _Snapshot.take()
        last_cpu, last_t = snapshot.tree_cpu(self.roots["worker"]), time.monotonic()
        while not self.stop.wait(0.5):
            queued = _ocr_queued(self.db)
            snapshot, now = _Snapshot.take(), time.monotonic()
            cpu = snapshot.tree_cpu(self.roots["worker"])
            if queued:
                self.ocr_cpu += max(0.0, cpu - last_cpu)
                self.ocr_wall += now - last_t
            last_cpu, last_t = cpu, now
            self.children_cpu = {}
            for label, root in self.roots.items():
                self.cpu_total[label] = snapshot.tree_cpu(root)
                pids = snapshot.tree(root)
                labels = {pid: self._label(pid) for pid in pids}
                if queued and label == "worker":
                    self.ocr_samples += 1
                    self.ocr_tesseracts += sum(name == "tesseract" for name in labels.values())
                for pid in pids:
                    self._part(pid, snapshot.stats.get(pid, []))
                    name = f"{label}:{labels[pid]}"
                    key = name if "tesseract" in name else f"{name}[{pid}]"
                    self.peaks[key] = max(self.peaks.get(key, 0), _status_kb(pid, "VmHWM"))

    def _label(self, pid: int) -> str:
        """A process's label, read once (its command line does not change)."""
        if pid not in self.labels:
            self.labels[pid] = _label(pid)
        return self.labels[pid]

    def _part(self, pid: int, fields: list[str]) -> None:
        """Own and ended-children CPU of a long-lived process; a sandbox child's own CPU
        is noted for its fork server (it lands in the server's children CPU when it ends)."""
        if pid not in self.roles:
            self.roles[pid] = _role(pid)
        name = self.roles[pid]
        if not fields:
            return
        ticks = os.sysconf("SC_CLK_TCK")
        own = (int(fields[11]) + int(fields[12])) / ticks
        ended = (int(fields[13]) + int(fields[14])) / ticks
        if name is not None:
            self.cpu_parts[f"{name}[{pid}]"] = (own, ended)
            return
        server = self.roles.get(int(fields[1]))
        if server is not None and server.startswith("fork server"):
            # a sandbox child alive at this sample (a reused one lives on)
            self.children_cpu[pid] = (f"{server}[{fields[1]}]", own)

    def parts(self) -> dict[str, tuple[float, float]]:
        """Own and children's CPU per long-lived process; the children of a fork server
        include the sandbox children alive at the last sample (reused ones)."""
        out = dict(self.cpu_parts)
        for server, own in self.children_cpu.values():
            if server in out:
                mine, ended = out[server]
                out[server] = (mine, ended + own)
        return out


@dataclass
class _Snapshot:
    """Every process's /proc/PID/stat fields, read in one pass."""

    stats: dict[int, list[str]]
    children: dict[int, list[int]]

    @classmethod
    def take(cls) -> _Snapshot:
        stats: dict[int, list[str]] = {}
        children: dict[int, list[int]] = defaultdict(list)
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                fields = _stat(int(entry.name))
                if fields:
                    stats[int(entry.name)] = fields
                    children[int(fields[1])].append(int(entry.name))
        return cls(stats, children)

    def tree(self, root: int) -> list[int]:
        out, todo = [], [root]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(self.children.get(pid, []))
        return out

    def tree_cpu(self, root: int) -> float:
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.tree(root):
            fields = self.stats.get(pid)
            if fields:
                total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        return total / ticks


def _stat(pid: int) -> list[str]:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return text.rsplit(")", 1)[1].split()


def _status_kb(pid: int, key: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def _label(pid: int) -> str:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [a.decode(errors="replace") for a in args if a]
    if not words:
        return "?"
    if "tesseract" in Path(words[0]).name:
        return "tesseract"
    if "dramatiq" in words:
        return "dramatiq"
    return " ".join(Path(w).name for w in words[:4])


def _role(pid: int) -> str | None:
    """What a long-lived process of the worker tree does, or None for a short-lived one."""
    try:
        words = [
            w.decode(errors="replace")
            for w in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if w
        ]
    except OSError:
        return None
    line = " ".join(words)
    if "multiprocessing.forkserver" in line:
        parent = _stat(pid)
        owner = _role(int(parent[1])) if parent else None
        # a sandbox child is a fork of the fork server, with its command line
        if owner is None or owner.startswith("fork server"):
            return None
        return f"fork server of {owner}"
    if "pipeline.workerproc" in words:
        queues = words[words.index("--queues") + 1 :] if "--queues" in words else []
        return "worker " + "+".join(queues)
    if "pipeline.cli" in words and "worker" in words:
        return "worker supervisor"
    return None


def _ocr_queued(db: Path) -> bool:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as c:
            row = c.execute(
                "SELECT COUNT(*) FROM document WHERE kind = 'file' AND state = 'received'"
                " AND (filename LIKE 'scan-%' OR filename LIKE 'photo-%')"
            ).fetchone()
            return bool(row[0])
    except sqlite3.Error:
        return False


# ----------------------------------------------------------------------------- the load


def _templates() -> dict[str, list[Path]]:
    ubl = [p for p in sorted((CORPUS / "ubl").glob("*.xml")) if b"<cbc:ID>" in p.read_bytes()]
    return {
        "ubl": ubl,
        "pdf": sorted((CORPUS / "pdf").glob("*.pdf")),
        "forward": [CORPUS / "mail" / f"{n}.eml" for n in FORWARDS],
        "scan": sorted((CORPUS / "scanned").glob("*_scan.pdf")),
        "photo": sorted(p for p in (CORPUS / "scanned").iterdir() if p.suffix in {".jpg", ".png"}),
    }


def _unique_ubl(data: bytes, i: int) -> bytes:
    start = data.index(b"<cbc:ID>") + len(b"<cbc:ID>")
    return data[:start] + f"B{i}-".encode() + data[start:]


def _attachment_mail(kind: str, i: int, src: Path, address: str) -> Mail:
    data = src.read_bytes()
    data = _unique_ubl(data, i) if kind == "ubl" else data + f"\n%bench {i}\n".encode()
    msg = EmailMessage()
    msg["From"] = "facturatie@leverancier.example"
    msg["To"] = address
    msg["Subject"] = f"Factuur {i}"
    msg["Message-ID"] = f"<bench-{i}@leverancier.example>"
    msg.set_content("Beste klant, in bijlage onze factuur.")
    ctype = {".xml": "application/xml", ".pdf": "application/pdf"}.get(
        src.suffix, "image/png" if src.suffix == ".png" else "image/jpeg"
    )
    maintype, subtype = ctype.split("/")
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=f"{kind}-{i}-{src.name}")
    return Mail(kind, src, f"bench-{i}@leverancier.example", msg.as_bytes(policy=email.policy.SMTP))


def _forward_mail(i: int, src: Path) -> Mail:
    msg = email.message_from_bytes(src.read_bytes(), policy=email.policy.default)
    del msg["Message-ID"]
    msg["Message-ID"] = f"<bench-{i}@forward.example>"
    subject = str(msg.get("Subject", ""))
    del msg["Subject"]
    msg["Subject"] = f"{subject} ({i})"
    for part in msg.walk():
        name = part.get_filename() or ""
        if part.get_content_type() == "application/pdf" or name.lower().endswith(".pdf"):
            data = part.get_payload(decode=True) + f"\n%bench {i}\n".encode()
            part.set_content(
                data, maintype="application", subtype="pdf", filename=name or f"fwd-{i}.pdf"
            )
    raw = msg.as_bytes(policy=email.policy.SMTP)
    return Mail("forward", src, f"bench-{i}@forward.example", raw)


def build_load(n: int, address: str, seed: int = 8) -> list[Mail]:
    templates = _templates()
    rng = random.Random(seed)
    kinds = [k for k, share in MIX.items() for _ in range(max(1, round(share * n)))][:n]
    while len(kinds) < n:
        kinds.append("ubl")
    rng.shuffle(kinds)
    mails = []
    for i, kind in enumerate(kinds):
        src = templates[kind][i % len(templates[kind])]
        mails.append(
            _forward_mail(i, src) if kind == "forward" else _attachment_mail(kind, i, src, address)
        )
    return mails


# ----------------------------------------------------------------------------- processes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(work: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOEKBOX_")}
    env.update(
        BOEKBOX_DATABASE_URL=f"sqlite:///{work / 'boekbox.db'}",
        BOEKBOX_BLOB_STORE=str(work / "blobs"),
        BOEKBOX_BROKER="sqlite",
        BOEKBOX_BROKER_URL=str(work / "queue.db"),
        BOEKBOX_MAIL_DOMAIN=DOMAIN,
        BOEKBOX_SMTP_PORT=str(port),
        BOEKBOX_LOG_LEVEL="WARNING",
        # all mails go to one dossier in minutes: the daily intake cap is not under test
        BOEKBOX_INTAKE_BYTES_PER_DAY="0",
    )
    return env


def _boekbox(env: dict[str, str], work: Path, *args: str) -> str:
    cmd = [sys.executable, "-m", "pipeline.cli", *args]
    return subprocess.run(cmd, env=env, cwd=work, capture_output=True, text=True, check=True).stdout


def _start(env: dict[str, str], work: Path, *args: str) -> subprocess.Popen[bytes]:
    log = (work / f"{args[0]}.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", *args],
        env=env,
        cwd=work,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        if proc.poll() is not None:
            raise SystemExit("boekbox smtp exited")
        time.sleep(0.2)
    raise SystemExit("boekbox smtp did not listen")


def _connect(port: int) -> smtplib.SMTP:
    client = smtplib.SMTP("127.0.0.1", port, timeout=120)
    client.ehlo("bench.example")
    return client


def send_all(mails: list[Mail], port: int, address: str, senders: int) -> tuple[float, float]:
    """Send every mail; returns (start, last 250) as epoch seconds."""
    todo = list(reversed(mails))
    lock = threading.Lock()
    refused: list[str] = []
    retried: list[str] = []

    def deliver(client: smtplib.SMTP, mail: Mail) -> smtplib.SMTP:
        """Send one mail; a 4xx (rate limit, busy) is retried as a real MTA does."""
        deadline = time.monotonic() + 900
        pause = 1.0
        while True:
            try:
                client.sendmail("facturatie@leverancier.example", [address], mail.raw)
                mail.accepted_at = time.time()
                return client
            except smtplib.SMTPRecipientsRefused as exc:  # every RCPT refused
                codes = [code for code, _msg in exc.recipients.values()]
                if not all(400 <= c < 500 for c in codes):
                    refused.append(f"{mail.message_id}: {exc.recipients}")
                    return client
                with contextlib.suppress(smtplib.SMTPException):
                    client.rset()
            except smtplib.SMTPResponseException as exc:
                if not 400 <= exc.smtp_code < 500:
                    refused.append(f"{mail.message_id}: {exc.smtp_code}")
                    return client
                with contextlib.suppress(smtplib.SMTPException):
                    client.rset()
            except (smtplib.SMTPServerDisconnected, OSError):
                client = _connect(port)
            if time.monotonic() > deadline:
                refused.append(f"{mail.message_id}: still 4xx after 900 s")
                return client
            retried.append(mail.message_id)
            time.sleep(pause)
            pause = min(10.0, pause * 1.5)

    def sender() -> None:
        client = _connect(port)
        try:
            while True:
                with lock:
                    if not todo:
                        return
                    mail = todo.pop()
                client = deliver(client, mail)
        finally:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                client.quit()

    start = time.time()
    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if refused:
        print(f"refused: {len(refused)} e.g. {refused[:3]}")
    if retried:
        print(f"4xx answers retried: {len(retried)} ({len(set(retried))} mails)")
    return start, max(m.accepted_at for m in mails)


def wait_ready(db: Path, n_mails: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.closing(sqlite3.connect(db, timeout=30)) as c:
            mails = c.execute("SELECT COUNT(*) FROM document WHERE kind = 'mail'").fetchone()[0]
            active = c.execute(
                "SELECT COUNT(*) FROM document WHERE state IN ('received', 'extracted')"
            ).fetchone()[0]
        if mails >= n_mails and active == 0:
            return
        time.sleep(1)
    raise SystemExit(f"not ready after {timeout:.0f}s: {active} documents still working")


# ----------------------------------------------------------------------------- results


def _epoch(stamp: str) -> float:
    value = dt.datetime.fromisoformat(stamp)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


def collect(db: Path, mails: list[Mail]) -> dict[str, list[tuple[float, float, int, str]]]:
    """Per type: (accepted, ready, documents, states) per mail."""
    by_id = {m.message_id: m for m in mails}
    import json

    with contextlib.closing(sqlite3.connect(db)) as c:
        rows = c.execute(
            "SELECT m.message_id, d.kind, d.state, d.timings FROM document d"
            " JOIN mail m ON m.id = d.mail_id"
        ).fetchall()
    ready: dict[str, float] = defaultdict(float)
    docs: dict[str, int] = defaultdict(int)
    states: dict[str, list[str]] = defaultdict(list)
    for message_id, kind, state, timings in rows:
        stamps = json.loads(timings) if isinstance(timings, str) else (timings or {})
        done = max((_epoch(v) for v in stamps.values() if isinstance(v, str)), default=0.0)
        ready[message_id] = max(ready[message_id], done)
        if kind == "file":
            docs[message_id] += 1
            states[message_id].append(state)
    out: dict[str, list[tuple[float, float, int, str]]] = defaultdict(list)
    for message_id, mail in by_id.items():
        out[mail.kind].append(
            (mail.accepted_at, ready[message_id], docs[message_id], ",".join(states[message_id]))
        )
    return out


def _q(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))]


# ----------------------------------------------------------------------------- floors


def floor_seconds(mails: list[Mail], tmp: Path) -> tuple[float, dict[str, float], float]:
    """Single-thread floor for the load (per distinct template, times its uses):
    (wall seconds, wall seconds per type, CPU seconds)."""
    from lxml import etree

    uses: dict[tuple[str, Path], int] = defaultdict(int)
    for m in mails:
        uses[(m.kind, m.template)] += 1
    per_kind: dict[str, float] = defaultdict(float)
    cpu_kind: dict[str, float] = defaultdict(float)
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def tesseract(path: Path, dpi: bool) -> float:
        args = ["tesseract", str(path), "stdout", "-l", LANGUAGES]
        args += ["--dpi", str(OCR_DPI)] if dpi else []
        t = time.perf_counter()
        subprocess.run([*args, "--psm", "3", "tsv"], capture_output=True, env=env, check=True)
        return time.perf_counter() - t

    cpu_before = _cpu_now()

    for (kind, src), count in sorted(uses.items()):
        if kind == "ubl":
            data = src.read_bytes()
            t = time.perf_counter()
            etree.fromstring(data, etree.XMLParser(resolve_entities=False))
            seconds = time.perf_counter() - t
        elif kind == "pdf":
            seconds = _timed(lambda d=src.read_bytes(): floor_text_with_boxes(d))
        elif kind == "forward":
            seconds = sum(_timed(lambda d=pdf: floor_text_with_boxes(d)) for pdf in _pdfs(src))
        elif kind == "scan":
            pages = _floor_images(src.read_bytes(), tmp, src.stem)
            seconds = sum(tesseract(p, True) for p in pages)
        else:
            seconds = tesseract(src, False)
        per_kind[kind] += seconds * count
        cpu_kind[kind] += (_cpu_now() - cpu_before) * count
        cpu_before = _cpu_now()
    return sum(per_kind.values()), dict(per_kind), sum(cpu_kind.values())


def _cpu_now() -> float:
    """CPU seconds of this process and its finished children (tesseract)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(fn: object) -> float:
    t = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t


def _pdfs(eml: Path) -> list[bytes]:
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    return [
        part.get_payload(decode=True)
        for part in msg.walk()
        if part.get_content_type() == "application/pdf"
        or (part.get_filename() or "").lower().endswith(".pdf")
    ]


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--keep", type=Path, help="keep the run's directory here")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="boekbox-e2e-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = _env(work, port)
    _boekbox(env, work, "init")
    address = _boekbox(env, work, "dossier", "add", "Bakkerij Janssens BV", "--vat",
                       "BE0712345630", "--address", ADDRESS_LOCAL).strip()  # fmt: skip
    mails = build_load(args.mails, address)
    smtp = _start(env, work, "smtp")
    worker = _start(env, work, "worker")
    db = work / "boekbox.db"
    sampler = Sampler({"smtp": smtp.pid, "worker": worker.pid}, db)
    thread = threading.Thread(target=sampler.run, daemon=True)
    try:
        _wait_listening(port, smtp)
        thread.start()
        start, last_accept = send_all(mails, port, address, args.senders)
        wait_ready(db, len(mails), args.timeout)
    finally:
        sampler.stop.set()
        thread.join(timeout=10)
        for p in (smtp, worker):
            _stop(p)
    results = collect(db, mails)
    floor_total, floor_kinds, floor_cpu = floor_seconds(mails, work)
    report(
        args, mails, results, sampler, (start, last_accept), (floor_total, floor_cpu), floor_kinds
    )
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def report(
    args: argparse.Namespace,
    mails: list[Mail],
    results: dict[str, list[tuple[float, float, int, str]]],
    sampler: Sampler,
    sending: tuple[float, float],
    floors: tuple[float, float],
    floor_kinds: dict[str, float],
) -> None:
    start, last_accept = sending
    floor_total, floor_cpu = floors
    first_accept = min(m.accepted_at for m in mails)
    last_ready = max(r for rows in results.values() for _a, r, _n, _s in rows)
    cores = os.cpu_count() or 1
    print(f"e2e bench: {len(mails)} mails, {args.senders} senders, {cores} cores, embedded default")
    sent = last_accept - start
    print(f"accepted: {len(mails) / sent:.1f} mails/s over {sent:.1f} s")
    print(f"{'type':<8} {'mails':>5} {'docs':>5} {'docs/min':>9} {'p50 s':>7} {'p95 s':>7}"
          f" {'floor s':>8}  states")  # fmt: skip
    for kind in MIX:
        rows = results.get(kind, [])
        if not rows:
            continue
        waits = [r - a for a, r, _n, _s in rows]
        n_docs = sum(n for _a, _r, n, _s in rows)
        span = max(r for _a, r, _n, _s in rows) - min(a for a, _r, _n, _s in rows)
        states: dict[str, int] = defaultdict(int)
        for *_x, s in rows:
            for state in s.split(","):
                states[state or "-"] += 1
        print(
            f"{kind:<8} {len(rows):>5} {n_docs:>5} {n_docs / span * 60:>9.1f}"
            f" {_q(waits, 0.5):>7.1f} {_q(waits, 0.95):>7.1f} {floor_kinds.get(kind, 0.0):>8.1f}  "
            + " ".join(f"{k}={v}" for k, v in sorted(states.items()))
        )
    total = last_ready - first_accept
    floor_wall = floor_total / cores
    print(f"boekbox total (first 250 -> last ready): {total:.1f} s")
    print(f"floor: {floor_total:.1f} s single-thread / {cores} cores = {floor_wall:.1f} s")
    print(f"ratio boekbox / floor: {total / floor_wall:.2f} (target <= 1.15 at 1,000 mails)")
    used = sum(sampler.cpu_total.values())
    print(f"CPU: boekbox processes {used:.1f} s (smtp {sampler.cpu_total.get('smtp', 0):.1f},"
          f" worker tree {sampler.cpu_total.get('worker', 0):.1f}) vs floor {floor_cpu:.1f} s:"
          f" ratio {used / floor_cpu:.2f}")  # fmt: skip
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    from extractors import tess

    engine = "the library (scripts/build_ocr_engine.sh)" if tess.available() else "the program"
    print(f"boekbox's OCR ran through {engine}; the floor through the tesseract program")
    if sampler.ocr_wall:
        busy = sampler.ocr_cpu / sampler.ocr_wall
        print(f"worker tree CPU while OCR was queued: {busy:.2f} cores of {cores}"
              f" over {sampler.ocr_wall:.0f} s; tesseract processes running:"
              f" {sampler.ocr_tesseracts / max(1, sampler.ocr_samples):.2f} on average"
              )  # fmt: skip
    if parts := sampler.parts():
        print("CPU by process (own; of its children: sandbox children, tesseract):")
        for name, (own, ended) in sorted(parts.items()):
            print(f"  {own:>7.1f} s  {ended:>7.1f} s  {name}")
    peaks = [(label, kb) for label, kb in sampler.peaks.items() if kb]
    print(f"peak memory (VmHWM), largest 12 of {len(peaks)} processes (sandbox children count):")
    for label, kb in sorted(peaks, key=lambda kv: -kv[1])[:12]:
        print(f"  {kb / 1024:>7.1f} MB  {label[:100]}")


if __name__ == "__main__":
    sys.exit(main())
