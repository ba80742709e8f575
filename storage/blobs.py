"""Content-addressed blob stores.

A blob is named by the SHA-256 of its bytes.  Writers never expose a
partial blob: the local store writes a temp file, fsyncs it, renames it into
place and fsyncs the directory; the S3 store (``storage.s3``) relies on the
atomicity of a single PUT.  Writing the same content twice is a no-op.
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from storage.errors import NotFound, StorageFull, StorageUnavailable

__all__ = ["BlobRef", "BlobStore", "LocalBlobStore", "open_blob_store", "sha256_hex"]


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

    def get(self, sha256: str) -> bytes:
        """The bytes of a stored blob, or :class:`NotFound`."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def describe(self) -> str: ...


def _check_sha(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise NotFound(f"not a blob address: {sha256!r}")
    return sha256


class LocalBlobStore:
    """Blobs as files under ``root/ab/cd/<sha256>``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._tmp = self.root / "tmp"
        self._tmp.mkdir(exist_ok=True)

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
        ref = BlobRef(sha256_hex(data), len(data))
        final = self.path(ref.sha256)
        if final.exists() and final.stat().st_size == ref.size:
            return ref
        try:
            self._write_atomically(final, data)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StorageFull(f"no space left for blobs in {self.root}") from exc
            raise StorageUnavailable(f"cannot write blob to {self.root}: {exc}") from exc
        return ref

    def _write_atomically(self, final: Path, data: bytes) -> None:
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix="blob-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp_name, final)
        except BaseException:
            with _suppress_oserror():
                os.unlink(tmp_name)
            raise
        _fsync_dir(final.parent)


class _suppress_oserror:
    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: object, tb: object) -> bool:
        return isinstance(exc, OSError)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
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
