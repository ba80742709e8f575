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


def _page(
    *,
    title: str = "FACTUUR",
    number: str = "2024-117",
    net: Decimal = Decimal("100.00"),
    vat_line: bool = True,
    iban: str = "BE21 0689 9428 6403",
    rows: tuple[tuple[int, Decimal], ...] = (),
) -> bytes:
    """A flexible invoice of 'Drukkerij Janssens BV' for the learning tests."""
    rates = rows or ((21, net),)
    vats = [(r, b, (b * r / 100).quantize(Decimal("0.01"))) for r, b in rates]
    total_net = sum((b for _r, b, _v in vats), Decimal(0))
    total_vat = sum((v for _r, _b, v in vats), Decimal(0))
    texts = [
        (50, 50, "Drukkerij Janssens BV"),
        (50, 62, "Kerkstraat 12"),
        (50, 74, "2000 Antwerpen"),
        (330, 140, "Boekhouding Peeters"),
        (330, 152, "Markt 1"),
        (50, 220, title),
        (50, 240, "Stuk"),
        (120, 240, number),
        (50, 255, "Datum"),
        (120, 255, "05-03-2024"),
        (50, 700, f"Rekening {iban}"),
    ]
    if vat_line:
        texts.append((50, 86, "BTW BE0477.472.701"))
    y = 380
    for r, b, v in vats:
        texts += [(300, y, f"Heffing {r}% op {_money(b)}"), (470, y, _money(v))]
        y += 15
    texts += [
        (300, y, "Totaal excl. BTW"),
        (470, y, _money(total_net)),
        (300, y + 15, "Totaal incl. BTW"),
        (470, y + 15, _money(total_net + total_vat)),
    ]
    return make_pdf([texts])


def test_the_supplier_is_recognised_without_its_vat_number_by_name_and_layout() -> None:
    first = _page(number="2024-117")
    got = extract_document(first)
    hint = learn_hint(got, read_pages(first), {"invoice_number": "2024-117"})
    assert hint.anchors  # the fixed texts of the layout
    second = _page(number="2024-245", vat_line=False)  # no VAT number read on B
    plain = extract_document(second)
    assert plain.supplier_vat is None
    assert plain.invoice_number != "2024-245"
    learned = extract_document(second, options=ExtractOptions(hints=(hint,)))
    assert learned.invoice_number == "2024-245"
    assert learned.supplier_vat == "BE0477472701"  # the supplier's own, learned


def test_a_learned_label_never_carries_the_amounts_of_the_first_invoice() -> None:
    first = _page(net=Decimal("100.00"))
    got = extract_document(first)
    hint = learn_hint(got, read_pages(first), {"total_vat": "21.00"})
    (fh,) = hint.fields
    assert fh.label == "heffing 21% op"
    second = _page(net=Decimal("250.00"))
    learned = extract_document(second, options=ExtractOptions(hints=(hint,)))
    assert learned.total_vat == Decimal("52.50")
    ev = learned.evidence_for("total_vat")
    assert ev is not None
    assert ev.rule.startswith("hint:right:heffing 21% op")


def test_a_compact_iban_correction_reads_a_grouped_iban() -> None:
    first = _page(iban="BE21068994286403")
    got = extract_document(first)
    hint = learn_hint(got, read_pages(first), {"iban": "BE21 0689 9428 6403"})
    assert hint.supplier_iban == "BE21068994286403"
    assert [f.pattern for f in hint.fields] == [""]  # no shape that stops at a space
    second = _page(iban="BE21 0689 9428 6403")
    learned = extract_document(second, options=ExtractOptions(hints=(hint,)))
    assert learned.iban == "BE21068994286403"


def test_the_document_type_is_learned() -> None:
    first = _page(title="CORRECTIEFACTUUR")
    got = extract_document(first)
    assert got.document_type.value == "invoice"  # the finder alone does not know the word
    hint = learn_hint(got, read_pages(first), {"document_type": "credit_note"})
    again = _page(title="CORRECTIEFACTUUR", number="2024-300")
    learned = extract_document(again, options=ExtractOptions(hints=(hint,)))
    assert learned.document_type.value == "credit_note"
    normal = extract_document(_page(number="2024-301"), options=ExtractOptions(hints=(hint,)))
    assert normal.document_type.value == "invoice"


def test_the_vat_breakdown_is_learned_and_used_only_when_it_adds_up() -> None:
    rows_a = ((21, Decimal("100.00")), (6, Decimal("50.00")))
    first = _page(rows=rows_a)
    got = extract_document(first)
    hint = learn_hint(got, read_pages(first), {"vat_breakdown": "21:100.00:21.00;6:50.00:3.00"})
    assert {f.pattern for f in hint.fields} == {
        "rates:21,6",
        "21:taxable",
        "21:vat",
        "6:taxable",
        "6:vat",
    }
    rows_b = ((21, Decimal("300.00")), (6, Decimal("80.00")))
    learned = extract_document(_page(rows=rows_b), options=ExtractOptions(hints=(hint,)))
    got_rows = sorted((r.rate, r.taxable, r.vat) for r in learned.vat_breakdown)
    assert got_rows == [
        (Decimal("6"), Decimal("80.00"), Decimal("4.80")),
        (Decimal("21"), Decimal("300.00"), Decimal("63.00")),
    ]
    ev = learned.evidence_for("vat_breakdown")
    assert ev is not None
    assert ev.rule == "hint:vat_breakdown"


def test_all_fields_of_one_supplier_are_merged_and_the_newest_wins() -> None:
    from extractors.hints import FieldHint, merge_hints

    a = SupplierHint("BE0477472701", fields=(FieldHint("invoice_number", "stuk"),))
    b = SupplierHint(None, supplier_name="Janssens", fields=(FieldHint("total_vat", "btw"),))
    c = SupplierHint(None, fields=(FieldHint("invoice_number", "nummer"),))
    merged = merge_hints(merge_hints(a, b), c)
    assert merged.supplier_vat == "BE0477472701"
    assert merged.supplier_name == "Janssens"
    assert sorted((f.field, f.label) for f in merged.fields) == [
        ("invoice_number", "nummer"),
        ("total_vat", "btw"),
    ]


def test_the_mail_sender_recognises_the_supplier() -> None:
    from extractors.hints import FieldHint

    # 5 of 7 fixed texts of the layout: not enough alone, enough with the sender
    anchors = ("kerkstraat 12", "2000 antwerpen", "markt 1", "datum", "factuur", "texts", "x y z")
    hint = SupplierHint(
        senders=("facturen@janssens.example",),
        anchors=anchors,
        fields=(FieldHint("invoice_number", "stuk", "right", r"\d+-\d+"),),
    )
    second = _page(number="2024-245", vat_line=False)
    alone = SupplierHint(senders=hint.senders, fields=hint.fields)
    no_layout = extract_document(
        second, options=ExtractOptions(hints=(alone,), sender="facturen@janssens.example")
    )
    assert no_layout.invoice_number != "2024-245"  # a sender alone is not enough
    other = extract_document(
        second, options=ExtractOptions(hints=(hint,), sender="info@elsewhere.example")
    )
    assert other.invoice_number != "2024-245"
    known = extract_document(
        second, options=ExtractOptions(hints=(hint,), sender="Facturen@Janssens.example")
    )
    assert known.invoice_number == "2024-245"


def test_a_short_number_is_learned_where_it_stands_alone_not_inside_the_vat_number() -> None:
    first = _page(number="472")  # also printed inside BE0477.472.701
    hint = learn_hint(extract_document(first), read_pages(first), {"invoice_number": "472"})
    (fh,) = hint.fields
    assert fh.label == "stuk"
    learned = extract_document(_page(number="519"), options=ExtractOptions(hints=(hint,)))
    assert learned.invoice_number == "519"


def test_hinted_totals_that_break_right_arithmetic_are_not_used() -> None:
    from extractors.hints import FieldHint

    page = _page(net=Decimal("250.00"))
    plain = extract_document(page)
    assert plain.total_vat == Decimal("52.50")
    bad = SupplierHint(
        "BE0477472701", fields=(FieldHint("total_vat", "totaal excl. btw", "right"),)
    )
    learned = extract_document(page, options=ExtractOptions(hints=(bad,)))
    assert learned.total_vat == Decimal("52.50")
    assert any("would not add up" in w for w in learned.warnings)
