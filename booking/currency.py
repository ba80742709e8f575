"""Foreign-currency invoices in euro: the rate, where it came from, and the converted invoice.

Rate sources, in order (issue 16):

1. **the invoice**: a rate printed on it (``1 EUR = 1,0850 USD``, ``koers 1,0850``),
   or its UBL VAT total in EUR (``TaxCurrencyCode`` EUR, BT-111): rate = VAT in
   the document currency / VAT in EUR;
2. **the ECB reference rate** of the invoice date from a :class:`RateTable` (the
   ``eurofxref-hist.csv`` format); on a day without a publication (weekend,
   TARGET holiday) the last rate published before it, at most
   :data:`MAX_RATE_AGE_DAYS` days old;
3. **ask**: no rate, :class:`RateNeeded` with a clear reason; nothing is booked.

Rates are quoted as the ECB does: units of the foreign currency for one euro, so
``EUR = amount / rate``, rounded half-up to the cent.  Each line, allowance and
VAT row is converted on its own; the totals are then rebuilt from the converted
parts (excl. VAT = lines - allowances + charges; VAT = the rows, or the UBL's EUR
VAT total spread over the rows; incl. VAT = excl. + VAT), so the converted
invoice adds up to the cent and its VAT is the VAT the invoice states.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as _dt
import io
import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from booking.amounts import ZERO, allocate
from booking.errors import BookingError, InvalidInvoice
from extractors.model import InvoiceData

__all__ = [
    "MAX_RATE_AGE_DAYS",
    "EuroConversion",
    "RateNeeded",
    "RateTable",
    "RateTableError",
    "parse_ecb_csv",
    "printed_rate",
    "to_euro",
]

MAX_RATE_AGE_DAYS = 7
MAX_CSV_BYTES = 32 * 1024 * 1024  # the full ECB history is about 7 MB
MAX_CSV_ROWS = 100_000
_CENT = Decimal("0.01")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class RateNeeded(InvalidInvoice):
    """No exchange rate for a foreign-currency invoice: the accountant must give one."""


class RateTableError(BookingError):
    """An exchange-rate file that cannot be read (the message says where)."""


@dataclass(frozen=True, slots=True)
class RateTable:
    """ECB reference rates: per currency, ascending dates and the rate of each (per 1 EUR)."""

    rates: Mapping[str, tuple[tuple[_dt.date, Decimal], ...]]

    def lookup(self, currency: str, day: _dt.date) -> tuple[_dt.date, Decimal] | None:
        """The rate published on ``day``, else the last one before it (within the age limit)."""
        series = self.rates.get(currency.upper())
        if not series:
            return None
        i = bisect_right([d for d, _ in series], day)
        if i == 0:
            return None
        published, rate = series[i - 1]
        if (day - published).days > MAX_RATE_AGE_DAYS:
            return None
        return published, rate

    @property
    def currencies(self) -> tuple[str, ...]:
        return tuple(sorted(self.rates))

    def __len__(self) -> int:
        return sum(len(s) for s in self.rates.values())


def parse_ecb_csv(data: bytes, *, max_bytes: int = MAX_CSV_BYTES) -> RateTable:
    """Read ``eurofxref-hist.csv`` (or ``eurofxref.csv``): ``Date,USD,JPY,...`` then one row a day.

    ``N/A`` and empty cells are skipped (currencies come and go); a trailing empty
    column is ignored.  Hostile input is refused with the line number, never half read.
    """
    if len(data) > max_bytes:
        raise RateTableError(f"rate file is {len(data)} bytes, more than {max_bytes}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RateTableError(f"rate file is not UTF-8 text: {exc}") from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header or header[0].strip().lower() != "date":
        raise RateTableError("rate file does not start with a 'Date,USD,...' header")
    columns = [h.strip().upper() for h in header[1:]]
    for name in columns:
        if name and not _CURRENCY.match(name):
            raise RateTableError(f"column {name[:20]!r} is not an ISO 4217 currency code")
    series: dict[str, dict[_dt.date, Decimal]] = {c: {} for c in columns if c}
    for n, row in enumerate(reader, start=2):
        if n > MAX_CSV_ROWS:
            raise RateTableError(f"rate file has more than {MAX_CSV_ROWS} rows")
        if not row or not "".join(row).strip():
            continue
        try:
            day = _dt.date.fromisoformat(row[0].strip())
        except ValueError:
            raise RateTableError(f"line {n}: {row[0][:20]!r} is not a YYYY-MM-DD date") from None
        for name, cell in zip(columns, row[1:], strict=False):
            cell = cell.strip()
            if not name or not cell or cell.upper() == "N/A":
                continue
            try:
                rate = Decimal(cell)
            except InvalidOperation:
                raise RateTableError(f"line {n}, {name}: {cell[:20]!r} is not a rate") from None
            if not rate.is_finite() or rate <= 0 or len(cell) > 20:
                raise RateTableError(f"line {n}, {name}: {cell[:20]!r} is not a positive rate")
            series[name][day] = rate
    if not any(series.values()):
        raise RateTableError("rate file has no rates")
    return RateTable({c: tuple(sorted(v.items())) for c, v in series.items() if v})


_NUM = r"(\d{1,6}(?:[.,]\d{1,8})?)"
_CUR = r"([A-Z]{3})"
_PAIR = re.compile(rf"\b1\s*{_CUR}\s*=\s*{_NUM}\s*{_CUR}\b")


def _num(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def printed_rate(text: str | None, currency: str) -> Decimal | None:
    """A rate printed on the invoice, as units of ``currency`` per EUR.

    Only a rate that states its direction is read: ``1 EUR = 1,0850 USD`` gives
    1.0850; ``1 USD = 0,9217 EUR`` gives 1 / 0.9217.  A bare "koers 1,085" could
    be either way round and is not used (the ECB table is, else the user is asked).
    """
    if not text:
        return None
    cur = currency.upper()
    for m in _PAIR.finditer(text[:20_000]):
        left, value, right = m.group(1), _num(m.group(2)), m.group(3)
        if value <= 0:
            continue
        if left == "EUR" and right == cur:
            return value
        if left == cur and right == "EUR":
            return (Decimal(1) / value).quantize(Decimal("0.000001"), ROUND_HALF_UP)
    return None


@dataclass(frozen=True, slots=True)
class EuroConversion:
    """The invoice in euro and how it got there (stored with the entry, shown to the user)."""

    invoice: InvoiceData  # amounts in EUR, currency "EUR"
    currency: str  # the document currency
    rate: Decimal  # units of ``currency`` per EUR
    source: str  # "user", "invoice", "ubl_tax_total" or "ecb"
    rate_date: _dt.date | None  # ECB publication date used
    original_total_excl_vat: Decimal | None
    original_total_vat: Decimal | None
    original_total_incl_vat: Decimal | None

    @property
    def explanation(self) -> str:
        where = {
            "user": "rate given by the accountant",
            "invoice": "rate printed on the invoice",
            "ubl_tax_total": "the invoice's VAT total in EUR (TaxCurrencyCode)",
            "ecb": f"ECB reference rate of {self.rate_date}",
        }[self.source]
        return (
            f"{self.currency} {self.original_total_incl_vat} converted to EUR "
            f"{self.invoice.total_incl_vat} at 1 EUR = {self.rate} {self.currency} ({where})"
        )


def _eur(amount: Decimal | None, rate: Decimal) -> Decimal | None:
    if amount is None:
        return None
    return (amount / rate).quantize(_CENT, ROUND_HALF_UP)


def _ubl_rate(invoice: InvoiceData) -> Decimal | None:
    eur, vat = invoice.tax_currency_vat_total, invoice.total_vat
    if (invoice.tax_currency or "").upper() != "EUR" or eur is None or vat is None:
        return None
    if eur <= 0 or vat <= 0:
        return None  # 0 % VAT says nothing about the rate
    return (vat / eur).quantize(Decimal("0.000001"), ROUND_HALF_UP)


def _choose_rate(
    invoice: InvoiceData, currency: str, table: RateTable | None, stated: Decimal | None
) -> tuple[Decimal, str, _dt.date | None]:
    if stated is not None and stated > 0:
        return stated, "user", None
    text = " ".join(x for x in (invoice.note, invoice.payment_terms) if x)
    printed = printed_rate(text, currency)
    if printed is not None:
        return printed, "invoice", None
    ubl = _ubl_rate(invoice)
    if ubl is not None:
        return ubl, "ubl_tax_total", None
    day = invoice.issue_date
    if table is not None and day is not None:
        found = table.lookup(currency, day)
        if found is not None:
            return found[1], "ecb", found[0]
    why = "no ECB rate table loaded" if table is None else f"no ECB rate for {currency} on {day}"
    if day is None:
        why = "the invoice has no date"
    raise RateNeeded(
        f"invoice in {currency}: no exchange rate on the invoice and {why}; "
        "give the EUR rate (1 EUR = ? " + currency + ") or import the ECB rates "
        "(boekbox rates import)"
    )


def to_euro(
    invoice: InvoiceData, table: RateTable | None = None, *, stated_rate: Decimal | None = None
) -> EuroConversion | None:
    """The invoice in euro, or None when it already is; raises :class:`RateNeeded` to ask.

    ``stated_rate`` is a rate the accountant typed or the extractor read (per EUR).
    """
    currency = (invoice.currency or "EUR").strip().upper()
    if currency == "EUR":
        return None
    if not _CURRENCY.match(currency):
        raise InvalidInvoice(f"currency {currency[:10]!r} is not an ISO 4217 code")
    rate, source, rate_date = _choose_rate(invoice, currency, table, stated_rate)
    lines = tuple(dataclasses.replace(ln, net=_eur(ln.net, rate) or ZERO,
                                      unit_price=_eur(ln.unit_price, rate))
                  for ln in invoice.lines)  # fmt: skip
    allowances = tuple(
        dataclasses.replace(ac, amount=_eur(ac.amount, rate) or ZERO)
        for ac in invoice.allowances_charges
    )
    rows = [
        dataclasses.replace(r, taxable=_eur(r.taxable, rate) or ZERO, vat=_eur(r.vat, rate) or ZERO)
        for r in invoice.vat_breakdown
    ]
    if source == "ubl_tax_total" and rows and invoice.tax_currency_vat_total is not None:
        shares = allocate(invoice.tax_currency_vat_total, [r.vat for r in rows])
        rows = [dataclasses.replace(r, vat=s) for r, s in zip(rows, shares, strict=True)]
    if lines:
        excl: Decimal | None = sum((ln.net for ln in lines), ZERO)
        excl = (excl or ZERO) + sum(
            ((ac.amount if ac.is_charge else -ac.amount) for ac in allowances), ZERO
        )
    elif rows:
        excl = sum((r.taxable for r in rows), ZERO)
    else:
        excl = _eur(invoice.total_excl_vat, rate)
    if rows:
        vat: Decimal | None = sum((r.vat for r in rows), ZERO)
    elif source == "ubl_tax_total":
        vat = invoice.tax_currency_vat_total
    else:
        vat = _eur(invoice.total_vat, rate)
    incl = None if excl is None or vat is None else excl + vat
    if invoice.total_incl_vat is None:
        incl = None
    converted = dataclasses.replace(
        invoice,
        currency="EUR",
        lines=lines,
        allowances_charges=allowances,
        vat_breakdown=tuple(rows),
        total_excl_vat=excl if invoice.total_excl_vat is not None or lines else None,
        total_vat=vat if invoice.total_vat is not None or rows else None,
        total_incl_vat=incl,
        payable_amount=_eur(invoice.payable_amount, rate),
        prepaid_amount=_eur(invoice.prepaid_amount, rate),
        rounding_amount=_eur(invoice.rounding_amount, rate),
        allowance_total=_eur(invoice.allowance_total, rate),
        charge_total=_eur(invoice.charge_total, rate),
        line_extension_amount=_eur(invoice.line_extension_amount, rate),
    )
    return EuroConversion(
        invoice=converted,
        currency=currency,
        rate=rate,
        source=source,
        rate_date=rate_date,
        original_total_excl_vat=invoice.total_excl_vat,
        original_total_vat=invoice.total_vat,
        original_total_incl_vat=invoice.total_incl_vat,
    )
