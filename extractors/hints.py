"""Learning from corrections: per-supplier anchors, used first next time.

When the accountant corrects a field, :func:`learn_hint` finds the corrected
value on the page and remembers *where and how* it was printed: the label
text next to it, whether the value sits right of or below that label, its
position on the page and the shape of the value.  The next invoice of the same
supplier (matched by VAT number, else IBAN) reads those fields through the
hint first (:func:`apply_hints`).  Pure: storage keeps hints as JSON.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from extractors.candidates import amounts_in
from extractors.layout import Layout, Phrase, build_layout
from extractors.model import Evidence, InvoiceData, Party
from extractors.normalize import find_dates, fold, parse_amount, parse_vat
from extractors.words import PageText

__all__ = ["FieldHint", "SupplierHint", "apply_hints", "learn_hint"]

AMOUNT_FIELDS = frozenset(
    {"total_excl_vat", "total_vat", "total_incl_vat", "payable_amount", "prepaid_amount"}
)
DATE_FIELDS = frozenset({"issue_date", "due_date"})
TEXT_FIELDS = frozenset({"invoice_number", "payment_reference", "iban", "currency"})
PARTY_FIELDS = frozenset({"supplier_name", "supplier_vat"})


@dataclass(frozen=True, slots=True)
class FieldHint:
    """How one field is printed on this supplier's invoices."""

    field: str
    label: str = ""  # folded text of the label phrase ("" when none)
    relation: str = "right"  # value relative to the label: "same", "right", "below"
    pattern: str = ""  # regex of the value's shape (text fields)
    page: int = 1
    x: float = 0.0  # centre of the value, fractions of the page
    y: float = 0.0


@dataclass(frozen=True, slots=True)
class SupplierHint:
    supplier_vat: str | None = None
    supplier_iban: str | None = None
    supplier_name: str | None = None
    fields: tuple[FieldHint, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "supplier_vat": self.supplier_vat,
            "supplier_iban": self.supplier_iban,
            "supplier_name": self.supplier_name,
            "fields": [
                {
                    "field": f.field,
                    "label": f.label,
                    "relation": f.relation,
                    "pattern": f.pattern,
                    "page": f.page,
                    "x": f.x,
                    "y": f.y,
                }
                for f in self.fields
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SupplierHint:
        return cls(
            supplier_vat=data.get("supplier_vat"),
            supplier_iban=data.get("supplier_iban"),
            supplier_name=data.get("supplier_name"),
            fields=tuple(
                FieldHint(
                    field=str(f["field"]),
                    label=str(f.get("label", "")),
                    relation=str(f.get("relation", "right")),
                    pattern=str(f.get("pattern", "")),
                    page=int(f.get("page", 1)),
                    x=float(f.get("x", 0.0)),
                    y=float(f.get("y", 0.0)),
                )
                for f in data.get("fields", ())
            ),
        )


# ----------------------------------------------------------------------- learning


def learn_hint(
    invoice: InvoiceData, pages: Sequence[PageText], corrected: Mapping[str, str]
) -> SupplierHint:
    """A hint from the accountant's corrections (field name -> correct value as text)."""
    layout = build_layout(pages)
    hints = []
    for name, value in corrected.items():
        if name in PARTY_FIELDS:
            continue
        located = _locate(layout, name, value)
        if located is None:
            continue
        phrase, start, end = located
        hints.append(_describe(layout, name, phrase, start, end, value))
    vat = corrected.get("supplier_vat") or invoice.supplier.vat
    return SupplierHint(
        supplier_vat=parse_vat(vat) if vat else None,
        supplier_iban=(corrected.get("iban") or invoice.iban or None),
        supplier_name=corrected.get("supplier_name"),
        fields=tuple(hints),
    )


def _locate(layout: Layout, name: str, value: str) -> tuple[Phrase, int, int] | None:
    for phrase in layout.phrases:
        span = _match_in(name, phrase.text, value)
        if span is not None:
            return phrase, span[0], span[1]
    return None


def _match_in(name: str, text: str, value: str) -> tuple[int, int] | None:
    if name in AMOUNT_FIELDS:
        want = parse_amount(value) if not _is_plain_decimal(value) else Decimal(value)
        for s, e, v in amounts_in(text):
            if want is not None and abs(v) == abs(want):
                return s, e
        return None
    if name in DATE_FIELDS:
        try:
            want_d = _dt.date.fromisoformat(value)
        except ValueError:
            return None
        for us in (False, True):
            for s, e, d in find_dates(text, us=us):
                if d == want_d:
                    return s, e
        return None
    i = fold(text).find(fold(value.strip()))
    if i < 0 and name == "iban":
        compact = re.sub(r"\s", "", text.upper())
        return (0, len(text)) if value.replace(" ", "").upper() in compact else None
    return (i, i + len(value.strip())) if i >= 0 else None


def _is_plain_decimal(value: str) -> bool:
    return re.fullmatch(r"-?\d+(?:\.\d+)?", value.strip()) is not None


def _describe(
    layout: Layout, name: str, phrase: Phrase, start: int, end: int, value: str
) -> FieldHint:
    box = phrase.bbox(start, end)
    x, y = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    label, relation = "", "right"
    before = phrase.folded[:start].strip(" :#")
    if len(before) >= 2:
        label, relation = before, "same"
    else:
        left = [p for p in layout.lines[phrase.line].phrases if p.x1 <= phrase.x0 + 1e-4]
        if left:
            label = left[-1].folded.strip(" :")
        elif phrase.line > 0:
            above = [
                p
                for p in layout.lines[phrase.line - 1].phrases
                if p.x0 < phrase.x1 and p.x1 > phrase.x0
            ]
            if above:
                label, relation = above[0].folded.strip(" :"), "below"
    pattern = _shape(value) if name in TEXT_FIELDS else ""
    return FieldHint(name, label, relation, pattern, phrase.page, round(x, 4), round(y, 4))


def _shape(value: str) -> str:
    out = []
    for run in re.finditer(r"\d+|[A-Za-z]+|.", value.strip()):
        t = run.group(0)
        if t.isdigit():
            out.append(r"\d+")
        elif t.isalpha():
            out.append(r"[A-Za-z]+")
        else:
            out.append(re.escape(t))
    return "".join(out)


# ---------------------------------------------------------------------- applying


def matching_hint(
    hints: Sequence[SupplierHint], vat: str | None, iban: str | None, layout_vats: set[str]
) -> SupplierHint | None:
    for h in hints:
        if h.supplier_vat and (h.supplier_vat == vat or h.supplier_vat in layout_vats):
            return h
    for h in hints:
        if h.supplier_iban and iban and h.supplier_iban.replace(" ", "") == iban:
            return h
    return None


def apply_hints(
    layout: Layout,
    hints: Sequence[SupplierHint],
    values: dict[str, Any],
    supplier: Party,
    us: bool,
) -> tuple[dict[str, Any], Party, dict[str, Evidence]]:
    from extractors.normalize import find_vats

    vats = {v for p in layout.phrases for _s, _e, v in find_vats(p.text)}
    hint = matching_hint(hints, supplier.vat, values.get("iban"), vats)
    if hint is None:
        return values, supplier, {}
    out, ev = dict(values), {}
    if hint.supplier_name:
        supplier = replace(supplier, name=hint.supplier_name)
        ev["supplier_name"] = Evidence(0.9, "hint:supplier")
    if hint.supplier_vat and not supplier.vat:
        supplier = replace(supplier, vat=hint.supplier_vat, country=hint.supplier_vat[:2])
    for fh in hint.fields:
        found = _read(layout, fh, us)
        if found is not None:
            out[fh.field], ev[fh.field] = found
    return out, supplier, ev


def _read(layout: Layout, fh: FieldHint, us: bool) -> tuple[Any, Evidence] | None:
    for phrase, text in _hint_texts(layout, fh):
        value = _parse(fh, text, us)
        if value is not None:
            return value, Evidence(
                0.9, f"hint:{fh.relation}:{fh.label}"[:80], phrase.page, phrase.bbox(), text[:120]
            )
    return None


def _hint_texts(layout: Layout, fh: FieldHint) -> list[tuple[Phrase, str]]:
    out: list[tuple[Phrase, str]] = []
    if fh.label:
        for p in layout.phrases:
            i = p.folded.find(fh.label)
            if i < 0:
                continue
            if fh.relation == "same":
                out.append((p, p.text[i + len(fh.label) :].strip(" :#")))
            elif fh.relation == "right":
                out.extend((q, q.text) for q in layout.right_of(p)[:1])
            else:
                out.extend((q, q.text) for q in layout.below(p, 1)[:1])
    near = sorted(
        (p for p in layout.phrases if p.page == fh.page),
        key=lambda p: abs((p.x0 + p.x1) / 2 - fh.x) + abs((p.y0 + p.y1) / 2 - fh.y),
    )
    out.extend((p, p.text) for p in near[:2])
    return out


def _parse(fh: FieldHint, text: str, us: bool) -> Any:
    if fh.field in AMOUNT_FIELDS:
        found = list(amounts_in(text))
        return found[0][2] if found else None
    if fh.field in DATE_FIELDS:
        dates = find_dates(text, us=us)
        return dates[0][2] if dates else None
    if fh.pattern:
        m = re.search(fh.pattern, text)
        return m.group(0) if m else None
    return text.strip() or None
