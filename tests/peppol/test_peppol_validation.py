"""validate(): the CEN XSLT and the own rules agree with the official artefacts' verdicts."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from peppol_paths import UBL_DIR, UBL_FILES

import peppol
from extractors.model import Finding, Severity
from peppol.rules import RULES


def _expected(path: Path) -> dict[str, list[str]]:
    data = json.loads((path.parent / f"{path.stem}.expected.json").read_text())
    return data["official_validation_fatal"]


@pytest.fixture(scope="module")
def findings() -> dict[str, tuple[Finding, ...]]:
    return {p.stem: peppol.validate(p.read_bytes()) for p in UBL_FILES}


@pytest.mark.parametrize("path", UBL_FILES, ids=lambda p: p.stem)
def test_cen_fatal_ids_match_the_official_run(path: Path, findings: dict) -> None:
    own = {r.rule_id for r in RULES}
    got = {f.rule_id for f in findings[path.stem] if f.severity is Severity.FATAL} - own
    assert got == set(_expected(path)["cen-en16931-ubl-1.3.16"])


@pytest.mark.parametrize("path", UBL_FILES, ids=lambda p: p.stem)
def test_own_peppol_rules_match_the_official_run(path: Path, findings: dict) -> None:
    own = {r.rule_id for r in RULES}
    got = {f.rule_id for f in findings[path.stem] if f.severity is Severity.FATAL} & own
    assert got == set(_expected(path)["peppol-bis3-2026.5"]) & own


def test_findings_are_readable(findings: dict) -> None:
    br = next(f for f in findings["ublbe_15000035"] if f.rule_id == "BR-S-08")
    assert br.severity is Severity.FATAL
    assert br.message.startswith("[BR-S-08]")
    assert br.location.startswith("/Invoice[1]/TaxTotal[1]")  # namespaces stripped


def test_warnings_are_kept_apart_from_fatal(findings: dict) -> None:
    warnings = [f for f in findings["ublbe_15000005"] if f.severity is Severity.WARNING]
    assert any(f.rule_id.startswith("UBL-CR-") for f in warnings)


def test_cii_is_validated_with_the_factur_x_artefact() -> None:
    pdf = (UBL_DIR.parent / "pdf" / "zc_EN16931_Einfach.pdf").read_bytes()
    xml = peppol.embedded_xml_from_pdf(pdf)
    assert xml is not None
    result = peppol.validate(xml)
    assert not [f for f in result if f.severity is Severity.FATAL]
    broken = xml.replace(b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:TypeCode>999</ram:TypeCode>")
    assert [f for f in peppol.validate(broken) if f.severity is Severity.FATAL]


def test_unsafe_input_is_refused_before_saxon_sees_it() -> None:
    xxe = (
        (UBL_DIR / "peppol_base-example.xml")
        .read_bytes()
        .replace(
            b"<Invoice ",
            b'<!DOCTYPE Invoice [<!ENTITY x SYSTEM "file:///etc/passwd">]><Invoice ',
            1,
        )
    )
    with pytest.raises(peppol.UnsafeXml):
        peppol.validate(xxe)
    with pytest.raises(peppol.UnsupportedDocument):
        peppol.validate(b'<Order xmlns="urn:x"/>')


def test_validation_from_several_threads() -> None:
    data = (UBL_DIR / "ublbe_15000035.xml").read_bytes()
    results: list[set[str]] = []

    def work() -> None:
        results.append({f.rule_id for f in peppol.validate(data)})

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 4
    assert all(r == results[0] for r in results)
    assert "BR-S-08" in results[0]
