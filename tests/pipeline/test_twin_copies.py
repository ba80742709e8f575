"""The same invoice as a text PDF and as a phone photo is linked (issue 16).

The pairs are generated from one :class:`twin_docs.Sheet` (a text PDF, and the page drawn
with PIL, turned, blurred and noised, read by real tesseract); the pairs that must not be
linked differ in the number or in the total.  :func:`pipeline.twins.compare` is tested on
its own for the normalisation rules.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from helpers import CORPUS, dossier, run_all
from twin_docs import Sheet, photo, text_pdf

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, Service
from pipeline.steps import NextStep, extract_step
from pipeline.twins import POSSIBLE_DUPLICATE, Copy, compare, printed
from storage import repo

DAY = dt.date(2026, 3, 14)


def _copy(**kw: Any) -> Copy:
    base: dict[str, Any] = {
        "id": 1,
        "supplier_vat": "BE0456789133",
        "supplier_name": "Drukkerij Vermeulen BV",
        "iban": "BE32123456789002",
        "invoice_number": "F2026-0117",
        "invoice_date": DAY,
        "total": Decimal("484.00"),
        "unsure_total": False,
        "page_text": "",
    }
    base.update(kw)
    return Copy(**base)


@pytest.mark.parametrize(
    "other",
    [
        {"invoice_number": "F 2026 0117"},  # spaces for the dash
        {"invoice_number": "f2026-O117"},  # the OCR's O for a zero, lower case
        {"invoice_number": "F2026/0117"},
        {"supplier_vat": None},  # the photo's OCR missed the VAT number: the IBAN
        {"supplier_vat": "BE 0456.789.133"},
        {"supplier_vat": None, "iban": None, "supplier_name": "DRUKKERIJ VERMEULEN B.V."},
        {"invoice_date": None},
        # the photo's total was computed from misread amounts; the real one is printed on it
        {"total": Decimal("992.36"), "unsure_total": True, "page_text": "Totaal EUR 484,00"},
        {"invoice_number": None},  # number missing on one copy: supplier, total and date agree
    ],
)
def test_copies_read_differently_are_the_same_invoice(other: dict[str, Any]) -> None:
    assert compare(_copy(), _copy(id=2, **other)) is not None


@pytest.mark.parametrize(
    "other",
    [
        {"invoice_number": "F2026-0118"},  # same supplier, the next number
        {"total": Decimal("544.50")},  # same number, another total
        {"total": Decimal("544.50"), "unsure_total": True, "page_text": "Totaal 544,50"},
        {"invoice_date": dt.date(2026, 3, 15)},
        {"supplier_vat": "BE0123456749"},  # another supplier, same number
        {"supplier_vat": None, "iban": None, "supplier_name": "Garage Peeters NV"},
        {"invoice_number": None, "total": Decimal("10.00")},
        {"invoice_number": None, "invoice_date": None},  # too little to go on
    ],
)
def test_other_invoices_are_not_linked(other: dict[str, Any]) -> None:
    assert compare(_copy(), _copy(id=2, **other)) is None


def test_a_printed_amount_is_found_in_its_usual_forms() -> None:
    assert printed(Decimal("1234.56"), "Totaal EUR 1.234,56")
    assert printed(Decimal("1234.56"), "Total 1,234.56 EUR")
    assert printed(Decimal("1234.56"), "Te betalen 1 234,56")
    assert printed(Decimal("717.97"), "Totaal €717,97 iDEAL")
    assert not printed(Decimal("717.97"), "Totaal 1717,97")
    assert not printed(Decimal("717.97"), "Totaal 717,970")
    assert not printed(Decimal("34.56"), "1.234,56")


def _ingest(rt: Runtime, did: int, data: bytes, name: str, *, propose: bool = True) -> int:
    row = Service(rt).ingest(SYSTEM, did, data, name)
    if propose:
        run_all(rt, [NextStep("extract", row.id)])
    else:
        extract_step(rt, row.id)
    return row.id


def _alert(rt: Runtime, doc: int) -> dict[str, Any] | None:
    alerts = Service(rt).document(SYSTEM, doc).row.alerts
    return next((a for a in alerts if a["code"] == POSSIBLE_DUPLICATE), None)


@pytest.mark.slow
def test_a_pdf_and_its_photo_are_linked_at_extraction(
    runtime: Runtime,
) -> None:
    """The photo's OCR missed the VAT number: linked by IBAN, number, total and date."""
    svc = Service(runtime)
    did = dossier(runtime)
    sheet = Sheet()
    first = _ingest(runtime, did, text_pdf(sheet), "factuur.pdf")
    assert svc.document(SYSTEM, first).row.state == "proposed"
    shot = photo(sheet.but(vat=None), seed=2, angle=-3.0)
    second = _ingest(runtime, did, shot, "IMG_2041.jpg", propose=False)
    assert svc.document(SYSTEM, second).row.state == "extracted"
    with runtime.tx() as s:
        assert repo.get_document(s, second).supplier_vat is None  # the OCR read no VAT number
    alert = _alert(runtime, second)
    assert alert is not None, "the photo is not linked at the end of its extraction"
    assert alert["other_id"] == first
    assert f"#{first}" in alert["message"]
    assert _alert(runtime, first) is None  # the later arrival carries the warning
    run_all(runtime, [NextStep("propose", second)])
    detail = svc.document(SYSTEM, second)
    assert detail.row.state == "proposed"
    assert [e["action"] for e in detail.audit].count("possible_duplicate") == 1  # once
    assert svc.mark_same_invoice(SYSTEM, second) == first
    assert svc.document(SYSTEM, second).row.state == "duplicate"


@pytest.mark.slow
def test_a_photo_read_exactly_is_a_duplicate_at_once(sqlite_runtime: Runtime) -> None:
    """Supplier VAT, number and total all read: resolved at extraction like a UBL/PDF pair."""
    did = dossier(sqlite_runtime)
    sheet = Sheet()
    first = _ingest(sqlite_runtime, did, text_pdf(sheet), "factuur.pdf")
    second = _ingest(sqlite_runtime, did, photo(sheet), "p.jpg")
    row = Service(sqlite_runtime).document(SYSTEM, second).row
    assert (row.state, row.duplicate_of) == ("duplicate", first)


@pytest.mark.slow
def test_photos_of_other_invoices_are_not_linked_until_a_correction_makes_them_one(
    sqlite_runtime: Runtime,
) -> None:
    rt = sqlite_runtime
    svc = Service(rt)
    did = dossier(rt)
    sheet = Sheet()
    first = _ingest(rt, did, text_pdf(sheet), "factuur.pdf")
    next_number = _ingest(rt, did, photo(sheet.but(number="F2026-0118"), seed=3), "a.jpg")
    other_total = _ingest(rt, did, photo(sheet.but(net_cents=45000), seed=4, angle=-2), "b.jpg")
    assert svc.document(SYSTEM, other_total).row.total_incl_vat == Decimal("544.50")
    assert _alert(rt, next_number) is None  # same supplier, another number
    assert _alert(rt, other_total) is None  # same number, another total
    assert _alert(rt, first) is None
    # the accountant corrects the number the photo shows: now it is the same invoice
    svc.correct_field(SYSTEM, next_number, "invoice_number", "F2026-0117")
    alert = _alert(rt, next_number)
    assert alert is not None
    assert alert["other_id"] == first
    # and back: the warning goes
    svc.correct_field(SYSTEM, next_number, "invoice_number", "F2026-0118")
    assert _alert(rt, next_number) is None
    # a correction of the earlier copy links the later one too
    svc.correct_field(SYSTEM, first, "invoice_number", "F2026-0118")
    alert = _alert(rt, next_number)
    assert alert is not None
    assert alert["other_id"] == first


@pytest.mark.slow
def test_the_corpus_pdf_and_its_phone_photo_are_linked(sqlite_runtime: Runtime) -> None:
    """A real pair: the photo's OCR misreads the VAT amount, so its computed total is wrong."""
    rt = sqlite_runtime
    did = dossier(rt)
    pdf = CORPUS / "pdf" / "i2d_coolblue1.pdf"
    jpg = CORPUS / "scanned" / "i2d_coolblue1_photo.jpg"
    first = _ingest(rt, did, pdf.read_bytes(), "invoice.pdf")
    second = _ingest(rt, did, jpg.read_bytes(), "photo.jpg")
    alert = _alert(rt, second)
    assert alert is not None, Service(rt).document(SYSTEM, second).row
    assert alert["other_id"] == first


def test_a_later_copy_already_booked_warns_the_earlier_one(runtime: Runtime) -> None:
    """Warned is the copy still waiting: the later arrival when it waits, else the earlier."""
    svc = Service(runtime)
    did = dossier(runtime)
    sheet = Sheet(iban=None)  # no IBAN to confirm before booking
    first = _ingest(runtime, did, text_pdf(sheet), "a.pdf")
    second = _ingest(runtime, did, text_pdf(sheet.but(number="F2026-0118")), "b.pdf")
    svc.confirm(SYSTEM, second)
    assert svc.document(SYSTEM, second).row.state == "booked"
    svc.correct_field(SYSTEM, first, "invoice_number", "F 2026 0118")
    alert = _alert(runtime, first)
    assert alert is not None
    assert alert["other_id"] == second
    assert "already booked" in alert["message"]


def test_auto_booking_never_books_the_second_copy(runtime: Runtime) -> None:
    """The supplier is booked automatically; its next invoice is, the copy of one is not."""
    svc = Service(runtime)
    did = dossier(runtime, vat="BE0000000295")  # the customer of this e-invoice
    data = (CORPUS / "ubl" / "ublbe_15000001.xml").read_bytes()
    number = b"<cbc:ID>V01/15000001</cbc:ID>"
    first = _ingest(runtime, did, data, "a.xml")
    svc.confirm_iban(SYSTEM, first, "BE54000000000097")  # the supplier's known IBAN
    for supplier in svc.suppliers(SYSTEM, did):
        svc.set_supplier_policy(SYSTEM, supplier.id, autobook="always")
    following = _ingest(
        runtime, did, data.replace(number, b"<cbc:ID>V01/15000002</cbc:ID>", 1), "b"
    )
    detail = svc.document(SYSTEM, following)
    assert detail.row.state == "booked", detail.entry  # same day and total, another number
    # the same invoice again, its number read with letters O for zeros
    copy = _ingest(runtime, did, data.replace(number, b"<cbc:ID>V01/15OOOOO1</cbc:ID>", 1), "c")
    detail = svc.document(SYSTEM, copy)
    assert detail.row.state == "proposed"
    assert detail.entry is not None
    assert any("not booked automatically" in w for w in detail.entry.warnings)
    assert any(e["action"] == "auto_book_blocked" for e in detail.audit)
    alert = _alert(runtime, copy)
    assert alert is not None
    assert alert["other_id"] == first


def test_the_columns_shortcut_never_hides_a_twin() -> None:
    # flag_possible_twin skips reading a candidate's extraction when the document columns
    # alone make compare() None: whatever the extractions hold (IBAN, unsure total, page
    # text), compare() must then say None
    import itertools

    from pipeline.twins import _differ_by_columns
    from storage.models import Document

    numbers = (None, "", "F2026-0117", "f 2026 O117", "F2026-0118", "0")
    dates = (None, DAY, DAY + dt.timedelta(days=1))
    vats = (None, "BE0456789133", "BE 0456.789.133", "BE0999999999")
    extras = (
        {"iban": None, "unsure_total": False, "page_text": ""},
        {"iban": "BE32123456789002", "unsure_total": True, "page_text": "Totaal 484,00 992,36"},
    )
    skipped = 0
    for (na, nb), (da, db), (va, vb) in itertools.product(
        itertools.product(numbers, repeat=2),
        itertools.product(dates, repeat=2),
        itertools.product(vats, repeat=2),
    ):
        a = Document(invoice_number=na, invoice_date=da, supplier_vat=va)
        b = Document(invoice_number=nb, invoice_date=db, supplier_vat=vb)
        if not _differ_by_columns(a, b):
            continue
        skipped += 1
        for ea, eb, total_b in itertools.product(extras, extras, (Decimal("484.00"), None)):
            ca = _copy(invoice_number=na, invoice_date=da, supplier_vat=va, **ea)
            cb = _copy(id=2, invoice_number=nb, invoice_date=db, supplier_vat=vb, total=total_b)
            cb = Copy(**{**{f: getattr(cb, f) for f in Copy.__slots__}, **eb})
            assert compare(ca, cb) is None, (ca, cb)
    assert skipped > 100  # the shortcut is taken, not only trivially
