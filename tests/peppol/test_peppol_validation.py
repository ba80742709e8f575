"""validate(): the CEN XSLT and the own rule tables agree exactly with the official runs.

The corpus records, per file, the fatal rule ids of three official runs.  boekbox mirrors
``cen-en16931-ubl-1.3.16`` with ``rulesets=("cen",)`` and ``peppol-bis3-2026.5`` (BIS rules
plus the national rules) with ``("peppol",)``, both exactly.  ``ubl.be-1.31`` is compared on
its ``ubl-BE-*`` ids: the official UBL.BE bundle also runs its own modified copy of the CEN
rules (it does not raise BR-S-08/BR-E-08 on the Belgian OSS rows, BR-CL-22 on BETE-*
exemption codes, ...) and an older Peppol copy (CL008 a warning, a shorter P0100 list, no
DK-R-017), which boekbox does not reproduce.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest
from peppol_paths import UBL_DIR, UBL_FILES

import peppol
from extractors.model import Finding, Severity
from peppol.safe_xml import parse_xml_safely
from peppol.validation import OFFICIAL, default_rulesets

BIS = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"


def _expected(path: Path) -> dict[str, list[str]]:
    data = json.loads((path.parent / f"{path.stem}.expected.json").read_text())
    return data["official_validation_fatal"]


def _fatal(findings: tuple[Finding, ...]) -> set[str]:
    return {f.rule_id for f in findings if f.severity is Severity.FATAL}


@pytest.fixture(scope="module")
def runs() -> dict[tuple[str, str], set[str]]:
    """(file stem, official run) -> fatal ids from the boekbox rulesets that mirror it."""
    out = {}
    for path in UBL_FILES:
        data = path.read_bytes()
        for official, rulesets in OFFICIAL.items():
            out[path.stem, official] = _fatal(peppol.validate(data, rulesets=rulesets))
    return out


@pytest.fixture(scope="module")
def findings() -> dict[str, tuple[Finding, ...]]:
    return {p.stem: peppol.validate(p.read_bytes()) for p in UBL_FILES}


@pytest.mark.parametrize("path", UBL_FILES, ids=lambda p: p.stem)
def test_cen_fatal_ids_match_the_official_run(path: Path, runs: dict) -> None:
    official = "cen-en16931-ubl-1.3.16"
    assert runs[path.stem, official] == set(_expected(path)[official])


@pytest.mark.parametrize("path", UBL_FILES, ids=lambda p: p.stem)
def test_peppol_fatal_ids_match_the_official_run_exactly(path: Path, runs: dict) -> None:
    official = "peppol-bis3-2026.5"
    assert runs[path.stem, official] == set(_expected(path)[official])


@pytest.mark.parametrize("path", UBL_FILES, ids=lambda p: p.stem)
def test_ublbe_fatal_ids_match_the_official_run(path: Path, runs: dict) -> None:
    official = "ubl.be-1.31"
    expected = {r for r in _expected(path)[official] if r.startswith("ubl-BE-")}
    assert runs[path.stem, official] == expected


def test_default_run_is_cen_peppol_and_belgian_checks_plus_ublbe_for_ublbe_documents(
    findings: dict, runs: dict
) -> None:
    for path in UBL_FILES:
        root = parse_xml_safely(path.read_bytes())
        ublbe = path.stem.startswith("ublbe_")  # the only files whose CustomizationID says UBL.BE
        assert ("ublbe" in default_rulesets(root)) is ublbe
        got = _fatal(findings[path.stem])
        assert (
            got >= runs[path.stem, "cen-en16931-ubl-1.3.16"] | runs[path.stem, "peppol-bis3-2026.5"]
        )
        assert bool({r for r in got if r.startswith("ubl-BE-")}) is (
            ublbe and bool(runs[path.stem, "ubl.be-1.31"])
        )
    # a Peppol BIS invoice from a Belgian supplier is not a UBL.BE document
    written = re.sub(
        rb"<cbc:CustomizationID>[^<]*<",
        b"<cbc:CustomizationID>" + BIS.encode() + b"<",
        (UBL_DIR / "ublbe_15000004.xml").read_bytes(),
    )
    assert "ublbe" not in default_rulesets(parse_xml_safely(written))
    assert not [f for f in peppol.validate(written) if f.rule_id.startswith("ubl-BE-")]
    base = (UBL_DIR / "peppol_base-example.xml").read_bytes()  # BIS rules pass, UBL.BE rules do not
    assert _fatal(peppol.validate(base, rulesets=("ublbe",))) >= {"ubl-BE-01", "ubl-BE-14"}
    assert not [f for f in peppol.validate(base) if f.rule_id.startswith("ubl-BE-")]


def test_rulesets_pick_exactly_their_rules() -> None:
    data = (UBL_DIR / "cen_ubl-tc434-example3.xml").read_bytes()  # DK seller and buyer
    peppol_only = peppol.validate(data, rulesets=("peppol",))
    assert {"DK-R-005", "DK-R-014", "DK-R-017", "PEPPOL-EN16931-R004"} <= _fatal(peppol_only)
    assert not [f for f in peppol_only if f.rule_id.startswith(("BR-", "UBL-", "BOEKBOX-"))]
    assert peppol.validate(data, rulesets=()) == ()
    with pytest.raises(ValueError, match="unknown ruleset"):
        peppol.validate(data, rulesets=("peppol-bis3-2026.5",))


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


def test_saxon_gets_a_short_placeholder_for_big_embedded_files_and_the_same_verdict() -> None:
    from lxml import etree

    from peppol import cen
    from peppol.safe_xml import parse_xml_safely

    root = parse_xml_safely((UBL_DIR / "ublbe_15000035.xml").read_bytes())
    (binary,) = root.iter(cen._BINARY)
    original = binary.text
    assert original is not None
    assert len(original) > 100_000
    shortened = cen._serialised(root, "ubl")
    assert len(shortened) < 20_000
    assert binary.text == original  # the tree is restored
    full = cen._findings_from_svrl(
        cen.compiled("ubl").transform_to_string(
            xdm_node=cen._processor.parse_xml(xml_text=etree.tostring(root, encoding="unicode"))
        )
    )
    assert cen.run_cen_on_tree(root, "ubl") == full
