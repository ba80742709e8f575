"""Run in a child process (spawn) by the concurrency test: issue the given invoices."""

from __future__ import annotations


def issue_all(db_url: str, blob_dir: str, invoice_ids: list[int]) -> list[str]:
    from pipeline.runtime import build_runtime, reset_runtime
    from pipeline.service import SYSTEM, Refused, Service
    from pipeline.settings import Settings

    rt = build_runtime(Settings(database_url=db_url, blob_store=blob_dir, broker="stub"))
    reset_runtime(rt)
    svc = Service(rt)
    numbers = []
    for invoice_id in invoice_ids:
        try:
            numbers.append(svc.issue(SYSTEM, invoice_id).number or "")
        except Refused as exc:
            numbers.append(f"refused: {exc}")
    return numbers
