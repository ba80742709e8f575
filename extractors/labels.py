"""Label vocabularies (nl/fr/de/en) per field, as folded regexes with weights.

Patterns match :func:`extractors.normalize.fold`-ed text (lower case, no
accents).  The weight says how specific a label is: ``Factuurnummer`` (3) is
surer than a bare ``Nr.`` (1).
"""

from __future__ import annotations

import re

__all__ = ["LABELS", "LANGUAGE_WORDS", "Label", "detect_language"]

Label = tuple[re.Pattern[str], float]


def _labels(*specs: tuple[str, float]) -> tuple[Label, ...]:
    """Word boundaries (no letter before or after) are checked by the caller, not the
    regex: a pattern that starts with a literal lets the regex engine search fast."""
    return tuple((re.compile(p), w) for p, w in specs)


LABELS: dict[str, tuple[Label, ...]] = {
    "invoice_number": _labels(
        (r"rechnungs?-?\s?(?:nr|nummer|no)\.?", 3.0),
        (r"rechnung\s*(?:nr\.?|#|no\.?)", 3.0),
        (r"(?:handels|miet)?rechnung(?:skorrektur)?(?:\s*\(\d{3}\))?\s*nr\.?", 3.0),
        (r"(?:gutschrift|rechnung des versicherers)[^:]{0,45}\(\d{3}\)\s*nr\.?", 3.0),
        (r"invoice\s*(?:number|no\.?|nr\.?|#|num\.?)", 3.0),
        (r"factuur\s*(?:nummer|nr\.?|no\.?)", 3.0),
        (r"facture\s*n\s?[°o]", 3.0),
        (r"n\s?[°o]\s*(?:de\s*)?facture", 3.0),
        (r"numero\s*de\s*facture", 3.0),
        (r"creditnota\s*(?:nummer|nr\.?|no\.?)|creditnotanummer", 3.2),
        (r"credit\s*note\s*(?:number|no\.?|nr\.?|#)", 3.2),
        (r"gutschrift(?:s)?-?\s?(?:nr|nummer|no)\.?", 3.2),
        (r"(?:n\s?[°o]|numero)\s*(?:de\s*(?:la\s*)?)?(?:note\s*de\s*credit|l.avoir)", 3.2),
        (r"(?:avoir|note\s*de\s*credit)\s*n\s?[°o]", 3.2),
        (r"beleg-?\s?nr\.?", 2.5),
        (r"nummer|number|numero", 1.3),
        (r"document\s*(?:no\.?|number)", 2.0),
        (r"invoice", 1.5),
        (r"rechnung", 1.2),
        (r"factuur", 1.5),
        (r"facture", 1.5),
        (r"avoir", 1.5),
        (r"creditnota", 1.5),
        (r"credit\s*note", 1.5),
        (r"nr\.", 1.0),
        (r"n[°o]\.?", 0.8),
    ),
    "issue_date": _labels(
        (r"rechnungsdatum", 3.0),
        (r"liefer-\s*und\s*rechnungsdatum", 3.0),
        (r"invoice\s*date", 3.0),
        (r"date\s*of\s*invoice", 3.0),
        (r"factuurdatum", 3.0),
        (r"date\s*de\s*(?:la\s*)?facture(?!\s*associee)", 3.0),
        (r"beleg-?\s?datum", 2.5),
        (r"issued\s*(?:at|on)", 2.5),
        (r"datum\s*(?:creditnota|factuur)|date\s*de\s*l.avoir|credit\s*note\s*date", 3.0),
        (r"gutschriftsdatum|date\s*of\s*issue|date\s*d.emission", 3.0),
        (r"datum", 2.0),
        (r"date", 1.8),
        (r"vom", 1.5),
        (r"du", 1.2),
        (r"dated", 2.0),
    ),
    "due_date": _labels(
        (r"vervaldatum", 3.0),
        (r"vervaldag", 3.0),
        (r"uiterste\s*betaaldatum", 3.0),
        (r"due\s*date", 3.0),
        (r"payment\s*due", 3.0),
        (r"date\s*d.?\s?echeance", 3.0),
        (r"echeance", 2.5),
        (r"date\s*limite\s*de\s*paiement", 3.0),
        (r"falligkeitsdatum", 3.0),
        (r"fallig\s*(?:am|bis)", 3.0),
        (r"falligkeit", 2.5),
        (r"zahlungsziel", 2.5),
        (r"zahlbar\s*bis", 2.5),
        (r"netto\s*bis", 2.0),
        (r"bitte\s*uberweisen\s*sie\s*bis\s*(?:zum)?", 2.5),
        (r"please\s*(?:remit|pay)\s*(?:until|by|before)", 2.5),
        (r"te\s*betalen\s*voor", 2.5),
        (r"pay\s*(?:before|by)|payable\s*(?:before|by)", 2.5),
        (r"a\s*payer\s*avant\s*le", 2.5),
    ),
    "total_excl_vat": _labels(
        (r"tota(?:a)?l\s*(?:bedrag\s*)?excl(?:\.|usief)?\s*(?:btw|vat|tva)", 3.0),
        (r"totaal\s*exclusief\s*btw", 3.0),
        (r"exclusief\s*btw", 2.5),
        (r"ex\.?\s*btw", 1.5),
        (r"total\s*ht", 3.0),
        (r"montant\s*(?:eur\s*)?ht", 2.0),
        (r"total\s*hors\s*taxes?", 3.0),
        (r"rechnungssumme\s*(?:ohne\s*ust\.?|netto)", 3.0),
        (r"summe\s*netto", 3.0),
        (r"nettosumme", 3.0),
        (r"gesamt\s*netto", 3.0),
        (r"net\s*total", 3.0),
        (r"total\s*net", 3.0),
        (r"net\s*amount", 2.5),
        (r"total\s*excl\.?\s*(?:vat|tax)", 3.0),
        (r"untaxed\s*amount", 3.0),
        (r"nettobetrag", 2.0),
        (r"base\s*imposable|maatstaf\s*van\s*heffing|bemessungsgrundlage|taxable\s*amount", 2.5),
        (r"total\s*(?:htva|hors\s*tva)|totaal\s*zonder\s*btw|total\s*ohne\s*mwst\.?", 3.0),
        (r"montant\s*htva|bedrag\s*excl\.?\s*btw", 2.5),
        (r"subtota(?:a)?l", 1.5),
        (r"zwischensumme", 1.0),
        (r"positionssumme", 1.0),
    ),
    "total_vat": _labels(
        (r"totaal\s*(?:bedrag\s*)?btw", 3.0),
        (r"btw\s*bedrag", 2.5),
        (r"btw-bedrag|mehrwertsteuer|vat\s*amount|montant\s*de\s*(?:la\s*)?tva", 2.5),
        (r"mwst-?\s?betrag", 2.5),
        (r"total\s*(?:tva|taxes)", 3.0),
        (r"montant\s*tva", 2.5),
        (r"summe\s*umsatzsteuer", 3.0),
        (r"steuerbetrag", 2.5),
        (r"(?:zuzugl(?:ich|\.)|zzgl\.)\s*(?:\d+\s*%\s*)?(?:ust|mwst)\.?", 2.5),
        (r"umsatzsteuer", 1.5),
        (r"mwst\.?", 1.5),
        (r"ust\.?", 1.2),
        (r"vat\s*total", 3.0),
        (r"total\s*vat", 3.0),
        (r"btw", 1.5),
        (r"tva", 1.5),
        (r"vat", 1.5),
        (r"tax", 1.2),
    ),
    "total_incl_vat": _labels(
        (r"tota(?:a)?l\s*(?:bedrag\s*)?incl(?:\.|usief)?\s*(?:btw|vat|tva)", 3.0),
        (r"bedrag\s*incl(?:\.|usief)?\s*btw", 3.0),
        (r"total\s*(?:€\s*)?incl\.?\s*vat", 3.0),
        (r"total\s*ttc", 3.0),
        (r"total\s*tvac|montant\s*tvac|total\s*inkl\.?\s*mwst\.?", 3.0),
        (r"(?:totaal|total)\s*(?:te\s*betalen|a\s*payer|due|to\s*pay)", 2.8),
        (r"montant\s*(?:eur\s*)?ttc", 2.0),
        (r"bruttosumme", 3.0),
        (r"rechnungssumme\s*brutto", 3.0),
        (r"summe\s*inkl\.?\s*ust", 3.0),
        (r"rechnungsbetrag", 2.5),
        (r"gesamtbetrag", 2.0),
        (r"endsumme", 3.0),
        (r"endbetrag", 2.5),
        (r"gross\s*total", 3.0),
        (r"invoice\s*total", 2.5),
        (r"total\s*facture", 2.5),
        (r"total\s*for\s*this\s*invoice", 2.5),
        (r"tota(?:a)?l", 1.2),
    ),
    "payable_amount": _labels(
        (r"te\s*betalen", 3.0),
        (r"net\s*a\s*payer", 3.0),
        (r"(?:solde|somme|reste|montant)\s*a\s*payer", 3.0),
        (r"zahlbetrag", 3.0),
        (r"offener\s*betrag", 3.0),
        (r"amount\s*(?:to\s*pay|due)", 3.0),
        (r"total\s*amount\s*due", 3.0),
        (r"due\s*payable", 3.0),
        (r"balance\s*due", 3.0),
        (r"zu\s*zahlen(?:der\s*betrag)?", 3.0),
    ),
    "prepaid_amount": _labels(
        (r"bereits\s*bezahlt", 3.0),
        (r"erhaltene\s*anzahlungen?", 3.0),
        (r"already\s*paid", 3.0),
        (r"acompte", 2.5),
        (r"deja\s*(?:paye|regle)", 3.0),
        (r"reeds\s*betaald", 3.0),
        (r"betaald\s*met", 2.5),
        (r"prepaid", 3.0),
    ),
    "payment_reference": _labels(
        (r"gestructureerde\s*mededeling", 3.0),
        (r"mededeling", 2.0),
        (r"communication\s*structuree", 3.0),
        (r"following\s*communication\s*for\s*your\s*payment", 3.0),
        (r"communication", 1.5),
        (r"referenz\s*\(bitte\s*bei\s*zahlung\s*angeben\)", 3.0),
        (r"verwendungszweck", 3.0),
        (r"payment\s*reference", 3.0),
        (r"betalingskenmerk", 3.0),
        (r"reference\s*avis\s*de\s*paiement", 3.0),
    ),
    "currency": _labels(
        (r"(?:rechnungs)?wahrung", 3.0),
        (r"currency", 3.0),
        (r"devise", 3.0),
        (r"munt", 2.0),
        (r"betrage\s*in", 2.5),
    ),
}

LANGUAGE_WORDS: dict[str, tuple[str, ...]] = {
    "nl": ("factuur", "btw", "totaal", "bedrag", "datum", "betalen", "klant", "en", "van", "het"),
    "fr": ("facture", "tva", "total", "montant", "date", "payer", "client", "et", "de", "le"),
    "de": ("rechnung", "ust", "mwst", "summe", "betrag", "datum", "und", "der", "die", "zahlbar"),
    "en": ("invoice", "vat", "total", "amount", "date", "due", "customer", "and", "the", "of"),
}


def detect_language(folded_text: str) -> str | None:
    """The most likely of nl/fr/de/en from frequent invoice words."""
    tokens = re.findall(r"[a-z]+", folded_text)
    if not tokens:
        return None
    counts = dict.fromkeys(LANGUAGE_WORDS, 0)
    for tok in tokens:
        for lang, words in LANGUAGE_WORDS.items():
            if tok in words:
                counts[lang] += 1
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else None
