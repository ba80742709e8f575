"""Corpus paths for the peppol tests (imported by the test modules)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CORPUS = ROOT / ".." / "shared" / "corpus"
UBL_DIR = CORPUS / "ubl"
PDF_DIR = CORPUS / "pdf"
SCORER = ROOT / ".." / "shared" / "tools" / "score_extraction.py"
UBL_FILES = sorted(UBL_DIR.glob("*.xml"))
