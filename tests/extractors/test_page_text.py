"""extract_with_text: the same invoice as extract_document, plus the words of its pages."""

from __future__ import annotations

from pdfgen import make_pdf

from extractors import extract_document, extract_with_text
from extractors.api import MAX_PAGE_TEXT


def test_pages_text_comes_with_the_invoice() -> None:
    pdf = make_pdf(
        [
            [(50, 50, "Huurcontract Zonnebloem BV"), (50, 80, "Factuur 2026-17")],
            [(50, 50, "Bijlage loonfiche"), (50, 80, "Totaal 121,00 EUR")],
        ]
    )
    invoice, text = extract_with_text(pdf, filename="c.pdf")
    assert invoice == extract_document(pdf, filename="c.pdf")
    lines = text.split("\n")
    assert len(lines) == 2  # one line per page
    assert "Zonnebloem" in lines[0]
    assert "Huurcontract" in lines[0]
    assert "loonfiche" in lines[1]
    assert len(text) <= MAX_PAGE_TEXT
