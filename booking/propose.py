"""``propose(invoice, context) -> Proposal``: the Belgian journal entry for one document.

Purchase invoice: cost or asset lines debit per (account, VAT code); deductible
VAT debit 411000 per rate; non-deductible VAT as its own debit line per rate on
the cost account; reverse-charge VAT on both 411000 and 451000; the supplier
credit 440000 for the document total.  Sales invoice: 400000 debit, 70x credit,
451000 credit.  Credit notes are mirrored.  Every entry balances to the cent.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from booking.accounts import AccountChoice, Item, choose_accounts, deduction_for
from booking.amounts import ZERO, allocate, vat_of
from booking.context import BookingContext, Dossier
from booking.currency import EuroConversion, RateNeeded, to_euro
from booking.errors import InvalidInvoice, PeriodLocked
from booking.items import build_items, fmt_rate
from booking.learning import autobook_decision
from booking.lines import GroupView, base_line, counterparty_line, vat_lines
from booking.model import Proposal, ProposalLine, Side
from booking.periods import PeriodInfo, first_open_period, lock_reason, period_info, period_of
from booking.rates import rate_warnings
from booking.vat import (
    REGIMES,
    LineFacts,
    Regime,
    country_of,
    derive_purchase_regime,
    derive_sales_regime,
)
from extractors.model import InvoiceData

__all__ = ["propose"]

log = logging.getLogger(__name__)
_BELGIAN_DEFAULT_RATE = Decimal("21")


def _norm_vat(vat: str | None) -> str:
    return "".join(ch for ch in (vat or "").upper() if ch.isalnum())


def _side(invoice: InvoiceData, dossier: Dossier) -> tuple[Side, str, list[str]]:
    own = _norm_vat(dossier.vat)
    if own and _norm_vat(invoice.supplier.vat) == own:
        return Side.SALES, "the supplier's VAT number is the dossier's: sales invoice", []
    if own and _norm_vat(invoice.customer.vat) == own:
        return Side.PURCHASE, "the customer's VAT number is the dossier's: purchase", []
    name = dossier.name.casefold().strip()
    if name and (invoice.supplier.name or "").casefold().strip() == name:
        return Side.SALES, "the supplier is the dossier (by name): sales invoice", []
    warn = []
    if dossier.vat or dossier.name:
        warn.append("neither party is recognised as the dossier: booked as a purchase")
    return Side.PURCHASE, "booked as a purchase", warn


def _period(invoice: InvoiceData, ctx: BookingContext) -> PeriodInfo:
    if invoice.issue_date is None:
        raise InvalidInvoice("the invoice has no issue date: cannot choose bookyear and period")
    period = ctx.period or period_of(invoice.issue_date)
    reason = lock_reason(period, ctx.dossier)
    if reason is not None:
        first = first_open_period(period, ctx.dossier)
        hint = f"; first open period is {first}" if first else ""
        raise PeriodLocked(f"refused: {reason}{hint}", period=period, first_open=first)
    return period_info(period, ctx.dossier)


@dataclass(slots=True)
class _Group:
    account: str
    regime: Regime
    rate: Decimal | None
    pct: Decimal
    base: Decimal = ZERO
    vat: Decimal = ZERO
    descriptions: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    confidence: float = 1.0

    def view(self) -> GroupView:
        return GroupView(
            self.account,
            self.regime,
            self.rate,
            self.pct,
            self.base,
            self.vat,
            tuple(self.descriptions),
            tuple(dict.fromkeys(self.reasons)),
            self.confidence,
        )


def _effective_rate(
    item: Item, choice: AccountChoice, regime: Regime
) -> tuple[Decimal | None, str]:
    if not REGIMES[regime].self_assessed:
        return item.rate, ""
    if item.rate:
        return item.rate, f"self-assessed at the line's rate {fmt_rate(item.rate)} %"
    hist = choice.history
    if hist is not None and hist.vat_rate:
        return hist.vat_rate, f"self-assessed at {fmt_rate(hist.vat_rate)} % (supplier history)"
    return _BELGIAN_DEFAULT_RATE, "self-assessed at the Belgian rate 21 %"


def _is_goods(choice: AccountChoice, side: Side) -> bool:
    """Goods or services for the regime (86 vs 88, 46 vs 44): the rule's word, else the account."""
    if choice.goods is not None:
        return choice.goods
    if side is Side.SALES:
        return choice.account.startswith("700")
    return choice.account.startswith(("60", "2"))


_GOODS_SALES = (Regime.SALES_INTRA_EU_GOODS,)


def _sales_goods_account(
    choice: AccountChoice, regime: Regime, item: Item
) -> tuple[str, str | None]:
    """Grid 46, and an export of goods (category G) in grid 47, are always sales of goods."""
    goods_regime = regime in _GOODS_SALES or (
        regime is Regime.SALES_EXPORT and (item.category or "").upper() == "G"
    )
    if goods_regime and choice.account.startswith("705"):
        return "700000", f"{REGIMES[regime].label} is a supply of goods: 700000, not 705000"
    if regime is Regime.SALES_MEDECONTRACTANT and choice.account.startswith("700"):
        return "705000", "works on immovable property (grid 45) are services: 705000, not 700000"
    return choice.account, None


def _facts_text(invoice: InvoiceData, item: Item) -> str:
    extra = [invoice.note or ""]
    for row in invoice.vat_breakdown:
        extra += [row.exemption_reason or "", (row.exemption_code or "").replace("-", " ")]
    return " ".join([item.description, *extra])


def _groups(
    invoice: InvoiceData, items: Sequence[Item], side: Side, ctx: BookingContext
) -> tuple[list[_Group], list[str]]:
    party = invoice.supplier if side is Side.PURCHASE else invoice.customer
    country, source = country_of(party.vat, party.country)
    name = invoice.supplier.name if side is Side.PURCHASE else invoice.customer.name
    choices = choose_accounts(items, side, ctx, name or "")
    groups: dict[tuple[str, Regime, Decimal | None, Decimal], _Group] = {}
    regime_reasons: list[str] = []
    for item, choice in zip(items, choices, strict=True):
        facts = LineFacts(
            item.category,
            item.rate,
            country,
            source,
            _is_goods(choice, side),
            _facts_text(invoice, item),
        )
        derive = derive_sales_regime if side is Side.SALES else derive_purchase_regime
        regime, regime_reason = derive(facts)
        regime_reasons.append(regime_reason)
        rate, rate_reason = _effective_rate(item, choice, regime)
        pct, pct_reason = Decimal(100), ""
        account, goods_reason = choice.account, None
        if side is Side.PURCHASE:
            pct, pct_reason = deduction_for(item, choice, ctx)
        else:
            account, goods_reason = _sales_goods_account(choice, regime, item)
        key = (account, regime, rate, pct)
        group = groups.setdefault(key, _Group(account, regime, rate, pct))
        group.base += item.net
        group.descriptions.append(item.description)
        group.reasons += [r for r in (choice.reason, rate_reason, goods_reason) if r]
        if pct < 100:
            group.reasons.append(pct_reason)
        group.confidence = min(group.confidence, choice.confidence)
    return list(groups.values()), regime_reasons


def _charged_target(
    invoice: InvoiceData, items: Sequence[Item], computed: Decimal, warnings: list[str]
) -> tuple[Decimal, Decimal]:
    """(VAT charged on the document, document total incl. VAT), reconciled."""
    base = sum((it.net for it in items), ZERO)
    stated, total = invoice.total_vat, invoice.total_incl_vat
    tolerance = Decimal("0.01") * len(items)
    if total is None:
        vat = stated if stated is not None else computed
        warnings.append(f"total incl. VAT missing: taken as {base} + {vat}")
        return vat, base + vat
    implied = total - base
    if stated is not None and implied != stated:
        if abs(implied - stated) > tolerance:
            raise InvalidInvoice(
                f"total incl. VAT {total} is not total excl. VAT {base} + VAT {stated}: "
                "check the amounts before booking"
            )
        warnings.append(
            f"VAT {stated} does not match total {total} - base {base}: {implied} booked"
        )
    return implied, total


def _allocate_charged(
    invoice: InvoiceData, items: Sequence[Item], charged: list[_Group], warnings: list[str]
) -> Decimal:
    """Spread the document's VAT over the charged groups per rate; return the document total."""
    rates = sorted({g.rate for g in charged if g.rate is not None})
    per_rate = {r: vat_of(sum((g.base for g in charged if g.rate == r), ZERO), r) for r in rates}
    computed = sum(per_rate.values(), ZERO)
    stated_rows = {row.rate for row in invoice.vat_breakdown if row.rate is not None}
    if rates and set(rates) <= stated_rows:
        per_rate = {
            r: sum((row.vat for row in invoice.vat_breakdown if row.rate == r), ZERO) for r in rates
        }
    target, total = _charged_target(invoice, items, computed, warnings)
    if not rates:
        if target != 0:
            raise InvalidInvoice(f"the document states VAT {target} but no line is charged VAT")
        return total
    diff = target - sum(per_rate.values(), ZERO)
    if diff:
        largest = max(rates, key=lambda r: per_rate[r])
        per_rate[largest] += diff
        n = sum(1 for it in items if it.rate in per_rate)
        tol = "issuer rounded per line" if abs(diff) <= Decimal("0.01") * n else "CHECK"
        warnings.append(
            f"VAT {target} as stated on the document differs from the per-rate figure "
            f"{computed} by {diff} ({tol})"
        )
    for rate in rates:
        group_list = [g for g in charged if g.rate == rate]
        shares = allocate(per_rate[rate], [g.base for g in group_list])
        for group, share in zip(group_list, shares, strict=True):
            group.vat = share
    return total


def _allocate_self_assessed(groups: list[_Group]) -> None:
    keys = sorted({(g.regime, g.rate) for g in groups}, key=str)
    for regime, rate in keys:
        group_list = [g for g in groups if g.regime is regime and g.rate == rate]
        assert rate is not None
        total = vat_of(sum((g.base for g in group_list), ZERO), rate)
        for group, share in zip(
            group_list, allocate(total, [g.base for g in group_list]), strict=True
        ):
            group.vat = share


def propose(invoice: InvoiceData, context: BookingContext | None = None) -> Proposal:
    """The proposed entry for ``invoice`` in the dossier of ``context``.

    Raises :class:`~booking.errors.PeriodLocked` for a locked period and
    :class:`~booking.errors.InvalidInvoice` when the invoice cannot be booked.
    """
    ctx = context or BookingContext()
    invoice, conversion, fx_warnings = _in_euro(invoice, ctx)
    side, side_reason, warnings = _side(invoice, ctx.dossier)
    warnings += fx_warnings
    info = _period(invoice, ctx)
    items, item_warnings = build_items(invoice)
    warnings += item_warnings
    groups, regime_reasons = _groups(invoice, items, side, ctx)
    charged = [g for g in groups if not REGIMES[g.regime].self_assessed and g.rate]
    total = _allocate_charged(invoice, items, charged, warnings)
    _allocate_self_assessed([g for g in groups if REGIMES[g.regime].self_assessed])
    assert invoice.issue_date is not None
    warnings += rate_warnings(items, invoice.issue_date)
    cn = invoice.is_credit_note
    views = [g.view() for g in groups]
    lines: list[ProposalLine] = []
    for view in views:
        lines += base_line(view, side, cn, ctx.dossier)
    lines += vat_lines(views, side, cn)
    lines.append(counterparty_line(invoice, side, total))
    lines = [ln for ln in lines if ln.debit or ln.credit]
    if not lines:
        raise InvalidInvoice("nothing to book: every amount on the document is zero")
    if total < 0 and not cn:
        warnings.append(
            "negative invoice (correction): grids are reduced; a credit note would use 85/63"
        )
    proposal = _finish(
        invoice, ctx, side, side_reason, info, lines, views, regime_reasons, warnings
    )
    return proposal if conversion is None else _with_conversion(proposal, conversion)


def _in_euro(
    invoice: InvoiceData, ctx: BookingContext
) -> tuple[InvoiceData, EuroConversion | None, list[str]]:
    """The invoice in euro (rate from the invoice, the UBL, the ECB table or the user)."""
    try:
        conversion = to_euro(invoice, ctx.rates, stated_rate=ctx.exchange_rate)
    except RateNeeded as exc:
        if ctx.rates is not None or ctx.exchange_rate is not None:
            raise
        currency = (invoice.currency or "").upper()
        return invoice, None, [f"CHECK: {exc}; the amounts are still in {currency}, not EUR"]
    if conversion is None:
        return invoice, None, []
    return conversion.invoice, conversion, []


def _with_conversion(p: Proposal, c: EuroConversion) -> Proposal:
    return dataclasses.replace(
        p,
        regime_reason=f"{p.regime_reason}; {c.explanation}",
        document_currency=c.currency,
        exchange_rate=c.rate,
        rate_source=c.source,
        rate_date=c.rate_date,
        original_total_excl_vat=c.original_total_excl_vat,
        original_total_vat=c.original_total_vat,
        original_total_incl_vat=c.original_total_incl_vat,
    )


def _journal(dossier: Dossier, side: Side, credit_note: bool) -> str:
    journals = dossier.journals
    journal = journals.sales if side is Side.SALES else journals.purchase
    if credit_note:
        alt = journals.sales_credit_note if side is Side.SALES else journals.purchase_credit_note
        journal = alt or journal
    return journal


def _finish(
    invoice: InvoiceData,
    ctx: BookingContext,
    side: Side,
    side_reason: str,
    info: PeriodInfo,
    lines: list[ProposalLine],
    views: list[GroupView],
    regime_reasons: list[str],
    warnings: list[str],
) -> Proposal:
    debit = sum((ln.debit for ln in lines), ZERO)
    credit = sum((ln.credit for ln in lines), ZERO)
    if debit != credit:  # cannot happen by construction; refuse rather than propose nonsense
        raise InvalidInvoice(f"internal: entry does not balance ({debit} vs {credit})")
    main = max(views, key=lambda v: abs(v.base))
    confidence = min(ln.confidence for ln in lines)
    if any("CHECK" in w for w in warnings):
        confidence = min(confidence, 0.3)
    journal = _journal(ctx.dossier, side, invoice.is_credit_note)
    unique_reasons = "; ".join(dict.fromkeys(regime_reasons))
    regimes = {v.regime for v in views}
    regime = str(main.regime) if len(regimes) == 1 else "mixed"
    assert invoice.issue_date is not None
    decision = autobook_decision(
        ctx.autobook_policy, ctx.recent_confirmations, warnings=warnings, confidence=confidence
    )
    party = invoice.supplier if side is Side.PURCHASE else invoice.customer
    log.debug("proposed %s %s: %d lines", side, invoice.invoice_number, len(lines))
    return Proposal(
        side=side,
        journal=journal,
        date=invoice.issue_date,
        bookyear=info.bookyear,
        period=info.period,
        period_index=info.period_index,
        vat_period=info.vat_period,
        lines=tuple(lines),
        regime=regime,
        regime_reason=f"{side_reason}; {unique_reasons}",
        is_credit_note=invoice.is_credit_note,
        counterparty=party.name,
        document_number=invoice.invoice_number,
        due_date=invoice.due_date,
        payment_reference=invoice.payment_reference,
        warnings=tuple(warnings),
        confidence=confidence,
        autobook=decision.auto,
        autobook_reason=decision.reason,
    )
