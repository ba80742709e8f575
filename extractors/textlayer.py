"""The text layer of a PDF as positioned words (pypdfium2, character boxes).

pypdfium2 gives every character with its box at a fraction of pdfplumber's
cost; words are built here from those boxes (a break at whitespace, at a
horizontal gap wider than a third of the font height, or at a jump to another
baseline) and returned in reading order (top to bottom, then left to right
within a line).  Coordinates are fractions of the page, origin top-left.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from extractors.errors import DamagedDocument, LimitExceeded
from extractors.limits import ExtractLimits
from extractors.pdfium_lock import PDFIUM_LOCK
from extractors.words import PageText, TextSource, Word

__all__ = ["has_usable_text", "open_pdf", "page_count", "read_text_layer"]

log = logging.getLogger(__name__)

_MIN_CHARS = 20  # fewer visible characters than this: treat the page as a scan


@dataclass(slots=True)
class _Char:
    ch: str
    x0: float
    y0: float
    x1: float
    y1: float


def open_pdf(data: bytes, limits: ExtractLimits) -> pdfium.PdfDocument:
    """Open PDF bytes, enforcing the byte limit; foreign errors become ours."""
    if len(data) > limits.max_bytes:
        raise LimitExceeded(f"document is {len(data)} bytes, over the limit of {limits.max_bytes}")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise DamagedDocument(f"the PDF cannot be opened: {exc}") from exc


def page_count(data: bytes, limits: ExtractLimits = ExtractLimits()) -> int:
    pdf = open_pdf(data, limits)
    try:
        return len(pdf)
    finally:
        pdf.close()


def read_text_layer(
    data: bytes, limits: ExtractLimits = ExtractLimits(), *, pdf: pdfium.PdfDocument | None = None
) -> tuple[PageText, ...]:
    """Every page's words (a page without text has no words, not an error).

    Raises :class:`LimitExceeded` when the document has more pages than
    ``limits.max_pages``, :class:`DamagedDocument` when it cannot be read.
    """
    with PDFIUM_LOCK:
        return _read_text_layer(data, limits, pdf)


def _read_text_layer(
    data: bytes, limits: ExtractLimits, pdf: pdfium.PdfDocument | None
) -> tuple[PageText, ...]:
    own = pdf is None
    doc = open_pdf(data, limits) if pdf is None else pdf
    try:
        n = len(doc)
        if n > limits.max_pages:
            raise LimitExceeded(f"document has {n} pages, over the limit of {limits.max_pages}")
        pages = []
        for index in range(n):
            try:
                pages.append(_read_page(doc, index))
            except pdfium.PdfiumError as exc:
                raise DamagedDocument(f"page {index + 1} cannot be read: {exc}") from exc
        return tuple(pages)
    finally:
        if own:
            doc.close()


def has_usable_text(page: PageText) -> bool:
    """True when the page's text layer is worth reading (else: OCR it)."""
    text = "".join(w.text for w in page.words)
    if len(text) < _MIN_CHARS:
        return False
    return sum(map(str.isalnum, text)) >= 0.5 * len(text)


def _read_page(doc: pdfium.PdfDocument, index: int) -> PageText:
    page = doc[index]
    try:
        width, height = page.get_size()
        rotation = page.get_rotation()
        textpage = page.get_textpage()
        try:
            chars = list(_chars(textpage, width, height, rotation))
        finally:
            textpage.close()
    finally:
        page.close()
    if rotation in (90, 270):
        width, height = height, width
    words = _order(list(_words(chars, index + 1, width, height)))
    return PageText(index + 1, float(width), float(height), tuple(words), TextSource.TEXT_LAYER)


def _chars(
    textpage: pdfium.PdfTextPage, width: float, height: float, rotation: int
) -> Iterator[_Char | None]:
    """Characters with boxes in page fractions; ``None`` marks a separator."""
    raw = textpage.raw
    rect = pdfium_c.FS_RECTF()
    rect_p = ctypes.byref(rect)
    high = 0
    codes = _codes(raw, textpage.count_chars())
    get_box = pdfium_c.FPDFText_GetLooseCharBox
    for i, code in enumerate(codes):
        if 0xD800 <= code <= 0xDBFF:  # UTF-16 surrogate pair: combine with the next char
            high = code
            continue
        if 0xDC00 <= code <= 0xDFFF:
            code = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00) if high else 0
        high = 0
        ch = chr(code) if 0 < code < 0x110000 else ""
        if code < 33 or ch.isspace():  # pdfium's generated characters are spaces/newlines
            yield None
            continue
        if not get_box(raw, i, rect_p):
            yield None
            continue
        # points, origin top-left, after the page's rotation
        x0, x1 = rect.left, rect.right
        y0, y1 = height - rect.top, height - rect.bottom
        if rotation == 90:
            x0, y0, x1, y1 = height - y1, x0, height - y0, x1
        elif rotation == 180:
            x0, y0, x1, y1 = width - x1, height - y1, width - x0, height - y0
        elif rotation == 270:
            x0, y0, x1, y1 = y0, width - x1, y1, width - x0
        yield _Char(ch, x0, y0, x1, y1)


def _codes(raw: object, n: int) -> list[int]:
    """UTF-16 code units of every character, in one call (one per character index)."""
    if n <= 0:
        return []
    buf = (ctypes.c_ushort * (n + 1))()
    written = pdfium_c.FPDFText_GetText(raw, 0, n, buf)
    if written - 1 == n:
        return list(buf[:n])
    return [pdfium_c.FPDFText_GetUnicode(raw, i) for i in range(n)]


def _words(chars: list[_Char | None], page_no: int, width: float, height: float) -> Iterator[Word]:
    """Words from characters: a break at a separator, a wide gap (a third of the line
    height) or a jump to another baseline (mid-lines more than half a height apart)."""
    text: list[str] = []
    x0 = y0 = x1 = y1 = 0.0  # the word's box
    p0 = q0 = p1 = q1 = 0.0  # the previous character's box
    for c in chars:
        if c is not None and text:
            h = max(q1 - q0, c.y1 - c.y0, 1e-6)
            if abs(c.y0 + c.y1 - q0 - q1) <= h and c.x0 - p1 <= 0.3 * h and c.x1 >= p0 - 0.1 * h:
                text.append(c.ch)
                x0 = min(x0, c.x0)
                y0 = min(y0, c.y0)
                x1 = max(x1, c.x1)
                y1 = max(y1, c.y1)
                p0, q0, p1, q1 = c.x0, c.y0, c.x1, c.y1
                continue
        if text:
            yield Word(
                "".join(text),
                page_no,
                max(0.0, x0 / width),
                max(0.0, y0 / height),
                min(1.0, x1 / width),
                min(1.0, y1 / height),
            )
            text = []
        if c is not None:
            text.append(c.ch)
            x0, y0, x1, y1 = p0, q0, p1, q1 = c.x0, c.y0, c.x1, c.y1
    if text:
        yield Word(
            "".join(text),
            page_no,
            max(0.0, x0 / width),
            max(0.0, y0 / height),
            min(1.0, x1 / width),
            min(1.0, y1 / height),
        )


def _order(words: list[Word]) -> list[Word]:
    """Reading order: group into lines by vertical overlap, lines top-down, words left-right."""
    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: ((w.y0 + w.y1) / 2, w.x0)):
        mid = (w.y0 + w.y1) / 2
        if lines:
            last = lines[-1]
            ref = last[0]
            h = max(ref.y1 - ref.y0, w.y1 - w.y0)
            if abs((ref.y0 + ref.y1) / 2 - mid) <= 0.4 * h:
                last.append(w)
                continue
        lines.append([w])
    return [w for line in lines for w in sorted(line, key=lambda w: w.x0)]
