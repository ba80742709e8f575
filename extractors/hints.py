"""Learning from corrections: per-supplier anchors, used first next time.

When the accountant corrects a field, :func:`learn_hint` finds the corrected
value on the page and remembers *where and how* it was printed: the label
text next to it (never the value itself: amounts, numbers and dates change
from one invoice to the next), whether the value sits in, right of or below
that label, its position on the page and the shape of the value.  Values that
belong to the supplier (its name, VAT number, IBAN) are remembered as they are.

All of a supplier's corrections live in one :class:`SupplierHint`
(:func:`merge_hints` folds a new correction into it).  The next invoice of
that supplier is recognised by every piece of evidence there is (VAT number,
IBAN, enterprise number, name, the fixed text of its layout, the mail's
sender) and every learned field is read through its hint
(:func:`apply_hints`).  A hint that does not fit is skipped with a warning:
a correction never makes an extraction fail.  Pure: storage keeps hints as JSON.
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from extractors.candidates import amounts_in
from extractors.layout import Layout, Phrase, build_layout
from extractors.model import DocumentType, Evidence, InvoiceData, Party, VatBreakdown
from extractors.normalize import (
    find_dates,
    find_vats,
    fold,
    iban_checksum_ok,
    parse_amount,
    parse_iban,
    parse_vat,
)
from extractors.words import PageText

__all__ = [
    "FieldHint",
    "SupplierHint",
    "apply_hints",
    "learn_hint",
    "match_hint",
    "merge_hints",
    "parse_breakdown",
]

log = logging.getLogger(__name__)

AMOUNT_FIELDS = frozenset(
    {"total_excl_vat", "total_vat", "total_incl_vat", "payable_amount", "prepaid_amount"}
)
DATE_FIELDS = frozenset({"issue_date", "due_date"})
TEXT_FIELDS = frozenset({"invoice_number", "payment_reference", "iban", "currency"})
#: fields read from the page through a learned label/position
LAYOUT_FIELDS = AMOUNT_FIELDS | DATE_FIELDS | TEXT_FIELDS | {"document_type", "vat_breakdown"}
#: the supplier's own values, remembered as values
SUPPLIER_FIELDS = frozenset({"supplier_name", "supplier_vat"})
#: the dossier's side: known to the pipeline, nothing to learn about the supplier's layout
CUSTOMER_FIELDS = frozenset({"customer_name", "customer_vat"})

_MAX_FIELDS = 64
_MAX_ANCHORS = 40
_CREDIT_WORDS = re.compile(
    r"credit|krediet|gutschrift|avoir|storno|creditnota|kreditnota|rectifi|correctie"
)


@dataclass(frozen=True, slots=True)
class FieldHint:
    """How one field is printed on this supplier's invoices."""

    field: str
    label: str = ""  # folded text of the label phrase, without per-invoice values
    relation: str = "right"  # value relative to the label: "same", "right", "below"
    pattern: str = ""  # regex of the value's shape (text fields); the type or rate otherwise
    page: int = 1
    x: float = 0.0  # centre of the value, fractions of the page
    y: float = 0.0
    nth: int = 0  # the value is the nth candidate of its kind after the label

    @property
    def key(self) -> tuple[str, str]:
        """Two hints with one key describe the same thing (the newer wins)."""
        return (self.field, self.pattern if self.field == "vat_breakdown" else "")


@dataclass(frozen=True, slots=True)
class SupplierHint:
    supplier_vat: str | None = None
    supplier_iban: str | None = None
    supplier_name: str | None = None
    fields: tuple[FieldHint, ...] = field(default=())
    anchors: tuple[str, ...] = ()  # folded fixed texts of the supplier's layout
    senders: tuple[str, ...] = ()  # mail senders (lower-case addresses) it came from

    def to_json(self) -> dict[str, Any]:
        return {
            "supplier_vat": self.supplier_vat,
            "supplier_iban": self.supplier_iban,
            "supplier_name": self.supplier_name,
            "anchors": list(self.anchors),
            "senders": list(self.senders),
            "fields": [
                {
                    "field": f.field,
                    "label": f.label,
                    "relation": f.relation,
                    "pattern": f.pattern,
                    "page": f.page,
                    "x": f.x,
                    "y": f.y,
                    "nth": f.nth,
                }
                for f in self.fields
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SupplierHint:
        """The stored hint; malformed parts are dropped (raises only for a non-mapping)."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a stored hint must be an object, got {type(data).__name__}")
        fields = []
        for f in data.get("fields") or ():
            try:
                fh = FieldHint(
                    field=str(f["field"]),
                    label=str(f.get("label", "")),
                    relation=str(f.get("relation", "right")),
                    pattern=str(f.get("pattern", "")),
                    page=int(f.get("page", 1)),
                    x=float(f.get("x", 0.0)),
                    y=float(f.get("y", 0.0)),
                    nth=int(f.get("nth", 0)),
                )
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                log.warning("a stored field hint is malformed and skipped: %r (%s)", f, exc)
                continue
            fields.append(fh)
        return cls(
            supplier_vat=_str_or_none(data.get("supplier_vat")),
            supplier_iban=_str_or_none(data.get("supplier_iban")),
            supplier_name=_str_or_none(data.get("supplier_name")),
            fields=tuple(fields[:_MAX_FIELDS]),
            anchors=tuple(str(a) for a in data.get("anchors") or () if a)[:_MAX_ANCHORS],
            senders=tuple(str(a).lower() for a in data.get("senders") or () if a),
        )


def _str_or_none(value: Any) -> str | None:
    return str(value) if value else None


def merge_hints(old: SupplierHint | None, new: SupplierHint) -> SupplierHint:
    """One hint with everything learned: ``new``'s fields replace ``old``'s of the same key."""
    if old is None:
        return new
    fields = {f.key: f for f in old.fields}
    for f in new.fields:
        fields.pop(f.key, None)
        fields[f.key] = f
    anchors = list(dict.fromkeys((*new.anchors, *old.anchors)))[:_MAX_ANCHORS]
    senders = list(dict.fromkeys((*new.senders, *old.senders)))[:8]
    return SupplierHint(
        supplier_vat=new.supplier_vat or old.supplier_vat,
        supplier_iban=new.supplier_iban or old.supplier_iban,
        supplier_name=new.supplier_name or old.supplier_name,
        fields=tuple(fields.values())[-_MAX_FIELDS:],
        anchors=tuple(anchors),
        senders=tuple(senders),
    )


# ----------------------------------------------------------------------- learning


def learn_hint(
    invoice: InvoiceData,
    pages: Sequence[PageText],
    corrected: Mapping[str, str],
    *,
    sender: str | None = None,
    known_customer: Party | None = None,
) -> SupplierHint:
    """A hint from the accountant's corrections (field name -> correct value as text).

    ``invoice`` is the corrected invoice (its evidence still says how the
    finder read it).  Fields that cannot be found on the page, and the
    customer's fields, teach nothing about the layout and are left out.
    """
    layout = build_layout(pages)
    hints: list[FieldHint] = []
    for name, value in corrected.items():
        if name not in LAYOUT_FIELDS:
            continue
        if name == "document_type":
            hints.extend(_learn_type(layout, invoice, value))
        elif name == "vat_breakdown":
            hints.extend(_learn_breakdown(layout, value))
        else:
            located = _locate(layout, name, value)
            if located is not None:
                phrase, start, end = located
                hints.append(_describe(layout, name, phrase, start, end, value))
    vat = corrected.get("supplier_vat") or invoice.supplier.vat
    iban = corrected.get("iban") or invoice.iban
    customer = known_customer or invoice.customer
    return SupplierHint(
        supplier_vat=parse_vat(vat) if vat else None,
        supplier_iban=(parse_iban(iban) or None) if iban else None,
        supplier_name=(corrected.get("supplier_name") or "").strip() or None,
        fields=tuple(hints),
        anchors=_anchors(layout, invoice, customer),
        senders=(sender.strip().lower(),) if sender and "@" in sender else (),
    )


def _anchors(layout: Layout, invoice: InvoiceData, customer: Party) -> tuple[str, ...]:
    """Fixed texts of this supplier's layout: first-page phrases without per-invoice values
    and without the customer's name or VAT number."""
    avoid = {fold(customer.name)} if customer.name else set()
    cvat = re.sub(r"\D", "", customer.vat or "")[-9:]
    out: list[str] = []
    for p in layout.phrases:
        if p.page != 1:
            break
        text = p.folded.strip(" :.")
        if len(text) < 5 or sum(ch.isdigit() for ch in text) > 4:
            continue  # numbers, dates and amounts change from one invoice to the next
        if any(True for _ in amounts_in(p.text)) or find_dates(p.text):
            continue
        if any(a and (a in text or text in a) for a in avoid):
            continue
        if cvat and cvat in re.sub(r"\D", "", text):
            continue
        if text not in out:
            out.append(text)
        if len(out) >= _MAX_ANCHORS:
            break
    return tuple(out)


def _learn_type(layout: Layout, invoice: InvoiceData, value: str) -> list[FieldHint]:
    try:
        wanted = DocumentType(value.strip())
    except ValueError:
        return []
    if wanted is DocumentType.CREDIT_NOTE:
        for p in layout.phrases[:80]:
            if p.page == 1 and _CREDIT_WORDS.search(p.folded) and len(p.folded) <= 60:
                return [FieldHint("document_type", _label_text(p.folded), "same", wanted.value)]
        return []
    ev = invoice.evidence_for("document_type")  # what made the finder say credit note
    if ev is not None and ev.text:
        return [FieldHint("document_type", _label_text(fold(ev.text)), "same", wanted.value)]
    return []


def parse_breakdown(value: str) -> tuple[VatBreakdown, ...]:
    """'21:100.00:21.00; 6:50.00:3.00' (rate:taxable:vat per rate) as breakdown rows."""
    rows = []
    for part in re.split(r"[;\n]", value):
        if not part.strip():
            continue
        bits = [b.strip().replace(",", ".").rstrip("%") for b in part.split(":")]
        if len(bits) != 3:
            raise ValueError(f"a VAT row is rate:taxable:vat, got {part.strip()!r}")
        try:
            rate, taxable, vat = (Decimal(b) for b in bits)
        except InvalidOperation:
            raise ValueError(f"a VAT row is rate:taxable:vat, got {part.strip()!r}") from None
        cent = Decimal("0.01")
        rows.append(VatBreakdown(taxable=taxable.quantize(cent), vat=vat.quantize(cent), rate=rate))
    return tuple(rows)


def _learn_breakdown(layout: Layout, value: str) -> list[FieldHint]:
    try:
        rows = parse_breakdown(value)
    except ValueError:
        return []
    rates = sorted({f"{r.rate.normalize():f}" for r in rows if r.rate is not None})
    out = [FieldHint("vat_breakdown", "", "derive", "rates:" + ",".join(rates))] if rates else []
    for row in rows:
        rate = f"{row.rate.normalize():f}" if row.rate is not None else ""
        for part, amount in (("taxable", row.taxable), ("vat", row.vat)):
            if amount == 0:
                continue
            located = _locate(layout, "total_vat", f"{amount:f}")
            if located is not None:
                phrase, start, end = located
                fh = _describe(layout, "total_vat", phrase, start, end, f"{amount:f}")
                out.append(replace(fh, field="vat_breakdown", pattern=f"{rate}:{part}"))
    return out


def _locate(layout: Layout, name: str, value: str) -> tuple[Phrase, int, int] | None:
    # totals are printed under the lines that may carry the same amount: the last one wins
    phrases = list(reversed(layout.phrases) if name in AMOUNT_FIELDS else layout.phrases)
    if name in TEXT_FIELDS and name != "iban":  # a phrase that is the value itself first
        want = fold(value.strip())
        for phrase in phrases:
            if phrase.folded.strip() == want and want:
                start = phrase.folded.find(want)
                return phrase, start, start + len(want)
    for phrase in phrases:
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
            want_d = _dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
        for us in (False, True):
            for s, e, d in find_dates(text, us=us):
                if d == want_d:
                    return s, e
        return None
    if name == "iban":
        want_iban = re.sub(r"\s", "", value).upper()
        upper = text.upper()
        m = re.search(r"\s?".join(re.escape(ch) for ch in want_iban), upper) if want_iban else None
        return (m.start(), m.end()) if m else None
    want_text = fold(value.strip())
    if not want_text:
        return None
    m = re.search(
        rf"(?<![0-9a-z])(?<![0-9a-z][./-]){re.escape(want_text)}(?![0-9a-z])(?![./-][0-9a-z])",
        fold(text),
    )
    return (m.start(), m.end()) if m else None  # a whole token, never inside another number


def _is_plain_decimal(value: str) -> bool:
    return re.fullmatch(r"-?\d+(?:\.\d+)?", value.strip()) is not None


_VOLATILE = re.compile(r"\S*\d\S*")
_CURRENCY_SIGNS = frozenset({"€", "$", "£"})


def _label_text(folded: str) -> str:
    """A label without the per-invoice values in it (amounts, numbers, dates); rates stay."""
    kept = [
        t
        for t in folded.split()
        if (not _VOLATILE.fullmatch(t) or re.fullmatch(r"\d+%", t)) and t not in _CURRENCY_SIGNS
    ]
    return " ".join(kept).strip(" :#")


def _describe(
    layout: Layout, name: str, phrase: Phrase, start: int, end: int, value: str
) -> FieldHint:
    box = phrase.bbox(start, end)
    x, y = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    label, relation, nth = "", "right", 0
    before = phrase.folded[:start]
    cleaned = _label_text(before)
    if len(cleaned) >= 2:
        label, relation = cleaned, "same"
        nth = _count_before(name, phrase.text, before, start)
    else:
        left = [p for p in layout.lines[phrase.line].phrases if p.x1 <= phrase.x0 + 1e-4]
        for p in reversed(left):
            cleaned = _label_text(p.folded)
            if len(cleaned) >= 2:
                label = cleaned
                break
        if not label and phrase.line > 0:
            above = [
                p
                for p in layout.lines[phrase.line - 1].phrases
                if p.x0 < phrase.x1 and p.x1 > phrase.x0
            ]
            if above and len(_label_text(above[0].folded)) >= 2:
                label, relation = _label_text(above[0].folded), "below"
    pattern = _shape(value) if name in TEXT_FIELDS and name != "iban" else ""
    return FieldHint(name, label, relation, pattern, phrase.page, round(x, 4), round(y, 4), nth)


def _count_before(name: str, text: str, before: str, start: int) -> int:
    """How many candidates of the field's kind stand between the label and the value."""
    label = _label_text(before)
    words = label.split()
    if not words:
        return 0
    i = fold(text).find(words[-1])
    segment = text[i + len(words[-1]) : start] if i >= 0 else ""
    if name in AMOUNT_FIELDS:
        return len(list(amounts_in(segment)))
    if name in DATE_FIELDS:
        return len(find_dates(segment))
    return 0


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


# ---------------------------------------------------------------------- matching


def match_hint(
    hints: Sequence[SupplierHint],
    layout: Layout,
    supplier: Party,
    iban: str | None,
    sender: str | None = None,
) -> SupplierHint | None:
    """The hint of the supplier this document comes from, by all the evidence there is."""
    if not hints:
        return None
    text = fold(layout.text)
    digits = re.sub(r"\D", "", layout.text)
    vats = {v for p in layout.phrases for _s, _e, v in find_vats(p.text)}
    phrases = {p.folded.strip(" :.") for p in layout.phrases}
    compact_text = re.sub(r"\s", "", layout.text.upper())
    best, best_score = None, 0.0
    shared_sender: dict[str, int] = {}
    if sender:
        sender = sender.strip().lower()
        shared_sender[sender] = sum(1 for h in hints if sender in h.senders)
    for h in hints:
        score = 0.0
        if h.supplier_vat and (h.supplier_vat == supplier.vat or h.supplier_vat in vats):
            score += 10
        elif h.supplier_vat and len(h.supplier_vat) > 9 and h.supplier_vat[2:] in digits:
            score += 6  # the enterprise number printed without the country prefix
        elif h.supplier_vat and supplier.vat:
            score -= 8  # this page names another supplier VAT number, and not the hint's
        if h.supplier_iban:
            ib = h.supplier_iban.replace(" ", "").upper()
            if ib == (iban or "").replace(" ", "").upper() or ib in compact_text:
                score += 8
        if sender and sender.strip().lower() in h.senders and shared_sender.get(sender) == 1:
            score += 3  # supports other evidence; never enough alone (a client forwards all)
        if h.supplier_name and len(fold(h.supplier_name)) >= 4 and fold(h.supplier_name) in text:
            score += 4
        if h.anchors:
            found = sum(1 for a in h.anchors if a in phrases or a in text)
            share = found / len(h.anchors)
            if len(h.anchors) >= 3 and share > 0.5:
                score += 8 * (share - 0.5)
        if score > best_score:
            best, best_score = h, score
    return best if best_score >= 4 else None


# ---------------------------------------------------------------------- applying


def apply_hints(
    layout: Layout,
    hints: Sequence[SupplierHint],
    values: dict[str, Any],
    supplier: Party,
    us: bool,
    *,
    sender: str | None = None,
    evidence: Mapping[str, Evidence] | None = None,
) -> tuple[dict[str, Any], Party, dict[str, Evidence], list[str]]:
    """Read every learned field of the matching supplier's hint.

    ``values`` may carry ``document_type`` and ``vat_breakdown`` besides the
    InvoiceData fields; keys that are not learnable are never added.  Never
    raises: a hint that cannot be used is skipped with a warning.
    """
    warnings: list[str] = []
    try:
        hint = match_hint(hints, layout, supplier, values.get("iban"), sender)
    except Exception as exc:  # a bad hint must never stop a document
        log.warning("supplier hints could not be matched: %s", exc)
        return values, supplier, {}, [f"learned supplier hints skipped: {exc}"]
    if hint is None:
        return values, supplier, {}, []
    out, ev = dict(values), {}
    if hint.supplier_name:
        supplier = replace(supplier, name=hint.supplier_name)
        ev["supplier_name"] = Evidence(0.9, "hint:supplier")
    if hint.supplier_vat and supplier.vat != hint.supplier_vat:
        supplier = replace(supplier, vat=hint.supplier_vat, country=hint.supplier_vat[:2])
        ev["supplier_vat"] = Evidence(0.85, "hint:supplier")
    rows: dict[str, dict[str, Decimal]] = {}
    derive: list[Decimal] = []
    for fh in hint.fields:
        try:
            if fh.field not in LAYOUT_FIELDS:
                raise ValueError(f"{fh.field} is not a field hints can read")
            if fh.field == "document_type":
                found_type = _read_type(layout, fh, evidence or {})
                if found_type is not None:
                    out["document_type"], ev["document_type"] = found_type
                continue
            if fh.relation == "derive":
                derive.extend(_rates(fh.pattern))
                continue
            found = _read(layout, fh, us)
        except Exception as exc:
            log.warning("hint for %s skipped: %s", fh.field, exc)
            warnings.append(f"learned hint for {fh.field} skipped: {exc}"[:200])
            continue
        if found is None:
            continue
        if fh.field == "vat_breakdown":
            rate, _sep, part = fh.pattern.partition(":")
            if rate == "rates":
                continue
            rows.setdefault(rate, {})[part] = found[0]
            continue
        out[fh.field], ev[fh.field] = found
    if _consistent(values) and not _consistent(out):
        for key in ("total_excl_vat", "total_vat", "total_incl_vat"):
            if out.get(key) != values.get(key):  # hinted totals that break right arithmetic
                out[key] = values.get(key)
                ev.pop(key, None)
                warnings.append(f"learned hint for {key} skipped: the totals would not add up")
    learned = _breakdown(rows, out) if rows else ()
    if not learned and derive and not _adds_up(out.get("vat_breakdown") or (), out):
        try:
            learned = _derived_breakdown(layout, derive, out)
        except Exception as exc:
            warnings.append(f"learned VAT rates skipped: {exc}"[:200])
    if learned:
        out["vat_breakdown"] = learned
        ev["vat_breakdown"] = Evidence(0.85, "hint:vat_breakdown")
    return out, supplier, ev, warnings


def _consistent(values: Mapping[str, Any]) -> bool:
    """Net + VAT = total, all three read."""
    net, vat, gross = (values.get(k) for k in ("total_excl_vat", "total_vat", "total_incl_vat"))
    if isinstance(net, Decimal) and isinstance(vat, Decimal) and isinstance(gross, Decimal):
        return abs(abs(net) + abs(vat) - abs(gross)) <= Decimal("0.01")
    return False


def _rates(pattern: str) -> list[Decimal]:
    out = []
    for bit in pattern.partition(":")[2].split(","):
        try:
            out.append(Decimal(bit))
        except InvalidOperation:
            continue
    return out


def _adds_up(rows: Sequence[VatBreakdown], values: Mapping[str, Any]) -> bool:
    """A breakdown that agrees with the totals read (and is not empty)."""
    if not rows:
        return False
    net, vat = values.get("total_excl_vat"), values.get("total_vat")
    tol = Decimal("0.02")
    if net is not None and abs(sum((abs(r.taxable) for r in rows), Decimal(0)) - abs(net)) > tol:
        return False
    return vat is None or abs(sum((abs(r.vat) for r in rows), Decimal(0)) - abs(vat)) <= tol


#: Belgian VAT rates, tried after the supplier's learned ones
_STANDARD_RATES = (Decimal(21), Decimal(12), Decimal(6), Decimal(0))
_PERCENT_TOKEN = re.compile(r"^(\d{1,2}(?:[.,]\d{1,2})?)\s?%$")


def _derived_breakdown(
    layout: Layout, rates: Sequence[Decimal], values: Mapping[str, Any]
) -> tuple[VatBreakdown, ...]:
    """The breakdown of a supplier that prints none: one learned rate applied to the totals,
    or the invoice lines (a rate column and a line amount) summed per learned rate.
    Kept only when it agrees with the totals read."""
    net, vat = values.get("total_excl_vat"), values.get("total_vat")
    if net is None or vat is None:
        return ()
    net, vat = abs(net), abs(vat)
    cent = Decimal("0.01")
    learned = list(rates)
    rates = list(dict.fromkeys([*learned, *_STANDARD_RATES]))
    fits = [r for r in rates if abs((net * r / 100).quantize(cent) - vat) <= cent]
    if len(fits) == 1 and (vat != 0 or fits[0] in learned):
        return (VatBreakdown(taxable=net, vat=vat, rate=fits[0]),)
    sums: dict[Decimal, Decimal] = {}
    for line in layout.lines:
        rate_here = None
        for p in line.phrases:
            m = _PERCENT_TOKEN.match(p.text.strip())
            if m is not None:
                rate_here = Decimal(m.group(1).replace(",", "."))
        if rate_here is None or rate_here not in rates:
            continue
        amounts = [v for p in line.phrases for _s, _e, v in amounts_in(p.text)]
        if len(amounts) < 2:
            continue  # a line of the invoice has a price and an amount; a VAT total has one
        sums[rate_here] = sums.get(rate_here, Decimal(0)) + abs(amounts[-1])
    rows = tuple(
        VatBreakdown(taxable=b, vat=(b * r / 100).quantize(cent), rate=r)
        for r, b in sorted(sums.items())
    )
    if not rows or abs(sum((r.taxable for r in rows), Decimal(0)) - net) > cent:
        return ()
    if abs(sum((r.vat for r in rows), Decimal(0)) - vat) > cent * len(rows):
        return ()
    return rows


def _breakdown(rows: Mapping[str, Mapping[str, Decimal]], values: Mapping[str, Any]) -> tuple:
    """Breakdown rows read through hints, kept only when they add up."""
    out = []
    for rate_text, parts in rows.items():
        taxable = parts.get("taxable")
        if taxable is None:
            continue
        try:
            rate = Decimal(rate_text) if rate_text else None
        except InvalidOperation:
            return ()
        vat = parts.get("vat", Decimal("0.00"))
        if rate is not None and abs(taxable * rate / 100 - vat) > Decimal("0.05"):
            return ()
        out.append(VatBreakdown(taxable=abs(taxable), vat=abs(vat), rate=rate))
    net, total_vat = values.get("total_excl_vat"), values.get("total_vat")
    if net is not None and abs(sum((r.taxable for r in out), Decimal(0)) - abs(net)) > Decimal(
        "0.02"
    ):
        return ()
    if total_vat is not None and abs(sum((r.vat for r in out), Decimal(0)) - abs(total_vat)) > (
        Decimal("0.02")
    ):
        return ()
    return tuple(out)


def _read_type(
    layout: Layout, fh: FieldHint, evidence: Mapping[str, Evidence]
) -> tuple[DocumentType, Evidence] | None:
    wanted = DocumentType(fh.pattern)
    if not fh.label:
        return None
    if wanted is DocumentType.CREDIT_NOTE:
        for p in layout.phrases[:80]:
            if p.page == 1 and fh.label in p.folded:
                return wanted, Evidence(0.85, "hint:document_type", p.page, p.bbox(), p.text)
        return None
    ev = evidence.get("document_type")
    if ev is not None and ev.text and fh.label in fold(ev.text):
        return wanted, Evidence(0.85, "hint:document_type", ev.page, ev.bbox, ev.text)
    return None


def _read(layout: Layout, fh: FieldHint, us: bool) -> tuple[Any, Evidence] | None:
    found: list[tuple[float, Any, Phrase, str]] = []
    for phrase, text, by_label in _hint_texts(layout, fh):
        value = _parse(fh, text, us)
        if value is None:
            continue
        cx, cy = (phrase.x0 + phrase.x1) / 2, (phrase.y0 + phrase.y1) / 2
        distance = abs(cx - fh.x) + abs(cy - fh.y) + (0 if phrase.page == fh.page else 1)
        if not by_label:
            if distance > 0.06:
                continue  # a position alone is trusted only very near the learned one
            distance += 1.0  # a label beats a position
        found.append((distance, value, phrase, text))
    if not found:
        return None
    _d, value, phrase, text = min(found, key=lambda t: t[0])
    rule = f"hint:{fh.relation}:{fh.label}"[:80]
    return value, Evidence(0.9, rule, phrase.page, phrase.bbox(), text[:120])


def _label_hits(layout: Layout, label: str) -> Iterable[tuple[Phrase, int]]:
    exact = [(p, 0) for p in layout.phrases if _label_text(p.folded) == label]
    if exact:
        return exact
    out = []
    for p in layout.phrases:
        i = p.folded.find(label)
        if i >= 0:
            out.append((p, i))
    return out


def _hint_texts(layout: Layout, fh: FieldHint) -> list[tuple[Phrase, str, bool]]:
    out: list[tuple[Phrase, str, bool]] = []
    if fh.label:
        for p, i in _label_hits(layout, fh.label):
            if fh.relation == "same":
                j = _label_end(p.folded, fh.label, i)
                out.append((p, _skip(fh, p.text[j:].lstrip(" :#")), True))
            elif fh.relation == "right":
                out.extend((q, q.text, True) for q in layout.right_of(p)[:1])
            else:
                out.extend((q, q.text, True) for q in layout.below(p, 1)[:1])
    near = sorted(
        (p for p in layout.phrases if p.page == fh.page),
        key=lambda p: abs((p.x0 + p.x1) / 2 - fh.x) + abs((p.y0 + p.y1) / 2 - fh.y),
    )
    out.extend((p, p.text, False) for p in near[:2])
    return out


def _label_end(folded: str, label: str, start: int) -> int:
    """Where the label ends in the phrase (labels drop per-invoice tokens, so walk words)."""
    if folded.startswith(label, start):
        end = start + len(label)
        return end
    pos = start
    for word in label.split():
        k = folded.find(word, pos)
        if k < 0:
            break
        pos = k + len(word)
    return pos


def _skip(fh: FieldHint, text: str) -> str:
    if fh.nth <= 0:
        return text
    if fh.field in AMOUNT_FIELDS or fh.field == "vat_breakdown":
        ends = [e for _s, e, _v in amounts_in(text)]
    elif fh.field in DATE_FIELDS:
        ends = [e for _s, e, _d in find_dates(text)]
    else:
        return text
    return text[ends[fh.nth - 1] :] if len(ends) > fh.nth else text


def _parse(fh: FieldHint, text: str, us: bool) -> Any:
    if fh.field in AMOUNT_FIELDS or fh.field == "vat_breakdown":
        found = list(amounts_in(text))
        return found[0][2] if found else None
    if fh.field in DATE_FIELDS:
        dates = find_dates(text, us=us)
        return dates[0][2] if dates else None
    if fh.field == "iban":
        iban = parse_iban(text)
        return iban if iban and iban_checksum_ok(iban) else None
    if fh.pattern:
        m = re.search(fh.pattern, text)
        return m.group(0) if m else None
    return text.strip() or None
