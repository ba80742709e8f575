"""Learned analytical defaults reach the documents the pipeline proposes and auto-books
(issue 14), on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from helpers import CORPUS, dossier, run_all
from sqlalchemy import func, select

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, LineDistribution, Service
from pipeline.steps import NextStep
from storage.models import AnalyticSplit

UBL = CORPUS / "ubl" / "ublbe_15000001.xml"  # a Belgian invoice whose proposal has no warnings


def _ingest(svc: Service, rt: Runtime, did: int, tmp_path: Path, number: str) -> int:
    """The corpus invoice again under another invoice number (a new invoice, no twin)."""
    data = UBL.read_bytes().replace(b">V01/15000001<", f">V01/{number}<".encode())
    path = tmp_path / f"{number}.xml"
    path.write_bytes(data)
    row = svc.ingest(SYSTEM, did, data, path.name)
    run_all(rt, [NextStep("extract", row.id)])
    return row.id


def _splits(rt: Runtime, entry_id: int) -> int:
    with rt.tx() as s:
        stmt = select(func.count()).select_from(AnalyticSplit)
        return int(s.scalar(stmt.where(AnalyticSplit.entry_id == entry_id)) or 0)


def _cost_lines(svc: Service, entry_id: int) -> list[LineDistribution]:
    return [d for d in svc.line_distributions(SYSTEM, entry_id) if d.dimension == "cost centre"]


def test_auto_booked_and_proposed_documents_get_the_learned_distribution(
    runtime: Runtime, tmp_path: Path
) -> None:
    svc = Service(runtime)
    did = dossier(runtime, "Customer BV", "BE0000000295", "customer")
    svc.add_dimension(SYSTEM, did, "cost centre", ["SHOP", "WORKSHOP"])
    first = _ingest(svc, runtime, did, tmp_path, "15000001")
    entry = svc.document(SYSTEM, first).entry
    assert entry is not None
    assert entry.status != "booked"
    lines = _cost_lines(svc, entry.id)
    assert lines, "the proposal has a cost line"
    assert all(not d.parts for d in lines)  # nothing learned yet
    for d in lines:
        svc.distribute(SYSTEM, entry.id, d.seq, [("SHOP", "25"), ("WORKSHOP", "75")])
    svc.confirm(SYSTEM, first, iban_checked=True)  # unedited: learned; its new IBAN checked
    (sup,) = svc.suppliers(SYSTEM, did)
    svc.set_supplier_policy(SYSTEM, sup.id, autobook="after_n", after=1)

    auto = _ingest(svc, runtime, did, tmp_path, "15000002")
    detail = svc.document(SYSTEM, auto)
    assert detail.row.state == "booked"
    assert detail.entry is not None
    assert detail.entry.auto_booked
    booked = _cost_lines(svc, detail.entry.id)
    assert [d.is_default for d in booked] == [False] * len(lines)  # stored, not just shown
    for d in booked:
        assert [(p.code, p.pct) for p in d.parts] == [("SHOP", D("25")), ("WORKSHOP", D("75"))]
        assert sum(p.amount for p in d.parts) == d.amount
    assert _splits(runtime, detail.entry.id) == 2 * len(lines)
    report = svc.analytic_report(SYSTEM, did, "cost centre")
    assert {r.code for r in report.rows} >= {"SHOP", "WORKSHOP"}

    svc.set_supplier_policy(SYSTEM, sup.id, autobook="never")
    proposed = _ingest(svc, runtime, did, tmp_path, "15000003")
    detail = svc.document(SYSTEM, proposed)
    assert detail.row.state == "proposed"
    assert detail.entry is not None
    shown = _cost_lines(svc, detail.entry.id)
    assert shown
    assert all(d.is_default for d in shown)
    assert [(p.code, p.pct) for p in shown[0].parts] == [("SHOP", D("25")), ("WORKSHOP", D("75"))]
    assert _splits(runtime, detail.entry.id) == 0

    # a default naming a code since deactivated is neither shown nor applied
    svc.deactivate_analytic(SYSTEM, did, "cost centre", "WORKSHOP")
    assert all(not d.parts for d in _cost_lines(svc, detail.entry.id))
    svc.set_supplier_policy(SYSTEM, sup.id, autobook="after_n", after=1)
    svc.confirm(SYSTEM, proposed)
    last = _ingest(svc, runtime, did, tmp_path, "15000004")
    entry = svc.document(SYSTEM, last).entry
    assert entry is not None
    assert entry.auto_booked
    assert _splits(runtime, entry.id) == 0
