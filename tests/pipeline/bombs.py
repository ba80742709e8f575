"""Generators of hostile documents: PDF and image decompression bombs.

Each returns small bytes (a few MB at most) that demand far more memory or
pixels once decoded.  Used by the worker tests and bench/bomb_probe.py.
"""

from __future__ import annotations

import struct
import zlib

_ZEROS = b"\0" * (1 << 20)


def zeros_deflated(megabytes: int) -> bytes:
    """zlib data that inflates to ``megabytes`` MiB of zero bytes (about 1/1000 the size).

    One MiB is compressed once, closed with a full flush (byte-aligned, no back
    references across it), and the block repeated: milliseconds, not minutes.
    """
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(_ZEROS) + comp.flush(zlib.Z_FULL_FLUSH)
    final = comp.flush()
    adler = 1
    for _ in range(megabytes):
        adler = zlib.adler32(_ZEROS, adler)
    return b"\x78\xda" + block * megabytes + final + struct.pack(">I", adler)


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF from numbered object bodies (1-based; object 1 is the catalog)."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


_CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
_PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"


def flate_stream_bomb(decoded_mb: int = 2048) -> bytes:
    """One page whose content stream inflates to ``decoded_mb`` MiB of zeros.

    The 2 GiB default is about 2 MB on disk: the pre-decode stream check refuses it.
    """
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"
    content = _stream(b"/Filter /FlateDecode", zeros_deflated(decoded_mb))
    return _pdf([_CATALOG, _PAGES, page, content])


def repeated_stream_bomb(stream_mb: int = 200, repeats: int = 12) -> bytes:
    """One page whose content array names the same ``stream_mb`` MiB stream ``repeats`` times.

    Every stream is under the per-stream check, but the decoder holds them all
    at once (``stream_mb * repeats`` MiB): only the memory cap stops it.
    """
    refs = b" ".join(b"4 0 R" for _ in range(repeats))
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents [" + refs + b"] >>"
    content = _stream(b"/Filter /FlateDecode", zeros_deflated(stream_mb))
    return _pdf([_CATALOG, _PAGES, page, content])


def image_xobject_bomb(side: int = 100_000) -> bytes:
    """A page showing one ``side`` x ``side`` grey image (declared; the data is a stub)."""
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /XObject << /Im0 5 0 R >> >> >>"
    )
    content = _stream(b"", b"q 595 0 0 842 0 0 cm /Im0 Do Q")
    image = _stream(
        b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray"
        b" /BitsPerComponent 8 /Filter /FlateDecode" % (side, side),
        zeros_deflated(4),
    )
    return _pdf([_CATALOG, _PAGES, page, content, image])


def image_stack_bomb(count: int = 10, side: int = 7000) -> bytes:
    """A page showing ``count`` different RGB images of ``side`` x ``side`` pixels.

    Each image is under the pixel and stream limits (49 Mpx, 147 MB), but
    rendering the page decodes all of them: only the memory cap stops it.
    """
    names = b" ".join(b"/Im%d %d 0 R" % (i, 5 + i) for i in range(count))
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /XObject << " + names + b" >> >> >>"
    )
    draw = b" ".join(b"q 595 0 0 842 0 0 cm /Im%d Do Q" % i for i in range(count))
    data = zeros_deflated(side * side * 3 // (1 << 20) + 1)
    images = [
        _stream(
            b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB"
            b" /BitsPerComponent 8 /Filter /FlateDecode" % (side, side),
            data,
        )
        for _ in range(count)
    ]
    return _pdf([_CATALOG, _PAGES, page, _stream(b"", draw), *images])


def png_bomb(side: int = 12_000) -> bytes:
    """A ``side`` x ``side`` greyscale PNG of zeros (144 Mpx by default, about 140 kB)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    row = b"\0" * (side + 1)  # filter byte + pixels
    comp = zlib.compressobj(9)
    parts = [comp.compress(row) for _ in range(side)]
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", b"".join(parts))
        + chunk(b"IEND", b"")
    )


def corpus() -> dict[str, bytes]:
    """Every bomb, by file name."""
    return {
        "flate-2gb.pdf": flate_stream_bomb(2048),
        "repeated-stream-2.4gb.pdf": repeated_stream_bomb(200, 12),
        "image-xobject-10gpx.pdf": image_xobject_bomb(100_000),
        "image-stack-1.5gb.pdf": image_stack_bomb(10, 7000),
        "png-144mpx.png": png_bomb(12_000),
    }
