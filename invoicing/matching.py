"""Match bank movements to open invoices (sales and purchases), pure and linear.

Rules, in order, for each movement (a credit pays a sales invoice, a debit a purchase):

1. ``ogm``: the movement's structured communication equals the item's (12 digits).
   The full open amount -> ``paid``; less -> ``partial``; more -> ``overpaid`` (matched,
   flagged for a look).
2. ``amount``: no usable communication, exactly one open item of that side with that open
   amount (and, when the item knows it, the same counterparty IBAN) -> ``paid``.

Pass ``CodaFile.payment_lines`` (a globalised batch is split into its details).
Everything else is returned as unmatched for manual matching.  An item is matched at most
once per run; a second movement with the same communication is left unmatched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from invoicing.coda import CodaMovement
from invoicing.numbering import parse_ogm

__all__ = ["MatchKind", "MatchResult", "Movement", "OpenItem", "PaymentMatch", "match_payments"]


class MatchKind(StrEnum):
    PAID = "paid"
    PARTIAL = "partial"
    OVERPAID = "overpaid"


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An unpaid (or partly paid) invoice; ``side`` is ``"sales"`` or ``"purchase"``.

    ``open_amount`` is positive.  ``structured_communication`` in any usual spelling.
    """

    key: str
    side: str
    open_amount: Decimal
    structured_communication: str | None = None
    counterparty_iban: str | None = None


Movement = CodaMovement


@dataclass(frozen=True, slots=True)
class PaymentMatch:
    movement: CodaMovement
    item: OpenItem
    amount: Decimal  # the part of the movement applied to the item (positive)
    kind: MatchKind
    rule: str  # "ogm" or "amount"


@dataclass(frozen=True, slots=True)
class MatchResult:
    matches: tuple[PaymentMatch, ...]
    unmatched: tuple[CodaMovement, ...]


def _iban(value: str | None) -> str:
    return "".join((value or "").split()).upper()


def match_payments(movements: Iterable[CodaMovement], items: Iterable[OpenItem]) -> MatchResult:
    by_ogm: dict[tuple[str, str], OpenItem] = {}
    by_amount: dict[tuple[str, Decimal], list[OpenItem]] = defaultdict(list)
    for open_item in items:
        digits = parse_ogm(open_item.structured_communication or "")
        if digits:
            by_ogm[(open_item.side, digits)] = open_item
        by_amount[(open_item.side, open_item.open_amount)].append(open_item)
    used: set[str] = set()
    matches: list[PaymentMatch] = []
    unmatched: list[CodaMovement] = []
    for mv in movements:
        if mv.amount == 0:
            unmatched.append(mv)
            continue
        side = "sales" if mv.amount > 0 else "purchase"
        paid = abs(mv.amount)
        digits = mv.ogm or parse_ogm(mv.free_communication or "")
        item = by_ogm.get((side, digits)) if digits else None
        if item is not None:
            if item.key in used:
                unmatched.append(mv)
                continue
            if paid == item.open_amount:
                kind = MatchKind.PAID
            elif paid < item.open_amount:
                kind = MatchKind.PARTIAL
            else:
                kind = MatchKind.OVERPAID
            used.add(item.key)
            matches.append(PaymentMatch(mv, item, min(paid, item.open_amount), kind, "ogm"))
            continue
        candidates = [
            it
            for it in by_amount.get((side, paid), ())
            if it.key not in used
            and (
                not it.counterparty_iban
                or _iban(it.counterparty_iban) == _iban(mv.counterparty_account)
            )
        ]
        if len(candidates) == 1:
            used.add(candidates[0].key)
            matches.append(PaymentMatch(mv, candidates[0], paid, MatchKind.PAID, "amount"))
        else:
            unmatched.append(mv)
    return MatchResult(tuple(matches), tuple(unmatched))
