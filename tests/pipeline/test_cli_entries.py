"""`boekbox entry add`, `account add`, `period lock/unlock`, `opening import` and
`bookyear create` as real subprocesses: refusals exit non-zero with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli import boekbox

DOSSIER = ("--dossier", "Bakkerij Janssens")


@pytest.mark.slow  # about 20 subprocesses
def test_entries_by_hand_from_the_cli(tmp_path: Path) -> None:
    boekbox(tmp_path, "init")
    boekbox(tmp_path, "dossier", "add", "Bakkerij Janssens", "--vat", "BE0428759497")
    boekbox(tmp_path, "account", "add", *DOSSIER, "550000", "Bank")
    boekbox(tmp_path, "account", "add", *DOSSIER, "100000", "Kapitaal")
    done = boekbox(
        tmp_path, "entry", "add", *DOSSIER, "--journal", "misc", "--date", "2026-03-31",
        "--line", "613000:121,00::fees: March", "--line", "440000::121,00", "--json",
    )  # fmt: skip
    got = json.loads(done.stdout)
    assert (got["journal"], got["bookyear"], got["number"], got["origin"]) == (
        "misc",
        "2026",
        1,
        "manual",
    )
    assert got["lines"][0]["description"] == "fees: March"
    spec = tmp_path / "bank.json"
    spec.write_text(
        json.dumps(
            {
                "journal": "bank",
                "date": "2026-04-02",
                "lines": [
                    {"account": "440000", "debit": "121.00"},
                    {"account": "550000", "credit": "121.00"},
                ],
            }
        )
    )
    assert (
        "booked bank 2026/1"
        in boekbox(tmp_path, "entry", "add", *DOSSIER, "--spec", str(spec)).stdout
    )
    unbalanced = boekbox(
        tmp_path, "entry", "add", *DOSSIER, "--date", "2026-03-31",
        "--line", "613000:100::", "--line", "440000::90", check=False,
    )  # fmt: skip
    assert unbalanced.returncode != 0
    assert "does not balance: debit 100.00, credit 90.00" in unbalanced.stderr
    boekbox(tmp_path, "period", "lock", *DOSSIER, "--through", "2026-03")
    locked = boekbox(
        tmp_path, "entry", "add", *DOSSIER, "--date", "2026-03-31",
        "--line", "613000:1:", "--line", "440000::1", check=False,
    )  # fmt: skip
    assert locked.returncode != 0
    assert "period 2026-03 is locked" in locked.stderr
    assert (
        "locked through 2025-12"
        in boekbox(tmp_path, "period", "unlock", *DOSSIER, "--period", "2026-01").stdout
    )
    trial = tmp_path / "trial.csv"
    trial.write_text("account;debit;credit\n550000;500;\n100000;;400\n")
    bad = boekbox(
        tmp_path, "opening", "import", *DOSSIER, "--bookyear", "2026", str(trial), check=False
    )
    assert bad.returncode != 0
    assert "does not balance" in bad.stderr
    trial.write_text("account;debit;credit\n550000;500;\n100000;;500\n")
    assert (
        "booked misc 2026/2"
        in boekbox(tmp_path, "opening", "import", *DOSSIER, "--bookyear", "2026", str(trial)).stdout
    )
    assert (
        "bookyear 2027 (2027-01..2027-12) created"
        in boekbox(tmp_path, "bookyear", "create", *DOSSIER).stdout
    )
    listed = boekbox(tmp_path, "bookyear", "list", *DOSSIER).stdout
    assert "2027\t2027-01..2027-12\t1 entries\topening balances" in listed
    assert "0 waiting for approval" in boekbox(tmp_path, "entry", "waiting", *DOSSIER).stdout
