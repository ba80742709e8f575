"""Template-free invoice extraction (pure core).

The public entry point is :func:`extract_document`; see :mod:`extractors.api`.

The names below load on first use, so importing the stdlib-only model
(``extractors.model``, which ``peppol`` and ``booking`` use) does not pull in
PDFium, lxml or the OCR machinery.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from extractors.api import (
        ExtractOptions,
        extract_document,
        extract_with_text,
        read_pages,
        sniff_content_type,
    )
    from extractors.errors import (
        DamagedDocument,
        ExtractionError,
        LimitExceeded,
        OcrFailed,
        OcrNeeded,
        UnsupportedContent,
    )
    from extractors.hints import FieldHint, SupplierHint, learn_hint
    from extractors.limits import ExtractLimits

_WHERE = {
    "ExtractOptions": "extractors.api",
    "extract_document": "extractors.api",
    "extract_with_text": "extractors.api",
    "read_pages": "extractors.api",
    "sniff_content_type": "extractors.api",
    "DamagedDocument": "extractors.errors",
    "ExtractionError": "extractors.errors",
    "LimitExceeded": "extractors.errors",
    "OcrFailed": "extractors.errors",
    "OcrNeeded": "extractors.errors",
    "UnsupportedContent": "extractors.errors",
    "FieldHint": "extractors.hints",
    "SupplierHint": "extractors.hints",
    "learn_hint": "extractors.hints",
    "ExtractLimits": "extractors.limits",
}

__all__ = [
    "DamagedDocument",
    "ExtractLimits",
    "ExtractOptions",
    "ExtractionError",
    "FieldHint",
    "LimitExceeded",
    "OcrFailed",
    "OcrNeeded",
    "SupplierHint",
    "UnsupportedContent",
    "extract_document",
    "extract_with_text",
    "learn_hint",
    "read_pages",
    "sniff_content_type",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'extractors' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
