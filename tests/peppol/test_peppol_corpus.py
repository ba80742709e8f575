"""Every corpus UBL file parses to exactly its expected.json (scored with the shared scorer)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from peppol_paths import SCORER, UBL_DIR, UBL_FILES

import peppol
from extractors.model import Attachment, DocumentType, InvoiceData


@pytest.fixture(scope="module")
def parsed() -> dict[str, InvoiceData]:
    return {p.stem: peppol.parse_invoice_xml(p.read_bytes()) for p in UBL_FILES}


def test_corpus_is_present() -> None:
    assert len(UBL_FILES) >= 49


def test_scorer_gives_100_percent(parsed: dict[str, InvoiceData], tmp_path: Path) -> None:
    for name, invoice in parsed.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(invoice.to_schema_dict()))
    result = subprocess.run(
        [sys.executable, str(SCORER), str(UBL_DIR), str(tmp_path), "--fail-under", "100"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0, result.stdout[-3000:]
    assert summary == f"fields: {17 * len(parsed)}/{17 * len(parsed)} correct (100.0%)"


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


@pytest.mark.parametrize("path", UBL_FILES, ids=lambda p: p.stem)
def test_informational_ubl_fields(path: Path, parsed: dict[str, InvoiceData]) -> None:
    """The non-scored ``ubl`` block of expected.json: type code, categories, references..."""
    expected = json.loads((path.parent / f"{path.stem}.expected.json").read_text())["ubl"]
    inv = parsed[path.stem]
    assert inv.type_code == expected["type_code"]
    assert inv.customization_id == expected["customization_id"]
    assert (inv.document_type is DocumentType.CREDIT_NOTE) == (
        expected["root"] == "CreditNote" or inv.type_code == "381"
    )
    assert sorted({r.category for r in inv.vat_breakdown}) == sorted(expected["vat_categories"])
    assert inv.tax_currency == expected["tax_currency"]
    assert inv.tax_currency_vat_total == _dec(expected["tax_currency_vat_total"])
    assert inv.prepaid_amount == _dec(expected["prepaid_amount"])
    assert inv.rounding_amount == _dec(expected["rounding_amount"])
    assert list(inv.billing_references) == expected["billing_references"]
    for party, key in ((inv.supplier, "supplier_endpoint"), (inv.customer, "customer_endpoint")):
        endpoint = f"{party.endpoint_scheme}:{party.endpoint_id}" if party.endpoint_id else None
        assert endpoint == expected[key]
    files = [f for f in peppol.embedded_attachments(path.read_bytes()) if f.data]
    assert len(files) == len(expected["attachments"])
    for f, exp in zip(files, expected["attachments"], strict=True):
        assert (f.filename, f.mime_code) == (exp["filename"], exp["mime"])
        assert f.data is not None
        assert (hashlib.sha256(f.data).hexdigest(), len(f.data)) == (exp["sha256"], exp["size"])
        listed = inv.attachments[f.index]  # the parse lists it, without copying its bytes
        assert (listed.filename, listed.embedded, listed.data_base64) == (f.filename, True, "")


def test_rich_fields_of_peppol_base_example(parsed: dict[str, InvoiceData]) -> None:
    inv = parsed["peppol_base-example"]
    assert inv.source == "peppol"
    assert inv.buyer_reference == "0150abc"
    assert inv.payment_terms == "Payment within 10 days, 2% discount"
    assert inv.payment_means_code == "30"
    assert inv.iban is None  # "IBAN32423940" has no IBAN shape
    assert inv.supplier.trading_name == "SupplierTradingName Ltd."
    assert inv.supplier.enterprise_number == "GB983294"
    assert (inv.supplier.street, inv.supplier.city, inv.supplier.country) == (
        "Main street 1",
        "London",
        "GB",
    )
    assert inv.customer.endpoint_scheme == "0002"
    assert inv.line_extension_amount == Decimal("1300")
    assert inv.charge_total == Decimal("25")
    [charge] = inv.allowances_charges
    assert (charge.is_charge, charge.amount, charge.reason) == (True, Decimal("25"), "Insurance")
    assert (charge.vat_category, charge.vat_rate) == ("S", Decimal("25.0"))
    first, second = inv.lines
    assert (first.id, first.quantity, first.unit, first.net) == ("1", 7, "DAY", 2800)
    assert (first.description, first.unit_price) == ("item name", Decimal("400"))
    assert first.item_classification == ("09348023",)
    assert (second.quantity, second.net) == (Decimal("-3"), Decimal("-1500"))


def test_belgian_ubl_be_fields(parsed: dict[str, InvoiceData]) -> None:
    inv = parsed["ublbe_15000005"]
    assert inv.supplier.endpoint_scheme == "0208"
    assert inv.supplier.vat
    assert inv.supplier.vat.startswith("BE")
    exempt = [row for row in inv.vat_breakdown if row.category == "E"]
    assert exempt
    assert exempt[0].exemption_reason
    assert any("UBL.BE" in w for w in inv.warnings)


def test_legacy_efff_parses_with_a_warning(parsed: dict[str, InvoiceData]) -> None:
    inv = parsed["efff_exact_16117778"]
    assert any("legacy UBL 2.0" in w for w in inv.warnings)
    assert inv.bic == "ABNANL2A"
    assert inv.payment_reference == "601611777874"  # from InstructionID
    assert inv.vat_breakdown[0].rate == Decimal("21.00")  # from TaxSubtotal/Percent


def test_credit_note_keeps_positive_amounts_and_billing_reference(
    parsed: dict[str, InvoiceData],
) -> None:
    inv = parsed["peppol_snippet_CreditNote-snippets"]
    assert inv.is_credit_note
    assert inv.type_code == "381"
    assert inv.payable_amount is not None
    assert inv.payable_amount > 0
    assert inv.billing_references


def test_tax_currency_total_is_separate(parsed: dict[str, InvoiceData]) -> None:
    inv = parsed["peppol_snippet_Snippet-full"]
    assert (inv.currency, inv.tax_currency) == ("EUR", "SEK")
    assert inv.tax_currency_vat_total is not None
    assert inv.total_vat != inv.tax_currency_vat_total


def test_attachments_are_listed_by_the_parse_and_decoded_on_demand() -> None:
    data = (UBL_DIR / "ublbe_15000001.xml").read_bytes()
    (att,) = peppol.parse_invoice_xml(data).attachments
    assert (att.embedded, att.data_base64, att.mime_code) == (True, "", "application/pdf")
    (f,) = peppol.embedded_attachments(data)
    assert f.index == 0
    assert f.data is not None
    assert f.data[:5] == b"%PDF-"
    start = data.index(b"<cbc:EmbeddedDocumentBinaryObject")
    start = data.index(b">", start) + 1
    broken = data[:start] + b"abc*" + data[data.index(b"<", start) :]
    (bad,) = peppol.embedded_attachments(broken)
    assert bad.data is None
    assert bad.problem is not None
    assert "not valid base64" in bad.problem
    assert peppol.parse_invoice_xml(broken).attachments[0].embedded  # the parse still works
    with pytest.raises(peppol.UnsupportedDocument):
        peppol.embedded_attachments(b'<Order xmlns="urn:x"/>')


def test_a_model_built_for_writing_still_decodes_its_base64() -> None:
    att = Attachment(filename="x.pdf", mime_code="application/pdf", data_base64="JVBERi0=")
    assert att.decode() == b"%PDF-"
    broken = Attachment(filename="x.pdf", mime_code="application/pdf", data_base64="abc*")
    with pytest.raises(ValueError, match="not valid base64"):
        broken.decode()
