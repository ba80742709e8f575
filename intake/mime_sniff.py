"""Content sniffing for the mail splitter: what the bytes are, not what the mail says.

``sniff(data)`` looks at magic bytes only; ``xml_kind`` recognises UBL/CII e-invoices by
root element and namespace (through ``peppol.sniff_xml`` when that is importable, else
a small hardened local check); ``image_size`` reads only an image header with Pillow.
"""

from __future__ import annotations

import functools
import io
import logging
import re
import warnings
from collections.abc import Callable

from lxml import etree

__all__ = ["doctype_invoice_kind", "image_pixels", "image_size", "sniff", "xml_kind"]

log = logging.getLogger(__name__)

PDF = "application/pdf"
XML = "application/xml"
ZIP = "application/zip"
TNEF = "application/ms-tnef"
JPEG = "image/jpeg"
PNG = "image/png"
TIFF = "image/tiff"
HEIC = "image/heic"
GIF = "image/gif"
BMP = "image/bmp"
WEBP = "image/webp"
GZIP = "application/gzip"

DOCUMENT_IMAGES = frozenset({JPEG, PNG, TIFF, HEIC})
RASTER_IMAGES = DOCUMENT_IMAGES | {GIF, BMP, WEBP}

_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}

_UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
_UBL_CREDITNOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
_CII = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
_ZF1 = "urn:ferd:CrossIndustryDocument:invoice:1p0"
_LOCAL_KINDS = {
    f"{{{_UBL_INVOICE}}}Invoice": "ubl-invoice",
    f"{{{_UBL_CREDITNOTE}}}CreditNote": "ubl-creditnote",
    f"{{{_CII}}}CrossIndustryInvoice": "cii",
    f"{{{_ZF1}}}CrossIndustryDocument": "cii",
}


def sniff(data: bytes) -> str | None:
    """The media type the bytes prove, or None when the magic is not one we know."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return HEIC
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return ZIP
    if head.startswith(b"\x78\x9f\x3e\x22"):
        return TNEF
    if head.startswith(b"\x1f\x8b"):
        return GZIP
    if b"%PDF-" in data[:1024]:
        return PDF
    if head.startswith(b"BM") and len(data) > 26:
        return BMP
    if _looks_like_xml(data):
        return XML
    return None


def _looks_like_xml(data: bytes) -> bool:
    head = data[:256].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    return head.startswith((b"<?xml", b"<")) and not head[:15].lower().startswith(
        (b"<!doctype html", b"<html")
    )


@functools.cache
def _peppol_sniffer() -> Callable[[bytes], str | None] | None:
    try:
        from peppol.parse import sniff_xml
    except Exception:  # any import problem means: use the local sniffer
        return None
    return sniff_xml


def _local_xml_kind(data: bytes) -> str | None:
    try:
        events = etree.iterparse(
            io.BytesIO(data),
            events=("start",),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
        )
        for _event, element in events:
            if element.getroottree().docinfo.internalDTD is not None:
                return None
            return _LOCAL_KINDS.get(str(element.tag))
    except (etree.LxmlError, ValueError, LookupError):
        return None
    return None


_INVOICE_ROOTS = {
    "Invoice": "ubl-invoice",
    "CreditNote": "ubl-creditnote",
    "CrossIndustryInvoice": "cii",
    "CrossIndustryDocument": "cii",
}


def doctype_invoice_kind(data: bytes) -> str | None:
    """The e-invoice kind of an XML document that declares a DOCTYPE (root element
    name and namespace as for :func:`xml_kind`), else None.  The DTD is neither
    loaded nor expanded: only the first start tag is read."""
    try:
        events = etree.iterparse(
            io.BytesIO(data),
            events=("start",),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
        )
        for _event, element in events:
            info = element.getroottree().docinfo
            if info.internalDTD is None and not info.doctype:
                return None
            tag = str(element.tag)
            kind = _LOCAL_KINDS.get(tag)
            if kind is None and "}" not in tag:
                kind = _INVOICE_ROOTS.get(tag)  # no namespace: still looks like one
            return kind
    except (etree.LxmlError, ValueError, LookupError):
        return None
    return None


def xml_kind(data: bytes) -> str | None:
    """``ubl-invoice``, ``ubl-creditnote``, ``cii`` or None (other XML, DTD, not XML)."""
    sniffer = _peppol_sniffer()
    if sniffer is not None:
        try:
            return sniffer(data)
        except Exception:  # a foreign sniffer bug must not break splitting
            log.warning("peppol.sniff_xml failed; using the local root sniff", exc_info=True)
    return _local_xml_kind(data)


_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if _heif_registered:
        return
    _heif_registered = True
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except Exception:  # HEIC sizes are then unknown, not fatal
        log.info("pillow-heif unavailable: HEIC image sizes are not read")


_BOMB_PIXELS = re.compile(r"\((\d+) pixels\)")


def image_pixels(data: bytes) -> int | None:
    """Pixels of the image from its header, also for images Pillow refuses as a
    decompression bomb (the count is in its refusal), or None when unreadable."""
    from PIL import Image

    size = image_size(data)
    if size is not None:
        return size[0] * size[1]
    if sniff(data) == HEIC:
        _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Image.open(io.BytesIO(data)).close()
    except Image.DecompressionBombError as exc:
        found = _BOMB_PIXELS.search(str(exc))
        return int(found.group(1)) if found else None
    except Exception:  # damaged header
        return None
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from the image header only, or None when unreadable
    (or refused by Pillow as a decompression bomb: see :func:`image_pixels`)."""
    from PIL import Image

    if sniff(data) == HEIC:
        _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except Exception:  # Pillow raises many types for damaged headers
        return None
    if width <= 0 or height <= 0:
        return None
    return int(width), int(height)
