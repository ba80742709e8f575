"""Review UI speed: AppTest run time of Inbox and Review with 10,000 documents, same run;
the books (ledger, trial balance, dashboard) of a dossier with 50,000 journal lines.

Builds two SQLite databases in a temp dir: an *empty* one (a dossier and a
user, no documents: the baseline) and a *full* one whose dossier holds
10,000 documents (bulk-inserted rows in every state, plus one real corpus
PDF that went through the pipeline, so Review shows pages, fields and an
entry).  Each page is run with streamlit's AppTest as a logged-in admin:
the first run (cold: page rendering, caches empty) and the median of the
following runs (warm).  Prints seconds per page and database, and the ratio
of full to empty.  Target: under 1 s per page.

Books: a third database whose dossier holds ``--lines`` booked journal lines
(bulk-inserted purchases, sales and payments over two years, 300 counterparties).
The service calls behind the Books and Dashboard pages are timed warm (median) against
a bare ``SELECT COUNT`` over the same lines (the baseline, same run), and the Books and
Dashboard pages themselves through AppTest as the entrepreneur.

    .venv/bin/python bench/ui_bench.py [--documents 10000] [--runs 5] [--lines 50000]
    .venv/bin/python bench/ui_bench.py --documents 0 --lines 50000   # the books only
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert
from streamlit.testing.v1 import AppTest

from pipeline import steps
from pipeline.broker import setup_broker
from pipeline.runtime import Runtime, build_runtime, reset_runtime
from pipeline.service import SYSTEM, Service
from pipeline.settings import Settings
from storage import ledgerq, repo
from storage.db import migrate
from storage.models import Document, JournalEntry, JournalLine, Supplier

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "review_ui" / "app.py")
PDF = ROOT.parent / "shared" / "corpus" / "pdf" / "i2d_AmazonWebServices.pdf"
FILLER = ROOT.parent / "shared" / "corpus" / "pdf" / "i2d_AzureInterior.pdf"
STATES = ["booked"] * 12 + ["proposed"] * 5 + ["failed", "quarantined", "duplicate", "rejected"]
SUPPLIERS = ["Proximus", "Engie Electrabel", "Colruyt", "Brico", "Telenet", "Securex", "Dekra"]


def _runtime(base: Path) -> Runtime:
    settings = Settings(
        database_url=f"sqlite:///{base / 'boekbox.db'}",
        blob_store=str(base / "blobs"),
        broker="stub",
        broker_url=str(base / "queue.db"),
        mail_domain="bench.boekbox.test",
    )
    migrate(settings.database_url)
    rt = build_runtime(settings)
    reset_runtime(rt)
    return rt


def _bulk_documents(rt: Runtime, dossier_id: int, n: int) -> None:
    """``n`` document rows sharing one stored blob, in every state."""
    ref = rt.blobs.put(FILLER.read_bytes())
    rng = random.Random(7)
    day0 = dt.date(2025, 1, 1)
    rows = []
    for i in range(n):
        state = rng.choice(STATES)
        rows.append(
            {
                "dossier_id": dossier_id,
                "kind": "file",
                "blob_sha256": ref.sha256,
                "size": ref.size,
                "filename": f"invoice-{i:05d}.pdf",
                "content_type": "application/pdf",
                "origin": "bench",
                "channel": "smtp",
                "state": state,
                "state_reason": None if state in {"booked", "proposed"} else f"bench {state}",
                "supplier_name": rng.choice(SUPPLIERS),
                "invoice_number": f"F{i:06d}",
                "invoice_date": day0 + dt.timedelta(days=i % 365),
                "total_incl_vat": Decimal(rng.randrange(100, 500_000)) / 100,
                "warning_count": rng.choice([0, 0, 0, 1, 2]),
                "timings": {},
            }
        )
    with rt.tx() as s:
        repo.register_blob(s, dossier_id, ref)
        s.execute(insert(Document), rows)


def build(base: Path, documents: int) -> int | None:
    """A database with a dossier and an admin; returns the Review document id."""
    rt = _runtime(base)
    svc = Service(rt)
    dossier = svc.create_dossier(SYSTEM, "Bench BV", vat_number="BE0743182920")
    svc.add_user(SYSTEM, "bench", "bench-pass-1", "admin", dossiers=[dossier.id])
    if not documents:
        return None
    _bulk_documents(rt, dossier.id, documents - 1)
    row = svc.ingest(SYSTEM, dossier.id, PDF.read_bytes(), PDF.name)
    for nxt in steps.extract_step(rt, row.id):
        steps.propose_step(rt, nxt.document_id)
    assert svc.document(SYSTEM, row.id).row.state == "proposed"
    assert svc.count_documents(SYSTEM, dossier_id=dossier.id) == documents
    return row.id


def time_page(page: str, doc_id: int | None, runs: int) -> tuple[float, float]:
    """Cold (first) and median warm AppTest run time of ``page``, in seconds."""
    import streamlit as st

    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["user"] = Service().user("bench")
    at.run()  # lands on the Inbox; registers the pages
    if page != "inbox":
        at.switch_page(f"views/{page}.py")
        if doc_id is not None:
            at.query_params["doc"] = str(doc_id)
    times = []
    for _ in range(runs + 1):
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        assert not at.exception, [e.value for e in at.exception]
    return times[0], statistics.median(times[1:])


# ----------------------------------------------------------------------------- books


def _bulk_books(rt: Runtime, dossier_id: int, lines: int) -> None:
    """About ``lines`` booked lines: 3-line purchases and sales, 2-line payments."""
    rng = random.Random(13)
    with rt.tx() as s:
        rows = [
            {"dossier_id": dossier_id, "key": f"name:party {i}", "name": f"Party {i:03d} BV"}
            for i in range(300)
        ]
        s.execute(insert(Supplier), rows)
        supplier_ids = list(s.scalars(Supplier.__table__.select().with_only_columns(Supplier.id)))
    entries: list[dict[str, object]] = []
    items: list[dict[str, object]] = []
    day0 = dt.date(2025, 1, 1)
    eid, n = 0, 0
    while n < lines:
        eid += 1
        date = day0 + dt.timedelta(days=rng.randrange(700))
        kind = rng.choices(["AKP", "VKP", "FIN"], [5, 4, 2])[0]
        base = Decimal(rng.randrange(1_000, 500_000)) / 100
        vat = (base * Decimal("0.21")).quantize(Decimal("0.01"))
        if kind == "AKP":
            cost = rng.choice(["604000", "610000", "612000", "613000", "615000", "640000"])
            lns = [
                (cost, base, 0, ["82"]),
                ("411000", vat, 0, ["59"]),
                ("440000", 0, base + vat, []),
            ]
        elif kind == "VKP":
            lns = [
                ("400000", base + vat, 0, []),
                (rng.choice(["700000", "705000"]), 0, base, ["03"]),
                ("451000", 0, vat, ["54"]),
            ]
        else:
            acc = rng.choice(["400000", "440000"])
            lns = (
                [("550000", base, 0, []), (acc, 0, base, [])]
                if acc == "400000"
                else [
                    (acc, base, 0, []),
                    ("550000", 0, base, []),
                ]
            )
        entries.append(
            {
                "id": eid,
                "dossier_id": dossier_id,
                "supplier_id": rng.choice(supplier_ids),
                "journal": kind,
                "bookyear": str(date.year),
                "period": date.strftime("%Y-%m"),
                "vat_period": date.strftime("%Y-%m"),
                "number": eid,
                "date": date,
                "due_date": date + dt.timedelta(days=30),
                "status": "booked",
                "warnings": [],
            }
        )
        for seq, (account, debit, credit, grids) in enumerate(lns, start=1):
            items.append(
                {
                    "entry_id": eid,
                    "seq": seq,
                    "account": account,
                    "debit": Decimal(debit),
                    "credit": Decimal(credit),
                    "vat_grids": grids,
                }
            )
            n += 1
    with rt.tx() as s:
        s.execute(insert(JournalEntry), entries)
        s.execute(insert(JournalLine), items)


def build_books(base: Path, lines: int) -> tuple[Runtime, int]:
    rt = _runtime(base)
    svc = Service(rt)
    dossier = svc.create_dossier(SYSTEM, "Books BV", vat_number="BE0743182920")
    svc.add_user(SYSTEM, "bench", "bench-pass-1", "entrepreneur")
    svc.add_member(SYSTEM, dossier.id, "bench", "client_portal")
    _bulk_books(rt, dossier.id, lines)
    return rt, dossier.id


def _median(call: Callable[[], object], runs: int) -> tuple[float, float, float]:
    """The first call (cold: nothing cached), its CPU time (this process; steadier than
    the wall clock on a shared machine) and the median of the next ``runs`` (warm)."""
    t0, c0 = time.perf_counter(), time.process_time()
    call()
    cold, cpu = time.perf_counter() - t0, time.process_time() - c0
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return cold, cpu, statistics.median(times)


def time_books_page(page: str, dossier_id: int, runs: int) -> tuple[float, float, float]:
    """Cold (first: the service's cache emptied, as after a start or a booking) and
    median warm AppTest run of the Books or Dashboard page as the entrepreneur."""
    from pipeline.service import books as books_service

    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["user"] = Service().user("bench")
    at.run()
    at.switch_page(f"views/{page}.py")
    books_service._CACHE.clear()
    times = []
    c0 = time.process_time()  # the script runs in a thread of this process
    for _ in range(runs + 1):
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        if len(times) == 1:
            cpu = time.process_time() - c0
        assert not at.exception, [e.value for e in at.exception]
    return times[0], cpu, statistics.median(times[1:])


def bench_books(tmp: Path, lines: int, runs: int) -> None:
    t0 = time.perf_counter()
    rt, did = build_books(tmp / "books", lines)
    svc = Service(rt)
    user = svc.user("bench")
    assert user is not None
    with rt.tx() as s:
        counted = ledgerq.count_lines(s, did)
    print(f"\nbuilt books database ({counted} journal lines) in {time.perf_counter() - t0:.1f} s")
    year = 2026
    today = dt.date(2026, 11, 30)

    def count() -> int:
        with rt.tx() as s:
            return ledgerq.count_lines(s, did)

    calls = {
        "SELECT COUNT (baseline)": count,
        "trial balance": lambda: svc.trial_balance(user, did),
        "ledger 400000, page 1": lambda: svc.account_ledger(user, did, "400000"),
        "ledger 400000, last page": lambda: svc.account_ledger(
            user, did, "400000", offset=max(0, lines // 4 - 200)
        ),
        "journals, page 1": lambda: svc.journals(user, did),
        "dashboard": lambda: svc.dashboard(user, did, year, today=today),
        "measure 60-61 per month": lambda: svc.measure(user, did, "60-61", "2025-01", "2026-12"),
    }
    timed = {name: _median(fn, runs) for name, fn in calls.items()}
    base = timed["SELECT COUNT (baseline)"][2]
    title = f"books call ({counted} lines)"
    print(f"\n{title:<40} {'cold s':>8} {'cold cpu':>9} {'warm s':>8} {'warm x COUNT':>13}")
    for name, (cold, cpu, secs) in timed.items():
        print(f"{name:<40} {cold:>8.4f} {cpu:>9.4f} {secs:>8.4f} {secs / base:>12.1f}x")
    pages = {page: time_books_page(page, did, runs) for page in ("books", "dashboard")}
    for page, (cold, cpu, secs) in pages.items():
        name = f"page {page} (AppTest)"
        print(f"{name:<40} {cold:>8.4f} {cpu:>9.4f} {secs:>8.4f} {secs / base:>12.1f}x")
    every = [*timed.values(), *pages.values()]
    worst = max(w for _c, _u, w in every)
    coldest = max(c for c, _u, _w in every)
    print(f"cold (first call or page, nothing cached): worst {coldest:.3f} s")
    verdict = "met" if worst < 1 else "NOT met"
    print(f"\ntarget < 1 s per books page and call (warm): {verdict} (worst {worst:.3f} s)")
    reset_runtime(None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lines", type=int, default=50_000, help="books: journal lines (0: skip)")
    args = parser.parse_args()
    setup_broker(Settings(broker="stub"))
    results: dict[tuple[str, str], tuple[float, float]] = {}
    if args.lines:
        with tempfile.TemporaryDirectory(prefix="ui-bench-books-") as tmp:
            bench_books(Path(tmp), args.lines, args.runs)
    if not args.documents:
        return
    with tempfile.TemporaryDirectory(prefix="ui-bench-") as tmp:
        for label, n in (("empty", 0), ("full", args.documents)):
            t0 = time.perf_counter()
            doc_id = build(Path(tmp) / label, n)
            print(f"built {label} database ({n} documents) in {time.perf_counter() - t0:.1f} s")
            AppTest.from_file(APP, default_timeout=120).run()  # imports, not timed
            for page in ("inbox", "review"):
                results[(page, label)] = time_page(page, doc_id, args.runs)
        reset_runtime(None)
    print(f"\n{'page':<8} {'database':<22} {'cold s':>8} {'warm s':>8} {'warm/empty':>11}")
    for page in ("inbox", "review"):
        base = results[(page, "empty")][1]
        for label, n in (("empty", 0), ("full", args.documents)):
            cold, warm = results[(page, label)]
            name = f"{label} ({n} docs)"
            print(f"{page:<8} {name:<22} {cold:>8.3f} {warm:>8.3f} {warm / base:>10.2f}x")
    worst = max(w for _c, w in results.values())
    verdict = "met" if worst < 1 else "NOT met"
    print(f"\ntarget < 1 s per page (warm): {verdict} (worst {worst:.3f} s)")


if __name__ == "__main__":
    main()
