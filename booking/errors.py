"""Errors of the booking core: one base, a few precise subclasses.

::

    BookingError
    ├── InvalidInvoice      the invoice cannot be booked as given (no date, totals disagree...)
    ├── InvalidContext      the dossier settings or history are malformed
    ├── PeriodLocked        the document falls in a locked period (VAT return filed, year closed)
    └── UnknownGrid         a VAT-return grid boekbox does not know

A locked period is refused by raising :class:`PeriodLocked` rather than by a
flag on the proposal: a proposal is something the accountant may confirm, a
refused booking is not.  The exception carries the locked period and the first
open one, so the service can offer "book in <first_open> keeping the document
date" (pass ``BookingContext(period=...)`` to do so).
"""

from __future__ import annotations

__all__ = [
    "BookingError",
    "InvalidContext",
    "InvalidInvoice",
    "PeriodLocked",
    "UnknownGrid",
]


class BookingError(Exception):
    """Base of every error raised by :mod:`booking`."""


class InvalidInvoice(BookingError):
    """The invoice lacks what a booking needs, or its totals contradict each other."""


class InvalidContext(BookingError):
    """The dossier settings, history or case file are malformed."""


class PeriodLocked(BookingError):
    """The booking period is locked; ``first_open`` is where it could go instead."""

    def __init__(self, message: str, *, period: str, first_open: str | None) -> None:
        super().__init__(message)
        self.period = period
        self.first_open = first_open


class UnknownGrid(BookingError):
    """A VAT grid that is not on the Belgian return."""
