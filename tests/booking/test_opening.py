"""Trial balance CSV for opening balances and balances carried to the next bookyear."""

from __future__ import annotations

from decimal import Decimal

import pytest

from booking.opening import OpeningError, OpeningLine, carry_forward, parse_trial_balance

D = Decimal


def test_a_trial_balance_reads_header_decimal_commas_and_skips_zero_lines() -> None:
    data = b"rekening;debet;credit\n550000;1.234,50;\n100000;;1234,50\n400000;0;0\n"
    assert parse_trial_balance(data, ["550000", "100000", "400000"]) == [
        OpeningLine("550000", D("1234.50"), D("0.00")),
        OpeningLine("100000", D("0.00"), D("1234.50")),
    ]


def test_a_trial_balance_reads_the_english_thousands_comma_like_the_review_page() -> None:
    # "1,234.50" was read as 1.23450 and refused as "more than two decimals"
    data = b"account;debit;credit\n550000;1,234.50;\n100000;;1 234.50\n"
    assert parse_trial_balance(data, ["550000", "100000"]) == [
        OpeningLine("550000", D("1234.50"), D("0.00")),
        OpeningLine("100000", D("0.00"), D("1234.50")),
    ]


def test_every_bad_line_is_refused_with_its_number() -> None:
    data = (
        b"account;debit;credit\n"
        b"550000;100;\n"
        b"604000;5;\n"  # class 6
        b"499999;;5\n"  # not in the chart
        b"550000;1;\n"  # twice
        b"100000;abc;\n"
        b"100000;1;2\n"  # both sides
        b"101000;-3;\n"
        b"just one field\n"
    )
    with pytest.raises(OpeningError) as err:
        parse_trial_balance(data, ["550000", "100000", "101000", "604000"])
    text = "\n".join(err.value.problems)
    assert "line 3: account 604000 is a result account (class 6)" in text
    assert "line 4: account 499999 is not in the dossier's chart" in text
    assert "line 5: account 550000 is already on line 2" in text
    assert "line 6: 'abc' is not an amount" in text
    assert "line 7: account 100000 has both a debit and a credit" in text
    assert "line 8: -3 is negative" in text
    assert "line 9: expected account;debit;credit, found 1 fields" in text


def test_an_unbalanced_or_empty_trial_balance_is_refused() -> None:
    with pytest.raises(OpeningError, match=r"does not balance: debit 100.00, credit 99.99"):
        parse_trial_balance(b"550000;100,00;\n100000;;99,99\n")
    with pytest.raises(OpeningError, match="no balances"):
        parse_trial_balance(b"account;debit;credit\n")
    with pytest.raises(OpeningError, match="larger than"):
        parse_trial_balance(b"1" * 2_000_001)


def test_the_result_is_carried_on_140000_or_141000_and_the_opening_balances() -> None:
    profit = carry_forward(
        {"550000": D("1500"), "100000": D("-1000"), "700000": D("-800"), "613000": D("300")}
    )
    assert profit == [
        OpeningLine("100000", D("0.00"), D("1000.00")),
        OpeningLine("140000", D("0.00"), D("500.00")),
        OpeningLine("550000", D("1500.00"), D("0.00")),
    ]
    loss = carry_forward({"550000": D("800"), "100000": D("-1000"), "613000": D("200")})
    assert OpeningLine("141000", D("200.00"), D("0.00")) in loss
    for lines in (profit, loss):
        assert sum(ln.debit for ln in lines) == sum(ln.credit for ln in lines)
    assert carry_forward({"550000": D("0"), "613000": D("0")}) == []
