"""Cheap checks of a PDF's streams before any decoder sees them.

A few MB of FlateDecode can inflate to many GB (a "decompression bomb"), and
an image XObject may declare more pixels than any page needs.  Before PDFium
opens the file, every stream is looked at from the raw bytes:

* a stream whose dictionary declares an image of more than
  ``limits.max_pixels`` pixels is refused (over the pixel limit);
* every FlateDecode stream is inflated with a bounded output buffer, in
  constant memory; one that decodes to more than ``limits.max_stream_bytes``
  is refused (over the memory limit) without ever holding it.

This is a first line only (a stream can hide behind another filter, an
object stream or encryption); the pipeline also runs the decoders in a child
process with a memory cap.  Pure: bytes in, an exception with a reason out.
"""

from __future__ import annotations

import re
import zlib

from extractors.errors import LimitExceeded
from extractors.limits import ExtractLimits

__all__ = ["check_pdf_streams"]

_STREAM = re.compile(rb">>\s*stream(?:\r\n|\n|\r)")
_WIDTH = re.compile(rb"/Width\s+(\d{1,12})\b")
_HEIGHT = re.compile(rb"/Height\s+(\d{1,12})\b")
_IMAGE = re.compile(rb"/Subtype\s*/Image\b")
_FLATE = re.compile(rb"/(?:FlateDecode|Fl)\b")
_DICT_BACK = 4096  # bytes before "stream" searched for the stream's dictionary
_IN_CHUNK = 1 << 16
_OUT_CHUNK = 1 << 16


def check_pdf_streams(data: bytes, limits: ExtractLimits = ExtractLimits()) -> None:
    """Raise :class:`LimitExceeded` for a stream over the pixel or decoded-size limit."""
    for match in _STREAM.finditer(data):
        head = _stream_dict(data, match.start())
        if _IMAGE.search(head):
            _check_image(head, limits)
        if _FLATE.search(head):
            decoded = _inflated_size(data, match.end(), limits.max_stream_bytes)
            if decoded > limits.max_stream_bytes:
                raise LimitExceeded(
                    f"a compressed stream of the PDF decodes to more than "
                    f"{limits.max_stream_bytes // 1_000_000:,} MB: over the memory limit "
                    f"(decompression bomb)"
                )


def _stream_dict(data: bytes, end: int) -> bytes:
    """The bytes of the dictionary that ends at ``end`` (its ``>>``), best effort."""
    start = max(0, end - _DICT_BACK)
    window = data[start : end + 2]
    obj = window.rfind(b" obj")
    return window[obj:] if obj >= 0 else window


def _check_image(head: bytes, limits: ExtractLimits) -> None:
    width, height = _WIDTH.search(head), _HEIGHT.search(head)
    if width is None or height is None:
        return
    w, h = int(width.group(1)), int(height.group(1))
    if w * h > limits.max_pixels:
        raise LimitExceeded(
            f"an image of {w:,}x{h:,} = {w * h:,} pixels is over the pixel limit "
            f"of {limits.max_pixels:,}"
        )


def _inflated_size(data: bytes, start: int, cap: int) -> int:
    """Bytes the zlib stream at ``start`` inflates to, counting stops just past ``cap``."""
    inflater = zlib.decompressobj()
    total = 0
    pos = start
    try:
        while not inflater.eof:
            buf = inflater.unconsumed_tail
            if not buf:
                if pos >= len(data):
                    break
                buf = data[pos : pos + _IN_CHUNK]
                pos += len(buf)
            out = inflater.decompress(buf, _OUT_CHUNK)
            total += len(out)
            if total > cap:
                return total
            if not out and len(inflater.unconsumed_tail) == len(buf):
                break  # no progress (a stream cut short): the decoder will judge it
    except zlib.error:
        pass  # not (or no longer) zlib: the decoder will judge it
    return total
