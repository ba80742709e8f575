"""Issue 16: a foreign-currency proposal without a known rate is never booked as euro.

Every booking path goes through the service's confirm (the Review page, the client's
plain review) or the auto-booking of a new proposal; none books DKK amounts until a
rate is known (ECB table) or given (the Review page's rate box, ``set_rate``).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from helpers import DKK_UBL, ECB_DKK, dkk_in_eur, dossier, run_all

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, Refused, Service
from pipeline.steps import NextStep
from storage import repo
from storage.models import JournalEntry

REFUSAL = "the invoice is in DKK and no exchange rate is known"


def _ingest(rt: Runtime, did: int, xml: bytes | None = None) -> int:
    row = Service(rt).ingest(SYSTEM, did, xml or DKK_UBL.read_bytes(), "dkk.xml")
    run_all(rt, [NextStep("extract", row.id)])
    return row.id


def _booked_entries(rt: Runtime) -> int:
    with rt.tx() as s:
        return s.query(JournalEntry).filter(JournalEntry.status == "booked").count()


def test_a_foreign_proposal_without_a_rate_is_refused_until_a_rate_is_given(
    runtime: Runtime,
) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    doc = _ingest(runtime, did)  # no ECB rates imported: proposed, still in DKK
    detail = svc.document(SYSTEM, doc)
    assert detail.row.state == "proposed"
    assert detail.entry is not None
    assert detail.entry.exchange_rate is None
    client = svc.add_user(SYSTEM, "ondernemer", "probe-password", "entrepreneur")
    svc.add_member(SYSTEM, did, "ondernemer", "client_bookkeeper")  # the plain review's user
    for user in (SYSTEM, client):
        with pytest.raises(Refused, match=REFUSAL) as refused:
            svc.confirm(user, doc)
        assert "1 EUR = ? DKK" in str(refused.value)
        assert "2019-01-25" in str(refused.value)
    assert svc.document(SYSTEM, doc).row.state == "proposed"
    assert _booked_entries(runtime) == 0
    entry = svc.set_rate(SYSTEM, doc, "7,4657")  # the rate box
    assert entry.exchange_rate is not None
    booked = svc.confirm(SYSTEM, doc)
    assert booked.status == "booked"
    assert max(ln.credit for ln in booked.lines) == dkk_in_eur("782179.43")
    with runtime.tx() as s:
        stored = repo.entry_for_document(s, doc)
        assert stored is not None
        assert (stored.document_currency, stored.rate_source) == ("DKK", "user")
        assert stored.original_total is not None
        assert str(stored.original_total) == "782179.43"


def test_with_the_ecb_rate_of_its_date_the_proposal_is_booked_in_euro(runtime: Runtime) -> None:
    svc = Service(runtime)
    svc.import_rates(SYSTEM, ECB_DKK)
    did = dossier(runtime)
    doc = _ingest(runtime, did)
    booked = svc.confirm(SYSTEM, doc)
    assert max(ln.credit for ln in booked.lines) == dkk_in_eur("782179.43")
    assert max(ln.debit for ln in booked.lines) == dkk_in_eur("625743.54")


def test_auto_booking_never_books_a_foreign_proposal_without_a_rate(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    first = _ingest(runtime, did)
    (sup,) = svc.suppliers(SYSTEM, did)
    svc.set_supplier_policy(SYSTEM, sup.id, autobook="always")
    second = _ingest(runtime, did, DKK_UBL.read_bytes().replace(b">12345<", b">12399<", 1))
    for doc in (first, second):
        detail = svc.document(SYSTEM, doc)
        assert detail.row.state == "proposed", detail.entry
        assert detail.entry is not None
        assert not detail.entry.auto_booked
    assert _booked_entries(runtime) == 0


def test_an_entry_by_hand_in_dkk_is_refused_until_a_rate_is_given(runtime: Runtime) -> None:
    svc = Service(runtime)
    svc.import_rates(SYSTEM, b"Date,DKK\n2026-01-05,7.46\n")  # none for 2019: no proposal
    did = dossier(runtime)
    doc = _ingest(runtime, did)
    assert svc.document(SYSTEM, doc).entry is None
    svc.draft_entry(SYSTEM, doc)  # "Book by hand": amounts prefilled in DKK
    with pytest.raises(Refused, match=REFUSAL):
        svc.confirm(SYSTEM, doc, iban_checked=True)
    assert _booked_entries(runtime) == 0
    svc.set_rate(SYSTEM, doc, "7,4657")
    booked = svc.confirm(SYSTEM, doc, iban_checked=True)
    assert booked.exchange_rate is not None
    total = max(ln.credit for ln in booked.lines)  # each line converted, the total their sum
    assert abs(total - dkk_in_eur("782179.43")) <= Decimal("0.01")
