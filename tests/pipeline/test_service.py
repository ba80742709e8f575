"""The service API: access rules, confirm/refuse, learning, quota."""

from __future__ import annotations

from decimal import Decimal

import pytest
from helpers import CORPUS, DKK_PER_EUR, dkk_in_eur, dossier, run_all

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, AccessDenied, Refused, Service, ServiceError, quota_of
from pipeline.steps import NextStep

UBL = CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml"


def _proposed(rt: Runtime, did: int, path=UBL) -> int:  # type: ignore[no-untyped-def]
    svc = Service(rt)
    row = svc.ingest(SYSTEM, did, path.read_bytes(), path.name)
    run_all(rt, [NextStep("extract", row.id)])
    detail = svc.document(SYSTEM, row.id)
    assert detail.row.state == "proposed", detail.row.reason
    return row.id


def test_an_entrepreneur_sees_nothing_of_another_dossier(runtime: Runtime) -> None:
    svc = Service(runtime)
    a = dossier(runtime, "Alpha BV", "BE0428759497", "alpha")
    b = dossier(runtime, "Beta BV", "BE0712345630", "beta")
    doc_b = _proposed(runtime, b)
    ent = svc.add_user(SYSTEM, "ent-a", "password-a1", "entrepreneur", dossiers=[a])
    assert [d.id for d in svc.dossiers(ent)] == [a]
    assert svc.documents(ent) == []
    assert svc.count_documents(ent) == 0
    with pytest.raises(AccessDenied):
        svc.documents(ent, dossier_id=b)
    # a foreign document id answers exactly like a missing one (no probing of ids)
    missing = 10_000 + doc_b
    for call in (svc.document, svc.document_bytes, svc.confirm, svc.reprocess):
        with pytest.raises(ServiceError) as foreign:
            call(ent, doc_b)
        with pytest.raises(ServiceError) as absent:
            call(ent, missing)
        assert type(foreign.value) is type(absent.value) is ServiceError
        assert str(foreign.value) == str(absent.value).replace(str(missing), str(doc_b))
    with pytest.raises(ServiceError) as foreign_dossier:
        svc.dossier(ent, b)
    assert str(foreign_dossier.value) == f"unknown dossier: {b}"
    with pytest.raises(AccessDenied):
        svc.entries(ent, b)


def test_an_entrepreneur_cannot_book_in_their_own_dossier(runtime: Runtime) -> None:
    svc = Service(runtime)
    a = dossier(runtime)
    doc = _proposed(runtime, a)
    ent = svc.add_user(SYSTEM, "ent", "password-a1", "entrepreneur", dossiers=[a])
    assert [r.id for r in svc.documents(ent)] == [doc]
    with pytest.raises(AccessDenied):
        svc.confirm(ent, doc)


def test_login_checks_the_argon2_hash(runtime: Runtime) -> None:
    svc = Service(runtime)
    svc.add_user(SYSTEM, "Anna", "correct horse", "accountant")
    assert svc.authenticate("anna", "correct horse") is not None
    assert svc.authenticate("anna", "wrong horse") is None
    assert svc.authenticate("nobody", "correct horse") is None


def test_confirm_books_links_and_audits(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    doc = _proposed(runtime, did)
    acc = svc.add_user(SYSTEM, "acc", "password-a1", "accountant", dossiers=[did])
    with pytest.raises(Refused, match=r"in DKK and no exchange rate is known"):
        svc.confirm(acc, doc)  # the DKK amounts are not booked as euro
    svc.set_rate(acc, doc, "7,4657")  # the Review page's rate box
    entry = svc.confirm(acc, doc)
    assert entry.status == "booked"
    assert max(ln.credit for ln in entry.lines) == dkk_in_eur("782179.43")  # DKK 782179.43
    assert max(ln.debit for ln in entry.lines) == dkk_in_eur("625743.54")  # the base
    assert entry.number == 1
    assert entry.document_id == doc
    assert entry.balanced
    detail = svc.document(acc, doc)
    assert detail.row.state == "booked"
    assert [a["action"] for a in detail.audit][-1] == "confirm"
    assert [e.document_id for e in svc.entries(acc, did)] == [doc]
    with pytest.raises(Refused):
        svc.confirm(acc, doc)  # not twice


def test_an_unbalanced_edit_is_refused_with_the_reason(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    doc = _proposed(runtime, did)
    entry = svc.document(SYSTEM, doc).entry
    assert entry is not None
    lines = [
        {
            "account": ln.account,
            "debit": float(ln.debit),
            "credit": float(ln.credit),
            "vat_grids": list(ln.vat_grids),
            "description": ln.description,
        }
        for ln in entry.lines
    ]
    lines[0]["debit"] = float(lines[0]["debit"]) + 0.01 if lines[0]["debit"] else 0.01
    with pytest.raises(Refused, match="does not balance"):
        svc.confirm(SYSTEM, doc, lines)
    assert svc.document(SYSTEM, doc).row.state == "proposed"


def test_a_locked_period_is_refused(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    doc = _proposed(runtime, did)
    entry = svc.document(SYSTEM, doc).entry
    assert entry is not None
    svc.update_dossier(SYSTEM, did, settings={"locked_periods": [entry.period]})
    with pytest.raises(Refused, match="locked"):
        svc.confirm(SYSTEM, doc)


def test_float_amounts_from_the_ui_are_rechecked_as_decimals(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    doc = _proposed(runtime, did)
    entry = svc.set_rate(SYSTEM, doc, DKK_PER_EUR)  # the DKK invoice in euro
    lines = [
        {
            "account": ln.account,
            "debit": float(ln.debit),
            "credit": float(ln.credit),
            "vat_grids": list(ln.vat_grids),
            "description": ln.description,
        }
        for ln in entry.lines
    ]
    booked = svc.confirm(SYSTEM, doc, lines)
    assert [ln.debit for ln in booked.lines] == [ln.debit for ln in entry.lines]
    assert all(isinstance(ln.debit, Decimal) for ln in booked.lines)


def test_reject_needs_a_reason_and_reprocess_runs_again(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    doc = _proposed(runtime, did)
    with pytest.raises(Refused):
        svc.reject(SYSTEM, doc, "  ")
    assert svc.reject(SYSTEM, doc, "private expense").state == "rejected"
    assert svc.reprocess(SYSTEM, doc).state == "received"
    run_all(runtime, [NextStep("extract", doc)])
    assert svc.document(SYSTEM, doc).row.state == "proposed"


def test_quota_is_one_free_gb_then_one_euro_per_started_gb(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    _proposed(runtime, did)
    (q,) = svc.quotas(SYSTEM)
    assert q.used_bytes == UBL.stat().st_size
    assert (q.extra_gb, q.monthly_cost_eur) == (0, Decimal("0"))
    view = svc.dossier(SYSTEM, did)
    over = type(view)(
        **{**{f: getattr(view, f) for f in view.__slots__}, "used_bytes": 2_400_000_000}
    )
    assert quota_of(over) == (2, Decimal("2"))


def test_a_corrected_account_is_proposed_for_the_suppliers_next_invoice(
    runtime: Runtime, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    svc = Service(runtime)
    did = dossier(runtime)
    first = _proposed(runtime, did)
    entry = svc.set_rate(SYSTEM, first, DKK_PER_EUR)  # the DKK invoice in euro
    base = [ln for ln in entry.lines if ln.kind == "base"]
    assert base
    assert all(ln.account != "613300" for ln in base)
    lines = [
        {
            "account": "613300" if ln.kind == "base" else ln.account,
            "debit": ln.debit,
            "credit": ln.credit,
            "vat_grids": list(ln.vat_grids),
            "description": ln.description,
            "kind": ln.kind,
        }
        for ln in entry.lines
    ]
    svc.confirm(SYSTEM, first, lines)
    second_xml = UBL.read_bytes().replace(b"<cbc:ID>12345</cbc:ID>", b"<cbc:ID>12346</cbc:ID>", 1)
    assert second_xml != UBL.read_bytes()
    path = tmp_path / "second.xml"
    path.write_bytes(second_xml)
    second = _proposed(runtime, did, path)
    proposed = svc.document(SYSTEM, second).entry
    assert proposed is not None
    assert {ln.account for ln in proposed.lines if ln.kind == "base"} == {"613300"}


def test_autobook_after_one_unedited_confirmation_and_reopen(runtime: Runtime, tmp_path) -> None:  # type: ignore[no-untyped-def]
    svc = Service(runtime)
    ubl = CORPUS / "ubl" / "ublbe_15000001.xml"  # a Belgian invoice whose proposal has no warnings
    did = dossier(runtime, "Customer BV", "BE0000000295", "customer")
    first = _proposed(runtime, did, ubl)
    (sup,) = svc.suppliers(SYSTEM, did)
    assert sup.autobook_policy == "never"
    svc.set_supplier_policy(SYSTEM, sup.id, autobook="after_n", after=1)
    with pytest.raises(Refused):
        svc.set_supplier_policy(SYSTEM, sup.id, autobook="sometimes")
    svc.confirm(SYSTEM, first, iban_checked=True)  # unedited; its new IBAN checked
    assert svc.suppliers(SYSTEM, did)[0].confirmations_in_a_row == 1
    path = tmp_path / "second.xml"
    second_xml = ubl.read_bytes().replace(b">V01/15000001<", b">V01/15000099<")
    assert second_xml != ubl.read_bytes()
    path.write_bytes(second_xml)
    row = svc.ingest(SYSTEM, did, path.read_bytes(), path.name)
    run_all(runtime, [NextStep("extract", row.id)])
    detail = svc.document(SYSTEM, row.id)
    assert detail.row.state == "booked", detail.entry
    assert detail.entry is not None
    assert detail.entry.auto_booked
    assert [a["action"] for a in detail.audit] == ["ingest", "auto_booked"]
    reopened = svc.reopen(SYSTEM, row.id)
    assert reopened.status == "proposed"
    assert svc.document(SYSTEM, row.id).row.state == "proposed"
