"""Issue 16, review items at the service level: book without a proposal, give a rate, twins."""

from __future__ import annotations

from decimal import Decimal

import pytest
from helpers import CORPUS, dossier, run_all

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, Refused, Service
from pipeline.service.review import parse_amount
from pipeline.steps import NextStep
from pipeline.twins import POSSIBLE_DUPLICATE
from storage import repo

DKK_UBL = CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml"  # DKK, 2019-01-25, 782179.43
OTHER_DAY = b"Date,DKK\n2026-01-05,7.46\n"  # rates loaded, none for the invoice date


def _ingest(rt: Runtime, did: int, data: bytes | None = None, name: str = "a.xml") -> int:
    row = Service(rt).ingest(SYSTEM, did, data or DKK_UBL.read_bytes(), name)
    run_all(rt, [NextStep("extract", row.id)])
    return row.id


def test_a_document_without_proposal_is_booked_by_hand(runtime: Runtime) -> None:
    svc = Service(runtime)
    svc.import_rates(SYSTEM, OTHER_DAY)
    doc = _ingest(runtime, dossier(runtime))
    detail = svc.document(SYSTEM, doc)
    assert detail.entry is None
    assert detail.row.state == "proposed"
    with pytest.raises(Refused, match="no proposed entry"):
        svc.confirm(SYSTEM, doc)
    anna = svc.add_user(SYSTEM, "anna", "probe-password-16", "admin")
    entry = svc.draft_entry(anna, doc)
    assert entry.status == "draft"
    assert entry.balanced
    assert entry.journal == "purchase"
    assert entry.bookyear == "2019"
    assert entry.period == "2019-01"
    assert {ln.account for ln in entry.lines} >= {"411000", "440000"}
    assert max(ln.credit for ln in entry.lines) == Decimal("782179.43")
    assert any("DKK" in w for w in entry.warnings)
    assert svc.draft_entry(SYSTEM, doc).id == entry.id  # idempotent
    unbalanced = [
        {"account": ln.account, "debit": ln.debit, "credit": ln.credit} for ln in entry.lines
    ]
    unbalanced[0]["debit"] = "1.00"
    with pytest.raises(Refused, match="does not balance"):
        svc.confirm(SYSTEM, doc, unbalanced)
    # DKK amounts are never booked as euro: refused until the rate is given
    with pytest.raises(Refused, match=r"in DKK and no exchange rate is known.*1 EUR = \? DKK"):
        svc.confirm(anna, doc)
    assert svc.document(SYSTEM, doc).row.state == "proposed"
    svc.set_rate(anna, doc, "7,46")
    booked = svc.confirm(anna, doc)
    assert booked.number == 1
    assert booked.label == "purchase 2019/1"
    assert booked.exchange_rate == Decimal("7.46")
    actions = [(e["action"], e["user"]) for e in svc.document(SYSTEM, doc).audit]
    assert ("ingest", "system") in actions
    assert ("draft_by_hand", "anna") in actions
    assert ("confirm", "anna") in actions


def test_a_rate_for_a_document_without_any_proposal_converts_the_entry_by_hand(
    runtime: Runtime,
) -> None:
    """No proposal even in euro (no issue date): the entry by hand is made at the given rate."""
    svc = Service(runtime)
    data = (CORPUS / "ubl" / "sebis_Hyrbil.xml").read_bytes()
    data = data.replace(b"<cbc:IssueDate>2008-01-02</cbc:IssueDate>", b"", 1)
    doc = _ingest(runtime, dossier(runtime), data, "hyrbil.xml")
    assert svc.document(SYSTEM, doc).entry is None
    entry = svc.set_rate(SYSTEM, doc, "11,2")
    assert (entry.exchange_rate, entry.rate_source) == (Decimal("11.2"), "user")
    assert entry.document_currency == "SEK"
    assert entry.original_total is not None
    assert entry.balanced
    total = max(max(ln.debit, ln.credit) for ln in entry.lines if ln.account == "440000")
    assert abs(total - entry.original_total / Decimal("11.2")) < Decimal("0.05")
    assert any("1 EUR = 11.2" in w for w in entry.warnings)
    assert svc.confirm(SYSTEM, doc).number == 1


def test_a_rate_given_by_the_accountant_books_in_euro(runtime: Runtime) -> None:
    svc = Service(runtime)
    svc.import_rates(SYSTEM, OTHER_DAY)
    doc = _ingest(runtime, dossier(runtime))
    assert "no ECB rate for DKK" in (svc.document(SYSTEM, doc).row.reason or "")
    for bad in ("0", "-1", "abc", "nan"):
        with pytest.raises(Refused, match="rate"):
            svc.set_rate(SYSTEM, doc, bad)
    entry = svc.set_rate(SYSTEM, doc, "7,4657")  # Belgian decimal comma
    assert entry.exchange_rate == Decimal("7.4657")
    assert entry.rate_source == "user"
    assert entry.document_currency == "DKK"
    assert entry.original_total == Decimal("782179.43")
    assert max(max(ln.debit, ln.credit) for ln in entry.lines) == Decimal("104769.74")
    assert svc.document(SYSTEM, doc).row.reason is None
    # a correction re-proposes and keeps the accountant's rate
    svc.correct_field(SYSTEM, doc, "payment_reference", "+++090/9337/55493+++")
    again = svc.document(SYSTEM, doc).entry
    assert again is not None
    assert again.rate_source == "user"
    assert again.exchange_rate == Decimal("7.4657")
    audit = [e for e in svc.document(SYSTEM, doc).audit if e["action"] == "set_rate"]
    assert audit
    assert audit[-1]["rate"] == "7.465700"
    assert audit[-1]["currency"] == "DKK"
    assert svc.confirm(SYSTEM, doc).balanced


def test_a_euro_invoice_needs_no_rate(runtime: Runtime) -> None:
    svc = Service(runtime)
    data = DKK_UBL.read_bytes().replace(b'currencyID="DKK"', b'currencyID="EUR"')
    data = data.replace(b"<cbc:DocumentCurrencyCode>DKK", b"<cbc:DocumentCurrencyCode>EUR")
    doc = _ingest(runtime, dossier(runtime), data)
    with pytest.raises(Refused, match="euro"):
        svc.set_rate(SYSTEM, doc, "1.1")


def test_the_same_invoice_twice_is_linked_and_marked_in_one_click(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    first = _ingest(runtime, did)
    # a second copy whose number reads with leading zeros (as OCR of a photo might)
    copy = DKK_UBL.read_bytes().replace(b"<cbc:ID>12345</cbc:ID>", b"<cbc:ID>0012345</cbc:ID>", 1)
    second = _ingest(runtime, did, copy, "photo.xml")
    row = svc.document(SYSTEM, second).row
    assert row.state == "proposed"
    alert = next(a for a in row.alerts if a["code"] == POSSIBLE_DUPLICATE)
    assert alert["other_id"] == first
    assert f"#{first}" in alert["message"]
    assert not any(a["code"] == POSSIBLE_DUPLICATE for a in svc.document(SYSTEM, first).row.alerts)
    assert svc.mark_same_invoice(SYSTEM, second) == first
    assert svc.mark_same_invoice(SYSTEM, second) == first  # idempotent
    after = svc.document(SYSTEM, second)
    assert after.row.state == "duplicate"
    assert after.row.duplicate_of == first
    assert after.entry is None
    assert [e["action"] for e in after.audit].count("mark_duplicate") == 1
    with pytest.raises(Refused, match="no possible-duplicate"):
        svc.mark_same_invoice(SYSTEM, first)


def test_a_copy_asking_payment_elsewhere_is_not_marked_duplicate(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    first = _ingest(runtime, did)
    copy = DKK_UBL.read_bytes().replace(b"<cbc:ID>12345</cbc:ID>", b"<cbc:ID>0012345</cbc:ID>", 1)
    copy = copy.replace(b"<cbc:PaymentID>12345667890<", b"<cbc:PaymentID>99999999999<")
    second = _ingest(runtime, did, copy, "photo.xml")
    with runtime.tx() as s:
        alerts = repo.get_document(s, second).alerts or []
    if not any(a["code"] == POSSIBLE_DUPLICATE for a in alerts):
        pytest.fail(f"no possible-duplicate alert: {alerts}")
    with pytest.raises(Refused, match="payment"):
        svc.mark_same_invoice(SYSTEM, second)
    assert svc.document(SYSTEM, second).row.state == "proposed"
    assert first != second


@pytest.mark.parametrize(
    ("text", "value"),
    [("37,51", "37.51"), ("1.234,56", "1234.56"), ("1,234.56", "1234.56"), ("1 234,5", "1234.5")],
)
def test_belgian_and_english_numbers(text: str, value: str) -> None:
    assert parse_amount(text, "x") == Decimal(value)


def test_same_supplier_same_day_same_total_but_another_number_is_not_a_twin(
    runtime: Runtime,
) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    _ingest(runtime, did)
    other = DKK_UBL.read_bytes().replace(b"<cbc:ID>12345</cbc:ID>", b"<cbc:ID>12346</cbc:ID>", 1)
    second = _ingest(runtime, did, other, "next.xml")
    assert not [
        a for a in svc.document(SYSTEM, second).row.alerts if a["code"] == POSSIBLE_DUPLICATE
    ]
