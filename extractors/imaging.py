"""Image preparation for OCR: straighten, scale and clean one page image.

Everything is measured on a small copy of the page (long side ~800 px) and
then applied to the full image in as few resampling passes as possible:

* phone photos: the page is found as the bright quadrilateral on a darker
  background and warped to a rectangle (perspective and tilt in one pass);
* scans: skew is found by projection profiles (the angle at which text rows
  are sharpest) and undone together with any upscaling in one affine pass;
* a quarter turn is detected the same way (rows sharper across than along);
  upside-down pages are left to the OCR step (tesseract's OSD);
* pages under ``min_dpi`` are upscaled to ``target_dpi``;
* uneven illumination (shadows, vignette, yellowed paper) is divided out
  against a blurred estimate of the paper, leaving dark text on white.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image, ImageFilter

__all__ = ["PreparedImage", "estimate_skew", "find_page_quad", "flatten_illumination", "prepare"]

log = logging.getLogger(__name__)

_ANALYSIS_SIDE = 800
_OUTLINE_SIDE = 320
_MIN_DESKEW = 1.0
# Flatten when the paper's brightness varies more than this share (shadows).
_UNEVEN_PAPER = 0.1
# Height/width of A4 and US Letter; a photographed sheet within 12% of one is one
# (the corpus photos of A4 sheets measure 1.36 to 1.56 before this).
_PAPER_RATIOS = (2**0.5, 11 / 8.5)
_PAPER_SNAP = 0.12
_A4_WIDTH_IN = 8.27
_MAX_UPSCALE = 2.5
_COARSE_ANGLES = np.arange(-8.0, 8.01, 0.5)
_QUARTER_TURN_MARGIN = 1.4
_WHITE = 255
# Ink is darker than this on the flattened page; fewer ink pixels: a blank page.
_MAX_INK_LEVEL = 170.0
_MIN_INK_PIXELS = 50


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """A page ready for tesseract, and what was done to it."""

    image: Image.Image
    dpi: float
    skew_deg: float
    quarter_turns: int
    rectified: bool
    blank: bool = False


def prepare(
    gray: Image.Image,
    dpi: float,
    *,
    dpi_known: bool = True,
    target_dpi: float = 300.0,
    min_dpi: float = 250.0,
    max_pixels: int = 60_000_000,
) -> PreparedImage:
    """Straighten, scale and flatten a grayscale page image (mode ``L``).

    Work that does not pay is skipped: skew under ``_MIN_DESKEW`` degrees
    (tesseract copes) and flattening of evenly lit pages (it slows tesseract).
    """
    if gray.mode != "L":
        gray = gray.convert("L")
    small, small_factor = _analysis_copy(gray, _ANALYSIS_SIDE)
    tiny, tiny_factor = _analysis_copy(small, _OUTLINE_SIDE)
    tiny_factor *= small_factor
    quad = find_page_quad(tiny)
    if quad is not None:
        known = dpi if dpi_known else None
        image, dpi = _rectify(gray, quad / tiny_factor, known, target_dpi, min_dpi, max_pixels)
        return _after_rectify(image, dpi)
    paper = _paper(small)
    ink = _ink(small, paper)
    if _is_blank(ink):
        return PreparedImage(gray, dpi, 0.0, 0, False, blank=True)
    turns = 1 if _quarter_turned(ink) else 0
    if turns:
        gray = gray.transpose(Image.Transpose.ROTATE_90)
        ink = ink.transpose(Image.Transpose.ROTATE_90)
    skew = estimate_skew(ink)
    scale = _upscale_factor(gray, dpi, target_dpi, min_dpi, max_pixels)
    if abs(skew) >= _MIN_DESKEW:
        gray = _rotate_scale(gray, skew, scale)
    else:
        skew = 0.0
        if scale != 1.0:
            size = (round(gray.width * scale), round(gray.height * scale))
            gray = gray.resize(size, Image.Resampling.BICUBIC)
    if _uneven(paper):
        gray = flatten_illumination(gray)
    return PreparedImage(gray, dpi * scale, skew, turns, False)


def _after_rectify(image: Image.Image, dpi: float) -> PreparedImage:
    """A cut-out photographed sheet: flattened always; turned if it lies on its side."""
    small, _ = _analysis_copy(image, _ANALYSIS_SIDE)
    ink = _ink(small, _paper(small))
    if _is_blank(ink):
        return PreparedImage(image, dpi, 0.0, 0, True, blank=True)
    turns = 1 if _quarter_turned(ink) else 0
    if turns:
        image = image.transpose(Image.Transpose.ROTATE_90)
    return PreparedImage(flatten_illumination(image), dpi, 0.0, turns, True)


def _analysis_copy(gray: Image.Image, side: int) -> tuple[Image.Image, float]:
    """A copy whose long side is about ``side`` (integer box reduction: fast)."""
    step = max(1, round(max(gray.size) / side))
    if step == 1:
        return gray, 1.0
    return gray.reduce(step), 1.0 / step


def _upscale_factor(
    gray: Image.Image, dpi: float, target_dpi: float, min_dpi: float, max_pixels: int
) -> float:
    if dpi >= min_dpi:
        return 1.0
    scale = min(target_dpi / dpi, _MAX_UPSCALE)
    room = math.sqrt(max_pixels / (gray.width * gray.height))
    return max(1.0, min(scale, room))


# -- illumination -------------------------------------------------------------


def _rank_filter(values: np.ndarray, size: int, *, largest: bool = True) -> np.ndarray:
    """Grey dilation (or erosion) with a ``size`` x ``size`` square, separably (fast)."""
    pad = size // 2
    padded = np.pad(values, pad, mode="edge")
    pick = np.max if largest else np.min
    rows = pick(sliding_window_view(padded, size, axis=0), axis=-1)
    return np.ascontiguousarray(pick(sliding_window_view(rows, size, axis=1), axis=-1))


def _paper(gray: Image.Image) -> Image.Image:
    """Smooth estimate of the paper brightness (text filtered out), at reduced size."""
    reduce_by = max(1, round(min(gray.size) / 300))
    small = gray.reduce(reduce_by) if reduce_by > 1 else gray
    lifted = Image.fromarray(_rank_filter(np.asarray(small), 7), mode="L")
    return lifted.filter(ImageFilter.GaussianBlur(6))


def _uneven(paper: Image.Image) -> bool:
    values = np.asarray(paper, dtype=np.float32)
    h, w = values.shape
    inner = values[h // 20 : h - h // 20, w // 20 : w - w // 20]
    low, high = np.percentile(inner, [5, 95])
    return bool(high > 0 and (high - low) / high > _UNEVEN_PAPER)


def flatten_illumination(gray: Image.Image, paper: Image.Image | None = None) -> Image.Image:
    """Divide the page by a smooth estimate of the paper brightness."""
    if paper is None:
        paper = _paper(gray)
    scale = 255.0 / np.maximum(np.asarray(paper, dtype=np.float32), 32.0)
    factor = Image.fromarray(scale, mode="F").resize(gray.size, Image.Resampling.BILINEAR)
    out = np.asarray(gray, dtype=np.float32)
    out *= np.asarray(factor)
    np.minimum(out, 255.0, out=out)
    return Image.fromarray(out.astype(np.uint8), mode="L")


# -- skew and quarter turns ----------------------------------------------------


def _otsu(values: np.ndarray) -> float:
    hist = np.bincount(values.ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    if total == 0:
        return 128.0
    levels = np.arange(256, dtype=np.float64)
    w0 = np.cumsum(hist)
    m0 = np.cumsum(hist * levels)
    w1 = total - w0
    mean_all = m0[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean_all * w0 - m0 * total) ** 2 / (w0 * w1)
    between = np.nan_to_num(between)
    return float(np.argmax(between))


def _ink(small: Image.Image, paper: Image.Image) -> Image.Image:
    """Ink mask of the small copy: 255 where text is, 0 elsewhere."""
    flat = np.asarray(flatten_illumination(small, paper))
    threshold = min(_otsu(flat), _MAX_INK_LEVEL)
    return Image.fromarray(np.where(flat < threshold, 255, 0).astype(np.uint8), mode="L")


def _is_blank(ink: Image.Image) -> bool:
    return int(np.count_nonzero(np.asarray(ink))) < _MIN_INK_PIXELS


def _ink_points(ink: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.nonzero(np.asarray(ink))
    return xs.astype(np.float32), ys.astype(np.float32)


def _profile_score(along: np.ndarray, across: np.ndarray, angle: float) -> float:
    """Sharpness of the row profile of ink points once turned by ``angle`` degrees
    counter-clockwise (as ``Image.rotate``): sharp when text rows are level."""
    theta = math.radians(angle)
    rows = across * math.cos(theta) - along * math.sin(theta)
    rows -= rows.min(initial=0.0)
    hist = np.bincount(rows.astype(np.int64)).astype(np.float64)
    return float(np.square(np.diff(hist)).sum())


def estimate_skew(ink: Image.Image) -> float:
    """Angle (degrees, counter-clockwise) that makes the text rows level."""
    xs, ys = _ink_points(ink)
    if xs.size == 0:
        return 0.0
    scores = [_profile_score(xs, ys, float(a)) for a in _COARSE_ANGLES]
    best = float(_COARSE_ANGLES[int(np.argmax(scores))])
    fine = np.arange(best - 0.4, best + 0.41, 0.1)
    fine_scores = [_profile_score(xs, ys, float(a)) for a in fine]
    return round(float(fine[int(np.argmax(fine_scores))]), 2)


def _quarter_turned(ink: Image.Image) -> bool:
    """True when the text runs vertically (the page lies on its side)."""
    xs, ys = _ink_points(ink)
    angles = [float(a) for a in _COARSE_ANGLES[::4]]
    upright = max(_profile_score(xs, ys, a) for a in angles)
    sideways = max(_profile_score(ys, xs, a) for a in angles)
    return sideways > _QUARTER_TURN_MARGIN * upright


def _rotate_scale(gray: Image.Image, angle: float, scale: float) -> Image.Image:
    """Rotate by ``angle`` degrees (counter-clockwise) and scale, in one pass."""
    out_w, out_h = round(gray.width * scale), round(gray.height * scale)
    theta = math.radians(-angle)
    cos, sin = math.cos(theta) / scale, math.sin(theta) / scale
    cx_out, cy_out = out_w / 2, out_h / 2
    cx_in, cy_in = gray.width / 2, gray.height / 2
    # input = R(theta) . (output - centre_out) / scale + centre_in  (y axis down)
    coeffs = (
        cos,
        sin,
        cx_in - cos * cx_out - sin * cy_out,
        -sin,
        cos,
        cy_in + sin * cx_out - cos * cy_out,
    )
    return gray.transform(
        (out_w, out_h),
        Image.Transform.AFFINE,
        coeffs,
        resample=Image.Resampling.BILINEAR,
        fillcolor=_WHITE,
    )


# -- photos: the page on a background -----------------------------------------


def find_page_quad(small: Image.Image) -> np.ndarray | None:
    """Corners (TL, TR, BR, BL; x, y) of a page photographed on a darker surface."""
    values = np.asarray(small)
    bright = np.where(values > _otsu(values), 255, 0).astype(np.uint8)
    closed = _rank_filter(_rank_filter(bright, 3), 3, largest=False)  # fill text holes
    opened = _rank_filter(_rank_filter(closed, 5, largest=False), 5)  # drop table specks
    mask = opened > 0
    h, w = mask.shape
    edge = max(2, round(0.02 * min(h, w)))
    border = np.concatenate(
        [mask[:edge].ravel(), mask[-edge:].ravel(), mask[:, :edge].ravel(), mask[:, -edge:].ravel()]
    )
    if border.mean() > 0.25 or not 0.2 < mask.mean() < 0.95:
        return None  # the page fills the frame (a scan) or no page stands out
    ys, xs = np.nonzero(mask)
    total, diff = xs + ys, xs - ys
    quad = np.array(
        [
            (xs[np.argmin(total)], ys[np.argmin(total)]),
            (xs[np.argmax(diff)], ys[np.argmax(diff)]),
            (xs[np.argmax(total)], ys[np.argmax(total)]),
            (xs[np.argmin(diff)], ys[np.argmin(diff)]),
        ],
        dtype=np.float64,
    )
    area = _polygon_area(quad)
    if area < 0.2 * w * h or not 0.85 < mask.sum() / area < 1.1:
        log.debug("page outline rejected: area %.0f, fill %.2f", area, mask.sum() / max(area, 1))
        return None
    return quad


def _polygon_area(quad: np.ndarray) -> float:
    x, y = quad[:, 0], quad[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _rectify(
    gray: Image.Image,
    quad: np.ndarray,
    dpi: float | None,
    target_dpi: float,
    min_dpi: float,
    max_pixels: int,
) -> tuple[Image.Image, float]:
    tl, tr, br, bl = quad
    width = float(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = float(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    if height >= width:
        height = _paper_height(width, height)
    else:  # a sheet photographed on its side
        width = _paper_height(height, width)
    if dpi is None:
        dpi = min(width, height) / _A4_WIDTH_IN
    scale = 1.0
    if dpi < min_dpi:
        scale = min(target_dpi / dpi, _MAX_UPSCALE, math.sqrt(max_pixels / (width * height)))
        scale = max(scale, 1.0)
    out_w, out_h = round(width * scale), round(height * scale)
    target = np.array([(0, 0), (out_w, 0), (out_w, out_h), (0, out_h)], dtype=np.float64)
    coeffs = _perspective_coeffs(target, quad)
    warped = gray.transform(
        (out_w, out_h),
        Image.Transform.PERSPECTIVE,
        coeffs,
        resample=Image.Resampling.BICUBIC,
        fillcolor=_WHITE,
    )
    return warped, dpi * scale


def _paper_height(width: float, height: float) -> float:
    """Undo foreshortening: a sheet close to A4 or Letter proportions is taken to be one."""
    measured = height / width
    for ratio in _PAPER_RATIOS:  # A4 first: foreshortened A4 photos measure near Letter
        if abs(measured - ratio) <= _PAPER_SNAP * ratio:
            return width * ratio
    return height


def _perspective_coeffs(src: np.ndarray, dst: np.ndarray) -> tuple[float, ...]:
    """Coefficients mapping output points ``src`` onto input points ``dst``."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs.extend([u, v])
    solution = np.linalg.solve(np.array(rows, dtype=np.float64), np.array(rhs, dtype=np.float64))
    return tuple(float(c) for c in solution)
