"""Server-side page rendering: real PDFs and images in, capped PNG pages out."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from ui_world import CORPUS

from pipeline.render import (
    PageImage,
    RenderError,
    RenderLimits,
    draw_box,
    render_page,
    render_pages,
)


def _png(page: PageImage) -> Image.Image:
    image = Image.open(io.BytesIO(page.png))
    assert image.format == "PNG"
    assert image.size == (page.width, page.height)
    return image


def test_pdf_page_is_rendered_at_the_asked_resolution() -> None:
    data = (CORPUS / "pdf" / "i2d_AmazonWebServices.pdf").read_bytes()
    pages = render_pages(data, "application/pdf", dpi=72)
    assert [(p.page, p.page_count) for p in pages] == [(1, 1)]
    assert (pages[0].width, pages[0].height) == (612, 792)  # US letter at 72 dpi
    assert _png(pages[0]).getpixel((300, 780)) == (255, 255, 255)


def test_pages_and_pixels_are_capped() -> None:
    data = (CORPUS / "pdf" / "i2d_AmazonWebServices.pdf").read_bytes()
    limits = RenderLimits(max_side=400, max_dpi=600)
    (page,) = render_pages(data, "application/pdf", dpi=600, limits=limits)
    assert max(page.width, page.height) <= 400
    with pytest.raises(RenderError, match="over the 1,000 limit"):
        render_pages(data, "application/pdf", limits=RenderLimits(max_bytes=1000))


def test_image_is_turned_upright_by_its_exif_orientation() -> None:
    wide = Image.new("RGB", (300, 100), "white")
    exif = wide.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    buf = io.BytesIO()
    wide.save(buf, format="JPEG", exif=exif)
    (page,) = render_pages(buf.getvalue(), "image/jpeg")
    assert (page.width, page.height) == (100, 300)


def test_multi_frame_tiff_gives_one_page_per_frame() -> None:
    frames = [Image.new("L", (50, 70), shade) for shade in (0, 128, 255)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    pages = render_pages(buf.getvalue(), "image/tiff", limits=RenderLimits(max_pages=2))
    assert [(p.page, p.page_count) for p in pages] == [(1, 3), (2, 3)]
    assert _png(pages[1]).getpixel((10, 10)) == (128, 128, 128)


@pytest.mark.parametrize(
    ("data", "ctype", "reason"),
    [
        (b"%PDF-1.4\nnot a pdf", "application/pdf", "unreadable PDF"),
        (b"\x89PNG\r\n\x1a\nbroken", "image/png", "unreadable image"),
        (b"<Invoice/>", "application/xml", "has no pages to show"),
    ],
)
def test_bad_input_gives_a_reason(data: bytes, ctype: str, reason: str) -> None:
    with pytest.raises(RenderError, match=reason):
        render_pages(data, ctype)


def test_pixel_bomb_is_refused_before_decoding() -> None:
    buf = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(buf, format="PNG")
    with pytest.raises(RenderError, match="pixel limit"):
        render_pages(buf.getvalue(), "image/png")


def test_draw_box_marks_the_fraction_of_the_page() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (200, 100), "white").save(buf, format="PNG")
    out = Image.open(io.BytesIO(draw_box(buf.getvalue(), (0.5, 0.5, 0.75, 0.9))))
    assert out.size == (200, 100)
    assert out.getpixel((10, 10)) == (255, 255, 255)  # outside: untouched
    edge = out.getpixel((100, 70))  # the left edge of the box
    assert edge[0] > 200
    assert edge[1] < 100
    inside = out.getpixel((125, 70))  # tinted, not painted over
    assert inside[0] > 240
    assert 200 < inside[1] < 255


def test_render_page_gives_one_page_with_the_box_drawn() -> None:
    frames = [Image.new("RGB", (200, 100), "white") for _ in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    page = render_page(buf.getvalue(), "image/tiff", page=2, box=(0.5, 0.5, 0.75, 0.9))
    assert (page.page, page.page_count) == (2, 3)
    image = _png(page)
    assert image.getpixel((10, 10)) == (255, 255, 255)
    assert image.getpixel((100, 70))[1] < 100  # the box's left edge
    # past the last page (or the page cap): the last page that can be shown
    capped = render_page(buf.getvalue(), "image/tiff", page=9, limits=RenderLimits(max_pages=2))
    assert (capped.page, capped.page_count) == (2, 3)


def _skewed_page(angle: float) -> bytes:
    """A white A4-ish page with dark text rows, turned ``angle`` degrees (a crooked scan)."""
    from PIL import ImageDraw

    page = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(page)
    for row in range(30):
        y = 150 + row * 48
        for word in range(8):
            x = 120 + word * 125
            draw.rectangle((x, y, x + 95 - (row * word) % 30, y + 18), fill=20)
    turned = page.rotate(angle, fillcolor=255, resample=Image.Resampling.BICUBIC)
    buf = io.BytesIO()
    turned.save(buf, format="PNG", dpi=(150, 150))
    return buf.getvalue()


def test_a_skewed_scan_is_shown_straightened_as_the_ocr_reads_it() -> None:
    """Word boxes are fractions of the OCR's straightened picture: the page shown is that one."""
    from extractors.imaging import prepare
    from extractors.ocr_source import ocr_view

    data = _skewed_page(4.0)
    raw = Image.open(io.BytesIO(data))
    prepared = prepare(raw.convert("L"), 150.0, dpi_known=True)
    assert abs(prepared.skew_deg) >= 1.0  # the OCR straightens this page
    (page,) = render_pages(data, "image/png", limits=RenderLimits(max_side=4000))
    shown = _png(page).convert("L")
    straight = ocr_view(raw, raw, 60_000_000)
    assert shown.size == straight.size
    # the same picture: straightened, not the crooked original scaled up
    crooked = raw.convert("L").resize(shown.size)
    diff_straight = sum(
        abs(a - b) for a, b in zip(shown.getdata(), straight.getdata(), strict=True)
    )
    diff_crooked = sum(abs(a - b) for a, b in zip(shown.getdata(), crooked.getdata(), strict=True))
    assert diff_straight < diff_crooked / 10


def _skewed_scan_pdf(angle: float) -> bytes:
    """A one-page PDF holding only a crooked 200 dpi scan of a page with text on it."""
    import pypdfium2 as pdfium
    from PIL import ImageDraw, ImageFont

    page = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype("DejaVuSans.ttf", 38)
    rows = ["Factuurnummer F2026-0117", "Factuurdatum 14/03/2026", "Drukwerk folders A5"]
    for n, text in enumerate(rows):
        draw.text((160, 300 + n * 90), text, fill=0, font=font)
    draw.text((1000, 2000), "Totaal 484,00", fill=0, font=font)  # far from the middle
    scan = page.rotate(angle, fillcolor=255, resample=Image.Resampling.BICUBIC)
    pdf = pdfium.PdfDocument.new()
    try:
        width, height = 595.0, 842.0
        pdf_page = pdf.new_page(width, height)
        image = pdfium.PdfImage.new(pdf)
        image.set_bitmap(pdfium.PdfBitmap.from_pil(scan), pages=[pdf_page])
        image.set_matrix(pdfium.PdfMatrix().scale(width, height))
        pdf_page.insert_obj(image)
        pdf_page.gen_content()
        pdf_page.close()
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()
    finally:
        pdf.close()


def _ink(image: Image.Image, box: tuple[float, float, float, float]) -> float:
    """The share of dark pixels inside ``box`` (page fractions) of ``image``."""
    w, h = image.size
    crop = image.convert("L").crop(
        (round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h))
    )
    values = list(crop.getdata())
    return sum(v < 128 for v in values) / max(1, len(values))


def test_a_skewed_scanned_pdf_is_shown_as_the_ocr_read_it_so_boxes_land_on_words() -> None:
    """The OCR's word box of a value, drawn on the shown page, covers that value's ink."""
    import pypdfium2 as pdfium

    from extractors.api import read_pages

    data = _skewed_scan_pdf(4.0)
    (ocr,) = read_pages(data)
    word = next(w for w in ocr.words if "484" in w.text)
    box = (word.bbox.x0, word.bbox.y0, word.bbox.x1, word.bbox.y1)
    (page,) = render_pages(data, "application/pdf")
    shown = _png(page)
    doc = pdfium.PdfDocument(data)
    try:  # the page as PDFium draws it: still crooked
        crooked = doc[0].render(scale=shown.width / 595.0).to_pil().resize(shown.size)
    finally:
        doc.close()
    assert _ink(shown, box) > 0.12, _ink(shown, box)  # the box sits on the digits
    assert _ink(shown, box) > 3 * _ink(crooked, box)  # where the crooked page has none
