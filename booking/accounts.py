"""Account choice per invoice line, in order, each with a reason and a confidence.

1. the counterparty's history in this dossier (per VAT rate and description);
2. keyword rules over the line description (:mod:`booking.keywords`), then the
   chart's own account names;
3. the supplier's default account (stored, or its category from its name);
4. the dossier default (low confidence).

Accessory costs (travel, shipping...) follow the main line's account unless the
history has a similar line.  Lines whose keyword rule has an asset alternative
go to class 2 when their net is at or above the capitalisation threshold;
history overrides the threshold.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from booking.chart import AccountKind
from booking.context import BookingContext, HistoryEntry
from booking.keywords import RuleMatch, is_accessory, match_names, match_rules, mentions
from booking.keywords import mentions_vehicle as _vehicle
from booking.model import Side
from booking.text import similarity

__all__ = ["AccountChoice", "Item", "choose_accounts", "deduction_for"]

_SIMILAR = 0.5
_MORE = re.compile(r"\s*\(\+\d+ more\)$")  # grouped base-line descriptions
_GOODS_ACCOUNTS = ("60", "2")
_PURCHASE_KINDS = frozenset({AccountKind.EXPENSE, AccountKind.ASSET})
_SALES_KINDS = frozenset({AccountKind.REVENUE})
_LODGING = ("=hotel", "hotelkosten", "logies", "hebergement", "overnachting", "ubernachtung")
_SPIRITS = ("sigaret", "=tabak", "=tabac", "cigar", "whisky", "cognac", "vodka", "=gin", "=rum",
            "likeur", "liqueur", "spiritueux", "sterke drank")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Item:
    """One base amount to book: an invoice line after document allowances and charges."""

    description: str
    net: Decimal
    rate: Decimal | None
    category: str | None
    unit_value: Decimal


@dataclass(frozen=True, slots=True)
class AccountChoice:
    account: str
    reason: str
    confidence: float
    source: str
    history: HistoryEntry | None = None


def _from_history(
    item: Item, history: Sequence[HistoryEntry], *, similar_only: bool
) -> AccountChoice | None:
    if not history:
        return None
    same_rate = [
        e for e in history if e.vat_rate is None or item.rate is None or e.vat_rate == item.rate
    ]
    pool = same_rate or list(history)
    rate_note = "same VAT rate" if same_rate else "other VAT rate"
    scored = [
        (similarity(item.description, _MORE.sub("", e.description)), i, e)
        for i, e in enumerate(pool)
    ]
    sim, _, best = max(scored, key=lambda t: (t[0], t[1]))
    if sim >= _SIMILAR:
        times = sum(1 for e in pool if e.account == best.account)
        why = (
            f"supplier history: like '{_MORE.sub('', best.description)}', "
            f"{times} learned line(s) on {best.account} ({rate_note})"
        )
        return AccountChoice(best.account, why, 0.95 if same_rate else 0.85, "history", best)
    if similar_only:
        return None
    counts = Counter(e.account for e in pool)
    top = max(counts.values())
    account = next(e.account for e in reversed(pool) if counts[e.account] == top)
    entry = next(e for e in reversed(pool) if e.account == account)
    why = f"supplier history: {top} of {len(pool)} learned lines on {account} ({rate_note})"
    conf = 0.85 if len(counts) == 1 else 0.7
    return AccountChoice(account, why, conf, "history_supplier", entry)


def _sales_account(match: RuleMatch) -> str:
    return "700000" if match.account.startswith(_GOODS_ACCOUNTS) else "705000"


def _from_rules(item: Item, side: Side, ctx: BookingContext) -> AccountChoice | None:
    match = match_rules(item.description)
    if match is not None:
        if side is Side.SALES:
            account = _sales_account(match)
            why = f"keyword '{match.keyword}' ({match.label}): {account}"
            return AccountChoice(account, why, 0.8, "keyword")
        threshold = ctx.dossier.capitalisation_threshold
        if match.asset_account and abs(item.net) >= threshold:
            why = (
                f"keyword '{match.keyword}' ({match.label}); line net {item.net} is at or above "
                f"the capitalisation threshold {threshold}: fixed asset {match.asset_account}"
            )
            return AccountChoice(match.asset_account, why, 0.75, "keyword")
        why = f"keyword '{match.keyword}' ({match.label}): {match.account}"
        return AccountChoice(match.account, why, 0.8, "keyword")
    kinds = _SALES_KINDS if side is Side.SALES else _PURCHASE_KINDS
    named = match_names(item.description, ctx.dossier.chart, kinds=kinds)
    if named is not None:
        why = f"word '{named.keyword}' is in the name of account {named.account} ({named.label})"
        return AccountChoice(named.account, why, 0.6, "account_name")
    return None


def _fallback(side: Side, ctx: BookingContext, counterparty: str) -> AccountChoice:
    if side is Side.PURCHASE and ctx.supplier_default_account:
        account = ctx.supplier_default_account
        return AccountChoice(account, f"supplier's default account {account}", 0.6, "supplier")
    match = match_rules(counterparty) if counterparty else None
    if match is not None:
        account = _sales_account(match) if side is Side.SALES else match.account
        why = f"supplier category from its name ('{match.keyword}', {match.label}): {account}"
        return AccountChoice(account, why, 0.55, "supplier")
    if side is Side.SALES:
        account = ctx.dossier.default_sales_account
    else:
        account = ctx.dossier.default_account
    why = f"no history, keyword or supplier default: dossier default {account} (check)"
    return AccountChoice(account, why, 0.3, "dossier_default")


def _choose(item: Item, side: Side, ctx: BookingContext, counterparty: str) -> AccountChoice:
    hist = _from_history(item, ctx.supplier_history, similar_only=False)
    rule = _from_rules(item, side, ctx)
    if (
        hist is not None
        and rule is not None
        and hist.source == "history_supplier"
        and rule.source == "keyword"
        and rule.account != hist.account
    ):
        # the supplier's usual account wins, but the accountant sees the disagreement
        why = f"{hist.reason}; the description suggests {rule.account} ({rule.reason})"
        return AccountChoice(
            hist.account, why, min(hist.confidence, 0.6), hist.source, hist.history
        )
    return hist or rule or _fallback(side, ctx, counterparty)


def choose_accounts(
    items: Sequence[Item], side: Side, ctx: BookingContext, counterparty: str
) -> list[AccountChoice]:
    """One choice per item; accessory costs follow the main (largest) non-accessory line."""
    accessory = [is_accessory(item.description) for item in items]
    choices: list[AccountChoice | None] = [
        None if acc else _choose(item, side, ctx, counterparty)
        for item, acc in zip(items, accessory, strict=True)
    ]
    mains = [i for i, acc in enumerate(accessory) if not acc]
    main = max(mains, key=lambda i: abs(items[i].net)) if mains else None
    for i, item in enumerate(items):
        if choices[i] is not None:
            continue
        hist = _from_history(item, ctx.supplier_history, similar_only=True)
        if hist is not None:
            choices[i] = hist
        elif main is not None:
            main_choice = choices[main]
            assert main_choice is not None
            why = (
                f"accessory cost ('{accessory[i]}') follows the main line "
                f"'{items[main].description}' on {main_choice.account}"
            )
            choices[i] = AccountChoice(
                main_choice.account, why, main_choice.confidence, "accessory", main_choice.history
            )
        else:
            choices[i] = _choose(item, side, ctx, counterparty)
    return [c for c in choices if c is not None]


def deduction_for(item: Item, choice: AccountChoice, ctx: BookingContext) -> tuple[Decimal, str]:
    """Deductible share of the VAT of a purchase line (percent) and why (art. 45 VAT code)."""
    if choice.history is not None and choice.history.deductible_pct is not None:
        pct = choice.history.deductible_pct
        return pct, f"{pct} % deductible as learned for this supplier"
    account, text = choice.account, item.description
    if account.startswith("616") or (account.startswith("241") and _vehicle(text)):
        plate = _vehicle(text)
        for vehicle in ctx.dossier.vehicles:
            if plate and vehicle.plate.replace("-", "").upper() == plate.replace("-", ""):
                pct = vehicle.deductible_pct
                return pct, f"vehicle {vehicle.plate}: {pct} % deductible"
        pct = ctx.dossier.car_deductible_pct
        return pct, f"passenger car costs: at most {pct} % deductible (art. 45 par. 2)"
    if account.startswith("6142"):
        return Decimal(0), "restaurant and reception costs: no deduction (art. 45 par. 3)"
    if mentions(text, _LODGING):
        return Decimal(0), "lodging: no deduction (art. 45 par. 3)"
    if mentions(text, _SPIRITS):
        return Decimal(0), "spirits and tobacco: no deduction (art. 45 par. 3)"
    if account.startswith("6141") and item.unit_value > 50:
        return Decimal(0), f"business gift of {item.unit_value} > EUR 50 excl. VAT: no deduction"
    return Decimal(100), "fully deductible"
