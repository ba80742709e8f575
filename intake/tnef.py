"""A small, bounded TNEF (winmail.dat) reader: attachment records only.

Layout (MS-OXTNEF): a 4-byte signature ``0x223E9F78``, a 2-byte key, then attribute
records ``level:u8 id:u32 length:u32 data checksum:u16``.  ``attAttachRenddata`` opens an
attachment; ``attAttachTitle`` carries its short name, ``attAttachData`` its bytes and
``attAttachment`` a MAPI property list with the long file name and MIME tag.  Every
length is checked against what is left of the buffer, so a hostile stream can only
make the reader stop with :class:`TnefError`, never read past the end or loop.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from intake.splitter_errors import TnefError

__all__ = ["TnefAttachment", "read_tnef"]

SIGNATURE = 0x223E9F78
_LVL_ATTACHMENT = 0x02
_ATT_DATA = 0x800F
_ATT_TITLE = 0x8010
_ATT_RENDDATA = 0x9002
_ATT_ATTACHMENT = 0x9005

_PR_ATTACH_DATA = 0x3701
_PR_ATTACH_FILENAME = 0x3704
_PR_ATTACH_LONG_FILENAME = 0x3707
_PR_ATTACH_MIME_TAG = 0x370E

_FIXED_SIZES = {
    0x0001: 0,
    0x0002: 4,
    0x0003: 4,
    0x0004: 4,
    0x0005: 8,
    0x0006: 8,
    0x0007: 8,
    0x000A: 4,
    0x000B: 4,
    0x0014: 8,
    0x0040: 8,
    0x0048: 16,
}
_VARIABLE = {0x000D, 0x001E, 0x001F, 0x0102}
_MULTI = 0x1000


@dataclass(slots=True)
class TnefAttachment:
    """One attachment found in the stream (fields filled as records arrive)."""

    title: str | None = None
    long_name: str | None = None
    mime_tag: str | None = None
    data: bytes = b""
    props_data: bytes | None = field(default=None, repr=False)

    @property
    def filename(self) -> str | None:
        return self.long_name or self.title


def _text(raw: bytes, unicode: bool) -> str:
    if unicode:
        return raw.decode("utf-16-le", "replace").split("\x00", 1)[0]
    raw = raw.split(b"\x00", 1)[0]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


class _Reader:
    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def take(self, size: int) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise TnefError("damaged_attachment", "TNEF record runs past the end of the data")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def u16(self) -> int:
        return int(struct.unpack("<H", self.take(2))[0])

    def u32(self) -> int:
        return int(struct.unpack("<I", self.take(4))[0])

    def remaining(self) -> int:
        return len(self.data) - self.pos


def _read_props(data: bytes, attachment: TnefAttachment, max_props: int) -> None:
    reader = _Reader(data)
    count = reader.u32()
    if count > max_props:
        raise TnefError("damaged_attachment", f"TNEF property list claims {count} properties")
    for _ in range(count):
        prop_type, prop_id = reader.u16(), reader.u16()
        if prop_id >= 0x8000:  # named property: GUID, kind, id or name
            reader.take(16)
            if reader.u32() == 0:
                reader.u32()
            else:
                size = reader.u32()
                reader.take(size + (-size % 4))
        base = prop_type & ~_MULTI
        values = reader.u32() if (prop_type & _MULTI or base in _VARIABLE) else 1
        if values > reader.remaining():
            raise TnefError("damaged_attachment", "TNEF property value count is impossible")
        for _ in range(values):
            if base in _VARIABLE:
                size = reader.u32()
                value = reader.take(size)
                reader.take(-size % 4)
                _store(attachment, prop_id, base, value)
            elif base in _FIXED_SIZES:
                reader.take(_FIXED_SIZES[base])
            else:
                raise TnefError("damaged_attachment", f"unknown TNEF property type {base:#x}")


def _store(attachment: TnefAttachment, prop_id: int, base: int, value: bytes) -> None:
    if prop_id == _PR_ATTACH_LONG_FILENAME and base in (0x001E, 0x001F):
        attachment.long_name = _text(value, base == 0x001F) or attachment.long_name
    elif prop_id == _PR_ATTACH_FILENAME and base in (0x001E, 0x001F):
        attachment.title = attachment.title or _text(value, base == 0x001F) or None
    elif prop_id == _PR_ATTACH_MIME_TAG and base in (0x001E, 0x001F):
        attachment.mime_tag = _text(value, base == 0x001F) or None
    elif prop_id == _PR_ATTACH_DATA and base == 0x0102 and not attachment.data:
        attachment.data = value


def read_tnef(
    data: bytes, *, max_attachments: int = 100, max_records: int = 10_000
) -> list[TnefAttachment]:
    """The attachments of a TNEF stream, in order.  Raises :class:`TnefError`."""
    reader = _Reader(data)
    if len(data) < 6 or reader.u32() != SIGNATURE:
        raise TnefError("damaged_attachment", "not a TNEF stream (bad signature)")
    reader.u16()
    attachments: list[TnefAttachment] = []
    records = 0
    while reader.remaining() > 0:
        records += 1
        if records > max_records:
            raise TnefError("damaged_attachment", f"more than {max_records} TNEF records")
        level = reader.take(1)[0]
        attr_id = reader.u32() & 0xFFFF
        value = reader.take(reader.u32())
        reader.u16()  # checksum: informational only
        if level != _LVL_ATTACHMENT:
            continue
        if attr_id == _ATT_RENDDATA or not attachments:
            if len(attachments) >= max_attachments:
                raise TnefError("damaged_attachment", f"more than {max_attachments} attachments")
            attachments.append(TnefAttachment())
        current = attachments[-1]
        if attr_id == _ATT_TITLE:
            current.title = _text(value, False) or None
        elif attr_id == _ATT_DATA:
            current.data = value
        elif attr_id == _ATT_ATTACHMENT:
            _read_props(value, current, max_props=max(1, len(value) // 8))
    return [a for a in attachments if a.data]
