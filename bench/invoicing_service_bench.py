"""Benchmark: sales invoicing through the service (database, blobs, numbering) against the
pure core in the same run.

Run:  .venv/bin/python bench/invoicing_service_bench.py [--issues N] [--coda-lines L]

Prints, on a throwaway SQLite database and blob directory:
* issuing through ``Service.issue`` (lock and allocate the number, PDF, UBL, validation,
  blobs, rows; one transaction), warm: p50/p95 ms over N drafts, next to the pure core's
  ``issue`` + ``render_outputs`` of the same drafts, and the ratio of the p50s (the cost
  of storage and numbering);
* ``Service.import_coda`` of a statement of L movements paying L issued invoices (parse,
  match, one transaction storing movements and payments), next to the pure
  ``parse_coda`` + ``match_payments`` of the same file, and the ratio.
Wall-clock times (the database is part of what is measured) and, next to them, the CPU
time of this process (SQLite runs in it: on a machine shared with other users the CPU time
is what the code costs, the wall time adds the wait for a core); the ratios compare two
measurements of the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from decimal import Decimal as D
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from invoicing import InvoiceDraft, Seller, issue, render_outputs  # noqa: E402
from invoicing.coda import parse_coda  # noqa: E402
from invoicing.matching import OpenItem, match_payments  # noqa: E402
from invoicing.serial import from_json  # noqa: E402
from pipeline.runtime import build_runtime, reset_runtime  # noqa: E402
from pipeline.service import SYSTEM, Service  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from storage.db import migrate  # noqa: E402
from tests.invoicing.invoicing_coda_builder import coda_statement  # noqa: E402

SELLER = {
    "street": "Kerkstraat 1", "postal_code": "9000", "city": "Gent", "vat": "BE0403170701",
    "enterprise_number": "0403.170.701", "iban": "BE71 0961 2345 6769", "bic": "GKCCBEBB",
}  # fmt: skip
CUSTOMER = {"name": "Klant NV", "country": "BE", "vat": "BE0202239951", "city": "Brussel"}


def _spec(cid: int, i: int) -> dict[str, object]:
    rates = ["21", "6", "12", "0"]
    return {
        "customer_id": cid,
        "issue_date": "2026-03-02",
        "lines": [
            {"description": f"Item {i}-{k}", "quantity": str(k + 1),
             "unit_price": f"{10 + i % 7}.{k}5", "vat_rate": rates[(i + k) % 4]}
            for k in range(2 + i % 4)
        ],
    }  # fmt: skip


def _ms(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--issues", type=int, default=40)
    # movements, 3 records (CODA lines) each; 9,999 is all one statement can hold
    ap.add_argument("--coda-lines", type=int, default=9_999)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="invoicing-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    migrate(url)
    rt = build_runtime(Settings(database_url=url, blob_store=str(tmp / "blobs"), broker="stub"))
    reset_runtime(rt)
    svc = Service(rt)
    did = svc.create_dossier(SYSTEM, "Bench BV", vat_number="BE0403170701").id
    svc.set_invoicing_settings(SYSTEM, did, seller=SELLER, prefix="B")
    cid = svc.create_customer(SYSTEM, did, CUSTOMER).id
    seller = Seller(name="Bench BV", **SELLER)  # type: ignore[arg-type]

    # warm both paths (stylesheets, fonts)
    warm = svc.create_draft(SYSTEM, did, _spec(cid, 0)).id
    svc.issue(SYSTEM, warm)
    drafts = [svc.create_draft(SYSTEM, did, _spec(cid, i)).id for i in range(args.issues)]
    with rt.tx() as s:
        from storage import invoicing as store

        cores = [from_json(InvoiceDraft, store.get_invoice(s, d).draft) for d in drafts]
    render_outputs(issue(cores[0], seller, dossier_id=did, sequence=1,
                         issue_date=dt.date(2026, 3, 2)))  # fmt: skip
    core_times, svc_times, core_cpu, svc_cpu = [], [], [], []
    for n, (draft_id, core) in enumerate(zip(drafts, cores, strict=True)):
        t0, c0 = time.perf_counter(), time.process_time()
        render_outputs(issue(core, seller, dossier_id=did, sequence=n + 1,
                             issue_date=dt.date(2026, 3, 2)))  # fmt: skip
        core_times.append(time.perf_counter() - t0)
        core_cpu.append(time.process_time() - c0)
        t0, c0 = time.perf_counter(), time.process_time()
        svc.issue(SYSTEM, draft_id)
        svc_times.append(time.perf_counter() - t0)
        svc_cpu.append(time.process_time() - c0)
    c50, c95 = _ms(core_times)
    s50, s95 = _ms(svc_times)
    cc50, cc95 = _ms(core_cpu)
    sc50, sc95 = _ms(svc_cpu)
    print(f"issue, {args.issues} invoices, warm, ms (wall | CPU of this process):")
    print(f"  pure core (issue + render_outputs): p50 {c50:.1f}  p95 {c95:.1f}"
          f"  | CPU p50 {cc50:.1f}  p95 {cc95:.1f}")  # fmt: skip
    print(f"  Service.issue (number, blobs, rows): p50 {s50:.1f}  p95 {s95:.1f}"
          f"  | CPU p50 {sc50:.1f}  p95 {sc95:.1f}")  # fmt: skip
    print(f"  ratio service/core p50: {s50 / c50:.2f}x wall, {sc50 / cc50:.2f}x CPU")

    # CODA: L invoices to pay (rows only: the issue path is measured above)
    lines = args.coda_lines
    with rt.tx() as s:
        from storage.models import SalesInvoice

        for i in range(lines):
            s.add(SalesInvoice(
                dossier_id=did, customer_id=cid, kind="invoice", state="issued",
                number=f"C2026-{i:05d}", bookyear=2027, sequence=i + 1,
                issue_date=dt.date(2026, 3, 2), due_date=dt.date(2026, 4, 1),
                structured_communication=f"{i:010d}{(i % 97) or 97:02d}",
                total=D("100.00") + i % 50, customer_name="Klant NV",
            ))  # fmt: skip
    movements = [(D("100.00") + i % 50, f"{i:010d}{(i % 97) or 97:02d}", "") for i in range(lines)]
    data = coda_statement(movements)
    t0, c0 = time.perf_counter(), time.process_time()
    parsed = parse_coda(data)
    items = [OpenItem(f"s{i}", "sales", D("100.00") + i % 50, f"{i:010d}{(i % 97) or 97:02d}")
             for i in range(lines)]  # fmt: skip
    pure = match_payments(parsed.movements, items)
    pure_s, pure_c = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    report = svc.import_coda(SYSTEM, did, data)
    svc_s, svc_c = time.perf_counter() - t0, time.process_time() - c0
    records = data.count(b"\n")
    print(f"CODA, {lines} movements ({records} lines) paying {lines} open invoices,"
          " s (wall | CPU):")  # fmt: skip
    print(f"  pure parse + match: {pure_s:.2f} | {pure_c:.2f} ({len(pure.matches)} matched)")
    print(f"  Service.import_coda (one transaction): {svc_s:.2f} | {svc_c:.2f} "
          f"({report.matched} matched)")  # fmt: skip
    print(f"  ratio service/pure: {svc_s / pure_s:.2f}x wall, {svc_c / pure_c:.2f}x CPU")


if __name__ == "__main__":
    main()
