"""The proposal booking returns: frozen, typed, explained line by line."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

__all__ = ["LineKind", "Proposal", "ProposalLine", "Side"]


class Side(StrEnum):
    PURCHASE = "purchase"
    SALES = "sales"


class LineKind(StrEnum):
    BASE = "base"  # cost, asset or turnover
    NON_DEDUCTIBLE = "non_deductible"  # non-deductible VAT moved to the cost account
    VAT = "vat"  # 411000 deductible / 451000 output VAT charged on the document
    SELF_ASSESSED = "self_assessed"  # reverse-charge VAT on 411000 and 451000
    COUNTERPARTY = "counterparty"  # 440000 supplier / 400000 customer


@dataclass(frozen=True, slots=True)
class ProposalLine:
    account: str
    debit: Decimal
    credit: Decimal
    vat_code: str | None
    vat_grid: tuple[str, ...]
    description: str
    reason: str
    confidence: float
    kind: LineKind = LineKind.BASE
    vat_rate: Decimal | None = None
    deductible_pct: Decimal | None = None
    source_descriptions: tuple[str, ...] = ()
    regime: str | None = None

    @property
    def amount(self) -> Decimal:
        return self.debit - self.credit


@dataclass(frozen=True, slots=True)
class Proposal:
    """A proposed journal entry with every choice explained.

    ``period`` is the booking month ``"YYYY-MM"``; ``period_index`` its number
    inside the bookyear (1 = first month); ``vat_period`` the VAT return it
    belongs to (``"2026-03"`` monthly or ``"2026-Q1"`` quarterly).
    """

    side: Side
    journal: str
    date: _dt.date
    bookyear: str
    period: str
    period_index: int
    vat_period: str
    lines: tuple[ProposalLine, ...]
    regime: str
    regime_reason: str
    is_credit_note: bool = False
    counterparty: str | None = None
    document_number: str | None = None
    due_date: _dt.date | None = None
    payment_reference: str | None = None
    warnings: tuple[str, ...] = ()
    confidence: float = 1.0
    autobook: bool = False
    autobook_reason: str = ""
    #: foreign currency: amounts above are in EUR; the document's own currency and figures
    document_currency: str = "EUR"
    exchange_rate: Decimal | None = None  # units of ``document_currency`` per EUR
    rate_source: str | None = None  # "invoice", "ubl_tax_total", "ecb" or "user"
    rate_date: _dt.date | None = None
    original_total_excl_vat: Decimal | None = None
    original_total_vat: Decimal | None = None
    original_total_incl_vat: Decimal | None = None

    @property
    def total_debit(self) -> Decimal:
        return sum((ln.debit for ln in self.lines), Decimal("0.00"))

    @property
    def total_credit(self) -> Decimal:
        return sum((ln.credit for ln in self.lines), Decimal("0.00"))

    @property
    def balanced(self) -> bool:
        return self.total_debit == self.total_credit
