"""Page images for OCR: scanned PDF pages and image files, within limits.

A scanned PDF page is usually one full-page image: its embedded bytes are
taken as they are (a JPEG decodes in milliseconds) instead of rendering the
page.  Anything else is rendered in memory by pypdfium2 at ``ocr_dpi``.
Pixel counts are checked from the headers, before any pixel is decoded.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Generator, Sequence
from dataclasses import dataclass

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageOps, UnidentifiedImageError

from extractors.errors import DamagedDocument, LimitExceeded, UnsupportedContent
from extractors.limits import ExtractLimits

__all__ = [
    "IMAGE_TYPES",
    "SourcePage",
    "frame_dpi",
    "iter_image_pages",
    "iter_pdf_pages",
    "ocr_view",
    "page_count",
]

log = logging.getLogger(__name__)

IMAGE_TYPES = frozenset(
    {
        "image/jpeg",
        "image/jpg",
        "image/png",
        "image/tiff",
        "image/heic",
        "image/heif",
        "image/webp",
        "image/gif",
        "image/bmp",
    }
)
# An image object covering this share of the page is "the page".
_FULL_PAGE = 0.90
# Photos and image files carry no trustworthy resolution: assume a page this wide.
_ASSUMED_PAGE_WIDTH_IN = 8.27


@dataclass(frozen=True, slots=True)
class SourcePage:
    """One page image before preparation.

    ``dpi`` is the pixels per inch of the page as known (PDF) or assumed
    (image files: ``dpi_known`` is False, the preparation re-estimates it).
    """

    number: int
    image: Image.Image
    dpi: float
    dpi_known: bool
    width_pt: float
    height_pt: float


def check_pixels(width: int, height: int, limits: ExtractLimits, what: str) -> None:
    if width <= 0 or height <= 0:
        raise DamagedDocument(f"{what}: empty image ({width}x{height})")
    if width * height > limits.max_pixels:
        raise LimitExceeded(
            f"{what}: {width}x{height} = {width * height:,} pixels, "
            f"over the pixel limit of {limits.max_pixels:,}"
        )


def _open_pdf(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise DamagedDocument(f"unreadable PDF: {exc}") from exc


def page_count(data: bytes) -> int:
    pdf = _open_pdf(data)
    try:
        return len(pdf)
    finally:
        pdf.close()


def _wanted(total: int, pages: Sequence[int] | None, limits: ExtractLimits) -> list[int]:
    wanted = list(range(1, total + 1)) if pages is None else sorted(set(pages))
    bad = [n for n in wanted if not 1 <= n <= total]
    if bad:
        raise ValueError(f"page numbers {bad} outside 1..{total}")
    if len(wanted) > limits.max_pages:
        raise LimitExceeded(f"{len(wanted)} pages to OCR, over the limit of {limits.max_pages}")
    return wanted


def iter_pdf_pages(
    data: bytes, limits: ExtractLimits, pages: Sequence[int] | None = None
) -> Generator[SourcePage, None, None]:
    """Yield the page images of the requested 1-based ``pages`` (None: all)."""
    pdf = _open_pdf(data)
    try:
        for number in _wanted(len(pdf), pages, limits):
            page = pdf[number - 1]
            try:
                yield _pdf_page_image(page, number, limits)
            finally:
                page.close()
    finally:
        pdf.close()


def _pdf_page_image(page: pdfium.PdfPage, number: int, limits: ExtractLimits) -> SourcePage:
    width_pt, height_pt = page.get_size()
    if width_pt <= 0 or height_pt <= 0:
        raise DamagedDocument(f"page {number}: empty page box")
    embedded = _full_page_image(page, number, width_pt, height_pt, limits)
    if embedded is not None:
        return embedded
    scale = limits.ocr_dpi / 72.0
    # A huge page box is rendered at a lower resolution rather than refused.
    max_scale = (limits.max_pixels / (width_pt * height_pt)) ** 0.5
    scale = min(scale, max_scale)
    bitmap = page.render(scale=scale, grayscale=True)
    image = bitmap.to_pil().convert("L")
    return SourcePage(number, image, scale * 72.0, True, width_pt, height_pt)


def _full_page_image(
    page: pdfium.PdfPage, number: int, width_pt: float, height_pt: float, limits: ExtractLimits
) -> SourcePage | None:
    """The page's single image when it covers the page upright, else None."""
    if page.get_rotation() != 0:
        return None
    objects = list(page.get_objects(max_depth=1))
    if len(objects) != 1 or objects[0].type != pdfium_c.FPDF_PAGEOBJ_IMAGE:
        return None
    obj = objects[0]
    assert isinstance(obj, pdfium.PdfImage)
    m = obj.get_matrix()
    if m.b != 0 or m.c != 0 or m.a <= 0 or m.d <= 0:
        return None  # rotated or mirrored placement: let pdfium render it
    if m.a * m.d < _FULL_PAGE * width_pt * height_pt:
        return None
    px_w, px_h = obj.get_px_size()
    check_pixels(px_w, px_h, limits, f"page {number} image")
    image = _decode_image_object(obj, number)
    dpi = px_w / (m.a / 72.0)
    return SourcePage(number, image, dpi, True, width_pt, height_pt)


def _decode_image_object(obj: pdfium.PdfImage, number: int) -> Image.Image:
    try:
        if obj.get_filters() == ["DCTDecode"]:
            raw = bytes(obj.get_data(decode_simple=False))
            with Image.open(io.BytesIO(raw)) as jpeg:
                return _to_gray(jpeg)
        return _to_gray(obj.get_bitmap(render=False).to_pil())
    except (OSError, pdfium.PdfiumError, UnidentifiedImageError) as exc:
        raise DamagedDocument(f"page {number}: unreadable image: {exc}") from exc


def _to_gray(image: Image.Image) -> Image.Image:
    if image.mode == "L":
        image.load()
        return image
    if image.mode.startswith("I") or image.mode == "F":  # 16/32-bit scans: rescale, not clip
        values = np.asarray(image, dtype=np.float32)
        peak = float(values.max(initial=0.0))
        if peak > 255.0:
            values = values * (255.0 / peak)
        return Image.fromarray(values.clip(0, 255).astype(np.uint8), mode="L")
    if image.mode in ("P", "RGBA", "LA", "PA"):
        image = image.convert("RGBA")
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image)
    return image.convert("L")


def _register_heif() -> None:
    try:
        from pillow_heif import register_heif_opener
    except ImportError:  # pragma: no cover - dependency declared in pyproject
        log.warning("pillow-heif missing: HEIC images cannot be read")
        return
    register_heif_opener()


_register_heif()


def iter_image_pages(
    data: bytes, limits: ExtractLimits, pages: Sequence[int] | None = None
) -> Generator[SourcePage, None, None]:
    """Yield the frames of an image file (a TIFF may hold several pages)."""
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError as exc:
        raise UnsupportedContent("not an image format boekbox can read") from exc
    except Image.DecompressionBombError as exc:
        raise LimitExceeded(f"image over the pixel limit: {exc}") from exc
    except OSError as exc:
        raise DamagedDocument(f"unreadable image: {exc}") from exc
    with image:
        frames = getattr(image, "n_frames", 1)
        for number in _wanted(frames, pages, limits):
            yield _image_frame(image, number, limits)


def _image_frame(image: Image.Image, number: int, limits: ExtractLimits) -> SourcePage:
    try:
        image.seek(number - 1)
        check_pixels(image.width, image.height, limits, f"page {number} image")
        upright = ImageOps.exif_transpose(image) or image
        gray = _to_gray(upright)
    except (OSError, ValueError, SyntaxError) as exc:
        raise DamagedDocument(f"page {number}: unreadable image: {exc}") from exc
    dpi, known = frame_dpi(image, gray)
    return SourcePage(number, gray, dpi, known, gray.width / dpi * 72.0, gray.height / dpi * 72.0)


def frame_dpi(image: Image.Image, gray: Image.Image) -> tuple[float, bool]:
    """The resolution of an image frame: its stated dpi, else assumed A4 wide (not known)."""
    dpi_info = image.info.get("dpi") or (0, 0)
    try:
        stated = float(dpi_info[0])
    except (TypeError, ValueError, IndexError):
        stated = 0.0
    known = 100 <= stated <= 1200
    return (stated if known else gray.width / _ASSUMED_PAGE_WIDTH_IN), known


def ocr_view(image: Image.Image, upright: Image.Image, max_pixels: int) -> Image.Image:
    """The frame as the OCR reads it: gray, then straightened/cut out by ``imaging.prepare``.

    Word boxes of an OCR'd image are fractions of this picture, so the Review page
    shows it to draw them where the words are (a skewed photo included).
    """
    from extractors.imaging import prepare

    gray = _to_gray(upright)
    dpi, known = frame_dpi(image, gray)
    return prepare(gray, dpi, dpi_known=known, max_pixels=max_pixels).image


def pdf_page_ocr_view(page: pdfium.PdfPage, number: int, limits: ExtractLimits) -> Image.Image:
    """A scanned PDF page as the OCR reads it: the page image the OCR gets (the full-page
    scan, else the page rendered at ``limits.ocr_dpi``), straightened/cut out by
    ``imaging.prepare``.  Word boxes of an OCR'd PDF page are fractions of this picture.
    """
    from extractors.imaging import prepare

    source = _pdf_page_image(page, number, limits)
    return prepare(
        source.image, source.dpi, dpi_known=source.dpi_known, max_pixels=limits.max_pixels
    ).image
