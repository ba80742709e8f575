"""CODA import through the service: matched on the structured communication, the rest
listed for manual matching; a bad file refused with its line and nothing imported."""

from __future__ import annotations

import sys
from decimal import Decimal as D
from pathlib import Path

import pytest
from test_invoicing_service import setup, spec

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, Refused

sys.path.insert(0, str(Path(__file__).parents[1] / "invoicing"))
from invoicing_coda_builder import coda_statement


def test_coda_matches_by_ogm_lists_the_rest_and_refuses_a_bad_file(runtime: Runtime) -> None:
    svc, did, cid = setup(runtime)
    inv = svc.issue(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid)).id)
    other = svc.issue(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid, ("1", "10", "21"))).id)
    ogm = inv.structured_communication
    data = coda_statement([(D("242.00"), ogm, ""), (D("5.00"), None, "unknown payer")])
    bad = data.replace(data.splitlines()[2], data.splitlines()[2][:100], 1)
    with pytest.raises(Refused, match="line 3"):
        svc.import_coda(SYSTEM, did, bad)
    assert svc.unmatched_movements(SYSTEM, did) == []  # nothing of the bad file
    report = svc.import_coda(SYSTEM, did, data, filename="s.cod")
    assert (report.movements, report.matched) == (2, 1)
    assert svc.invoices(SYSTEM, did, paid=True)[0].id == inv.id
    (left,) = svc.unmatched_movements(SYSTEM, did)
    assert left.amount == D("5.00")
    with pytest.raises(Refused, match="imported already"):
        svc.import_coda(SYSTEM, did, data)
    svc.match_movement(SYSTEM, left.id, invoice_id=other.id)
    assert svc.invoice(SYSTEM, other.id).row.paid_amount == D("5.00")
    assert svc.unmatched_movements(SYSTEM, did) == []
