"""Full-text document search of the client portal on 100,000 documents, same run.

Builds a database whose dossier holds ``--documents`` documents, each with a
stored text of ~120 words (supplier, number, invoice words, one of 5,000 rarer
words), bulk-inserted (the FTS5 triggers or PostgreSQL's generated tsvector index
them as the extract step's rows would be), and an *empty* database (a dossier, no
documents).  Through the service, as an entrepreneur of the dossier (access check
included), it times the median of ``--runs`` calls of:

* baseline: one document by its id (a plain indexed lookup with the same access
  check, ``Service.document_filing``), on the same database; also the newest 50
  documents (``Service.documents``, the Inbox list) for comparison;
* ``search_documents`` (page of 25 + total count, what the Documents page asks)
  for a rare word, a common word, two words, a word prefix, a word with an amount
  filter, and other forms of the text's words (Dutch ``betalingen`` for
  ``betaling``, French ``montants fournisseurs``), which SQLite finds through the
  stems stored with each text (``storage.fulltext.stems_of``, as the extract step).

Prints milliseconds and the ratio to the baseline and to the empty database.
Target: a full-text search under 300 ms.

    .venv/bin/python bench/search_bench.py [--documents 100000] [--runs 7]
        [--database-url postgresql+psycopg://...]   (default: SQLite in a temp dir)
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
from typing import Any

from sqlalchemy import insert

from pipeline.broker import setup_broker
from pipeline.runtime import Runtime, build_runtime, reset_runtime
from pipeline.service import SYSTEM, DocumentFilter, Service, UserView
from pipeline.settings import Settings
from storage import repo
from storage.db import dispose_engines, migrate
from storage.fulltext import stems_of
from storage.models import Document, DocumentText

SUPPLIERS = ["Proximus", "Engie Electrabel", "Colruyt", "Brico", "Telenet", "Securex", "Dekra"]
COMMON = [
    "factuur",
    "facture",
    "datum",
    "date",
    "totaal",
    "total",
    "btw",
    "tva",
    "bedrag",
    "montant",
    "omschrijving",
    "description",
    "betaling",
    "paiement",
    "klant",
    "client",
    "leverancier",
    "fournisseur",
]
FILLER = COMMON + [f"item{i}" for i in range(400)]
RARE = 5_000


def _runtime(url: str, base: Path) -> Runtime:
    settings = Settings(
        database_url=url,
        blob_store=str(base / "blobs"),
        broker="stub",
        broker_url=str(base / "queue.db"),
        mail_domain="bench.boekbox.test",
    )
    migrate(url)
    rt = build_runtime(settings)
    reset_runtime(rt)
    return rt


def _bulk(rt: Runtime, dossier_id: int, n: int) -> None:
    ref = rt.blobs.put(b"%PDF-1.4\n% bench filler\n")
    rng = random.Random(11)
    day0 = dt.date(2024, 1, 1)
    with rt.tx() as s:
        repo.register_blob(s, dossier_id, ref)
    batch = 5_000
    for start in range(0, n, batch):
        docs, texts = [], []
        for i in range(start, min(n, start + batch)):
            supplier = rng.choice(SUPPLIERS)
            total = Decimal(rng.randrange(100, 500_000)) / 100
            docs.append(
                {
                    "dossier_id": dossier_id,
                    "kind": "file",
                    "blob_sha256": ref.sha256,
                    "size": ref.size,
                    "filename": f"invoice-{i:06d}.pdf",
                    "content_type": "application/pdf",
                    "origin": "bench",
                    "channel": "upload",
                    "state": rng.choice(["booked"] * 8 + ["proposed", "filed"]),
                    "supplier_name": supplier,
                    "invoice_number": f"F{i:06d}",
                    "invoice_date": day0 + dt.timedelta(days=i % 700),
                    "total_incl_vat": total,
                    "warning_count": 0,
                    "timings": {},
                }
            )
            words = [rng.choice(FILLER) for _ in range(110)]
            words += [supplier, f"F{i:06d}", f"rare{rng.randrange(RARE)}", str(total)]
            body = " ".join(words)
            texts.append({"body": body, "stems": stems_of(body), "doc_type": "invoice"})
        with rt.tx() as s:
            ids = list(s.scalars(insert(Document).returning(Document.id), docs))
            s.execute(
                insert(DocumentText),
                [
                    {"document_id": d, "dossier_id": dossier_id, **t}
                    for d, t in zip(ids, texts, strict=True)
                ],
            )


def build(url: str, base: Path, documents: int) -> UserView:
    rt = _runtime(url, base)
    svc = Service(rt)
    dossier = svc.create_dossier(SYSTEM, f"Bench {documents}", vat_number="BE0743182920")
    name = f"bench{documents}"
    user = svc.add_user(SYSTEM, name, "bench-pass-1", "entrepreneur")
    svc.add_member(SYSTEM, dossier.id, name, "client_portal")
    if documents:
        _bulk(rt, dossier.id, documents)
    return user


def median_ms(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    result = fn()  # warm the caches once, not timed
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), result


BASELINE = "baseline: one document by id"
QUERIES: dict[str, DocumentFilter] = {
    "rare word": DocumentFilter(text="rare4242"),
    "common word": DocumentFilter(text="factuur"),
    "two words": DocumentFilter(text="colruyt betaling"),
    "word prefix": DocumentFilter(text="electra"),
    "word + amount": DocumentFilter(text="telenet", amount_min=Decimal("1000")),
    "Dutch word form": DocumentFilter(text="betalingen"),
    "French word forms": DocumentFilter(text="montants fournisseurs"),
}


def measure(svc: Service, user: UserView, runs: int) -> dict[str, tuple[float, int]]:
    (dossier_id,) = [d.id for d in svc.dossiers(user)]
    out: dict[str, tuple[float, int]] = {}
    some = svc.documents(user, dossier_id=dossier_id, limit=1)
    if some:
        ms, _ = median_ms(lambda: svc.document_filing(user, some[0].id), runs)
    else:  # the empty database: the same access check and one indexed row (none)
        ms, _ = median_ms(lambda: svc.document_tags(user, dossier_id), runs)
    out[BASELINE] = (ms, 1 if some else 0)
    ms, rows = median_ms(lambda: svc.documents(user, dossier_id=dossier_id, limit=50), runs)
    out["newest 50 (Service.documents)"] = (ms, len(rows))
    for label, f in QUERIES.items():
        ms, page = median_ms(lambda f=f: svc.search_documents(user, dossier_id, f, limit=25), runs)
        out[label] = (ms, page.total)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    setup_broker(Settings(broker="stub"))
    results: dict[str, dict[str, tuple[float, int]]] = {}
    with tempfile.TemporaryDirectory(prefix="search-bench-") as tmp:
        for label, n in (("empty", 0), ("full", args.documents)):
            base = Path(tmp) / label
            base.mkdir()
            url = args.database_url or f"sqlite:///{base / 'boekbox.db'}"
            t0 = time.perf_counter()
            user = build(url, base, n)
            print(f"built {label} database ({n} documents) in {time.perf_counter() - t0:.1f} s")
            results[label] = measure(Service(), user, args.runs)
            reset_runtime(None)
            dispose_engines()
    backend = "PostgreSQL" if args.database_url else "SQLite"
    base_ms = results["full"][BASELINE][0]
    print(f"\n{backend}, {args.documents} documents, median of {args.runs} runs")
    print(f"{'query':<32} {'empty ms':>9} {'full ms':>9} {'matches':>8} {'/baseline':>10}")
    for label, (ms, matches) in results["full"].items():
        empty = results["empty"][label][0]
        print(f"{label:<32} {empty:9.1f} {ms:9.1f} {matches:8d} {ms / base_ms:10.1f}x")
    worst = max(ms for label, (ms, _m) in results["full"].items() if label in QUERIES)
    print(f"\nslowest full-text search: {worst:.0f} ms (target < 300 ms)")


if __name__ == "__main__":
    main()
