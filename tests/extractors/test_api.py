"""The public entry point: dispatch by content, limits, errors, roles, text layer."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from _paths import CORPUS
from pdfgen import make_pdf

from extractors import (
    DamagedDocument,
    ExtractLimits,
    ExtractOptions,
    LimitExceeded,
    UnsupportedContent,
    extract_document,
    sniff_content_type,
)
from extractors.model import Party
from extractors.textlayer import has_usable_text, read_text_layer

EFFF = CORPUS / "pdf" / "oca_efff_exact_be.pdf"
AKRETION = CORPUS / "pdf" / "oca_akretion_france.pdf"


@pytest.mark.parametrize(
    ("head", "ctype"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00", "image/png"),
        (b"\xef\xbb\xbf<?xml version='1.0'?><Invoice/>", "application/xml"),
        (b"  <Invoice xmlns='x'/>", "application/xml"),
        (b"II*\x00abc", "image/tiff"),
        (b"hello world", "application/octet-stream"),
    ],
)
def test_sniff_content_type(head: bytes, ctype: str) -> None:
    assert sniff_content_type(head) == ctype


def test_text_layer_words_are_page_fractions_in_reading_order() -> None:
    pages = read_text_layer(EFFF.read_bytes())
    assert len(pages) == 1
    assert has_usable_text(pages[0])
    words = pages[0].words
    assert all(0.0 <= w.x0 < w.x1 <= 1.0 and 0.0 <= w.y0 < w.y1 <= 1.0 for w in words)
    texts = [w.text for w in words]
    assert texts.index("Factuur") < texts.index("AttOra") < texts.index("Omschrijving")
    mids = [(w.y0 + w.y1) / 2 for w in words]
    assert not any(b < a - 0.01 for a, b in itertools.pairwise(mids))  # top to bottom


def test_page_without_text_is_not_usable() -> None:
    blank = make_pdf([[]])
    assert not has_usable_text(read_text_layer(blank)[0])


def test_limits_give_reasons() -> None:
    data = EFFF.read_bytes()
    with pytest.raises(LimitExceeded, match="bytes"):
        extract_document(data, options=ExtractOptions(limits=ExtractLimits(max_bytes=1000)))
    two_pages = make_pdf([[(50, 50, "Factuur 1 page one")], [(50, 50, "page two text here")]])
    with pytest.raises(LimitExceeded, match="pages"):
        extract_document(two_pages, options=ExtractOptions(limits=ExtractLimits(max_pages=1)))


def test_bad_input_gets_a_clear_reason() -> None:
    with pytest.raises(UnsupportedContent, match="empty"):
        extract_document(b"")
    with pytest.raises(UnsupportedContent, match="not a supported"):
        extract_document(b"just some text", filename="note.txt")
    with pytest.raises(DamagedDocument):
        extract_document(b"%PDF-1.4\n%garbage that is not a pdf at all")


def test_xml_goes_to_peppol() -> None:
    xml = next(iter(sorted((CORPUS / "ubl").glob("*.xml"))))
    invoice = extract_document(xml.read_bytes(), filename=xml.name)
    assert invoice.invoice_number
    assert invoice.total_incl_vat is not None or invoice.payable_amount is not None


def test_embedded_xml_first_unless_no_embedded() -> None:
    data = (CORPUS / "pdf" / "zc_EN16931_Einfach.pdf").read_bytes()
    from_xml = extract_document(data)
    from_page = extract_document(data, options=ExtractOptions(no_embedded=True))
    assert from_page.source == "pdf_text"
    assert from_xml.source != "pdf_text"
    assert from_xml.total_incl_vat == from_page.total_incl_vat == Decimal("529.87")


def test_known_customer_makes_the_other_party_the_supplier() -> None:
    data = EFFF.read_bytes()
    plain = extract_document(data, options=ExtractOptions(no_embedded=True))
    assert plain.supplier_vat == "BE0505890632"
    assert plain.customer_vat == "BE0882555389"
    dossier = Party(name="Exact Belgium II BVBA", vat="BE0505890632")
    swapped = extract_document(
        data, options=ExtractOptions(no_embedded=True, known_customer=dossier)
    )
    assert swapped.customer_vat == "BE0505890632"
    assert swapped.supplier_vat != "BE0505890632"


def test_due_date_before_issue_date_is_a_warning() -> None:
    data = make_pdf(
        [
            [
                (50, 50, "Factuur"),
                (50, 70, "Factuurnummer: F-1"),
                (50, 85, "Factuurdatum: 10-03-2024"),
                (50, 100, "Vervaldatum: 01-03-2024"),
                (300, 300, "Totaal incl. BTW"),
                (450, 300, "€ 121,00"),
            ]
        ]
    )
    invoice = extract_document(data)
    assert str(invoice.due_date) == "2024-03-01"  # kept, never dropped
    assert any("before the issue date" in w for w in invoice.warnings)


def test_same_fields_from_text_layer_and_line_items() -> None:
    invoice = extract_document(AKRETION.read_bytes(), options=ExtractOptions(no_embedded=True))
    assert [ln.net for ln in invoice.lines] == [Decimal("1500.00"), Decimal("9.00")]
    assert invoice.vat_breakdown[0].rate == Decimal("20")
