"""OCR limits and errors: every bad input gets a reason, quickly, never a hang."""

from __future__ import annotations

import io
import struct
import sys
import zlib
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from extractors.errors import (  # noqa: E402
    DamagedDocument,
    ExtractionError,
    LimitExceeded,
    OcrFailed,
    UnsupportedContent,
)
from extractors.limits import ExtractLimits  # noqa: E402
from extractors.ocr import OcrTimeout, ocr_pages, parse_tsv  # noqa: E402

SCANNED = ROOT / ".." / "shared" / "corpus" / "scanned"


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` pixels but carries almost no data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def blank_pdf(pages: int) -> bytes:
    pdf = pdfium.PdfDocument.new()
    for _ in range(pages):
        pdf.new_page(595, 842)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


# -- pixel bombs -------------------------------------------------------------------


def test_pixel_bomb_beyond_pillows_own_guard_is_refused() -> None:
    bomb = png_header_only(100_000, 100_000)  # 10 gigapixels in a 100-byte file

    with pytest.raises(LimitExceeded, match="pixel"):
        ocr_pages(bomb, "image/png", ExtractLimits())


def test_image_over_max_pixels_is_refused_before_decoding() -> None:
    # 5000 x 5000 declared but no pixel data: decoding would fail differently.
    data = png_header_only(5_000, 5_000)

    with pytest.raises(LimitExceeded, match="25,000,000 pixels"):
        ocr_pages(data, "image/png", ExtractLimits(max_pixels=20_000_000))


def test_scanned_pdf_page_image_over_max_pixels_is_refused() -> None:
    data = (SCANNED / "oca_efff_exact_be_scan.pdf").read_bytes()  # one 2481 x 3508 JPEG

    with pytest.raises(LimitExceeded, match="page 1 image"):
        ocr_pages(data, "application/pdf", ExtractLimits(max_pixels=5_000_000))


# -- pages and bytes ---------------------------------------------------------------


def test_too_many_pages_is_refused_before_any_ocr() -> None:
    with pytest.raises(LimitExceeded, match="60 pages"):
        ocr_pages(blank_pdf(60), "application/pdf", ExtractLimits(max_pages=50))


def test_page_limit_counts_only_the_requested_pages() -> None:
    # 60 blank pages, 2 asked for: within the limit, and blank pages give no words.
    pages = ocr_pages(blank_pdf(60), "application/pdf", ExtractLimits(max_pages=5), pages=[1, 2])

    assert [p.number for p in pages] == [1, 2]
    assert all(p.words == () for p in pages)


def blank_tiff(frames: int) -> bytes:
    out = io.BytesIO()
    images = [Image.new("L", (850, 1100), 255) for _ in range(frames)]
    images[0].save(out, format="TIFF", save_all=True, append_images=images[1:])
    return out.getvalue()


def test_multi_page_tiff_pages_are_counted_and_selected() -> None:
    with pytest.raises(LimitExceeded, match="3 pages"):
        ocr_pages(blank_tiff(3), "image/tiff", ExtractLimits(max_pages=2))

    pages = ocr_pages(blank_tiff(3), "image/tiff", ExtractLimits(max_pages=2), pages=[2, 3])

    assert [p.number for p in pages] == [2, 3]


def test_unknown_page_number_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match=r"outside 1\.\.3"):
        ocr_pages(blank_pdf(3), "application/pdf", ExtractLimits(), pages=[4])


def test_document_over_max_bytes_is_refused() -> None:
    data = (SCANNED / "oca_efff_exact_be_scan.pdf").read_bytes()

    with pytest.raises(LimitExceeded, match="bytes"):
        ocr_pages(data, "application/pdf", ExtractLimits(max_bytes=len(data) - 1))


# -- time ---------------------------------------------------------------------------


def test_tesseract_over_the_page_timeout_is_stopped_with_a_clear_error() -> None:
    data = (SCANNED / "zc_mustang_RE_20201121_508_scan.pdf").read_bytes()

    with pytest.raises(OcrTimeout, match=r"page 1: OCR took longer than 0\.2 s") as caught:
        ocr_pages(data, "application/pdf", ExtractLimits(ocr_page_timeout_s=0.2))

    # Callers may treat it as a limit or as an OCR failure.
    assert isinstance(caught.value, LimitExceeded)
    assert isinstance(caught.value, OcrFailed)


# -- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "content_type", "error"),
    [
        (b"%PDF-1.7 this is not really a pdf", "application/pdf", DamagedDocument),
        (b"GIF89a not an image boekbox reads", "image/png", UnsupportedContent),
        (b"<Invoice/>", "application/xml", UnsupportedContent),
        (png_header_only(400, 400)[:-20], "image/png", DamagedDocument),
    ],
    ids=["broken-pdf", "not-an-image", "xml", "truncated-png"],
)
def test_bad_input_gets_a_reason(data: bytes, content_type: str, error: type) -> None:
    with pytest.raises(error) as caught:
        ocr_pages(data, content_type, ExtractLimits())

    assert isinstance(caught.value, ExtractionError)
    assert str(caught.value)


def test_content_type_parameters_are_ignored() -> None:
    image = Image.new("L", (850, 1100), 255)
    out = io.BytesIO()
    image.save(out, format="PNG")

    (page,) = ocr_pages(out.getvalue(), "image/png; name=blank.png", ExtractLimits())

    assert page.words == ()


def test_sixteen_bit_scan_is_rescaled_not_clipped() -> None:
    from extractors.ocr_source import iter_image_pages

    deep = Image.new("I;16", (850, 1100), 65535)
    deep.paste(0, (100, 100, 700, 160))  # a black bar on white
    out = io.BytesIO()
    deep.save(out, format="PNG")

    (page,) = iter_image_pages(out.getvalue(), ExtractLimits())

    assert page.image.mode == "L"
    assert page.image.getpixel((10, 10)) == 255
    assert page.image.getpixel((400, 130)) == 0


# -- tsv parsing ---------------------------------------------------------------------

TSV = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
    "1\t1\t0\t0\t0\t0\t0\t0\t1000\t2000\t-1\t\n"
    "4\t1\t1\t1\t1\t0\t100\t200\t300\t40\t-1\t\n"
    "5\t1\t1\t1\t1\t1\t100\t200\t150\t40\t96.5\tFactuur\n"
    "5\t1\t1\t1\t1\t2\t260\t200\t140\t40\t12\t  \n"
    "5\t1\t1\t1\t1\t3\t900\t1990\t150\t40\t0\t37,51\n"
)


def test_tsv_words_become_page_fractions_with_confidences() -> None:
    first, last = parse_tsv(TSV, 3, 1000, 2000)

    assert (first.text, first.page) == ("Factuur", 3)
    assert (first.x0, first.y0, first.x1, first.y1) == (0.1, 0.1, 0.25, 0.12)
    assert first.confidence == pytest.approx(0.965)
    assert last.text == "37,51"
    assert (last.x1, last.y1) == (1.0, 1.0)  # clipped to the page
    assert last.confidence == 0.0
