"""Foreign-currency documents through the pipeline: ECB rates imported, entries in euro."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from helpers import CORPUS, dossier, run_all
from test_cli import boekbox

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, Refused, Service, ServiceError
from pipeline.steps import NextStep
from storage import repo

DKK_UBL = CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml"  # DKK, 2019-01-25, 782179.43
ECB = b"Date,USD,DKK,\n2019-01-25,1.1416,7.4657,\n2019-01-24,1.1332,7.4661,\n"


def _ingest(rt: Runtime, did: int) -> int:
    svc = Service(rt)
    row = svc.ingest(SYSTEM, did, DKK_UBL.read_bytes(), DKK_UBL.name)
    run_all(rt, [NextStep("extract", row.id)])
    return row.id


def test_imported_ecb_rate_books_the_dkk_invoice_in_euro(runtime: Runtime) -> None:
    svc = Service(runtime)
    assert svc.import_rates(SYSTEM, ECB) == 4
    assert svc.import_rates(SYSTEM, ECB) == 4  # idempotent: replaced, not duplicated
    did = dossier(runtime)
    doc = _ingest(runtime, did)
    entry = svc.confirm(SYSTEM, doc)
    assert entry.balanced
    total = max(max(ln.debit, ln.credit) for ln in entry.lines)
    assert total == Decimal("104769.74")  # 782179.43 / 7.4657 = 104769.7376
    assert "ECB reference rate of 2019-01-25" in (entry.reason or "")
    with runtime.tx() as s:
        stored = repo.entry_for_document(s, doc)
        assert stored is not None
        assert stored.document_currency == "DKK"
        assert stored.exchange_rate == Decimal("7.4657")
        assert stored.rate_source == "ecb"
        assert stored.original_total == Decimal("782179.43")
        assert repo.count_rates(s) == 4


def test_rates_imported_but_none_for_the_date_asks_for_a_rate(runtime: Runtime) -> None:
    svc = Service(runtime)
    svc.import_rates(SYSTEM, b"Date,DKK\n2026-01-05,7.46\n")
    did = dossier(runtime)
    doc = _ingest(runtime, did)
    detail = svc.document(SYSTEM, doc)
    assert "no ECB rate for DKK on 2019-01-25" in (detail.row.reason or "")
    with pytest.raises(ServiceError):
        svc.confirm(SYSTEM, doc)


def test_without_rates_the_proposal_warns_that_it_is_not_in_euro(runtime: Runtime) -> None:
    did = dossier(runtime)
    doc = _ingest(runtime, did)
    with runtime.tx() as s:
        stored = repo.entry_for_document(s, doc)
        assert stored is not None
        assert stored.exchange_rate is None
        assert any("not EUR" in w for w in stored.warnings)


def test_a_bad_rate_file_is_refused_and_stores_nothing(runtime: Runtime) -> None:
    svc = Service(runtime)
    with pytest.raises(Refused, match="line 3"):
        svc.import_rates(SYSTEM, b"Date,USD\n2026-01-05,1.1\n2026-01-06,x\n")
    with runtime.tx() as s:
        assert repo.count_rates(s) == 0


def test_cli_rates_import(tmp_path: Path) -> None:
    boekbox(tmp_path, "init")
    csv = tmp_path / "eurofxref-hist.csv"
    csv.write_bytes(ECB)
    assert "4 exchange rates stored" in boekbox(tmp_path, "rates", "import", str(csv)).stdout
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"nonsense")
    proc = boekbox(tmp_path, "rates", "import", str(bad), check=False)
    assert proc.returncode != 0
    assert "header" in proc.stderr
