"""Errors of the invoicing core: each carries a reason an entrepreneur can read."""

from __future__ import annotations

__all__ = [
    "CodaError",
    "CreditNoteTooLarge",
    "InvalidIdentifier",
    "InvoicingError",
    "VatCaseError",
]


class InvoicingError(ValueError):
    """Base class: bad input to the invoicing core (never a crash, always a reason)."""


class InvalidIdentifier(InvoicingError):
    """An invalid VAT number, enterprise number, Peppol id, IBAN or BIC."""


class VatCaseError(InvoicingError):
    """The lines or parties do not fit the VAT case (no rate, no customer VAT...)."""


class CreditNoteTooLarge(InvoicingError):
    """A credit note for more than what remains of the invoice it credits."""


class CodaError(InvoicingError):
    """A CODA file that cannot be imported; ``line`` is 1-based (0 when the file as a whole)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}" if line else reason)
        self.line = line
        self.reason = reason
