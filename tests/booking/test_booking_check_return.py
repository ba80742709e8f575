"""check_entry (service recheck of edited entries), VAT-return preview, chart and JSON I/O."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from booking_helpers import load_cases

from booking.chart import AccountKind, starter_chart
from booking.check import check_entry
from booking.context import Dossier
from booking.errors import InvalidContext, InvalidInvoice, UnknownGrid
from booking.io import load_case, proposal_to_json
from booking.keywords import RULES
from booking.propose import propose
from booking.vat_return import vat_return, vat_return_by_period

CASES = {c["id"]: c for c in load_cases()}


def _proposal(case_id: str):  # type: ignore[no-untyped-def]
    invoice, context = load_case(CASES[case_id])
    return propose(invoice, context)


# -- check_entry ---------------------------------------------------------------------------


def test_proposals_pass_the_check() -> None:
    for case_id in CASES:
        p = _proposal(case_id)
        assert check_entry(p.lines, dossier=Dossier(), date=p.date) == [], case_id


def test_ui_rows_with_floats_are_read_exactly() -> None:
    rows = proposal_to_json(_proposal("bk-s02-mixed-6-21-per-rate-rounding"))["lines"]
    for row in rows:
        row["debit"], row["credit"] = float(row["debit"]), float(row["credit"])
    assert check_entry(rows) == []
    rows[0]["debit"] = rows[0]["debit"] + 0.1
    problems = check_entry(rows)
    assert len(problems) == 1
    assert "does not balance" in problems[0]
    assert "difference 0.10" in problems[0]


def test_bad_lines_are_reported_one_by_one() -> None:
    rows = [
        {"account": "613000", "debit": "100.005", "credit": "0"},
        {"account": "999999", "debit": "-5", "credit": "0", "vat_grid": ["99"]},
        {"account": "", "debit": "10", "credit": "10"},
        {"account": "440000", "debit": "abc", "credit": "0"},
    ]
    problems = check_entry(rows, dossier=Dossier())
    text = "\n".join(problems)
    assert "line 1: debit 100.005 has more than two decimals" in text
    assert "line 2: account 999999 is not in the dossier's chart" in text
    assert "line 2: debit -5 is negative" in text
    assert "unknown VAT grid '99'" in text
    assert "line 3: no account" in text
    assert "line 3: both debit" in text
    assert "line 4: debit not an amount" in text
    assert check_entry([]) == ["the entry has no lines"]


def test_locked_period_is_reported_on_recheck() -> None:
    p = _proposal("bk-s01-domestic-21-fees")
    problems = check_entry(p.lines, dossier=Dossier(locked_through="2026-06-30"), date=p.date)
    assert problems == [
        "period 2026-04 is locked: the dossier is closed through 2026-06 "
        "(VAT return filed or year closed)"
    ]


# -- VAT return ----------------------------------------------------------------------------


def test_purchase_credit_note_reduces_81_and_adds_to_85() -> None:
    totals = vat_return([_proposal("bk-s03-purchase-credit-note-21")])
    assert totals == {
        "63": Decimal("50.40"),
        "81": Decimal("-240.00"),
        "85": Decimal("240.00"),
        "71": Decimal("50.40"),
    }


def test_reverse_charge_grids_cancel_out() -> None:
    entries = [_proposal("bk-s04-intra-eu-services-de"), _proposal("bk-s05-medecontractant-repair")]
    totals = vat_return(entries)
    assert totals["82"] == Decimal("5200.00")
    assert totals["88"] == Decimal("1800.00")
    assert totals["87"] == Decimal("3400.00")
    assert totals["55"] == Decimal("378.00")
    assert totals["56"] == Decimal("714.00")
    assert totals["59"] == Decimal("1092.00")
    assert totals["71"] == Decimal("0.00")


def test_vat_return_per_period_from_json_entries() -> None:
    entries = [proposal_to_json(_proposal(case_id)) for case_id in CASES]
    by_period = vat_return_by_period(entries)
    assert sorted(by_period) == ["2025-Q4", "2026-Q1", "2026-Q2"]
    assert by_period["2025-Q4"] == {"82": Decimal("124.24"), "71": Decimal("0.00")}
    q2 = by_period["2026-Q2"]
    assert q2["59"] == Decimal("262.50")
    q1 = by_period["2026-Q1"]
    assert q1["03"] == Decimal("2620.00")
    assert q1["54"] == Decimal("550.20")
    assert q1["83"] == Decimal("4200.00")
    assert q1["86"] == Decimal("1825.50")
    expected_59 = sum(
        (Decimal(ln["debit"]) for e in entries if e["vat_period"] == "2026-Q1" for ln in e["lines"]
         if ln["account"] == "411000"),
        Decimal(0),
    )  # fmt: skip
    assert q1["59"] == expected_59
    due = q1["54"] + q1["55"] + q1["56"] + q1.get("63", Decimal(0))
    assert q1.get("71", Decimal(0)) - q1.get("72", Decimal(0)) == due - q1["59"]


def test_unknown_grid_is_an_error() -> None:
    with pytest.raises(UnknownGrid):
        vat_return([{"lines": [{"debit": "1", "credit": "0", "vat_grid": ["99"]}]}])


# -- chart ---------------------------------------------------------------------------------


def test_starter_chart_covers_classes_and_rule_accounts() -> None:
    chart = starter_chart()
    numbers = [a.number for a in chart]
    assert len(numbers) == len(set(numbers))
    assert all(re.fullmatch(r"\d{6}", n) for n in numbers)
    assert {n[0] for n in numbers} >= {"2", "4", "6", "7"}
    for rule in RULES:
        assert rule.account in numbers, rule
        for extra in (rule.asset_account, rule.vehicle_account):
            assert extra is None or extra in numbers
    by_number = {a.number: a for a in chart}
    assert by_number["240000"].grid == "83"
    assert by_number["604000"].grid == "81"
    assert by_number["613000"].grid == "82"
    assert by_number["411000"].kind is AccountKind.VAT
    assert by_number["705000"].kind is AccountKind.REVENUE
    assert all(a.name_nl and a.name_fr for a in chart)


# -- JSON I/O ------------------------------------------------------------------------------


def test_invoice_alone_loads_without_context() -> None:
    invoice, context = load_case(
        json.loads(json.dumps(CASES["bk-s01-domestic-21-fees"]["invoice"]))
    )
    assert context is None
    assert invoice.supplier.country == "BE"
    assert invoice.lines[0].net == Decimal("1250.00")
    out = proposal_to_json(propose(invoice))
    assert [ln["account"] for ln in out["lines"]] == ["613000", "411000", "440000"]
    assert out["lines"][0]["debit"] == "1250.00"


def test_bad_input_gives_a_clear_reason() -> None:
    with pytest.raises(InvalidInvoice, match=r"lines\[0\]\.net is missing"):
        load_case({"issue_date": "2026-01-01", "lines": [{"description": "x"}]})
    with pytest.raises(InvalidInvoice, match="not YYYY-MM-DD"):
        load_case({"issue_date": "01/02/2026", "lines": []})
    with pytest.raises(InvalidInvoice, match="not a decimal"):
        load_case({"total_vat": "12,5"})
    with pytest.raises(InvalidContext, match="has no account"):
        load_case({"invoice": {}, "context": {"supplier_history": [{"description": "x"}]}})
    with pytest.raises(InvalidInvoice, match="must be an object"):
        load_case([1, 2])
