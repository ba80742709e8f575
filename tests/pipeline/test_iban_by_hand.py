"""Issue 18 item 5: a document booked by hand (no proposal) gets the same IBAN check as a
proposal: its new IBAN is refused at booking until the accountant says they checked it."""

from __future__ import annotations

import pytest
from helpers import CORPUS, dossier, run_all

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, Refused, Service
from pipeline.steps import NextStep

DKK_UBL = CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml"  # DKK: no proposal without a rate
IBAN = "BE71096123456769"


def test_a_new_iban_on_a_document_booked_by_hand_needs_the_check(runtime: Runtime) -> None:
    svc = Service(runtime)
    svc.import_rates(SYSTEM, b"Date,DKK\n2026-01-05,7.46\n")  # none for the invoice date
    data = DKK_UBL.read_bytes().replace(b">1234567891234<", b">" + IBAN.encode() + b"<")
    assert IBAN.encode() in data
    row = svc.ingest(SYSTEM, dossier(runtime), data, "by-hand.xml")
    run_all(runtime, [NextStep("extract", row.id)])
    assert svc.document(SYSTEM, row.id).entry is None  # no proposal: booked by hand
    svc.draft_entry(SYSTEM, row.id)
    (alert,) = [
        a for a in svc.document(SYSTEM, row.id).row.alerts if a["code"] == "iban_unconfirmed"
    ]
    assert (alert["iban"], alert["kind"]) == (IBAN, "new")
    with pytest.raises(Refused, match="new IBAN"):
        svc.confirm(SYSTEM, row.id)
    svc.set_rate(SYSTEM, row.id, "7,46")  # DKK: booked in euro at a given rate
    with pytest.raises(Refused, match="new IBAN"):
        svc.confirm(SYSTEM, row.id)
    booked = svc.confirm(SYSTEM, row.id, iban_checked=True)
    assert booked.status == "booked"
    detail = svc.document(SYSTEM, row.id)
    assert detail.row.alerts == ()
    (event,) = [a for a in detail.audit if a["action"] == "iban_confirmed"]
    assert (event["iban"], event["via"], event["kind"]) == (IBAN, "booking", "new")
