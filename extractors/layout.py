"""Lines and phrases from positioned words, and label/value pairing by layout.

The same code serves the text layer and OCR: a *line* is a run of words that
share a baseline; a *phrase* is a run of words on a line without a wide gap
(a column cell, a label, a value).  A label is paired with the value that
follows it in its own phrase, then with the phrases to its right on the same
line, then with the phrases directly below it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from extractors.model import BBox
from extractors.normalize import fold
from extractors.words import PageText, TextSource, Word

__all__ = ["Hit", "Layout", "Line", "Phrase", "build_layout"]

_CURRENCY = {"€", "EUR", "$", "USD", "£", "GBP", "CHF"}
_PHRASE_GAP = 0.8  # a gap wider than this many line heights splits a phrase
_OCR_PHRASE_GAP = 1.2  # of the line's median word height (OCR boxes are tight)


@dataclass(slots=True)
class Phrase:
    page: int
    words: list[Word]
    text: str = ""
    folded: str = ""
    starts: list[int] = field(default_factory=list)
    line: int = 0  # index into Layout.lines
    index: int = 0  # index into Layout.phrases
    x0: float = 0.0
    y0: float = 0.0
    x1: float = 0.0
    y1: float = 0.0

    def __post_init__(self) -> None:
        parts, pos = [], 0
        for w in self.words:
            self.starts.append(pos)
            parts.append(w.text)
            pos += len(w.text) + 1
        self.text = " ".join(parts)
        self.folded = fold(self.text)
        if len(self.folded) != len(self.text):  # ligatures etc.: keep offsets aligned
            self.folded = self.text.lower()
        self.x0 = self.words[0].x0
        self.x1 = self.words[-1].x1
        self.y0 = min(w.y0 for w in self.words)
        self.y1 = max(w.y1 for w in self.words)

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def bbox(self, start: int = 0, end: int | None = None) -> BBox:
        """Box of the words covering text[start:end]."""
        end = len(self.text) if end is None else end
        chosen = [
            w
            for w, s in zip(self.words, self.starts, strict=True)
            if s < end and s + len(w.text) > start
        ] or self.words
        return BBox(
            round(min(w.x0 for w in chosen), 4),
            round(min(w.y0 for w in chosen), 4),
            round(max(w.x1 for w in chosen), 4),
            round(max(w.y1 for w in chosen), 4),
        )

    @property
    def confidence(self) -> float:
        return min(w.confidence for w in self.words)


@dataclass(slots=True)
class Line:
    page: int
    phrases: list[Phrase]
    index: int = 0

    @property
    def y0(self) -> float:
        return min(p.y0 for p in self.phrases)

    @property
    def y1(self) -> float:
        return max(p.y1 for p in self.phrases)

    @property
    def text(self) -> str:
        return " ".join(p.text for p in self.phrases)


@dataclass(frozen=True, slots=True)
class Hit:
    """A value found for a label: the phrase and the character span in it."""

    phrase: Phrase
    start: int
    end: int
    relation: str  # "same" (in the label's phrase), "right", "below", "none"
    distance: int  # phrases/lines away from the label

    @property
    def text(self) -> str:
        return self.phrase.text[self.start : self.end]


@dataclass(slots=True)
class Layout:
    pages: Sequence[PageText]
    lines: list[Line]
    phrases: list[Phrase]
    _joined: str | None = None
    _offsets: list[int] = field(default_factory=list)
    cache: dict[object, object] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def find(self, pattern: re.Pattern[str]) -> Iterator[tuple[Phrase, int, int]]:
        """Every match of a (folded-text) pattern as (phrase, start, end) in that phrase."""
        if self._joined is None:
            self._joined = "\x00".join(p.folded for p in self.phrases)
            offsets, pos = [], 0
            for p in self.phrases:
                offsets.append(pos)
                pos += len(p.folded) + 1
            self._offsets = offsets
        joined = self._joined
        for m in pattern.finditer(joined):
            s, e = m.start(), m.end()
            if (s and "a" <= joined[s - 1] <= "z") or (e < len(joined) and "a" <= joined[e] <= "z"):
                continue  # not a whole word
            i = bisect.bisect_right(self._offsets, m.start()) - 1
            base = self._offsets[i]
            if m.end() - base <= len(self.phrases[i].folded):
                yield self.phrases[i], m.start() - base, m.end() - base

    def right_of(self, phrase: Phrase) -> list[Phrase]:
        line = self.lines[phrase.line]
        return [p for p in line.phrases if p.x0 >= phrase.x1 - 1e-4]

    def below(self, phrase: Phrase, max_lines: int = 3, *, slack: float = 0.02) -> list[Phrase]:
        """Phrases under ``phrase`` that overlap its column, nearest line first."""
        out: list[Phrase] = []
        line_no = phrase.line
        seen = 0
        for line in self.lines[line_no + 1 :]:
            if line.page != phrase.page or seen >= max_lines:
                break
            hits = [p for p in line.phrases if _overlaps(p, phrase, slack)]
            if hits:
                out.extend(hits)
                seen += 1
            elif line.y0 - phrase.y1 > 6 * max(phrase.height, 0.005):
                break
        return out

    def values_after(
        self, phrase: Phrase, label_end: int, *, below: int = 2, right: bool = True
    ) -> Iterator[Hit]:
        """Candidate value texts for a label ending at ``label_end`` in ``phrase``."""
        rest = phrase.text[label_end:]
        stripped = rest.lstrip(" :#.-")
        if stripped:
            yield Hit(phrase, len(phrase.text) - len(stripped), len(phrase.text), "same", 0)
        if right:
            for n, p in enumerate(self.right_of(phrase), start=1):
                yield Hit(p, 0, len(p.text), "right", n)
        for n, p in enumerate(self.below(phrase, below), start=1):
            yield Hit(p, 0, len(p.text), "below", n)


def _overlaps(p: Phrase, ref: Phrase, slack: float) -> bool:
    return p.x0 < ref.x1 + slack and p.x1 > ref.x0 - slack


def build_layout(pages: Sequence[PageText]) -> Layout:
    lines: list[Line] = []
    phrases: list[Phrase] = []
    for page in pages:
        aspect = page.width_pt / page.height_pt if page.height_pt else 0.707
        ocr = page.source is TextSource.OCR
        rows = _group_lines_by_overlap(page.words) if ocr else _group_lines(page.words)
        for words in rows:
            line = Line(page.number, [], len(lines))
            for chunk in _split_phrases(words, aspect, _OCR_PHRASE_GAP if ocr else _PHRASE_GAP):
                ph = Phrase(page.number, chunk, line=line.index, index=len(phrases))
                line.phrases.append(ph)
                phrases.append(ph)
            lines.append(line)
    return Layout(pages, lines, phrases)


def _group_lines(words: Sequence[Word]) -> list[list[Word]]:
    rows: list[list[Word]] = []
    for w in sorted(words, key=lambda w: ((w.y0 + w.y1) / 2, w.x0)):
        mid = (w.y0 + w.y1) / 2
        if rows:
            ref = rows[-1]
            ref_mid = sum((x.y0 + x.y1) / 2 for x in ref) / len(ref)
            h = max(max(x.y1 - x.y0 for x in ref), w.y1 - w.y0)
            if abs(ref_mid - mid) <= 0.35 * h:
                ref.append(w)
                continue
        rows.append([w])
    return [sorted(r, key=lambda w: w.x0) for r in rows]


def _group_lines_by_overlap(words: Sequence[Word]) -> list[list[Word]]:
    """OCR boxes hug the glyphs (a label and its value differ in height): a word joins
    the line it overlaps vertically by half its own height or more."""
    rows: list[list[Word]] = []
    for w in sorted(words, key=lambda w: ((w.y0 + w.y1) / 2, w.x0)):
        h = w.y1 - w.y0
        best, best_overlap = -1, 0.0
        for i in range(max(0, len(rows) - 4), len(rows)):
            for ref in (rows[i][0], rows[i][-1]):  # the first word, or the last (skew)
                overlap = min(ref.y1, w.y1) - max(ref.y0, w.y0)
                small, large = sorted((h, ref.y1 - ref.y0))
                # similar sizes: half the smaller height; a logo twice as tall is no bridge
                need = 0.5 * small if large <= 1.8 * small else 0.7 * large
                if overlap >= need and overlap > best_overlap:
                    best, best_overlap = i, overlap
        if best < 0:
            rows.append([w])
        else:
            rows[best].append(w)
    return [sorted(r, key=lambda w: w.x0) for r in rows]


def _split_phrases(words: list[Word], aspect: float, factor: float) -> Iterator[list[Word]]:
    chunk: list[Word] = []
    line_h = sorted(w.y1 - w.y0 for w in words)[len(words) // 2]
    for w in words:
        if chunk:
            prev = chunk[-1]
            h = max(prev.y1 - prev.y0, w.y1 - w.y0) if factor == _PHRASE_GAP else line_h
            gap = (w.x0 - prev.x1) * aspect  # in units of the page height, like h
            glue = len(chunk) == 1 and prev.text in _CURRENCY
            if (gap > factor * h and not glue) or w.text in {"|", "·", "●", "•"}:
                yield chunk
                chunk = []
                if w.text in {"|", "·", "●", "•"}:
                    continue
        chunk.append(w)
    if chunk:
        yield chunk
