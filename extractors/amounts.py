"""Totals by arithmetic: labelled candidates, then the combination that adds up.

Every labelled amount becomes a candidate for its role (net, VAT, gross,
payable, prepaid) with a score from the label and the distance; the VAT
breakdown rows come from lines that hold a rate and two amounts with
``base x rate = vat``.  The chosen totals are the best-scoring combination
with net + VAT = gross (0.01), optionally supported by a breakdown that sums
to them; payable = gross - prepaid when no payable label is printed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from extractors.candidates import Cand, amounts_in, evidence, label_spans, labelled
from extractors.layout import Layout, Phrase
from extractors.model import Evidence, VatBreakdown

__all__ = ["Totals", "find_totals"]

ROLES = ("total_excl_vat", "total_vat", "total_incl_vat", "payable_amount", "prepaid_amount")
KNOWN_RATES = {
    Decimal(r)
    for r in (
        "0",
        "3",
        "5",
        "5.5",
        "6",
        "7",
        "8",
        "9",
        "10",
        "12",
        "13",
        "16",
        "17",
        "19",
        "20",
        "21",
        "22",
        "25",
    )
}
TOL = Decimal("0.01")
_RATE_RE = re.compile(r"(?<![\d.,])(\d{1,2}(?:[.,]\d{1,3})?)\s?%")
_BARE_RATE_RE = re.compile(r"^(\d{1,2}(?:[.,]\d)?)$")


@dataclass(slots=True)
class Totals:
    net: Cand[Decimal] | None = None
    vat: Cand[Decimal] | None = None
    gross: Cand[Decimal] | None = None
    payable: Cand[Decimal] | None = None
    prepaid: Cand[Decimal] | None = None
    breakdown: tuple[VatBreakdown, ...] = ()
    breakdown_evidence: Evidence | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Row:
    rate: Decimal
    taxable: Decimal
    vat: Decimal
    phrase: Phrase


def find_totals(layout: Layout) -> Totals:
    cands = _labelled_amounts(layout)
    _gross_from_payable(cands)
    pool = _pool(layout)
    rows = _breakdown_rows(layout)
    out = Totals()
    best = _solve(cands, pool, rows)
    if best is not None:
        out.net, out.vat, out.gross, chosen_rows = best
        out.breakdown = _merge(chosen_rows)
        if chosen_rows:
            ph = chosen_rows[0].phrase
            out.breakdown_evidence = Evidence(0.9, "breakdown:rows", ph.page, ph.bbox(), "")
    elif cands["total_incl_vat"]:
        out.gross = max(cands["total_incl_vat"].values(), key=lambda c: c.score)
    if not out.breakdown and out.net is not None and out.vat is not None:
        out.breakdown = _infer_single_rate(out.net.value, out.vat.value)
        if out.breakdown:
            out.breakdown_evidence = Evidence(0.6, "breakdown:inferred-rate")
    _payable(out, cands)
    return out


def _labelled_amounts(layout: Layout) -> dict[str, dict[Decimal, Cand[Decimal]]]:
    spans = label_spans(layout, ROLES)
    label_phrases = {id(p) for _n, p, _s, _e, _w in spans}
    cands: dict[str, dict[Decimal, Cand[Decimal]]] = {r: {} for r in ROLES}
    for role in ROLES:
        seen: set[tuple[int, int]] = set()
        for _n, phrase, _s, end, _w in spans:
            if _n != role or (phrase.index, end) in seen:
                continue
            seen.add((phrase.index, end))
            taken = 0
            _column_total(layout, role, phrase, _w, cands[role])
            in_row = role in ("total_excl_vat", "total_vat") and _breakdown_row_label(
                layout, phrase
            )
            for hit, score, rule in labelled(layout, role, [(_n, phrase, _s, end, _w)]):
                if hit.relation == "right" and id(hit.phrase) in label_phrases:
                    if taken:
                        break
                    continue
                for s, e, value in amounts_in(hit.text):
                    sc = score * (0.7**taken) * (0.5 if in_row else 1.0)
                    ev = evidence(rule, hit.phrase, sc / 3.0, hit.start + s, hit.start + e)
                    _keep(cands[role], Cand(value, sc, ev))
                    taken += 1
                    if taken >= 3:
                        break
                if taken >= 3 or (taken and hit.relation == "below"):
                    break
    return cands


def _breakdown_row_label(layout: Layout, phrase: Phrase) -> bool:
    """A label inside one row of a VAT table ('TVA 12% base 4.793,79 | 575,25'): its
    amounts are that rate's, not the document's totals."""
    key = "breakdown-row-lines"
    cached = layout.cache.get(key)
    if isinstance(cached, frozenset):
        rows: frozenset[int] = cached
    else:
        found: set[int] = set()
        for line in layout.lines:
            amounts = [(p, v) for p in line.phrases for _s, _e, v in amounts_in(p.text)]
            if len(amounts) >= 2 and any(
                r != 0 and _row_for(r, amounts) is not None for r in _rates(line.phrases)
            ):
                found.add(line.index)
        rows = frozenset(found)
        layout.cache[key] = rows
    return len(rows) >= 2 and phrase.line in rows  # one row alone may be the totals line


def _gross_from_payable(cands: dict[str, dict[Decimal, Cand[Decimal]]]) -> None:
    """'Montant à payer', 'Te betalen' with no prepaid amount printed: also the gross."""
    if cands["prepaid_amount"]:
        return
    for value, cand in cands["payable_amount"].items():
        _keep(cands["total_incl_vat"], Cand(value, cand.score * 0.8, cand.evidence))


def _column_total(
    layout: Layout, role: str, header: Phrase, weight: float, bucket: dict[Decimal, Cand[Decimal]]
) -> None:
    """A column header whose values end in their own sum: the sum is the total."""
    column: list[tuple[Phrase, Decimal]] = []
    for p in layout.below(header, 8, slack=0.005):
        found = list(amounts_in(p.text))
        if len(found) != 1:
            break
        column.append((p, found[0][2]))
    for k in range(2, len(column)):
        if sum(v for _p, v in column[:k]) == column[k][1]:
            p, v = column[k]
            _keep(
                bucket,
                Cand(
                    v,
                    weight + 0.5,
                    evidence(f"column-sum:{header.folded}", p, (weight + 0.5) / 3.0),
                ),
            )
            return


def _keep(bucket: dict[Decimal, Cand[Decimal]], cand: Cand[Decimal]) -> None:
    old = bucket.get(cand.value)
    if old is None or old.score < cand.score:
        bucket[cand.value] = cand


def _pool(layout: Layout) -> dict[Decimal, Cand[Decimal]]:
    pool: dict[Decimal, Cand[Decimal]] = {}
    for phrase in layout.phrases:
        for s, e, value in amounts_in(phrase.text):
            if value not in pool:
                pool[value] = Cand(value, 0.3, evidence("printed-amount", phrase, 0.3, s, e))
    return pool


def _breakdown_rows(layout: Layout) -> list[Row]:
    rows: dict[tuple[Decimal, Decimal, Decimal], Row] = {}
    for line in layout.lines:
        rates = _rates(line.phrases)
        if not rates:
            continue
        amounts = [(p, v) for p in line.phrases for _s, _e, v in amounts_in(p.text)]
        for rate in rates:
            row = _row_for(rate, amounts)
            if row is not None:
                rows.setdefault((row.rate, row.taxable, row.vat), row)
    return list(rows.values())


def _rates(phrases: list[Phrase]) -> list[Decimal]:
    out: list[Decimal] = []
    for p in phrases:
        for m in _RATE_RE.finditer(p.text):
            out.append(Decimal(m.group(1).replace(",", ".")))
        bare = _BARE_RATE_RE.match(p.text.strip())
        if bare:
            value = Decimal(bare.group(1).replace(",", "."))
            if value in KNOWN_RATES:
                out.append(value)
    return [r.normalize() for r in dict.fromkeys(out)]


def _row_for(rate: Decimal, amounts: list[tuple[Phrase, Decimal]]) -> Row | None:
    best: Row | None = None
    for i, (_p1, base) in enumerate(amounts):
        for j, (p2, vat) in enumerate(amounts):
            if i == j or abs(base) < abs(vat) or (base == 0):
                continue
            if rate == 0 and vat != 0:
                continue
            if abs(base * rate / 100 - vat) <= Decimal("0.02") and (best is None or j > i):
                best = Row(rate, base, vat, p2)
    return best


def _solve(
    cands: dict[str, dict[Decimal, Cand[Decimal]]],
    pool: dict[Decimal, Cand[Decimal]],
    rows: list[Row],
) -> tuple[Cand[Decimal] | None, Cand[Decimal] | None, Cand[Decimal] | None, list[Row]] | None:
    net, vat, gross = cands["total_excl_vat"], cands["total_vat"], cands["total_incl_vat"]
    options: list[tuple[float, Cand[Decimal], Cand[Decimal], Cand[Decimal], list[Row]]] = []

    def look(bucket: dict[Decimal, Cand[Decimal]], value: Decimal, rule: str) -> Cand[Decimal]:
        for v in (value, value + TOL, value - TOL):
            if v in bucket:
                return bucket[v]
        for v in (value, value + TOL, value - TOL):
            if v in pool:
                return Cand(v, 0.3, pool[v].evidence)
        return Cand(value, -1.0, Evidence(0.5, rule))

    for n, g in itertools.product(net.values(), gross.values()):
        options.append(_option(n, look(vat, g.value - n.value, "computed:gross-net"), g, rows))
    for n, v in itertools.product(net.values(), vat.values()):
        options.append(_option(n, v, look(gross, n.value + v.value, "computed:net+vat"), rows))
    for v, g in itertools.product(vat.values(), gross.values()):
        options.append(_option(look(net, g.value - v.value, "computed:gross-vat"), v, g, rows))
    for subset in _row_subsets(rows):
        t = sum((r.taxable for r in subset), Decimal(0))
        x = sum((r.vat for r in subset), Decimal(0))
        n_c, v_c = look(net, t, "computed:breakdown"), look(vat, x, "computed:breakdown")
        g_c = look(gross, t + x, "computed:breakdown")
        if g_c.score > 0:
            options.append(_option(n_c, v_c, g_c, rows))
    for n, v, g in itertools.product(net.values(), vat.values(), gross.values()):
        if abs(n.value + v.value - g.value) > TOL:  # printed totals that do not add up
            options.append(_option(n, v, g, rows))
    if not options:
        return None
    score, n_best, v_best, g_best, chosen = max(options, key=lambda o: o[0])
    if score < 2.0:
        return None
    return n_best, v_best, g_best, chosen


def _option(
    n: Cand[Decimal], v: Cand[Decimal], g: Cand[Decimal], rows: list[Row]
) -> tuple[float, Cand[Decimal], Cand[Decimal], Cand[Decimal], list[Row]]:
    score = n.score + v.score + g.score
    chosen, full = _rows_matching(rows, n.value, v.value)
    if chosen:
        score += 1.5 + 0.2 * len(chosen) if full else 0.5
    if abs(v.value) > abs(n.value) or (abs(g.value) < abs(n.value) and v.value >= 0 <= n.value):
        score -= 5
    if v.value != 0 and _infer_single_rate(n.value, v.value):
        score += 1.0
    if abs(n.value + v.value - g.value) > TOL:
        score -= 3.0
    return score, n, v, g, chosen


def _row_subsets(rows: list[Row]) -> Iterable[tuple[Row, ...]]:
    capped = rows[:10]
    for size in range(1, min(4, len(capped)) + 1):
        yield from itertools.combinations(capped, size)


def _rows_matching(rows: list[Row], net: Decimal, vat: Decimal) -> tuple[list[Row], bool]:
    if not rows:
        return [], False

    capped = rows[:10]
    for size in range(min(4, len(capped)), 0, -1):
        for subset in itertools.combinations(capped, size):
            t = sum((r.taxable for r in subset), Decimal(0))
            x = sum((r.vat for r in subset), Decimal(0))
            if abs(t - net) <= TOL and abs(x - vat) <= Decimal("0.02"):
                return list(subset), True
            if net < 0 and abs(t + net) <= TOL and abs(x + vat) <= Decimal("0.02"):
                return list(subset), True  # a credit note: negative totals, positive rows
    for size in range(min(4, len(capped)), 0, -1):  # items without VAT: taxable < net
        for subset in itertools.combinations(capped, size):
            x = sum((r.vat for r in subset), Decimal(0))
            t = sum((r.taxable for r in subset), Decimal(0))
            if x != 0 and abs(x - vat) <= Decimal("0.02") and abs(t) < abs(net):
                return list(subset), False
    return [], False


def _merge(rows: list[Row]) -> tuple[VatBreakdown, ...]:
    merged: dict[Decimal, list[Decimal]] = {}
    for r in rows:
        acc = merged.setdefault(r.rate, [Decimal(0), Decimal(0)])
        acc[0] += r.taxable
        acc[1] += r.vat
    return tuple(VatBreakdown(taxable=t, vat=v, rate=rate) for rate, (t, v) in merged.items())


def _infer_single_rate(net: Decimal, vat: Decimal) -> tuple[VatBreakdown, ...]:
    if net == 0:
        return ()
    for rate in sorted(KNOWN_RATES):
        if abs((net * rate / 100).quantize(Decimal("0.01")) - vat) <= TOL:
            return (VatBreakdown(taxable=net, vat=vat, rate=rate),)
    return ()


def _payable(out: Totals, cands: dict[str, dict[Decimal, Cand[Decimal]]]) -> None:
    payables = sorted(cands["payable_amount"].values(), key=lambda c: -c.score)
    prepaids = sorted(cands["prepaid_amount"].values(), key=lambda c: -c.score)
    gross = out.gross.value if out.gross else None
    out.prepaid = prepaids[0] if prepaids else None
    if gross is not None and payables:
        for p in payables:
            for pre in prepaids:
                if abs(gross - abs(pre.value) - p.value) <= TOL:
                    out.payable, out.prepaid = Cand(p.value, p.score + 1, p.evidence), pre
                    return
    if payables:
        out.payable = payables[0]
        return
    if out.gross is not None:
        paid = abs(out.prepaid.value) if out.prepaid else Decimal(0)
        rule = "computed:gross-prepaid" if paid else "computed:gross"
        out.payable = Cand(
            out.gross.value - paid,
            out.gross.score,
            Evidence(
                out.gross.evidence.confidence * 0.9,
                rule,
                out.gross.evidence.page,
                out.gross.evidence.bbox,
            ),
        )
