"""Typed candidates: values found near labels, with the evidence for each.

:func:`labelled` runs a field's label vocabulary over the layout and yields
the value texts next to each label (same phrase, right, below) with a score
that falls with distance; the caller parses the text into its type.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar

from extractors.labels import LABELS
from extractors.layout import Hit, Layout, Phrase
from extractors.model import Evidence
from extractors.normalize import parse_amount

__all__ = ["AMOUNT_RE", "Cand", "amounts_in", "label_spans", "labelled"]

T = TypeVar("T")

_CUR = r"(?:€|EUR|\$|USD|£|GBP|CHF)"
AMOUNT_RE = re.compile(
    rf"(?<![\w.,/+-])(?:[-−]\s?)?(?:{_CUR}\s?)?[-−]?"
    rf"(?:\d{{1,3}}(?:[.,\u00a0\u202f ]\d{{3}})+|\d{{1,9}})[.,]\d{{2}}"
    rf"(?![\d])(?!\s?%)(?:\s?{_CUR})?(?:-(?![\d\w]))?(?![\w.,])"
)


@dataclass(frozen=True, slots=True)
class Cand(Generic[T]):
    value: T
    score: float
    evidence: Evidence


def evidence(
    rule: str, hit: Hit | Phrase, score: float, start: int = 0, end: int | None = None
) -> Evidence:
    phrase = hit.phrase if isinstance(hit, Hit) else hit
    if isinstance(hit, Hit):
        start, end = hit.start, hit.end
    conf = max(0.05, min(0.99, score)) * phrase.confidence
    return Evidence(conf, rule, phrase.page, phrase.bbox(start, end), phrase.text[start:end][:120])


def amounts_in(text: str) -> Iterator[tuple[int, int, Decimal]]:
    for m in AMOUNT_RE.finditer(text):
        value = parse_amount(m.group(0), decimals_required=True)
        if value is not None:
            yield m.start(), m.end(), value


def label_spans(
    layout: Layout, fields: tuple[str, ...]
) -> list[tuple[str, Phrase, int, int, float]]:
    """Label matches for ``fields``; a match inside a longer one of another field is dropped."""
    key = ("label_spans", fields)
    cached = layout.cache.get(key)
    if cached is not None:
        return cached  # type: ignore[return-value]
    found: list[tuple[str, Phrase, int, int, float]] = []
    for name in fields:
        for pattern, weight in LABELS[name]:
            for phrase, start, end in layout.find(pattern):
                found.append((name, phrase, start, end, weight))
    kept = []
    for item in found:
        name, phrase, s, e, _w = item
        shadowed = any(
            p2 is phrase and s2 <= s and e <= e2 and (e2 - s2) > (e - s) and n2 != name
            for n2, p2, s2, e2, _ in found
        )
        if not shadowed:
            kept.append(item)
    layout.cache[key] = kept
    return kept


def labelled(
    layout: Layout,
    field: str,
    spans: list[tuple[str, Phrase, int, int, float]] | None = None,
    *,
    below: int = 2,
) -> Iterator[tuple[Hit, float, str]]:
    """(value hit, score, rule) for every label of ``field``, nearest value first."""
    spans = label_spans(layout, (field,)) if spans is None else spans
    for name, phrase, _start, end, weight in spans:
        if name != field:
            continue
        for hit in layout.values_after(phrase, end, below=below):
            decay = {"same": 1.0, "right": 0.9, "below": 0.8}[hit.relation]
            decay *= 0.85 ** (hit.distance - 1) if hit.distance > 1 else 1.0
            yield hit, weight * decay, f"label:{phrase.folded[_start:end]}:{hit.relation}"
