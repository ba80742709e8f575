"""Opening balances: a trial balance CSV read strictly, and balances carried to the next bookyear.

A trial balance is ``account;debit;credit`` per line (an optional header line, ``,`` or
``.`` as decimal mark).  Every problem is reported with its line number and nothing is
returned unless the whole file is right: the caller saves all of it or none.

Carrying: the balance-sheet classes 1-5 are carried account by account; the result of
the year (classes 6 and 7) is carried on 140000 (profit carried forward) or 141000 (loss
carried forward), so the opening entry balances (MAR/PCMN class 14).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from booking.amounts import CENT, ZERO, plain_number

__all__ = [
    "LOSS_CARRIED",
    "MAX_BYTES",
    "MAX_LINES",
    "PROFIT_CARRIED",
    "OpeningError",
    "OpeningLine",
    "carry_forward",
    "parse_trial_balance",
]

MAX_BYTES = 2_000_000
MAX_LINES = 20_000
PROFIT_CARRIED = "140000"
LOSS_CARRIED = "141000"
BALANCE_CLASSES = frozenset("12345")


class OpeningError(ValueError):
    """The file is refused; ``problems`` lists every reason with its line number."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems[:20]) + (" …" if len(problems) > 20 else ""))
        self.problems = tuple(problems)


@dataclass(frozen=True, slots=True)
class OpeningLine:
    account: str
    debit: Decimal
    credit: Decimal


def _amount(text: str) -> Decimal:
    cleaned = plain_number(text)  # 1.234,56 / 1,234.56 / 1 234,56
    if not cleaned:
        return ZERO
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{text.strip()!r} is not an amount") from None
    if not value.is_finite():
        raise ValueError(f"{text.strip()!r} is not an amount")
    if value != value.quantize(CENT):
        raise ValueError(f"{text.strip()} has more than two decimals")
    if value < 0:
        raise ValueError(f"{text.strip()} is negative (put it in the other column)")
    return value


def parse_trial_balance(data: bytes, chart: Iterable[str] | None = None) -> list[OpeningLine]:
    """The lines of a trial balance CSV; raises :class:`OpeningError` listing every problem."""
    if len(data) > MAX_BYTES:
        raise OpeningError([f"the file is larger than {MAX_BYTES // 1_000_000} MB"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    rows = text.splitlines()
    if len(rows) > MAX_LINES:
        raise OpeningError([f"the file has more than {MAX_LINES} lines"])
    accounts = None if chart is None else set(chart)
    problems: list[str] = []
    out: list[OpeningLine] = []
    seen: dict[str, int] = {}
    for n, row in enumerate(rows, start=1):
        if not row.strip():
            continue
        cells = [c.strip().strip('"') for c in row.split(";")]
        if n == 1 and cells and not cells[0][:1].isdigit():
            continue  # a header
        where = f"line {n}"
        if len(cells) != 3:
            problems.append(f"{where}: expected account;debit;credit, found {len(cells)} fields")
            continue
        account = cells[0]
        if not account.isdigit() or len(account) > 12:
            problems.append(f"{where}: {account[:20]!r} is not an account number")
            continue
        if account[0] not in BALANCE_CLASSES:
            problems.append(
                f"{where}: account {account} is a result account (class {account[0]}); "
                "opening balances carry classes 1-5 only"
            )
            continue
        if accounts is not None and account not in accounts:
            problems.append(f"{where}: account {account} is not in the dossier's chart")
            continue
        try:
            debit, credit = _amount(cells[1]), _amount(cells[2])
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if debit and credit:
            problems.append(f"{where}: account {account} has both a debit and a credit")
            continue
        if account in seen:
            problems.append(f"{where}: account {account} is already on line {seen[account]}")
            continue
        seen[account] = n
        if debit or credit:
            out.append(OpeningLine(account, debit, credit))
    if not problems and not out:
        problems.append("the file has no balances")
    if not problems:
        debit = sum((ln.debit for ln in out), ZERO)
        credit = sum((ln.credit for ln in out), ZERO)
        if debit != credit:
            problems.append(
                f"the trial balance does not balance: debit {debit}, credit {credit} "
                f"(difference {debit - credit})"
            )
    if problems:
        raise OpeningError(problems)
    return out


def carry_forward(balances: Mapping[str, Decimal]) -> list[OpeningLine]:
    """The opening lines of the next bookyear from closing balances (debit minus credit).

    Classes 1-5 are carried per account; classes 6-7 add up to the result, carried on
    :data:`PROFIT_CARRIED` (a profit, credit) or :data:`LOSS_CARRIED` (a loss, debit).
    """
    out: list[OpeningLine] = []
    result = ZERO  # debit minus credit of classes 6-7: negative is a profit
    carried: dict[str, Decimal] = {}
    for account, balance in balances.items():
        if account[:1] in BALANCE_CLASSES:
            carried[account] = carried.get(account, ZERO) + balance
        elif account[:1] in "67":
            result += balance
    if result < 0:
        carried[PROFIT_CARRIED] = carried.get(PROFIT_CARRIED, ZERO) + result
    elif result > 0:
        carried[LOSS_CARRIED] = carried.get(LOSS_CARRIED, ZERO) + result
    for account in sorted(carried):
        balance = carried[account].quantize(CENT)
        if balance > 0:
            out.append(OpeningLine(account, balance, ZERO))
        elif balance < 0:
            out.append(OpeningLine(account, ZERO, -balance))
    return out
