"""Template-free invoice extraction (pure core).

The public entry point is :func:`extract_document`; see :mod:`extractors.api`.
"""

from extractors.api import ExtractOptions, extract_document, read_pages, sniff_content_type
from extractors.errors import (
    DamagedDocument,
    ExtractionError,
    LimitExceeded,
    OcrFailed,
    UnsupportedContent,
)
from extractors.hints import FieldHint, SupplierHint, learn_hint
from extractors.limits import ExtractLimits

__all__ = [
    "DamagedDocument",
    "ExtractLimits",
    "ExtractOptions",
    "ExtractionError",
    "FieldHint",
    "LimitExceeded",
    "OcrFailed",
    "SupplierHint",
    "UnsupportedContent",
    "extract_document",
    "learn_hint",
    "read_pages",
    "sniff_content_type",
]
