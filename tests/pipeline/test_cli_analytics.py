"""`boekbox analytics` as real subprocesses: dimensions, distributions, the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from books_world import seed_books
from dbfixtures import make_runtime
from test_cli import boekbox

from pipeline.runtime import reset_runtime
from storage.db import dispose_engines

DOSSIER = ("--dossier", "Bakkerij Janssens")


@pytest.mark.slow  # about 10 subprocesses
def test_analytics_from_the_cli(tmp_path: Path) -> None:
    boekbox(tmp_path, "init")
    boekbox(tmp_path, "dossier", "add", "Bakkerij Janssens", "--vat", "BE0428759497")
    rt = make_runtime(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    try:
        ids = seed_books(rt, 1)
    finally:
        reset_runtime(None)
        dispose_engines()
    added = boekbox(
        tmp_path, "analytics", "dimension", "add", *DOSSIER, "cost centre", "WINKEL:Shop", "ATELIER"
    )
    assert "cost centre: ATELIER, WINKEL" in added.stdout
    listed = json.loads(
        boekbox(tmp_path, "analytics", "dimension", "list", *DOSSIER, "--json").stdout
    )
    assert listed[0]["codes"][1] == {"code": "WINKEL", "label": "Shop", "active": True}

    done = boekbox(
        tmp_path, "analytics", "distribute", "--entry", str(ids[1]), "--line", "1",
        "WINKEL=33.3333", "ATELIER=66.6667",
    )  # fmt: skip
    assert done.stdout.split() == ["WINKEL", "33.3333%", "166.67", "ATELIER", "66.6667%", "333.33"]
    bad = boekbox(
        tmp_path, "analytics", "distribute", "--entry", str(ids[2]), "--line", "1",
        "WINKEL=50", "ATELIER=40", check=False,
    )  # fmt: skip
    assert bad.returncode != 0
    assert "the shares add up to 90 %, not 100 %" in bad.stderr
    unknown = boekbox(
        tmp_path, "analytics", "distribute", "--entry", str(ids[2]), "--line", "1", "X=100",
        check=False,
    )  # fmt: skip
    assert unknown.returncode != 0
    assert "unknown code 'X'" in unknown.stderr

    report = boekbox(
        tmp_path, "analytics", "report", *DOSSIER, "--dimension", "cost centre",
        "--year", "2026", "--json", "--csv", str(tmp_path / "r.csv"),
        "--xlsx", str(tmp_path / "r.xlsx"),
    )  # fmt: skip
    data = json.loads(report.stdout)
    rows = {(r["code"], r["month"]): r for r in data["rows"]}
    assert rows[("WINKEL", "2026-01")]["costs"] == "166.67"
    assert rows[("ATELIER", "2026-01")]["result"] == "-333.33"
    assert data["total"] == "1600.00"
    assert (tmp_path / "r.csv").read_bytes().startswith(b"\xef\xbb\xbfcost centre;month")
    assert (tmp_path / "r.xlsx").read_bytes()[:2] == b"PK"
    missing = boekbox(tmp_path, "analytics", "report", *DOSSIER, "--dimension", "nope", check=False)
    assert missing.returncode != 0
    assert "no dimension 'nope'" in missing.stderr
