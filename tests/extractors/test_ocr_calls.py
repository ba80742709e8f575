"""tesseract runs once per page of an upright, readable corpus scan or photo: no
orientation (OSD) pass and no retry (the CPU floor of issue 18 is one run per page)."""

from __future__ import annotations

from pathlib import Path

import pytest

import extractors.ocr as ocr
from extractors.limits import ExtractLimits

LIMITS = ExtractLimits(ocr_page_timeout_s=300.0)  # a loaded CI machine: about reads, not time

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("name", "content_type", "pages"),
    [
        ("oca_akretion_france_photo.jpg", "image/jpeg", 1),
        ("zc_EN16931_Einfach_scan.pdf", "application/pdf", 2),
    ],
)
def test_tesseract_runs_once_per_page(
    corpus_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    content_type: str,
    pages: int,
) -> None:
    psms: list[str] = []  # every tesseract run, through the program or the library
    program, library = ocr._tesseract, ocr._recognise

    def counting(args: list[str], job: ocr._PageJob) -> str:
        psms.append(args[args.index("--psm") + 1] if "--psm" in args else "osd")
        return program(args, job)

    def counting_library(image: object, dpi: int, job: ocr._PageJob, psm: str) -> str:
        psms.append(psm)
        return library(image, dpi, job, psm)  # type: ignore[arg-type]

    monkeypatch.setattr(ocr, "_tesseract", counting)
    monkeypatch.setattr(ocr, "_recognise", counting_library)
    read = ocr.ocr_pages((corpus_dir / "scanned" / name).read_bytes(), content_type, LIMITS)
    assert [p.number for p in read] == list(range(1, pages + 1))
    assert all(p.words for p in read)
    assert psms == ["3"] * pages
