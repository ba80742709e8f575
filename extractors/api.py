"""The one public entry point: bytes of any supported document -> InvoiceData.

Dispatch by content (never by file name):

* XML -> :func:`peppol.parse_invoice_xml`.
* PDF -> its embedded e-invoice XML first (unless ``no_embedded``), compared
  with the printed payable amount; else the text layer; pages without a usable
  text layer are OCRed.
* images -> OCR.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pypdfium2 as pdfium

from extractors.errors import (
    DamagedDocument,
    ExtractionError,
    LimitExceeded,
    OcrNeeded,
    UnsupportedContent,
)
from extractors.finder import find_fields
from extractors.hints import SupplierHint
from extractors.limits import ExtractLimits
from extractors.model import Evidence, InvoiceData, Party
from extractors.pdfguard import check_pdf_streams
from extractors.textlayer import has_usable_text, open_pdf, read_text_layer
from extractors.words import PageText

__all__ = [
    "ExtractOptions",
    "extract_document",
    "extract_with_text",
    "read_pages",
    "sniff_content_type",
]

log = logging.getLogger(__name__)

_XML_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml", "ubl-invoice-2.1.xml")


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    no_embedded: bool = False  # ignore embedded XML, read the page
    known_customer: Party | None = None  # the dossier (roles)
    hints: tuple[SupplierHint, ...] = ()  # learned per-supplier anchors
    sender: str | None = None  # the mail's sender address, to recognise a supplier
    limits: ExtractLimits = field(default_factory=ExtractLimits)
    #: False: raise OcrNeeded instead of OCRing pages (the worker sends the document to
    #: its OCR queue); a logo region of a text PDF is still read
    ocr: bool = True


_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"PK\x03\x04", "application/zip"),
)


def sniff_content_type(data: bytes) -> str:
    """The content type from the bytes themselves ('application/octet-stream' if unknown)."""
    head = data[:1024]
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    for magic, ctype in _MAGIC:
        if stripped.startswith(magic):
            return ctype
    if b"%PDF-" in head:  # junk before the header, which readers tolerate
        return "application/pdf"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heif"):
        return "image/heic"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if stripped.startswith(b"<"):
        return "application/xml"
    if head.startswith((b"\xff\xfe<", b"\xfe\xff\x00<")):
        return "application/xml"
    return "application/octet-stream"


def extract_document(
    data: bytes, *, filename: str | None = None, options: ExtractOptions = ExtractOptions()
) -> InvoiceData:
    """Read an invoice from the bytes of an XML e-invoice, a PDF or an image.

    Raises :class:`~extractors.errors.ExtractionError` subclasses with a
    reason: :class:`UnsupportedContent`, :class:`LimitExceeded`,
    :class:`DamagedDocument`.
    """
    return _extract(data, filename, options)[0]


#: the most page text :func:`extract_with_text` returns (characters)
MAX_PAGE_TEXT = 200_000


def extract_with_text(
    data: bytes, *, filename: str | None = None, options: ExtractOptions = ExtractOptions()
) -> tuple[InvoiceData, str]:
    """:func:`extract_document` and the words its pages showed (one line per page,
    at most :data:`MAX_PAGE_TEXT` characters; ``""`` for an XML e-invoice), read once."""
    invoice, pages = _extract(data, filename, options)
    text = "\n".join(" ".join(w.text for w in p.words) for p in pages)
    return invoice, text[:MAX_PAGE_TEXT]


def _extract(
    data: bytes, filename: str | None, options: ExtractOptions
) -> tuple[InvoiceData, tuple[PageText, ...]]:
    limits = options.limits
    if len(data) > limits.max_bytes:
        raise LimitExceeded(f"document is {len(data)} bytes, over the limit of {limits.max_bytes}")
    if not data:
        raise UnsupportedContent("the document is empty")
    ctype = sniff_content_type(data)
    name = filename or "document"
    log.debug("extracting %s as %s", name, ctype)
    if ctype == "application/xml":
        return _parse_xml(data), ()
    if ctype == "application/pdf":
        return _extract_pdf(data, options)
    if ctype.startswith("image/"):
        if not options.ocr:
            raise OcrNeeded(f"{name}: an image")
        pages = _ocr(data, ctype, limits, None)
        return _find(pages, options), pages
    raise UnsupportedContent(f"{name}: content type {ctype} is not a supported document")


def read_pages(data: bytes, limits: ExtractLimits = ExtractLimits()) -> tuple[PageText, ...]:
    """The words of every page of a PDF or image (text layer, OCR where needed)."""
    ctype = sniff_content_type(data)
    if ctype.startswith("image/"):
        return _ocr(data, ctype, limits, None)
    if ctype != "application/pdf":
        raise UnsupportedContent(f"content type {ctype} has no pages to read")
    check_pdf_streams(data, limits)
    pages = read_text_layer(data, limits)
    return _ocr_missing(data, pages, limits)


def _find(pages: tuple[PageText, ...], options: ExtractOptions) -> InvoiceData:
    if not any(p.words for p in pages):
        raise UnsupportedContent("no text could be read from the document")
    return find_fields(
        pages, known_customer=options.known_customer, hints=options.hints, sender=options.sender
    )


def _extract_pdf(data: bytes, options: ExtractOptions) -> tuple[InvoiceData, tuple[PageText, ...]]:
    limits = options.limits
    check_pdf_streams(data, limits)
    pdf = open_pdf(data, limits)
    try:
        embedded = None if options.no_embedded else _embedded_xml(data, pdf)
        pages = read_text_layer(data, limits, pdf=pdf)
    finally:
        pdf.close()
    all_text = _all_text(pages)
    if embedded is None and not all_text:  # the XML is compared with text pages only
        if not options.ocr:
            raise OcrNeeded("a PDF with pages without a text layer")
        pages = _ocr_missing(data, pages, limits)
    if embedded is not None:
        try:
            invoice = _parse_xml(embedded)
        except ExtractionError as exc:
            log.warning("embedded XML unreadable, reading the page instead: %s", exc)
        else:
            return _compare_with_page(invoice, pages, options), pages
    found = _find(pages, options).replace(source="pdf_text" if all_text else "pdf_ocr")
    if all_text and found.supplier.name is None:
        found = _with_logo_supplier(data, found, options)
    return found, pages


def _with_logo_supplier(data: bytes, invoice: InvoiceData, options: ExtractOptions) -> InvoiceData:
    """A supplier shown only in a logo image: OCR the images at the top of page 1."""
    try:
        found = logo_names(data, options.limits)
    except ExtractionError as exc:
        log.info("logo OCR failed: %s", exc)
        return invoice
    known = options.known_customer.name if options.known_customer else None
    for name, ev in found:
        if known and _compact(known) in _compact(name):
            continue
        supplier = dataclasses.replace(invoice.supplier, name=name)
        return invoice.replace(
            supplier=supplier, evidence=(*invoice.evidence, ("supplier_name", ev))
        )
    return invoice


_LOGO_MAX_PIXELS = 4_000_000


def logo_names(data: bytes, limits: ExtractLimits) -> list[tuple[str, Evidence]]:
    """Names read by OCR from the image objects in the top third of page 1, best first."""
    from PIL import Image

    from extractors.layout import build_layout
    from extractors.model import BBox
    from extractors.names import clean_name, legal_name
    from extractors.ocr import ocr_region
    from extractors.pdfium_lock import PDFIUM_LOCK

    images: list[tuple[Image.Image, BBox]] = []
    with PDFIUM_LOCK:
        pdf = open_pdf(data, limits)
        try:
            page = pdf[0]
            width, height = page.get_size()
            for obj in page.get_objects(max_depth=2):
                if not isinstance(obj, pdfium.PdfImage):
                    continue
                x0, y0, x1, y1 = obj.get_bounds()
                top = 1 - y1 / height
                if top > 0.35 or (x1 - x0) < 20 or (y1 - y0) < 8:
                    continue
                px_w, px_h = obj.get_px_size()
                if px_w * px_h > _LOGO_MAX_PIXELS or px_w * px_h == 0:
                    continue
                pil = obj.get_bitmap().to_pil().convert("L")
                box = BBox(x0 / width, top, x1 / width, 1 - y0 / height)
                images.append((pil, box))
                if len(images) >= 4:
                    break
        except pdfium.PdfiumError as exc:
            raise DamagedDocument(f"the PDF's images cannot be read: {exc}") from exc
        finally:
            pdf.close()
    out: list[tuple[str, Evidence]] = []
    for pil, box in images:
        scale = max(1.0, 48.0 / max(1, pil.height // 3))  # text at least ~48 px high
        if scale > 1:
            pil = pil.resize((int(pil.width * scale), int(pil.height * scale)))
        pages = (ocr_region(pil, limits),)
        layout = build_layout(pages)
        names = []
        words = [w for p in pages for w in p.words if sum(ch.isalnum() for ch in w.text) >= 2]
        if 1 < len(words) <= 6:  # a logo's words: one name, whatever lines tesseract made
            joined = " ".join(w.text for w in sorted(words, key=lambda w: (w.x0, w.y0)))
            name = clean_name(joined)
            if name:
                conf = min(w.confidence for w in words)
                names.append((legal_name(name), len(name) + 100, name, conf))
        for line in layout.lines:
            name = clean_name(line.text)
            if name and len(name) >= 3 and sum(ch.isalpha() for ch in name) >= 3:
                conf = min(p.confidence for p in line.phrases)
                names.append((bool(legal_name(name)), len(name), name, conf))
        for has_form, _n, name, conf in sorted(names, reverse=True):
            out.append(
                (name, Evidence(min(0.8, 0.45 + 0.3 * has_form) * conf, "logo-ocr", 1, box, name))
            )
    return out


def _all_text(pages: tuple[PageText, ...]) -> bool:
    return all(has_usable_text(p) for p in pages)


def _ocr_missing(
    data: bytes, pages: tuple[PageText, ...], limits: ExtractLimits
) -> tuple[PageText, ...]:
    missing = [p.number for p in pages if not has_usable_text(p)]
    if not missing:
        return pages
    ocred = {p.number: p for p in _ocr(data, "application/pdf", limits, missing)}
    return tuple(ocred.get(p.number, p) for p in pages)


def _ocr(
    data: bytes, ctype: str, limits: ExtractLimits, pages: list[int] | None
) -> tuple[PageText, ...]:
    try:
        from extractors.ocr import ocr_pages
    except ImportError as exc:  # pragma: no cover - the OCR module ships with the package
        raise UnsupportedContent(f"OCR is not available: {exc}") from exc
    return ocr_pages(data, ctype, limits, pages=pages)


def _compare_with_page(
    invoice: InvoiceData, pages: tuple[PageText, ...], options: ExtractOptions
) -> InvoiceData:
    """The embedded XML, checked against the printed page (the page wins).

    * an XML whose invoice number is not printed on the page describes another
      document: the page is read instead, with a warning;
    * a payable total the page does not print: the page's totals, with a warning;
    * values the XML lacks but the page prints (payment reference, due date,
      IBAN) are taken from the page.
    """
    if not any(p.words for p in pages):
        return invoice
    page = find_fields(
        pages, known_customer=options.known_customer, hints=options.hints, sender=options.sender
    )
    layout_text = _compact(" ".join(w.text for p in pages for w in p.words))
    if (
        invoice.invoice_number
        and page.invoice_number
        and _compact(invoice.invoice_number) not in layout_text
    ):
        warning = (
            f"embedded XML is for invoice {invoice.invoice_number}, which the page does "
            f"not print; the page ({page.invoice_number}) was read instead"
        )
        return page.replace(warnings=(*page.warnings, warning), source="pdf_text")
    changes: dict[str, Any] = {}
    warnings = list(invoice.warnings)
    xml_total = (
        invoice.payable_amount if invoice.payable_amount is not None else (invoice.total_incl_vat)
    )
    page_total = page.payable_amount if page.payable_amount is not None else page.total_incl_vat
    printed = _printed_amounts(pages)
    if (
        xml_total is not None
        and page_total is not None
        and abs(xml_total) not in printed
        and abs(page_total) != abs(xml_total)
    ):
        warnings.append(
            f"embedded XML says {xml_total} is payable but the page prints "
            f"{page_total}; the page wins"
        )
        for key in ("total_excl_vat", "total_vat", "total_incl_vat", "payable_amount"):
            if getattr(page, key) is not None:
                changes[key] = getattr(page, key)
        if page.vat_breakdown:
            changes["vat_breakdown"] = page.vat_breakdown
    for key in ("payment_reference", "due_date", "iban"):
        if getattr(invoice, key) is None and getattr(page, key) is not None:
            changes[key] = getattr(page, key)
    changes["supplier"] = _tidy_party(invoice.supplier)
    changes["customer"] = _tidy_party(invoice.customer)
    changes["warnings"] = tuple(warnings)
    return invoice.replace(**changes)


def _compact(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _tidy_party(party: Party) -> Party:
    """XML names sometimes carry a salutation line ('Herrn\\nMax Mustermann')."""
    if not party.name or "\n" not in party.name:
        return party
    from extractors.names import clean_name

    lines = [clean_name(ln) for ln in party.name.splitlines()]
    kept = [ln for ln in lines if ln]
    return dataclasses.replace(party, name=" ".join(kept) if kept else party.name)


def _printed_amounts(pages: tuple[PageText, ...]) -> set[Decimal]:
    from extractors.candidates import amounts_in
    from extractors.layout import build_layout

    return {abs(v) for p in build_layout(pages).phrases for _s, _e, v in amounts_in(p.text)}


# ------------------------------------------------------------------ XML (peppol)


def _peppol() -> tuple[Callable[[bytes], InvoiceData], type[Exception]] | None:
    try:
        import peppol
        from peppol.errors import PeppolError
    except ImportError:
        return None
    parse = getattr(peppol, "parse_invoice_xml", None)
    return (parse, PeppolError) if parse is not None else None


def _parse_xml(data: bytes) -> InvoiceData:
    found = _peppol()
    if found is None:
        raise UnsupportedContent("XML e-invoices need the peppol package, which is not available")
    parse, error = found
    try:
        invoice = parse(data)
    except error as exc:
        raise UnsupportedContent(f"the XML is not a readable e-invoice: {exc}") from exc
    return invoice


def _embedded_xml(data: bytes, pdf: pdfium.PdfDocument) -> bytes | None:
    try:
        import peppol

        finder = getattr(peppol, "embedded_xml_from_pdf", None)
    except ImportError:
        finder = None
    if finder is not None:
        try:
            result = finder(data)
        except Exception as exc:
            log.warning("embedded XML lookup failed: %s", exc)
            return None
        return result if isinstance(result, bytes) else None
    return _attachment_xml(pdf)


def _attachment_xml(pdf: pdfium.PdfDocument) -> bytes | None:
    """Fallback: the first XML file attachment with an e-invoice name."""
    try:
        count = pdf.count_attachments()
        named: list[tuple[str, bytes]] = []
        for i in range(count):
            att = pdf.get_attachment(i)
            name = att.get_name().lower()
            if name.endswith(".xml"):
                named.append((name, bytes(att.get_data())))
    except pdfium.PdfiumError as exc:
        raise DamagedDocument(f"the PDF's attachments cannot be read: {exc}") from exc
    for name, blob in named:
        if name in _XML_NAMES:
            return blob
    return named[0][1] if named else None
