"""The invoicing commands of `boekbox`, run as a real subprocess on SQLite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_invoicing_service import CUSTOMER, SELLER


def boekbox(tmp_path: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BOEKBOX_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "BOEKBOX_BLOB_STORE": str(tmp_path / "blobs"),
        "BOEKBOX_BROKER": "sqlite",
        "BOEKBOX_BROKER_URL": str(tmp_path / "queue.db"),
        "BOEKBOX_MAIL_DOMAIN": "dossiers.boekbox.test",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.slow
def test_settings_customers_create_issue_list_credit_coda_remind(tmp_path: Path) -> None:
    boekbox(tmp_path, "init")
    boekbox(tmp_path, "dossier", "add", "Bakkerij", "--vat", "BE0403170701")
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"seller": SELLER, "prefix": "V"}))
    boekbox(tmp_path, "invoice", "settings", "--dossier", "Bakkerij", str(settings))
    csv = tmp_path / "customers.csv"
    csv.write_text(
        f"name;country;vat;email\n{CUSTOMER['name']};BE;{CUSTOMER['vat']};{CUSTOMER['email']}\n"
        "Fout;BE;BE0202239952;\n"
    )
    out = boekbox(tmp_path, "customer", "import", "--dossier", "Bakkerij", str(csv))
    assert "1 customers imported, 1 rows refused" in out.stdout
    assert "line 3" in out.stderr
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "dossier": "Bakkerij",
                "customer_id": 1,
                "issue_date": "2026-03-02",
                "lines": [
                    {"description": "Brood", "quantity": "3", "unit_price": "2.50", "vat_rate": "6"}
                ],
            }
        )
    )
    created = json.loads(boekbox(tmp_path, "invoice", "create", str(spec), "--json").stdout)
    assert created["state"] == "draft"
    assert created["total"] == "7.95"
    issued = boekbox(tmp_path, "invoice", "issue", str(created["id"])).stdout
    assert "V2026-0001" in issued
    bad = tmp_path / "nolines.json"
    bad.write_text(json.dumps({"dossier": "Bakkerij", "customer_id": 1, "lines": [{}]}))
    refused = boekbox(tmp_path, "invoice", "create", str(bad), check=False)
    assert refused.returncode == 1
    assert "line 1" in refused.stderr
    credit = boekbox(tmp_path, "invoice", "credit", str(created["id"]), "--issue").stdout
    assert "V2026-0002" in credit
    listed = json.loads(
        boekbox(tmp_path, "invoice", "list", "--dossier", "Bakkerij", "--json").stdout
    )
    assert [(r["number"], r["kind"]) for r in listed] == [
        ("V2026-0002", "credit_note"), ("V2026-0001", "invoice"),
    ]  # fmt: skip
    coda = tmp_path / "bad.cod"
    coda.write_text("0" * 100 + "\n")
    proc = boekbox(tmp_path, "coda", "import", "--dossier", "Bakkerij", str(coda), check=False)
    assert proc.returncode == 1
    assert "line 1" in proc.stderr
    assert "reminders due (dry run)" in boekbox(tmp_path, "remind", "--dry-run").stdout
