"""Tesseract through its library (tesserocr), models loaded once per process.

The tesseract program loads its language models on every call (about 0.3 s of CPU for
nld+fra+deu+eng) and Debian's build reads a 300 dpi page in 1.5-2 s; the library built by
``scripts/build_ocr_engine.sh`` reads it in about 1 s (measured 2026-12-06).  That script
builds leptonica without image libraries, so no libtiff and no GPL libjbig is loaded.  The
tesserocr wheel from PyPI bundles both: it is never imported here (:func:`available`), and
OCR then runs through the program (``extractors.ocr``).

An engine serves one thread at a time: :func:`engine` lends one from a pool per language
string and makes another when all are lent.  The fork server of each OCR process loads
one per page thread (:func:`preload`, from ``pipeline.sandbox_ocr``), so every document's
child inherits them (copy-on-write).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image

__all__ = ["Osd", "TessUnavailable", "available", "engine", "osd", "preload", "read_tsv"]

OSD = "osd"
_PSM_AUTO = 3
_PSM_OSD_ONLY = 0
_LIST_DIR_RE = re.compile(r'"([^"]+)"')
_KNOWN_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
)

_lock = threading.Lock()
_idle: dict[str, list[Any]] = {}


class TessUnavailable(RuntimeError):
    """tesseract's library or language data cannot be loaded."""


@dataclass(frozen=True, slots=True)
class Osd:
    """Orientation of a page: ``rotate`` clockwise degrees make it upright."""

    rotate: int
    confidence: float


@cache
def available() -> bool:
    """Whether the library built by ``scripts/build_ocr_engine.sh`` is installed.

    False for the PyPI wheel (its ``tesserocr.libs`` folder holds libtiff and the GPL
    libjbig), which is not even imported."""
    spec = importlib.util.find_spec("tesserocr")
    if spec is None or not spec.origin:
        return False
    return not (Path(spec.origin).parent.parent / "tesserocr.libs").exists()


@cache
def tessdata_dir() -> str:
    """Where the installed ``tesseract`` program finds its language data (its answer
    honours ``TESSDATA_PREFIX``), else a known place."""
    program = shutil.which("tesseract")
    if program:
        try:
            out = subprocess.run(
                [program, "--list-langs"], capture_output=True, timeout=30, check=False
            )
            found = _LIST_DIR_RE.search((out.stdout + out.stderr).decode("utf-8", "replace"))
            if found and Path(found.group(1)).is_dir():
                return found.group(1).rstrip("/") + "/"
        except (OSError, subprocess.SubprocessError):
            pass
    for folder in _KNOWN_DIRS:
        if (Path(folder) / "eng.traineddata").is_file():
            return folder + "/"
    raise TessUnavailable("tesseract's language data was not found (install tesseract-ocr)")


def _new(languages: str) -> Any:
    if not available():
        raise TessUnavailable("the OCR engine library is not built (scripts/build_ocr_engine.sh)")
    from tesserocr import PyTessBaseAPI

    psm = _PSM_OSD_ONLY if languages == OSD else _PSM_AUTO
    try:
        return PyTessBaseAPI(path=tessdata_dir(), lang=languages, psm=psm)
    except RuntimeError as exc:
        raise TessUnavailable(f"tesseract cannot load the languages {languages!r}: {exc}") from exc


@contextmanager
def engine(languages: str) -> Iterator[Any]:
    """Lend an engine for ``languages`` (tesseract's ``nld+fra`` form) to this thread."""
    with _lock:
        pool = _idle.setdefault(languages, [])
        api = pool.pop() if pool else None
    if api is None:
        api = _new(languages)
    try:
        yield api
    finally:
        api.Clear()
        with _lock:
            _idle.setdefault(languages, []).append(api)


def preload(*languages: str) -> None:
    """Load one engine per argument now (a fork server, before its children): a language
    string given twice loads two engines, for two threads reading pages at once.

    Leptonica, built without image libraries, prints "function not present" for the TIFF
    bitmap fonts it tries while tesseract starts (only its debug drawing uses them):
    single-threaded here, so that noise is kept out of the worker's log."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            with ExitStack() as lent:  # all lent at once, so none is handed out twice
                for lang in languages:
                    lent.enter_context(engine(lang))
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _set_gray(api: Any, image: Image.Image, dpi: int) -> None:
    gray = image if image.mode == "L" else image.convert("L")
    api.SetImageBytes(gray.tobytes(), gray.width, gray.height, 1, gray.width)
    api.SetSourceResolution(dpi)


def read_tsv(image: Image.Image, languages: str, dpi: int, psm: int, timeout_s: float) -> str:
    """tesseract's TSV of ``image`` (page segmentation mode ``psm``) within ``timeout_s``.

    Raises :class:`TimeoutError` when the time-out cancelled the recognition."""
    with engine(languages) as api:
        api.SetVariable("user_defined_dpi", str(dpi))  # as the program's --dpi
        api.SetPageSegMode(psm)
        _set_gray(api, image, dpi)
        if not api.Recognize(timeout=max(1, int(timeout_s * 1000))):
            raise TimeoutError(f"recognition stopped after {timeout_s:g} s")
        return str(api.GetTSVText(0))


def osd(image: Image.Image, dpi: int) -> Osd | None:
    """The page's orientation by tesseract's OSD, or None when it finds too little text."""
    with engine(OSD) as api:
        _set_gray(api, image, dpi)
        found = api.DetectOrientationScript()
    if not found:
        return None
    # tesseract reports how the image is turned; the program's "Rotate:" (and this) is
    # the clockwise turn that makes it upright
    return Osd((360 - int(found["orient_deg"])) % 360, float(found["orient_conf"]))
