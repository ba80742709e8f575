"""The sales-journal proposal of an issued invoice or credit note, in booking's one model.

The invoicing core knows what :func:`booking.propose` has to guess from a received
document: each line's revenue account (700000 goods / 705000 services unless the item
says otherwise) and the VAT case.  So the entry is built here from booking's own pieces
(:class:`booking.lines.GroupView`, ``base_line``, ``vat_lines``, ``counterparty_line``,
periods and locks): 400000 debit for the total, 70x credit per (account, VAT code),
451000 credit per rate; grids 01/02/03, 00, 44, 45, 46, 47, 54; credit notes mirrored
on 48/49 and 64.  The VAT of a rate (rounded once on the rate's total) is shared over its
accounts to the cent, so the 451000 line equals the invoice's VAT for that rate.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from booking.context import BookingContext, Dossier
from booking.errors import PeriodLocked
from booking.lines import GroupView, base_line, counterparty_line, vat_lines
from booking.model import Proposal, ProposalLine, Side
from booking.periods import first_open_period, lock_reason, period_info, period_of
from booking.vat import REGIMES, Regime
from invoicing.model import CENT, IssuedInvoice, VatCase
from invoicing.ubl import to_invoice_data
from invoicing.vat import compute

__all__ = ["sales_proposal"]

_ZERO = Decimal("0.00")


def _regime(case: VatCase, category: str) -> Regime:
    if category == "S":
        return Regime.SALES_DOMESTIC
    if category == "K":
        return Regime.SALES_INTRA_EU_GOODS
    if category == "G":
        return Regime.SALES_EXPORT
    if category == "AE":
        if case is VatCase.COCONTRACTOR:
            return Regime.SALES_MEDECONTRACTANT
        return Regime.SALES_INTRA_EU_SERVICES
    return Regime.SALES_ZERO_EXEMPT  # Z (0 %) and E (art. 44, art. 56bis)


def _share(total: Decimal, weights: dict[str, Decimal]) -> dict[str, Decimal]:
    """``total`` over ``weights`` in proportion, cents exact (largest remainder)."""
    whole = sum(weights.values(), _ZERO)
    if not whole:
        first = next(iter(weights))
        return {k: (total if k == first else _ZERO) for k in weights}
    cents = int(total / CENT)
    raw = {k: Decimal(cents) * w / whole for k, w in weights.items()}
    floor = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: raw[k] - floor[k], reverse=True)[
        : cents - sum(floor.values())
    ]:
        floor[k] += 1
    return {k: Decimal(c) * CENT for k, c in floor.items()}


def sales_proposal(issued: IssuedInvoice, context: BookingContext | None = None) -> Proposal:
    """The sales-journal entry of ``issued``; raises ``booking.PeriodLocked`` for a
    locked period (the accountant then books in the first open one via ``context.period``)."""
    ctx = context or BookingContext(dossier=Dossier(name=issued.seller.name, vat=issued.seller.vat))
    draft = issued.draft
    computed = compute(draft, issued.seller)
    cn = issued.is_credit_note
    period = ctx.period or period_of(issued.issue_date)
    reason = lock_reason(period, ctx.dossier)
    if reason is not None:
        first = first_open_period(period, ctx.dossier)
        hint = f"; first open period is {first}" if first else ""
        raise PeriodLocked(f"refused: {reason}{hint}", period=period, first_open=first)
    info = period_info(period, ctx.dossier)

    # Base per (category, rate) and per account inside it: line nets, then the document's
    # discounts and charges of that VAT group shared over its accounts by net.
    nets: dict[tuple[str, Decimal], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    texts: dict[tuple[str, Decimal, str], list[str]] = defaultdict(list)
    for ln, tax in zip(draft.lines, computed.line_taxes, strict=True):
        nets[(tax.category, tax.rate)][ln.account] += ln.net
        texts[(tax.category, tax.rate, ln.account)].append(ln.description)
    views: list[GroupView] = []
    for row in computed.totals.rows:
        by_account = nets[(row.category, row.rate)]
        bases = _share(row.taxable, dict(by_account))
        vats = _share(row.vat, bases)
        regime = _regime(draft.vat_case, row.category)
        for account, base in bases.items():
            views.append(
                GroupView(
                    account=account,
                    regime=regime,
                    rate=row.rate,
                    pct=Decimal(100),
                    base=base,
                    vat=vats[account],
                    descriptions=tuple(texts[(row.category, row.rate, account)]),
                    reasons=(
                        f"issued by boekbox ({draft.vat_case.value}, category {row.category})",
                    ),
                    confidence=1.0,
                )
            )
    lines: list[ProposalLine] = []
    for view in views:
        lines.extend(base_line(view, Side.SALES, cn, ctx.dossier))
    lines.extend(vat_lines(views, Side.SALES, cn))
    invoice = to_invoice_data(issued)
    lines.append(counterparty_line(invoice, Side.SALES, computed.totals.payable))
    regimes = {v.regime for v in views}
    main = next(iter(regimes)) if len(regimes) == 1 else Regime.SALES_DOMESTIC
    journal = ctx.dossier.journals.sales
    if cn and ctx.dossier.journals.sales_credit_note:
        journal = ctx.dossier.journals.sales_credit_note
    return Proposal(
        side=Side.SALES,
        journal=journal,
        date=issued.issue_date,
        bookyear=info.bookyear,
        period=info.period,
        period_index=info.period_index,
        vat_period=info.vat_period,
        lines=tuple(lines),
        regime=str(main),
        regime_reason=f"{REGIMES[main].label}: VAT case {draft.vat_case.value} of the issued "
        "document",
        is_credit_note=cn,
        counterparty=draft.customer.name,
        document_number=issued.number,
        due_date=issued.due_date,
        payment_reference=issued.structured_communication,
        confidence=1.0,
    )
