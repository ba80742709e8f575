"""Bounded ZIP reading: every limit is checked on the central directory *before*
anything is inflated, and inflation itself is capped at the declared size (a member
that lies about its size is cut off and refused, not trusted).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from extractors.safe_text import safe_path
from intake.splitter_errors import ArchiveRefused

__all__ = ["ZipLimits", "ZipMember", "read_zip"]

_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """Limits for one archive (nesting depth is tracked by the caller)."""

    max_entries: int = 200
    max_total: int = 200_000_000
    max_ratio: int = 100
    max_member: int = 100_000_000


@dataclass(frozen=True, slots=True)
class ZipMember:
    """One file inside an archive: its path as stored (``/`` separated) and bytes,
    or a refusal reason for that single member (encrypted, damaged)."""

    path: str
    data: bytes | None
    problem: str | None = None
    reason: str | None = None


def _check_directory(infos: list[zipfile.ZipInfo], limits: ZipLimits) -> None:
    files = [i for i in infos if not i.is_dir()]
    if len(infos) > limits.max_entries:
        raise ArchiveRefused(
            "zip_too_many_entries",
            f"{len(infos)} entries; the limit is {limits.max_entries}",
        )
    total = sum(i.file_size for i in files)
    if total > limits.max_total:
        raise ArchiveRefused(
            "zip_too_large", f"declared {total:,} bytes uncompressed; limit {limits.max_total:,}"
        )
    for info in files:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1024 and ratio > limits.max_ratio:
            raise ArchiveRefused(
                "zip_ratio_exceeded",
                f"{_member_path(info)!r} expands {ratio:.0f}x; the limit is {limits.max_ratio}x",
            )
        if info.file_size > limits.max_member:
            raise ArchiveRefused(
                "zip_too_large", f"{_member_path(info)!r} declares {info.file_size:,} bytes"
            )


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    out = bytearray()
    cap = info.file_size
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(min(_CHUNK, cap + 1 - len(out)))
            if not chunk:
                break
            out += chunk
            if len(out) > cap:
                raise ArchiveRefused(
                    "zip_size_mismatch", f"{_member_path(info)!r} inflates past its declared size"
                )
    return bytes(out)


def _member_path(info: zipfile.ZipInfo) -> str:
    """The stored path made safe (:func:`extractors.safe_text.safe_path`): no ``..``,
    no absolute path, no control, bidi or zero-width characters."""
    return safe_path(info.filename) or "unnamed"


def read_zip(data: bytes, limits: ZipLimits = ZipLimits()) -> list[ZipMember]:
    """All file members of the archive, in stored order (directories skipped).

    Raises :class:`ArchiveRefused` when the archive as a whole breaks a limit or
    cannot be read; a single encrypted or damaged member is returned with a reason.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise ArchiveRefused("damaged_attachment", f"unreadable zip: {exc}") from exc
    with archive:
        infos = archive.infolist()
        _check_directory(infos, limits)
        members: list[ZipMember] = []
        for info in infos:
            if info.is_dir():
                continue
            path = _member_path(info)
            if info.flag_bits & 0x1:
                members.append(ZipMember(path, None, "member is encrypted", "encrypted"))
                continue
            try:
                members.append(ZipMember(path, _inflate(archive, info)))
            except ArchiveRefused:
                raise
            except (
                zipfile.BadZipFile,
                NotImplementedError,
                ValueError,
                OSError,
                EOFError,
                RuntimeError,
            ) as exc:
                members.append(
                    ZipMember(path, None, f"cannot inflate: {exc}", "damaged_attachment")
                )
    return members
