"""Shared fixtures for the peppol tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The setuptools editable finder sits after PathFinder in sys.meta_path, so without the
# repository root on sys.path ``import peppol`` resolves to an empty namespace package.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CORPUS = ROOT / ".." / "shared" / "corpus"
UBL_DIR = CORPUS / "ubl"
PDF_DIR = CORPUS / "pdf"
SCORER = ROOT / ".." / "shared" / "tools" / "score_extraction.py"
UBL_FILES = sorted(UBL_DIR.glob("*.xml"))


@pytest.fixture(scope="session")
def base_example() -> bytes:
    return (UBL_DIR / "peppol_base-example.xml").read_bytes()
