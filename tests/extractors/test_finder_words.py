"""The field finder on positioned words, as OCR hands them over (tight, skewed boxes)."""

from __future__ import annotations

from decimal import Decimal

from _paths import ROOT  # noqa: F401

from extractors.finder import find_fields
from extractors.words import PageText, TextSource, Word


def _page(items: list[tuple[str, float, float, float]], source: TextSource) -> PageText:
    """(text, x0, y0, height) -> words of one A4 page; widths from the text length."""
    words = tuple(
        Word(t, 1, x, y, x + 0.0095 * len(t), y + h, confidence=0.9) for t, x, y, h in items
    )
    return PageText(1, 595.0, 842.0, words, source)


def test_ocr_look_alikes_in_an_iban_are_repaired_by_its_checksum() -> None:
    page = _page(
        [
            ("Factuurnummer:", 0.1, 0.1, 0.01),
            ("F-77", 0.3, 0.1, 0.01),
            ("IBAN", 0.1, 0.2, 0.01),
            ("NLSOINGB0683251309", 0.16, 0.2, 0.01),
        ],
        TextSource.OCR,
    )
    invoice = find_fields([page])
    assert invoice.iban == "NL50INGB0683251309"
    assert invoice.invoice_number == "F-77"
    assert invoice.source == "ocr"


def test_skewed_label_and_value_of_other_heights_pair_on_one_line() -> None:
    # the value sits 0.004 higher and is taller than its label, as on a skewed scan
    page = _page(
        [
            ("Rechnungsnummer:", 0.1, 0.1020, 0.0077),
            ("R-4711", 0.45, 0.0980, 0.0085),
            ("Rechnungsdatum:", 0.1, 0.1220, 0.0077),
            ("7.", 0.45, 0.1180, 0.0085),
            ("Mai", 0.47, 0.1180, 0.0085),
            ("2014", 0.505, 0.1180, 0.0085),
            ("Summe", 0.5, 0.50, 0.0077),
            ("netto", 0.56, 0.50, 0.0077),
            ("100,00", 0.8, 0.496, 0.0085),
            ("zuzüglich", 0.5, 0.52, 0.0077),
            ("19%", 0.59, 0.52, 0.0077),
            ("MwSt.", 0.63, 0.52, 0.0077),
            ("19,00", 0.8, 0.516, 0.0085),
            ("Rechnungsbetrag", 0.5, 0.54, 0.0077),
            ("119,00", 0.8, 0.536, 0.0085),
            ("LOGO", 0.02, 0.49, 0.06),
        ],  # a tall logo must not glue the total lines together
        TextSource.OCR,
    )
    invoice = find_fields([page])
    assert invoice.invoice_number == "R-4711"
    assert str(invoice.issue_date) == "2014-05-07"
    assert (invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat) == (
        Decimal("100.00"),
        Decimal("19.00"),
        Decimal("119.00"),
    )
    assert [(b.rate, b.taxable, b.vat) for b in invoice.vat_breakdown] == [
        (Decimal("19"), Decimal("100.00"), Decimal("19.00"))
    ]


def test_the_dossier_name_similarity_check_answers_as_the_full_ratio() -> None:
    # parties._Similar tries difflib's upper bounds before the full ratio and reuses one
    # matcher for the dossier's name: the same answers as a new SequenceMatcher per phrase
    import difflib
    import itertools

    from extractors.parties import _name_key, _Similar

    key = _name_key("Bakkerij Janssens BV")
    texts = [
        "Bakkerij Janssens BV",
        "Bakkerij Jansens BV",  # OCR dropped a letter: similar
        "8akkerij Janssens 8V",
        "Bakkerij Janssen",
        "Janssens",
        "Bakkerij",
        "Drukkerij Vermeulen BV",
        "sneessnaJ jirekkaB",  # the same letters in another order: quick ratio 1.0
        "b",
        "",
        "Factuurnummer",
    ]
    texts += [
        a + b for a, b in itertools.product(("Bakker", "Bakkerij ", "B."), ("Janssens", "J."))
    ]
    similar = _Similar(key, 0.88)
    answers = []
    for text in texts:
        expected = difflib.SequenceMatcher(None, _name_key(text), key).ratio() >= 0.88
        answers.append(expected)
        assert similar(_name_key(text)) is expected, text
    assert True in answers
    assert False in answers
