"""Build small text PDFs for tests with pypdfium2 (no extra dependency).

``make_pdf([[(x_pt, y_pt, "text"), ...], ...])``: one list of texts per page,
positions in points from the top-left corner, Helvetica 10 pt.
"""

from __future__ import annotations

import ctypes
import io
from collections.abc import Sequence

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

Placed = tuple[float, float, str]


def make_pdf(pages: Sequence[Sequence[Placed]], *, size: float = 10.0) -> bytes:
    pdf = pdfium.PdfDocument.new()
    try:
        font = pdfium_c.FPDFText_LoadStandardFont(pdf.raw, b"Helvetica")
        for texts in pages:
            page = pdf.new_page(595, 842)
            for x, y, text in texts:
                obj = pdfium_c.FPDFPageObj_CreateTextObj(pdf.raw, font, ctypes.c_float(size))
                raw = (text + "\0").encode("utf-16-le")
                buf = ctypes.create_string_buffer(raw, len(raw))
                pdfium_c.FPDFText_SetText(
                    obj, ctypes.cast(buf, ctypes.POINTER(pdfium_c.FPDF_WCHAR))
                )
                pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, x, 842 - y - size)
                pdfium_c.FPDFPage_InsertObject(page.raw, obj)
            pdfium_c.FPDFPage_GenerateContent(page.raw)
            page.close()
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()
    finally:
        pdf.close()
