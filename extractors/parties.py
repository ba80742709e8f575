"""Supplier and customer: VAT numbers and names by section, sender line and address block.

Roles: a VAT number or name that matches the known customer (the dossier)
is the customer's; a buyer section (Käufer, Bill to, Adresse du client...) or
a customer label (UW BTW NUMMER, N° TVA client, Ihre USt-IdNr) marks the
customer; everything else printed with a VAT label is the supplier's.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from extractors.candidates import Cand, evidence
from extractors.layout import Layout, Phrase
from extractors.model import Party
from extractors.names import clean_name, find_names, name_of_block
from extractors.normalize import find_vats, fold, repair_digits, vat_checksum_ok

__all__ = ["PartyResult", "find_parties"]

_SELLER = re.compile(
    r"^(?:verkaufer|rechnungsersteller|lieferant|seller|vendeur|fournisseur|leverancier|"
    r"service provider|sold by|bill from|"
    r"(?:van|from|de|von|verkoper|emetteur|absender|supplier)\s*:?$)\b\s*:?"
)
_BUYER = re.compile(
    r"^(?:kaufer(?:/leistungsempfanger)?|rechnungsempfanger|leistungsempfanger|buyer|"
    r"bill to(?: address)?|invoice to|billed to|adresse du client|factuuradres|facturer a|"
    r"facture a|adresse de facturation|gefactureerd aan|rechnungsadresse|"
    r"nom de l.abonne|vos identifiants|customer|kunde|"
    r"(?:aan|to|a|an|klant|client|destinataire|empfanger)\s*:?$)\b\s*:?"
)
_OTHER_SECTION = re.compile(
    r"^(?:steuerbevollmachtigter|abweichender|warenempfanger|lieferadresse|adresse de livraison|"
    r"livraison|delivery|ship to|zahlungsempfanger|payee)"
)
# 'Livraison hors UE', 'Delivery outside the EU': a VAT regime, not a delivery address.
_REGIME = re.compile(
    r"\b(?:hors|outside|buiten|ausserhalb|intra|intracommunautaire|exempt|exoner|vrijgesteld|"
    r"steuerfrei|export|uitvoer|ausfuhr)"
)
_CUSTOMER_VAT_LABEL = re.compile(
    r"(?:uw|votre|vos|your|ihre?)\s*(?:btw|tva|vat|ust)|tva\s*client|customer\s*vat|"
    r"btw\s*klant|kunden?\s*ust|ust.{0,12}kunde"
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
    sup_name, cus_name = find_names(layout, sections, known_customer)
    if sup_vat is not None:
        block = vat_block_name(layout, sup_vat.evidence, sections)
        own_name = known_customer.name if known_customer and known_customer.name else None
        if (
            block is not None
            and (sup_name is None or _weaker(sup_name, block))
            and not (own_name and _same_name(block.value, own_name))
        ):
            sup_name = block
    if known_customer is not None:
        own = _known_name(layout, known_customer, cus_vat)
        if own is not None:
            cus_name = own
            if sup_name is not None and _same_name(sup_name.value, own.value):
                sup_name = None
    if sup_name:
        ev["supplier_name"] = sup_name
    if cus_name:
        ev["customer_name"] = cus_name
    if known_customer is None and len(_distinct_vats(layout)) >= 2:
        _cap_roles(ev)
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
        elif _OTHER_SECTION.match(f) and len(f) < 45 and not _REGIME.search(f):
            out.append((p, "other"))
    return out


def _section_of(layout: Layout, phrase: Phrase, sections: list[tuple[Phrase, str]]) -> str | None:
    """The nearest section header above ``phrase`` in its column (within 14 lines)."""
    best: tuple[int, str] | None = None
    for header, kind in sections:
        if header.page != phrase.page or header.line > phrase.line:
            continue
        if phrase.line - header.line > 14 or phrase.y0 - header.y1 > 0.15:
            continue  # an address block is compact: far below is another part of the page
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


def _weaker(current: Cand[str], block: Cand[str]) -> bool:
    """The name of the block that carries the supplier's VAT number beats guesses from
    address blocks and legal forms; a section or sender line that agrees stays."""
    if _same_name(current.value, block.value):
        return False
    return current.score < 4.0 or current.evidence.rule.startswith("address-block")


def _same_name(a: str, b: str) -> bool:
    fa, fb = _name_key(a), _name_key(b)
    return bool(fa) and bool(fb) and (fa in fb or fb in fa)


def _name_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(name))


def vat_block_name(
    layout: Layout, vat_ev: object, sections: list[tuple[Phrase, str]]
) -> Cand[str] | None:
    """The name at the top of the address block that prints the supplier's VAT number
    (or the first part of a footer line 'Name - Street, City' above it)."""
    from extractors.model import Evidence

    assert isinstance(vat_ev, Evidence)
    phrase = next(
        (
            p
            for p in layout.phrases
            if p.page == vat_ev.page
            and vat_ev.bbox is not None
            and p.x0 <= vat_ev.bbox.x0 + 1e-3
            and p.x1 >= vat_ev.bbox.x1 - 1e-3
            and p.y0 <= vat_ev.bbox.y0 + 1e-3
            and p.y1 >= vat_ev.bbox.y1 - 1e-3
        ),
        None,
    )
    if phrase is None:
        return None
    found = name_of_block(layout, phrase, {id(h) for h, _k in sections})
    if found is None:
        return None
    name, where = found
    return Cand(name, 4.2, evidence("vat-block", where, 0.8))


def _known_name(layout: Layout, known: Party, cus_vat: Cand[str] | None) -> Cand[str] | None:
    """The dossier's own name: as printed when the page prints it, else the dossier's name
    when the page prints the dossier's VAT number."""
    if known.name:
        key = _name_key(known.name)
        similar = _Similar(key, 0.88)
        for p in layout.phrases:
            name = clean_name(p.text)
            if not name or not key:
                continue
            if _same_name(name, known.name) and len(_name_key(name)) >= 0.6 * len(key):
                return Cand(known.name, 6.0, evidence("dossier-name", p, 0.97))
            if similar(_name_key(name)):
                # the dossier's name misread by OCR: the dossier spells it
                return Cand(known.name, 5.5, evidence("dossier-name:similar", p, 0.9))
    known_vat = re.sub(r"[^A-Z0-9]", "", (known.vat or "").upper())
    if known.name and cus_vat is not None and cus_vat.value == known_vat:
        return Cand(known.name, 5.0, cus_vat.evidence)
    return None


class _Similar:
    """``SequenceMatcher(None, text, key).ratio() >= cutoff`` for many texts and one key.

    The matcher indexes ``key`` once (``set_seq2``) and takes each text with
    ``set_seq1``, and difflib's own upper bounds (``real_quick_ratio() >=
    quick_ratio() >= ratio()``) are tried first: most phrases of a page are far from
    the name, and a new matcher and its full ratio per phrase cost most of a text
    PDF's reading.  The same answers as the full ratio.
    """

    def __init__(self, key: str, cutoff: float) -> None:
        self._matcher = difflib.SequenceMatcher(None, "", key)
        self._cutoff = cutoff

    def __call__(self, text: str) -> bool:
        matcher, cutoff = self._matcher, self._cutoff
        matcher.set_seq1(text)
        return (
            matcher.real_quick_ratio() >= cutoff
            and matcher.quick_ratio() >= cutoff
            and matcher.ratio() >= cutoff
        )


_ROLE_GUESS_CAP = 0.85


def _cap_roles(ev: dict[str, Cand[str]]) -> None:
    """Two parties' VAT numbers and no dossier to tell them apart: which is the supplier
    is a guess from the layout, so no party value is sure enough to book on its own."""
    from extractors.model import Evidence

    for key in ("supplier_vat", "customer_vat", "supplier_name", "customer_name"):
        cand = ev.get(key)
        if cand is None or cand.evidence.confidence <= _ROLE_GUESS_CAP:
            continue
        old = cand.evidence
        capped = Evidence(_ROLE_GUESS_CAP, old.rule, old.page, old.bbox, old.text)
        ev[key] = Cand(cand.value, cand.score, capped)


def _distinct_vats(layout: Layout) -> set[str]:
    return {v for p in layout.phrases for _s, _e, v in find_vats(p.text) if vat_checksum_ok(v)}
