"""Make the repository importable before tests/ (tests/extractors shadows the package)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CORPUS = ROOT / ".." / "shared" / "corpus"
SCORER = ROOT / ".." / "shared" / "tools" / "score_extraction.py"

for _path in (str(HERE), str(ROOT)):
    if _path in sys.path:
        sys.path.remove(_path)
    sys.path.insert(0, _path)
