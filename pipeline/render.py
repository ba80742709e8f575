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

log = logging.getLogger(__name__)

__all__ = [
    "PageImage",
    "RenderError",
    "RenderLimits",
    "draw_box",
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
    if len(data) > limits.max_bytes:
        raise RenderError(f"file of {len(data):,} bytes is over the {limits.max_bytes:,} limit")
    dpi = max(limits.min_dpi, min(limits.max_dpi, int(dpi)))
    if content_type in PDF_TYPES or data[:5] == b"%PDF-":
        return _render_pdf(data, dpi, limits)
    if content_type.startswith("image/"):
        return _render_image(data, limits)
    raise RenderError(f"{content_type} has no pages to show")


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


def _render_pdf(data: bytes, dpi: int, limits: RenderLimits) -> tuple[PageImage, ...]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise RenderError(f"unreadable PDF: {exc}") from exc
    try:
        count = len(pdf)
        out = []
        for index in range(min(count, limits.max_pages)):
            page = pdf[index]
            try:
                width_pt, height_pt = page.get_size()
                # never rasterise more than max_side pixels on the long side
                scale = min(dpi / 72, limits.max_side / max(1.0, width_pt, height_pt))
                bitmap = page.render(scale=scale)
                image = bitmap.to_pil().convert("RGB")
            except pdfium.PdfiumError as exc:
                raise RenderError(f"page {index + 1} cannot be rendered: {exc}") from exc
            finally:
                page.close()
            out.append(PageImage(_png(image), image.width, image.height, index + 1, count))
        return tuple(out)
    finally:
        pdf.close()


def _register_heif() -> None:
    try:
        from pillow_heif import register_heif_opener
    except ImportError:  # pragma: no cover - a dependency
        return
    register_heif_opener()


def _render_image(data: bytes, limits: RenderLimits) -> tuple[PageImage, ...]:
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
            frames = min(getattr(img, "n_frames", 1), limits.max_pages)
            count = getattr(img, "n_frames", 1)
            out = []
            for index in range(frames):
                img.seek(index)
                upright = ImageOps.exif_transpose(img) or img
                page = _fit(upright.convert("RGB"), limits.max_side)
                assert isinstance(page, Image.Image)
                out.append(PageImage(_png(page), page.width, page.height, index + 1, count))
            return tuple(out)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise RenderError(f"image is over the pixel limit: {exc}") from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise RenderError(f"unreadable image: {exc}") from exc


def draw_box(
    png: bytes,
    bbox: tuple[float, float, float, float],
    *,
    colour: tuple[int, int, int] = (230, 40, 40),
    pad: float = 0.004,
) -> bytes:
    """The page with ``bbox`` (fractions, origin top left) outlined and tinted."""
    from PIL import Image, ImageDraw

    with Image.open(io.BytesIO(png)) as src:
        page = src.convert("RGB")
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
    return _png(page)


def renderable(content_type: str) -> bool:
    """True when :func:`render_pages` can show this type."""
    return content_type in PDF_TYPES or content_type.startswith("image/")
