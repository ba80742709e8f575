"""Server-side page rendering for the review UI.

PDFs are rasterised with pypdfium2, images (PNG, JPEG, TIFF, HEIC, WebP) are
opened with Pillow and turned upright by their EXIF orientation, so the
bounding boxes the extractors report (fractions of the page, origin top
left) land on the same spot of the returned PNG.  Everything is bounded by
:class:`RenderLimits`: bytes in, pages, pixels per page.  Bad input raises
:class:`RenderError` with a reason, never a crash of the caller.
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

__all__ = [
    "PageImage",
    "RenderError",
    "RenderLimits",
    "draw_box",
    "isolated_render_page",
    "isolated_render_pages",
    "render_page",
    "render_pages",
    "renderable",
]

PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})


class RenderError(Exception):
    """The document cannot be shown as page images."""


@dataclass(frozen=True, slots=True)
class RenderLimits:
    max_bytes: int = 60_000_000
    max_pages: int = 12
    #: longest side of a returned page image, in pixels
    max_side: int = 1800
    #: decoded pixels of a source image before it is scaled down
    max_source_pixels: int = 80_000_000
    min_dpi: int = 36
    max_dpi: int = 200


@dataclass(frozen=True, slots=True)
class PageImage:
    """One page as PNG bytes; ``page`` counts from 1, ``page_count`` is the document's."""

    png: bytes
    width: int
    height: int
    page: int
    page_count: int


def render_pages(
    data: bytes,
    content_type: str,
    *,
    dpi: int = 110,
    limits: RenderLimits = RenderLimits(),
) -> tuple[PageImage, ...]:
    """The first ``limits.max_pages`` pages of a PDF or image as PNGs."""
    images, count = _pil_pages(data, content_type, dpi, limits, range(limits.max_pages))
    return tuple(
        PageImage(_png(im), im.width, im.height, n + 1, count) for n, im in enumerate(images)
    )


def render_page(
    data: bytes,
    content_type: str,
    *,
    page: int = 1,
    dpi: int = 110,
    box: tuple[float, float, float, float] | None = None,
    limits: RenderLimits = RenderLimits(),
) -> PageImage:
    """Page ``page`` (from 1, clamped to the pages there are) with ``box`` drawn on it.

    One page and one PNG encoding: the cheap call for a viewer showing a page
    at a time.
    """
    wanted = max(1, min(int(page), limits.max_pages))
    images, count = _pil_pages(data, content_type, dpi, limits, range(wanted - 1, wanted))
    if not images and count == 0:
        raise RenderError("the document has no pages")
    if not images:  # fewer pages than asked: the last one
        last = min(count, limits.max_pages)
        images, count = _pil_pages(data, content_type, dpi, limits, range(last - 1, last))
        wanted = last
    image = images[0]
    if box is not None:
        _draw(image, box)
    return PageImage(_png(image), image.width, image.height, wanted, count)


def _pil_pages(
    data: bytes, content_type: str, dpi: int, limits: RenderLimits, pages: range
) -> tuple[list[Any], int]:
    """RGB images of the page indexes in ``pages`` (within the limits), and the page count."""
    if len(data) > limits.max_bytes:
        raise RenderError(f"file of {len(data):,} bytes is over the {limits.max_bytes:,} limit")
    dpi = max(limits.min_dpi, min(limits.max_dpi, int(dpi)))
    pages = range(max(0, pages.start), min(pages.stop, limits.max_pages))
    if content_type in PDF_TYPES or data[:5] == b"%PDF-":
        _check_streams(data, limits)
        return _render_pdf(data, dpi, limits, pages)
    if content_type.startswith("image/"):
        return _render_image(data, limits, pages)
    raise RenderError(f"{content_type} has no pages to show")


def _check_streams(data: bytes, limits: RenderLimits) -> None:
    from extractors.errors import LimitExceeded
    from extractors.limits import ExtractLimits
    from extractors.pdfguard import check_pdf_streams

    try:
        check_pdf_streams(data, ExtractLimits(max_pixels=limits.max_source_pixels))
    except LimitExceeded as exc:
        raise RenderError(str(exc)) from None


def isolated_render_pages(
    data: bytes,
    content_type: str,
    *,
    dpi: int = 110,
    memory_mb: int = 1024,
    cpu_seconds: int = 60,
) -> tuple[PageImage, ...]:
    """:func:`render_pages` in a limited child process (never decode untrusted bytes here)."""
    return _isolated(_render_pages_args, (data, content_type, dpi), memory_mb, cpu_seconds)


def _render_pages_args(data: bytes, content_type: str, dpi: int) -> tuple[PageImage, ...]:
    return render_pages(data, content_type, dpi=dpi)  # dpi is keyword-only there


def isolated_render_page(
    data: bytes,
    content_type: str,
    *,
    page: int = 1,
    dpi: int = 110,
    box: tuple[float, float, float, float] | None = None,
    memory_mb: int = 1024,
    cpu_seconds: int = 60,
) -> PageImage:
    """:func:`render_page` in a limited child process."""
    return _isolated(
        _render_page_args, (data, content_type, page, dpi, box), memory_mb, cpu_seconds
    )


def _render_page_args(
    data: bytes,
    content_type: str,
    page: int,
    dpi: int,
    box: tuple[float, float, float, float] | None,
) -> PageImage:
    return render_page(data, content_type, page=page, dpi=dpi, box=box)


def _isolated(fn: Any, args: tuple[Any, ...], memory_mb: int, cpu_seconds: int) -> Any:
    from pipeline import sandbox

    limits = sandbox.SandboxLimits(
        memory_mb=memory_mb, cpu_seconds=cpu_seconds, wall_seconds=cpu_seconds * 2.0
    )
    try:
        return sandbox.run(fn, *args, limits=limits, reuse=True)
    except sandbox.SandboxError as exc:
        raise RenderError(str(exc)) from None


def _png(image: object) -> bytes:
    buf = io.BytesIO()
    # level 1: a third faster than the default for a few % more bytes
    image.save(buf, format="PNG", compress_level=1)  # type: ignore[attr-defined]
    return buf.getvalue()


def _fit(image: object, max_side: int) -> object:
    from PIL import Image

    assert isinstance(image, Image.Image)
    if max(image.size) <= max_side:
        return image
    scale = max_side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _render_pdf(data: bytes, dpi: int, limits: RenderLimits, pages: range) -> tuple[list[Any], int]:
    from extractors.pdfium_lock import PDFIUM_LOCK

    with PDFIUM_LOCK:
        return _render_pdf_locked(data, dpi, limits, pages)


def _render_pdf_locked(
    data: bytes, dpi: int, limits: RenderLimits, pages: range
) -> tuple[list[Any], int]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise RenderError(f"unreadable PDF: {exc}") from exc
    try:
        count = len(pdf)
        scanned = _scanned_pages(data, pdf, pages)
        out = []
        for index in range(pages.start, min(count, pages.stop)):
            page = pdf[index]
            try:
                image = _scan_as_ocr_reads(page, index + 1, limits) if index in scanned else None
                if image is None:
                    width_pt, height_pt = page.get_size()
                    # never rasterise more than max_side pixels on the long side
                    scale = min(dpi / 72, limits.max_side / max(1.0, width_pt, height_pt))
                    bitmap = page.render(scale=scale)
                    image = bitmap.to_pil().convert("RGB")
            except pdfium.PdfiumError as exc:
                raise RenderError(f"page {index + 1} cannot be rendered: {exc}") from exc
            finally:
                page.close()
            out.append(_fit(image, limits.max_side))
        return out, count
    finally:
        pdf.close()


def _scanned_pages(data: bytes, pdf: Any, pages: range) -> frozenset[int]:
    """Indexes (from 0) in ``pages`` of PDF pages without a usable text layer: the OCR read
    those, so they are shown as it read them (straightened), like photos."""
    from extractors.errors import ExtractionError
    from extractors.textlayer import has_usable_text, read_text_layer

    try:
        read = read_text_layer(data, pdf=pdf)
    except ExtractionError:  # over the page limit, unreadable: shown as rendered
        return frozenset()
    return frozenset(p.number - 1 for p in read if p.number - 1 in pages and not has_usable_text(p))


def _scan_as_ocr_reads(page: Any, number: int, limits: RenderLimits) -> Any | None:
    """A scanned PDF page as the OCR read it (same image, dpi, deskew and cut-out), or None."""
    from extractors.errors import ExtractionError
    from extractors.limits import ExtractLimits
    from extractors.ocr_source import pdf_page_ocr_view

    try:
        view = pdf_page_ocr_view(page, number, ExtractLimits())  # the limits the OCR read with
        return view.convert("RGB")
    except (ExtractionError, OSError, ValueError, MemoryError) as exc:
        log.info("page %d shown unstraightened: %s", number, exc)
        return None


def _register_heif() -> None:
    try:
        from pillow_heif import register_heif_opener
    except ImportError:  # pragma: no cover - a dependency
        return
    register_heif_opener()


def _render_image(data: bytes, limits: RenderLimits, pages: range) -> tuple[list[Any], int]:
    from PIL import Image, ImageOps, UnidentifiedImageError

    _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
        with img:
            if img.width * img.height > limits.max_source_pixels:
                raise RenderError(
                    f"image of {img.width}x{img.height} pixels is over the "
                    f"{limits.max_source_pixels:,} pixel limit"
                )
            count = int(getattr(img, "n_frames", 1))
            out = []
            for index in range(pages.start, min(count, pages.stop)):
                img.seek(index)
                upright = ImageOps.exif_transpose(img) or img
                out.append(_fit(_as_ocr_reads(img, upright, limits), limits.max_side))
            return out, count
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise RenderError(f"image is over the pixel limit: {exc}") from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise RenderError(f"unreadable image: {exc}") from exc


def _as_ocr_reads(img: Any, upright: Any, limits: RenderLimits) -> Any:
    """A photo or scan as the OCR read it (same deskew and cut-out), so its boxes fit.

    Falls back to the image as it is when the preparation cannot run on it.
    """
    from extractors.ocr_source import ocr_view

    try:
        return ocr_view(img, upright, limits.max_source_pixels).convert("RGB")
    except (OSError, ValueError, MemoryError) as exc:
        log.info("page shown unstraightened: %s", exc)
        return upright.convert("RGB")


def draw_box(
    png: bytes,
    bbox: tuple[float, float, float, float],
    *,
    colour: tuple[int, int, int] = (230, 40, 40),
    pad: float = 0.004,
) -> bytes:
    """The page with ``bbox`` (fractions, origin top left) outlined and tinted."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as src:
        page = src.convert("RGB")
    _draw(page, bbox, colour=colour, pad=pad)
    return _png(page)


def _draw(
    page: Any,
    bbox: tuple[float, float, float, float],
    *,
    colour: tuple[int, int, int] = (230, 40, 40),
    pad: float = 0.004,
) -> None:
    """Tint and outline ``bbox`` (page fractions) on the RGB image, in place."""
    from PIL import Image, ImageDraw

    x0, y0, x1, y1 = (min(1.0, max(0.0, float(v))) for v in bbox)
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    w, h = page.size
    box = (
        max(0, round((x0 - pad) * w)),
        max(0, round((y0 - pad) * h)),
        min(w, max(1, round((x1 + pad) * w))),
        min(h, max(1, round((y1 + pad) * h))),
    )
    if box[2] > box[0] and box[3] > box[1]:  # tint only the box: the page stays as it is
        region = page.crop(box)
        page.paste(Image.blend(region, Image.new("RGB", region.size, colour), 0.2), box[:2])
    ImageDraw.Draw(page).rectangle(box, outline=colour, width=max(2, w // 400))


def renderable(content_type: str) -> bool:
    """True when :func:`render_pages` can show this type."""
    return content_type in PDF_TYPES or content_type.startswith("image/")
