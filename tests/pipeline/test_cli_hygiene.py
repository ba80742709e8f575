"""`boekbox init --demo` on an existing database, `boekbox blobs gc`, and a missing
document id on the command line (issue 18.8, 18.11), run as real subprocesses."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from test_cli import CORPUS, _env, boekbox

from pipeline.service import Service
from pipeline.settings import Settings
from storage import LocalBlobStore


def _authenticates(tmp_path: Path, password: str) -> bool:
    from pipeline.runtime import build_runtime, reset_runtime
    from storage.db import dispose_engines

    env = _env(tmp_path)
    rt = build_runtime(
        Settings(
            database_url=env["BOEKBOX_DATABASE_URL"],
            blob_store=env["BOEKBOX_BLOB_STORE"],
            broker="stub",
            broker_url=env["BOEKBOX_BROKER_URL"],
        )
    )
    try:
        return Service(rt).authenticate("demo", password) is not None
    finally:
        reset_runtime(None)
        dispose_engines()


def test_demo_login_is_refused_on_a_database_with_dossiers(tmp_path: Path) -> None:
    boekbox(tmp_path, "init")
    boekbox(tmp_path, "dossier", "add", "Bakkerij Janssens")
    refused = boekbox(tmp_path, "init", "--demo", check=False)
    assert refused.returncode == 2
    assert "--force" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert not _authenticates(tmp_path, "boekbox-demo")
    forced = boekbox(
        tmp_path, "init", "--demo", "--force", "--demo-password", "eigen-wachtwoord-42"
    )
    assert "demo / eigen-wachtwoord-42" in forced.stdout
    assert _authenticates(tmp_path, "eigen-wachtwoord-42")
    assert not _authenticates(tmp_path, "boekbox-demo")


def test_demo_on_a_fresh_database_is_idempotent_and_its_password_changeable(
    tmp_path: Path,
) -> None:
    first = boekbox(tmp_path, "init", "--demo")
    assert "demo / boekbox-demo" in first.stdout
    again = boekbox(tmp_path, "init", "--demo")  # make run does this on every start
    assert "demo / boekbox-demo" in again.stdout
    changed = boekbox(tmp_path, "init", "--demo", "--demo-password", "nieuw-wachtwoord-7")
    assert "demo / nieuw-wachtwoord-7" in changed.stdout
    assert _authenticates(tmp_path, "nieuw-wachtwoord-7")
    unchanged = boekbox(tmp_path, "init", "--demo")
    assert "(password unchanged)" in unchanged.stdout
    assert "boekbox-demo" not in unchanged.stdout
    assert _authenticates(tmp_path, "nieuw-wachtwoord-7")


def test_demo_password_from_the_environment(tmp_path: Path) -> None:
    os.environ["BOEKBOX_DEMO_PASSWORD"] = "uit-de-omgeving-9"
    try:
        out = boekbox(tmp_path, "init", "--demo")
    finally:
        del os.environ["BOEKBOX_DEMO_PASSWORD"]
    assert "demo / uit-de-omgeving-9" in out.stdout
    assert _authenticates(tmp_path, "uit-de-omgeving-9")


def test_blobs_gc_deletes_old_orphans_only(tmp_path: Path) -> None:
    boekbox(tmp_path, "init")
    boekbox(tmp_path, "dossier", "add", "Bakkerij Janssens")
    ubl = CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml"
    boekbox(tmp_path, "ingest", str(ubl), "--dossier", "Bakkerij Janssens")
    store = LocalBlobStore(tmp_path / "blobs")
    kept = store.put(ubl.read_bytes())  # the ingested file: referenced
    orphan = store.put(b"a mail refused with 451 after DATA")
    fresh = store.put(b"in flight")
    past = time.time() - 3 * 86_400
    for sha in (kept.sha256, orphan.sha256):
        os.utime(store.path(sha), (past, past))

    dry = json.loads(boekbox(tmp_path, "blobs", "gc", "--dry-run", "--json").stdout)
    assert dry["deleted_sha256"] == [orphan.sha256]
    assert dry["dry_run"] is True
    assert store.exists(orphan.sha256)

    text = boekbox(tmp_path, "blobs", "gc").stdout
    assert "deleted 1" in text
    assert orphan.sha256 in text
    assert not store.exists(orphan.sha256)
    assert store.exists(kept.sha256)
    assert store.exists(fresh.sha256)
    docs = json.loads(boekbox(tmp_path, "documents", "--json").stdout)
    assert docs[0]["sha256"] == kept.sha256


def test_a_missing_document_id_is_one_line(tmp_path: Path) -> None:
    boekbox(tmp_path, "init")
    proc = boekbox(tmp_path, "reprocess", "999", check=False)
    assert proc.returncode != 0
    assert "document 999 does not exist" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_make_run_starts_without_a_demo_login_on_a_database_with_dossiers(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    boekbox(tmp_path, "init")
    boekbox(tmp_path, "dossier", "add", "Bakkerij Janssens")
    script = Path(__file__).resolve().parents[2] / "scripts" / "run_demo.py"
    env = _env(tmp_path)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run(
        [sys.executable, str(script), "--no-up"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "without a demo login" in result.stderr
    assert not _authenticates(tmp_path, "boekbox-demo")
