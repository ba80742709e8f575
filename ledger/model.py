"""What goes into the ledger core (booked lines, monthly sums) and what comes out.

Inputs are plain dataclasses the service fills from the database; outputs are frozen.
Amounts are :class:`~decimal.Decimal` to the cent; a balance is debit minus credit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal("0.00")


@dataclass(slots=True)
class BookedLine:
    """One line of a booked journal entry, with what the lists show next to it."""

    entry_id: int
    date: dt.date
    journal: str
    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    number: int | None = None
    period: str = ""  # booking month YYYY-MM
    vat_period: str = ""  # the VAT return the entry belongs to
    vat_grids: tuple[str, ...] = ()
    counterparty: str = ""
    description: str = ""
    document_id: int | None = None
    due_date: dt.date | None = None

    @property
    def amount(self) -> Decimal:
        return self.debit - self.credit


@dataclass(slots=True)
class AccountMonth:
    """The debit and credit of one account in one booking month (aggregated in SQL)."""

    account: str
    month: str  # YYYY-MM
    debit: Decimal = ZERO
    credit: Decimal = ZERO


# ----------------------------------------------------------------------------- outputs


@dataclass(frozen=True, slots=True)
class LedgerRow:
    entry_id: int
    date: dt.date
    journal: str
    number: int | None
    counterparty: str
    description: str
    document_id: int | None
    debit: Decimal
    credit: Decimal
    balance: Decimal  # running, after this line


@dataclass(frozen=True, slots=True)
class AccountLedger:
    account: str
    name: str
    opening: Decimal
    rows: tuple[LedgerRow, ...]
    debit: Decimal
    credit: Decimal
    closing: Decimal


@dataclass(frozen=True, slots=True)
class TrialRow:
    account: str
    name: str
    debit: Decimal
    credit: Decimal
    balance: Decimal


@dataclass(frozen=True, slots=True)
class TrialBalance:
    rows: tuple[TrialRow, ...]
    debit: Decimal
    credit: Decimal

    @property
    def balanced(self) -> bool:
        return self.debit == self.credit


@dataclass(frozen=True, slots=True)
class JournalEntryView:
    entry_id: int
    journal: str
    number: int | None
    date: dt.date
    counterparty: str
    document_id: int | None
    lines: tuple[tuple[str, Decimal, Decimal, str], ...]  # account, debit, credit, grids
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True, slots=True)
class VatGridLine:
    vat_period: str
    grid: str
    entry_id: int
    date: dt.date
    journal: str
    number: int | None
    account: str
    counterparty: str
    document_id: int | None
    amount: Decimal  # on the grid's natural side


@dataclass(frozen=True, slots=True)
class VatListing:
    vat_period: str
    grid: str
    total: Decimal
    lines: tuple[VatGridLine, ...]


@dataclass(frozen=True, slots=True)
class HistoryRow:
    counterparty: str
    entry_id: int
    date: dt.date
    journal: str
    number: int | None
    document_id: int | None
    invoiced: Decimal  # what the document claims (customer: debit 40; supplier: credit 44)
    settled: Decimal  # the other side (payments, credit notes)
    balance: Decimal  # running per counterparty


@dataclass(frozen=True, slots=True)
class OpenItem:
    counterparty: str
    entry_id: int
    date: dt.date
    due_date: dt.date
    number: int | None
    document_id: int | None
    amount: Decimal
    paid: Decimal
    open: Decimal
    days_overdue: int
    bucket: str


@dataclass(frozen=True, slots=True)
class Ageing:
    kind: str  # customers | suppliers
    buckets: tuple[tuple[str, Decimal], ...]
    total: Decimal
    items: tuple[OpenItem, ...]


@dataclass(frozen=True, slots=True)
class Point:
    """One value of a series: ``bucket`` is YYYY-MM, YYYY-Qn or YYYY."""

    bucket: str
    value: Decimal


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    points: tuple[Point, ...]

    @property
    def total(self) -> Decimal:
        return sum((p.value for p in self.points), ZERO)


@dataclass(frozen=True, slots=True)
class MonthCompare:
    """One month of a year against the same month of the previous year."""

    month: str  # MM
    current: Decimal
    previous: Decimal


@dataclass(frozen=True, slots=True)
class ResultReport:
    year: int
    revenue: tuple[MonthCompare, ...]
    costs: tuple[MonthCompare, ...]
    gross_margin: tuple[MonthCompare, ...]
    result: tuple[MonthCompare, ...]


@dataclass(frozen=True, slots=True)
class Ranked:
    counterparty: str
    amount: Decimal
    documents: int


@dataclass(frozen=True, slots=True)
class Measure:
    """An account range or group: ``60-61``, ``70``, ``600000-604999``, ``60,61``."""

    text: str
    ranges: tuple[tuple[str, str], ...] = field(default=())

    @property
    def credit_positive(self) -> bool:
        """Income (7), equity and debts (1) and suppliers (44) read as credit amounts."""
        first = self.ranges[0][0] if self.ranges else ""
        return first[:1] in {"7", "1"} or first[:2] == "44"


@dataclass(frozen=True, slots=True)
class VatPosition:
    """The grids of one VAT period and what it comes to: 71 to pay or 72 to recover."""

    vat_period: str
    grids: tuple[tuple[str, Decimal], ...]
    to_pay: Decimal
    to_recover: Decimal
