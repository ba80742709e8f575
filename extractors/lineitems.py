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
    r"omschrijving|artikelomschrijving|description|designation|produkt|product|"
    r"menge|aantal|quantite|qte|qty|quantity|amount|anzahl|nombre|"
    r"preis|prijs|prix|price|unit price|einzelpreis|nettopreis|"
    r"betrag|bedrag|montant|totaalbedrag|gesamt|summe|entgelt|nettobetrag|nettowert|"
    r"zeilenbetrag|line amount|total ht|pos\.?|nr\.?|#|ligne|p\.u\.|taxes|unit)(?![a-z])"
)
_END = re.compile(
    r"^(?:\|?\s*)(?:positionssumme|summe|total|totaal|tva|btw|mwst|vat|ust|"
    r"rechnungssumme|net total|umsatzsteuer|steuer|positionen netto|taxe|tax|belegsummen|"
    r"exclusief|zahlungsbedingungen|bereits)(?![a-z])"
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
    out = []
    for ln in rows:
        amount = _row_amount(ln) or _row_amount_below(layout, ln) or Decimal(0)
        texts = [p.text for p in ln.phrases if not any(True for _ in amounts_in(p.text))]
        desc = max(texts, key=len, default="")
        out.append(InvoiceLine(net=amount, description=desc))
    return tuple(out)


def _table_lines(layout: Layout) -> list[Line]:
    out: list[Line] = []
    inside = False
    for line in layout.lines:
        folded = " ".join(p.folded for p in line.phrases)
        header = len({m.group(0) for m in _HEADER_WORDS.finditer(folded)}) >= 3
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
