"""Shared paths for the booking tests."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
CASES_FILE = CORPUS / "booking" / "cases.json"


def load_cases() -> list[dict[str, Any]]:
    cases = json.loads(CASES_FILE.read_text(encoding="utf-8"))
    assert isinstance(cases, list)
    assert cases
    return cases


def multiset(lines: list[dict[str, Any]]) -> Counter[tuple[str, str, str, frozenset[str]]]:
    """Lines compared as in doc section 9: (account, debit, credit, set(vat_grid))."""
    return Counter(
        (ln["account"], ln["debit"], ln["credit"], frozenset(ln["vat_grid"])) for ln in lines
    )
