"""Booking proposals scored on cases: the shared corpus and generated unseen cases.

    .venv/bin/python bench/booking_score.py [--n 25] [--seeds 1 2 3] [--pool holdout] [-v]

A case is exact when the proposed lines equal the expected ones as a multiset of
(account, debit, credit, set(vat_grid)) and the journal matches (doc section 9).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(1, str(ROOT / "tests" / "booking"))

from case_generator import generate  # noqa: E402

from booking.errors import BookingError  # noqa: E402
from booking.io import load_case, proposal_to_json  # noqa: E402
from booking.propose import propose  # noqa: E402


def _key(lines: list[dict[str, Any]]) -> Counter[tuple[str, str, str, frozenset[str]]]:
    return Counter(
        (ln["account"], ln["debit"], ln["credit"], frozenset(ln["vat_grid"])) for ln in lines
    )


def score(cases: list[dict[str, Any]], verbose: bool) -> tuple[int, Counter[str]]:
    exact, failures = 0, Counter[str]()
    for case in cases:
        invoice, ctx = load_case({"invoice": case["invoice"], "context": case["context"]})
        try:
            out = proposal_to_json(propose(invoice, ctx))
        except BookingError as exc:
            failures[case["id"].split("-", 4)[-1]] += 1
            if verbose:
                print("REFUSED", case["id"], exc)
            continue
        want = case["expected_entry"]
        if _key(out["lines"]) == _key(want["lines"]) and out["journal"] == want["journal"]:
            exact += 1
            continue
        failures[case["id"].split("-", 4)[-1]] += 1
        if verbose:
            print("WRONG", case["id"], [ln["description"] for ln in case["invoice"]["lines"]])
            print("   got ", sorted(_key(out["lines"]).elements()))
            print("   want", sorted(_key(want["lines"]).elements()))
    return exact, failures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=25)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--pool", default="holdout", choices=("dev", "holdout"))
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    shared = ROOT.parent / "shared" / "corpus" / "booking" / "cases.json"
    if shared.exists():
        cases = json.loads(shared.read_text(encoding="utf-8"))
        exact, _ = score(cases, args.verbose)
        print(f"shared corpus: {exact} of {len(cases)} exact")
    total_exact = total = 0
    all_failures: Counter[str] = Counter()
    for seed in args.seeds:
        cases = generate(args.n, seed, args.pool)
        exact, failures = score(cases, args.verbose)
        all_failures += failures
        total_exact += exact
        total += len(cases)
        print(f"generated {args.pool} seed {seed}: {exact} of {len(cases)} exact")
    print(f"generated {args.pool} total: {total_exact} of {total} exact")
    for name, count in all_failures.most_common():
        print(f"  failures {name}: {count}")


if __name__ == "__main__":
    main()
