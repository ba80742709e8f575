"""The financial (bank) journal fed by CODA, shared by the payment commands of
:mod:`.invoicing` (a helper like :mod:`.approval`, not a capability).

Every bank movement is booked once in the ``bank`` journal on its date:

* money in (a credit): 550000 bank debit, the counter account credit;
* money out (a debit): the counter account debit, 550000 bank credit.

The counter account of a matched movement is the receivable account (40…) of the sales
invoice's booking, else 400000, or the payable account (44…) of the purchase entry it
pays, else 440000; an unmatched movement is booked by hand against an account of the
chart.  The checks are those of every entry (balance to the cent, accounts in the chart,
open period); a locked period refuses with its reason and nothing is saved.  550000 joins
a dossier's chart when it is missing.  A movement is recognised by its key (bank
account, statement, sequence, detail, date, amount), so the same statement imported
again in another file books nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from booking.check import check_entry
from booking.periods import lock_reason, period_info, period_of
from invoicing.coda import CodaMovement, CodaStatement
from pipeline.service.approval import is_client
from pipeline.service.core import Refused, UserView
from storage import bank_journal as store
from storage import repo
from storage.models import Dossier, utcnow

__all__ = [
    "BANK_ACCOUNT",
    "BANK_JOURNAL",
    "CUSTOMERS",
    "SUPPLIERS",
    "BankPosting",
    "lock_problems",
    "movement_key",
    "post",
]

BANK_JOURNAL = "bank"
BANK_ACCOUNT = "550000"
CUSTOMERS = "400000"
SUPPLIERS = "440000"
BANK_NAMES = ("Bank", "Banque")
ORIGIN = "coda"
#: refusal messages name at most this many problems
MAX_PROBLEMS = 5


@dataclass(frozen=True, slots=True)
class BankPosting:
    """One movement to book: ``amount`` signed as on the statement (> 0: money in)."""

    date: dt.date
    amount: Decimal
    account: str
    description: str
    reason: str
    line: int = 0  # the CODA file line, for refusals (0: by hand)
    document_number: str | None = None
    supplier_id: int | None = None


def movement_key(statement: CodaStatement, mv: CodaMovement) -> str:
    """The movement's identity: the bank account, the bank's statement number, the
    sequence and detail in it, the date and the amount; the same in any file carrying it
    (``mv.statement`` is only the statement's place in its file)."""
    day = mv.entry_date or mv.value_date
    when = day.isoformat() if day else ""
    number = str(statement.paper_statement_number).strip()
    key = f"{statement.account}|{number}|{mv.sequence}|{mv.detail}|{when}|{mv.amount}"
    return key[:200]


def _context(dossier: Dossier) -> Any:
    from pipeline.bookings import dossier_context

    return dossier_context(dossier)


def lock_problems(dossier: Dossier, dates: Sequence[tuple[int, dt.date]]) -> list[str]:
    """``line N: <lock reason>`` for each (line, date) in a locked period."""
    ctx = _context(dossier)
    out = []
    for line, day in dates:
        reason = lock_reason(period_of(day), ctx)
        if reason:
            out.append(f"line {line} ({day.isoformat()}): {reason}" if line else reason)
    return out


def refusal(problems: list[str], prefix: str = "") -> Refused:
    shown = "; ".join(problems[:MAX_PROBLEMS])
    more = len(problems) - MAX_PROBLEMS
    return Refused(prefix + shown + (f"; and {more} more" if more > 0 else ""))


def _chart(s: Any, dossier: Dossier) -> set[str]:
    """The dossier's active accounts, with 550000 installed when it has its own chart."""
    own = repo.list_accounts(s, dossier.id)
    if own and BANK_ACCOUNT not in {a.number for a in own}:
        repo.install_accounts(
            s,
            dossier.id,
            [{"number": BANK_ACCOUNT, "name_nl": BANK_NAMES[0], "name_fr": BANK_NAMES[1]}],
        )
        own = repo.list_accounts(s, dossier.id)
    if own:
        return {a.number for a in own if a.active}
    return {a.number for a in _context(dossier).chart} | {BANK_ACCOUNT}


def _lines(p: BankPosting) -> list[dict[str, Any]]:
    value = abs(p.amount)
    zero = Decimal("0.00")
    bank = {"account": BANK_ACCOUNT, "kind": "bank"}
    other = {"account": p.account, "kind": "counterparty"}
    first, second = (bank, other) if p.amount > 0 else (other, bank)
    return [
        {**first, "debit": value, "credit": zero},
        {**second, "debit": zero, "credit": value},
    ]


def post(s: Any, user: UserView, dossier: Dossier, postings: Sequence[BankPosting]) -> list[int]:
    """Book ``postings`` in the bank journal (all or none: every problem refused with its
    line); returns the new entries' ids in order.  The caller holds the dossier row lock
    (:func:`storage.entries.lock_dossier`), so the numbers are gapless per bookyear.
    Entries and lines are inserted in bulk (a statement of thousands of lines)."""
    if not postings:
        return []
    ctx = _context(dossier)
    chart = _chart(s, dossier)
    problems: list[str] = []
    for p in postings:
        where = f"line {p.line}: " if p.line else ""
        if p.amount == 0:
            problems.append(f"{where}a movement of 0.00 has nothing to book")
            continue
        if p.account == BANK_ACCOUNT:
            problems.append(f"{where}book the movement against another account than the bank")
            continue
        lines = _lines(p)
        found = check_entry(
            [{**ln, "vat_grid": []} for ln in lines],
            period=period_of(p.date),
            dossier=ctx,
            chart=(),
        )
        found = [f for f in found if "not in the dossier's chart" not in f]
        found[:0] = [
            f"account {ln['account']} is not in the dossier's chart"
            for ln in lines
            if ln["account"] not in chart
        ]
        problems += [where + f for f in found]
    if problems:
        raise refusal(problems)
    client = is_client(s, user, dossier.id)
    numbers: dict[str, int] = {}
    now = utcnow()
    rows: list[dict[str, Any]] = []
    line_sets: list[list[dict[str, Any]]] = []
    for p in postings:
        period = period_of(p.date)
        info = period_info(period, ctx)
        if info.bookyear not in numbers:
            numbers[info.bookyear] = repo.next_entry_number(
                s, dossier.id, BANK_JOURNAL, info.bookyear
            )
        rows.append(
            {
                "dossier_id": dossier.id,
                "journal": BANK_JOURNAL,
                "bookyear": info.bookyear,
                "period": period,
                "vat_period": info.vat_period,
                "date": p.date,
                "status": "booked",
                "origin": ORIGIN,
                "reason": p.reason[:2000],
                "document_number": (p.document_number or "")[:120] or None,
                "supplier_id": p.supplier_id,
                "warnings": [],
                "confidence": 1.0,
                "auto_booked": False,
                "edited": False,
                "booked_by": user.id,
                "booked_at": now,
                "created_at": now,
                "number": numbers[info.bookyear],
                "by_client": client,
                "approval": "waiting" if client else None,
            }
        )
        numbers[info.bookyear] += 1
        line_sets.append(
            [
                {
                    "seq": seq,
                    "vat_code": None,
                    "vat_grids": [],
                    "description": p.description[:500],
                    "reason": "bank statement (CODA)",
                    "confidence": 1.0,
                    **ln,
                }
                for seq, ln in enumerate(_lines(p), start=1)
            ]
        )
    return store.insert_entries(s, rows, line_sets)
