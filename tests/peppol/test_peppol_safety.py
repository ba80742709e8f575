"""Hostile and broken inputs: each gives a clear, typed reason and the process survives."""

from __future__ import annotations

import time

import pytest
from peppol_paths import PDF_DIR, UBL_DIR

import peppol
from peppol import (
    EmbeddedPdfError,
    MalformedXml,
    MissingMandatoryField,
    PeppolError,
    TooLarge,
    UnsafeXml,
    UnsupportedDocument,
    XmlLimits,
)

INV_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

XXE = f"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="{INV_NS}" xmlns:cbc="{CBC}"><cbc:ID>&xxe;</cbc:ID></Invoice>""".encode()

XXE_NETWORK = f"""<?xml version="1.0"?>
<!DOCTYPE Invoice SYSTEM "http://127.0.0.1:9/evil.dtd">
<Invoice xmlns="{INV_NS}"/>""".encode()

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode()
        for i in range(1, 10)
    )
    + f']>\n<Invoice xmlns="{INV_NS}">&lol9;</Invoice>'.encode()
)


def test_malformed_xml_is_rejected_with_position() -> None:
    with pytest.raises(MalformedXml, match=r"not well-formed XML.*line 1"):
        peppol.parse_invoice_xml(b"<Invoice><cbc:ID>1</Invoice>")


@pytest.mark.parametrize("data", [b"", b"   \n ", b"%PDF-1.7 not xml", b"\x00\x01\x02"])
def test_empty_and_binary_input(data: bytes) -> None:
    with pytest.raises(MalformedXml):
        peppol.parse_invoice_xml(data)


def test_non_bytes_input() -> None:
    with pytest.raises(MalformedXml, match="expected bytes"):
        peppol.parse_invoice_xml("<Invoice/>")  # type: ignore[arg-type]


def test_xxe_is_refused_not_silently_parsed() -> None:
    with pytest.raises(UnsafeXml, match="DOCTYPE"):
        peppol.parse_invoice_xml(XXE)


def test_external_dtd_is_refused_without_network() -> None:
    start = time.perf_counter()
    with pytest.raises(UnsafeXml, match="DOCTYPE"):
        peppol.parse_invoice_xml(XXE_NETWORK)
    assert time.perf_counter() - start < 2


def test_billion_laughs_is_refused_quickly() -> None:
    start = time.perf_counter()
    with pytest.raises(UnsafeXml):
        peppol.parse_invoice_xml(BILLION_LAUGHS)
    assert time.perf_counter() - start < 2


def test_excessive_depth_is_refused() -> None:
    deep = f'<Invoice xmlns="{INV_NS}">'.encode() + b"<a>" * 300 + b"</a>" * 300 + b"</Invoice>"
    with pytest.raises(UnsafeXml, match="deeper than 256"):
        peppol.parse_invoice_xml(deep)
    very_deep = b"<a>" * 5000 + b"</a>" * 5000
    with pytest.raises(UnsafeXml, match="deeper than 256"):
        peppol.parse_invoice_xml(very_deep)


def test_depth_is_checked_after_a_huge_text_node() -> None:
    big = b"<n>" + b"A" * 10_500_000 + b"</n>"
    deep = f'<Invoice xmlns="{INV_NS}">'.encode() + big + b"<a>" * 300 + b"</a>" * 300
    with pytest.raises(UnsafeXml, match="deeper than 256"):
        peppol.parse_invoice_xml(deep + b"</Invoice>")


def test_depth_limit_is_configurable() -> None:
    data = (UBL_DIR / "peppol_base-example.xml").read_bytes()
    with pytest.raises(UnsafeXml, match="deeper than 3 levels"):
        peppol.parse_invoice_xml(data, limits=XmlLimits(max_depth=3))


def test_oversize_is_refused_before_parsing() -> None:
    data = (UBL_DIR / "ublbe_15000001.xml").read_bytes()
    with pytest.raises(TooLarge, match="limit is 100,000 bytes"):
        peppol.parse_invoice_xml(data, limits=XmlLimits(max_bytes=100_000))


def test_large_text_node_within_the_cap_parses() -> None:
    """libxml2 refuses >10 MB text nodes without huge_tree; our own cap replaces that."""
    base = (UBL_DIR / "peppol_base-example.xml").read_bytes()
    big = b"<cbc:Note>" + b"A" * 11_000_000 + b"</cbc:Note>"
    data = base.replace(b"<cbc:DocumentCurrencyCode>", big + b"<cbc:DocumentCurrencyCode>", 1)
    assert len(peppol.parse_invoice_xml(data).note or "") == 11_000_000


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        (b'<Invoice xmlns="urn:example:not-ubl"/>', "namespace 'urn:example:not-ubl'"),
        (b"<Invoice/>", "no namespace"),
        (b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>', "'Order'"),
        (b"<html><body>hi</body></html>", "'html'"),
    ],
)
def test_wrong_namespace_or_root(xml: bytes, reason: str) -> None:
    with pytest.raises(UnsupportedDocument, match=reason):
        peppol.parse_invoice_xml(xml)


def test_missing_invoice_number_is_read_and_flagged_missing_totals_refused() -> None:
    base = (UBL_DIR / "peppol_base-example.xml").read_bytes()
    complete = peppol.parse_invoice_xml(base)
    invoice = peppol.parse_invoice_xml(base.replace(b"<cbc:ID>Snippet1</cbc:ID>", b"", 1))
    assert invoice.invoice_number is None
    assert any("BT-1" in w for w in invoice.warnings)
    assert invoice.total_incl_vat == complete.total_incl_vat
    assert invoice.supplier.vat == complete.supplier.vat
    assert invoice.issue_date == complete.issue_date
    assert "invoice_number" not in dict(invoice.evidence)

    start, end = base.index(b"<cac:LegalMonetaryTotal>"), base.index(b"</cac:LegalMonetaryTotal>")
    no_totals = base[:start] + base[end + len(b"</cac:LegalMonetaryTotal>") :]
    with pytest.raises(MissingMandatoryField, match="BG-22"):
        peppol.parse_invoice_xml(no_totals)


def test_cii_without_invoice_number_is_read_and_flagged() -> None:
    cii = peppol.embedded_xml_from_pdf((PDF_DIR / "hk_pdf_zf_en16931_1.pdf").read_bytes())
    assert cii is not None
    stripped = cii.replace(b"<ram:ID>471102</ram:ID>", b"", 1)
    assert stripped != cii
    invoice = peppol.parse_invoice_xml(stripped)
    assert invoice.invoice_number is None
    assert any("BT-1" in w for w in invoice.warnings)
    assert invoice.total_incl_vat == peppol.parse_invoice_xml(cii).total_incl_vat


def test_missing_issue_date_and_bad_values_become_warnings() -> None:
    base = (UBL_DIR / "peppol_base-example.xml").read_bytes()
    data = base.replace(b"<cbc:IssueDate>2017-11-13</cbc:IssueDate>", b"", 1)
    data = data.replace(b">1656.25</cbc:PayableAmount>", b">12,50 EUR</cbc:PayableAmount>")
    inv = peppol.parse_invoice_xml(data)
    assert inv.issue_date is None
    assert inv.payable_amount is None
    assert any("BT-2" in w for w in inv.warnings)
    assert any("'12,50 EUR' is not a number" in w for w in inv.warnings)


def test_unknown_elements_and_comments_are_ignored() -> None:
    base = (UBL_DIR / "peppol_base-example.xml").read_bytes()
    data = base.replace(
        b"<cbc:ID>Snippet1</cbc:ID>",
        b"<!-- <cbc:ID>commented</cbc:ID> --><cbc:ID>Snip<!-- x -->pet1</cbc:ID>"
        b'<foo:Unknown xmlns:foo="urn:x"><foo:Deep/></foo:Unknown>',
        1,
    )
    assert peppol.parse_invoice_xml(data).invoice_number == "Snippet1"


def test_every_error_is_a_peppol_error() -> None:
    for exc in (MalformedXml, UnsafeXml, TooLarge, UnsupportedDocument, MissingMandatoryField):
        assert issubclass(exc, PeppolError)


# -- embedded PDF ----------------------------------------------------------------------------


def test_corrupt_pdf_gives_a_reason() -> None:
    with pytest.raises(EmbeddedPdfError, match="cannot be opened"):
        peppol.embedded_xml_from_pdf(b"%PDF-1.7\n" + b"\x00garbage" * 100)


def test_truncated_pdf_gives_a_reason_or_nothing() -> None:
    pdf = (PDF_DIR / "zc_EN16931_Einfach.pdf").read_bytes()
    outcome: object
    try:
        outcome = peppol.embedded_xml_from_pdf(pdf[: len(pdf) // 3])
    except EmbeddedPdfError as exc:
        outcome = str(exc)
    assert outcome is None or "PDF" in str(outcome) or peppol.sniff_xml(outcome) == "cii"


def test_not_a_pdf() -> None:
    with pytest.raises(EmbeddedPdfError, match="not a PDF"):
        peppol.embedded_xml_from_pdf(b"<Invoice/>")


def test_pdf_without_attachment_gives_none() -> None:
    assert peppol.embedded_xml_from_pdf((PDF_DIR / "i2d_coolblue1.pdf").read_bytes()) is None


def test_embedded_xml_over_the_limit() -> None:
    pdf = (PDF_DIR / "zc_EN16931_Einfach.pdf").read_bytes()
    with pytest.raises(TooLarge):
        peppol.embedded_xml_from_pdf(pdf, limits=XmlLimits(max_bytes=1000))
