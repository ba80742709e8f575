"""One process-wide lock around PDFium.

PDFium (pypdfium2) is not thread-safe.  Every module that opens a PDF with it
(the text-layer reader, the embedded-XML reader, the UI's page renderer)
holds this lock for the whole open-use-close, so threads of one process
(Streamlit sessions, worker threads) never run PDFium concurrently.  It is
re-entrant: the embedded-XML check runs inside a text-layer read.
"""

from __future__ import annotations

import threading

PDFIUM_LOCK = threading.RLock()

__all__ = ["PDFIUM_LOCK"]
