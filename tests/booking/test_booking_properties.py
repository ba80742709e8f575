"""Hypothesis: for random valid invoices every proposal balances and its VAT is right.

VAT lines equal the invoice's VAT per rate, with the non-deductible share moved
to cost: per rate, 411000 (deductible) + non-deductible cost lines = the VAT
of that rate; reverse-charge VAT per rate is computed on the document total and
booked equally on 411000 (+ non-deductible) and 451000.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking.context import BookingContext, Dossier, HistoryEntry
from booking.model import LineKind, Proposal, Side
from booking.propose import propose
from booking.vat import REGIMES, Regime
from extractors.model import AllowanceCharge, DocumentType, InvoiceData, InvoiceLine, Party

DOSSIER = Dossier(name="Demo Consult BV", vat="BE0743182920")
CENT = Decimal("0.01")
DESCRIPTIONS = [
    "Diesel 40 l", "Huur kantoor maart", "Lunch met klant", "Wijn", "Bureaustoel",
    "Laptop Dell", "Consultancy mei", "Telefoon en internet", "Verzendkosten",
    "Hotel Gent 2 nachten", "Relatiegeschenk fles", "Onderhoud wagen 1-ABC-123",
    "Schoonmaak kantoor", "Divers", "Software licentie", "Koffiekopjes wit",
]  # fmt: skip
SUPPLIERS = {
    "BE": ("Leverancier BV", "BE0456298391"),
    "DE": ("Lieferant GmbH", "DE270042138"),
    "NL": ("Leverancier Utrecht BV", "NL180137360B01"),
    "US": ("Vendor Inc", None),
}
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("25000"), places=2)


@st.composite
def lines_for(draw: st.DrawFn, country: str) -> list[InvoiceLine]:
    out = []
    for _ in range(draw(st.integers(1, 6))):
        text = draw(st.sampled_from(DESCRIPTIONS))
        if country == "BE":
            rate, cat = draw(
                st.sampled_from([(21, "S"), (12, "S"), (6, "S"), (0, "Z"), (0, "E"), (0, "AE")])
            )
        elif country == "US":
            rate, cat = 0, draw(st.sampled_from(["AE", "O"]))
        else:
            rate, cat = 0, draw(st.sampled_from(["AE", "K"]))
        out.append(InvoiceLine(draw(money), text, vat_category=cat, vat_rate=Decimal(rate)))
    return out


def _vat(base: Decimal, rate: Decimal) -> Decimal:
    return (base * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)


@st.composite
def invoices(draw: st.DrawFn) -> tuple[InvoiceData, BookingContext]:
    country = draw(st.sampled_from(sorted(SUPPLIERS)))
    lines = draw(lines_for(country))
    per_rate: dict[Decimal, Decimal] = defaultdict(Decimal)
    for ln in lines:
        if ln.vat_category == "S":
            per_rate[ln.vat_rate or Decimal(0)] += ln.net
    allowances: tuple[AllowanceCharge, ...] = ()
    if per_rate and draw(st.booleans()):
        rate = draw(st.sampled_from(sorted(per_rate)))
        cap = (per_rate[rate] / 10).quantize(CENT, rounding=ROUND_DOWN)
        if cap > 0:
            amount = draw(st.decimals(min_value=CENT, max_value=cap, places=2))
            allowances = (AllowanceCharge(False, amount, "korting", vat_rate=rate),)
            per_rate[rate] -= amount
    net = sum((ln.net for ln in lines), Decimal("0.00"))
    net -= sum((a.amount for a in allowances), Decimal(0))
    vat = sum((_vat(b, r) for r, b in per_rate.items()), Decimal("0.00"))
    name, vat_no = SUPPLIERS[country]
    sales = country == "BE" and draw(st.booleans()) and draw(st.booleans())
    supplier = Party(name=name, vat=vat_no, country=country)
    customer = Party(name=DOSSIER.name, vat=DOSSIER.vat, country="BE")
    if sales:
        supplier, customer = customer, Party(name="Klant BV", vat="BE0669321873", country="BE")
    doc = draw(st.sampled_from([DocumentType.INVOICE, DocumentType.CREDIT_NOTE]))
    invoice = InvoiceData(
        document_type=doc, invoice_number="H-1", issue_date=dt.date(2026, 3, 2),
        supplier=supplier, customer=customer, lines=tuple(lines), allowances_charges=allowances,
        total_excl_vat=net, total_vat=vat, total_incl_vat=net + vat,
    )  # fmt: skip
    history = draw(
        st.lists(
            st.builds(
                HistoryEntry,
                account=st.sampled_from(["616100", "613000", "604000", "614200", "240000"]),
                description=st.sampled_from(DESCRIPTIONS),
                vat_rate=st.sampled_from([None, Decimal(21), Decimal(6)]),
                deductible_pct=st.sampled_from([None, Decimal(50), Decimal(35), Decimal(0)]),
            ),
            max_size=3,
        )
    )
    return invoice, BookingContext(dossier=DOSSIER, supplier_history=tuple(history))


def _signed(p: Proposal, amount: Decimal) -> Decimal:
    natural_debit = (p.side is Side.PURCHASE) != p.is_credit_note
    return amount if natural_debit else -amount


def _check_charged_vat(p: Proposal, invoice: InvoiceData) -> None:
    expected: dict[Decimal, Decimal] = defaultdict(Decimal)
    for ln in invoice.lines:
        if ln.vat_category == "S" and ln.vat_rate:
            expected[ln.vat_rate] += ln.net
    for ac in invoice.allowances_charges:
        if ac.vat_rate:
            expected[ac.vat_rate] -= ac.amount
    booked: dict[Decimal, Decimal] = defaultdict(Decimal)
    for ln in p.lines:
        charged = ln.regime is not None and not REGIMES[Regime(ln.regime)].self_assessed
        if charged and ln.kind in (LineKind.VAT, LineKind.NON_DEDUCTIBLE):
            assert ln.vat_rate is not None
            value = ln.debit - ln.credit
            booked[ln.vat_rate] += value if p.side is Side.PURCHASE else -value
    sign = -1 if p.is_credit_note else 1
    for rate, base in expected.items():
        assert booked[rate] == sign * _vat(base, rate), (rate, dict(booked))
    assert set(booked) <= set(expected)


def _check_self_assessed(p: Proposal) -> None:
    base: dict[tuple[str, Decimal], Decimal] = defaultdict(Decimal)
    due: dict[tuple[str, Decimal], Decimal] = defaultdict(Decimal)
    deducted: dict[tuple[str, Decimal], Decimal] = defaultdict(Decimal)
    for ln in p.lines:
        if ln.regime is None or not REGIMES[Regime(ln.regime)].self_assessed:
            continue
        assert ln.vat_rate is not None
        key = (ln.regime, ln.vat_rate)
        if ln.kind is LineKind.BASE:
            base[key] += _signed(p, ln.debit - ln.credit)
        elif ln.account == "451000":
            due[key] += -_signed(p, ln.debit - ln.credit)
        else:  # 411000 deductible part or non-deductible share on cost
            deducted[key] += _signed(p, ln.debit - ln.credit)
    for key, amount in base.items():
        assert due[key] == _vat(amount, key[1])
        assert deducted[key] == due[key]


def _check_deductible_share(p: Proposal) -> None:
    for ln in p.lines:
        if ln.kind is LineKind.NON_DEDUCTIBLE:
            assert ln.deductible_pct is not None
            assert ln.deductible_pct < 100


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invoices())
def test_every_proposal_balances_and_books_the_vat(
    case: tuple[InvoiceData, BookingContext],
) -> None:
    invoice, context = case
    p = propose(invoice, context)
    assert p.balanced
    assert all(ln.debit >= 0 and ln.credit >= 0 and not (ln.debit and ln.credit) for ln in p.lines)
    assert all(ln.debit or ln.credit for ln in p.lines)
    assert all(
        ln.debit == ln.debit.quantize(CENT) and ln.credit == ln.credit.quantize(CENT)
        for ln in p.lines
    )
    party = [ln for ln in p.lines if ln.kind is LineKind.COUNTERPARTY]
    assert len(party) == 1
    assert party[0].debit + party[0].credit == invoice.total_incl_vat
    _check_charged_vat(p, invoice)
    _check_self_assessed(p)
    _check_deductible_share(p)


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2),
    st.sampled_from([Decimal(50), Decimal(35), Decimal(0), Decimal("75.5")]),
)
def test_deductible_share_is_rounded_down(vat: Decimal, pct: Decimal) -> None:
    from booking.amounts import deductible_part

    ded = deductible_part(vat, pct)
    assert ded == (vat * pct / 100).quantize(CENT, rounding=ROUND_DOWN)
    assert ded <= vat * pct / 100
    assert vat - ded >= 0
