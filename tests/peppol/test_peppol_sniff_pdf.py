"""sniff_xml on every kind of input, and the CII path on PDFs that embed XML."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from peppol_paths import PDF_DIR, UBL_FILES

import peppol
from peppol.ns import UBL_INVOICE
from peppol.pdf import KNOWN_XML_NAMES

# Files whose embedded XML disagrees with the printed page (expected.json is the page)
PAGE_DIFFERS = {
    "mu_MustangBeispiel20221026": {"total_vat", "total_incl_vat", "payable_amount"},
    "zc_konik_acme_invoice_42": {"*"},
    "i2d_AzureInterior": {"line_count"},
}
KEY_FIELDS = (
    "document_type", "invoice_number", "issue_date", "currency", "total_excl_vat", "total_vat",
    "total_incl_vat", "payable_amount", "supplier_vat", "customer_vat", "iban", "line_count",
)  # fmt: skip
EMBEDDING = [
    p
    for p in sorted(PDF_DIR.glob("*.pdf"))
    if p.stem.startswith(("zc_", "mu_", "hk_pdf", "i2d_Azure"))
    and p.stem != "zc_mustang_RE_20140519_499"  # pre-release ZUGFeRD (CBFBUY:5), not supported
]


@pytest.mark.parametrize("path", UBL_FILES, ids=lambda p: p.stem)
def test_sniff_corpus_ubl(path: Path) -> None:
    expected = "ubl-creditnote" if b"<CreditNote" in path.read_bytes()[:3000] else "ubl-invoice"
    assert peppol.sniff_xml(path.read_bytes()) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"%PDF-1.4",
        b"hello",
        b"<html/>",
        b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>',
        b"<Invoice/>",
        b"<Invoice",
        b'<!DOCTYPE x [<!ENTITY a "b">]><Invoice xmlns="' + UBL_INVOICE.encode() + b'"/>',
    ],
)
def test_sniff_rejects_other_input(data: bytes) -> None:
    assert peppol.sniff_xml(data) is None


def test_sniff_handles_bom_and_utf16() -> None:
    xml = f'<?xml version="1.0" encoding="UTF-16"?><Invoice xmlns="{UBL_INVOICE}"/>'
    assert (
        peppol.sniff_xml(b"\xef\xbb\xbf" + xml.replace("UTF-16", "UTF-8").encode()) == "ubl-invoice"
    )
    assert peppol.sniff_xml(xml.encode("utf-16")) == "ubl-invoice"


@pytest.fixture(scope="module")
def embedded() -> dict[str, bytes | None]:
    return {p.stem: peppol.embedded_xml_from_pdf(p.read_bytes()) for p in EMBEDDING}


def test_every_embedding_pdf_yields_xml(embedded: dict[str, bytes | None]) -> None:
    assert len(embedded) >= 20
    missing = [name for name, xml in embedded.items() if xml is None]
    assert missing == []
    kinds = {name: peppol.sniff_xml(xml or b"") for name, xml in embedded.items()}
    assert kinds["i2d_AzureInterior"] == "ubl-invoice"
    assert kinds["zc_EN16931_Einfach"] == "cii"
    assert {"factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml"} <= set(KNOWN_XML_NAMES)


@pytest.mark.parametrize("path", EMBEDDING, ids=lambda p: p.stem)
def test_cii_key_fields_match_the_page(path: Path, embedded: dict[str, bytes | None]) -> None:
    xml = embedded[path.stem]
    assert xml is not None
    invoice = peppol.parse_invoice_xml(xml)
    got = invoice.to_schema_dict()
    expected = json.loads((path.parent / f"{path.stem}.expected.json").read_text())
    skip = PAGE_DIFFERS.get(path.stem, set())
    if "*" in skip:
        assert invoice.invoice_number  # parsed, but the sample's XML is not the printed page
        return
    checked = 0
    for key in KEY_FIELDS:
        if key not in expected or key in skip:
            continue
        want, have = expected[key], got[key]
        if key in {"supplier_vat", "customer_vat", "iban"} and want is None:
            continue  # the page may not print what the XML carries
        if key.startswith("total") or key == "payable_amount":
            assert Decimal(have) == Decimal(want), key
        elif key in {"supplier_vat", "customer_vat", "iban"}:
            assert "".join(have.split()).upper() == "".join(want.split()).upper(), key
        else:
            assert have == want, key
        checked += 1
    assert checked >= 5


def test_self_billed_389_stays_an_invoice(embedded: dict[str, bytes | None]) -> None:
    invoice = peppol.parse_invoice_xml(embedded["zc_EN16931_Gutschrift"] or b"")
    assert invoice.type_code == "389"
    assert not invoice.is_credit_note


def test_zugferd1_parses_with_a_warning(embedded: dict[str, bytes | None]) -> None:
    invoice = peppol.parse_invoice_xml(embedded["zc_zf1_BASIC_Einfach"] or b"")
    assert invoice.source == "cii"
    assert any("ZUGFeRD 1.0" in w for w in invoice.warnings)


def test_cii_credit_note_is_positive(embedded: dict[str, bytes | None]) -> None:
    invoice = peppol.parse_invoice_xml(embedded["zc_fnfe_Avoir_FR_type381_BASIC"] or b"")
    assert invoice.is_credit_note
    assert invoice.type_code == "381"
    assert invoice.payable_amount is not None
    assert invoice.payable_amount > 0
