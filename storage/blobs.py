"""Content-addressed blob stores.

A blob is named by the SHA-256 of its bytes.  Writers never expose a
partial blob, and writing the same content twice is a no-op.

The local store makes blobs durable in groups: :meth:`LocalBlobStore.put_many`
writes every new blob to a temp file, renames it into place, and then flushes
them all with ONE ``syncfs`` of the blob file system, so a batch of mails costs
one flush however many mails it holds (the SMTP server's group commit).  A
blob is only referenced by a database row committed after that flush, and an
existing blob file is trusted only after a byte-for-byte comparison, so a
crash between rename and flush cannot leave a referenced blob torn.  Where
``syncfs`` is missing (not Linux) each temp file is fsynced before its rename
and each directory after it.  The S3 store
(``storage.s3``) relies on the atomicity of a single PUT and sends a batch
concurrently.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import itertools
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from storage.errors import NotFound, StorageError, StorageFull, StorageUnavailable

__all__ = [
    "BlobRef",
    "BlobStore",
    "LocalBlobStore",
    "open_blob_store",
    "put_one",
    "sha256_hex",
]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class BlobRef:
    sha256: str
    size: int


@runtime_checkable
class BlobStore(Protocol):
    """What every blob store offers."""

    def put(self, data: bytes) -> BlobRef:
        """Store ``data`` durably; return its address.  Idempotent."""
        ...

    def put_many(self, datas: Sequence[bytes]) -> list[BlobRef | StorageError]:
        """Store several blobs durably; per blob its address or why it failed."""
        ...

    def get(self, sha256: str) -> bytes:
        """The bytes of a stored blob, or :class:`NotFound`."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def describe(self) -> str: ...


def put_one(results: list[BlobRef | StorageError]) -> BlobRef:
    """The single result of ``put_many([data])``, raising its error."""
    (result,) = results
    if isinstance(result, StorageError):
        raise result
    return result


def _check_sha(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise NotFound(f"not a blob address: {sha256!r}")
    return sha256


def _load_syncfs() -> Callable[[int], int] | None:
    try:
        fn = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


_SYNCFS = _load_syncfs()


def _storage_error(exc: OSError, root: Path) -> StorageError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageFull(f"no space left for blobs in {root}")
    return StorageUnavailable(f"cannot write blob to {root}: {exc}")


class LocalBlobStore:
    """Blobs as files under ``root/ab/cd/<sha256>``."""

    def __init__(self, root: str | os.PathLike[str], *, group_sync: bool = True) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._tmp = self.root / "tmp"
        self._tmp.mkdir(exist_ok=True)
        self._syncfs = _SYNCFS if group_sync else None
        self._names = itertools.count()
        self._token = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._dirs: set[str] = set()

    def describe(self) -> str:
        return f"local:{self.root}"

    def path(self, sha256: str) -> Path:
        sha256 = _check_sha(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def get(self, sha256: str) -> bytes:
        try:
            return self.path(sha256).read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(f"blob {sha256} is missing from {self.root}") from exc

    def put(self, data: bytes) -> BlobRef:
        return put_one(self.put_many([data]))

    def put_many(self, datas: Sequence[bytes]) -> list[BlobRef | StorageError]:
        if not datas:
            return []
        results: list[BlobRef | StorageError] = []
        written: list[tuple[int, str]] = []
        seen: set[str] = set()
        for data in datas:
            ref = BlobRef(sha256_hex(data), len(data))
            results.append(ref)
            final = f"{self.root}/{ref.sha256[:2]}/{ref.sha256[2:4]}/{ref.sha256}"
            if final in seen:
                continue
            seen.add(final)
            try:
                if not self._intact(final, data):
                    self._write(final, data)
                    written.append((len(results) - 1, final))
            except OSError as exc:
                results[-1] = _storage_error(exc, self.root)
        try:
            self._flush(final for _, final in written)
        except OSError as exc:
            error = _storage_error(exc, self.root)
            results = [error for _ in results]
        return results

    # -- writing ------------------------------------------------------------------------
    def _intact(self, final: str, data: bytes) -> bool:
        """True when ``final`` already holds exactly ``data``.

        Compared byte for byte, not trusted by name: a crash may leave a blob
        renamed into place whose data never reached the disk (no database row
        refers to it, since rows are committed only after the flush), and the
        next put of the same content must repair it.
        """
        try:
            if os.stat(final).st_size != len(data):
                return False
            with open(final, "rb") as fh:
                same = fh.read() == data
            if same:
                # reused: its age restarts, so the garbage collector (which renames a
                # blob away before it re-checks the age) never takes it from under a
                # row about to be committed; gone meanwhile -> written again
                os.utime(final)
        except FileNotFoundError:
            return False
        if same and self._syncfs is None:
            _fsync_path(final)  # it may have been written by someone who has not synced yet
        return same

    def _write(self, final: str, data: bytes) -> None:
        """Write a temp file and rename it into place (durable only after :meth:`_flush`)."""
        tmp = f"{self._tmp}/{self._token}-{next(self._names)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                if self._syncfs is None:
                    os.fsync(fd)
            finally:
                os.close(fd)
            self._ensure_dir(os.path.dirname(final))
            os.replace(tmp, final)
        except BaseException:
            _unlink_quietly(tmp)
            raise

    def _flush(self, finals: Iterable[str]) -> None:
        """Make everything written so far durable: ONE ``syncfs`` of the blob file
        system (which also covers blobs another writer put there and we reused), or,
        without ``syncfs``, an fsync of each new name's directory."""
        if self._syncfs is None:
            for parent in sorted({os.path.dirname(f) for f in finals}):
                _fsync_path(parent)
            return
        fd = os.open(self.root, os.O_RDONLY | os.O_CLOEXEC)
        try:
            if self._syncfs(fd) != 0:
                code = ctypes.get_errno()
                raise OSError(code, f"syncfs: {os.strerror(code)}")
        finally:
            os.close(fd)

    # -- garbage collection (storage.blobgc) --------------------------------------------
    #: a local blob's age restarts at every put, so any grace period is safe
    min_gc_grace_seconds = 0.0

    def iter_blobs(self) -> Iterator[tuple[str, float]]:
        """Every stored blob as ``(sha256, mtime)``; the mtime restarts at each put."""
        for outer in _subdirs(self.root):
            for inner in _subdirs(outer):
                with os.scandir(inner) as entries:
                    for entry in entries:
                        if _is_sha(entry.name):
                            with contextlib.suppress(FileNotFoundError):
                                yield entry.name, entry.stat(follow_symlinks=False).st_mtime

    def delete_if_older(self, sha256: str, cutoff: float) -> int | None:
        """Delete the blob if it was last put before ``cutoff``; its size, or None.

        The blob is first renamed away (atomic), then its age is checked again on
        the renamed file: a put that reused it in the meantime refreshed its mtime
        (then it is put back), or found it gone (then it wrote it again).
        """
        final = str(self.path(sha256))
        trash = f"{self._tmp}/gc-{self._token}-{next(self._names)}"
        try:
            os.rename(final, trash)
        except FileNotFoundError:
            return None
        stat = os.stat(trash)
        if stat.st_mtime >= cutoff:
            with contextlib.suppress(FileExistsError):
                os.link(trash, final)  # no clobber: a writer may have put it back already
            os.unlink(trash)
            return None
        os.unlink(trash)
        return int(stat.st_size)

    def delete_stale_temp_files(self, cutoff: float) -> int:
        """Temp files of writers that died before their rename (older than ``cutoff``)."""
        removed = 0
        with os.scandir(self._tmp) as entries:
            for entry in entries:
                try:
                    if entry.is_file() and entry.stat().st_mtime < cutoff:
                        os.unlink(entry.path)
                        removed += 1
                except FileNotFoundError:
                    continue
        return removed

    def _ensure_dir(self, path: str) -> None:
        if path in self._dirs:
            return
        outer = os.path.dirname(path)
        for directory in (outer, path):
            try:
                os.mkdir(directory)
            except FileExistsError:
                continue
            if self._syncfs is None:  # a new directory entry must be durable too
                _fsync_path(os.path.dirname(directory))
        self._dirs.add(path)


def _is_sha(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


def _subdirs(path: Path | str) -> list[str]:
    with os.scandir(path) as entries:
        return sorted(
            e.path
            for e in entries
            if len(e.name) == 2
            and all(c in "0123456789abcdef" for c in e.name)
            and e.is_dir(follow_symlinks=False)
        )


def _unlink_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _fsync_path(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_blob_store(
    spec: str,
    *,
    s3_endpoint_url: str | None = None,
    s3_access_key: str | None = None,
    s3_secret_key: str | None = None,
) -> BlobStore:
    """A blob store from a spec: a directory path, or ``s3://bucket[/prefix]``."""
    if spec.startswith("s3://"):
        from storage.s3 import S3BlobStore

        bucket, _, prefix = spec[5:].partition("/")
        return S3BlobStore(
            bucket,
            prefix=prefix,
            endpoint_url=s3_endpoint_url,
            access_key=s3_access_key,
            secret_key=s3_secret_key,
        )
    return LocalBlobStore(spec)
