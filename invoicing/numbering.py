"""Pure numbering helpers: the gapless invoice number, the OGM/VCS and the due date.

The storage side allocates ``sequence`` (gapless per dossier, bookyear and prefix);
these functions only format and derive.
"""

from __future__ import annotations

import datetime as _dt
import re

from invoicing.errors import InvoicingError

__all__ = [
    "due_date",
    "format_number",
    "format_ogm",
    "ogm_digits",
    "ogm_for",
    "ogm_is_valid",
    "parse_ogm",
]

_PREFIX = re.compile(r"[A-Za-z0-9_-]{0,10}")
_OGM = re.compile(
    r"^\s*(?:\+\+\+|\*\*\*)?\s*(\d{3})\s*/?\s*(\d{4})\s*/?\s*(\d{5})\s*(?:\+\+\+|\*\*\*)?\s*$"
)


def format_number(prefix: str, bookyear: int, sequence: int, *, width: int = 4) -> str:
    """``F2026-0001``: prefix, bookyear, dash, zero-padded sequence (sorts as it counts)."""
    if not _PREFIX.fullmatch(prefix):
        raise InvoicingError(f"invoice prefix {prefix[:20]!r}: up to 10 letters, digits, - or _")
    if not 1900 <= bookyear <= 9999:
        raise InvoicingError(f"bookyear {bookyear} out of range")
    if sequence < 1:
        raise InvoicingError("the sequence starts at 1")
    return f"{prefix}{bookyear}-{sequence:0{width}d}"


def _check(base: int) -> int:
    return base % 97 or 97


def ogm_digits(base: int) -> str:
    """The 12 digits of the OGM for a 10-digit ``base`` (check = base mod 97, 97 when 0)."""
    if not 0 <= base < 10**10:
        raise InvoicingError("the structured communication base must have at most 10 digits")
    return f"{base:010d}{_check(base):02d}"


def format_ogm(digits: str) -> str:
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


def ogm_for(dossier_id: int, bookyear: int, sequence: int) -> str:
    """``+++DDD/YYSS/SSSSS+++`` from the dossier (3 digits, mod 1000), year and sequence.

    Layout of the 10-digit base: dossier (3) + last two digits of the year (2) +
    sequence (5); unique per dossier for 99,999 invoices a year.
    """
    if not 0 < sequence < 100_000:
        raise InvoicingError("sequence out of range for a structured communication (1..99999)")
    base = (dossier_id % 1000) * 10**7 + (bookyear % 100) * 10**5 + sequence
    return format_ogm(ogm_digits(base))


def parse_ogm(text: str) -> str | None:
    """The 12 digits of an OGM written in any usual way, or None."""
    match = _OGM.match(text or "")
    return "".join(match.groups()) if match else None


def ogm_is_valid(text: str) -> bool:
    digits = parse_ogm(text)
    return digits is not None and _check(int(digits[:10])) == int(digits[10:])


def due_date(issue_date: _dt.date, terms_days: int) -> _dt.date:
    if not 0 <= terms_days <= 365:
        raise InvoicingError("payment terms must be between 0 and 365 days")
    return issue_date + _dt.timedelta(days=terms_days)
