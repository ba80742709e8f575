"""The books as reports: a pure core (booked lines and monthly sums in, frozen views out).

General ledger per account with running balance, trial balance, journals, VAT listings
per period and grid, customer and supplier histories and open items with ageing, and
the entrepreneur's reports (revenue, costs, gross margin and result per month against
the previous year, VAT position, top customers and suppliers, own measures).  Exports
of any list as CSV, XLSX and PDF live in :mod:`ledger.export`.  No database here.
"""

from __future__ import annotations

from ledger.model import (
    ZERO,
    AccountLedger,
    AccountMonth,
    Ageing,
    BookedLine,
    HistoryRow,
    JournalEntryView,
    LedgerRow,
    Measure,
    MonthCompare,
    OpenItem,
    Point,
    Ranked,
    ResultReport,
    Series,
    TrialBalance,
    TrialRow,
    VatGridLine,
    VatListing,
    VatPosition,
)
from ledger.reports import (
    GRANULARITIES,
    MeasureError,
    ageing,
    bucket_of,
    counterparty_history,
    general_ledger,
    journal_entries,
    measure_series,
    parse_measure,
    result_report,
    top_counterparties,
    trial_balance,
    vat_listing,
    vat_position,
)

__all__ = [
    "GRANULARITIES",
    "ZERO",
    "AccountLedger",
    "AccountMonth",
    "Ageing",
    "BookedLine",
    "HistoryRow",
    "JournalEntryView",
    "LedgerRow",
    "Measure",
    "MeasureError",
    "MonthCompare",
    "OpenItem",
    "Point",
    "Ranked",
    "ResultReport",
    "Series",
    "TrialBalance",
    "TrialRow",
    "VatGridLine",
    "VatListing",
    "VatPosition",
    "ageing",
    "bucket_of",
    "counterparty_history",
    "general_ledger",
    "journal_entries",
    "measure_series",
    "parse_measure",
    "result_report",
    "top_counterparties",
    "trial_balance",
    "vat_listing",
    "vat_position",
]
