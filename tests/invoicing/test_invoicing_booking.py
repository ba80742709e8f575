"""Sales-journal proposals of issued documents: accounts, grids, balance, per-rate VAT."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings

from booking import BookingContext, Dossier, PeriodLocked, check_entry
from booking.model import LineKind
from invoicing.issue import credit_note_draft, issue
from invoicing.model import Adjustment, ItemKind, VatCase
from invoicing.sales_booking import sales_proposal
from tests.invoicing.invoicing_factories import (
    BE_COMPANY,
    DE_COMPANY,
    FR_COMPANY,
    ISSUE,
    SELLER,
    US_COMPANY,
    draft,
    drafts,
    line,
)


def _issue(d):  # type: ignore[no-untyped-def]
    return issue(d, SELLER, dossier_id=1, sequence=1, issue_date=ISSUE)


def _credit(inv):  # type: ignore[no-untyped-def]
    return issue(credit_note_draft(inv), SELLER, dossier_id=1, sequence=2, issue_date=ISSUE,
                 remaining_to_credit=inv.totals.payable)  # fmt: skip


def _rows(p):  # type: ignore[no-untyped-def]
    return sorted((ln.account, ln.debit, ln.credit, ln.vat_grid) for ln in p.lines)


def test_domestic_goods_and_services_at_two_rates() -> None:
    inv = _issue(draft(line("100.00", "21"), line("10.00", "6", kind=ItemKind.GOODS),
                       line("50.00", "21", kind=ItemKind.GOODS)))  # fmt: skip
    p = sales_proposal(inv)
    assert p.balanced
    assert _rows(p) == sorted([
        ("705000", D("0.00"), D("100.00"), ("03",)),
        ("700000", D("0.00"), D("50.00"), ("03",)),
        ("700000", D("0.00"), D("10.00"), ("01",)),
        ("451000", D("0.00"), D("31.50"), ("54",)),
        ("451000", D("0.00"), D("0.60"), ("54",)),
        ("400000", D("192.10"), D("0.00"), ()),
    ])  # fmt: skip
    cn = sales_proposal(_credit(inv))
    assert cn.is_credit_note
    assert {ln.vat_grid for ln in cn.lines if ln.kind is LineKind.BASE} == {("49",)}
    assert {ln.vat_grid for ln in cn.lines if ln.kind is LineKind.VAT} == {("64",)}
    assert [ln.credit for ln in cn.lines if ln.account == "400000"] == [D("192.10")]


@pytest.mark.parametrize(
    ("case", "customer", "kind", "grid", "cn_grid"),
    [
        (VatCase.INTRA_EU_GOODS, FR_COMPANY, ItemKind.GOODS, "46", "48"),
        (VatCase.INTRA_EU_SERVICES, DE_COMPANY, ItemKind.SERVICES, "44", "48"),
        (VatCase.COCONTRACTOR, BE_COMPANY, ItemKind.SERVICES, "45", "49"),
        (VatCase.EXPORT, US_COMPANY, ItemKind.GOODS, "47", "49"),
        (VatCase.EXEMPT, BE_COMPANY, ItemKind.SERVICES, "00", "49"),
        (VatCase.SMALL_ENTERPRISE, BE_COMPANY, ItemKind.SERVICES, "00", "49"),
    ],
)
def test_grids_per_vat_case(case, customer, kind, grid, cn_grid) -> None:  # type: ignore[no-untyped-def]
    inv = _issue(draft(line("80.00", kind=kind), customer=customer, vat_case=case))
    p = sales_proposal(inv)
    account = "700000" if kind is ItemKind.GOODS else "705000"
    assert _rows(p) == sorted([
        (account, D("0.00"), D("80.00"), (grid,)),
        ("400000", D("80.00"), D("0.00"), ()),
    ])  # fmt: skip
    cn = sales_proposal(_credit(inv))
    assert [ln.vat_grid for ln in cn.lines if ln.kind is LineKind.BASE] == [(cn_grid,)]


def test_vat_per_rate_is_the_invoice_vat_even_split_over_accounts() -> None:
    # 3 x 0.35 at 21 % on two accounts: per line 0.07 + 0.07 + 0.07 = 0.21, on the total 0.22.
    inv = _issue(draft(line("0.35"), line("0.35", kind=ItemKind.GOODS), line("0.35"),
                       adjustments=(Adjustment(True, "Transport", amount=D("0.01")),)))  # fmt: skip
    assert inv.totals.vat == D("0.22")
    p = sales_proposal(inv)
    assert [ln.credit for ln in p.lines if ln.account == "451000"] == [D("0.22")]
    assert p.balanced


def test_locked_period_is_refused() -> None:
    ctx = BookingContext(dossier=Dossier(vat=SELLER.vat, locked_through="2026-12-31"))
    with pytest.raises(PeriodLocked):
        sales_proposal(_issue(draft(line("1.00"))), ctx)


@settings(max_examples=40, deadline=None)
@given(drafts())
def test_every_generated_proposal_balances_and_passes_booking_checks(d) -> None:  # type: ignore[no-untyped-def]
    inv = _issue(d)
    for doc in (inv, _credit(inv)):
        p = sales_proposal(doc)
        assert p.balanced
        assert check_entry(p.lines, dossier=Dossier(vat=SELLER.vat), date=doc.issue_date) == []
        vat = sum((ln.credit - ln.debit for ln in p.lines if ln.account == "451000"), D(0))
        assert abs(vat) == doc.totals.vat
