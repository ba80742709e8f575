"""`boekbox intake-limit`, `boekbox alerts` and `boekbox purge-junk` as real subprocesses
(issue 18.8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli import CORPUS, _env, boekbox


@pytest.mark.slow  # nine CLI subprocesses
def test_intake_limit_alerts_and_purge_junk(tmp_path: Path) -> None:
    boekbox(tmp_path, "init")
    boekbox(tmp_path, "dossier", "add", "Bakkerij Janssens")
    shown = boekbox(tmp_path, "intake-limit", "Bakkerij Janssens").stdout
    assert "limit 524288000 bytes/day (default)" in shown
    assert "(own)" in boekbox(tmp_path, "intake-limit", "1", "1000").stdout
    assert "(default)" in boekbox(tmp_path, "intake-limit", "1", "default").stdout
    assert boekbox(tmp_path, "intake-limit", "1", "lots", check=False).returncode != 0

    assert json.loads(boekbox(tmp_path, "alerts", "--json").stdout) == []
    from pipeline.runtime import build_runtime, reset_runtime
    from pipeline.settings import Settings
    from storage import intake_guard
    from storage.db import dispose_engines

    env = _env(tmp_path)
    rt = build_runtime(
        Settings(database_url=env["BOEKBOX_DATABASE_URL"], blob_store=env["BOEKBOX_BLOB_STORE"],
                 broker="stub")
    )  # fmt: skip
    try:
        with rt.tx() as s:
            intake_guard.raise_alert(
                s, intake_guard.INTAKE_LIMIT_ALERT, dossier_id=1, since=intake_guard.day_start(),
                message="Daily intake limit reached",
            )  # fmt: skip
    finally:
        reset_runtime(None)
        dispose_engines()
    (alert,) = json.loads(boekbox(tmp_path, "alerts", "--dossier", "1", "--json").stdout)
    assert (alert["kind"], alert["message"]) == ("intake_limit", "Daily intake limit reached")

    ubl = CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml"
    boekbox(tmp_path, "ingest", str(ubl), "--dossier", "1")
    (doc,) = json.loads(boekbox(tmp_path, "documents", "--json").stdout)
    out = boekbox(tmp_path, "purge-junk", "--dossier", "1", str(doc["id"])).stdout
    assert f"freed {ubl.stat().st_size} bytes" in out
    assert json.loads(boekbox(tmp_path, "quota", "--json").stdout)[0]["used_bytes"] == 0
    assert (
        "already purged" in boekbox(tmp_path, "purge-junk", "--dossier", "1", str(doc["id"])).stdout
    )
