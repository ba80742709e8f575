"""Learning from confirmations and the per-supplier auto-booking policy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from booking.context import AutobookMode, AutobookPolicy, BookingContext, Dossier
from booking.io import proposal_to_json
from booking.learning import autobook_decision, is_unedited, learn_from_confirmation
from booking.model import LineKind
from booking.propose import propose
from extractors.model import InvoiceData, InvoiceLine, Party

DOSSIER = Dossier(name="Demo Consult BV", vat="BE0743182920")


def _invoice(number: str, text: str, net: str, day: int = 3) -> InvoiceData:
    base = Decimal(net)
    vat = (base * Decimal("0.21")).quantize(Decimal("0.01"))
    return InvoiceData(
        invoice_number=number,
        issue_date=dt.date(2026, 4, day),
        supplier=Party(name="Hostingbedrijf NV", vat="BE0477135278", country="BE"),
        customer=Party(name=DOSSIER.name, vat=DOSSIER.vat, country="BE"),
        lines=(InvoiceLine(base, text, vat_category="S", vat_rate=Decimal(21)),),
        total_excl_vat=base,
        total_vat=vat,
        total_incl_vat=base + vat,
    )


def test_corrected_account_is_proposed_for_the_next_invoice() -> None:
    # Given the supplier's first invoice, proposed from keywords ("onderhoud" -> 611000)
    first = propose(_invoice("A-1", "Onderhoud server maart", "120.00"), BookingContext(DOSSIER))
    base = next(ln for ln in first.lines if ln.kind is LineKind.BASE)
    assert base.account == "611000"
    # When the accountant changes it to 613300 in the UI (floats come back) and confirms
    rows = proposal_to_json(first)["lines"]
    for row in rows:
        row["debit"], row["credit"] = float(row["debit"]), float(row["credit"])
        if row["account"] == "611000":
            row["account"] = "613300"
    assert not is_unedited(first, rows)
    history = learn_from_confirmation(first, rows)
    assert [(h.account, h.description, h.vat_rate) for h in history] == [
        ("613300", "Onderhoud server maart", Decimal(21))
    ]
    # Then the supplier's next invoice is proposed with the corrected account
    ctx = BookingContext(DOSSIER, supplier_history=history)
    second = propose(_invoice("A-2", "Onderhoud server april", "120.00", day=20), ctx)
    base2 = next(ln for ln in second.lines if ln.kind is LineKind.BASE)
    assert base2.account == "613300"
    assert "supplier history" in base2.reason
    assert base2.confidence > base.confidence


def test_learning_from_the_invoice_matches_lines_by_amount() -> None:
    invoice = _invoice("A-3", "Webhosting", "50.00")
    finals = [
        {"account": "613300", "debit": 50.0, "credit": 0.0},
        {"account": "411000", "debit": 10.5, "credit": 0.0},
        {"account": "440000", "debit": 0.0, "credit": 60.5},
    ]
    history = learn_from_confirmation(invoice, finals)
    assert [(h.account, h.description) for h in history] == [("613300", "Webhosting")]


def test_unedited_confirmation_is_recognised() -> None:
    p = propose(_invoice("A-4", "Huur kantoor", "800.00"), BookingContext(DOSSIER))
    rows = proposal_to_json(p)["lines"]
    assert is_unedited(p, rows)
    rows[0]["debit"] = str(Decimal(rows[0]["debit"]) + 1) if Decimal(rows[0]["debit"]) else "1.00"
    assert not is_unedited(p, rows)


def test_autobook_never_is_the_default() -> None:
    decision = autobook_decision(AutobookPolicy(), [True] * 10)
    assert not decision
    assert "off" in decision.reason


def test_autobook_after_n_confirmations_in_a_row() -> None:
    policy = AutobookPolicy(AutobookMode.AFTER_N, n=3)
    assert not autobook_decision(policy, [True, True])
    assert autobook_decision(policy, [False, True, True, True])
    # an edit breaks the streak
    decision = autobook_decision(policy, [True, True, True, False, True])
    assert not decision
    assert "1 of 3" in decision.reason


def test_autobook_always_but_never_with_warnings() -> None:
    policy = AutobookPolicy(AutobookMode.ALWAYS)
    assert autobook_decision(policy, [])
    assert not autobook_decision(policy, [], warnings=["VAT differs"])
    assert not autobook_decision(
        AutobookPolicy(AutobookMode.ALWAYS, min_confidence=0.9), [], confidence=0.5
    )


def test_proposal_carries_the_autobook_decision() -> None:
    invoice = _invoice("A-5", "Huur kantoor", "800.00")
    policy = AutobookPolicy(AutobookMode.AFTER_N, n=2)
    manual = propose(
        invoice, BookingContext(DOSSIER, autobook_policy=policy, recent_confirmations=(True,))
    )
    auto = propose(
        invoice, BookingContext(DOSSIER, autobook_policy=policy, recent_confirmations=(True, True))
    )
    assert not manual.autobook
    assert auto.autobook
    assert "2 confirmations" in auto.autobook_reason
    assert proposal_to_json(auto)["autobook"] is True
