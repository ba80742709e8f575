"""Benchmark: UBL parse (floor vs full InvoiceData) and validation, on the ubl corpus.

Run:  .venv/bin/python bench/ubl_bench.py [--rounds N] [--validate-rounds M] [--per-doc]
                                          [--profile TOP]

Prints, in one run and one process:
* per document (with --per-doc) and over the corpus: mean ms of ``lxml.etree.fromstring``
  alone (the floor), of ``peppol.parse_invoice_xml`` (full parse to InvoiceData), and
  their ratio (target <= 2x);
* validation time per document, warm: the CEN EN 16931 XSLT (saxonche) and the own
  Peppol/Belgian rules, separately (target <= 15 ms per document).
Timings are best-of-rounds per document, interleaved (floor and full alternate), in
CPU time of this process (``time.process_time``) so that other processes sharing the
machine do not inflate one side of the ratio.  ``--profile TOP`` instead prints the
TOP functions by own time of a cProfile run of the full parse over the corpus.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the editable install alone resolves peppol as a namespace

import peppol  # noqa: E402

CORPUS = ROOT / ".." / "shared" / "corpus" / "ubl"


def _best(fn: Callable[[], object], rounds: int, inner: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.process_time()
        for _ in range(inner):
            fn()
        best = min(best, (time.process_time() - t0) / inner)
    return best


def bench_parse(files: list[Path], rounds: int, per_doc: bool) -> None:
    floor_total = full_total = 0.0
    ratios = []
    if per_doc:
        print(f"{'document':<44} {'kB':>7} {'floor ms':>9} {'full ms':>9} {'ratio':>6}")
    for path in files:
        data = path.read_bytes()
        inner = 20 if len(data) < 100_000 else 3
        floor = full = float("inf")
        for _ in range(rounds):  # interleave so both see the same machine load
            floor = min(floor, _best(lambda d=data: etree.fromstring(d), 1, inner))
            full = min(full, _best(lambda d=data: peppol.parse_invoice_xml(d), 1, inner))
        floor_total += floor
        full_total += full
        ratios.append(full / floor)
        if per_doc:
            print(
                f"{path.name:<44} {len(data) / 1024:>7.1f} {floor * 1e3:>9.3f} "
                f"{full * 1e3:>9.3f} {full / floor:>6.2f}"
            )
    n = len(files)
    print(
        f"parse: {n} docs  floor {floor_total / n * 1e3:.3f} ms/doc  "
        f"full {full_total / n * 1e3:.3f} ms/doc  ratio of means {full_total / floor_total:.2f}x  "
        f"median ratio {statistics.median(ratios):.2f}x  max ratio {max(ratios):.2f}x"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--validate-rounds", type=int, default=3)
    ap.add_argument("--per-doc", action="store_true")
    ap.add_argument("--profile", type=int, metavar="TOP", default=0)
    args = ap.parse_args()
    files = sorted(CORPUS.glob("*.xml"))
    if args.profile:
        profile_parse(files, args.profile)
        return
    bench_parse(files, args.rounds, args.per_doc)
    if hasattr(peppol, "validate"):
        bench_validate(files, args.validate_rounds)


def profile_parse(files: list[Path], top: int) -> None:
    import cProfile
    import pstats

    datas = [path.read_bytes() for path in files]
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(20):
        for data in datas:
            peppol.parse_invoice_xml(data)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def bench_validate(files: list[Path], rounds: int) -> None:
    from peppol import validation

    t0 = time.process_time()
    validation.warm_up()
    print(f"validation: CEN XSLT compile (cold, once per process) {time.process_time() - t0:.2f} s")
    cen_total = own_total = 0.0
    for path in files:
        data = path.read_bytes()
        invoice = peppol.parse_invoice_xml(data)
        root = etree.fromstring(data)
        cen_total += _best(lambda d=data: validation.run_cen(d), rounds, 1)
        own_total += _best(lambda r=root, i=invoice: validation.run_own_rules(r, i), rounds, 1)
    n = len(files)
    print(
        f"validation: {n} docs  CEN XSLT warm {cen_total / n * 1e3:.2f} ms/doc  "
        f"own rules {own_total / n * 1e3:.3f} ms/doc  "
        f"total {(cen_total + own_total) / n * 1e3:.2f} ms/doc"
    )


if __name__ == "__main__":
    main()
