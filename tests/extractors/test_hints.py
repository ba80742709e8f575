"""Learning from corrections: a field wrong on a supplier's first invoice is right on its second."""

from __future__ import annotations

import json
from decimal import Decimal

from _paths import ROOT  # noqa: F401
from pdfgen import make_pdf

from extractors import (
    ExtractOptions,
    SupplierHint,
    extract_document,
    learn_hint,
    read_pages,
)


def _money(value: Decimal) -> str:
    return "€ " + f"{value:.2f}".replace(".", ",")


def _invoice(number: str, day: str, net: Decimal) -> bytes:
    """An invoice whose number sits next to a label no vocabulary knows ('Stuk')."""
    vat = (net * Decimal("0.21")).quantize(Decimal("0.01"))
    return make_pdf(
        [
            [
                (50, 50, "Drukkerij Janssens BV"),
                (50, 62, "Kerkstraat 12"),
                (50, 74, "2000 Antwerpen"),
                (50, 86, "BTW BE0477.472.701"),
                (330, 140, "Boekhouding Peeters"),
                (330, 152, "Markt 1"),
                (330, 164, "9000 Gent"),
                (50, 220, "FACTUUR"),
                (50, 240, "Stuk"),
                (120, 240, number),
                (50, 255, "Datum"),
                (120, 255, day),
                (50, 270, "Klant"),
                (120, 270, "K-88"),
                (300, 400, "Totaal excl. BTW"),
                (450, 400, _money(net)),
                (300, 415, "BTW 21%"),
                (450, 415, _money(vat)),
                (300, 430, "Totaal incl. BTW"),
                (450, 430, _money(net + vat)),
            ]
        ]
    )


def test_a_corrected_field_is_right_on_the_next_invoice_of_that_supplier() -> None:
    first = _invoice("2024-117", "05-03-2024", Decimal("100.00"))
    got = extract_document(first)
    assert got.supplier_vat == "BE0477472701"
    assert got.invoice_number != "2024-117"  # the finder alone gets it wrong

    hint = learn_hint(got, read_pages(first), {"invoice_number": "2024-117"})
    assert hint.supplier_vat == "BE0477472701"
    assert [f.field for f in hint.fields] == ["invoice_number"]
    stored = SupplierHint.from_json(json.loads(json.dumps(hint.to_json())))
    assert stored == hint

    second = _invoice("2024-245", "12-04-2024", Decimal("250.00"))
    assert extract_document(second).invoice_number != "2024-245"
    learned = extract_document(second, options=ExtractOptions(hints=(stored,)))
    assert learned.invoice_number == "2024-245"
    assert learned.total_incl_vat == Decimal("302.50")
    ev = learned.evidence_for("invoice_number")
    assert ev is not None
    assert ev.rule.startswith("hint:")


def test_a_hint_of_another_supplier_is_not_used() -> None:
    first = _invoice("2024-117", "05-03-2024", Decimal("100.00"))
    hint = learn_hint(extract_document(first), read_pages(first), {"invoice_number": "2024-117"})
    other = SupplierHint.from_json({**hint.to_json(), "supplier_vat": "BE0403170701"})
    second = _invoice("2024-245", "12-04-2024", Decimal("250.00"))
    plain = extract_document(second)
    hinted = extract_document(second, options=ExtractOptions(hints=(other,)))
    assert hinted.invoice_number == plain.invoice_number != "2024-245"


def test_learned_amount_and_date_fields() -> None:
    first = _invoice("2024-117", "05-03-2024", Decimal("100.00"))
    got = extract_document(first)
    hint = learn_hint(
        got,
        read_pages(first),
        {
            "issue_date": "2024-03-05",
            "total_incl_vat": "121.00",
            "supplier_name": "Drukkerij Janssens",
        },
    )
    assert {f.field for f in hint.fields} == {"issue_date", "total_incl_vat"}
    second = _invoice("2024-245", "12-04-2024", Decimal("250.00"))
    learned = extract_document(second, options=ExtractOptions(hints=(hint,)))
    assert str(learned.issue_date) == "2024-04-12"
    assert learned.total_incl_vat == Decimal("302.50")
    assert learned.supplier_name == "Drukkerij Janssens"


def test_a_customer_correction_never_breaks_the_next_extraction() -> None:
    """Regression: a customer_name/customer_vat hint became a plain InvoiceData kwarg."""
    first = _invoice("2024-117", "05-03-2024", Decimal("100.00"))
    got = extract_document(first)
    pages = read_pages(first)
    hints = (
        learn_hint(got, pages, {"customer_name": "Boekhouding Peeters"}),
        learn_hint(got, pages, {"customer_vat": "BE0403170701"}),
    )
    second = _invoice("2024-245", "12-04-2024", Decimal("250.00"))
    learned = extract_document(second, options=ExtractOptions(hints=hints))
    assert learned.total_incl_vat == Decimal("302.50")
    assert learned.supplier_vat == "BE0477472701"


def test_a_bad_stored_hint_is_skipped_with_a_warning() -> None:
    good = _invoice("2024-117", "05-03-2024", Decimal("100.00"))
    bad = SupplierHint.from_json(
        {
            "supplier_vat": "BE0477472701",
            "fields": [
                {"field": "customer_name", "label": "klant"},
                {"field": "no_such_field", "label": "stuk"},
                {"field": "total_vat", "label": "btw", "pattern": "(unclosed"},
            ],
        }
    )
    learned = extract_document(good, options=ExtractOptions(hints=(bad,)))
    assert learned.total_incl_vat == Decimal("121.00")
    assert any("hint" in w for w in learned.warnings)
