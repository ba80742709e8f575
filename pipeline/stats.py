"""Per-step timing summaries (p50/p95 per step and per document type).

Each document records when it reached each state (``Document.timings``);
this turns those stamps into step durations:

* ``split``: mail received -> mail split (mails only)
* ``extract``: document created -> extracted (queue wait included)
* ``propose``: extracted -> proposed
* ``total``: mail received (or document created) -> ready for review
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["StepStats", "document_type", "summarise"]


@dataclass(frozen=True, slots=True)
class StepStats:
    step: str
    doc_type: str
    count: int
    p50_s: float
    p95_s: float
    max_s: float


def _at(stamps: dict[str, Any], key: str) -> dt.datetime | None:
    raw = stamps.get(key)
    if not isinstance(raw, str):
        return None
    try:
        return dt.datetime.fromisoformat(raw)
    except ValueError:
        return None


def document_type(kind: str, content_type: str, extractor: str | None) -> str:
    if kind == "mail":
        return "mail"
    if extractor in {"peppol", "cii"} or content_type in {"application/xml", "text/xml"}:
        return "e-invoice"
    if extractor and "ocr" in extractor:
        return "scan/photo"
    if content_type.startswith("image/"):
        return "scan/photo"
    if content_type == "application/pdf":
        return "pdf"
    return "other"


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    idx = max(0, math.ceil(q * len(ordered)) - 1)
    return ordered[idx]


def _span(a: dt.datetime | None, b: dt.datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return max(0.0, (b - a).total_seconds())


def summarise(
    rows: Iterable[tuple[str, str, str | None, dict[str, Any], dict[str, Any]]],
) -> list[StepStats]:
    spans: dict[tuple[str, str], list[float]] = defaultdict(list)
    for kind, ctype, extractor, stamps, parent in rows:
        dtype = document_type(kind, ctype, extractor)
        received = _at(stamps, "received")
        pairs = {
            "split": _span(received, _at(stamps, "split")),
            "extract": _span(received, _at(stamps, "extracted")),
            "propose": _span(_at(stamps, "extracted"), _at(stamps, "proposed")),
            "total": _span(_at(parent, "received") or received, _at(stamps, "proposed")),
        }
        for step, seconds in pairs.items():
            if seconds is not None:
                spans[(step, dtype)].append(seconds)
                spans[(step, "all")].append(seconds)
    order = {"split": 0, "extract": 1, "propose": 2, "total": 3}
    return [
        StepStats(step, dtype, len(v), _quantile(v, 0.5), _quantile(v, 0.95), max(v))
        for (step, dtype), v in sorted(spans.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))
    ]
