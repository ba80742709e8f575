"""OCR of scanned PDF pages and images with the tesseract command line.

Measured design (see docs/field-notes "PDF and OCR extraction"): one
tesseract process per page with ``OMP_THREAD_LIMIT=1``, pages in parallel up
to ``limits.ocr_workers``; the page image is handed over as a file (an
uncompressed PGM in a private temporary directory, the cheapest format to
write and read); word boxes and confidences come from the ``tsv`` output.
Every tesseract call has a hard timeout: dramatiq's time limit cannot
interrupt a subprocess, so a stuck page must end here, with a clear error.

Coordinates are fractions (0..1, origin top-left) of the *prepared* page:
for a scan that is the page itself (straightened); for a photo it is the
paper, cut out of the photo and rectified.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Generator, Sequence
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from extractors import tess
from extractors.errors import LimitExceeded, OcrFailed, UnsupportedContent
from extractors.imaging import PreparedImage, prepare
from extractors.limits import ExtractLimits
from extractors.ocr_source import IMAGE_TYPES, SourcePage, iter_image_pages, iter_pdf_pages
from extractors.words import PageText, TextSource, Word

__all__ = ["OcrTimeout", "ocr_pages", "ocr_region"]

log = logging.getLogger(__name__)

TESSERACT = "tesseract"
# A page whose words are mostly this unsure may be upside down: ask OSD.
_GOOD_WORD = 0.70
_POOR_PAGE_SHARE = 0.45
_OSD_MIN_CONFIDENCE = 1.5
_ROTATE_RE = re.compile(r"^Rotate:\s*(\d+)", re.MULTILINE)
_OSD_CONF_RE = re.compile(r"^Orientation confidence:\s*([\d.]+)", re.MULTILINE)


class OcrTimeout(OcrFailed, LimitExceeded):
    """A page was not read within ``ocr_page_timeout_s`` (preparation and every
    tesseract call of the page together)."""


@dataclass(frozen=True, slots=True)
class _PageJob:
    number: int
    limits: ExtractLimits
    tmp: Path
    deadline: float  # time.monotonic() by which the page must be read

    def timed_out(self) -> OcrTimeout:
        return OcrTimeout(
            f"page {self.number}: OCR took longer than {self.limits.ocr_page_timeout_s:g} s"
        )

    def time_left(self) -> float:
        """Seconds left for this page; raises :class:`OcrTimeout` when none are."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise self.timed_out()
        return remaining


def ocr_pages(
    data: bytes,
    content_type: str,
    limits: ExtractLimits,
    *,
    pages: Sequence[int] | None = None,
) -> tuple[PageText, ...]:
    """OCR image-only PDF pages (1-based ``pages``, None: all) or an image file.

    Raises :class:`~extractors.errors.LimitExceeded` (bytes, pages, pixels,
    :class:`OcrTimeout`), :class:`~extractors.errors.UnsupportedContent`,
    :class:`~extractors.errors.DamagedDocument` or
    :class:`~extractors.errors.OcrFailed`.
    """
    if len(data) > limits.max_bytes:
        raise LimitExceeded(f"{len(data):,} bytes, over the limit of {limits.max_bytes:,}")
    source = _source_pages(data, content_type, limits, pages)
    with tempfile.TemporaryDirectory(prefix="boekbox-ocr-") as tmp:
        return _run_pool(source, limits, Path(tmp))


def ocr_region(
    image: Image.Image, limits: ExtractLimits, dpi: float = 300.0, languages: str = "eng"
) -> PageText:
    """The words of a small image region (a logo) as it is: no page detection, deskew or
    flattening, which are made for whole pages and mistake a logo's coloured block for
    a photographed sheet.  One language by default: a name needs no dictionary, and
    loading four models costs more than reading a logo.  Raises
    :class:`LimitExceeded` over ``max_pixels``."""
    if image.width * image.height > limits.max_pixels:
        raise LimitExceeded(f"image region of {image.width}x{image.height} pixels is too large")
    gray = _without_solid_bars(image if image.mode == "L" else image.convert("L"))
    gray = ImageOps.expand(gray, border=max(8, gray.height // 6), fill=255)
    with tempfile.TemporaryDirectory(prefix="boekbox-ocr-") as tmp:
        own = dataclasses.replace(limits, ocr_languages=languages)
        job = _PageJob(1, own, Path(tmp), time.monotonic() + limits.ocr_page_timeout_s)
        words = _tesseract_words(gray, dpi, job, psm="6")
    return PageText(1, gray.width * 72 / dpi, gray.height * 72 / dpi, tuple(words), TextSource.OCR)


def _without_solid_bars(gray: Image.Image) -> Image.Image:
    """Columns and rows that are mostly ink (a logo's coloured block, a rule) painted
    white: text never fills 70 % of a column of its own line, and tesseract reads the
    letters next to a block as part of it."""
    import numpy as np

    arr = np.asarray(gray, dtype=np.uint8)
    if arr.size == 0:
        return gray
    ink = arr < min(200, int(arr.mean()))
    cols = ink.mean(axis=0) > 0.7
    rows = ink.mean(axis=1) > 0.7
    if not cols.any() and not rows.any():
        return gray
    out = arr.copy()
    out[:, cols] = 255
    out[rows, :] = 255
    return Image.fromarray(out, mode="L")


def _source_pages(
    data: bytes, content_type: str, limits: ExtractLimits, pages: Sequence[int] | None
) -> Generator[SourcePage, None, None]:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/pdf":
        return iter_pdf_pages(data, limits, pages)
    if kind in IMAGE_TYPES:
        return iter_image_pages(data, limits, pages)
    raise UnsupportedContent(f"cannot OCR content of type {content_type!r}")


def _run_pool(
    source: Generator[SourcePage, None, None], limits: ExtractLimits, tmp: Path
) -> tuple[PageText, ...]:
    """OCR pages in parallel, decoding at most ``workers`` pages ahead (bounded memory).

    The source (pdfium, not thread-safe) is only touched from this thread.
    """
    workers = max(1, limits.ocr_workers)
    results: list[PageText] = []
    pending: set[Future[PageText]] = set()
    with closing(source), ThreadPoolExecutor(workers, thread_name_prefix="ocr") as pool:
        try:
            for page in source:
                pending.add(pool.submit(_ocr_page, page, limits, tmp))
                if len(pending) >= workers:
                    pending = _collect(pending, results, FIRST_COMPLETED)
            _collect(pending, results, None)
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return tuple(sorted(results, key=lambda p: p.number))


def _collect(
    pending: set[Future[PageText]], results: list[PageText], until: str | None
) -> set[Future[PageText]]:
    done, rest = wait(pending, return_when=until or ALL_COMPLETED)
    for future in done:
        results.append(future.result())  # re-raises the page's error
    return rest


def _ocr_page(page: SourcePage, limits: ExtractLimits, tmp: Path) -> PageText:
    job = _PageJob(page.number, limits, tmp, time.monotonic() + limits.ocr_page_timeout_s)
    prepared = prepare(page.image, page.dpi, dpi_known=page.dpi_known, max_pixels=limits.max_pixels)
    image, dpi = prepared.image, prepared.dpi
    if prepared.blank:
        return PageText(page.number, page.width_pt, page.height_pt, (), TextSource.OCR)
    words = _tesseract_words(image, dpi, job)
    if _looks_poor(words):
        turn = _osd_rotation(image, dpi, job)
        if turn:
            turned = image.rotate(-turn, expand=True)
            retry = _tesseract_words(turned, dpi, job)
            if _good_words(retry) > _good_words(words):
                log.info("page %d: turned %d degrees after OSD", page.number, turn)
                image, words = turned, retry
    width_pt, height_pt = _page_size(page, prepared, image)
    return PageText(page.number, width_pt, height_pt, tuple(words), TextSource.OCR)


def _page_size(
    page: SourcePage, prepared: PreparedImage, image: Image.Image
) -> tuple[float, float]:
    if not prepared.rectified and image.size == prepared.image.size and not prepared.quarter_turns:
        return page.width_pt, page.height_pt
    return image.width / prepared.dpi * 72.0, image.height / prepared.dpi * 72.0


def _good_words(words: Sequence[Word]) -> int:
    return sum(1 for w in words if w.confidence >= _GOOD_WORD)


def _looks_poor(words: Sequence[Word]) -> bool:
    return not words or _good_words(words) < _POOR_PAGE_SHARE * len(words)


# -- tesseract ------------------------------------------------------------------


def _tesseract(args: list[str], job: _PageJob) -> str:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    number = job.number
    try:
        done = subprocess.run(
            [TESSERACT, *args], capture_output=True, env=env, timeout=job.time_left(), check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise job.timed_out() from exc
    except FileNotFoundError as exc:
        raise OcrFailed("the tesseract program is not installed") from exc
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip()[-300:]
        raise OcrFailed(f"page {number}: tesseract failed ({done.returncode}): {tail}")
    return done.stdout.decode("utf-8", "replace")


def _write(image: Image.Image, tmp: Path, name: str) -> Path:
    path = tmp / f"{name}.pgm"
    image.save(path, format="PPM")
    return path


def _recognise(image: Image.Image, dpi: int, job: _PageJob, psm: str) -> str:
    """tesseract's TSV of a page through the library (:mod:`extractors.tess`)."""
    remaining = job.time_left()
    try:
        return tess.read_tsv(image, job.limits.ocr_languages, dpi, int(psm), remaining)
    except TimeoutError as exc:
        raise job.timed_out() from exc
    except tess.TessUnavailable as exc:
        raise OcrFailed(str(exc)) from exc
    except RuntimeError as exc:
        raise OcrFailed(f"page {job.number}: tesseract failed: {exc}") from exc


def _tesseract_words(image: Image.Image, dpi: float, job: _PageJob, psm: str = "3") -> list[Word]:
    if tess.available():  # the library built by scripts/build_ocr_engine.sh
        tsv = _recognise(image, round(dpi), job, psm)
        return parse_tsv(tsv, job.number, image.width, image.height)
    path = _write(image, job.tmp, f"page-{job.number}")
    # The resolution matters to tesseract's layout analysis: on the corpus, leaving it
    # to tesseract's estimate lost amounts on photos, and a 1.9 degree skewed table
    # vanished with --dpi unless deskewed (hence _MIN_DESKEW in imaging).
    args = [str(path), "stdout", "-l", job.limits.ocr_languages, "--dpi", str(round(dpi))]
    try:
        tsv = _tesseract([*args, "--psm", psm, "tsv"], job)
    finally:
        path.unlink(missing_ok=True)
    return parse_tsv(tsv, job.number, image.width, image.height)


def parse_tsv(tsv: str, number: int, width: int, height: int) -> list[Word]:
    """Words of tesseract's tsv output as page fractions, confidence 0..1."""
    words: list[Word] = []
    for line in tsv.splitlines():  # the program's header row is not a word (level 5)
        cols = line.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        text = cols[11].strip()
        if not text:
            continue
        left, top, w, h = (int(c) for c in cols[6:10])
        conf = max(0.0, min(1.0, float(cols[10]) / 100.0))
        words.append(
            Word(
                text=text,
                page=number,
                x0=left / width,
                y0=top / height,
                x1=min(1.0, (left + w) / width),
                y1=min(1.0, (top + h) / height),
                confidence=conf,
            )
        )
    return words


def _osd_rotation(image: Image.Image, dpi: float, job: _PageJob) -> int:
    """Clockwise degrees that make the page upright, by tesseract's OSD (0 if unsure)."""
    half = image.reduce(2)
    if tess.available():
        try:
            found = tess.osd(half, max(1, round(dpi / 2)))
        except (tess.TessUnavailable, RuntimeError) as exc:
            log.info("page %d: orientation not detected: %s", job.number, exc)
            return 0
        if found is None or found.confidence < _OSD_MIN_CONFIDENCE:
            return 0
        return found.rotate
    path = _write(half, job.tmp, f"osd-{job.number}")
    try:
        out = _tesseract([str(path), "stdout", "--psm", "0"], job)
    except OcrFailed as exc:  # OSD finds too few characters on sparse pages
        if isinstance(exc, OcrTimeout):
            raise
        log.info("page %d: orientation not detected: %s", job.number, exc)
        return 0
    finally:
        path.unlink(missing_ok=True)
    rotate, conf = _ROTATE_RE.search(out), _OSD_CONF_RE.search(out)
    if rotate is None or conf is None or float(conf.group(1)) < _OSD_MIN_CONFIDENCE:
        return 0
    return int(rotate.group(1)) % 360
