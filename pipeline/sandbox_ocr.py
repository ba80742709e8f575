"""Imported by the fork server of a process that reads the ``ocr`` queue
(:func:`pipeline.sandbox.preload_ocr_engines`), before :mod:`pipeline.sandbox_warm`.

Loads tesseract engines for the configured languages (one per thread that reads the
pages of a document at once) and one for orientation detection, when the library of
``scripts/build_ocr_engine.sh`` is built, so every scan's child inherits them instead
of loading the models again.
"""

from __future__ import annotations

import logging

from extractors import tess

__all__: list[str] = []


def _preload() -> None:
    if not tess.available():
        return
    try:
        from pipeline.settings import load_settings
        from pipeline.steps import extract_limits

        limits = extract_limits(load_settings())
        # one engine per thread that reads a page of a document at once: a second page
        # read in parallel would otherwise load the models again in the child
        tess.preload(*[limits.ocr_languages] * max(1, limits.ocr_workers), tess.OSD)
    except Exception:  # a child then loads its own, or reports why it cannot
        logging.getLogger(__name__).warning("OCR engines not preloaded", exc_info=True)


_preload()
