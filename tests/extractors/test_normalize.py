"""Normalisers: amounts, dates, VAT numbers, IBANs, Belgian structured communication."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from _paths import ROOT  # noqa: F401
from hypothesis import given
from hypothesis import strategies as st

from extractors.normalize import (
    find_vats,
    iban_checksum_ok,
    numeric_date_order_hint,
    ogm_checksum_ok,
    parse_amount,
    parse_date,
    parse_iban,
    parse_ogm,
    parse_percent,
    parse_vat,
    repair_digits,
    vat_checksum_ok,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,56", "1234.56"),
        ("1 234,56 €", "1234.56"),
        ("1\u202f234,56 €", "1234.56"),
        ("EUR 1,234.56", "1234.56"),
        ("-12,00", "-12.00"),
        ("12,00-", "-12.00"),
        ("€ 189,00-", "-189.00"),
        ("−4,10 €", "-4.10"),
        ("(5.00)", "-5.00"),
        ("$4.11", "4.11"),
        ("1.005,55", "1005.55"),
        ("1.000", "1000"),
        ("0.025", "0.025"),
        ("9,9000", "9.9000"),
    ],
)
def test_amounts(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "1.2.3,4.5", "12,34,56.7,8", "€", "1,2345,67"])
def test_not_amounts(text: str) -> None:
    assert parse_amount(text) is None


def test_decimals_required() -> None:
    assert parse_amount("2014", decimals_required=True) is None
    assert parse_amount("2014,00", decimals_required=True) == Decimal("2014.00")


def _format(value: Decimal, style: str) -> str:
    sign = "-" if value < 0 else ""
    q = abs(value).quantize(Decimal("0.01"))
    whole, frac = f"{q:.2f}".split(".")
    groups = f"{int(whole):,}"
    if style == "nl":
        return f"{sign}{groups.replace(',', '.')},{frac}"
    if style == "en":
        return f"EUR {sign}{groups},{frac}".replace(f"{groups},{frac}", f"{groups}.{frac}")
    if style == "fr":
        return f"{sign}{groups.replace(',', ' ')},{frac} €"
    return f"{groups.replace(',', '.')},{frac}" + ("-" if sign else "")


@given(
    st.decimals(min_value=Decimal("-9999999.99"), max_value=Decimal("9999999.99"), places=2),
    st.sampled_from(["nl", "en", "fr", "trailing-minus"]),
)
def test_amount_round_trip(value: Decimal, style: str) -> None:
    assert parse_amount(_format(value, style)) == value


@pytest.mark.parametrize(
    ("text", "expected", "us"),
    [
        ("21-04-2016", "2016-04-21", False),
        ("31.12.2024", "2024-12-31", False),
        ("26.10.22", "2022-10-26", False),
        ("11/03/2017", "2017-03-11", False),
        ("02/17/26", "2026-02-17", True),
        ("03/04/2023", "2023-03-04", True),
        ("27 november 2026", "2026-11-27", False),
        ("27 novembre 2026", "2026-11-27", False),
        ("27. November 2026", "2026-11-27", False),
        ("7. Mai 2014", "2014-05-07", False),
        ("19 april 2014", "2014-04-19", False),
        ("August 3 , 2014", "2014-08-03", False),
        ("02 Juillet 2015", "2015-07-02", False),
        ("1er mars 2024", "2024-03-01", False),
        ("2020-11-21", "2020-11-21", False),
    ],
)
def test_dates(text: str, expected: str, us: bool) -> None:
    assert parse_date(text, us=us) == dt.date.fromisoformat(expected)


def test_date_order_evidence() -> None:
    assert numeric_date_order_hint("Due 02/17/26") == "us"
    assert numeric_date_order_hint("Date 31/12/2018") == "eu"
    assert numeric_date_order_hint("01/02/2020") is None


_MONTHS = {
    "nl": [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "de": [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}


@given(
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31)),
    st.sampled_from(sorted(_MONTHS)),
    st.booleans(),
)
def test_date_round_trip(day: dt.date, lang: str, numeric: bool) -> None:
    if numeric:
        text = f"{day.day:02d}/{day.month:02d}/{day.year}"
    elif lang == "de":
        text = f"{day.day}. {_MONTHS[lang][day.month - 1]} {day.year}"
    elif lang == "en":
        text = f"{_MONTHS[lang][day.month - 1]} {day.day}, {day.year}"
    else:
        text = f"{day.day} {_MONTHS[lang][day.month - 1]} {day.year}"
    assert parse_date(f"Datum: {text}") == day


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BTW: BE0505890632", "BE0505890632"),
        ("BE 0505.890.632", "BE0505890632"),
        ("BE 505.890.632", "BE0505890632"),
        ("BTW nr.: NL820471616B01", "NL820471616B01"),
        ("N° TVA : FR 32 123 456 789", "FR32123456789"),
        ("UStId DE 232 446 240", "DE232446240"),
        ("USt-IdNr.: DE123456789", "DE123456789"),
    ],
)
def test_vat_numbers(text: str, expected: str) -> None:
    assert parse_vat(text) == expected


def test_vat_numbers_are_not_read_from_ibans_or_postcodes() -> None:
    assert find_vats("IBAN DE08 7009 0100 1234 5678 90") == []
    assert find_vats("DE 80333 München") == []


def test_vat_checksum_is_evidence() -> None:
    assert vat_checksum_ok("BE0505890632")
    assert vat_checksum_ok("NL820471616B01")
    assert not vat_checksum_ok("BE0505890633")
    # an invalid sample number is still read: checksums never filter
    assert parse_vat("BTW BE0505890633") == "BE0505890633"


def test_iban() -> None:
    assert parse_iban("IBAN : FR76 1010 7002 4500 6170 5231 739") == "FR7610107002450061705231739"
    assert parse_iban("IBAN DE08 7009 0100 1234 5678 90") == "DE08700901001234567890"
    assert iban_checksum_ok("NL98ABNA0474400964")
    assert not iban_checksum_ok("NL98ABNA0474400965")


def test_ocr_digit_repair() -> None:
    assert repair_digits("05O589O632") == "0505890632"
    assert repair_digits("l23S") == "1235"
    assert iban_checksum_ok("NL98ABNA" + repair_digits("O474400964"))


@given(st.integers(min_value=0, max_value=9_999_999_999))
def test_ogm_round_trip(base: int) -> None:
    check = base % 97 or 97
    digits = f"{base:010d}{check:02d}"
    printed = f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"
    assert parse_ogm(f"Mededeling: {printed}") == digits
    assert ogm_checksum_ok(digits)
    assert parse_ogm(printed.replace("+", "*")) == digits


def test_percent() -> None:
    assert parse_percent("21 %") == Decimal("21")
    assert parse_percent("5,5%") == Decimal("5.5")
    assert parse_percent("19.00 %") == Decimal("19")
