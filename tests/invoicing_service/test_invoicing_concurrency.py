"""Parallel issuers on PostgreSQL (separate processes): no duplicate number, no gap, and a
refused issue gives its number back."""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path

import pytest
from test_invoicing_service import setup, spec

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM


@pytest.mark.slow
def test_parallel_processes_issue_gapless_numbers(runtime: Runtime, tmp_path: Path) -> None:
    if not runtime.settings.database_url.startswith("postgresql"):
        pytest.skip("the multi-process race is run on PostgreSQL")
    svc, did, cid = setup(runtime)
    original = svc.issue(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid)).id)
    # two full credit notes of one invoice: the one issued second is refused after it
    # took a number inside its transaction, which must give the number back
    credits = [svc.credit_note(SYSTEM, original.id).id for _ in range(2)]
    drafts = [svc.create_draft(SYSTEM, did, spec(cid)).id for _ in range(6)]
    batches = [drafts[0:2] + credits[:1], drafts[2:4] + credits[1:], drafts[4:6]]
    ctx = multiprocessing.get_context("spawn")
    sys.path.insert(0, str(Path(__file__).parent))
    from concurrent_issuer import issue_all

    with ctx.Pool(3) as pool:
        results = pool.starmap(
            issue_all,
            [(runtime.settings.database_url, str(tmp_path / "blobs"), b) for b in batches],
        )
    got = [n for batch in results for n in batch]
    refused = [n for n in got if n.startswith("refused")]
    assert len(refused) == 1
    assert "more than" in refused[0]
    numbers = sorted(n for n in got if not n.startswith("refused"))
    expected = [f"F2026-{i:04d}" for i in range(2, 2 + len(numbers))]
    assert numbers == expected  # no duplicate, no gap
    rows = svc.invoices(SYSTEM, did, state="issued", limit=100)
    assert sorted(r.number or "" for r in rows) == ["F2026-0001", *expected]
