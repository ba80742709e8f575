"""Reminders: Belgian consumer (book XIX) and company (law of 2 August 2002) rules, ageing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from invoicing.model import Language
from invoicing.reminders import (
    Channel,
    OpenInvoice,
    ReminderLevel,
    ReminderPolicy,
    SentReminder,
    ageing,
    belgian_holidays,
    consumer_damages_cap,
    consumer_wait_end,
    late_interest,
    parse_reference_rates,
    reminders_due,
)

POLICY = ReminderPolicy("Bakkerij De Smet BV", "0403.170.701", consumer_damages_clause=True)


def _item(key: str = "F1", *, consumer: bool, amount: str = "200.00", lang=Language.NL,  # type: ignore[no-untyped-def]
          due: dt.date = dt.date(2026, 3, 1)) -> OpenInvoice:  # fmt: skip
    return OpenInvoice(key, f"F2026-{key}", "C1", "Jan Peeters", consumer, lang,
                       dt.date(2026, 2, 1), due, D(amount), D(amount), "Taart",
                       "+++007/2600/01271+++")  # fmt: skip


@pytest.mark.parametrize(
    ("amount", "cap"),
    [("100", "20.00"), ("150", "20.00"), ("150.01", "30.00"), ("400", "55.00"),
     ("500", "65.00"), ("1000", "90.00"), ("40000", "2000.00"), ("1000000", "2000.00")],
)  # fmt: skip
def test_consumer_damages_brackets(amount: str, cap: str) -> None:
    assert consumer_damages_cap(D(amount)) == D(cap)


def test_wait_starts_the_day_after_an_email_or_the_third_working_day_after_a_letter() -> None:
    # E-mail on Friday 2026-03-06: days run from Saturday the 7th, charges from the 21st.
    assert consumer_wait_end(dt.date(2026, 3, 6), Channel.EMAIL) == dt.date(2026, 3, 21)
    # Letter on Friday 2026-03-06: working days Mon 9, Tue 10, Wed 11 -> from the 11th.
    assert consumer_wait_end(dt.date(2026, 3, 6), Channel.LETTER) == dt.date(2026, 3, 25)
    # Letter on Thursday 2026-04-02: Good Friday is a working day, Easter Monday (6th) is not.
    assert consumer_wait_end(dt.date(2026, 4, 2), Channel.LETTER) == dt.date(2026, 4, 22)
    assert dt.date(2026, 4, 6) in belgian_holidays(2026)
    assert dt.date(2026, 5, 14) in belgian_holidays(2026)  # Ascension


def test_consumer_first_reminder_is_free_and_announces_the_damages() -> None:
    item = _item(consumer=True)
    assert reminders_due([item], [], dt.date(2026, 3, 7), POLICY) == ()
    (first,) = reminders_due([item], [], dt.date(2026, 3, 8), POLICY)
    assert first.level is ReminderLevel.FIRST
    assert (first.fee, first.interest, first.damages) == (D("0.00"),) * 3
    assert first.pay_by == dt.date(2026, 3, 23)
    assert "kosteloos" in first.body
    assert "EUR 35,00" in first.body  # 30 + 10 % of 50 announced
    assert "0403.170.701" in first.body
    assert "Taart" in first.body
    assert "01/03/2026" in first.body


def test_consumer_second_reminder_waits_14_days_and_is_capped() -> None:
    item = _item(consumer=True)
    sent = [SentReminder("F1", ReminderLevel.FIRST, dt.date(2026, 3, 8), Channel.EMAIL)]
    assert reminders_due([item], sent, dt.date(2026, 3, 22), POLICY) == ()
    (second,) = reminders_due([item], sent, dt.date(2026, 3, 23), POLICY)
    assert second.level is ReminderLevel.SECOND
    assert second.fee == D("7.50")
    assert second.damages == D("35.00")
    assert second.interest > 0
    letter = ReminderPolicy("X", "0403170701", channel=Channel.LETTER, postage=D("1.95"))
    (by_post,) = reminders_due([item], sent, dt.date(2026, 3, 23), letter)
    assert (by_post.fee, by_post.damages, by_post.interest) == (D("9.45"), D("0.00"), D("0.00"))
    with pytest.raises(ValueError, match=r"7\.50"):
        ReminderPolicy("X", "0403170701", consumer_reminder_fee=D("10"))


def test_company_interest_from_the_day_after_due_plus_40_flat() -> None:
    item = _item(consumer=False, amount="1000.00", due=dt.date(2025, 12, 31))
    (first,) = reminders_due([item], [], dt.date(2026, 1, 31), POLICY)
    assert first.fee == D("40.00")
    # 31 days in 2026-H1 at 10.5 %: 1000 x 0.105 x 31 / 365 = 8.92
    assert first.interest == D("8.92")
    assert late_interest(D("1000"), dt.date(2025, 6, 29), dt.date(2025, 7, 2)) == (
        (D(1000) * D("11.5") / 100 / 365 + D(1000) * D("10.5") * 2 / 100 / 365).quantize(D("0.01")),
        True,
    )
    _, known = late_interest(D("1000"), dt.date(2026, 6, 1), dt.date(2026, 8, 1))
    assert known is False


def test_a_firm_adds_the_next_half_year_rate_and_bad_items_are_named() -> None:
    assert parse_reference_rates("2026-2=12, 2027-1 = 10,5 %") == {
        (2026, 2): D("12"),
        (2027, 1): D("10.5"),
    }
    assert parse_reference_rates("") == {}
    for bad in ("2026-3=10", "2026=10", "2026-2:10", "2026-2=ten", "2026-2=80", "1999-1=5"):
        with pytest.raises(ValueError, match=r"2026|1999"):
            parse_reference_rates(bad)
    policy = ReminderPolicy("Bakkerij De Smet BV", "0403.170.701", rates={(2026, 2): D("12")})
    item = _item(consumer=False, amount="1000.00", due=dt.date(2026, 7, 1))
    (first,) = reminders_due([item], [], dt.date(2026, 8, 1), policy)
    assert first.interest == (D(1000) * D("12") * 31 / 100 / 365).quantize(D("0.01"))
    assert not any("reference rate missing" in w for w in first.warnings)


def test_levels_advance_and_stop_after_formal_notice() -> None:
    item = _item(consumer=False, lang=Language.FR)
    sent = [
        SentReminder("F1", ReminderLevel.FIRST, dt.date(2026, 3, 8)),
        SentReminder("F1", ReminderLevel.SECOND, dt.date(2026, 3, 22)),
    ]
    (notice,) = reminders_due([item], sent, dt.date(2026, 4, 5), POLICY)
    assert notice.level is ReminderLevel.FORMAL_NOTICE
    assert notice.subject == "Mise en demeure F2026-F1"
    assert "mettons formellement en demeure" in notice.body
    done = [*sent, SentReminder("F1", ReminderLevel.FORMAL_NOTICE, dt.date(2026, 4, 5))]
    assert reminders_due([item], done, dt.date(2026, 6, 1), POLICY) == ()
    paid = OpenInvoice(**{**{f: getattr(item, f) for f in item.__slots__}, "open_amount": D(0)})  # type: ignore[attr-defined]
    assert reminders_due([paid], [], dt.date(2026, 6, 1), POLICY) == ()


def test_templates_exist_in_four_languages() -> None:
    for lang in Language:
        (r,) = reminders_due([_item(consumer=True, lang=lang)], [], dt.date(2026, 3, 8), POLICY)
        assert "F2026-F1" in r.body
        assert "+++007/2600/01271+++" in r.body


def test_ageing_buckets_per_customer() -> None:
    today = dt.date(2026, 6, 1)
    items = [
        _item("A", consumer=False, amount="10.00", due=dt.date(2026, 6, 10)),
        _item("B", consumer=False, amount="20.00", due=dt.date(2026, 5, 20)),
        _item("C", consumer=False, amount="30.00", due=dt.date(2026, 2, 1)),
    ]
    (row,) = ageing(items, today)
    assert row.buckets == (D("10.00"), D("20.00"), D(0), D(0), D("30.00"))
    assert row.total == D("60.00")


def test_subscription_consumers_get_three_free_reminders_a_year() -> None:
    import dataclasses

    item = dataclasses.replace(_item("S1", consumer=True), recurring=True)
    earlier = [
        SentReminder("S0", ReminderLevel.FIRST, dt.date(2026, 1, 10)),
        SentReminder("S0", ReminderLevel.SECOND, dt.date(2026, 1, 30)),
        SentReminder("S1", ReminderLevel.FIRST, dt.date(2026, 3, 8)),
    ]
    other = dataclasses.replace(_item("S0", consumer=True), open_amount=D(0), recurring=True)
    (second,) = reminders_due([item, other], earlier[2:], dt.date(2026, 3, 23), POLICY)
    assert second.fee == D("0.00")  # 2nd reminder of the year for this customer: free
    (paid,) = reminders_due([item, other], earlier, dt.date(2026, 3, 23), POLICY)
    assert paid.fee == D("7.50")  # the customer's 4th reminder this year
    last_year = [SentReminder(r.invoice_key, r.level, r.sent_on.replace(year=2025))
                 for r in earlier[:2]] + earlier[2:]  # fmt: skip
    (free_again,) = reminders_due([item, other], last_year, dt.date(2026, 3, 23), POLICY)
    assert free_again.fee == D("0.00")
