"""Benchmark: learning from corrections (issue 15).

Run:  .venv/bin/python bench/learning_bench.py [--pairs 60] [--scans 30] [--per-pair]

For pairs of invoices of one supplier (bench/learning_pairs.py: same layout,
language and habits, different numbers, dates and amounts), all billed to one
dossier:

1. invoice A is read with the dossier known and the hints learned so far
   (from other suppliers: a wrong match would show here);
2. every wrong booking field of A is corrected the way the service does it
   (``pipeline.corrections.corrected_invoice`` then
   ``pipeline.corrections.learned_hints``, one field at a time, supplier VAT
   first), which folds the correction into that supplier's stored hint;
3. once every A is corrected, invoice B is read twice: without hints (before)
   and with every supplier's stored hint (after, as the extract step passes
   them), the dossier known.

Printed per kind (text PDFs, scans OCRed with the real tesseract): the share
of B with every booking field right (document type, number, date, supplier
VAT, the three totals, VAT breakdown, currency) before and after learning,
the share of booking fields right, and how many fields that were right before
learning are wrong after it.  Same code as the pipeline's extract step and
correction service, minus the database.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from learning_pairs import DOSSIER_NAME, DOSSIER_VAT, make_pair, render, scan  # noqa: E402

from extractors import SupplierHint, read_pages  # noqa: E402
from extractors.finder import find_fields  # noqa: E402
from extractors.model import InvoiceData, Party  # noqa: E402
from pipeline.corrections import corrected_invoice, learned_hints  # noqa: E402

BOOKING = (
    "supplier_vat",
    "document_type",
    "invoice_number",
    "issue_date",
    "total_excl_vat",
    "total_vat",
    "total_incl_vat",
    "vat_breakdown",
    "currency",
)


def _norm_text(v: Any) -> str:
    return "".join(ch for ch in str(v or "").upper() if ch.isalnum())


def got_value(inv: InvoiceData, name: str) -> Any:
    if name == "document_type":
        return inv.document_type.value
    if name == "supplier_vat":
        return _norm_text(inv.supplier.vat)
    if name == "invoice_number":
        return _norm_text(inv.invoice_number)
    if name == "vat_breakdown":
        return sorted(
            (
                Decimal(r.rate).normalize() if r.rate is not None else None,
                abs(r.taxable),
                abs(r.vat),
            )
            for r in inv.vat_breakdown
        )
    value = getattr(inv, name)
    return abs(value) if isinstance(value, Decimal) else value


def want_value(truth: dict[str, Any], name: str) -> Any:
    if name in {"supplier_vat", "invoice_number"}:
        return _norm_text(truth[name])
    if name == "vat_breakdown":
        return sorted((r.normalize(), b, v) for r, b, v in truth[name])
    return truth[name]


def correction_text(truth: dict[str, Any], name: str) -> str:
    value = truth[name]
    if name == "vat_breakdown":
        return ";".join(f"{r}:{b}:{v}" for r, b, v in value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def wrong_fields(inv: InvoiceData, truth: dict[str, Any]) -> list[str]:
    return [f for f in BOOKING if got_value(inv, f) != want_value(truth, f)]


@dataclass
class Doc:
    pages: Any
    truth: dict[str, Any]


def read(data: bytes) -> Any:
    return read_pages(data)


def find(pages: Any, hints: tuple[SupplierHint, ...]) -> InvoiceData:
    own = Party(name=DOSSIER_NAME, vat=DOSSIER_VAT)
    try:
        return find_fields(pages, known_customer=own, hints=hints)
    except Exception as exc:  # counted as a failure, never hidden
        print(f"  extraction FAILED: {type(exc).__name__}: {exc}")
        return InvoiceData()


def run(kind: str, seeds: list[int], per_pair: bool) -> dict[str, Any]:
    own = Party(name=DOSSIER_NAME, vat=DOSSIER_VAT)
    rng = random.Random(4242)
    t0 = time.perf_counter()
    a_docs, b_docs = [], []
    for seed in seeds:
        pair = make_pair(seed)
        pdf_a, pdf_b = render(pair.a), render(pair.b)
        if kind == "scan":
            pdf_a, pdf_b = scan(pdf_a, rng), scan(pdf_b, rng)
        a_docs.append(Doc(read(pdf_a), pair.a.truth()))
        b_docs.append(Doc(read(pdf_b), pair.b.truth()))
    read_s = time.perf_counter() - t0
    stored: dict[int, list[dict[str, Any]]] = {}
    corrections: Counter[str] = Counter()
    for seed, a in zip(seeds, a_docs, strict=True):
        hints = tuple(SupplierHint.from_json(h) for hs in stored.values() for h in hs)
        inv = find(a.pages, hints)
        mine: list[dict[str, Any]] = []
        for name in wrong_fields(inv, a.truth):
            text = correction_text(a.truth, name)
            inv = corrected_invoice(inv, name, text)
            mine = learned_hints(mine, inv, a.pages, name, text, own=own)
            corrections[name] += 1
        if mine:
            stored[seed] = mine
    hints = tuple(SupplierHint.from_json(h) for hs in stored.values() for h in hs)
    stats: Counter[str] = Counter()
    field_wrong_before: Counter[str] = Counter()
    field_wrong_after: Counter[str] = Counter()
    for seed, b in zip(seeds, b_docs, strict=True):
        before = wrong_fields(find(b.pages, ()), b.truth)
        after_inv = find(b.pages, hints)
        after = wrong_fields(after_inv, b.truth)
        stats["docs"] += 1
        stats["all_right_before"] += not before
        stats["all_right_after"] += not after
        stats["fields_right_before"] += len(BOOKING) - len(before)
        stats["fields_right_after"] += len(BOOKING) - len(after)
        stats["broke"] += len(set(after) - set(before))
        field_wrong_before.update(before)
        field_wrong_after.update(after)
        if per_pair and after:
            print(f"  {kind} seed {seed}: wrong before {before} after {after}")
            for name in after:
                print(
                    f"      {name}: got {got_value(after_inv, name)!r}"
                    f" want {want_value(b.truth, name)!r}"
                )
    stats["seconds_reading"] = round(read_s)
    return {
        "stats": stats,
        "corrections": corrections,
        "wrong_before": field_wrong_before,
        "wrong_after": field_wrong_after,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=60, help="text-PDF pairs")
    ap.add_argument("--scans", type=int, default=30, help="scanned pairs (OCR, slow)")
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--per-pair", action="store_true", help="list each B still wrong")
    args = ap.parse_args()
    rows = []
    for kind, n in (("text", args.pairs), ("scan", args.scans)):
        if n <= 0:
            continue
        seeds = list(range(args.first_seed, args.first_seed + n))
        result = run(kind, seeds, args.per_pair)
        s = result["stats"]
        docs = s["docs"]
        rows.append(
            (
                kind,
                docs,
                s["all_right_before"] / docs,
                s["all_right_after"] / docs,
                s["fields_right_before"] / (docs * len(BOOKING)),
                s["fields_right_after"] / (docs * len(BOOKING)),
                s["broke"],
            )
        )
        print(f"{kind}: corrections made on A: {dict(result['corrections'])}")
        print(f"{kind}: B fields wrong before: {dict(result['wrong_before'])}")
        print(f"{kind}: B fields wrong after:  {dict(result['wrong_after'])}")
    print()
    print(
        "| kind | pairs | B all booking fields right: before | after"
        " | fields right: before | after | right->wrong |"
    )
    print("|---|---|---|---|---|---|---|")
    for kind, docs, b0, b1, f0, f1, broke in rows:
        print(f"| {kind} | {docs} | {b0:.1%} | {b1:.1%} | {f0:.1%} | {f1:.1%} | {broke} |")


if __name__ == "__main__":
    main()
