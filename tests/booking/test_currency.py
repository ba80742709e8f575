"""Foreign-currency invoices in euro (issue 16): rate order invoice > UBL > ECB > ask."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from booking.context import BookingContext, Dossier
from booking.currency import RateNeeded, RateTableError, parse_ecb_csv, printed_rate, to_euro
from booking.io import proposal_to_json
from booking.model import LineKind
from booking.propose import propose
from extractors.model import InvoiceData, InvoiceLine, Party, VatBreakdown

# the eurofxref-hist.csv layout: newest first, N/A for missing, a trailing comma
ECB_SAMPLE = (
    b"Date,USD,JPY,SEK,GBP,CYP,\n"
    b"2026-03-13,1.0850,161.20,11.2040,0.84010,N/A,\n"
    b"2026-03-12,1.0900,160.95,11.1900,0.84100,N/A,\n"
    b"2026-03-11,1.0800,160.10,11.1000,0.83900,N/A,\n"
    b"2007-12-31,1.4721,164.93,9.4415,0.73335,0.585274,\n"
)
DOSSIER = Dossier(name="Demo Consult BV", vat="BE0743182920")
ME = Party(name=DOSSIER.name, vat=DOSSIER.vat, country="BE")
US = Party(name="Cloudy Inc.", country="US")
SE = Party(name="Svensk AB", vat="SE556677889901", country="SE")


def _usd(day: dt.date = dt.date(2026, 3, 12), note: str | None = None) -> InvoiceData:
    return InvoiceData(
        invoice_number="US-1", issue_date=day, currency="USD", supplier=US, customer=ME,
        lines=(InvoiceLine(Decimal("1085.00"), "SaaS subscription", vat_category="O",
                           vat_rate=Decimal(0)),),
        total_excl_vat=Decimal("1085.00"), total_vat=Decimal("0.00"),
        total_incl_vat=Decimal("1085.00"), note=note,
    )  # fmt: skip


def test_parse_ecb_csv_sample() -> None:
    table = parse_ecb_csv(ECB_SAMPLE)
    assert table.currencies == ("CYP", "GBP", "JPY", "SEK", "USD")
    assert table.lookup("USD", dt.date(2026, 3, 12)) == (dt.date(2026, 3, 12), Decimal("1.0900"))
    # Saturday: the Friday rate; too old or before the first publication: none
    assert table.lookup("usd", dt.date(2026, 3, 14)) == (dt.date(2026, 3, 13), Decimal("1.0850"))
    assert table.lookup("USD", dt.date(2026, 3, 30)) is None
    assert table.lookup("USD", dt.date(2000, 1, 1)) is None
    assert table.lookup("CHF", dt.date(2026, 3, 12)) is None
    assert table.lookup("CYP", dt.date(2026, 3, 12)) is None  # N/A since 2008


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "header"),
        (b"Datum;USD\n", "header"),
        (b"Date,US$\n2026-03-12,1.0\n", "ISO 4217"),
        (b"Date,USD\n12/03/2026,1.09\n", "line 2"),
        (b"Date,USD\n2026-03-12,abc\n", "not a rate"),
        (b"Date,USD\n2026-03-12,-1\n", "positive"),
        (b"Date,USD\n2026-03-12,N/A\n", "no rates"),
        (b"\xff\xfe\x00", "UTF-8"),
    ],
)
def test_bad_rate_files_are_refused_with_the_reason(data: bytes, message: str) -> None:
    with pytest.raises(RateTableError, match=message):
        parse_ecb_csv(data)


def test_rate_file_size_limit() -> None:
    with pytest.raises(RateTableError, match="bytes"):
        parse_ecb_csv(ECB_SAMPLE, max_bytes=10)


def test_printed_rate_needs_a_direction() -> None:
    assert printed_rate("Exchange rate: 1 EUR = 1,0850 USD", "USD") == Decimal("1.0850")
    assert printed_rate("1 USD = 0.9217 EUR", "USD") == Decimal("1.084952")
    assert printed_rate("koers 1,085", "USD") is None
    assert printed_rate("1 EUR = 11.2 SEK", "USD") is None


def test_ecb_rate_of_the_invoice_date_converts_the_proposal() -> None:
    ctx = BookingContext(dossier=DOSSIER, rates=parse_ecb_csv(ECB_SAMPLE))
    p = propose(_usd(), ctx)
    assert p.balanced
    supplier = next(ln for ln in p.lines if ln.kind is LineKind.COUNTERPARTY)
    assert supplier.credit == Decimal("995.41")  # 1085.00 / 1.0900
    assert (p.exchange_rate, p.rate_source, p.rate_date) == (
        Decimal("1.0900"), "ecb", dt.date(2026, 3, 12)
    )  # fmt: skip
    assert p.document_currency == "USD"
    assert p.original_total_incl_vat == Decimal("1085.00")
    out = proposal_to_json(p)
    assert out["exchange_rate"] == "1.0900"
    assert out["original_total_incl_vat"] == "1085.00"
    assert "ECB reference rate of 2026-03-12" in out["reason"]


def test_rate_printed_on_the_invoice_wins_over_the_ecb() -> None:
    ctx = BookingContext(dossier=DOSSIER, rates=parse_ecb_csv(ECB_SAMPLE))
    p = propose(_usd(note="Payable in USD. 1 EUR = 1,0850 USD"), ctx)
    assert p.rate_source == "invoice"
    assert next(ln for ln in p.lines if ln.kind is LineKind.COUNTERPARTY).credit == Decimal(
        "1000.00"
    )


def test_ubl_vat_total_in_eur_gives_the_rate_and_the_vat() -> None:
    inv = InvoiceData(
        invoice_number="SE-9", issue_date=dt.date(2026, 3, 12), currency="SEK", supplier=SE,
        customer=ME,
        lines=(InvoiceLine(Decimal("10000.00"), "Konsulttjänster", vat_category="S",
                           vat_rate=Decimal(25)),),
        vat_breakdown=(VatBreakdown(Decimal("10000.00"), Decimal("2500.00"), Decimal(25), "S"),),
        total_excl_vat=Decimal("10000.00"), total_vat=Decimal("2500.00"),
        total_incl_vat=Decimal("12500.00"), tax_currency="EUR",
        tax_currency_vat_total=Decimal("223.00"),
    )  # fmt: skip
    conv = to_euro(inv)
    assert conv is not None
    assert conv.source == "ubl_tax_total"
    assert conv.invoice.total_vat == Decimal("223.00")  # exactly the invoice's EUR VAT
    assert conv.invoice.total_incl_vat == conv.invoice.total_excl_vat + Decimal("223.00")
    p = propose(inv, BookingContext(dossier=DOSSIER))
    assert p.balanced
    assert p.rate_source == "ubl_tax_total"
    assert p.original_total_vat == Decimal("2500.00")


def test_no_rate_anywhere_is_refused_to_ask_the_user() -> None:
    ctx = BookingContext(dossier=DOSSIER, rates=parse_ecb_csv(ECB_SAMPLE))
    with pytest.raises(RateNeeded, match="1 EUR = \\? USD"):
        propose(_usd(day=dt.date(2026, 5, 4)), ctx)
    # the rate the accountant then gives is used
    given = BookingContext(dossier=DOSSIER, rates=ctx.rates, exchange_rate=Decimal("1.085"))
    p = propose(_usd(day=dt.date(2026, 5, 4)), given)
    assert p.rate_source == "user"
    assert p.exchange_rate == Decimal("1.085")


def test_without_a_rate_table_the_proposal_is_flagged_not_silently_euro() -> None:
    p = propose(_usd(day=dt.date(2026, 5, 4)), BookingContext(dossier=DOSSIER))
    assert p.exchange_rate is None
    assert any("CHECK" in w and "USD" in w for w in p.warnings)
    assert p.confidence <= 0.3
    assert not p.autobook


def test_euro_invoices_are_untouched() -> None:
    inv = _usd()
    eur = InvoiceData(**{**{f: getattr(inv, f) for f in inv.__dataclass_fields__},
                         "currency": "EUR"})  # fmt: skip
    assert to_euro(eur) is None
    p = propose(eur, BookingContext(dossier=DOSSIER))
    assert p.exchange_rate is None
    assert "exchange_rate" not in proposal_to_json(p)
