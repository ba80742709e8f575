"""The invoicing service on SQLite and PostgreSQL: customers, drafts, issuing (gapless,
immutable), credit notes, payments, CODA, reminders and the sales booking proposal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest
from dbfixtures import make_runtime

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, AccessDenied, Refused, Service, ServiceError
from pipeline.settings import ConfigError, load_settings

SELLER = {
    "street": "Kerkstraat 1",
    "postal_code": "9000",
    "city": "Gent",
    "vat": "BE0403170701",
    "enterprise_number": "0403.170.701",
    "iban": "BE71 0961 2345 6769",
    "bic": "GKCCBEBB",
    "email": "facturen@desmet.example",
}
CUSTOMER = {
    "name": "Klant NV",
    "country": "BE",
    "vat": "BE0202239951",
    "street": "Markt 2",
    "postal_code": "1000",
    "city": "Brussel",
    "email": "boekhouding@klant.example",
    "payment_terms_days": 30,
}
DAY = dt.date(2026, 3, 2)


def setup(rt: Runtime, **settings: object) -> tuple[Service, int, int]:
    svc = Service(rt)
    did = svc.create_dossier(SYSTEM, "Bakkerij De Smet BV", vat_number="BE0403170701").id
    svc.set_invoicing_settings(SYSTEM, did, seller=SELLER, prefix="F", **settings)  # type: ignore[arg-type]
    cid = svc.create_customer(SYSTEM, did, CUSTOMER).id
    return svc, did, cid


def spec(cid: int, *lines: tuple[str, str, str | None]) -> dict[str, object]:
    return {
        "customer_id": cid,
        "issue_date": DAY.isoformat(),
        "lines": [
            {"description": "Brood", "quantity": q, "unit_price": p, "vat_rate": r}
            for q, p, r in lines
        ]
        or [{"description": "Advies", "quantity": "2", "unit_price": "100", "vat_rate": "21"}],
    }


def test_issue_numbers_gapless_and_issued_is_immutable(runtime: Runtime) -> None:
    svc, did, cid = setup(runtime)
    a = svc.create_draft(SYSTEM, did, spec(cid))
    assert (a.state, a.total, a.vat_total) == ("draft", D("242.00"), D("42.00"))
    b = svc.create_draft(SYSTEM, did, spec(cid, ("1", "10", "6")))
    first = svc.issue(SYSTEM, a.id)
    second = svc.issue(SYSTEM, b.id)
    assert (first.number, second.number) == ("F2026-0001", "F2026-0002")
    assert first.structured_communication
    assert len(first.structured_communication) == 12
    assert svc.issue(SYSTEM, a.id).number == "F2026-0001"  # issuing twice is once
    with pytest.raises(Refused, match="credit note"):
        svc.update_draft(SYSTEM, a.id, spec(cid, ("1", "1", "21")))
    pdf, name = svc.invoice_pdf(SYSTEM, a.id)
    ubl, _ = svc.invoice_ubl(SYSTEM, a.id)
    assert pdf.startswith(b"%PDF")
    assert name == "F2026-0001.pdf"
    assert b"F2026-0001" in ubl
    assert b"242.00" in ubl
    detail = svc.invoice(SYSTEM, a.id)
    assert detail.has_pdf
    assert detail.has_ubl
    assert detail.row.payment_state == "unpaid"


def test_prices_typed_the_belgian_way_are_read(runtime: Runtime) -> None:
    # "1.234,50" was refused as "not a number": one parser for numbers people type
    svc, did, _cid = setup(runtime)
    draft = svc.create_draft(SYSTEM, did, spec(_cid, ("1,5", "1.234,50", "21")))
    assert (draft.total - draft.vat_total, draft.vat_total) == (D("1851.75"), D("388.87"))


def test_bad_input_is_refused_and_leaves_no_number_used(runtime: Runtime) -> None:
    svc, did, cid = setup(runtime)
    with pytest.raises(Refused, match="invalid VAT number"):
        svc.create_customer(SYSTEM, did, {**CUSTOMER, "vat": "BE0202239952"})
    with pytest.raises(Refused, match="Peppol id"):
        svc.create_customer(SYSTEM, did, {**CUSTOMER, "peppol_id": "9999:nothing"})
    with pytest.raises(Refused, match="no VAT rate"):
        svc.create_draft(SYSTEM, did, spec(cid, ("1", "10", None)))
    # intra-EU without customer VAT: refused by the core when the draft is saved
    private = svc.create_customer(
        SYSTEM, did, {"name": "Jan", "country": "BE", "is_consumer": True}
    )
    bad = {**spec(private.id), "vat_case": "intra_eu_services"}
    with pytest.raises(Refused):
        svc.create_draft(SYSTEM, did, bad)
    ok = svc.create_draft(SYSTEM, did, spec(cid))
    assert svc.issue(SYSTEM, ok.id).number == "F2026-0001"


def test_credit_note_references_and_cannot_exceed_the_invoice(runtime: Runtime) -> None:
    svc, did, cid = setup(runtime)
    inv = svc.issue(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid)).id)
    part = [{"description": "Korting", "quantity": "1", "unit_price": "50", "vat_rate": "21"}]
    cn = svc.credit_note(SYSTEM, inv.id, lines=part)
    assert (cn.kind, cn.credits_id, cn.total) == ("credit_note", inv.id, D("60.50"))
    issued_cn = svc.issue(SYSTEM, cn.id)
    assert svc.invoice(SYSTEM, inv.id).credit_notes == (cn.id,)
    assert issued_cn.number == "F2026-0002"
    ubl, _ = svc.invoice_ubl(SYSTEM, cn.id)
    assert b"CreditNote" in ubl
    assert b"F2026-0001" in ubl
    big = [{"description": "Alles", "quantity": "1", "unit_price": "200", "vat_rate": "21"}]
    with pytest.raises(Refused, match="more than"):
        svc.credit_note(SYSTEM, inv.id, lines=big)
    row = svc.invoices(SYSTEM, did, state="issued", kind="invoice")[0]
    assert row.open_amount == D("181.50")
    assert row.payment_state == "partial"


def test_payments_manual_partial_then_paid(runtime: Runtime) -> None:
    svc, did, cid = setup(runtime)
    inv = svc.issue(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid)).id)
    assert svc.mark_paid(SYSTEM, inv.id, "42").payment_state == "partial"
    with pytest.raises(Refused, match="more than"):
        svc.mark_paid(SYSTEM, inv.id, "1000")
    assert svc.mark_paid(SYSTEM, inv.id).payment_state == "paid"
    assert [r.id for r in svc.invoices(SYSTEM, did, paid=True)] == [inv.id]
    assert svc.invoices(SYSTEM, did, paid=False) == []


def test_overdue_filter_open_items_and_idempotent_reminder_run(runtime: Runtime) -> None:
    svc, did, cid = setup(runtime)
    inv = svc.issue(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid)).id)
    late = DAY + dt.timedelta(days=60)
    assert [r.id for r in svc.invoices(SYSTEM, did, overdue=True, today=late)] == [inv.id]
    (row,) = svc.open_items(SYSTEM, did, today=late)
    assert row.buckets["1-30"] == D("242.00")
    dry = svc.run_reminders(SYSTEM, did, today=late, dry_run=True)
    assert [r.level for r in dry] == [1]
    first = svc.run_reminders(SYSTEM, did, today=late)
    assert [(r.invoice_id, r.level) for r in first] == [(inv.id, 1)]
    assert svc.run_reminders(SYSTEM, did, today=late) == []  # same day: nothing new
    assert len(svc.invoice(SYSTEM, inv.id).reminders) == 1


def test_the_firm_adds_a_missing_half_year_rate_by_setting(
    runtime: Runtime, tmp_path: Path
) -> None:
    svc, did, cid = setup(runtime)
    svc.issue(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid)).id)  # due 1 April 2026
    august = dt.date(2026, 8, 3)
    (before,) = svc.run_reminders(SYSTEM, did, today=august, dry_run=True)
    assert any("reference rate missing" in w for w in before.warnings)
    rt = make_runtime(runtime.settings.database_url, tmp_path, late_interest_rates="2026-2=12,5")
    (after,) = Service(rt).run_reminders(SYSTEM, did, today=august, dry_run=True)
    assert not any("reference rate missing" in w for w in after.warnings)
    # 2026/2's 34 days (1 July - 3 August) at 12.5 % instead of the last known 10.5 %
    assert after.interest - before.interest == (D("242.00") * 2 * 34 / 100 / 365).quantize(
        D("0.01")
    )
    with pytest.raises(ConfigError, match="BOEKBOX_LATE_INTEREST_RATES: '2026-3=10'"):
        load_settings({"BOEKBOX_LATE_INTEREST_RATES": "2026-2=12, 2026-3=10"})


def test_issued_invoice_becomes_a_sales_proposal_confirmed_in_two_clicks(
    runtime: Runtime,
) -> None:
    svc, did, cid = setup(runtime)
    inv = svc.issue(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid, ("2", "100", "21"))).id)
    doc_id = svc.book_invoice(SYSTEM, inv.id)
    assert svc.book_invoice(SYSTEM, inv.id) == doc_id
    detail = svc.document(SYSTEM, doc_id)
    assert detail.row.state == "proposed"
    lines = {(ln.account, ln.debit, ln.credit) for ln in detail.entry.lines}
    assert ("400000", D("242.00"), D("0.00")) in lines
    assert ("451000", D("0.00"), D("42.00")) in lines
    # confirming a sales entry needs the right to book sales, not purchases
    buyer = svc.add_user(SYSTEM, "inkoper", "password-a1", "accountant")
    svc.set_rights(SYSTEM, did, "inkoper", permissions=["book_purchases"])
    with pytest.raises(AccessDenied, match="book sales"):
        svc.confirm(buyer, doc_id)
    svc.set_rights(SYSTEM, did, "inkoper", permissions=["book_sales"])
    booked = svc.confirm(buyer, doc_id)
    assert booked.status == "booked"


def test_auto_book_option_books_on_issue(runtime: Runtime) -> None:
    svc, did, cid = setup(runtime, auto_book=True)
    inv = svc.issue(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid)).id)
    assert inv.document_id is not None
    assert svc.document(SYSTEM, inv.document_id).row.state == "booked"


def test_only_members_with_the_invoice_right_invoice(runtime: Runtime) -> None:
    svc, did, cid = setup(runtime)
    other = svc.create_dossier(SYSTEM, "Ander BV").id
    ent = svc.add_user(SYSTEM, "ent", "password-a1", "entrepreneur", dossiers=[other])
    with pytest.raises(AccessDenied):
        svc.customers(ent, did)
    draft = svc.create_draft(SYSTEM, did, spec(cid))
    with pytest.raises(ServiceError, match="does not exist"):
        svc.issue(ent, draft.id)
    own = svc.add_user(SYSTEM, "own", "password-a1", "entrepreneur", dossiers=[did])
    assert svc.issue(own, draft.id).number == "F2026-0001"
    with pytest.raises(AccessDenied):
        svc.book_invoice(own, draft.id)  # booking sales needs book_sales


def test_customer_csv_import_reports_bad_lines(runtime: Runtime) -> None:
    svc, did, _ = setup(runtime)
    data = b"Naam;Land;BTW\nGoed NV;BE;BE0202239951\nFout NV;BE;BE0202239952\n"
    added, errors = svc.import_customers(SYSTEM, did, data)
    assert [c.name for c in added] == ["Goed NV"]
    assert [line for line, _ in errors] == [3]
