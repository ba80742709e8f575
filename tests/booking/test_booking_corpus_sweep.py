"""Every extraction ground truth of the corpus books (balanced) or is refused with a reason."""

from __future__ import annotations

import json

import pytest
from booking_helpers import CORPUS

from booking.errors import BookingError
from booking.io import load_case
from booking.propose import propose

FILES = sorted(
    p
    for p in CORPUS.glob("*/*.expected.json")
    if "documents" not in json.loads(p.read_text(encoding="utf-8"))
)


def test_there_are_ground_truth_files() -> None:
    assert len(FILES) > 50


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_ground_truth_books_or_is_refused_with_a_reason(path) -> None:  # type: ignore[no-untyped-def]
    invoice, context = load_case(json.loads(path.read_text(encoding="utf-8")))
    try:
        p = propose(invoice, context)
    except BookingError as exc:
        refused = str(exc)
    else:
        refused = ""
    if refused:
        assert "check" in refused or "no " in refused, refused
        return
    assert p.balanced
    assert p.lines
    assert all(ln.reason for ln in p.lines)
