"""Open items, ageing and payment reminders under Belgian rules (pure).

Consumers (Code of Economic Law, book XIX, in force since 2023-09-01):

* the first reminder is free and states the amount due, the damages and interest that will
  be claimed, the creditor's name and enterprise number, the goods or service and its due
  date, and the deadline to pay before anything is charged;
* nothing may be charged before 14 calendar days have passed, counted from the day after
  the reminder was sent by e-mail, or from the third working day after it was posted;
* a later reminder costs at most EUR 7.50 plus postage; for a regular supply
  (subscription, ``OpenInvoice.recurring``) the first three reminders of a calendar year
  are free;
* damages (only if the contract provides them) are capped by bracket of the amount due:
  EUR 20 up to 150; EUR 30 + 10 % of the part between 150.01 and 500; EUR 65 + 5 % of the
  part above 500, with EUR 2,000 at most; interest at most the rate of the law of
  2 August 2002.

Companies (law of 2 August 2002 on late payment in commercial transactions): interest runs
from the day after the due date without notice, at the reference rate of the half-year
(:data:`REFERENCE_RATES`, extend it every half-year), plus a flat EUR 40 recovery fee.

What to send is :func:`reminders_due`: given the open items and the reminders already sent,
the reminders due today.  Sending and remembering what was sent (idempotency) is the
caller's job.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum, StrEnum

from invoicing.model import CENT, Language
from invoicing.texts import fmt_date, fmt_money, label

__all__ = [
    "AGEING_BUCKETS",
    "REFERENCE_RATES",
    "AgeingRow",
    "Channel",
    "DueReminder",
    "OpenInvoice",
    "ReminderLevel",
    "ReminderPolicy",
    "SentReminder",
    "ageing",
    "belgian_holidays",
    "consumer_damages_cap",
    "consumer_wait_end",
    "late_interest",
    "parse_reference_rates",
    "reference_rate",
    "reminders_due",
]

_ZERO = Decimal("0.00")

#: Law of 2 August 2002 reference rates by (year, half): the ECB main refinancing rate on the
#: first day of the half-year + 8 points, rounded up to the next half point, published by
#: the FPS Finance as a notice in the Belgian Official Gazette (Moniteur belge / Belgisch
#: Staatsblad) each half-year.  Checked on 6 December 2026 against published reports of
#: those notices (the FPS Finance notices themselves were not at hand):
#:
#: * 2023/1 10.5 %: notice of the Gazette of 17 March 2023 (elegis.be, "Augmentation du
#:   taux d'intérêt applicable dans les transactions commerciales");
#: * 2023/2 12 %: avocation.be, "Retards de paiement";
#: * 2024/1 12.5 %: medenam.be (?p=182); 2024/2 12.5 %: "unchanged", Gazette of 30 July
#:   (trendstop.levif.be) and Schoups ("both half-years of 2024: 12.5 %", leuropeinfo.eu
#:   ?p=1197);
#: * 2025/1 11.5 %: Schoups (leuropeinfo.eu ?p=1197, FPS Finance note to the Gazette);
#: * 2025/2 and 2026/1 10.5 %: Embuild, "Le retard de paiement : le taux d'intérêt
#:   applicable en 2026" (2026/1 "unchanged, still 10.50", announced before the notice).
#:
#: 2026/2 is not in the table: no published value was found, so interest for it runs at
#: the last known rate and the reminder says so (:func:`reference_rate`).  Extend the
#: table every half-year from the Gazette notice; until a release does, a firm adds the
#: new rate with ``BOEKBOX_LATE_INTEREST_RATES`` (:func:`parse_reference_rates`).
REFERENCE_RATES: dict[tuple[int, int], Decimal] = {
    (2023, 1): Decimal("10.5"),
    (2023, 2): Decimal("12.0"),
    (2024, 1): Decimal("12.5"),
    (2024, 2): Decimal("12.5"),
    (2025, 1): Decimal("11.5"),
    (2025, 2): Decimal("10.5"),
    (2026, 1): Decimal("10.5"),
}


_RATE_ITEM = re.compile(r"\s*(\d{4})-([12])\s*=\s*(\d{1,3}(?:[.,]\d{1,4})?)\s*%?\s*(?=[,;]|$)")


def parse_reference_rates(text: str) -> dict[tuple[int, int], Decimal]:
    """Half-year rates a firm adds or corrects without a new release, as the setting
    ``BOEKBOX_LATE_INTEREST_RATES`` holds them: ``2026-2=10.5, 2027-1=10,5 %``.

    Raises :class:`ValueError` naming the bad item."""
    found: dict[tuple[int, int], Decimal] = {}
    rest = text or ""
    for m in _RATE_ITEM.finditer(rest):
        rate = Decimal(m.group(3).replace(",", "."))
        if not 0 <= rate <= 50 or not 2000 <= int(m.group(1)) <= 2100:
            raise ValueError(f"{m.group(0).strip()!r}: a rate between 0 and 50 % for 2000-2100")
        found[(int(m.group(1)), int(m.group(2)))] = rate
    leftover = _RATE_ITEM.sub(" ", rest).replace(",", " ").replace(";", " ").split()
    if leftover:
        raise ValueError(f"{leftover[0]!r} is not YEAR-HALF=RATE (for instance 2026-2=10.5)")
    return found


class ReminderLevel(IntEnum):
    FIRST = 1
    SECOND = 2
    FORMAL_NOTICE = 3


class Channel(StrEnum):
    EMAIL = "email"
    LETTER = "letter"


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """An issued invoice not (fully) paid; ``open_amount`` is what is still due."""

    key: str
    number: str
    customer_key: str
    customer_name: str
    is_consumer: bool
    language: Language
    issue_date: _dt.date
    due_date: _dt.date
    total: Decimal
    open_amount: Decimal
    description: str = ""
    structured_communication: str | None = None
    recurring: bool = False  # regular supply (subscription): 3 free reminders a calendar year


@dataclass(frozen=True, slots=True)
class SentReminder:
    invoice_key: str
    level: ReminderLevel
    sent_on: _dt.date
    channel: Channel = Channel.EMAIL


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    """The dossier's reminder settings.  ``consumer_damages_clause``: the terms provide
    damages and interest for consumers (without it, none may be claimed)."""

    creditor_name: str
    creditor_enterprise_number: str
    first_after_days: int = 7
    days_between: int = 14
    channel: Channel = Channel.EMAIL
    consumer_damages_clause: bool = False
    consumer_reminder_fee: Decimal = Decimal("7.50")
    postage: Decimal = Decimal("0.00")
    company_flat_fee: Decimal = Decimal("40.00")
    company_interest: bool = True
    rates: dict[tuple[int, int], Decimal] = field(default_factory=lambda: dict(REFERENCE_RATES))

    def __post_init__(self) -> None:
        if self.consumer_reminder_fee > Decimal("7.50"):
            raise ValueError("book XIX: a consumer reminder costs at most EUR 7.50 plus postage")
        if self.first_after_days < 1 or self.days_between < 14:
            raise ValueError("reminders: first after >= 1 day, then at least 14 days apart")


@dataclass(frozen=True, slots=True)
class DueReminder:
    invoice: OpenInvoice
    level: ReminderLevel
    channel: Channel
    amount_due: Decimal
    fee: Decimal
    interest: Decimal
    damages: Decimal
    pay_by: _dt.date
    subject: str
    body: str
    warnings: tuple[str, ...] = ()

    @property
    def total_claimed(self) -> Decimal:
        return self.amount_due + self.fee + self.interest + self.damages


# -- calendar ---------------------------------------------------------------------------


def _easter(year: int) -> _dt.date:
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return _dt.date(year, month, day + 1)


def belgian_holidays(year: int) -> frozenset[_dt.date]:
    """The ten Belgian public holidays of ``year``."""
    easter = _easter(year)
    fixed = [(1, 1), (5, 1), (7, 21), (8, 15), (11, 1), (11, 11), (12, 25)]
    moving = [easter + _dt.timedelta(days=n) for n in (1, 39, 50)]
    return frozenset([_dt.date(year, m, d) for m, d in fixed] + moving)


def _working_day(day: _dt.date) -> bool:
    return day.weekday() < 5 and day not in belgian_holidays(day.year)


def consumer_wait_end(sent_on: _dt.date, channel: Channel) -> _dt.date:
    """First day a consumer may be charged after a reminder sent on ``sent_on``.

    The 14 calendar days start the day after an e-mail, or on the third working day after
    a letter was posted; charges are possible once the 14 days are over.
    """
    if channel is Channel.EMAIL:
        start = sent_on + _dt.timedelta(days=1)
    else:
        start, seen = sent_on, 0
        while seen < 3:
            start += _dt.timedelta(days=1)
            seen += _working_day(start)
    return start + _dt.timedelta(days=14)


# -- amounts ----------------------------------------------------------------------------


def consumer_damages_cap(amount_due: Decimal) -> Decimal:
    """Book XIX cap on damages for a consumer debt of ``amount_due``."""
    if amount_due <= Decimal("150"):
        cap = Decimal("20")
    elif amount_due <= Decimal("500"):
        cap = Decimal("30") + (amount_due - Decimal("150")) * Decimal("0.10")
    else:
        cap = min(Decimal("65") + (amount_due - Decimal("500")) * Decimal("0.05"), Decimal(2000))
    return cap.quantize(CENT, ROUND_HALF_UP)


def reference_rate(
    day: _dt.date, rates: dict[tuple[int, int], Decimal] = REFERENCE_RATES
) -> tuple[Decimal, bool]:
    """The rate of ``day``'s half-year, and False when it is missing (last known rate used)."""
    key = (day.year, 1 if day.month <= 6 else 2)
    if key in rates:
        return rates[key], True
    earlier = [k for k in rates if k <= key]
    return rates[max(earlier) if earlier else min(rates)], False


def late_interest(
    amount: Decimal,
    due_date: _dt.date,
    until: _dt.date,
    rates: dict[tuple[int, int], Decimal] = REFERENCE_RATES,
) -> tuple[Decimal, bool]:
    """Simple interest on ``amount`` from the day after ``due_date`` through ``until``
    (actual days / 365), at each half-year's rate; and whether every rate was known."""
    total, known = Decimal(0), True
    day = due_date + _dt.timedelta(days=1)
    while day <= until:
        half_end = _dt.date(day.year, 6, 30) if day.month <= 6 else _dt.date(day.year, 12, 31)
        last = min(half_end, until)
        days = (last - day).days + 1
        rate, ok = reference_rate(day, rates)
        known = known and ok
        total += amount * rate / 100 * days / 365
        day = last + _dt.timedelta(days=1)
    return total.quantize(CENT, ROUND_HALF_UP), known


# -- ageing ----------------------------------------------------------------------------

AGEING_BUCKETS = ("not_due", "1-30", "31-60", "61-90", "90+")


@dataclass(frozen=True, slots=True)
class AgeingRow:
    customer_key: str
    customer_name: str
    buckets: tuple[Decimal, ...]  # in AGEING_BUCKETS order
    items: tuple[OpenInvoice, ...]

    @property
    def total(self) -> Decimal:
        return sum(self.buckets, _ZERO)


def _bucket(days_late: int) -> int:
    if days_late <= 0:
        return 0
    if days_late <= 30:
        return 1
    if days_late <= 60:
        return 2
    return 3 if days_late <= 90 else 4


def ageing(items: Iterable[OpenInvoice], today: _dt.date) -> tuple[AgeingRow, ...]:
    """Open amounts per customer by days past the due date (largest total first)."""
    grouped: dict[str, list[OpenInvoice]] = defaultdict(list)
    for item in items:
        if item.open_amount > 0:
            grouped[item.customer_key].append(item)
    rows = []
    for key, its in grouped.items():
        buckets = [_ZERO] * len(AGEING_BUCKETS)
        for it in its:
            buckets[_bucket((today - it.due_date).days)] += it.open_amount
        its.sort(key=lambda i: i.due_date)
        rows.append(AgeingRow(key, its[0].customer_name, tuple(buckets), tuple(its)))
    return tuple(sorted(rows, key=lambda r: (-r.total, r.customer_name)))


# -- what is due today --------------------------------------------------------------------


def _eligible(item: OpenInvoice, last: SentReminder | None, policy: ReminderPolicy) -> _dt.date:
    if last is None:
        return item.due_date + _dt.timedelta(days=policy.first_after_days)
    when = last.sent_on + _dt.timedelta(days=policy.days_between)
    if item.is_consumer:
        when = max(when, consumer_wait_end(last.sent_on, last.channel))
    return when


def reminders_due(
    items: Iterable[OpenInvoice],
    sent: Iterable[SentReminder],
    today: _dt.date,
    policy: ReminderPolicy,
) -> tuple[DueReminder, ...]:
    """The reminders to send today: the next level of each overdue open item whose waiting
    time is over.  At most one per item; nothing after the formal notice."""
    items = list(items)
    customer_of = {item.key: item.customer_key for item in items}
    last: dict[str, SentReminder] = {}
    this_year: dict[str, int] = defaultdict(int)  # reminders per customer this calendar year
    for reminder in sent:
        seen = last.get(reminder.invoice_key)
        if seen is None or (reminder.level, reminder.sent_on) > (seen.level, seen.sent_on):
            last[reminder.invoice_key] = reminder
        if reminder.sent_on.year == today.year and reminder.invoice_key in customer_of:
            this_year[customer_of[reminder.invoice_key]] += 1
    out = []
    for item in items:
        if item.open_amount <= 0 or today <= item.due_date:
            continue
        previous = last.get(item.key)
        if previous is not None and previous.level is ReminderLevel.FORMAL_NOTICE:
            continue
        if today < _eligible(item, previous, policy):
            continue
        level = ReminderLevel(1 if previous is None else previous.level + 1)
        free = item.recurring and this_year[item.customer_key] < 3
        out.append(_reminder(item, level, today, policy, free_reminder=free))
        this_year[item.customer_key] += 1
    return tuple(out)


def _reminder(
    item: OpenInvoice,
    level: ReminderLevel,
    today: _dt.date,
    policy: ReminderPolicy,
    *,
    free_reminder: bool = False,
) -> DueReminder:
    channel = policy.channel
    fee = interest = damages = _ZERO
    warnings: list[str] = []
    if item.is_consumer:
        pay_by = consumer_wait_end(today, channel)
        if level > ReminderLevel.FIRST:
            if not free_reminder:
                fee = policy.consumer_reminder_fee
                if channel is Channel.LETTER:
                    fee += policy.postage
            if policy.consumer_damages_clause:
                damages = consumer_damages_cap(item.open_amount)
                interest, known = late_interest(item.open_amount, item.due_date, today,
                                                policy.rates)  # fmt: skip
                if not known:
                    warnings.append("reference rate missing for a half-year: last known used")
        announced = (
            consumer_damages_cap(item.open_amount) if policy.consumer_damages_clause else _ZERO
        )
    else:
        pay_by = today + _dt.timedelta(days=policy.days_between)
        if policy.company_interest:
            interest, known = late_interest(item.open_amount, item.due_date, today, policy.rates)
            if not known:
                warnings.append("reference rate missing for a half-year: last known used")
        fee = policy.company_flat_fee
        announced = _ZERO
    subject, body = _render(item, level, policy, fee, interest, damages, pay_by, announced)
    return DueReminder(item, level, channel, item.open_amount, fee, interest, damages, pay_by,
                       subject, body, tuple(warnings))  # fmt: skip


_TEMPLATES: dict[Language, dict[str, str]] = {
    Language.NL: {
        "greeting": "Beste {name},",
        "1": "Wij hebben de betaling van factuur {number} van {issued} ({what}), vervallen op "
        "{due}, nog niet ontvangen. Het openstaande bedrag is EUR {amount}.",
        "2": "Ondanks onze herinnering blijft factuur {number} ({what}), vervallen op {due}, "
        "onbetaald. Het openstaande bedrag is EUR {amount}.",
        "3": "Wij stellen u hierbij formeel in gebreke voor de betaling van factuur {number} "
        "({what}), vervallen op {due}: EUR {amount}.",
        "pay": "Gelieve EUR {total} te betalen uiterlijk op {pay_by} met de mededeling {ogm}.",
        "fees": "Aangerekend: kosten EUR {fee}, intresten EUR {interest}, "
        "schadevergoeding EUR {damages}.",
        "announce": "Zonder betaling binnen deze termijn kunnen een schadevergoeding van "
        "EUR {announced} en intresten worden aangerekend.",
        "free": "Deze eerste herinnering is kosteloos.",
        "sign": "Met vriendelijke groeten,\n{creditor} (ondernemingsnummer {kbo})",
    },
    Language.FR: {
        "greeting": "Madame, Monsieur {name},",
        "1": "Nous n'avons pas encore reçu le paiement de la facture {number} du {issued} "
        "({what}), échue le {due}. Le montant ouvert est de EUR {amount}.",
        "2": "Malgré notre rappel, la facture {number} ({what}), échue le {due}, reste "
        "impayée. Le montant ouvert est de EUR {amount}.",
        "3": "Par la présente, nous vous mettons formellement en demeure de payer la facture "
        "{number} ({what}), échue le {due} : EUR {amount}.",
        "pay": "Veuillez payer EUR {total} au plus tard le {pay_by} avec la communication {ogm}.",
        "fees": "Portés en compte : frais EUR {fee}, intérêts EUR {interest}, "
        "indemnité EUR {damages}.",
        "announce": "À défaut de paiement dans ce délai, une indemnité de EUR {announced} et "
        "des intérêts pourront être réclamés.",
        "free": "Ce premier rappel est gratuit.",
        "sign": "Veuillez agréer nos salutations distinguées,\n{creditor} "
        "(numéro d'entreprise {kbo})",
    },
    Language.DE: {
        "greeting": "Sehr geehrte(r) {name},",
        "1": "Wir haben die Zahlung der Rechnung {number} vom {issued} ({what}), fällig am "
        "{due}, noch nicht erhalten. Der offene Betrag beträgt EUR {amount}.",
        "2": "Trotz unserer Erinnerung ist die Rechnung {number} ({what}), fällig am {due}, "
        "weiterhin unbezahlt. Der offene Betrag beträgt EUR {amount}.",
        "3": "Hiermit setzen wir Sie förmlich in Verzug für die Zahlung der Rechnung {number} "
        "({what}), fällig am {due}: EUR {amount}.",
        "pay": "Bitte zahlen Sie EUR {total} spätestens am {pay_by} mit der Mitteilung {ogm}.",
        "fees": "Berechnet: Kosten EUR {fee}, Zinsen EUR {interest}, Schadenersatz EUR {damages}.",
        "announce": "Ohne Zahlung innerhalb dieser Frist können Schadenersatz von "
        "EUR {announced} und Zinsen berechnet werden.",
        "free": "Diese erste Erinnerung ist kostenlos.",
        "sign": "Mit freundlichen Grüßen\n{creditor} (Unternehmensnummer {kbo})",
    },
    Language.EN: {
        "greeting": "Dear {name},",
        "1": "We have not yet received payment of invoice {number} of {issued} ({what}), due "
        "on {due}. The amount outstanding is EUR {amount}.",
        "2": "Despite our reminder, invoice {number} ({what}), due on {due}, remains unpaid. "
        "The amount outstanding is EUR {amount}.",
        "3": "We hereby give you formal notice to pay invoice {number} ({what}), due on "
        "{due}: EUR {amount}.",
        "pay": "Please pay EUR {total} by {pay_by} at the latest, with reference {ogm}.",
        "fees": "Charged: costs EUR {fee}, interest EUR {interest}, damages EUR {damages}.",
        "announce": "Without payment within this period, damages of EUR {announced} and "
        "interest may be charged.",
        "free": "This first reminder is free of charge.",
        "sign": "Kind regards,\n{creditor} (enterprise number {kbo})",
    },
}
_SUBJECT_KEYS = {1: "reminder_1", 2: "reminder_2", 3: "formal_notice"}


def _render(
    item: OpenInvoice, level: ReminderLevel, policy: ReminderPolicy, fee: Decimal,
    interest: Decimal, damages: Decimal, pay_by: _dt.date, announced: Decimal,
) -> tuple[str, str]:  # fmt: skip
    lang = item.language
    t = _TEMPLATES[lang]

    def m(v: Decimal) -> str:
        return fmt_money(v, lang)

    values = {
        "name": item.customer_name,
        "number": item.number,
        "issued": fmt_date(item.issue_date, lang),
        "what": item.description or item.number,
        "due": fmt_date(item.due_date, lang),
        "amount": m(item.open_amount),
        "total": m(item.open_amount + fee + interest + damages),
        "pay_by": fmt_date(pay_by, lang),
        "ogm": item.structured_communication or item.number,
        "fee": m(fee),
        "interest": m(interest),
        "damages": m(damages),
        "announced": m(announced),
        "creditor": policy.creditor_name,
        "kbo": policy.creditor_enterprise_number,
    }
    parts = [t["greeting"], t[str(int(level))]]
    if fee or interest or damages:
        parts.append(t["fees"])
    if item.is_consumer and level is ReminderLevel.FIRST:
        parts.append(t["free"])
        if announced:
            parts.append(t["announce"])
    parts += [t["pay"], t["sign"]]
    body = "\n\n".join(p.format(**values) for p in parts)
    subject = f"{label(lang, _SUBJECT_KEYS[int(level)])} {item.number}"
    return subject, body
