"""Scans and photos through the whole entry point (real tesseract), scored: >= 80% of fields.

Slow (every scanned page is OCRed once, in one module-scoped run).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from _paths import CORPUS, SCORER

from extractors import extract_document

SCAN_DIR = CORPUS / "scanned"
SCANS = sorted(p for p in SCAN_DIR.iterdir() if p.suffix.lower() in {".pdf", ".jpg", ".png"})

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out: Path = tmp_path_factory.mktemp("scans")
    for scan in SCANS:
        invoice = extract_document(scan.read_bytes(), filename=scan.name)
        (out / f"{scan.stem}.json").write_text(json.dumps(invoice.to_schema_dict()))
    done = subprocess.run(
        [sys.executable, str(SCORER), str(SCAN_DIR), str(out), "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result = json.loads(done.stdout)
    assert isinstance(result, dict)
    return result


def test_scans_score_at_least_80_percent(report: dict[str, object]) -> None:
    assert len(SCANS) >= 10
    assert report["missing_predictions"] == 0
    assert float(report["accuracy"]) >= 80.0, report["summary"]  # type: ignore[arg-type]


def test_scans_read_their_numbers_and_totals(report: dict[str, object]) -> None:
    fields = report["fields"]
    assert isinstance(fields, dict)
    assert fields["invoice_number"]["accuracy"] >= 80.0
    assert fields["total_incl_vat"]["accuracy"] >= 70.0
