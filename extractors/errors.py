"""Errors of the extraction core: one base, a few precise subclasses."""

from __future__ import annotations

__all__ = [
    "DamagedDocument",
    "ExtractionError",
    "LimitExceeded",
    "OcrFailed",
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
