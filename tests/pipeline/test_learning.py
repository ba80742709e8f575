"""Learning from corrections through the pipeline: a correction never stops a supplier."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import dossier, run_all

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, Service
from pipeline.steps import NextStep

sys.path.append(str(Path(__file__).resolve().parents[1] / "extractors"))
from pdfgen import make_pdf


def _invoice(number: str, day: str, net: Decimal) -> bytes:
    vat = (net * Decimal("0.21")).quantize(Decimal("0.01"))

    def money(v: Decimal) -> str:
        return "€ " + f"{v:.2f}".replace(".", ",")

    return make_pdf(
        [
            [
                (50, 50, "Drukkerij Janssens BV"),
                (50, 62, "Kerkstraat 12"),
                (50, 74, "2000 Antwerpen"),
                (50, 86, "BTW BE0477.472.701"),
                (330, 140, "Bakkerij Janssens"),
                (330, 152, "BTW BE0712.345.630"),
                (50, 220, "FACTUUR"),
                (50, 240, "Stuk"),
                (120, 240, number),
                (50, 255, "Datum"),
                (120, 255, day),
                (300, 400, "Totaal excl. BTW"),
                (450, 400, money(net)),
                (300, 415, "BTW 21%"),
                (450, 415, money(vat)),
                (300, 430, "Totaal incl. BTW"),
                (450, 430, money(net + vat)),
            ]
        ]
    )


def _ingest(rt: Runtime, did: int, data: bytes, name: str) -> int:
    svc = Service(rt)
    row = svc.ingest(SYSTEM, did, data, name)
    run_all(rt, [NextStep("extract", row.id)])
    return row.id


@pytest.mark.parametrize(
    ("field", "value"),
    [("customer_name", "Bakkerij Janssens"), ("customer_vat", "BE0712.345.630")],
)
def test_a_customer_correction_does_not_stop_the_suppliers_next_invoice(
    runtime: Runtime, field: str, value: str
) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    a = _ingest(runtime, did, _invoice("2024-117", "05-03-2024", Decimal("100.00")), "a.pdf")
    assert svc.document(SYSTEM, a).row.state == "proposed"
    svc.correct_field(SYSTEM, a, field, value)
    b = _ingest(runtime, did, _invoice("2024-245", "12-04-2024", Decimal("250.00")), "b.pdf")
    detail = svc.document(SYSTEM, b)
    assert detail.row.state == "proposed", detail.row.reason


def test_all_corrections_of_a_supplier_are_used_together(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    a = _ingest(runtime, did, _invoice("2024-117", "05-03-2024", Decimal("100.00")), "a.pdf")
    svc.correct_field(SYSTEM, a, "invoice_number", "2024-117")
    svc.correct_field(SYSTEM, a, "supplier_name", "Drukkerij Janssens")
    b = _ingest(runtime, did, _invoice("2024-245", "12-04-2024", Decimal("250.00")), "b.pdf")
    detail = svc.document(SYSTEM, b)
    assert detail.row.state == "proposed", detail.row.reason
    assert detail.row.invoice_number == "2024-245"
    assert detail.row.supplier_name == "Drukkerij Janssens"


def test_an_unexpected_error_in_the_extractor_quarantines_the_document(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline import steps

    # limits the extractor cannot use: it fails with an AttributeError, not an ExtractionError
    monkeypatch.setattr(steps, "extract_limits", lambda _settings: "not limits")
    did = dossier(runtime)
    doc = _ingest(runtime, did, _invoice("2024-117", "05-03-2024", Decimal("100.00")), "a.pdf")
    row = Service(runtime).document(SYSTEM, doc).row
    assert row.state == "quarantined"
    assert "AttributeError" in (row.reason or "")


def test_a_malformed_stored_hint_is_skipped(runtime: Runtime) -> None:
    from storage import repo

    did = dossier(runtime)
    with runtime.tx() as s:
        sup = repo.upsert_supplier(s, did, vat="BE0477472701", iban=None, name="Drukkerij")
        assert sup is not None
        sup.hints = [{"fields": [{"no_field_key": 1}]}, "not a dict"]
    doc = _ingest(runtime, did, _invoice("2024-117", "05-03-2024", Decimal("100.00")), "a.pdf")
    row = Service(runtime).document(SYSTEM, doc).row
    assert row.state == "proposed", row.reason


def test_a_supplier_name_correction_alone_is_stored_and_used(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    a = _ingest(runtime, did, _invoice("2024-117", "05-03-2024", Decimal("100.00")), "a.pdf")
    svc.correct_field(SYSTEM, a, "supplier_name", "Drukkerij Janssens")
    b = _ingest(runtime, did, _invoice("2024-245", "12-04-2024", Decimal("250.00")), "b.pdf")
    assert svc.document(SYSTEM, b).row.supplier_name == "Drukkerij Janssens"


def test_a_document_type_and_vat_breakdown_can_be_corrected(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    a = _ingest(runtime, did, _invoice("2024-117", "05-03-2024", Decimal("100.00")), "a.pdf")
    svc.correct_field(SYSTEM, a, "vat_breakdown", "21:100.00:21.00")
    svc.correct_field(SYSTEM, a, "document_type", "credit_note")
    with pytest.raises(Exception, match="rate:taxable:vat"):
        svc.correct_field(SYSTEM, a, "vat_breakdown", "21%")
    detail = svc.document(SYSTEM, a)
    assert detail.row.state == "proposed", detail.row.reason
    assert detail.fields["document_type"] == "credit_note"
