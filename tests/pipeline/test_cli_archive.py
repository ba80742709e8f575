"""The archive commands end to end (SQLite, local blob store): verify, export/import,
purge, hold, delete; and a missing original read through the service."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from helpers import CORPUS, dossier
from test_cli import boekbox

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, Service, ServiceError

UBL = CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml"


def test_verify_export_import_purge_hold_delete(tmp_path: Path) -> None:
    boekbox(tmp_path, "init")
    boekbox(tmp_path, "dossier", "add", "Archief BV")
    boekbox(tmp_path, "ingest", str(UBL), "--dossier", "Archief BV")
    ok = json.loads(boekbox(tmp_path, "verify", "--json").stdout)
    assert ok["checked"] == 1
    assert ok["ok"] == 1
    archive = tmp_path / "out" / "archief.zip"
    archive.parent.mkdir()
    exported = boekbox(tmp_path, "dossier", "export", "1", str(archive)).stdout
    assert "1 documents, 0 mails" in exported
    assert "1 originals checked" in exported
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    sha = hashlib.sha256(UBL.read_bytes()).hexdigest()
    assert [f["sha256"] for n, f in manifest["files"].items() if n.startswith("documents/")] == [
        sha
    ]
    imported = json.loads(boekbox(tmp_path, "dossier", "import", str(archive), "--json").stdout)
    assert imported["documents"] == 1
    assert imported["mails"] == 0
    assert imported["dossier_id"] == 2
    # tampered: one byte of the original changed
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("documents/"):
                data = data.replace(b"Invoice", b"Invoise", 1)
            zout.writestr(info.filename, data)
    refused = boekbox(tmp_path, "dossier", "import", str(bad), check=False)
    assert refused.returncode != 0
    assert "tampered" in refused.stderr
    # the purge: nothing is due (the invoice is recent); deleting is refused
    dry = json.loads(boekbox(tmp_path, "dossier", "purge", "1", "--json").stdout)
    assert dry["dry_run"] is True
    assert dry["documents"] == 0
    assert dry["retained"] >= 1
    boekbox(tmp_path, "dossier", "hold", "1")
    deleted = boekbox(tmp_path, "dossier", "delete", "1", "--yes", check=False)
    assert deleted.returncode != 0
    assert "legal hold" in deleted.stderr
    # a blob gone from the store: verify names it and exits 1
    (tmp_path / "blobs" / sha[:2] / sha[2:4] / sha).unlink()
    missing = boekbox(tmp_path, "verify", "--dossier", "1", check=False)
    assert missing.returncode == 1
    assert f"missing: {sha}" in missing.stdout


def test_a_missing_original_is_a_clear_reason_not_a_crash(sqlite_runtime: Runtime) -> None:
    svc = Service(sqlite_runtime)
    did = dossier(sqlite_runtime)
    row = svc.ingest(SYSTEM, did, UBL.read_bytes(), UBL.name)
    blob = sqlite_runtime.blobs.path(hashlib.sha256(UBL.read_bytes()).hexdigest())  # type: ignore[attr-defined]
    blob.unlink()
    with pytest.raises(ServiceError, match="missing from the archive"):
        svc.document_bytes(SYSTEM, row.id)
    assert svc.document(SYSTEM, row.id).row.id == row.id  # the document still opens
    report = svc.verify_blobs(SYSTEM, dossier_id=did)
    assert [m["documents"] for m in report["missing"]] == [[row.id]]


def test_the_worker_sample_check_runs_when_due(sqlite_runtime: Runtime) -> None:
    import pipeline.cli_archive as cli_archive

    svc = Service(sqlite_runtime)
    did = dossier(sqlite_runtime)
    row = svc.ingest(SYSTEM, did, UBL.read_bytes(), UBL.name)
    sha = hashlib.sha256(UBL.read_bytes()).hexdigest()
    sqlite_runtime.blobs.path(sha).write_bytes(b"bit rot")  # type: ignore[attr-defined]
    cli_archive._next_verify = None
    assert cli_archive.verify_pass_if_due(now=0.0) is None  # first pass only after a while
    report = cli_archive.verify_pass_if_due(now=10.0**7)
    assert report is not None
    assert [d["documents"] for d in report["damaged"]] == [[row.id]]
    assert cli_archive.verify_pass_if_due(now=10.0**7 + 1) is None  # not due again yet
