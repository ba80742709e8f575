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


def base_line(view: GroupView, side: Side, cn: bool, dossier: Dossier) -> list[ProposalLine]:
    """The base line of a group and, on purchases, its non-deductible VAT line."""
    spec = REGIMES[view.regime]
    reason = "; ".join((*view.reasons, spec.label))
    if side is Side.SALES:
        grid = spec.sales_grid or (sales_rate_grid(view.rate) if view.rate is not None else None)
        sales_grids: tuple[str, ...] = (grid,) if grid else ()
        if cn:
            sales_grids = ("48",) if view.regime in _IC_SALES else ("49",)
        return [
            _line(
                view.account,
                view.base,
                cn,
                code=view.code,
                grids=sales_grids,
                description=_describe(view),
                reason=reason,
                confidence=view.confidence,
                kind=LineKind.BASE,
                rate=view.rate,
                sources=view.descriptions,
                regime=view.regime,
            )
        ]
    base_grid = base_grid_for(view.account, account_map(dossier.chart)) if spec.base_grid else None
    second = spec.credit_grid if cn else spec.extra_grid
    grids = tuple(g for g in (base_grid, second if (base_grid or spec.extra_grid) else None) if g)
    out = [
        _line(
            view.account,
            view.base,
            not cn,
            code=view.code,
            grids=grids,
            description=_describe(view),
            reason=reason,
            confidence=view.confidence,
            kind=LineKind.BASE,
            rate=view.rate,
            pct=view.pct,
            sources=view.descriptions,
            regime=view.regime,
        )
    ]
    nd = view.vat - view.deductible
    if nd:
        share = "100" if view.deductible == 0 else fmt_rate(100 - view.pct)
        out.append(
            _line(
                view.account,
                nd,
                not cn,
                code=view.code,
                grids=(base_grid,) if base_grid else (),
                description=f"Non-deductible VAT {fmt_rate(view.rate)}% ({share}% of {view.vat})",
                reason=f"non-deductible share of the VAT moved to cost; {reason}",
                confidence=view.confidence,
                kind=LineKind.NON_DEDUCTIBLE,
                rate=view.rate,
                pct=view.pct,
                sources=view.descriptions,
                regime=view.regime,
            )
        )
    return out


def _rates(views: Sequence[GroupView]) -> list[tuple[Regime, Decimal]]:
    keys = {(v.regime, v.rate) for v in views if v.rate}
    return sorted(((r, rate) for r, rate in keys if rate is not None), key=str)


def vat_lines(views: Sequence[GroupView], side: Side, cn: bool) -> list[ProposalLine]:
    """411000 / 451000 lines: one per rate (per regime for reverse charge)."""
    out: list[ProposalLine] = []
    charged = [v for v in views if not REGIMES[v.regime].self_assessed]
    for rate in sorted({v.rate for v in charged if v.rate}):
        at = [v for v in charged if v.rate == rate]
        vat = sum((v.vat for v in at), ZERO)
        r = fmt_rate(rate)
        code = at[0].code
        if side is Side.SALES:
            text = f"VAT to recover on credit note {r}%" if cn else f"Output VAT {r}%"
            out.append(
                _line(
                    VAT_PAYABLE,
                    vat,
                    cn,
                    code=code,
                    grids=("64",) if cn else ("54",),
                    description=text,
                    reason=f"output VAT {r}% on the document",
                    confidence=0.95,
                    kind=LineKind.VAT,
                    rate=rate,
                    regime=at[0].regime,
                )
            )
            continue
        ded = sum((v.deductible for v in at), ZERO)
        part = "" if ded == vat else f" (of {vat})"
        text = f"VAT to repay on credit note {r}%" if cn else f"Deductible VAT {r}%{part}"
        out.append(
            _line(
                VAT_RECEIVABLE,
                ded,
                not cn,
                code=code,
                grids=("63",) if cn else ("59",),
                description=text,
                reason=f"deductible VAT {r}% as stated on the document",
                confidence=0.95,
                kind=LineKind.VAT,
                rate=rate,
                regime=at[0].regime,
            )
        )
    for regime, rate in _rates([v for v in views if REGIMES[v.regime].self_assessed]):
        at = [v for v in views if v.regime is regime and v.rate == rate]
        spec, r = REGIMES[regime], fmt_rate(rate)
        vat = sum((v.vat for v in at), ZERO)
        ded = sum((v.deductible for v in at), ZERO)
        why = f"{spec.label}: Belgian VAT {r}% self-assessed per rate on the document total"
        out.append(
            _line(
                VAT_RECEIVABLE,
                ded,
                not cn,
                code=at[0].code,
                grids=("63",) if cn else ("59",),
                description=f"Reverse-charge VAT {r}% deductible",
                reason=why,
                confidence=0.9,
                kind=LineKind.SELF_ASSESSED,
                rate=rate,
                regime=regime,
            )
        )
        due = spec.due_grid or "56"
        out.append(
            _line(
                VAT_PAYABLE,
                vat,
                cn,
                code=at[0].code,
                grids=("64",) if cn else (due,),
                description=f"Reverse-charge VAT {r}% due",
                reason=why,
                confidence=0.9,
                kind=LineKind.SELF_ASSESSED,
                rate=rate,
                regime=regime,
            )
        )
    return out


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
