"""Content-addressed blob stores.

A blob is named by the SHA-256 of its bytes.  Writers never expose a
partial blob, and writing the same content twice is a no-op.

The local store makes blobs durable in groups: :meth:`LocalBlobStore.put_many`
writes every new blob to a temp file, flushes them all with ONE ``syncfs`` of
the blob file system, renames them into place, and flushes once more for the
names, so a batch of mails costs two flushes however many mails it holds (the
SMTP server's group commit).  Where ``syncfs`` is missing (not Linux) each
temp file and each directory is fsynced instead.  The S3 store
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
from collections.abc import Callable, Sequence
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


@dataclass(slots=True)
class _Staged:
    index: int
    tmp: str
    final: str


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
        results: list[BlobRef | StorageError] = []
        staged: list[_Staged] = []
        pending: set[str] = set()
        for data in datas:
            ref = BlobRef(sha256_hex(data), len(data))
            results.append(ref)
            final = f"{self.root}/{ref.sha256[:2]}/{ref.sha256[2:4]}/{ref.sha256}"
            if final in pending or _has_size(final, ref.size):
                continue
            try:
                staged.append(_Staged(len(results) - 1, self._write_tmp(data), final))
            except OSError as exc:
                results[-1] = _storage_error(exc, self.root)
                continue
            pending.add(final)
        if staged:
            try:
                self._publish(staged)
            except OSError as exc:
                error = _storage_error(exc, self.root)
                for item in staged:
                    results[item.index] = error
                    _unlink_quietly(item.tmp)
        return results

    # -- writing ------------------------------------------------------------------------
    def _write_tmp(self, data: bytes) -> str:
        tmp = f"{self._tmp}/{self._token}-{next(self._names)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if self._syncfs is None:
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            _unlink_quietly(tmp)
            raise
        os.close(fd)
        return tmp

    def _publish(self, staged: list[_Staged]) -> None:
        """Temp files durable, renamed into place, names durable."""
        self._flush_all()
        parents: set[str] = set()
        for item in staged:
            parent = os.path.dirname(item.final)
            self._ensure_dir(parent)
            os.replace(item.tmp, item.final)
            parents.add(parent)
        if self._syncfs is not None:
            self._flush_all()
        else:
            for parent in sorted(parents):
                _fsync_path(parent)

    def _flush_all(self) -> None:
        if self._syncfs is None:
            return  # every temp file was fsynced as it was written
        fd = os.open(self.root, os.O_RDONLY | os.O_CLOEXEC)
        try:
            if self._syncfs(fd) != 0:
                code = ctypes.get_errno()
                raise OSError(code, f"syncfs: {os.strerror(code)}")
        finally:
            os.close(fd)

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


def _has_size(path: str, size: int) -> bool:
    try:
        return os.stat(path).st_size == size
    except OSError:
        return False


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
