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

Rules chosen where the brief leaves a choice open (issue 15):

- The capitalisation threshold applies only to equipment and other fixed
  assets (tools, furniture, IT hardware, machines, vehicles, buildings).  A
  line that also reads as a service, rent, lease, licence, maintenance or
  subscription (:data:`booking.keywords.NOT_CAPITAL`) is never capitalised,
  and a service rule beats an equipment rule on the same text ("huur laptop"
  is rent 610000).
- Sales are goods (700000) or services (705000) per line: the keyword rule's
  kind, else service or goods wording, else a time unit (HUR, DAY...) means a
  service, else the dossier's default sales account.  On sales, explicit
  service wording ("travaux", "werken", "installation") beats a goods rule
  unless goods wording (levering, delivery) is also there.
- Grid 46 (intra-EU supply of goods, category K) and an export of goods
  (category G, grid 47) are always goods: 700000.  Works for a Belgian
  medecontractant (grid 45) are services: 705000.
- Goods versus services on purchases (grid 86 vs 88) follows the keyword
  rule's kind (a laptop below the threshold on 613600 is still goods), else
  the account (60x and class 2 are goods).
- Utility vehicles (bestelwagen, camionnette, Lieferwagen...) are not
  passenger cars: their VAT is fully deductible.  Lodging is non-deductible
  only on the travel account (so "hébergement web" stays IT).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from booking.chart import AccountKind
from booking.context import BookingContext, HistoryEntry
from booking.keywords import (
    GOODS_WORDS,
    NOT_CAPITAL,
    SERVICE_WORDS,
    RuleMatch,
    is_accessory,
    match_names,
    match_rules,
    mentions,
    service_unit,
)
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
_UTILITY = ("bestelwagen", "lichte vracht", "vrachtwagen", "camionnette", "=camion",
            "utilitaire", "lieferwagen", "=lkw", "=truck", "=van", "bedrijfsvoertuig")  # fmt: skip
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
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class AccountChoice:
    account: str
    reason: str
    confidence: float
    source: str
    history: HistoryEntry | None = None
    goods: bool | None = None  # None: decided from the account (60x, 2x, 700000 are goods)


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
    goods = match.goods if match.goods is not None else match.account.startswith(_GOODS_ACCOUNTS)
    return "700000" if goods else "705000"


def _sales_kind(item: Item) -> AccountChoice | None:
    """Goods (700000) or services (705000) from the line's wording or unit, when no rule says."""
    service = mentions(item.description, SERVICE_WORDS)
    goods = mentions(item.description, GOODS_WORDS)
    if service and not goods:
        why = f"'{service}' is a service: 705000"
        return AccountChoice("705000", why, 0.7, "keyword", None, False)
    if service_unit(item.unit):
        return AccountChoice(
            "705000", f"billed per {item.unit} (time): service, 705000", 0.7, "keyword", None, False
        )
    if goods and not service:
        why = f"'{goods}' is a supply of goods: 700000"
        return AccountChoice("700000", why, 0.7, "keyword", None, True)
    return None


def _from_rules(item: Item, side: Side, ctx: BookingContext) -> AccountChoice | None:
    match = match_rules(item.description)
    if match is not None:
        if side is Side.SALES:
            account = _sales_account(match)
            kind = "goods" if account == "700000" else "a service"
            why = f"keyword '{match.keyword}' ({match.label}, {kind}): {account}"
            work = mentions(item.description, SERVICE_WORDS)
            if account == "700000" and work and not mentions(item.description, GOODS_WORDS):
                account = "705000"
                why = f"'{work}' is a service (about '{match.keyword}', {match.label}): 705000"
            return AccountChoice(account, why, 0.8, "keyword", None, account == "700000")
        threshold = ctx.dossier.capitalisation_threshold
        service = mentions(item.description, NOT_CAPITAL)
        if match.asset_account and abs(item.net) >= threshold and not service:
            why = (
                f"keyword '{match.keyword}' ({match.label}); line net {item.net} is at or above "
                f"the capitalisation threshold {threshold}: fixed asset {match.asset_account}"
            )
            return AccountChoice(match.asset_account, why, 0.75, "keyword", None, True)
        why = f"keyword '{match.keyword}' ({match.label}): {match.account}"
        if match.asset_account and abs(item.net) >= threshold:
            why += f" ('{service}': a service or subscription is never capitalised)"
        return AccountChoice(match.account, why, 0.8, "keyword", None, match.goods)
    if side is Side.SALES:
        worded = _sales_kind(item)
        if worded is not None:
            return worded
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
                main_choice.account,
                why,
                main_choice.confidence,
                "accessory",
                main_choice.history,
                main_choice.goods,
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
    utility = mentions(text, _UTILITY)
    if utility and (account.startswith(("616", "241"))):
        return Decimal(100), f"utility vehicle ('{utility}'), not a passenger car: fully deductible"
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
    if account.startswith("615") and mentions(text, _LODGING):
        return Decimal(0), "lodging: no deduction (art. 45 par. 3)"
    if mentions(text, _SPIRITS):
        return Decimal(0), "spirits and tobacco: no deduction (art. 45 par. 3)"
    if account.startswith("6141") and item.unit_value > 50:
        return Decimal(0), f"business gift of {item.unit_value} > EUR 50 excl. VAT: no deduction"
    return Decimal(100), "fully deductible"
