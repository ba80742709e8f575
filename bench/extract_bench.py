"""Benchmark: text-PDF extraction against its floor; OCR against tesseract's floor.

Run:  .venv/bin/python bench/extract_bench.py [--rounds N] [--per-doc] [--skip-ocr]

Text half (this file's ``text_rows``), per document of ../shared/corpus/pdf/ and
over the corpus, in ms per page:

* floor: pypdfium2 bare text with every character box (open, text page, every
  character's code and box) -- what any text-layer reader must pay;
* full: ``extract_document(data, options=ExtractOptions(no_embedded=True))``,
  i.e. boekbox's whole text-PDF extraction with the embedded XML ignored;
* ratio full / floor (target <= 3x).

Timings are best-of-rounds, floor and full interleaved, in one process.  Peak
memory: the process's peak resident set size after the half, and the largest
Python allocation peak (tracemalloc) of one extraction.

OCR half (``ocr_rows``): filled in by the OCR engine's benchmark.

Accuracy half (``--accuracy``, issue 15): documents of the layout generator
(tests/extractors/invoicegen.py) that the rules were never tuned on, as text
PDFs and as scans (real tesseract), read with the dossier known as the pipeline
does; prints fields right, documents with every booking field right, the share
wrong among values given a confidence >= 0.9, and the reliability table (share
wrong per confidence band).  ``--families tune`` measures the tuning set instead.

    .venv/bin/python bench/extract_bench.py --accuracy --texts 96 --scans 24
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the editable install alone may resolve a namespace package

import pypdfium2 as pdfium  # noqa: E402
import pypdfium2.raw as pdfium_c  # noqa: E402

from extractors import ExtractOptions, extract_document  # noqa: E402

sys.path.insert(0, str(ROOT / "tests" / "extractors"))
import invoicegen  # noqa: E402

CORPUS = ROOT / ".." / "shared" / "corpus"


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    pages: int
    floor_ms: float  # per page
    full_ms: float  # per page

    @property
    def ratio(self) -> float:
        return self.full_ms / self.floor_ms if self.floor_ms else float("nan")


def floor_text_with_boxes(data: bytes) -> int:
    """pypdfium2 alone: every page's characters with their boxes (returns the char count)."""
    pdf = pdfium.PdfDocument(data)
    total = 0
    left, right = ctypes.c_double(), ctypes.c_double()
    bottom, top = ctypes.c_double(), ctypes.c_double()
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            n = textpage.count_chars()
            raw = textpage.raw
            for i in range(n):
                pdfium_c.FPDFText_GetUnicode(raw, i)
                pdfium_c.FPDFText_GetCharBox(raw, i, left, right, bottom, top)
            total += n
            textpage.close()
            page.close()
    finally:
        pdf.close()
    return total


def _best(fn: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def text_rows(rounds: int) -> tuple[list[Row], int]:
    """Per-document floor and full timings; also the largest tracemalloc peak (bytes)."""
    rows: list[Row] = []
    options = ExtractOptions(no_embedded=True)
    biggest = 0
    for path in sorted((CORPUS / "pdf").glob("*.pdf")):
        data = path.read_bytes()
        pdf = pdfium.PdfDocument(data)
        pages = len(pdf)
        pdf.close()
        floor = full = float("inf")
        for _ in range(rounds):  # interleaved: floor and full alternate
            floor = min(floor, _best(functools.partial(floor_text_with_boxes, data), 1))
            full = min(full, _best(functools.partial(extract_document, data, options=options), 1))
        tracemalloc.start()
        extract_document(data, options=options)
        biggest = max(biggest, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        rows.append(Row(path.stem, pages, 1000 * floor / pages, 1000 * full / pages))
    return rows, biggest


# -- OCR half ------------------------------------------------------------------------

OCR_ROUNDS_MAX = 3  # a round OCRs every scanned page twice (floor and boekbox)
OCR_DPI = 300
_MEMORY_PROBE = """
import resource, sys
sys.path.insert(0, sys.argv[1])
from extractors.limits import ExtractLimits
from extractors.ocr import ocr_pages
data = open(sys.argv[2], "rb").read()
ocr_pages(data, "application/pdf", ExtractLimits())
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(own, child)
"""


def _floor_images(data: bytes, tmp: Path, stem: str) -> list[Path]:
    """The 300 dpi page images the floor reads: the embedded scan when it is 300 dpi,
    else a pypdfium2 render at 300 dpi; written as PGM before any timing."""
    from PIL import Image

    paths = []
    pdf = pdfium.PdfDocument(data)
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            objects = list(page.get_objects(max_depth=1))
            width_pt = page.get_size()[0]
            image = None
            if len(objects) == 1 and isinstance(objects[0], pdfium.PdfImage):
                px_w = objects[0].get_px_size()[0]
                if abs(px_w / (width_pt / 72) - OCR_DPI) < 3:
                    image = objects[0].get_bitmap().to_pil().convert("L")
            if image is None:
                image = page.render(scale=OCR_DPI / 72, grayscale=True).to_pil().convert("L")
            path = tmp / f"{stem}-{index + 1}.pgm"
            image.save(path)
            assert isinstance(image, Image.Image)
            paths.append(path)
    finally:
        pdf.close()
    return paths


def floor_tesseract(paths: list[Path], workers: int, languages: str) -> None:
    """tesseract's command line alone, one single-threaded process per core."""
    import os
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def run(path: Path) -> None:
        args = ["tesseract", str(path), "stdout", "-l", languages, "--dpi", str(OCR_DPI)]
        subprocess.run([*args, "--psm", "3", "tsv"], capture_output=True, env=env, check=True)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, paths))


def ocr_memory(path: Path) -> tuple[float, float]:
    """Peak RSS (MB) of a fresh process OCRing ``path`` and of its largest tesseract."""
    import subprocess

    probe = [sys.executable, "-c", _MEMORY_PROBE, str(ROOT), str(path)]
    out = subprocess.run(probe, capture_output=True, text=True, check=True).stdout.split()
    return int(out[0]) / 1024, int(out[1]) / 1024


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (tesseract) so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _best_cpu(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one call."""
    cpu0, t0 = _cpu_seconds(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, _cpu_seconds() - cpu0


def ocr_rows(rounds: int) -> list[Row]:
    """Per scanned PDF: tesseract CLI on 300 dpi page images (floor) vs ``ocr_pages``
    (page image extraction, preparation, tesseract, parsing), interleaved, best of rounds.

    Wall time is what the rows show; CPU time (this process plus its tesseract
    children) is printed too, since it is steadier on a shared machine."""
    import tempfile

    from extractors.limits import ExtractLimits
    from extractors.ocr import ocr_pages

    limits = ExtractLimits()
    rows: list[Row] = []
    cpu_floor = cpu_full = 0.0
    documents = sorted((CORPUS / "scanned").glob("*.pdf"))
    with tempfile.TemporaryDirectory(prefix="ocr-floor-") as tmp:
        for path in documents:
            data = path.read_bytes()
            images = _floor_images(data, Path(tmp), path.stem)
            floor_runs, full_runs = [], []
            for _ in range(max(1, min(rounds, OCR_ROUNDS_MAX))):
                floor_runs.append(
                    _best_cpu(
                        functools.partial(
                            floor_tesseract, images, limits.ocr_workers, limits.ocr_languages
                        )
                    )
                )
                full_runs.append(
                    _best_cpu(functools.partial(ocr_pages, data, "application/pdf", limits))
                )
            floor = (min(r[0] for r in floor_runs), min(r[1] for r in floor_runs))
            full = (min(r[0] for r in full_runs), min(r[1] for r in full_runs))
            pages = len(images)
            cpu_floor += floor[1]
            cpu_full += full[1]
            rows.append(Row(path.stem, pages, 1000 * floor[0] / pages, 1000 * full[0] / pages))
    print(
        f"scans: CPU seconds over the corpus (best round): floor {cpu_floor:.1f}, "
        f"boekbox {cpu_full:.1f}, ratio {cpu_full / cpu_floor:.2f}x"
    )
    largest = max(documents, key=lambda p: p.stat().st_size)
    own, tesseract = ocr_memory(largest)
    print(
        f"scans: peak memory of one worker OCRing {largest.name} with {limits.ocr_workers} "
        f"pages in parallel: Python process {own:.0f} MB, largest tesseract {tesseract:.0f} MB, "
        f"together at most {own + limits.ocr_workers * tesseract:.0f} MB"
    )
    return rows


def _print(title: str, rows: list[Row], per_doc: bool) -> None:
    if not rows:
        print(f"{title}: no rows")
        return
    print(title)
    if per_doc:
        print(f"  {'document':<48} {'pages':>5} {'floor ms/p':>10} {'full ms/p':>10} {'ratio':>6}")
        for r in rows:
            print(
                f"  {r.name:<48} {r.pages:>5} {r.floor_ms:>10.2f} {r.full_ms:>10.2f} "
                f"{r.ratio:>6.2f}"
            )
    pages = sum(r.pages for r in rows)
    floor = sum(r.floor_ms * r.pages for r in rows) / pages
    full = sum(r.full_ms * r.pages for r in rows) / pages
    median = statistics.median(r.ratio for r in rows)
    print(
        f"  corpus: {len(rows)} documents, {pages} pages; floor {floor:.2f} ms/page, "
        f"full {full:.2f} ms/page, ratio {full / floor:.2f}x (median per document "
        f"{median:.2f}x, max {max(r.ratio for r in rows):.2f}x)"
    )


# -- accuracy half ---------------------------------------------------------------------

BANDS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.01)


def _scorer() -> Any:
    import importlib.util

    path = CORPUS / ".." / "tools" / "score_extraction.py"
    spec = importlib.util.spec_from_file_location("score_extraction", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read_one(job: tuple[int, int, bool, bool]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    from extractors.model import Party

    family, seed, scan, dossier = job
    doc = invoicegen.generate(family, seed, scan=scan)
    known = Party(name=doc.dossier_name, vat=doc.dossier_vat) if dossier else None
    options = ExtractOptions(no_embedded=True, known_customer=known)
    try:
        pred = extract_document(doc.data, filename=f"{doc.name}.{doc.ext}", options=options)
        shape = pred.to_schema_dict()
    except Exception as exc:  # a crash counts every field wrong
        shape = {"error": str(exc), "confidence": {}}
    return doc.name, doc.expected, shape


def accuracy(label: str, jobs: list[tuple[int, int, bool, bool]], verbose: bool) -> None:
    from concurrent.futures import ProcessPoolExecutor

    scorer = _scorer()
    fields_right = fields_total = docs_right = 0
    sure = sure_wrong = 0
    bands = [[0, 0] for _ in BANDS[:-1]]  # [values, wrong]
    per_field: dict[str, list[int]] = {}
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_read_one, jobs))
    for name, expected, shape in results:
        all_booking = True
        misses = []
        for key, want in expected.items():
            got = shape.get(key)
            ok = bool(scorer.field_correct(key, want, got))
            fields_total += 1
            fields_right += ok
            per_field.setdefault(key, [0, 0])
            per_field[key][0] += ok
            per_field[key][1] += 1
            if not ok:
                misses.append(f"{key}: want {want!r} got {got!r}")
                if key in invoicegen.BOOKING_FIELDS:
                    all_booking = False
            ev = shape.get("confidence", {}).get(key)
            if ev is not None and got not in (None, "", []):
                conf = float(ev["confidence"])
                for i in range(len(BANDS) - 1):
                    if BANDS[i] <= conf < BANDS[i + 1]:
                        bands[i][0] += 1
                        bands[i][1] += not ok
                if conf >= 0.9:
                    sure += 1
                    sure_wrong += not ok
        docs_right += all_booking
        if verbose and misses:
            print(f"  {name}: " + "; ".join(misses))
    n = len(results)
    print(
        f"{label}: {n} documents; fields right {100 * fields_right / fields_total:.1f}% "
        f"({fields_right}/{fields_total}); documents with every booking field right "
        f"{100 * docs_right / n:.1f}% ({docs_right}/{n}); wrong at confidence >= 0.9: "
        f"{100 * sure_wrong / max(sure, 1):.2f}% ({sure_wrong}/{sure})"
    )
    print("  per field: " + ", ".join(f"{k} {100 * a / t:.0f}%" for k, (a, t) in per_field.items()))
    print("  reliability: confidence band -> values, share wrong")
    for i, (count, wrong) in enumerate(bands):
        share = f"{100 * wrong / count:.2f}%" if count else "-"
        print(
            f"    [{BANDS[i]:.2f}, {min(BANDS[i + 1], 1.0):.2f}{')' if i < len(bands) - 1 else ']'}"
            f"  {count:>5}  {share}"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--per-doc", action="store_true")
    ap.add_argument("--skip-ocr", action="store_true")
    ap.add_argument("--accuracy", action="store_true", help="generated unseen layouts")
    ap.add_argument("--families", choices=("unseen", "tune"), default="unseen")
    ap.add_argument("--texts", type=int, default=96, help="text PDFs (accuracy)")
    ap.add_argument("--scans", type=int, default=24, help="scans (accuracy)")
    ap.add_argument("--no-dossier", action="store_true", help="read without the dossier party")
    ap.add_argument("--verbose", action="store_true", help="print every miss (accuracy)")
    args = ap.parse_args(argv)
    if args.accuracy:
        fams = invoicegen.UNSEEN_FAMILIES if args.families == "unseen" else invoicegen.TUNE_FAMILIES
        base = 0 if args.families == "unseen" else 500
        for scan, count in ((False, args.texts), (True, args.scans)):
            jobs = [
                (fams[i % len(fams)], base + i // len(fams), scan, not args.no_dossier)
                for i in range(count)
            ]
            if jobs:
                accuracy(f"{args.families} {'scans' if scan else 'text PDFs'}", jobs, args.verbose)
        return 0
    rows, py_peak = text_rows(args.rounds)
    _print(
        "text PDFs: pypdfium2 text+char boxes (floor) vs extract_document(no_embedded)",
        rows,
        args.per_doc,
    )
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  peak memory: process RSS {peak_rss:.0f} MB; largest Python allocation peak of "
        f"one extraction {py_peak / 1e6:.1f} MB"
    )
    if not args.skip_ocr:
        _print(
            "scans: tesseract CLI (floor) vs boekbox OCR extraction",
            ocr_rows(args.rounds),
            args.per_doc,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
