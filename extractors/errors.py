"""Errors of the extraction core: one base, a few precise subclasses."""

from __future__ import annotations

__all__ = [
    "DamagedDocument",
    "ExtractionError",
    "LimitExceeded",
    "OcrFailed",
    "OcrNeeded",
    "UnsupportedContent",
]


class ExtractionError(Exception):
    """Base of every error raised by :mod:`extractors`."""


class UnsupportedContent(ExtractionError):
    """The bytes are not a document type boekbox can read."""


class LimitExceeded(ExtractionError):
    """The document is over a configured limit (bytes, pages, pixels, time)."""


class DamagedDocument(ExtractionError):
    """The document claims a known type but cannot be parsed."""


class OcrFailed(ExtractionError):
    """Tesseract could not read a page (missing binary, timeout, crash)."""


class OcrNeeded(Exception):
    """Raised instead of running OCR when ``ExtractOptions.ocr`` is False: the document
    (an image, or a PDF with pages without a usable text layer) must be read by OCR.
    Not an :class:`ExtractionError`: nothing is wrong with the document."""
