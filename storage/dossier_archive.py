"""Export and import of a whole dossier as one ZIP archive.

The archive holds::

    dossier.json                 name, VAT number, settings, chart of accounts
    documents.json               every document's metadata (id, file, mail, links, dates)
    documents/<id>/<file name>   every original document, byte for byte
    mails.json                   the mails the documents came from (envelope, headers)
    mails/<id>.eml               a raw mail not already kept as a document
    sales.json                   customers, catalogue items, numbering, sales invoices
    einvoices/<number>.xml       the e-invoice XML of every issued sales invoice
    einvoices/<number>.pdf       its PDF
    bookings.json                every entry with its lines and its document link
    journals/<journal>.csv       the journals
    ledger.csv                   the general ledger (per account, running balance)
    manifest.json                SHA-256 and size of every other member (written last)

Export streams through a bounded pipeline: reader threads (two) read the originals from
the blob store in chunks and compute each one's SHA-256 and ZIP CRC in the same pass
(hashlib and zlib-ng, whose CRC-32 uses the CPU's carry-less multiply, release the GIL),
while this thread writes the members in order with large vectored writes; at most
:data:`_QUEUE` chunks wait in between, so memory stays bounded whatever the dossier's size.  Each
original's SHA-256 is checked against its content address as it streams: that is the
integrity check (a damaged or missing original fails the export), and it is the
manifest's SHA-256, so nothing is hashed twice.  Originals that are already compressed
(PDF, images) are stored; text, XML and mail are deflated.  Rows are read with one query
per table.  The archive is written to a temp file next to the target, fsynced and
renamed only when complete, so an interrupted export leaves no partial archive under
the final name.

Import first re-hashes every member against the manifest and refuses a tampered archive
before writing anything; then it stores the blobs and writes every row in one
transaction.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import os
import queue
import re
import secrets
import struct
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from zlib_ng import zlib_ng as zlib

from storage.errors import NotFound, StorageError
from storage.integrity import read_chunks
from storage.models import (
    Account,
    Customer,
    Document,
    Dossier,
    InvoiceSequence,
    JournalEntry,
    JournalLine,
    Mail,
    SalesInvoice,
    SalesInvoiceLine,
    SalesItem,
)

__all__ = ["ArchiveRefused", "ExportReport", "export_dossier", "import_dossier"]

FORMAT = "boekbox-dossier-archive"
VERSION = 1
CHUNK = 1 << 20
#: chunks read and hashed but not written yet (memory bound: this many chunks at most)
_QUEUE = 64
#: reader threads (each hashes whole originals; two keep two cores busy with the writer)
_READERS = 2
MAX_MEMBERS = 2_000_000
MAX_JSON_BYTES = 512 * 1024 * 1024
MAX_DOCUMENT_BYTES = 1 << 30

#: columns never exported (ids of rows outside the archive, per-run bookkeeping)
_DOC_SKIP = {"dossier_id", "timings"}
_MAIL_SKIP = {"dossier_id"}
_ENTRY_SKIP = {"id", "dossier_id", "document_id", "supplier_id", "booked_by", "lines"}
_LINE_SKIP = {"id", "entry_id"}
_INVOICE_SKIP = {"dossier_id", "created_by", "issued_by"}
_INVOICE_LINE_SKIP = {"id", "invoice_id"}

#: originals worth deflating (everything else, PDF and images first, is stored as is)
_DEFLATE_TYPES = ("text/", "message/", "application/xml", "application/json")
_DEFLATE_SUFFIXES = (".xml", ".txt", ".csv", ".eml", ".json", ".cod", ".coda")


class ArchiveRefused(StorageError):
    """An archive that is not a complete, untampered boekbox dossier archive."""


# ----------------------------------------------------------------------------- rows <-> JSON


def _plain(value: Any) -> Any:
    """JSON for the values the encoder does not know (its ``default``)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _rows(s: Any, model: Any, skip: set[str], *where: Any, order: Any) -> list[dict[str, Any]]:
    """Plain dicts of a model's rows (one query, no ORM objects)."""
    columns = [c for c in model.__table__.columns if c.key not in skip]
    result = s.execute(select(*columns).where(*where).order_by(*order))
    keys = [c.key for c in columns]
    return [dict(zip(keys, row, strict=True)) for row in result.tuples().all()]


def _unplain(model: Any, data: dict[str, Any], skip: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in model.__table__.columns:
        key = column.key
        if key in skip or key not in data:
            continue
        value = data[key]
        if value is not None:
            try:
                kind = column.type.python_type
            except NotImplementedError:
                kind = object
            if kind is dt.datetime:
                value = dt.datetime.fromisoformat(value)
            elif kind is dt.date:
                value = dt.date.fromisoformat(value)
            elif kind is Decimal:
                value = Decimal(value)
        out[key] = value
    return out


def _safe_name(name: str | None, fallback: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._ -]+", "_", (name or "").strip())[:120].strip(" .")
    return cleaned or fallback


def _deflates(content_type: str | None, filename: str | None) -> bool:
    kind = (content_type or "").lower()
    if kind.startswith(_DEFLATE_TYPES) or kind.endswith("+xml"):
        return True
    return (filename or "").lower().endswith(_DEFLATE_SUFFIXES)


# ----------------------------------------------------------------------------- ZIP writer

_U32 = 0xFFFFFFFF
_U16 = 0xFFFF
#: 2000-01-01 00:00 in DOS time and date (members carry no meaningful mtime)
_DOS_TIME, _DOS_DATE = 0, (20 << 9) | (1 << 5) | 1
_UTF8 = 0x0800
_EXTERNAL = 0o100644 << 16
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")


@dataclass(slots=True)
class _Entry:
    name: bytes
    method: int
    offset: int
    zip64: bool
    crc: int = 0
    size: int = 0
    csize: int = 0


class _ZipOut:
    """A ZIP writer for members whose CRC is computed by the caller (the export's reader
    thread hashes and CRCs each original in one pass): local header and data go out in
    one vectored write, a streamed member's header is patched in place once its CRC and
    sizes are known.  ZIP64 records are written where sizes, offsets or the member count
    need them (the standard library's :mod:`zipfile` reads it all back)."""

    #: a streamed member above this many bytes gets ZIP64 sizes in its local header
    zip64_from = 1 << 31

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.offset = 0
        self.entries: list[_Entry] = []

    def _write(self, *parts: bytes | memoryview) -> None:
        views = [memoryview(p) for p in parts if len(p)]
        while views:
            done = os.writev(self.fd, views)
            self.offset += done
            while views and done >= len(views[0]):
                done -= len(views[0])
                views.pop(0)
            if views and done:
                views[0] = views[0][done:]

    def _local(self, entry: _Entry) -> bytes:
        if entry.zip64:
            extra = struct.pack("<HHQQ", 1, 16, entry.size, entry.csize)
            sizes = (_U32, _U32)
        else:
            extra = b""
            sizes = (entry.csize, entry.size)
        return (
            _LOCAL.pack(
                0x04034B50,
                45 if entry.zip64 else 20,
                _UTF8,
                entry.method,
                _DOS_TIME,
                _DOS_DATE,
                entry.crc,
                *sizes,
                len(entry.name),
                len(extra),
            )
            + entry.name
            + extra
        )

    def whole(self, name: str, method: int, data: bytes, crc: int, size: int) -> None:
        """A member whose bytes (compressed if ``method`` deflates) are all in ``data``."""
        entry = _Entry(name.encode(), method, self.offset, False, crc, size, len(data))
        if size > _U32 or len(data) > _U32:
            entry.zip64 = True
        self.entries.append(entry)
        self._write(self._local(entry), data)

    def begin(self, name: str, method: int, expected: int) -> _Entry:
        entry = _Entry(name.encode(), method, self.offset, expected > self.zip64_from)
        self.entries.append(entry)
        self._write(self._local(entry))
        return entry

    def part(self, data: bytes) -> None:
        self._write(data)

    def end(self, entry: _Entry, crc: int, size: int, csize: int) -> None:
        if not entry.zip64 and (size > _U32 or csize > _U32):
            raise StorageError(f"{entry.name.decode()}: larger than its size on record")
        entry.crc, entry.size, entry.csize = crc, size, csize
        os.pwrite(self.fd, self._local(entry), entry.offset)

    def data(self, name: str, data: bytes) -> str:
        """A small member (JSON, CSV), deflated; returns its SHA-256."""
        comp = zlib.compressobj(6, zlib.DEFLATED, -15)
        packed = comp.compress(data) + comp.flush()
        self.whole(name, zipfile.ZIP_DEFLATED, packed, zlib.crc32(data), len(data))
        return hashlib.sha256(data).hexdigest()

    def close(self) -> None:
        start = self.offset
        records: list[bytes] = []
        for e in self.entries:
            fields: list[int] = []
            usize, csize, offset = e.size, e.csize, e.offset
            if e.zip64 or e.size > _U32 or e.csize > _U32:
                fields += [e.size, e.csize]
                usize = csize = _U32
            if e.offset > _U32:
                fields.append(e.offset)
                offset = _U32
            extra = (
                struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields) if fields else b""
            )
            version = 45 if fields or e.zip64 else 20
            records.append(
                _CENTRAL.pack(
                    0x02014B50,
                    (3 << 8) | version,
                    version,
                    _UTF8,
                    e.method,
                    _DOS_TIME,
                    _DOS_DATE,
                    e.crc,
                    csize,
                    usize,
                    len(e.name),
                    len(extra),
                    0,
                    0,
                    0,
                    _EXTERNAL,
                    offset,
                )
                + e.name
                + extra
            )
            if len(records) >= 1024:
                self._write(b"".join(records))
                records.clear()
        self._write(b"".join(records))
        size = self.offset - start
        count = len(self.entries)
        tail = b""
        if count >= _U16 or size >= _U32 or start >= _U32:
            end64 = self.offset
            tail = struct.pack(
                "<IQHHIIQQQQ", 0x06064B50, 44, (3 << 8) | 45, 45, 0, 0, count, count, size, start
            ) + struct.pack("<IIQI", 0x07064B50, 0, end64, 1)
        tail += struct.pack(
            "<IHHHHIIH",
            0x06054B50,
            0,
            0,
            min(count, _U16),
            min(count, _U16),
            min(size, _U32),
            min(start, _U32),
            0,
        )
        self._write(tail)


# ----------------------------------------------------------------------------- export


class ExportReport:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.documents = 0
        self.entries = 0
        self.mails = 0
        self.invoices = 0
        self.bytes = 0
        self.members = 0
        #: originals checked against their content address while exported
        self.verified = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "documents": self.documents,
            "entries": self.entries,
            "mails": self.mails,
            "invoices": self.invoices,
            "bytes": self.bytes,
            "members": self.members,
            "verified": self.verified,
        }


@dataclass(frozen=True, slots=True)
class _Job:
    """One blob to copy into the archive: the member name, its content address."""

    name: str
    sha256: str
    deflate: bool
    expected: int
    document: bool


class _Reader:
    """The pipeline's reader thread: reads each job's blob in chunks, SHA-256 + CRC (and
    deflate) in the same pass, checks the content address, queues what to write."""

    def __init__(self, store: Any, jobs: list[_Job], depth: int) -> None:
        self.store = store
        self.jobs = jobs
        self.queue: queue.Queue[tuple[Any, ...] | None] = queue.Queue(depth)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="export-read", daemon=True)

    def __enter__(self) -> _Reader:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        while self.thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self.queue.get(timeout=0.05)
        self.thread.join()

    def _put(self, item: tuple[Any, ...] | None) -> None:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _run(self) -> None:
        try:
            for job in self.jobs:
                if self.stop.is_set():
                    return
                self._copy(job)
            self._put(None)
        except BaseException as exc:  # handed to the writer, which raises it
            self._put(("error", exc))

    def _small(self, job: _Job) -> bytes | None:
        """A local original of at most one chunk, read whole in one call (most are)."""
        path = getattr(self.store, "path", None)
        if job.deflate or not callable(path):
            return None
        try:
            fd = os.open(path(job.sha256), os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise NotFound(f"blob {job.sha256} is missing from {self.store.describe()}") from None
        try:
            size = os.fstat(fd).st_size
            if size > CHUNK:
                return None
            data = os.read(fd, size + 1)
        finally:
            os.close(fd)
        return data if len(data) <= size else None

    def _copy(self, job: _Job) -> None:
        data = self._small(job)
        if data is not None:
            if hashlib.sha256(data).hexdigest() != job.sha256:
                raise StorageError(
                    f"{job.name}: its stored original is damaged (run boekbox verify)"
                )
            self._put(("whole", job, zipfile.ZIP_STORED, data, zlib.crc32(data), len(data)))
            return
        digest = hashlib.sha256()
        crc = size = csize = 0
        comp = zlib.compressobj(1, zlib.DEFLATED, -15) if job.deflate else None
        method = zipfile.ZIP_DEFLATED if job.deflate else zipfile.ZIP_STORED
        held: bytes | None = None
        begun = False
        for block in read_chunks(self.store, job.sha256, CHUNK):
            digest.update(block)
            crc = zlib.crc32(block, crc)
            size += len(block)
            out = comp.compress(block) if comp is not None else block
            if not out:
                continue
            csize += len(out)
            if held is not None:
                if not begun:
                    self._put(("begin", job, method))
                    begun = True
                self._put(("part", held))
            held = out
            if self.stop.is_set():
                return
        if comp is not None:
            out = comp.flush()
            if out:
                csize += len(out)
                if held is not None:
                    if not begun:
                        self._put(("begin", job, method))
                        begun = True
                    self._put(("part", held))
                held = out
        if digest.hexdigest() != job.sha256:
            raise StorageError(f"{job.name}: its stored original is damaged (run boekbox verify)")
        if begun:
            assert held is not None
            self._put(("part", held))
            self._put(("end", job, crc, size, csize))
        else:
            self._put(("whole", job, method, held or b"", crc, size))


def export_dossier(
    tx: Callable[[], Any],
    store: Any,
    dossier_id: int,
    target: str | os.PathLike[str],
    *,
    crash_after: int | None = None,
) -> ExportReport:
    """Write the dossier's archive to ``target`` (replaced atomically when complete)."""
    target = Path(target)
    report = ExportReport(target)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        _write_archive(tx, store, dossier_id, _ZipOut(fd), report, crash_after)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, target)
        _fsync_dir(target.parent)
        report.bytes = target.stat().st_size
    except BaseException:
        if fd >= 0:
            os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    return report


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _json(value: Any) -> bytes:
    """Compact JSON in column order (the C encoder: a dossier has many thousand records)."""
    return json.dumps(value, ensure_ascii=False, default=_plain).encode()


def _write_archive(
    tx: Callable[[], Any],
    store: Any,
    dossier_id: int,
    out: _ZipOut,
    report: ExportReport,
    crash_after: int | None,
) -> None:
    with tx() as s:
        dossier = s.get(Dossier, dossier_id)
        if dossier is None:
            raise NotFound(f"unknown dossier: {dossier_id}")
        head = {
            "name": dossier.name,
            "vat_number": dossier.vat_number,
            "settings": dossier.settings or {},
            "legal_hold": bool(dossier.legal_hold),
            "accounts": _rows(
                s,
                Account,
                {"id", "dossier_id"},
                Account.dossier_id == dossier_id,
                order=[Account.number],
            ),
        }
        docs = _rows(s, Document, _DOC_SKIP, Document.dossier_id == dossier_id, order=[Document.id])
        mails = _rows(s, Mail, _MAIL_SKIP, Mail.dossier_id == dossier_id, order=[Mail.id])
        sales = _sales(s, dossier_id)
    files: dict[str, dict[str, Any]] = {}
    jobs: list[_Job] = []
    kept: dict[str, str] = {}  # content address -> member: each blob once
    for doc in docs:
        sha = doc["blob_sha256"]
        if sha in kept:  # a duplicate document: the same bytes, one member
            doc["member"] = kept[sha]
            continue
        doc["member"] = kept[sha] = (
            f"documents/{doc['id']}/{_safe_name(doc['filename'], 'original')}"
        )
        deflate = _deflates(doc["content_type"], doc["filename"])
        jobs.append(_Job(doc["member"], sha, deflate, int(doc["size"] or 0), True))
    for mail in mails:
        if mail["raw_sha256"] not in kept:
            mail["member"] = kept[mail["raw_sha256"]] = f"mails/{mail['id']}.eml"
            jobs.append(_Job(mail["member"], mail["raw_sha256"], True, 0, False))
    used: set[str] = set()
    for invoice in sales["invoices"]:
        stem = _safe_name(invoice["number"], f"draft-{invoice['id']}")
        if stem in used:  # two numbers alike once made safe for a file name
            stem = f"{stem}-{invoice['id']}"
        used.add(stem)
        for key, suffix, deflate in (("ubl_sha256", "xml", True), ("pdf_sha256", "pdf", False)):
            if invoice[key]:
                member = invoice[f"{suffix}_member"] = f"einvoices/{stem}.{suffix}"
                jobs.append(_Job(member, invoice[key], deflate, 0, False))
    report.documents = len(docs)
    report.mails = len(mails)
    report.invoices = len(sales["invoices"])
    # The records first, before the reader thread starts: that work is Python holding the
    # GIL, which would keep the reader waiting for it after every read and hash (convoy).
    for name, data in (
        ("dossier.json", _json(head)),
        ("documents.json", _json(docs)),
        ("mails.json", _json(mails)),
        ("sales.json", _json(sales)),
    ):
        files[name] = {"sha256": out.data(name, data), "size": len(data)}
    del docs, mails, sales
    _write_books(tx, dossier_id, out, files, report)
    n = max(1, min(_READERS, os.cpu_count() or 1, len(jobs)))
    with contextlib.ExitStack() as stack:
        # reader k takes jobs k, k + n, ...; the writer takes them back in order
        readers = [stack.enter_context(_Reader(store, jobs[k::n], _QUEUE // n)) for k in range(n)]
        _copy_blobs(readers, len(jobs), out, files, report, crash_after)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "dossier": head["name"],
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "files": files,
    }
    report.members = len(files) + 1
    out.data("manifest.json", _json(manifest))
    out.close()


def _copy_blobs(
    readers: list[_Reader],
    count: int,
    out: _ZipOut,
    files: dict[str, dict[str, Any]],
    report: ExportReport,
    crash_after: int | None,
) -> None:
    for i in range(count):
        reader = readers[i % len(readers)]
        current: _Entry | None = None
        while True:
            item = reader.queue.get()
            if item is None:
                raise StorageError("export: a reader ended early")
            kind = item[0]
            if kind == "error":
                raise item[1]
            if kind == "part":
                out.part(item[1])
                continue
            job: _Job = item[1]
            if kind != "end" and job.document and report.verified == crash_after:
                raise KeyboardInterrupt("export interrupted (test)")
            if kind == "begin":
                current = out.begin(job.name, item[2], job.expected)
                continue
            if kind == "whole":
                out.whole(job.name, item[2], item[3], item[4], item[5])
                size = item[5]
            else:  # end
                assert current is not None
                out.end(current, item[2], item[3], item[4])
                size = item[3]
            # the reader checked the bytes against the content address: that is the SHA-256
            files[job.name] = {"sha256": job.sha256, "size": size}
            report.verified += 1
            break


def _sales(s: Any, dossier_id: int) -> dict[str, Any]:
    invoices = _rows(
        s,
        SalesInvoice,
        _INVOICE_SKIP,
        SalesInvoice.dossier_id == dossier_id,
        order=[SalesInvoice.id],
    )
    lines: dict[int, list[dict[str, Any]]] = {}
    for line in _rows(
        s,
        SalesInvoiceLine,
        {"id"},
        SalesInvoiceLine.invoice_id.in_(
            select(SalesInvoice.id).where(SalesInvoice.dossier_id == dossier_id)
        ),
        order=[SalesInvoiceLine.invoice_id, SalesInvoiceLine.seq],
    ):
        lines.setdefault(line.pop("invoice_id"), []).append(line)
    for invoice in invoices:
        invoice["lines"] = lines.get(invoice["id"], [])
    return {
        "customers": _rows(
            s,
            Customer,
            {"dossier_id"},
            Customer.dossier_id == dossier_id,
            order=[Customer.id],
        ),
        "items": _rows(
            s,
            SalesItem,
            {"dossier_id"},
            SalesItem.dossier_id == dossier_id,
            order=[SalesItem.id],
        ),
        "sequences": _rows(
            s,
            InvoiceSequence,
            {"dossier_id"},
            InvoiceSequence.dossier_id == dossier_id,
            order=[InvoiceSequence.bookyear],
        ),
        "invoices": invoices,
    }


_JOURNAL_HEAD = [
    "bookyear",
    "number",
    "date",
    "period",
    "status",
    "seq",
    "account",
    "debit",
    "credit",
    "vat_code",
    "description",
    "document_id",
]


def _write_books(
    tx: Callable[[], Any],
    dossier_id: int,
    out: _ZipOut,
    files: dict[str, dict[str, Any]],
    report: ExportReport,
) -> None:
    def add(name: str, data: bytes) -> None:
        files[name] = {"sha256": out.data(name, data), "size": len(data)}

    with tx() as s:
        names = dict(
            s.execute(
                select(Account.number, Account.name_nl).where(Account.dossier_id == dossier_id)
            )
            .tuples()
            .all()
        )
        bookings = _rows(
            s,
            JournalEntry,
            {"dossier_id", "supplier_id", "booked_by"},
            JournalEntry.dossier_id == dossier_id,
            order=[JournalEntry.journal, JournalEntry.bookyear, JournalEntry.number],
        )
        lines: dict[int, list[dict[str, Any]]] = {}
        for line in _rows(
            s,
            JournalLine,
            {"id"},
            JournalLine.entry_id.in_(
                select(JournalEntry.id).where(JournalEntry.dossier_id == dossier_id)
            ),
            order=[JournalLine.entry_id, JournalLine.seq],
        ):
            lines.setdefault(line.pop("entry_id"), []).append(line)
    journals: dict[str, tuple[io.StringIO, Any]] = {}
    ledger: dict[str, list[tuple[str, str, int | None, str, str]]] = {}
    for entry in bookings:
        entry["lines"] = lines.get(entry.pop("id"), [])
        journal = entry["journal"]
        if journal not in journals:
            buf = io.StringIO()
            journals[journal] = (buf, csv.writer(buf))
            journals[journal][1].writerow(_JOURNAL_HEAD)
        writer = journals[journal][1]
        for line in entry["lines"]:
            writer.writerow(
                [
                    entry["bookyear"],
                    entry["number"],
                    entry["date"],
                    entry["period"],
                    entry["status"],
                    line["seq"],
                    line["account"],
                    line["debit"],
                    line["credit"],
                    line["vat_code"] or "",
                    line["description"],
                    entry["document_id"] or "",
                ]
            )
            if entry["status"] == "booked":
                ledger.setdefault(line["account"], []).append(
                    (entry["date"], journal, entry["number"], line["debit"], line["credit"])
                )
    report.entries = len(bookings)
    add("bookings.json", _json(bookings))
    for journal, (buf, _) in sorted(journals.items()):
        add(f"journals/{_safe_name(journal, 'journal')}.csv", buf.getvalue().encode())
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["account", "name", "date", "journal", "number", "debit", "credit", "balance"])
    for account in sorted(ledger):
        balance = Decimal("0")
        for day, journal, number, debit, credit in sorted(
            ledger[account], key=lambda r: (r[0], r[2] or 0)
        ):
            balance += Decimal(debit) - Decimal(credit)
            writer.writerow(
                [account, names.get(account, ""), day, journal, number, debit, credit, balance]
            )
    add("ledger.csv", buf.getvalue().encode())


# ----------------------------------------------------------------------------- import


def _read_member(zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    with zf.open(name) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ArchiveRefused(f"{name} is larger than {limit} bytes")
    return data


def _check(zf: zipfile.ZipFile) -> dict[str, Any]:
    """The manifest, once every member matches it (refuses a tampered archive)."""
    names = zf.namelist()
    if len(names) > MAX_MEMBERS:
        raise ArchiveRefused("too many members")
    if "manifest.json" not in names:
        raise ArchiveRefused("not a boekbox dossier archive (no manifest.json)")
    try:
        manifest = json.loads(_read_member(zf, "manifest.json", MAX_JSON_BYTES))
    except ValueError as exc:
        raise ArchiveRefused(f"manifest.json is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveRefused("not a boekbox dossier archive (wrong format)")
    if manifest.get("version") != VERSION:
        raise ArchiveRefused(f"unsupported archive version {manifest.get('version')!r}")
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, dict) for v in files.values()):
        raise ArchiveRefused("manifest.json lists no files")
    present = set(names) - {"manifest.json"}
    if len(names) != len(set(names)):
        raise ArchiveRefused("the archive holds a member twice")
    if present != set(files):
        extra = sorted(present - set(files))[:3]
        gone = sorted(set(files) - present)[:3]
        raise ArchiveRefused(f"members differ from the manifest (extra {extra}, missing {gone})")
    for name in sorted(files):
        want = files[name]
        try:
            size = int(want.get("size", -1))
        except (TypeError, ValueError):
            size = -1
        digest = hashlib.sha256()
        got = 0
        with zf.open(name) as fh:
            while block := fh.read(CHUNK):
                got += len(block)
                if got > size:
                    break
                digest.update(block)
        if got != size or digest.hexdigest() != want.get("sha256"):
            raise ArchiveRefused(f"{name} does not match its SHA-256 in the manifest (tampered)")
    return manifest


def _load(zf: zipfile.ZipFile, name: str, kind: type, *, optional: bool = False) -> Any:
    if optional and name not in zf.namelist():
        return [] if kind is list else {}
    try:
        value = json.loads(_read_member(zf, name, MAX_JSON_BYTES))
    except (KeyError, ValueError) as exc:
        raise ArchiveRefused(f"{name} is missing or not valid JSON: {exc}") from None
    if not isinstance(value, kind) or (
        isinstance(value, list) and not all(isinstance(item, dict) for item in value)
    ):
        raise ArchiveRefused(f"{name} does not hold a {kind.__name__} of records")
    return value


@dataclass(slots=True)
class _Contents:
    head: dict[str, Any]
    docs: list[dict[str, Any]]
    mails: list[dict[str, Any]]
    bookings: list[dict[str, Any]]
    sales: dict[str, Any]
    #: content address -> the member holding its bytes
    blobs: dict[str, str]


def _contents(zf: zipfile.ZipFile, files: dict[str, Any]) -> _Contents:
    """The archive's records, once they agree with each other and with the manifest."""
    c = _Contents(
        head=_load(zf, "dossier.json", dict),
        docs=_load(zf, "documents.json", list),
        mails=_load(zf, "mails.json", list, optional=True),
        bookings=_load(zf, "bookings.json", list),
        sales=_load(zf, "sales.json", dict, optional=True),
        blobs={},
    )

    def blob(member: Any, sha: Any, what: str) -> None:
        if member not in files or files[member].get("sha256") != sha:
            raise ArchiveRefused(f"{what}: its file does not match")
        c.blobs[str(sha)] = str(member)

    for doc in c.docs:
        blob(doc.get("member"), doc.get("blob_sha256"), f"document {doc.get('id')}")
    for mail in c.mails:
        if mail.get("member") is not None:
            blob(mail["member"], mail.get("raw_sha256"), f"mail {mail.get('id')}")
        elif mail.get("raw_sha256") not in c.blobs:
            raise ArchiveRefused(f"mail {mail.get('id')}: its raw message is missing")
    doc_ids = {doc.get("id") for doc in c.docs} | {None}
    mail_ids = {mail.get("id") for mail in c.mails} | {None}
    if any(doc.get("mail_id") not in mail_ids for doc in c.docs):
        raise ArchiveRefused("a document comes from a mail missing from the archive")
    if any(b.get("document_id") not in doc_ids for b in c.bookings):
        raise ArchiveRefused("a booking links to a document missing from the archive")
    for key in ("customers", "items", "sequences", "invoices"):
        records = c.sales.setdefault(key, [])
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ArchiveRefused(f"sales.json: {key} is not a list of records")
    customers = {r.get("id") for r in c.sales["customers"]} | {None}
    items = {r.get("id") for r in c.sales["items"]} | {None}
    invoices = {r.get("id") for r in c.sales["invoices"]} | {None}
    for inv in c.sales["invoices"]:
        what = f"sales invoice {inv.get('number') or inv.get('id')}"
        if inv.get("customer_id") not in customers or inv.get("credits_id") not in invoices:
            raise ArchiveRefused(f"{what}: links to a record missing from the archive")
        if inv.get("document_id") not in doc_ids:
            raise ArchiveRefused(f"{what}: links to a document missing from the archive")
        for key, suffix in (("ubl_sha256", "xml"), ("pdf_sha256", "pdf")):
            if inv.get(key):
                blob(inv.get(f"{suffix}_member"), inv[key], what)
        lines = inv.get("lines") or []
        if not isinstance(lines, list) or any(
            not isinstance(ln, dict) or ln.get("item_id") not in items for ln in lines
        ):
            raise ArchiveRefused(f"{what}: its lines do not match the archive")
    return c


def import_dossier(
    tx: Callable[[], Any],
    store: Any,
    source: str | os.PathLike[str] | IO[bytes],
    *,
    mailbox: str,
) -> tuple[int, dict[str, int]]:
    """Create a dossier from an archive; ``(dossier id, counts)``.

    Every member is verified before anything is written (:class:`ArchiveRefused`); the
    rows are then written in one transaction (all or nothing).
    """
    from sqlalchemy.exc import IntegrityError

    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveRefused(f"not a ZIP archive: {exc}") from None
    with zf:
        files = _check(zf)["files"]
        contents = _contents(zf, files)
        refs = []
        for sha, member in sorted(contents.blobs.items()):
            ref = store.put(_read_member(zf, member, MAX_DOCUMENT_BYTES))
            if ref.sha256 != sha:
                raise ArchiveRefused(f"{member}: stored bytes differ")
            refs.append(ref)
    try:
        with tx() as s:
            dossier_id = _restore(s, contents, refs, mailbox)
    except (KeyError, TypeError, ValueError, IntegrityError) as exc:
        raise ArchiveRefused(f"the archive's records do not fit together: {exc}") from None
    return dossier_id, {
        "documents": len(contents.docs),
        "entries": len(contents.bookings),
        "mails": len(contents.mails),
        "invoices": len(contents.sales["invoices"]),
    }


def _restore(s: Any, c: _Contents, refs: list[Any], mailbox: str) -> int:
    from storage.mailstore import register_blobs

    head = c.head
    dossier = Dossier(
        name=str(head["name"]),
        mailbox=mailbox.lower(),
        vat_number=head.get("vat_number"),
        settings=dict(head.get("settings") or {}),
        legal_hold=bool(head.get("legal_hold")),
        enabled=True,
        allowed_senders=[],
        used_bytes=0,
        document_count=len(c.docs),
        free_bytes=1_000_000_000,
    )
    s.add(dossier)
    s.flush()
    did = dossier.id
    s.add_all(
        Account(dossier_id=did, **_unplain(Account, a, {"id", "dossier_id"}))
        for a in head.get("accounts") or []
    )
    register_blobs(s, [(did, ref) for ref in refs])

    def added(records: list[dict[str, Any]], make: Callable[..., Any]) -> dict[Any, Any]:
        rows = {r["id"]: make(r) for r in records}
        s.add_all(rows.values())
        s.flush()
        return {old: row.id for old, row in rows.items()}

    mails = added(c.mails, lambda m: Mail(dossier_id=did, **_unplain(Mail, m, {"id", *_MAIL_SKIP})))
    skip = {"id", "parent_id", "duplicate_of_id", "mail_id", *_DOC_SKIP}
    docs: dict[Any, Document] = {}
    for d in c.docs:
        docs[d["id"]] = Document(
            dossier_id=did, mail_id=mails.get(d.get("mail_id")), **_unplain(Document, d, skip)
        )
    s.add_all(docs.values())
    s.flush()
    ids = {old: row.id for old, row in docs.items()}
    for d in c.docs:
        if d.get("parent_id") is not None or d.get("duplicate_of_id") is not None:
            docs[d["id"]].parent_id = ids.get(d.get("parent_id"))
            docs[d["id"]].duplicate_of_id = ids.get(d.get("duplicate_of_id"))
    for booking in c.bookings:
        link = booking.get("document_id")
        s.add(
            JournalEntry(
                dossier_id=did,
                document_id=ids.get(link) if link is not None else None,
                lines=[
                    JournalLine(**_unplain(JournalLine, line, _LINE_SKIP))
                    for line in booking.get("lines") or []
                ],
                **_unplain(JournalEntry, booking, _ENTRY_SKIP),
            )
        )
    _restore_sales(s, did, c.sales, ids)
    s.flush()
    return int(did)


def _restore_sales(s: Any, did: int, sales: dict[str, Any], docs: dict[Any, int]) -> None:
    def added(records: list[dict[str, Any]], make: Callable[..., Any]) -> dict[Any, Any]:
        rows = {r["id"]: make(r) for r in records}
        s.add_all(rows.values())
        s.flush()
        return rows

    customers = added(
        sales["customers"],
        lambda r: Customer(dossier_id=did, **_unplain(Customer, r, {"id", "dossier_id"})),
    )
    items = added(
        sales["items"],
        lambda r: SalesItem(dossier_id=did, **_unplain(SalesItem, r, {"id", "dossier_id"})),
    )
    s.add_all(
        InvoiceSequence(dossier_id=did, **_unplain(InvoiceSequence, r, {"dossier_id"}))
        for r in sales["sequences"]
    )
    links = {"id", "customer_id", "credits_id", "document_id", *_INVOICE_SKIP}
    invoices = added(
        sales["invoices"],
        lambda r: SalesInvoice(
            dossier_id=did,
            customer_id=customers[r["customer_id"]].id if r.get("customer_id") else None,
            document_id=docs.get(r.get("document_id")),
            **_unplain(SalesInvoice, r, links),
        ),
    )
    for r in sales["invoices"]:
        row = invoices[r["id"]]
        if r.get("credits_id") is not None:
            row.credits_id = invoices[r["credits_id"]].id
        s.add_all(
            SalesInvoiceLine(
                invoice_id=row.id,
                item_id=items[line["item_id"]].id if line.get("item_id") else None,
                **_unplain(SalesInvoiceLine, line, {"id", "invoice_id", "item_id"}),
            )
            for line in r.get("lines") or []
        )
