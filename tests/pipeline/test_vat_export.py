"""`Service.vat_export`: Intervat XML of booked entries, valid against the official XSDs."""

from __future__ import annotations

import pytest
from helpers import CORPUS, ECB_DKK, dkk_in_eur, dossier, run_all
from lxml import etree

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, AccessDenied, Refused, Service
from pipeline.steps import NextStep

UBL = CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml"
XSD = CORPUS / "intervat"


def _booked(rt: Runtime, did: int) -> str:
    svc = Service(rt)
    svc.import_rates(SYSTEM, ECB_DKK)  # the DKK invoice is booked in euro at the ECB rate
    row = svc.ingest(SYSTEM, did, UBL.read_bytes(), UBL.name)
    run_all(rt, [NextStep("extract", row.id)])
    entry = svc.confirm(SYSTEM, row.id)
    assert entry.status == "booked"
    assert max(ln.credit for ln in entry.lines) == dkk_in_eur("782179.43")  # in euro
    return str(entry.vat_period or entry.period)


def test_vat_return_export_validates_and_carries_the_booked_grids(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    period = _booked(runtime, did)
    data = svc.vat_export(SYSTEM, did, period, "return")
    doc = etree.fromstring(data)
    schema = etree.XMLSchema(etree.parse(str(XSD / "NewTVA-in_v0_9.xsd")))
    assert schema.validate(doc), schema.error_log
    grids = {a.get("GridNumber"): a.text for a in doc.iterfind(".//{*}Amount")}
    assert "72" in grids or "71" in grids
    assert doc.findtext(".//{*}VATNumber") == "0712345630"
    # the grids are those of the preview of the same period
    preview = svc.vat_return(SYSTEM, did)[period]
    for grid, value in preview.items():
        if value:
            assert grids[str(int(grid))] == f"{value:.2f}"


def test_client_listing_export_validates(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    period = _booked(runtime, did)
    data = svc.vat_export(SYSTEM, did, period[:4], "clients")
    schema = etree.XMLSchema(etree.parse(str(XSD / "NewLK-in_v0_9.xsd")))
    assert schema.validate(etree.fromstring(data)), schema.error_log


def test_exports_refuse_with_a_reason(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    period = _booked(runtime, did)
    with pytest.raises(Refused, match="at least one client"):
        svc.vat_export(SYSTEM, did, period, "intra")
    with pytest.raises(Refused, match="not YYYY-Qn or YYYY-MM"):
        svc.vat_export(SYSTEM, did, "2026-Q7", "return")
    with pytest.raises(Refused, match="unknown export"):
        svc.vat_export(SYSTEM, did, period, "sideways")


def test_vat_export_needs_the_books(runtime: Runtime) -> None:
    svc = Service(runtime)
    a = dossier(runtime, "Alpha BV", "BE0428759497", "alpha")
    b = dossier(runtime, "Beta BV", "BE0712345630", "beta")
    other = svc.add_user(SYSTEM, "acc-a", "password-a1", "accountant", dossiers=[a])
    with pytest.raises(AccessDenied):
        svc.vat_export(other, b, "2026-Q1", "return")
