"""Booking rules beyond the corpus cases: periods, sales, credit notes, regimes, rounding."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import pytest

from booking.context import BookingContext, Dossier, HistoryEntry, Vehicle
from booking.errors import InvalidInvoice, PeriodLocked
from booking.model import LineKind, Proposal
from booking.propose import propose
from extractors.model import AllowanceCharge, DocumentType, InvoiceData, InvoiceLine, Party

DOSSIER = Dossier(name="Demo Consult BV", vat="BE0743182920")
ME = Party(name=DOSSIER.name, vat=DOSSIER.vat, country="BE")
BE_SUPPLIER = Party(name="Leverancier BV", vat="BE0456298391", country="BE")


def _line(text: str, net: str, rate: int, cat: str = "S", **kw: object) -> InvoiceLine:
    return InvoiceLine(Decimal(net), text, vat_category=cat, vat_rate=Decimal(rate), **kw)  # type: ignore[arg-type]


def _invoice(
    *lines: InvoiceLine,
    supplier: Party = BE_SUPPLIER,
    customer: Party = ME,
    credit_note: bool = False,
    day: dt.date = dt.date(2026, 3, 15),
    total_vat: str | None = None,
    allowances: tuple[AllowanceCharge, ...] = (),
) -> InvoiceData:
    net = sum((ln.net for ln in lines), Decimal("0.00"))
    net -= sum((a.amount for a in allowances if not a.is_charge), Decimal(0))
    per_rate: Counter[Decimal] = Counter()
    for ln in lines:
        if ln.vat_category == "S":
            per_rate[ln.vat_rate or Decimal(0)] += ln.net
    for a in allowances:
        per_rate[a.vat_rate or Decimal(0)] -= a.amount
    vat = sum(
        ((b * r / 100).quantize(Decimal("0.01"), ROUND_HALF_UP) for r, b in per_rate.items()),
        Decimal("0.00"),
    )
    if total_vat is not None:
        vat = Decimal(total_vat)
    return InvoiceData(
        document_type=DocumentType.CREDIT_NOTE if credit_note else DocumentType.INVOICE,
        invoice_number="T-1", issue_date=day, supplier=supplier, customer=customer,
        lines=lines, allowances_charges=allowances,
        total_excl_vat=net, total_vat=vat, total_incl_vat=net + vat,
    )  # fmt: skip


def _entry(p: Proposal) -> Counter[tuple[str, str, str, frozenset[str]]]:
    assert p.balanced
    return Counter(
        (ln.account, str(ln.debit), str(ln.credit), frozenset(ln.vat_grid)) for ln in p.lines
    )


def _e(
    *rows: tuple[str, str, str, tuple[str, ...]],
) -> Counter[tuple[str, str, str, frozenset[str]]]:
    return Counter((a, d, c, frozenset(g)) for a, d, c, g in rows)


# -- periods -------------------------------------------------------------------------------


def test_locked_period_is_refused_with_the_first_open_period() -> None:
    dossier = Dossier(name=DOSSIER.name, vat=DOSSIER.vat, locked_through="2026-03")
    invoice = _invoice(_line("Huur kantoor", "800.00", 21))
    with pytest.raises(PeriodLocked, match="2026-03 is locked") as err:
        propose(invoice, BookingContext(dossier))
    assert err.value.first_open == "2026-04"
    # the accountant books it in the first open period; the document date is kept
    p = propose(invoice, BookingContext(dossier, period=err.value.first_open))
    assert (p.period, p.date, p.vat_period) == ("2026-04", dt.date(2026, 3, 15), "2026-Q2")


def test_single_locked_month_is_refused() -> None:
    dossier = Dossier(vat=DOSSIER.vat, locked_periods=("2026-03",))
    with pytest.raises(PeriodLocked, match="VAT return filed"):
        propose(_invoice(_line("Huur", "100.00", 21)), BookingContext(dossier))


def test_bookyear_starting_in_july_and_monthly_vat_periods() -> None:
    dossier = Dossier(vat=DOSSIER.vat, bookyear_start_month=7, vat_period="month")
    p = propose(_invoice(_line("Huur", "100.00", 21)), BookingContext(dossier))
    assert (p.bookyear, p.period, p.period_index, p.vat_period) == (
        "2025-2026",
        "2026-03",
        9,
        "2026-03",
    )
    assert p.journal == "purchase"


def test_invoice_without_date_is_refused() -> None:
    invoice = _invoice(_line("Huur", "100.00", 21)).replace(issue_date=None)
    with pytest.raises(InvalidInvoice, match="no issue date"):
        propose(invoice, BookingContext(DOSSIER))


# -- sales ---------------------------------------------------------------------------------


def test_sales_credit_note_is_mirrored_with_grids_49_and_64() -> None:
    customer = Party(name="Bakkerij Peeters BV", vat="BE0669321873", country="BE")
    cn = _invoice(
        _line("Adviesopdracht", "1000.00", 21), supplier=ME, customer=customer, credit_note=True
    )
    p = propose(cn, BookingContext(DOSSIER))
    assert p.journal == "sales"
    assert _entry(p) == _e(
        ("400000", "0.00", "1210.00", ()),
        ("705000", "1000.00", "0.00", ("49",)),
        ("451000", "210.00", "0.00", ("64",)),
    )


def test_sales_intra_eu_services_and_goods() -> None:
    customer = Party(name="Kunde GmbH", vat="DE270042138", country="DE")
    inv = _invoice(
        _line("Consultancy", "500.00", 0, "AE"),
        _line("Handelsgoederen levering", "300.00", 0, "K"),
        supplier=ME,
        customer=customer,
    )
    assert _entry(propose(inv, BookingContext(DOSSIER))) == _e(
        ("400000", "800.00", "0.00", ()),
        ("705000", "0.00", "500.00", ("44",)),
        ("700000", "0.00", "300.00", ("46",)),
    )
    cn = inv.replace(document_type=DocumentType.CREDIT_NOTE)
    assert _entry(propose(cn, BookingContext(DOSSIER))) == _e(
        ("400000", "0.00", "800.00", ()),
        ("705000", "500.00", "0.00", ("48",)),
        ("700000", "300.00", "0.00", ("48",)),
    )


def test_sales_medecontractant_grid_45() -> None:
    customer = Party(name="Bouw BV", vat="BE0669321873", country="BE")
    inv = _invoice(
        _line("Herstelling dak, btw verlegd", "2000.00", 0, "AE"), supplier=ME, customer=customer
    )
    p = propose(inv, BookingContext(DOSSIER))
    assert p.regime == "sales_medecontractant"
    assert _entry(p) == _e(
        ("400000", "2000.00", "0.00", ()), ("705000", "0.00", "2000.00", ("45",))
    )


# -- purchase regimes ----------------------------------------------------------------------


def test_credit_note_on_intra_eu_goods_uses_84_63_64() -> None:
    supplier = Party(name="Groothandel BV", vat="NL180137360B01", country="NL")
    cn = _invoice(
        _line("Handelsgoederen retour", "100.00", 0, "K"), supplier=supplier, credit_note=True
    )
    assert _entry(propose(cn, BookingContext(DOSSIER))) == _e(
        ("440000", "100.00", "0.00", ()),
        ("604000", "0.00", "100.00", ("81", "84")),
        ("411000", "0.00", "21.00", ("63",)),
        ("451000", "21.00", "0.00", ("64",)),
    )


def test_services_from_outside_the_eu_87_and_56() -> None:
    supplier = Party(name="Cloud Inc", vat=None, country="US")
    p = propose(
        _invoice(_line("Software licence", "250.00", 0, "O"), supplier=supplier),
        BookingContext(DOSSIER),
    )
    assert p.regime == "non_eu_services"
    assert _entry(p) == _e(
        ("613300", "250.00", "0.00", ("82", "87")),
        ("411000", "52.50", "0.00", ("59",)),
        ("451000", "0.00", "52.50", ("56",)),
        ("440000", "0.00", "250.00", ()),
    )


def test_reverse_charge_mention_without_category() -> None:
    line = InvoiceLine(Decimal("1000.00"), "Schilderwerken kantoor", vat_rate=Decimal(0))
    inv = _invoice(line).replace(note="Btw verlegd - art. 20 KB nr. 1")
    p = propose(inv, BookingContext(DOSSIER))
    assert p.regime == "medecontractant"
    assert "btw verlegd" in p.regime_reason


def test_exempt_insurance_has_no_vat_line() -> None:
    p = propose(
        _invoice(_line("Brandverzekering kantoor 2026", "640.00", 0, "E")), BookingContext(DOSSIER)
    )
    assert _entry(p) == _e(("613400", "640.00", "0.00", ("82",)), ("440000", "0.00", "640.00", ()))


def test_foreign_vat_goes_to_cost_without_grids() -> None:
    supplier = Party(name="Hôtel de Paris SA", vat="FR40303265045", country="FR")
    p = propose(
        _invoice(_line("Hébergement 2 nuits", "200.00", 10), supplier=supplier),
        BookingContext(DOSSIER),
    )
    assert p.regime == "foreign_vat"
    assert _entry(p) == _e(
        ("615000", "200.00", "0.00", ()),
        ("615000", "20.00", "0.00", ()),
        ("440000", "0.00", "220.00", ()),
    )
    assert any("not a Belgian VAT rate" in w for w in p.warnings)


# -- accounts ------------------------------------------------------------------------------


def test_capitalisation_threshold_per_line() -> None:
    p = propose(
        _invoice(_line("Laptop 15 inch", "1500.00", 21), _line("Laptop tas", "40.00", 21)),
        BookingContext(DOSSIER),
    )
    bases = {ln.account: ln for ln in p.lines if ln.kind is LineKind.BASE}
    assert bases["240000"].debit == Decimal("1500.00")
    assert bases["240000"].vat_grid == ("83",)
    assert "capitalisation threshold" in bases["240000"].reason
    assert bases["613600"].debit == Decimal("40.00")


def test_accessory_costs_follow_the_main_line() -> None:
    p = propose(
        _invoice(_line("Vergadertafel eik", "1800.00", 21), _line("Leveringskosten", "60.00", 21)),
        BookingContext(DOSSIER),
    )
    assert _entry(p) == _e(
        ("240000", "1860.00", "0.00", ("83",)),
        ("411000", "390.60", "0.00", ("59",)),
        ("440000", "0.00", "2250.60", ()),
    )


def test_history_overrides_the_accessory_rule() -> None:
    history = (
        HistoryEntry("240000", "Vergadertafel eik"),
        HistoryEntry("613000", "Leveringskosten"),
    )
    ctx = BookingContext(DOSSIER, supplier_history=history)
    p = propose(
        _invoice(_line("Vergadertafel", "1800.00", 21), _line("Leveringskosten", "60.00", 21)), ctx
    )
    bases = {ln.account: ln.debit for ln in p.lines if ln.kind is LineKind.BASE}
    assert bases == {"240000": Decimal("1800.00"), "613000": Decimal("60.00")}


def test_dossier_default_has_low_confidence() -> None:
    p = propose(_invoice(_line("Xyzzy", "10.00", 21)), BookingContext(DOSSIER))
    base = next(ln for ln in p.lines if ln.kind is LineKind.BASE)
    assert base.account == DOSSIER.default_account
    assert base.confidence <= 0.3
    assert p.confidence <= 0.3


def test_supplier_default_account_before_dossier_default() -> None:
    p = propose(
        _invoice(_line("Xyzzy", "10.00", 21)),
        BookingContext(DOSSIER, supplier_default_account="613200"),
    )
    assert next(ln for ln in p.lines if ln.kind is LineKind.BASE).account == "613200"


def test_fuel_by_keyword_is_half_deductible_and_vehicle_setting_applies() -> None:
    inv = _invoice(_line("Diesel 1-XYZ-987", "100.00", 21))
    assert _entry(propose(inv, BookingContext(DOSSIER))) == _e(
        ("616100", "100.00", "0.00", ("82",)),
        ("616100", "10.50", "0.00", ("82",)),
        ("411000", "10.50", "0.00", ("59",)),
        ("440000", "0.00", "121.00", ()),
    )
    staff_car = Dossier(vat=DOSSIER.vat, vehicles=(Vehicle("1-XYZ-987", Decimal(35)),))
    p = propose(inv, BookingContext(staff_car))
    vat_411 = next(ln for ln in p.lines if ln.account == "411000")
    assert vat_411.debit == Decimal("7.35")


def test_gift_above_50_euro_is_not_deductible() -> None:
    line = _line("Relatiegeschenk fles wijn", "600.00", 21, quantity=Decimal(10))
    p = propose(_invoice(line), BookingContext(DOSSIER))
    assert _entry(p) == _e(
        ("614100", "600.00", "0.00", ("82",)),
        ("614100", "126.00", "0.00", ("82",)),
        ("440000", "0.00", "726.00", ()),
    )


# -- rounding and totals -------------------------------------------------------------------


def test_document_allowance_spread_pro_rata() -> None:
    allowance = AllowanceCharge(False, Decimal("10.00"), reason="korting", vat_rate=Decimal(21))
    inv = _invoice(
        _line("Huur", "100.00", 21), _line("Elektriciteit", "200.00", 21), allowances=(allowance,)
    )
    p = propose(inv, BookingContext(DOSSIER))
    assert _entry(p) == _e(
        ("610000", "96.67", "0.00", ("82",)),
        ("612000", "193.33", "0.00", ("82",)),
        ("411000", "60.90", "0.00", ("59",)),
        ("440000", "0.00", "350.90", ()),
    )


def test_issuer_per_line_rounding_is_booked_as_stated() -> None:
    inv = _invoice(_line("Balpennen", "12.50", 21), _line("Stiften", "12.50", 21), total_vat="5.26")
    p = propose(inv, BookingContext(DOSSIER))
    assert next(ln for ln in p.lines if ln.account == "411000").debit == Decimal("5.26")
    assert any("issuer rounded per line" in w for w in p.warnings)


def test_contradicting_totals_are_refused() -> None:
    inv = _invoice(_line("Huur", "100.00", 21)).replace(total_incl_vat=Decimal("150.00"))
    with pytest.raises(InvalidInvoice, match=r"not total excl\. VAT"):
        propose(inv, BookingContext(DOSSIER))


def test_lines_without_rate_take_the_documents_rate_and_category() -> None:
    line = InvoiceLine(Decimal("200.00"), "Consultancy april")
    inv = _invoice(line).replace(total_vat=Decimal("42.00"), total_incl_vat=Decimal("242.00"))
    p = propose(inv, BookingContext(DOSSIER))
    assert _entry(p) == _e(
        ("613000", "200.00", "0.00", ("82",)),
        ("411000", "42.00", "0.00", ("59",)),
        ("440000", "0.00", "242.00", ()),
    )
    assert any("taken from the document: 21 %" in w for w in p.warnings)


def test_breakdown_category_reaches_lines_without_one() -> None:
    from extractors.model import VatBreakdown

    line = InvoiceLine(Decimal("3400.00"), "Dakwerken", vat_rate=Decimal(0))
    row = VatBreakdown(
        Decimal("3400.00"), Decimal("0.00"), Decimal(0), "AE", exemption_code="VATEX-EU-AE"
    )
    p = propose(_invoice(line).replace(vat_breakdown=(row,)), BookingContext(DOSSIER))
    assert p.regime == "medecontractant"


def test_multi_rate_lines_without_rates_book_per_breakdown_row() -> None:
    from extractors.model import VatBreakdown

    lines = (InvoiceLine(Decimal("89.00"), "Boek"), InvoiceLine(Decimal("25.00"), "Balpennen"))
    rows = (
        VatBreakdown(Decimal("89.00"), Decimal("5.34"), Decimal(6), "S"),
        VatBreakdown(Decimal("25.00"), Decimal("5.25"), Decimal(21), "S"),
    )
    inv = _invoice(*lines).replace(
        vat_breakdown=rows, total_vat=Decimal("10.59"), total_incl_vat=Decimal("124.59")
    )
    p = propose(inv, BookingContext(DOSSIER))
    vat = sorted(ln.debit for ln in p.lines if ln.account == "411000")
    assert vat == [Decimal("5.25"), Decimal("5.34")]
    assert p.balanced


def test_negative_invoice_reverses_the_sides_and_warns() -> None:
    inv = _invoice(_line("Huur", "-100.00", 21))
    p = propose(inv, BookingContext(DOSSIER))
    assert _entry(p) == _e(
        ("610000", "0.00", "100.00", ("82",)),
        ("411000", "0.00", "21.00", ("59",)),
        ("440000", "121.00", "0.00", ()),
    )
    assert any("negative invoice" in w for w in p.warnings)


def test_all_zero_document_is_refused() -> None:
    with pytest.raises(InvalidInvoice, match="nothing to book"):
        propose(_invoice(_line("Huur", "0.00", 21)), BookingContext(DOSSIER))


def test_dissimilar_line_keeps_supplier_account_but_shows_the_keyword() -> None:
    ctx = BookingContext(DOSSIER, supplier_history=(HistoryEntry("604000", "Koffiekopjes"),))
    p = propose(_invoice(_line("Diesel 30 l", "50.00", 21)), ctx)
    base = next(ln for ln in p.lines if ln.kind is LineKind.BASE)
    assert base.account == "604000"
    assert "suggests 616100" in base.reason
    assert base.confidence <= 0.6
