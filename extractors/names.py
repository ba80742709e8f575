"""Supplier and customer names: sections, the sender line, address blocks, legal forms.

Every source proposes names for a role with a score; the supplier is the best
seller candidate and the customer the best buyer candidate with another name.

* a section header (Verkäufer / Käufer, Bill to, Adresse du client...);
* the DIN sender line above the address window ("Kraxi GmbH · Street · City"),
  whose window below holds the customer;
* address blocks at the top of page 1: a block whose name is in a web or mail
  domain of the document, carries a legal form or contact lines is the
  supplier's; one with a salutation (T.a.v., Attn, Herrn) is the customer's;
* a name ending in a legal form anywhere (footers) or next to "account holder".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from extractors.candidates import Cand, evidence
from extractors.layout import Layout, Phrase
from extractors.model import Party
from extractors.normalize import fold

__all__ = ["clean_name", "find_names", "legal_name", "name_of_block"]

_SALUTATION = re.compile(
    r"^(?:herrn?|frau|firma|dhr\.?|mevr\.?|mr\.?|mrs\.?|ms\.?|m\.|mme\.?|attn:?|t\.a\.v\.?|"
    r"a l.attention de)(?:\s+|$)",
    re.I,
)
_LEGAL_WORDS = (
    r"gmbh|ag|bv|b\.v\.|nv|n\.v\.|bvba|cvba|srl|sprl|sa|s\.a\.|sas|sarl|s\.a\.r\.l\.|ltd\.?|"
    r"limited|inc\.?|llc|se|vzw|asbl|plc|a\.g\.|gmbh & co\.? kg|kg|vof|commv|comm\.v\.?|"
    r"scrl|scs|snc|ohg|ug"
)
_LEGAL_NAME = re.compile(
    rf"^(\D{{2,50}}?[\s,]+(?:{_LEGAL_WORDS}))(?=$|,|\s+(?:au capital|-|\||·|\())", re.I
)
_POSTCODE = re.compile(
    r"(?:^|\s)(?:(?:[A-Z]{1,2}[- ])?\d{4,5}(?:\s?[A-Z]{2}\b)?\s*[^\W\d]"
    r"|[A-Z]{2}\s\d{5}(?:-\d{4})?$)"
)
_CITY = re.compile(r"^(?:[A-Z]{1,2}[- ])?\d{4,5}\s*[^\W\d]")
_STREET = re.compile(r"(?:^\d{1,4}[a-z]?\s+\w|[^\W\d]\s*\d{1,4}[a-z]?(?:-\d{1,4})?,?$)")
_NOT_NAME = re.compile(
    r"^(?:nummer|globale|gln|name:?|anschrift|tel|fax|e-?mail|www|http|ust|steuer|iban|bic|"
    r"page|seite|kunden-?nr|contact|datum|date|rechnung|invoice|factuur|facture|avoir|"
    r"adresse|\(|btw|tva|vat|siret|siren|kvk|rpr|fon|phone|nr|your|ihre|uw|votre|order|"
    r"bestell|auftrag|commande|customer|kunde|klant|client)\b",
)
_HEADER = re.compile(r"^(?:adresse|address|adres|factuuradres|livraison|delivery)")
_CONTACT = re.compile(r"^(?:tel|fax|fon|phone|e-?mail|www|http|btw|tva|vat|ust|iban|bic|kvk)|@")
_HOLDER = re.compile(
    r"(?:titulaire du compte|kontoinhaber|account holder|rekeninghouder|sold by|"
    r"begunstigde|beneficiaire)\s*:?\s*"
)
_DOMAIN = re.compile(r"(?:www\.|@|https?://)([a-z0-9.-]+)")
_GENERIC = {"the", "les", "der", "die", "das", "het", "de", "le", "la", "global", "service"}


@dataclass(slots=True)
class _Block:
    phrases: list[Phrase]

    @property
    def has_postcode(self) -> bool:
        return any(_POSTCODE.search(p.text) for p in self.phrases[1:])

    @property
    def name_phrase(self) -> Phrase | None:
        for n, p in enumerate(self.phrases[:3]):
            if re.fullmatch(
                r"(?:herrn?|frau|firma|dhr\.?|mevr\.?|m\.|mme|mr\.?|attn:?)", p.folded.strip()
            ):
                continue
            if n == 0 and _HEADER.match(p.folded):  # a heading glued on top of the block
                continue
            return p if _clean_name(p.text) else None
        return None


# Column headings and amount labels: never a party name ("Description", "Amount due").
_HEADING = re.compile(
    r"(?:omschrijving|beschrijving|description|designation|libelle|beschreibung|bezeichnung|"
    r"artikel|article|item|items|details|quantity|quantite|qte|qty|aantal|hoev|menge|anzahl|"
    r"unit|price|prijs|prix|preis|eenheidsprijs|einzelpreis|amount|bedrag|montant|betrag|"
    r"total|totaal|gesamt|subtotal|subtotaal|due|te|betalen|a|payer|zu|zahlen|net|netto|"
    r"vat|btw|tva|mwst|tax|rate|tarief|taux|satz|code|pos|nr|no|excl|incl|htva|tvac|ht|ttc|"
    r"u|p|e|%|\.|:|\s)+"
)


def _clean_name(text: str) -> str | None:
    t = text.strip()
    if _HEADING.fullmatch(fold(t)):
        return None
    while _SALUTATION.match(t):
        t = _SALUTATION.sub("", t, count=1).strip()
    t = re.sub(r"^name\s*:\s*", "", t, flags=re.I).strip(" ,:;")
    if not t or len(t) < 2 or _NOT_NAME.match(fold(t)) or _TITLE_ONLY.match(fold(t)):
        return None
    if sum(ch.isdigit() for ch in t) > 3 or not any(ch.isalpha() for ch in t):
        return None
    if _STREET.search(t) or _POSTCODE.search(t):
        return None
    return t


def legal_name(text: str) -> bool:
    """Does the name end in a legal form (BV, SRL, GmbH...)?"""
    return _LEGAL_NAME.match(text.strip()) is not None


def clean_name(text: str) -> str | None:
    """A party name without salutation; None when the text is not a name."""
    return _clean_name(text)


def find_names(
    layout: Layout, sections: list[tuple[Phrase, str]], known: Party | None
) -> tuple[Cand[str] | None, Cand[str] | None]:
    seller: list[Cand[str]] = []
    buyer: list[Cand[str]] = []
    for header, kind in sections:
        name = _section_name(layout, header) if kind != "other" else None
        if name is not None:
            (seller if kind == "seller" else buyer).append(name)
    sender = _sender_line(layout)
    blocks = _blocks(layout, sender[1].line if sender else -1)
    if sender is not None:
        seller.append(sender[0])
        line = layout.lines[sender[1].line]
        window = _window(blocks, line.phrases[0], line.phrases[-1])
        if window is not None:
            buyer.append(window)
    domains = _domains(layout)
    for block in blocks:
        if block.has_postcode:
            _score_block(block, domains, seller, buyer)
    seller.extend(_legal_names(layout, domains))
    seller.extend(_holders(layout))
    sup = max(seller, key=lambda c: c.score, default=None)
    rest = [c for c in buyer if sup is None or fold(c.value) != fold(sup.value)]
    cus = max(rest, key=lambda c: c.score, default=None)
    if sup is not None and any(
        fold(c.value) == fold(sup.value) and c.score > sup.score for c in buyer
    ):
        sup = None
        cus = max(buyer, key=lambda c: c.score)
    if known is not None and known.name and sup is not None and _same(known.name, sup.value):
        sup, cus = (cus if cus is not None and not _same(cus.value, sup.value) else None), sup
    return sup, cus


def _same(a: str, b: str) -> bool:
    fa, fb = fold(a), fold(b)
    return fa in fb or fb in fa


def _section_name(layout: Layout, header: Phrase) -> Cand[str] | None:
    if ":" in header.text:
        rest = header.text.split(":", 1)[1]
        if rest.strip():
            name = _clean_name(rest)
            if name is None:  # "Customer: 2" is a label with a value, not a section
                return None
            return Cand(name, 4.0, evidence("section:same", header, 0.7))
    below = layout.below(header, 6, slack=0.01)
    for p in below:
        if p.folded.startswith("name"):
            for q in [*layout.right_of(p), p]:
                name = _clean_name(q.text)
                if name:
                    return Cand(
                        _join_wrapped(layout, q, name), 4.5, evidence("section:name", q, 0.85)
                    )
    for p in below[:4]:
        if re.match(r"^(?:nummer|globale|gln|herrn?|frau|\()", p.folded):
            continue
        name = _clean_name(p.text)
        if name:
            return Cand(name, 4.0, evidence("section:below", p, 0.7))
    return None


def _join_wrapped(layout: Layout, phrase: Phrase, name: str) -> str:
    """'MVM Musterhafter' above 'Name: Versicherungsverein ...': a name over two lines."""
    if phrase.line == 0:
        return name
    prev = layout.lines[phrase.line - 1]
    if len(prev.phrases) != 1:
        return name
    p = prev.phrases[0]
    if (
        abs(p.x0 - phrase.x0) < 0.01
        and not _NOT_NAME.match(p.folded)
        and _clean_name(p.text) == p.text.strip()
    ):
        return f"{p.text} {name}"
    return name


def _split_sender(line_text: str) -> list[str]:
    parts = re.split(r"\s+[-·●|•]\s+|\s*[·●|•]\s*", line_text)
    return [s.strip() for s in parts if len(s.strip()) > 1]  # 1 char: a misread bullet


def _sender_line(layout: Layout) -> tuple[Cand[str], Phrase] | None:
    """'Kraxi GmbH · Flugzeugallee 17 · 12345 Papierfeld': the sender above the window."""
    for line in layout.lines:
        if line.page != 1 or line.y0 > 0.4:
            break
        parts = [s for p in line.phrases for s in _split_sender(p.text)]
        if len(parts) < 3 or not any(_CITY.match(s) for s in parts[1:]):
            continue
        first_street = next(
            (i for i, s in enumerate(parts) if i and (_STREET.search(s) or _CITY.match(s))), 0
        )
        if not any(_STREET.search(s) for s in parts[1:]) or first_street == 0:
            continue
        name = _clean_name(parts[first_street - 1])  # the part just before the street
        if name is None:
            continue
        first = line.phrases[0]
        return Cand(name, 4.0, evidence("sender-line", first, 0.8)), first
    return None


def _window(blocks: list[_Block], first: Phrase, last: Phrase) -> Cand[str] | None:
    """The address block right under the sender line."""
    for block in blocks:
        top = block.phrases[0]
        if top.page != first.page or top.y0 < first.y0 or top.y0 - first.y1 > 0.15:
            continue
        if top.x0 > last.x1 or top.x1 < first.x0 or top.x0 > first.x0 + 0.1:
            continue
        p = block.name_phrase
        if p is not None:
            name = _clean_name(p.text)
            assert name is not None
            return Cand(name, 3.2, evidence("address-window", p, 0.75))
    return None


def _blocks(layout: Layout, skip_line: int) -> list[_Block]:
    """Column runs of phrases at the top of page 1 (same left edge, same font size)."""
    top = [p for p in layout.phrases if p.page == 1 and p.y0 < 0.5 and p.line != skip_line]
    columns: list[list[Phrase]] = []
    open_cols: list[list[Phrase]] = []
    for p in sorted(top, key=lambda p: (p.y0, p.x0)):
        open_cols = [c for c in open_cols if p.y0 - c[-1].y1 < 2 * c[-1].height]
        for col in open_cols:
            last = col[-1]
            h = min(last.height, p.height)
            gap = p.y0 - last.y1
            ratio = max(last.height, p.height) / max(h, 1e-6)
            aligned = abs(last.x0 - p.x0) < 0.012 or abs(last.x1 - p.x1) < 0.012
            if aligned and -0.3 * h <= gap < 1.5 * h and ratio < 1.3:
                col.append(p)
                break
        else:
            columns.append([p])
            open_cols.append(columns[-1])
    out = []
    for col in columns:
        if 2 <= len(col) <= 8:
            out.append(_Block(col))
    return sorted(out, key=lambda b: (b.phrases[0].y0, b.phrases[0].x0))


def _domains(layout: Layout) -> dict[str, set[int]]:
    """Parts of web and mail domains -> the phrases they are printed in."""
    out: dict[str, set[int]] = {}
    for p in layout.phrases:
        for m in _DOMAIN.finditer(p.folded):
            for part in re.split(r"[.-]", m.group(1)):
                if len(part) > 3:
                    out.setdefault(part, set()).add(p.index)
    return out


def _domain_match(
    name: str, domains: dict[str, set[int]], inside: frozenset[int] = frozenset()
) -> bool:
    words = [w for w in re.findall(r"[a-z0-9]+", fold(name)) if len(w) >= 3 and w not in _GENERIC]
    return any(
        (w in d or d in w) and bool(where - inside)
        for w in words[:2]
        for d, where in domains.items()
    )


def _score_block(
    block: _Block, domains: dict[str, set[int]], seller: list[Cand[str]], buyer: list[Cand[str]]
) -> None:
    p = block.name_phrase
    if p is None:
        return
    name = _clean_name(p.text)
    assert name is not None
    texts = [q.folded for q in block.phrases]
    inside = frozenset(q.index for q in block.phrases)
    sup = 2.0 * _domain_match(name, domains, inside) + 0.8 * bool(_LEGAL_NAME.match(name))
    sup += 0.5 * any(_CONTACT.search(t) for t in texts)
    salute = any(_SALUTATION.match(q.text.strip()) for q in block.phrases[:3])
    cus = 1.5 + 2.0 * salute + 0.5 * (p.x0 < 0.35)
    if sup >= 1.0 and not salute:
        seller.append(Cand(name, 1.5 + sup, evidence("address-block:supplier", p, 0.6)))
    buyer.append(Cand(name, cus, evidence("address-block:customer", p, 0.5)))


def _legal_names(layout: Layout, domains: dict[str, set[int]]) -> Iterable[Cand[str]]:
    counts: dict[str, tuple[int, Phrase, str]] = {}
    for p in layout.phrases:
        m = _LEGAL_NAME.match(p.text.strip())
        if m is None or len(m.group(1).split()) > 6:
            continue
        name = _clean_name(m.group(1))
        if name is None or _LEGAL_NAME.match(name) is None:
            continue
        key = fold(name)
        n, first, val = counts.get(key, (0, p, name))
        counts[key] = (n + 1, first, val)
    for n, phrase, name in counts.values():
        score = 1.0 + min(0.2 * n, 0.6) + 2.5 * _domain_match(name, domains)
        yield Cand(name, score, evidence("legal-form", phrase, 0.5))


def _holders(layout: Layout) -> Iterable[Cand[str]]:
    for p in layout.phrases:
        m = _HOLDER.search(p.folded)
        if m is None:
            continue
        name = _clean_name(p.text[m.end() :])
        if name:
            yield Cand(
                name, 2.0 + 0.5 * ("sold by" in m.group(0)), evidence("account-holder", p, 0.55)
            )


_TITLE_ONLY = re.compile(
    r"^(?:leverancier|verkoper|van|klant|aan|emetteur|fournisseur|vendeur|destinataire|client|"
    r"lieferant|absender|verkaufer|kunde|empfanger|supplier|seller|from|to|customer|bill to|"
    r"billed to|invoice to|factuuradres|gefactureerd aan|adresse de facturation|facture a|"
    r"rechnungsadresse|de|a)\s*:?$"
)


def name_of_block(layout: Layout, phrase: Phrase, titles: set[int]) -> tuple[str, Phrase] | None:
    """Walk up from ``phrase`` (a VAT number line) through its address block, same left
    edge, no gap; the block's first line that is a name (section titles skipped)."""
    chain = [phrase]
    current = phrase
    for line in reversed(layout.lines[: phrase.line]):
        if line.page != phrase.page:
            break
        if not any(ch.isalnum() for ch in line.text):
            continue  # a separator OCR put on a line of its own
        above = [
            p for p in line.phrases if abs(p.x0 - current.x0) < 0.015 and p.y1 <= current.y0 + 1e-3
        ]
        if not above:
            break
        p = above[0]
        if current.y0 - p.y1 > 2.2 * max(current.height, p.height):
            break
        chain.append(p)
        current = p
        if len(chain) > 8:
            break
    for p in reversed(chain[1:]):  # top first
        if id(p) in titles or _TITLE_ONLY.match(p.folded.strip()):
            continue
        parts = _split_sender(p.text) if re.search(r"\s[-·|•]\s", p.text) else [p.text]
        name = _clean_name(parts[0])
        if name is not None and not _TITLE_ONLY.match(fold(name)):
            return name, p
    return None
