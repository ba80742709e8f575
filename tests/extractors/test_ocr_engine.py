"""The OCR engine library (scripts/build_ocr_engine.sh): no GPL code loaded, and it reads a
page exactly as the tesseract program does (both are tesseract 5.3.0 from Debian's
sources), orientation included.  `make install-test` builds it; without it, OCR runs
through the program and these tests are skipped with that reason."""

from __future__ import annotations

import time
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

import extractors.ocr as ocr
from extractors import tess
from extractors.limits import ExtractLimits

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not tess.available(), reason="the OCR engine library is not built (make install-test)"
    ),
]

LIMITS = ExtractLimits(ocr_page_timeout_s=300.0)


def _page(corpus_dir: Path) -> Image.Image:
    pdf = pdfium.PdfDocument(corpus_dir / "scanned" / "zc_mustang_RE_20201121_508_scan.pdf")
    try:
        return pdf[0].render(scale=300 / 72, grayscale=True).to_pil().convert("L")
    finally:
        pdf.close()


def test_the_library_reads_a_page_as_the_program_does(
    corpus_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    page = _page(corpus_dir)
    monkeypatch.setattr(tess, "available", lambda: False)
    job = ocr._PageJob(1, LIMITS, tmp_path, time.monotonic() + 300)
    by_program = [w.text for w in ocr._tesseract_words(page, 300.0, job)]
    monkeypatch.setattr(tess, "available", lambda: True)
    by_library = [w.text for w in ocr._tesseract_words(page, 300.0, job)]
    assert len(by_program) > 50
    assert by_library == by_program


@pytest.mark.parametrize("turned", [0, 90, 180, 270])
def test_orientation_matches_the_program(
    corpus_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, turned: int
) -> None:
    page = _page(corpus_dir).rotate(turned, expand=True)  # counter-clockwise
    job = ocr._PageJob(1, LIMITS, tmp_path, time.monotonic() + 300)
    monkeypatch.setattr(tess, "available", lambda: False)
    by_program = ocr._osd_rotation(page, 300.0, job)
    monkeypatch.setattr(tess, "available", lambda: True)
    by_library = ocr._osd_rotation(page, 300.0, job)
    assert by_library == by_program == turned


def test_no_libtiff_or_gpl_libjbig_is_loaded_by_the_engine(corpus_dir: Path) -> None:
    read = ocr.ocr_pages(
        (corpus_dir / "scanned" / "zc_mustang_RE_20201121_508_scan.pdf").read_bytes(),
        "application/pdf",
        LIMITS,
    )
    assert read[0].words
    maps = Path("/proc/self/maps").read_text()
    loaded = {line.split()[-1] for line in maps.splitlines() if ".so" in line}
    engine = [p for p in loaded if "libtesseract" in p or "libleptonica" in p]
    assert engine
    assert all("/ocr-engine/lib/" in p for p in engine), engine
    assert not [p for p in loaded if "jbig" in p], "a GPL libjbig is loaded"
    assert not [p for p in loaded if "libtiff" in p and "pillow.libs" not in p]


def test_preloaded_engines_serve_both_pages_of_a_document_read_at_once(
    corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fork server loads one engine per page thread; a child reading two pages at
    once then never loads the language models again (about 0.4 s of CPU each time)."""
    limits = ExtractLimits(ocr_page_timeout_s=300.0, ocr_workers=2)
    tess.preload(*[limits.ocr_languages] * limits.ocr_workers)
    loaded: list[str] = []
    real = tess._new

    def counting(languages: str) -> object:
        loaded.append(languages)
        return real(languages)

    monkeypatch.setattr(tess, "_new", counting)
    read = ocr.ocr_pages(
        (corpus_dir / "scanned" / "zc_EN16931_Einfach_scan.pdf").read_bytes(),
        "application/pdf",
        limits,
    )
    assert [p.number for p in read] == [1, 2]
    assert all(p.words for p in read)
    assert limits.ocr_languages not in loaded
