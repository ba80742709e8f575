"""What booking needs to know about the dossier: passed in, never queried.

The service layer builds a :class:`BookingContext` from storage (dossier
settings, the counterparty's learned history, its autobook policy) and hands it
to :func:`booking.propose`.  Everything is frozen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from booking.chart import Account, starter_chart
from booking.currency import RateTable

__all__ = [
    "AutobookMode",
    "AutobookPolicy",
    "BookingContext",
    "Dossier",
    "HistoryEntry",
    "Journals",
    "Vehicle",
]


@dataclass(frozen=True, slots=True)
class Journals:
    """Journal codes of the dossier; credit notes may have their own sequence (Odoo does)."""

    purchase: str = "purchase"
    sales: str = "sales"
    purchase_credit_note: str | None = None
    sales_credit_note: str | None = None


@dataclass(frozen=True, slots=True)
class Vehicle:
    """A passenger car with its own deduction percentage (50 % by law, 35 % flat for staff cars)."""

    plate: str
    deductible_pct: Decimal = Decimal("50")


@dataclass(frozen=True, slots=True)
class Dossier:
    """One client company.

    ``locked_through``: every period up to and including this date is locked
    (VAT return filed, year closed).  ``locked_periods``: extra locked months
    as ``"YYYY-MM"``.  ``vat_period``: ``"month"`` or ``"quarter"``.
    """

    name: str = ""
    vat: str | None = None
    capitalisation_threshold: Decimal = Decimal("1000.00")
    default_account: str = "619000"
    default_sales_account: str = "705000"
    journals: Journals = field(default_factory=Journals)
    bookyear_start_month: int = 1
    vat_period: str = "quarter"
    locked_through: str | None = None
    locked_periods: tuple[str, ...] = ()
    car_deductible_pct: Decimal = Decimal("50")
    vehicles: tuple[Vehicle, ...] = ()
    chart: tuple[Account, ...] = field(default_factory=starter_chart)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One learned booking line of a counterparty: what the accountant confirmed."""

    account: str
    description: str = ""
    vat_rate: Decimal | None = None
    deductible_pct: Decimal | None = None


class AutobookMode(StrEnum):
    NEVER = "never"
    AFTER_N = "after_n"
    ALWAYS = "always"


@dataclass(frozen=True, slots=True)
class AutobookPolicy:
    """Per-supplier auto-booking: never (default), after ``n`` unedited confirmations, always."""

    mode: AutobookMode = AutobookMode.NEVER
    n: int = 3
    min_confidence: float = 0.0


@dataclass(frozen=True, slots=True)
class BookingContext:
    """Everything :func:`booking.propose` reads besides the invoice.

    ``supplier_history`` is the learned history of the *counterparty* (the
    supplier of a purchase, the customer of a sale), newest last.
    ``recent_confirmations``: for that counterparty, oldest first, ``True`` when
    a proposal was confirmed without edits.  ``period`` overrides the booking
    period (``"YYYY-MM"``) when the accountant books a late invoice in the first
    open period.

    Foreign currency (:mod:`booking.currency`): ``exchange_rate`` is a rate the
    accountant gave (units per EUR); ``rates`` the ECB table.  When the caller
    passes ``rates`` (even empty) a foreign invoice without any rate is refused
    (:class:`~booking.currency.RateNeeded`, "ask"); when it passes neither, the
    proposal stays in the document currency with a CHECK warning (callers that
    do not load rates yet never book it automatically).
    """

    dossier: Dossier = field(default_factory=Dossier)
    supplier_history: tuple[HistoryEntry, ...] = ()
    supplier_default_account: str | None = None
    autobook_policy: AutobookPolicy = field(default_factory=AutobookPolicy)
    recent_confirmations: tuple[bool, ...] = ()
    period: str | None = None
    exchange_rate: Decimal | None = None
    rates: RateTable | None = None
