"""Shared fixtures for the peppol tests."""

from __future__ import annotations

import pytest
from peppol_paths import UBL_DIR


@pytest.fixture(scope="session")
def base_example() -> bytes:
    return (UBL_DIR / "peppol_base-example.xml").read_bytes()
