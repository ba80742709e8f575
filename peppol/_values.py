"""Small value converters shared by the UBL and CII mappers.

Each converter takes the raw element text (or ``None``) and a list that collects
human-readable warnings; a value that cannot be converted becomes ``None`` plus a
warning, never an exception: a bad date must not cost the accountant the invoice.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

__all__ = ["IBAN_SHAPE", "NO_NUMBER_WARNING", "clean", "to_date", "to_date_102", "to_decimal"]

#: an e-invoice without BT-1 is kept, read as far as it goes, and flagged with this
NO_NUMBER_WARNING = (
    "the e-invoice has no invoice number (BT-1); it is kept and read, "
    "type the number from the supplier's copy before booking"
)

IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")


def clean(text: str | None) -> str | None:
    """Stripped text, or None when empty."""
    if text is None:
        return None
    text = text.strip()
    return text or None


def to_decimal(text: str | None, what: str, warnings: list[str]) -> Decimal | None:
    """A Decimal from element text (surrounding whitespace allowed), or None plus a warning."""
    if text is None:
        return None
    try:
        value = Decimal(text)  # Decimal itself strips surrounding whitespace
    except InvalidOperation:
        raw = text.strip()
        if raw:
            warnings.append(f"{what}: {raw[:40]!r} is not a number; ignored")
        return None
    if value.is_finite() and "_" not in text:
        return value
    warnings.append(f"{what}: {text.strip()[:40]!r} is not a plain finite number; ignored")
    return None


def to_date(text: str | None, what: str, warnings: list[str]) -> dt.date | None:
    """An ISO date (``YYYY-MM-DD``, UBL); a time zone or time suffix is tolerated."""
    if text is None:
        return None
    raw = text.strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        warnings.append(f"{what}: {raw[:40]!r} is not a date (YYYY-MM-DD); ignored")
        return None


def to_date_102(text: str | None, what: str, warnings: list[str]) -> dt.date | None:
    """A CII date string in format 102 (``YYYYMMDD``); ISO dates are accepted too."""
    if text is None:
        return None
    raw = text.strip()
    if not raw:
        return None
    try:
        if len(raw) == 8 and raw.isdigit():
            return dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        warnings.append(f"{what}: {raw[:40]!r} is not a date (YYYYMMDD); ignored")
        return None
