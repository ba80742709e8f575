"""Normalisers for printed values: amounts, dates, VAT numbers, IBANs, OGM.

Each ``parse_*`` takes printed text and returns the normalised value or
``None``; none of them raises on bad input.  Checksums (python-stdnum) are
*evidence*: :func:`vat_checksum_ok` and friends say whether a value passes,
and the repair helpers try OCR look-alike substitutions (O/0, l/1, S/5) to
make a failing value pass; nothing is dropped because a checksum fails.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from stdnum import iban as _iban
from stdnum.be import vat as _be_vat
from stdnum.eu import vat as _eu_vat
from stdnum.exceptions import ValidationError

__all__ = [
    "MONTHS",
    "find_dates",
    "find_vats",
    "fold",
    "iban_checksum_ok",
    "numeric_date_order_hint",
    "ogm_checksum_ok",
    "parse_amount",
    "parse_date",
    "parse_iban",
    "parse_ogm",
    "parse_percent",
    "parse_vat",
    "repair_digits",
    "vat_checksum_ok",
]

_MINUS = "-\u2212\u2013\u2012"
_CURRENCY = r"(?:€|EUR|\$|USD|£|GBP|CHF)"
_SPACES = " \u00a0\u202f\u2009'"

_AMOUNT_RE = re.compile(
    rf"^\(?\s*(?P<s1>[{_MINUS}+])?\s*{_CURRENCY}?\s*(?P<s2>[{_MINUS}+])?\s*"
    rf"(?P<num>\d[\d.,{_SPACES}]*?)\s*{_CURRENCY}?\s*(?P<s3>[{_MINUS}])?\s*\)?$"
)


def fold(text: str) -> str:
    """Lower case without accents (labels compare folded)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def parse_amount(text: str, *, decimals_required: bool = False) -> Decimal | None:
    """'1.234,56', '1 234,56 €', 'EUR 1,234.56', '-12,00', '12,00-', '(5.00)' -> Decimal."""
    m = _AMOUNT_RE.match(text.strip())
    if m is None:
        return None
    number = _number(m.group("num"), decimals_required)
    if number is None:
        return None
    negative = bool(m.group("s1") and m.group("s1") != "+") or bool(
        m.group("s2") and m.group("s2") != "+"
    )
    negative = negative or bool(m.group("s3"))
    negative = negative or (text.strip().startswith("(") and text.strip().endswith(")"))
    return -number if negative else number


def _number(raw: str, decimals_required: bool) -> Decimal | None:
    s = raw.strip(_SPACES)
    if not s or not s[0].isdigit() or not s[-1].isdigit():
        return None
    seps = [(i, ch) for i, ch in enumerate(s) if not ch.isdigit()]
    if not seps:
        return None if decimals_required else Decimal(s)
    last_i, last = seps[-1]
    tail = s[last_i + 1 :]
    others = {ch for _, ch in seps[:-1]}
    decimal = last in ".," and (
        len(tail) != 3
        or (not others and s[:last_i] == "0")
        or (bool(others) and last not in others)
    )
    int_part, frac = (s[:last_i], tail) if decimal else (s, "")
    if decimals_required and not frac:
        return None
    int_seps = {ch for ch in int_part if not ch.isdigit()}
    if len(int_seps) > 1:
        return None
    groups = re.split(rf"[.,{_SPACES}]", int_part)
    if len(groups) > 1 and (
        not 1 <= len(groups[0]) <= 3 or not all(len(g) == 3 for g in groups[1:])
    ):
        return None
    try:
        return Decimal("".join(groups) + (f".{frac}" if frac else ""))
    except InvalidOperation:
        return None


_PERCENT_RE = re.compile(r"^(\d{1,2}(?:[.,]\d{1,3})?)\s*%$")


def parse_percent(text: str) -> Decimal | None:
    m = _PERCENT_RE.match(text.strip())
    if m is None:
        return None
    value = Decimal(m.group(1).replace(",", "."))
    return value.normalize() if value == value.to_integral() else value


# ---------------------------------------------------------------------- dates

MONTHS: dict[str, int] = {}
for _i, _names in enumerate(
    [
        "januari january janvier januar jan janv jänner",
        "februari february fevrier februar feb fev fevr",
        "maart march mars marz mar mrt",
        "april avril apr avr",
        "mei may mai",
        "juni june juin jun",
        "juli july juillet jul juil",
        "augustus august aout aug",
        "september septembre sep sept",
        "oktober october octobre okt oct",
        "november novembre nov",
        "december decembre dezember dec dez",
    ],
    start=1,
):
    for _n in _names.split():
        MONTHS[_n] = _i

_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
DATE_PATTERNS = (
    ("iso", re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")),
    ("numeric", re.compile(r"(?<![\d.])(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})(?![\d])")),
    (
        "day_month",
        re.compile(
            rf"(?<!\d)(\d{{1,2}})(?:er|e|st|nd|rd|th)?\.?\s*({_MONTH_ALT})\.?,?\s+(\d{{4}})\b"
        ),
    ),
    ("month_day", re.compile(rf"\b({_MONTH_ALT})\.?\s+(\d{{1,2}})\s*,?\s*(\d{{4}})\b")),
)


def parse_date(text: str, *, us: bool = False) -> _dt.date | None:
    """The first date in ``text``; numeric dates day-first unless ``us``."""
    found = find_dates(text, us=us)
    return found[0][2] if found else None


def find_dates(text: str, *, us: bool = False) -> list[tuple[int, int, _dt.date]]:
    """All dates in ``text`` as (start, end, date), in order of position."""
    folded = fold(text)
    out: list[tuple[int, int, _dt.date]] = []
    taken: list[tuple[int, int]] = []
    for kind, rx in DATE_PATTERNS:
        for m in rx.finditer(folded):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            value = _date_from(kind, m.groups(), us)
            if value is not None:
                out.append((m.start(), m.end(), value))
                taken.append((m.start(), m.end()))
    return sorted(out)


def _date_from(kind: str, g: tuple[str, ...], us: bool) -> _dt.date | None:
    try:
        if kind == "iso":
            y, mo, d = int(g[0]), int(g[1]), int(g[2])
        elif kind == "numeric":
            a, b, y = int(g[0]), int(g[1]), int(g[2])
            d, mo = (b, a) if (us and a <= 12) or b > 12 else (a, b)
        elif kind == "day_month":
            d, mo, y = int(g[0]), MONTHS[g[1]], int(g[2])
        else:
            mo, d, y = MONTHS[g[0]], int(g[1]), int(g[2])
        if y < 100:
            y += 2000 if y < 70 else 1900
        if not 1970 <= y <= 2100:
            return None
        return _dt.date(y, mo, d)
    except (ValueError, KeyError):
        return None


def numeric_date_order_hint(text: str) -> str | None:
    """'us' when a numeric date can only be month-first, 'eu' when only day-first."""
    us = eu = 0
    for m in DATE_PATTERNS[1][1].finditer(text):
        a, b = int(m.group(1)), int(m.group(2))
        if a > 12 >= b:
            eu += 1
        elif b > 12 >= a:
            us += 1
    if us > eu:
        return "us"
    if eu > us:
        return "eu"
    return None


# --------------------------------------------------------------- identifiers

_OCR_DIGITS = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "D": "0",
        "l": "1",
        "I": "1",
        "i": "1",
        "|": "1",
        "S": "5",
        "s": "5",
        "B": "8",
        "Z": "2",
        "z": "2",
    }
)


def repair_digits(text: str) -> str:
    """Replace OCR look-alikes of digits (O->0, l->1, S->5...)."""
    return text.translate(_OCR_DIGITS)


_VAT_BODY = {
    "BE": re.compile(r"^[01]?\d{9}$"),
    "NL": re.compile(r"^\d{9}B\d{2}$"),
    "FR": re.compile(r"^[0-9A-Z]{2}\d{9}$"),
    "DE": re.compile(r"^\d{9}$"),
    "LU": re.compile(r"^\d{8}$"),
    "AT": re.compile(r"^U\d{8}$"),
    "IT": re.compile(r"^\d{11}$"),
    "ES": re.compile(r"^[0-9A-Z]\d{7}[0-9A-Z]$"),
    "GB": re.compile(r"^(\d{9}|\d{12})$"),
    "IE": re.compile(r"^\d[0-9A-Z+*]\d{5}[A-Z]{1,2}$"),
    "DK": re.compile(r"^\d{8}$"),
    "PL": re.compile(r"^\d{10}$"),
}
VAT_RE = re.compile(
    r"(?<![A-Z0-9])(BE|NL|FR|DE|LU|AT|IT|ES|GB|IE|DK|PL)[\s.:-]{0,2}"
    r"((?:[0-9A-Z]{1,2}[\s.]?)?\d(?:[\s.]?\d){5,11}(?:[\s.]?B[\s.]?\d{2})?[A-Z]{0,2})"
    r"(?![0-9A-Z])"
)


def parse_vat(text: str) -> str | None:
    """A VAT number from printed text: 'BE 0123.456.749' -> 'BE0123456749'."""
    m = VAT_RE.search(text.upper())
    if m is None:
        return None
    return _vat_from_match(m.group(1), m.group(2))


def _vat_from_match(country: str, body_raw: str) -> str | None:
    body = re.sub(r"[\s.]", "", body_raw)
    if not _VAT_BODY[country].match(body):
        return None
    if country == "BE" and len(body) == 9:
        body = "0" + body
    return country + body


def find_vats(text: str) -> list[tuple[int, int, str]]:
    """Every VAT number in ``text`` as (start, end, compact number)."""
    out = []
    upper = text.upper()
    ibans = [m.span() for m in IBAN_RE.finditer(upper) if _iban_length_ok(m.group(1))]
    for m in VAT_RE.finditer(upper):
        if any(a < m.end() and m.start() < b for a, b in ibans):
            continue
        value = _vat_from_match(m.group(1), m.group(2))
        if value is not None:
            out.append((m.start(), m.end(), value))
    return out


def vat_checksum_ok(vat: str) -> bool:
    try:
        if vat.startswith("BE"):
            _be_vat.validate(vat)
        else:
            _eu_vat.validate(vat)
    except (ValidationError, KeyError, ValueError):
        return False
    return True


IBAN_LENGTHS = {
    "BE": 16,
    "NL": 18,
    "DE": 22,
    "FR": 27,
    "LU": 20,
    "GB": 22,
    "AT": 20,
    "ES": 24,
    "IT": 27,
    "CH": 21,
    "IE": 22,
    "DK": 18,
    "PL": 28,
    "PT": 25,
}
IBAN_RE = re.compile(r"(?<![A-Z0-9])([A-Z]{2}\d{2}(?:\s?[A-Z0-9]{1,4}){2,8})(?![A-Z0-9])")


def parse_iban(text: str) -> str | None:
    """A compact IBAN if ``text`` holds one of a known country length."""
    for m in IBAN_RE.finditer(text.upper()):
        compact = re.sub(r"\s", "", m.group(1))
        expected = IBAN_LENGTHS.get(compact[:2])
        if expected is not None and len(compact) >= expected:
            return compact[:expected]
    return None


def _iban_length_ok(raw: str) -> bool:
    compact = re.sub(r"\s", "", raw)
    n = IBAN_LENGTHS.get(compact[:2], 99)
    return len(compact) >= n and iban_checksum_ok(compact[:n])


def iban_checksum_ok(value: str) -> bool:
    return bool(_iban.is_valid(value))


_OGM_RE = re.compile(r"[+*]{3}\s*(\d{3})\s*/\s*(\d{4})\s*/\s*(\d{5})\s*[+*]{3}")


def parse_ogm(text: str) -> str | None:
    """Belgian structured communication '+++123/4567/89012+++' -> '123456789012'."""
    m = _OGM_RE.search(text)
    return "".join(m.groups()) if m else None


def ogm_checksum_ok(digits: str) -> bool:
    if len(digits) != 12 or not digits.isdigit():
        return False
    check = int(digits[:10]) % 97 or 97
    return check == int(digits[10:])
