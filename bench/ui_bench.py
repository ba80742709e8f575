"""Review UI speed: AppTest run time of Inbox and Review with 10,000 documents, same run.

Builds two SQLite databases in a temp dir: an *empty* one (a dossier and a
user, no documents: the baseline) and a *full* one whose dossier holds
10,000 documents (bulk-inserted rows in every state, plus one real corpus
PDF that went through the pipeline, so Review shows pages, fields and an
entry).  Each page is run with streamlit's AppTest as a logged-in admin:
the first run (cold: page rendering, caches empty) and the median of the
following runs (warm).  Prints seconds per page and database, and the ratio
of full to empty.  Target: under 1 s per page.

    .venv/bin/python bench/ui_bench.py [--documents 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert
from streamlit.testing.v1 import AppTest

from pipeline import steps
from pipeline.broker import setup_broker
from pipeline.runtime import Runtime, build_runtime, reset_runtime
from pipeline.service import SYSTEM, Service
from pipeline.settings import Settings
from storage import repo
from storage.db import migrate
from storage.models import Document

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    setup_broker(Settings(broker="stub"))
    results: dict[tuple[str, str], tuple[float, float]] = {}
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
