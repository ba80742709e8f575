"""Positioned words: what the text-layer reader and OCR both produce.

Coordinates are fractions of the page (0..1, origin top-left), the same as
:class:`extractors.model.BBox`.  Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from extractors.model import BBox

__all__ = ["PageText", "TextSource", "Word"]


class TextSource(StrEnum):
    TEXT_LAYER = "text_layer"
    OCR = "ocr"


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    confidence: float = 1.0

    @property
    def bbox(self) -> BBox:
        return BBox(self.x0, self.y0, self.x1, self.y1)


@dataclass(frozen=True, slots=True)
class PageText:
    number: int
    width_pt: float
    height_pt: float
    words: tuple[Word, ...]
    source: TextSource = TextSource.TEXT_LAYER
