"""The `boekbox` command line, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import CORPUS


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "BOEKBOX_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "BOEKBOX_BLOB_STORE": str(tmp_path / "blobs"),
        "BOEKBOX_BROKER": "sqlite",
        "BOEKBOX_BROKER_URL": str(tmp_path / "queue.db"),
        "BOEKBOX_MAIL_DOMAIN": "dossiers.boekbox.test",
    }


def boekbox(tmp_path: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_a_database_that_is_not_initialised_is_one_line_and_exit_2(tmp_path: Path) -> None:
    proc = boekbox(tmp_path, "dossier", "list", check=False)
    assert proc.returncode == 2
    assert "boekbox init" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_init_dossier_ingest_documents(tmp_path: Path) -> None:
    boekbox(tmp_path, "init")
    address = boekbox(
        tmp_path, "dossier", "add", "Bakkerij Janssens", "--vat", "BE 0428.759.497"
    ).stdout.strip()
    local, domain = address.split("@")
    assert domain == "dossiers.boekbox.test"
    assert local.startswith("bakkerij-janssens-")
    assert len(local.rsplit("-", 1)[1]) == 16  # 64-bit token
    listed = json.loads(boekbox(tmp_path, "dossier", "list", "--json").stdout)
    assert listed[0]["address"] == address
    assert listed[0]["vat"] == "BE0428759497"
    ubl = CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml"
    boekbox(tmp_path, "ingest", str(ubl), str(ubl), "--dossier", "Bakkerij Janssens")
    docs = json.loads(boekbox(tmp_path, "documents", "--json").stdout)
    assert [d["state"] for d in sorted(docs, key=lambda d: d["id"])] == ["received", "duplicate"]
    assert {d["sha256"] for d in docs} == {
        __import__("hashlib").sha256(ubl.read_bytes()).hexdigest()
    }
    quota = json.loads(boekbox(tmp_path, "quota", "--json").stdout)
    assert quota[0]["used_bytes"] == ubl.stat().st_size
    assert quota[0]["monthly_cost_eur"] == "0"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ingest", "/nonexistent/file.pdf", "--dossier", "1"), "no such file"),
        (("documents", "--dossier", "nope"), "unknown dossier"),
        (("extract", "/nonexistent.pdf", "--json"), "no such file"),
        (("documents", "--state", "weird"), "unknown state"),
    ],
)
def test_clear_errors_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    boekbox(tmp_path, "init")
    proc = boekbox(tmp_path, *args, check=False)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_extract_prints_the_schema_shape(tmp_path: Path) -> None:
    ubl = CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml"
    data = json.loads(boekbox(tmp_path, "extract", str(ubl), "--json").stdout)
    expected = json.loads((CORPUS / "ubl" / "cen_BIS3_Invoice_positive.expected.json").read_text())
    for key in ("invoice_number", "issue_date", "total_incl_vat", "supplier_vat"):
        assert data[key] == expected[key]
    assert {"lines", "warnings", "confidence"} <= set(data)


def test_every_command_has_help(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    runner = CliRunner()
    commands = [
        "init",
        "dossier add",
        "dossier list",
        "user add",
        "up",
        "smtp",
        "worker",
        "ui",
        "ingest",
        "extract",
        "propose",
        "reprocess",
        "quota",
        "documents",
        "reconcile",
        "stats",
        "supplier list",
        "supplier policy",
    ]
    for command in commands:
        result = runner.invoke(main, [*command.split(), "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert "Usage:" in result.output
