"""Limits for one extraction: passed as arguments, never read from the environment."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ExtractLimits"]


@dataclass(frozen=True, slots=True)
class ExtractLimits:
    """Hard limits that turn a hostile or huge document into a clear reason.

    ``max_bytes``: size of the input document.  ``max_pages``: pages read (text
    layer or OCR).  ``max_pixels``: pixels of one page image (decompression
    bombs).  ``max_stream_bytes``: decoded size of one compressed PDF stream
    (checked before PDFium sees the file).  ``ocr_page_timeout_s``: tesseract
    time per page.  ``ocr_workers``:
    pages OCRed in parallel.  ``ocr_dpi``: render resolution of scanned PDF
    pages.  ``ocr_languages``: tesseract language string.
    """

    max_bytes: int = 50_000_000
    max_pages: int = 50
    max_pixels: int = 60_000_000
    max_stream_bytes: int = 256_000_000
    ocr_page_timeout_s: float = 120.0
    ocr_workers: int = 2
    ocr_dpi: int = 300
    ocr_languages: str = "nld+fra+deu+eng"
