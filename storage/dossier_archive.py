"""Export and import of a whole dossier as one ZIP archive.

The archive holds::

    dossier.json                 name, VAT number, settings, chart of accounts
    documents.json               every document's metadata (id, file, links, dates)
    documents/<id>/<file name>   every original document, byte for byte
    einvoices/<number>.xml       the e-invoice XML of every issued sales invoice
    bookings.json                every entry with its lines and its document link
    journals/<journal>.csv       the journals
    ledger.csv                   the general ledger (per account, running balance)
    manifest.json                SHA-256 and size of every other member (written last)

Export streams: each original is copied from the blob store in chunks (never a whole
dossier in memory) into a temp file next to the target, which is fsynced and renamed
only when complete, so an interrupted export leaves no partial archive under the final
name.  Import first re-hashes every member against the manifest (and every original
against its content address) and refuses a tampered archive before writing anything.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import secrets
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select

from storage.errors import NotFound, StorageError
from storage.integrity import read_chunks
from storage.models import (
    Account,
    Document,
    Dossier,
    JournalEntry,
    JournalLine,
    SalesInvoice,
)

__all__ = ["ArchiveRefused", "ExportReport", "export_dossier", "import_dossier"]

FORMAT = "boekbox-dossier-archive"
VERSION = 1
CHUNK = 1 << 20
#: chunks read but not hashed yet (memory bound: this many chunks at most)
_IN_FLIGHT = 16
MAX_MEMBERS = 2_000_000
MAX_JSON_BYTES = 512 * 1024 * 1024
MAX_DOCUMENT_BYTES = 1 << 30

#: columns never exported (ids of rows outside the archive)
_DOC_SKIP = {"dossier_id", "mail_id", "timings"}
_ENTRY_SKIP = {"id", "dossier_id", "document_id", "supplier_id", "booked_by", "lines"}
_LINE_SKIP = {"id", "entry_id"}


class ArchiveRefused(StorageError):
    """An archive that is not a complete, untampered boekbox dossier archive."""


# ----------------------------------------------------------------------------- rows <-> JSON


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(obj: Any, skip: set[str]) -> dict[str, Any]:
    return {
        c.key: _plain(getattr(obj, c.key))
        for c in obj.__table__.columns
        if c.key not in skip and hasattr(obj, c.key)
    }


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


# ----------------------------------------------------------------------------- export


class ExportReport:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.documents = 0
        self.entries = 0
        self.bytes = 0
        self.members = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "documents": self.documents,
            "entries": self.entries,
            "bytes": self.bytes,
            "members": self.members,
        }


class _Writer:
    def __init__(self, zf: zipfile.ZipFile, hasher: ThreadPoolExecutor) -> None:
        self.zf = zf
        self.hasher = hasher
        self.files: dict[str, dict[str, Any]] = {}
        self.damaged: list[str] = []
        self._pending: list[Future[None]] = []

    def stream(
        self,
        name: str,
        chunks: Iterator[bytes],
        *,
        large: bool,
        deflate: bool,
        expect: str | None = None,
    ) -> None:
        """Copy ``chunks`` into a member.  Its SHA-256 is computed on the helper thread
        (hashlib releases the GIL) while this thread CRCs and writes the next chunks and
        members; at most :data:`_IN_FLIGHT` chunks wait to be hashed.  With ``expect``
        (the content address) a mismatch fails the export in :meth:`finish`."""
        info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        digest = hashlib.sha256()
        size = 0
        with self.zf.open(info, "w", force_zip64=large) as dst:
            for block in chunks:
                self._submit(digest.update, block)
                size += len(block)
                dst.write(block)
        self.files[name] = {"sha256": None, "size": size}
        self._submit(self._done, name, digest, expect)

    def _submit(self, fn: Callable[..., Any], *args: Any) -> None:
        while len(self._pending) >= _IN_FLIGHT:
            self._pending.pop(0).result()
        self._pending.append(self.hasher.submit(fn, *args))

    def _done(self, name: str, digest: Any, expect: str | None) -> None:
        sha = digest.hexdigest()
        self.files[name]["sha256"] = sha
        if expect is not None and sha != expect:
            self.damaged.append(name)

    def finish(self) -> None:
        """Wait for every hash; refuse the export if an original was damaged."""
        for pending in self._pending:
            pending.result()
        self._pending.clear()
        if self.damaged:
            raise StorageError(
                f"{self.damaged[0]}: its stored original is damaged (run boekbox verify)"
            )

    def data(self, name: str, data: bytes) -> None:
        self.stream(name, iter([data]), large=False, deflate=True)


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
    fh = open(tmp, "wb")  # noqa: SIM115 - closed in the finally
    try:
        with (
            zipfile.ZipFile(fh, "w", allowZip64=True) as zf,
            ThreadPoolExecutor(1, thread_name_prefix="export-hash") as hasher,
        ):
            _write_archive(tx, store, dossier_id, _Writer(zf, hasher), report, crash_after)
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()
        os.replace(tmp, target)
        _fsync_dir(target.parent)
        report.bytes = target.stat().st_size
    except BaseException:
        fh.close()
        tmp.unlink(missing_ok=True)
        raise
    return report


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_archive(
    tx: Callable[[], Any],
    store: Any,
    dossier_id: int,
    out: _Writer,
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
            "accounts": [
                _row(a, {"id", "dossier_id"})
                for a in s.scalars(
                    select(Account).where(Account.dossier_id == dossier_id).order_by(Account.number)
                )
            ],
        }
        docs = [
            _row(d, _DOC_SKIP)
            for d in s.scalars(
                select(Document).where(Document.dossier_id == dossier_id).order_by(Document.id)
            )
        ]
        einvoices = list(
            s.execute(
                select(SalesInvoice.number, SalesInvoice.ubl_sha256).where(
                    SalesInvoice.dossier_id == dossier_id, SalesInvoice.ubl_sha256.is_not(None)
                )
            )
        )
    out.data("dossier.json", _json(head))
    for i, doc in enumerate(docs):
        if crash_after is not None and i == crash_after:
            raise KeyboardInterrupt("export interrupted (test)")
        name = f"documents/{doc['id']}/{_safe_name(doc['filename'], 'original')}"
        out.stream(
            name,
            read_chunks(store, doc["blob_sha256"], CHUNK),
            large=int(doc["size"] or 0) > (1 << 30),
            deflate=False,
            expect=doc["blob_sha256"],
        )
        doc["member"] = name
        report.documents += 1
    out.data("documents.json", _json(docs))
    for number, sha in einvoices:
        out.stream(
            f"einvoices/{_safe_name(number, sha[:12])}.xml",
            read_chunks(store, sha),
            large=False,
            deflate=True,
        )
    _write_books(tx, dossier_id, out, report)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "dossier": head["name"],
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "files": out.files,
    }
    report.members = len(out.files) + 1
    out.finish()
    out.data("manifest.json", _json(manifest))
    out.finish()


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).encode()


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
    tx: Callable[[], Any], dossier_id: int, out: _Writer, report: ExportReport
) -> None:
    bookings: list[dict[str, Any]] = []
    journals: dict[str, io.StringIO] = {}
    ledger: dict[str, list[tuple[Any, ...]]] = {}
    with tx() as s:
        names = {
            a.number: a.name_nl
            for a in s.scalars(select(Account).where(Account.dossier_id == dossier_id))
        }
        for entry in s.scalars(
            select(JournalEntry)
            .where(JournalEntry.dossier_id == dossier_id)
            .order_by(JournalEntry.journal, JournalEntry.bookyear, JournalEntry.number)
        ):
            data = _row(entry, _ENTRY_SKIP)
            data["document_id"] = entry.document_id
            data["lines"] = [_row(line, _LINE_SKIP) for line in entry.lines]
            bookings.append(data)
            buf = journals.get(entry.journal)
            if buf is None:
                buf = journals[entry.journal] = io.StringIO()
                csv.writer(buf).writerow(_JOURNAL_HEAD)
            writer = csv.writer(buf)
            for line in entry.lines:
                writer.writerow(
                    [
                        entry.bookyear,
                        entry.number,
                        entry.date.isoformat(),
                        entry.period,
                        entry.status,
                        line.seq,
                        line.account,
                        line.debit,
                        line.credit,
                        line.vat_code or "",
                        line.description,
                        entry.document_id or "",
                    ]
                )
                if entry.status == "booked":
                    ledger.setdefault(line.account, []).append(
                        (entry.date, entry.journal, entry.number, line)
                    )
    report.entries = len(bookings)
    out.data("bookings.json", _json(bookings))
    for journal, buf in sorted(journals.items()):
        out.data(f"journals/{_safe_name(journal, 'journal')}.csv", buf.getvalue().encode())
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["account", "name", "date", "journal", "number", "debit", "credit", "balance"])
    for account in sorted(ledger):
        balance = Decimal("0")
        for day, journal, number, line in sorted(ledger[account], key=lambda r: (r[0], r[2] or 0)):
            balance += Decimal(line.debit) - Decimal(line.credit)
            writer.writerow(
                [
                    account,
                    names.get(account, ""),
                    day.isoformat(),
                    journal,
                    number,
                    line.debit,
                    line.credit,
                    balance,
                ]
            )
    out.data("ledger.csv", buf.getvalue().encode())


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
    if not isinstance(files, dict):
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
        size = int(want.get("size", -1))
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


def import_dossier(
    tx: Callable[[], Any],
    store: Any,
    source: str | os.PathLike[str] | IO[bytes],
    *,
    mailbox: str,
) -> tuple[int, dict[str, int]]:
    """Create a dossier from an archive; ``(dossier id, counts)``.

    Every member is verified before anything is written (:class:`ArchiveRefused`).
    """
    from storage.mailstore import register_blobs

    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveRefused(f"not a ZIP archive: {exc}") from None
    with zf:
        manifest = _check(zf)
        files = manifest["files"]
        head = json.loads(_read_member(zf, "dossier.json", MAX_JSON_BYTES))
        docs = json.loads(_read_member(zf, "documents.json", MAX_JSON_BYTES))
        bookings = json.loads(_read_member(zf, "bookings.json", MAX_JSON_BYTES))
        for doc in docs:
            member = doc.get("member")
            if member not in files or files[member]["sha256"] != doc.get("blob_sha256"):
                raise ArchiveRefused(f"document {doc.get('id')}: its file does not match")
        known = {doc.get("id") for doc in docs}
        for booking in bookings:
            if booking.get("document_id") not in known | {None}:
                raise ArchiveRefused("a booking links to a document missing from the archive")
        with tx() as s:
            dossier = Dossier(
                name=str(head["name"]),
                mailbox=mailbox.lower(),
                vat_number=head.get("vat_number"),
                settings=dict(head.get("settings") or {}),
                legal_hold=bool(head.get("legal_hold")),
                enabled=True,
                allowed_senders=[],
                used_bytes=0,
                document_count=0,
                free_bytes=1_000_000_000,
            )
            s.add(dossier)
            s.flush()
            dossier_id = dossier.id
            for account in head.get("accounts") or []:
                s.add(Account(dossier_id=dossier_id, **_unplain(Account, account, {"id"})))
        ids: dict[int, int] = {}
        for doc in docs:
            data = _read_member(zf, doc["member"], MAX_DOCUMENT_BYTES)
            ref = store.put(data)
            if ref.sha256 != doc["blob_sha256"]:
                raise ArchiveRefused(f"document {doc['id']}: stored bytes differ")
            with tx() as s:
                register_blobs(s, [(dossier_id, ref)])
                fields = _unplain(Document, doc, {"id", "parent_id", "duplicate_of_id", *_DOC_SKIP})
                row = Document(dossier_id=dossier_id, **fields)
                s.add(row)
                s.flush()
                ids[int(doc["id"])] = row.id
        with tx() as s:
            for doc in docs:
                row = s.get(Document, ids[int(doc["id"])])
                assert row is not None
                row.parent_id = ids.get(doc.get("parent_id") or -1)
                row.duplicate_of_id = ids.get(doc.get("duplicate_of_id") or -1)
            imported = s.get(Dossier, dossier_id)
            assert imported is not None
            imported.document_count = len(docs)
            for booking in bookings:
                lines = [
                    JournalLine(**_unplain(JournalLine, line, _LINE_SKIP))
                    for line in booking.get("lines") or []
                ]
                link = booking.get("document_id")
                s.add(
                    JournalEntry(
                        dossier_id=dossier_id,
                        document_id=ids.get(link) if link is not None else None,
                        lines=lines,
                        **_unplain(JournalEntry, booking, _ENTRY_SKIP),
                    )
                )
    return dossier_id, {"documents": len(docs), "entries": len(bookings)}
