"""`boekbox vat export` as a real subprocess: an empty quarter gives a valid return."""

from __future__ import annotations

from pathlib import Path

from helpers import CORPUS
from lxml import etree
from test_cli import boekbox


def test_vat_export_writes_a_valid_return_and_refuses_a_bad_period(tmp_path: Path) -> None:
    boekbox(tmp_path, "init")
    boekbox(tmp_path, "dossier", "add", "Bakkerij Janssens", "--vat", "BE0428759497")
    out = tmp_path / "q1.xml"
    done = boekbox(
        tmp_path, "vat", "export", "--dossier", "Bakkerij Janssens", "--period", "2026-Q1",
        str(out),
    )  # fmt: skip
    assert "bytes written" in done.stdout
    schema = etree.XMLSchema(etree.parse(str(CORPUS / "intervat" / "NewTVA-in_v0_9.xsd")))
    doc = etree.parse(str(out))
    assert schema.validate(doc), schema.error_log
    assert doc.findtext(".//{*}Quarter") == "1"
    bad = boekbox(
        tmp_path, "vat", "export", "--dossier", "Bakkerij Janssens", "--period", "2026-Q9",
        str(tmp_path / "bad.xml"), check=False,
    )  # fmt: skip
    assert bad.returncode != 0
    assert "YYYY-Qn" in bad.stderr
    assert not (tmp_path / "bad.xml").exists()
