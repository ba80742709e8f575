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
from PIL import Image, ImageFilter

__all__ = ["PreparedImage", "estimate_skew", "find_page_quad", "flatten_illumination", "prepare"]

log = logging.getLogger(__name__)

_ANALYSIS_SIDE = 800
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
    """Straighten, scale and flatten a grayscale page image (mode ``L``)."""
    if gray.mode != "L":
        gray = gray.convert("L")
    small, factor = _analysis_copy(gray)
    quad = find_page_quad(small)
    if quad is not None:
        known = dpi if dpi_known else None
        image, dpi = _rectify(gray, quad / factor, known, target_dpi, min_dpi, max_pixels)
        return PreparedImage(flatten_illumination(image), dpi, 0.0, 0, True)
    ink = _ink(small)
    if _is_blank(ink):
        return PreparedImage(gray, dpi, 0.0, 0, False, blank=True)
    turns = 1 if _quarter_turned(ink) else 0
    if turns:
        gray = gray.transpose(Image.Transpose.ROTATE_90)
        ink = ink.transpose(Image.Transpose.ROTATE_90)
    skew = estimate_skew(ink)
    scale = _upscale_factor(gray, dpi, target_dpi, min_dpi, max_pixels)
    if abs(skew) >= 0.1 or scale != 1.0:
        gray = _rotate_scale(gray, skew, scale)
    return PreparedImage(flatten_illumination(gray), dpi * scale, skew, turns, False)


def _analysis_copy(gray: Image.Image) -> tuple[Image.Image, float]:
    factor = min(1.0, _ANALYSIS_SIDE / max(gray.size))
    if factor == 1.0:
        return gray, 1.0
    size = (max(1, round(gray.width * factor)), max(1, round(gray.height * factor)))
    return gray.resize(size, Image.Resampling.BOX), factor


def _upscale_factor(
    gray: Image.Image, dpi: float, target_dpi: float, min_dpi: float, max_pixels: int
) -> float:
    if dpi >= min_dpi:
        return 1.0
    scale = min(target_dpi / dpi, _MAX_UPSCALE)
    room = math.sqrt(max_pixels / (gray.width * gray.height))
    return max(1.0, min(scale, room))


# -- illumination -------------------------------------------------------------


def flatten_illumination(gray: Image.Image) -> Image.Image:
    """Divide the page by a smooth estimate of the paper brightness."""
    reduce_by = max(1, round(min(gray.size) / 300))
    small = gray.reduce(reduce_by) if reduce_by > 1 else gray
    paper = small.filter(ImageFilter.MaxFilter(7)).filter(ImageFilter.GaussianBlur(6))
    paper = paper.resize(gray.size, Image.Resampling.BILINEAR)
    page = np.asarray(gray, dtype=np.float32)
    bg = np.maximum(np.asarray(paper, dtype=np.float32), 32.0)
    out = np.minimum(page * (255.0 / bg), 255.0)
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


def _ink(small: Image.Image) -> Image.Image:
    """Ink mask of the small copy: 255 where text is, 0 elsewhere."""
    flat = np.asarray(flatten_illumination(small))
    threshold = min(_otsu(flat), _MAX_INK_LEVEL)
    return Image.fromarray(np.where(flat < threshold, 255, 0).astype(np.uint8), mode="L")


def _is_blank(ink: Image.Image) -> bool:
    return int(np.count_nonzero(np.asarray(ink))) < _MIN_INK_PIXELS


def _profile_score(ink: Image.Image, angle: float) -> float:
    turned = ink.rotate(angle, resample=Image.Resampling.NEAREST) if angle else ink
    rows = np.asarray(turned, dtype=np.float32).sum(axis=1)
    return float(np.square(np.diff(rows)).sum())


def estimate_skew(ink: Image.Image) -> float:
    """Angle (degrees, counter-clockwise) that makes the text rows level."""
    scores = [_profile_score(ink, float(a)) for a in _COARSE_ANGLES]
    best = float(_COARSE_ANGLES[int(np.argmax(scores))])
    fine = np.arange(best - 0.4, best + 0.41, 0.1)
    fine_scores = [_profile_score(ink, float(a)) for a in fine]
    return round(float(fine[int(np.argmax(fine_scores))]), 2)


def _quarter_turned(ink: Image.Image) -> bool:
    """True when the text runs vertically (the page lies on its side)."""
    upright = max(_profile_score(ink, float(a)) for a in _COARSE_ANGLES[::4])
    side = ink.transpose(Image.Transpose.ROTATE_90)
    sideways = max(_profile_score(side, float(a)) for a in _COARSE_ANGLES[::4])
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
    values = np.asarray(small.filter(ImageFilter.MedianFilter(5)))
    threshold = _otsu(values)
    mask_img = Image.fromarray(np.where(values > threshold, 255, 0).astype(np.uint8), mode="L")
    mask_img = mask_img.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.MinFilter(5))
    mask_img = mask_img.filter(ImageFilter.MinFilter(7)).filter(ImageFilter.MaxFilter(7))
    mask = np.asarray(mask_img) > 0
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
    if dpi is None:
        dpi = width / _A4_WIDTH_IN
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


def _perspective_coeffs(src: np.ndarray, dst: np.ndarray) -> tuple[float, ...]:
    """Coefficients mapping output points ``src`` onto input points ``dst``."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs.extend([u, v])
    solution = np.linalg.solve(np.array(rows, dtype=np.float64), np.array(rhs, dtype=np.float64))
    return tuple(float(c) for c in solution)
