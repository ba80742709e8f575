"""Belgian booking proposals: a pure core (InvoiceData + context in, frozen Proposal out).

>>> from booking import propose, BookingContext, Dossier
>>> # proposal = propose(invoice, BookingContext(dossier=Dossier(vat="BE0743182920")))

Modules: :mod:`booking.chart` (PCMN starter chart), :mod:`booking.vat`
(regimes and grids), :mod:`booking.accounts` (account choice),
:mod:`booking.propose`, :mod:`booking.check`, :mod:`booking.learning`,
:mod:`booking.vat_return`, :mod:`booking.io` (JSON for the CLI).
"""

from booking.chart import Account, AccountKind, starter_chart
from booking.check import check_entry
from booking.context import (
    AutobookMode,
    AutobookPolicy,
    BookingContext,
    Dossier,
    HistoryEntry,
    Journals,
    Vehicle,
)
from booking.errors import BookingError, InvalidContext, InvalidInvoice, PeriodLocked, UnknownGrid
from booking.io import context_from_json, invoice_from_json, load_case, proposal_to_json
from booking.learning import (
    AutobookDecision,
    autobook_decision,
    is_unedited,
    learn_from_confirmation,
)
from booking.model import LineKind, Proposal, ProposalLine, Side
from booking.propose import propose
from booking.vat import GRID_SIDE, REGIMES, Regime, RegimeSpec
from booking.vat_return import vat_return, vat_return_by_period

__all__ = [
    "GRID_SIDE",
    "REGIMES",
    "Account",
    "AccountKind",
    "AutobookDecision",
    "AutobookMode",
    "AutobookPolicy",
    "BookingContext",
    "BookingError",
    "Dossier",
    "HistoryEntry",
    "InvalidContext",
    "InvalidInvoice",
    "Journals",
    "LineKind",
    "PeriodLocked",
    "Proposal",
    "ProposalLine",
    "Regime",
    "RegimeSpec",
    "Side",
    "UnknownGrid",
    "Vehicle",
    "autobook_decision",
    "check_entry",
    "context_from_json",
    "invoice_from_json",
    "is_unedited",
    "learn_from_confirmation",
    "load_case",
    "proposal_to_json",
    "propose",
    "starter_chart",
    "vat_return",
    "vat_return_by_period",
]
