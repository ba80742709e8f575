"""Turning grouped amounts into entry lines with their VAT-return grids.

Grid tags follow doc section 9: a line adds its amount to a grid on the grid's
natural side and subtracts it on the other, so a purchase credit note's base
line tagged ``("81", "85")`` on the credit side reduces 81 and adds to 85.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from booking.amounts import ZERO, deductible_part
from booking.chart import account_map, base_grid_for
from booking.context import Dossier
from booking.items import fmt_rate
from booking.model import LineKind, ProposalLine, Side
from booking.vat import REGIMES, Regime, sales_rate_grid, vat_code
from extractors.model import InvoiceData

__all__ = ["GroupView", "base_line", "counterparty_line", "vat_lines"]

VAT_RECEIVABLE = "411000"
VAT_PAYABLE = "451000"
SUPPLIERS = "440000"
CUSTOMERS = "400000"
_IC_SALES = (Regime.SALES_INTRA_EU_GOODS, Regime.SALES_INTRA_EU_SERVICES)


@dataclass(frozen=True, slots=True)
class GroupView:
    """One base line's worth: amounts of one (account, regime, rate, deductible %)."""

    account: str
    regime: Regime
    rate: Decimal | None
    pct: Decimal
    base: Decimal
    vat: Decimal
    descriptions: tuple[str, ...]
    reasons: tuple[str, ...]
    confidence: float

    @property
    def deductible(self) -> Decimal:
        if not REGIMES[self.regime].deductible:
            return ZERO
        return deductible_part(self.vat, self.pct)

    @property
    def code(self) -> str:
        return vat_code(self.regime, self.rate)


def _line(
    account: str,
    amount: Decimal,
    natural_debit: bool,
    *,
    code: str | None,
    grids: Sequence[str],
    description: str,
    reason: str,
    confidence: float,
    kind: LineKind,
    rate: Decimal | None = None,
    pct: Decimal | None = None,
    sources: tuple[str, ...] = (),
    regime: Regime | None = None,
) -> ProposalLine:
    on_debit = natural_debit if amount >= 0 else not natural_debit
    value = abs(amount)
    return ProposalLine(
        account=account,
        debit=value if on_debit else ZERO,
        credit=ZERO if on_debit else value,
        vat_code=code,
        vat_grid=tuple(grids),
        description=description,
        reason=reason,
        confidence=confidence,
        kind=kind,
        vat_rate=rate,
        deductible_pct=pct,
        source_descriptions=sources,
        regime=None if regime is None else str(regime),
    )


def _describe(view: GroupView) -> str:
    first = view.descriptions[0][:80]
    more = len(view.descriptions) - 1
    return f"{first} (+{more} more)" if more else first


def _group_line(
    view: GroupView, amount: Decimal, natural_debit: bool, grids: Sequence[str],
    description: str, reason: str, kind: LineKind,
) -> ProposalLine:  # fmt: skip
    return _line(
        view.account, amount, natural_debit, code=view.code, grids=grids,
        description=description, reason=reason, confidence=view.confidence, kind=kind,
        rate=view.rate, pct=view.pct, sources=view.descriptions, regime=view.regime,
    )  # fmt: skip


def _sales_grids(view: GroupView, cn: bool) -> tuple[str, ...]:
    if cn:
        return ("48",) if view.regime in _IC_SALES else ("49",)
    spec = REGIMES[view.regime]
    grid = spec.sales_grid or (sales_rate_grid(view.rate) if view.rate is not None else None)
    return (grid,) if grid else ()


def base_line(view: GroupView, side: Side, cn: bool, dossier: Dossier) -> list[ProposalLine]:
    """The base line of a group and, on purchases, its non-deductible VAT line."""
    spec = REGIMES[view.regime]
    reason = "; ".join((*view.reasons, spec.label))
    text = _describe(view)
    if side is Side.SALES:
        return [
            _group_line(view, view.base, cn, _sales_grids(view, cn), text, reason, LineKind.BASE)
        ]
    base_grid = base_grid_for(view.account, account_map(dossier.chart)) if spec.base_grid else None
    second = spec.credit_grid if cn else spec.extra_grid
    grids = tuple(g for g in (base_grid, second if (base_grid or spec.extra_grid) else None) if g)
    out = [_group_line(view, view.base, not cn, grids, text, reason, LineKind.BASE)]
    nd = view.vat - view.deductible
    if nd:
        share = "100" if view.deductible == 0 else fmt_rate(100 - view.pct)
        text = f"Non-deductible VAT {fmt_rate(view.rate)}% ({share}% of {view.vat})"
        why = f"non-deductible share of the VAT moved to cost; {reason}"
        nd_grids = (base_grid,) if base_grid else ()
        out.append(_group_line(view, nd, not cn, nd_grids, text, why, LineKind.NON_DEDUCTIBLE))
    return out


def _vat_line(
    account: str, amount: Decimal, natural_debit: bool, grids: tuple[str, ...], text: str,
    reason: str, at: Sequence[GroupView], kind: LineKind = LineKind.VAT,
) -> ProposalLine:  # fmt: skip
    first = at[0]
    return _line(
        account, amount, natural_debit, code=first.code, grids=grids, description=text,
        reason=reason, confidence=0.95 if kind is LineKind.VAT else 0.9, kind=kind,
        rate=first.rate, regime=first.regime,
    )  # fmt: skip


def _charged_lines(views: Sequence[GroupView], side: Side, cn: bool) -> list[ProposalLine]:
    out: list[ProposalLine] = []
    charged = [v for v in views if not REGIMES[v.regime].self_assessed]
    for rate in sorted({v.rate for v in charged if v.rate}):
        at = [v for v in charged if v.rate == rate]
        vat = sum((v.vat for v in at), ZERO)
        r = fmt_rate(rate)
        if side is Side.SALES:
            text = f"VAT to recover on credit note {r}%" if cn else f"Output VAT {r}%"
            grids = ("64",) if cn else ("54",)
            out.append(_vat_line(VAT_PAYABLE, vat, cn, grids, text, f"output VAT {r}%", at))
            continue
        ded = sum((v.deductible for v in at), ZERO)
        part = "" if ded == vat else f" (of {vat})"
        text = f"VAT to repay on credit note {r}%" if cn else f"Deductible VAT {r}%{part}"
        why = f"deductible VAT {r}% as stated on the document"
        out.append(
            _vat_line(VAT_RECEIVABLE, ded, not cn, ("63",) if cn else ("59",), text, why, at)
        )
    return out


def _self_assessed_lines(views: Sequence[GroupView], cn: bool) -> list[ProposalLine]:
    out: list[ProposalLine] = []
    rc = [v for v in views if REGIMES[v.regime].self_assessed and v.rate]
    for regime, rate in sorted({(v.regime, v.rate) for v in rc}, key=str):
        at = [v for v in rc if v.regime is regime and v.rate == rate]
        spec, r = REGIMES[regime], fmt_rate(rate)
        vat = sum((v.vat for v in at), ZERO)
        ded = sum((v.deductible for v in at), ZERO)
        why = f"{spec.label}: Belgian VAT {r}% self-assessed per rate on the document total"
        kind = LineKind.SELF_ASSESSED
        text = f"Reverse-charge VAT {r}% deductible"
        grids = ("63",) if cn else ("59",)
        out.append(_vat_line(VAT_RECEIVABLE, ded, not cn, grids, text, why, at, kind))
        due = ("64",) if cn else (spec.due_grid or "56",)
        text = f"Reverse-charge VAT {r}% due"
        out.append(_vat_line(VAT_PAYABLE, vat, cn, due, text, why, at, kind))
    return out


def vat_lines(views: Sequence[GroupView], side: Side, cn: bool) -> list[ProposalLine]:
    """411000 / 451000 lines: one per rate (per regime and rate for reverse charge)."""
    return _charged_lines(views, side, cn) + _self_assessed_lines(views, cn)


def counterparty_line(invoice: InvoiceData, side: Side, total: Decimal) -> ProposalLine:
    """440000 (supplier) credit or 400000 (customer) debit for the document total."""
    cn = invoice.is_credit_note
    party = invoice.supplier if side is Side.PURCHASE else invoice.customer
    name = party.name or ("supplier" if side is Side.PURCHASE else "customer")
    number = invoice.invoice_number or "(no number)"
    text = f"{name} credit note {number}" if cn else f"{name} {number}"
    details = [f"document total {total}"]
    if invoice.due_date:
        details.append(f"due {invoice.due_date.isoformat()}")
    if invoice.payment_reference:
        details.append(f"payment reference {invoice.payment_reference}")
    account = SUPPLIERS if side is Side.PURCHASE else CUSTOMERS
    natural_debit = (side is Side.SALES) != cn
    return _line(
        account,
        total,
        natural_debit,
        code=None,
        grids=(),
        description=text,
        reason="; ".join(details),
        confidence=0.99,
        kind=LineKind.COUNTERPARTY,
    )
