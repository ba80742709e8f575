"""Learning from confirmations, and the per-supplier auto-booking policy.

:func:`learn_from_confirmation` turns the lines the accountant confirmed into
history entries (pure; storage persists them and passes them back as
``BookingContext.supplier_history``).  :func:`autobook_decision` applies the
supplier's policy: never (default), after N confirmations in a row without
edits, or always; a proposal with warnings is never auto-booked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from booking.context import AutobookMode, AutobookPolicy, HistoryEntry
from booking.model import LineKind, Proposal
from extractors.model import InvoiceData

__all__ = [
    "AutobookDecision",
    "autobook_decision",
    "is_unedited",
    "learn_from_confirmation",
    "line_value",
]

_NON_BASE = ("400", "411", "440", "451")


@dataclass(frozen=True, slots=True)
class AutobookDecision:
    auto: bool
    reason: str

    def __bool__(self) -> bool:
        return self.auto


def autobook_decision(
    policy: AutobookPolicy,
    recent_confirmations: Sequence[bool],
    *,
    warnings: Sequence[str] = (),
    confidence: float = 1.0,
) -> AutobookDecision:
    """Whether the next proposal of this supplier is booked without review, and why.

    ``recent_confirmations``: oldest first, ``True`` for a confirmation without edits.
    """
    if policy.mode is AutobookMode.NEVER:
        return AutobookDecision(False, "auto-booking is off for this supplier (default)")
    if warnings:
        return AutobookDecision(False, f"not auto-booked: {len(warnings)} warning(s) to review")
    if confidence < policy.min_confidence:
        return AutobookDecision(
            False, f"not auto-booked: confidence {confidence:.2f} < {policy.min_confidence:.2f}"
        )
    if policy.mode is AutobookMode.ALWAYS:
        return AutobookDecision(True, "auto-booked: policy 'always' for this supplier")
    streak = 0
    for unedited in reversed(recent_confirmations):
        if not unedited:
            break
        streak += 1
    if streak >= policy.n:
        return AutobookDecision(
            True, f"auto-booked: {streak} confirmations in a row without edits (policy {policy.n})"
        )
    return AutobookDecision(
        False, f"not auto-booked: {streak} of {policy.n} confirmations in a row without edits"
    )


def line_value(line: Any, name: str, default: Any = None) -> Any:
    """A field of a line given as a dataclass/object or as a mapping (UI rows)."""
    if isinstance(line, Mapping):
        return line.get(name, default)
    return getattr(line, name, default)


def _dec(value: Any) -> Decimal:
    """Amounts edited in the UI come back as floats: ``Decimal(str(x))``."""
    if value is None or value == "":
        return Decimal("0.00")
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def _signature(lines: Sequence[Any]) -> Counter[tuple[str, Decimal, Decimal]]:
    return Counter(
        (
            str(line_value(ln, "account")),
            _dec(line_value(ln, "debit")).quantize(Decimal("0.01")),
            _dec(line_value(ln, "credit")).quantize(Decimal("0.01")),
        )
        for ln in lines
    )


def is_unedited(proposal: Proposal, final_lines: Sequence[Any]) -> bool:
    """True when the confirmed lines are the proposed ones (accounts and amounts)."""
    return _signature(proposal.lines) == _signature(final_lines)


def _base_finals(final_lines: Sequence[Any]) -> list[Any]:
    out = []
    for ln in final_lines:
        kind = line_value(ln, "kind")
        account = str(line_value(ln, "account") or "")
        if kind is not None and str(kind) != LineKind.BASE:
            continue
        if kind is None and account.startswith(_NON_BASE):
            continue
        out.append(ln)
    return out


def _amount(line: Any) -> Decimal:
    return abs(_dec(line_value(line, "debit")) - _dec(line_value(line, "credit")))


def _from_proposal(proposal: Proposal, finals: list[Any]) -> list[HistoryEntry]:
    bases = [ln for ln in proposal.lines if ln.kind is LineKind.BASE]
    paired: list[tuple[Any, Any]] = []
    if len(bases) == len(finals):
        paired = list(zip(bases, finals, strict=True))
    else:
        pool = list(finals)
        for base in bases:
            match = next((f for f in pool if _amount(f) == abs(base.amount)), None)
            if match is None and len(pool) == 1:
                match = pool[0]
            if match is not None:
                pool.remove(match)
                paired.append((base, match))
    out = []
    for base, final in paired:
        account = str(line_value(final, "account"))
        descriptions = base.source_descriptions or (base.description,)
        for text in descriptions:
            out.append(HistoryEntry(account, text, base.vat_rate, base.deductible_pct))
    return out


def _from_invoice(invoice: InvoiceData, finals: list[Any]) -> list[HistoryEntry]:
    out = []
    accounts = {str(line_value(f, "account")) for f in finals}
    for line in invoice.lines:
        match = next((f for f in finals if _amount(f) == abs(line.net)), None)
        if match is None and len(accounts) != 1:
            continue
        account = str(line_value(match, "account")) if match is not None else next(iter(accounts))
        out.append(HistoryEntry(account, line.description, line.vat_rate, None))
    return out


def learn_from_confirmation(
    source: Proposal | InvoiceData, final_lines: Sequence[Any]
) -> tuple[HistoryEntry, ...]:
    """History entries (account per line description and VAT rate) from a confirmed entry.

    ``source`` is the proposal that was confirmed (preferred: its base lines know
    their invoice lines, self-assessed rate and deductible share) or the invoice.
    ``final_lines`` are the confirmed lines, objects or mappings, amounts as
    Decimal, str or float.
    """
    finals = _base_finals(final_lines)
    if not finals:
        return ()
    if isinstance(source, Proposal):
        return tuple(_from_proposal(source, finals))
    return tuple(_from_invoice(source, finals))
