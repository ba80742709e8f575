"""`boekbox coda import` books in the bank journal, `boekbox coda book` books an unmatched
line against an account (a real subprocess on SQLite; issue 14)."""

from __future__ import annotations

import json
import sys
from decimal import Decimal as D
from pathlib import Path

from test_invoicing_cli import boekbox

sys.path.insert(0, str(Path(__file__).parents[1] / "invoicing"))
from invoicing_coda_builder import coda_statement


def test_coda_import_and_book_a_line_by_hand(tmp_path: Path) -> None:
    boekbox(tmp_path, "init")
    boekbox(tmp_path, "dossier", "add", "Bakkerij", "--vat", "BE0403170701")
    statement = tmp_path / "dec.cod"
    statement.write_bytes(coda_statement([(D("-15.40"), None, "bank costs")]))
    args = ("coda", "import", "--dossier", "Bakkerij", str(statement), "--json")
    got = json.loads(boekbox(tmp_path, *args).stdout)
    assert (got["movements"], got["matched"], got["booked"]) == (1, 0, 0)
    (line,) = got["unmatched"]
    proc = boekbox(tmp_path, "coda", "book", str(line["id"]), "999999", check=False)
    assert proc.returncode == 1
    assert "account 999999 is not in the dossier's chart" in proc.stderr
    out = boekbox(tmp_path, "coda", "book", str(line["id"]), "657000", "--description", "fees")
    assert "booked as bank 2026/1 on 657000" in out.stdout
    again = tmp_path / "dec-again.cod"
    again.write_bytes(statement.read_bytes() + b"\n")
    out = boekbox(tmp_path, "coda", "import", "--dossier", "Bakkerij", str(again))
    assert "0 movements, 0 matched, 0 to match; 0 booked" in out.stdout
    assert "1 imported before (skipped)" in out.stdout
