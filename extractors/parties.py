"""Supplier and customer: VAT numbers and names by section, sender line and address block.

Roles: a VAT number or name that matches the known customer (the dossier)
is the customer's; a buyer section (Käufer, Bill to, Adresse du client...) or
a customer label (UW BTW NUMMER, N° TVA client, Ihre USt-IdNr) marks the
customer; everything else printed with a VAT label is the supplier's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractors.candidates import Cand, evidence
from extractors.layout import Layout, Phrase
from extractors.model import Party
from extractors.normalize import find_vats, fold, repair_digits, vat_checksum_ok

__all__ = ["PartyResult", "find_parties"]

_SELLER = re.compile(
    r"^(?:verkaufer|rechnungsersteller|lieferant|seller|vendeur|fournisseur|leverancier|"
    r"service provider|sold by|bill from)\b\s*:?"
)
_BUYER = re.compile(
    r"^(?:kaufer(?:/leistungsempfanger)?|rechnungsempfanger|leistungsempfanger|buyer|"
    r"bill to(?: address)?|invoice to|adresse du client|factuuradres|facturer a|"
    r"nom de l.abonne|vos identifiants|customer|kunde)\b\s*:?"
)
_OTHER_SECTION = re.compile(
    r"^(?:steuerbevollmachtigter|abweichender|warenempfanger|lieferadresse|adresse de livraison|"
    r"livraison|delivery|ship to|zahlungsempfanger|payee)"
)
_CUSTOMER_VAT_LABEL = re.compile(
    r"(?:uw|votre|vos|your|ihre?)\s*(?:btw|tva|vat|ust)|tva\s*client|customer\s*vat|"
    r"btw\s*klant|kunden?\s*ust|ust.{0,12}kunde"
)
_SALUTATION = re.compile(
    r"^(?:herrn?|frau|firma|dhr\.?|mevr\.?|mr\.?|mrs\.?|ms\.?|m\.|mme\.?|attn:?|t\.a\.v\.?|"
    r"a l.attention de)\s*",
    re.I,
)
_LEGAL = re.compile(
    r"(?<![a-z])(?:gmbh|ag|bv|b\.v\.|nv|n\.v\.|bvba|cvba|srl|sprl|sa|sas|sarl|s\.a\.r\.l\.|"
    r"ltd\.?|limited|inc\.?|llc|kg|se|vzw|asbl|plc|a\.g\.)(?![a-z])"
)
_POSTCODE = re.compile(r"(?:^|\s|-)(?:[A-Z]{1,2}[- ])?\d{4,5}(?:\s?[A-Z]{2})?\s+\w")
_NOT_NAME = re.compile(
    r"^(?:nummer|globale|gln|name:?|anschrift|tel|fax|e-?mail|www|http|ust|steuer|iban|bic|"
    r"page|seite|kunden-?nr|contact|datum|date|rechnung|invoice|factuur|facture)\b",
)


@dataclass(slots=True)
class PartyResult:
    supplier: Party
    customer: Party
    evidence: dict[str, Cand[str]]


def find_parties(layout: Layout, known_customer: Party | None) -> PartyResult:
    ev: dict[str, Cand[str]] = {}
    sections = _sections(layout)
    sup_vat, cus_vat = _vats(layout, sections, known_customer)
    if sup_vat:
        ev["supplier_vat"] = sup_vat
    if cus_vat:
        ev["customer_vat"] = cus_vat
    sup_name, cus_name = _names(layout, sections, known_customer)
    if sup_name:
        ev["supplier_name"] = sup_name
    if cus_name:
        ev["customer_name"] = cus_name
    supplier = Party(
        name=sup_name.value if sup_name else None,
        vat=sup_vat.value if sup_vat else None,
        country=sup_vat.value[:2] if sup_vat else None,
    )
    customer = Party(
        name=cus_name.value if cus_name else None,
        vat=cus_vat.value if cus_vat else None,
        country=cus_vat.value[:2] if cus_vat else None,
    )
    if known_customer is not None:
        customer = Party(
            name=customer.name or known_customer.name,
            vat=customer.vat or known_customer.vat,
            country=customer.country or known_customer.country,
        )
    return PartyResult(supplier, customer, ev)


def _sections(layout: Layout) -> list[tuple[Phrase, str]]:
    out: list[tuple[Phrase, str]] = []
    for p in layout.phrases:
        f = p.folded.strip()
        if _SELLER.match(f):
            out.append((p, "seller"))
        elif _BUYER.match(f) and len(f) < 40:
            out.append((p, "buyer"))
        elif _OTHER_SECTION.match(f) and len(f) < 45:
            out.append((p, "other"))
    return out


def _section_of(layout: Layout, phrase: Phrase, sections: list[tuple[Phrase, str]]) -> str | None:
    """The nearest section header above ``phrase`` in its column (within 14 lines)."""
    best: tuple[int, str] | None = None
    for header, kind in sections:
        if header.page != phrase.page or header.line > phrase.line:
            continue
        if phrase.line - header.line > 14:
            continue
        if not (header.x0 - 0.06 < phrase.x1 and phrase.x0 < header.x1 + 0.25):
            continue
        if best is None or header.line > best[0] or (header.line == best[0]):
            best = (header.line, kind)
    return best[1] if best else None


def _vats(
    layout: Layout, sections: list[tuple[Phrase, str]], known: Party | None
) -> tuple[Cand[str] | None, Cand[str] | None]:
    supplier: Cand[str] | None = None
    customer: Cand[str] | None = None
    known_vat = re.sub(r"[\s.]", "", known.vat).upper() if known and known.vat else None
    for phrase in layout.phrases:
        text = phrase.text
        for s, e, value in find_vats(text) or _repaired_vats(text):
            ok = vat_checksum_ok(value)
            context = fold(layout.lines[phrase.line].text) + " " + _above_text(layout, phrase)
            section = _section_of(layout, phrase, sections)
            role = "supplier"
            if value == known_vat or _CUSTOMER_VAT_LABEL.search(context) or section == "buyer":
                role = "customer"
            elif section == "other":
                continue
            score = 2.0 + (1.0 if ok else 0.0)
            ev = evidence(f"vat:{role}", phrase, score / 3.0, s, e)
            if role == "customer":
                if customer is None:
                    customer = Cand(value, score, ev)
            elif supplier is None or (score > supplier.score and supplier.value != value):
                supplier = Cand(value, score, ev)
    if supplier is not None and customer is not None and supplier.value == customer.value:
        supplier = None
    return supplier, customer


def _repaired_vats(text: str) -> list[tuple[int, int, str]]:
    if not re.search(r"(?:BE|NL|FR|DE)\s?[0-9OlISB]", text):
        return []
    fixed = re.sub(r"(?<=[A-Z]{2})([0-9OlISB .]{8,})", lambda m: repair_digits(m.group(1)), text)
    return [v for v in find_vats(fixed) if vat_checksum_ok(v[2])]


def _above_text(layout: Layout, phrase: Phrase) -> str:
    if phrase.line == 0:
        return ""
    prev = layout.lines[phrase.line - 1]
    return " ".join(
        p.folded for p in prev.phrases if p.x0 < phrase.x1 + 0.05 and p.x1 > phrase.x0 - 0.05
    )


# ------------------------------------------------------------------------ names


def _clean_name(text: str) -> str | None:
    t = _SALUTATION.sub("", text.strip()).strip(" ,:;")
    t = re.sub(r"^name\s*:\s*", "", t, flags=re.I)
    if not t or len(t) < 2 or _NOT_NAME.match(fold(t)):
        return None
    if sum(ch.isdigit() for ch in t) > 3:
        return None
    return t


def _names(
    layout: Layout, sections: list[tuple[Phrase, str]], known: Party | None
) -> tuple[Cand[str] | None, Cand[str] | None]:
    found: dict[str, list[Cand[str]]] = {"seller": [], "buyer": []}
    for header, kind in sections:
        if kind == "other":
            continue
        name = _section_name(layout, header)
        if name is not None:
            found[kind].append(name)
    sender = _sender_line(layout)
    if sender is not None:
        found["seller"].append(sender[0])
        if sender[1] is not None:
            found["buyer"].append(sender[1])
    if not found["seller"]:
        legal = _legal_name(layout, exclude={c.value for c in found["buyer"]})
        if legal is not None:
            found["seller"].append(legal)
    if not found["buyer"]:
        block = _address_block(layout, exclude={c.value for c in found["seller"]})
        if block is not None:
            found["buyer"].append(block)
    sup = max(found["seller"], key=lambda c: c.score, default=None)
    cus = max(found["buyer"], key=lambda c: c.score, default=None)
    if known is not None and known.name and sup is not None:
        if fold(known.name) in fold(sup.value) or fold(sup.value) in fold(known.name):
            sup, cus = cus if cus is not None and cus.value != sup.value else None, sup
    return sup, cus


def _section_name(layout: Layout, header: Phrase) -> Cand[str] | None:
    rest = header.text[len(header.text.split(":")[0]) + 1 :] if ":" in header.text else ""
    if rest.strip() and _clean_name(rest):
        name = _clean_name(rest)
        assert name is not None
        return Cand(name, 2.5, evidence("section:same", header, 0.7))
    below = layout.below(header, 6, slack=0.01)
    for p in below:
        if p.folded.startswith("name"):
            for q in [*layout.right_of(p), p]:
                name = _clean_name(q.text)
                if name:
                    return Cand(_join_wrapped(layout, q, name), 3.0,
                                evidence("section:name", q, 0.85))
    for p in below[:4]:
        if re.match(r"^(?:nummer|globale|gln|herrn?|frau)\b", p.folded):
            continue
        name = _clean_name(p.text)
        if name:
            return Cand(name, 2.5, evidence("section:below", p, 0.7))
    return None


def _join_wrapped(layout: Layout, phrase: Phrase, name: str) -> str:
    """'MVM Musterhafter' above 'Name: Versicherungsverein ...': a name over two lines."""
    if phrase.line == 0:
        return name
    prev = layout.lines[phrase.line - 1]
    for p in prev.phrases:
        if abs(p.x0 - phrase.x0) < 0.01 and p.page == phrase.page and not _NOT_NAME.match(p.folded):
            if len(prev.phrases) == 1:
                return f"{p.text} {name}"
    return name


def _split_sender(line_text: str) -> list[str]:
    return [s.strip() for s in re.split(r"\s+[-·●|•]\s+|\s*[·●|•]\s*", line_text) if s.strip()]


def _sender_line(layout: Layout) -> tuple[Cand[str], Cand[str] | None] | None:
    """'Kraxi GmbH · Flugzeugallee 17 · 12345 Papierfeld': the sender above the address window."""
    for line in layout.lines:
        if line.page != 1 or line.y0 > 0.4:
            break
        parts = [s for p in line.phrases for s in _split_sender(p.text)]
        if len(parts) < 3 or not any(_POSTCODE.search(" " + s) for s in parts[1:]):
            continue
        name = _clean_name(parts[0])
        if name is None or _POSTCODE.search(" " + parts[0]):
            continue
        first = line.phrases[0]
        sup = Cand(name, 3.5, evidence("sender-line", first, 0.8))
        return sup, _window_name(layout, line.index, first)
    return None


def _window_name(layout: Layout, line_no: int, anchor: Phrase) -> Cand[str] | None:
    for line in layout.lines[line_no + 1 : line_no + 5]:
        for p in line.phrases:
            if abs(p.x0 - anchor.x0) < 0.04:
                if re.fullmatch(r"(?:herrn?|frau|firma|dhr\.?|mevr\.?)", p.folded.strip()):
                    continue
                name = _clean_name(p.text)
                if name:
                    return Cand(name, 3.0, evidence("address-window", p, 0.75))
                break
    return None


def _legal_name(layout: Layout, exclude: set[str]) -> Cand[str] | None:
    counts: dict[str, tuple[int, Phrase, str]] = {}
    for p in layout.phrases:
        if len(p.words) > 6 or not _LEGAL.search(p.folded):
            continue
        name = _clean_name(p.text)
        if name is None or name in exclude:
            continue
        key = fold(name)
        n, first, val = counts.get(key, (0, p, name))
        counts[key] = (n + 1, first, val)
    if not counts:
        return None
    n, phrase, name = max(counts.values(), key=lambda t: (t[0], -t[1].index))
    return Cand(name, 1.5 + 0.3 * n, evidence("legal-form", phrase, 0.6))


def _address_block(layout: Layout, exclude: set[str]) -> Cand[str] | None:
    """First line of the first address block (lines ending in a postcode line) on page 1."""
    lines = [ln for ln in layout.lines if ln.page == 1 and ln.y0 < 0.45]
    for i, line in enumerate(lines):
        for p in line.phrases:
            if not _POSTCODE.search(" " + p.text) or i == 0:
                continue
            column = []
            for back in range(i - 1, max(-1, i - 5), -1):
                q = next((q for q in lines[back].phrases if abs(q.x0 - p.x0) < 0.015), None)
                if q is None:
                    break
                column.append(q)
            for q in reversed(column):
                name = _clean_name(q.text)
                if name and name not in exclude and not _POSTCODE.search(" " + q.text):
                    return Cand(name, 1.5, evidence("address-block", q, 0.5))
    return None
