"""Line items where the item table can be read.

The table starts at a header line (two or more column words: description,
quantity, price, amount in nl/fr/de/en) and ends at the first totals label.
Rows are the lines that start with a position number 1..n, or, without
position numbers, the lines that carry an amount; continuation lines
(descriptions wrapped under a row) are not rows.
"""

from __future__ import annotations

import re
from decimal import Decimal

from extractors.candidates import amounts_in
from extractors.layout import Layout, Line
from extractors.model import InvoiceLine

__all__ = ["find_lines"]

_HEADER_WORDS = re.compile(
    r"(?<![a-z])(?:beschreibung|bezeichnung|artikelbeschreibung|artikelbezeichnung|artikel|"
    r"omschrijving|artikelomschrijving|beschrijving|description|designation|libelle|"
    r"produkt|product|item|details|dienst|prestation|leistung|"
    r"menge|aantal|hoev|quantite|qte|qty|quantity|amount|anzahl|nombre|"
    r"preis|prijs|eenheidsprijs|prix|prix unitaire|price|unit price|einzelpreis|e-preis|"
    r"nettopreis|e\.p\.|"
    r"betrag|bedrag|montant|montant ht|totaalbedrag|gesamt|summe|entgelt|nettobetrag|"
    r"nettowert|zeilenbetrag|line amount|net amount|total ht|total htva|"
    r"pos\.?|nr\.?|#|ligne|p\.u\.|taxes|unit)(?![a-z])"
)
_HEADER_ONE = re.compile(  # a description heading: needed when only two columns
    r"(?<![a-z])(?:beschreibung|bezeichnung|omschrijving|beschrijving|description|designation|"
    r"libelle|artikel|item|details|produkt|product)(?![a-z])"
)
_END = re.compile(
    r"^(?:\|?\s*)(?:positionssumme|summe|total|totaal|tva|btw|mwst|vat|ust|"
    r"rechnungssumme|net total|umsatzsteuer|steuer|positionen netto|taxe|tax|belegsummen|"
    r"exclusief|zahlungsbedingungen|bereits|taxable|base imposable|maatstaf|grondslag|"
    r"bemessungsgrundlage|te betalen|a payer|amount due|zu zahlen|nettobetrag)(?![a-z])"
)
_END_FIRST = re.compile(r"^\d{1,2}(?:[.,]\d+)?\s?%\s*(?:vat|btw|tva|mwst|ust)")
_SKIP = re.compile(
    r"remise|rabatt|charge|abzgl|zzgl|skonto|korting|discount|versand|sub\s*total|subtotaal|"
    r"zwischensumme"
)
_POS = re.compile(r"^(\d{1,2})(?:\s|$)")


def find_lines(layout: Layout, net: Decimal | None) -> tuple[InvoiceLine, ...]:
    table = _table_lines(layout)
    if not table:
        return ()
    rows = _by_position(table)
    if not rows:
        rows = [
            ln
            for ln in table
            if _row_amount(ln) is not None
            and not _SKIP.search(" ".join(p.folded for p in ln.phrases))
        ]
        rows = _adding_up(rows, net)
    out = []
    for ln in rows:
        amount = _row_amount(ln) or _row_amount_below(layout, ln) or Decimal(0)
        texts = [p.text for p in ln.phrases if not any(True for _ in amounts_in(p.text))]
        desc = max(texts, key=len, default="")
        out.append(InvoiceLine(net=amount, description=desc))
    return tuple(out)


def _adding_up(rows: list[Line], net: Decimal | None) -> list[Line]:
    """The rows up to the one where the line amounts add up to the net total: rows after
    it are totals or a VAT table printed without a totals label."""
    if net is None or not rows:
        return rows
    total = Decimal(0)
    for n, ln in enumerate(rows, start=1):
        amount = _row_amount(ln)
        total += amount if amount is not None else Decimal(0)
        if abs(abs(total) - abs(net)) <= Decimal("0.01"):
            return rows[:n]
    return rows


def _is_header(line: Line) -> bool:
    if len(line.phrases) < 2 or _row_amount(line) is not None:
        return False
    folded = " ".join(p.folded for p in line.phrases)
    words = {m.group(0) for m in _HEADER_WORDS.finditer(folded)}
    if len(words) >= 3:
        return True
    return len(words) >= 2 and _HEADER_ONE.search(folded) is not None


def _table_lines(layout: Layout) -> list[Line]:
    out: list[Line] = []
    inside = False
    for line in layout.lines:
        folded = " ".join(p.folded for p in line.phrases)
        header = len({m.group(0) for m in _HEADER_WORDS.finditer(folded)}) >= 3 or (
            not inside and _is_header(line)
        )
        if header:
            inside = True
            continue
        if not inside:
            continue
        ends = any(_END.match(p.folded) for p in line.phrases) or _END_FIRST.match(
            line.phrases[0].folded
        )
        if ends and _row_amount(line) is not None:
            inside = False
            continue
        out.append(line)
    return out


def _by_position(table: list[Line]) -> list[Line]:
    rows: dict[int, Line] = {}
    for ln in table:
        m = _POS.match(ln.phrases[0].text)
        if m is None or len(ln.phrases) + len(ln.phrases[0].words) < 3:
            continue
        n = int(m.group(1))
        if n not in rows:
            rows[n] = ln
    run = 0
    while run + 1 in rows:  # position numbers 1..n; stray numbers further down do not count
        run += 1
    return [rows[n] for n in range(1, run + 1)]


def _row_amount(line: Line) -> Decimal | None:
    found = [v for p in line.phrases for _s, _e, v in amounts_in(p.text)]
    return found[-1] if found else None


def _row_amount_below(layout: Layout, line: Line) -> Decimal | None:
    if line.index + 1 < len(layout.lines):
        return _row_amount(layout.lines[line.index + 1])
    return None
