"""Identifiers and dates: invoice number, issue/due date, currency, type, IBAN, reference."""

from __future__ import annotations

import datetime as _dt
import re

from extractors.candidates import Cand, evidence, label_spans, labelled
from extractors.layout import Layout
from extractors.model import DocumentType, Evidence
from extractors.normalize import (
    IBAN_LENGTHS,
    find_dates,
    fold,
    iban_checksum_ok,
    numeric_date_order_hint,
    parse_ogm,
)

__all__ = [
    "find_currency",
    "find_dates_fields",
    "find_document_type",
    "find_iban",
    "find_number",
    "find_reference",
    "us_dates",
]

_NOT_ISSUE = re.compile(
    r"livraison|delivery|lever|liefer|leistung|prestation|bestel|order|commande|echeance|"
    r"due|verval|fallig|auftrag|periode|period|debut|fin\b|begin|ende|zahlbar|geboren|"
    r"lieferschein|associee|vorige|previous|limite|prelevement|versand|ship"
)
_WEAK_DATE_LABELS = {"datum", "date", "vom", "du", "dated"}
_TITLE = re.compile(r"rechnung|invoice|factuur|facture|avoir|gutschrift|creditnota")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9/._\-]*[A-Za-z0-9]|[0-9]")


def us_dates(layout: Layout) -> bool:
    text = layout.text
    hint = numeric_date_order_hint(text)
    if hint is not None:
        return hint == "us"
    folded = fold(text)
    return bool(
        re.search(
            r"\b(january|february|march|april|may|june|july|august|september|"
            r"october|november|december)\s+\d{1,2}\s*,\s*\d{4}",
            folded,
        )
    )


# A phrase that refers to another document: the invoice a credit note credits,
# an earlier invoice ("Betreft factuur F1 van 1/2", "Concerne la facture ... du").
_OTHER_DOC = re.compile(
    r"\b(?:betreft|betrifft|bezug|concerne|re\s*:|regarding|credit\s*for|creditering|"
    r"crediting|original|oorspronkelijke?|ursprungliche?|initiale?|sur\s*(?:la\s*)?facture|"
    r"op\s*factuur|zu(?:r)?\s*rechnung|ref\.?\s*(?:factuur|facture|rechnung|invoice)|"
    r"referentie|reference\s*(?:facture|invoice)|associee|vorige|previous|annul)"
)
# A number label that names another number: the customer's, the order's, a VAT number.
_OTHER_NUMBER = re.compile(
    r"(?:klant|client|kunden?|customer|account|debiteur|order|bestel|commande|auftrag|"
    r"btw|tva|vat|ust|mwst|ondernemings|entreprise|unternehmens|company|kbo|bce|"
    r"reg\b|registration|rpr|rpm|telefoon|telephone|phone|tel\b|fax|artikel|article|item|"
    r"lever|livraison|delivery|liefer|dossier|contract|contrat|vertrag|project|projet|"
    r"page|pagina|seite)"
)


def refers_to_other_document(phrase_folded: str, upto: int) -> bool:
    """Does the text before ``upto`` in a phrase say that what follows is another document's?"""
    return _OTHER_DOC.search(phrase_folded[:upto]) is not None


def find_number(layout: Layout, credit: bool = False) -> Cand[str] | None:
    best: Cand[str] | None = None
    spans = label_spans(layout, ("invoice_number", "issue_date"))
    label_at: dict[tuple[int, int], tuple[int, int]] = {}
    for name, phrase, s, e, _w in spans:
        if name == "invoice_number":
            label_at.setdefault((phrase.index, e), (s, e))
    for hit, score, rule in labelled(layout, "invoice_number", spans, below=1):
        if hit.relation == "same" and refers_to_other_document(hit.phrase.folded, hit.start):
            continue
        label = rule.split(":")[1] if rule.count(":") >= 2 else ""
        if _OTHER_NUMBER.search(label):
            continue
        if hit.relation == "same" and _label_names_other_number(hit.phrase.folded, hit.start):
            continue
        if credit and re.fullmatch(r"invoice|factuur|facture|rechnung", label.strip()):
            score *= 0.5  # the credit note's own number has its own label
        text = hit.text.strip()
        text = re.sub(r"^(?:n\s?[°o]\.?|nr\.?|no\.?|#|:)\s*", "", text, flags=re.I)
        text = re.sub(r"^\(\d{3}\)\s*", "", text)
        m = _TOKEN.match(text.lstrip(" :#"))
        if m is None:
            continue
        token = m.group(0)
        if not _plausible_number(token):
            continue
        if hit.relation != "same":
            score *= 0.9
        offset = hit.text.find(token)
        ev = evidence(
            rule,
            hit.phrase,
            score / 3.0,
            hit.start + max(offset, 0),
            hit.start + max(offset, 0) + len(token),
        )
        if best is None or score > best.score:
            best = Cand(token, score, ev)
    return best


def _label_names_other_number(folded: str, value_start: int) -> bool:
    """'Klant nr.: C123', 'N° client: C1', 'Numéro de TVA': the label names another number."""
    head = folded[:value_start]
    words = re.findall(r"[a-z]+", head)
    return any(_OTHER_NUMBER.fullmatch(w) or _OTHER_NUMBER.match(w) for w in words[-3:])


def _plausible_number(token: str) -> bool:
    if not any(ch.isdigit() for ch in token) or len(token) > 30:
        return False
    dates = find_dates(token)
    if dates and dates[0][1] - dates[0][0] >= len(token) - 1:  # a date, not a number
        return False
    return re.fullmatch(r"\d{1,3}(?:[.,]\d{2})", token) is None  # not an amount


def find_dates_fields(
    layout: Layout, us: bool
) -> tuple[Cand[_dt.date] | None, Cand[_dt.date] | None]:
    spans = label_spans(layout, ("issue_date", "due_date"))
    issue = _best_date(layout, "issue_date", spans, us)
    due = _best_date(layout, "due_date", spans, us)
    if issue is None:
        issue = _first_date(layout, us)
    return issue, due


def _best_date(layout: Layout, field: str, spans: list, us: bool) -> Cand[_dt.date] | None:
    best: Cand[_dt.date] | None = None
    for hit, score, rule in labelled(layout, field, spans, below=2):
        found = find_dates(hit.text, us=us)
        if not found:
            continue
        s, e, value = found[0]
        label = rule.split(":")[1] if ":" in rule else ""
        weak = label in _WEAK_DATE_LABELS
        context = hit.phrase.folded[: hit.start + s] if hit.relation == "same" else ""
        if field == "issue_date" and weak and _NOT_ISSUE.search(context):
            continue
        if hit.relation == "same" and refers_to_other_document(hit.phrase.folded, hit.start + s):
            continue
        if field == "issue_date" and weak and hit.relation == "same" and _TITLE.search(context):
            score += 1.5
        if "version" in hit.phrase.folded:
            score -= 1.5
        if best is None or score > best.score:
            best = Cand(
                value, score, evidence(rule, hit.phrase, score / 3.0, hit.start + s, hit.start + e)
            )
    return best


def _first_date(layout: Layout, us: bool) -> Cand[_dt.date] | None:
    for phrase in layout.phrases:
        if phrase.page != 1:
            break
        if _NOT_ISSUE.search(phrase.folded) or refers_to_other_document(phrase.folded, 10**6):
            continue
        found = find_dates(phrase.text, us=us)
        if found:
            s, e, value = found[0]
            return Cand(value, 0.5, evidence("first-date", phrase, 0.35, s, e))
    return None


_CURRENCIES = {"EUR": ("€", "EUR"), "USD": ("$", "USD"), "GBP": ("£", "GBP"), "CHF": ("CHF",)}


def find_currency(layout: Layout) -> Cand[str]:
    for hit, score, rule in labelled(layout, "currency", below=1):
        m = re.search(r"\b(EUR|USD|GBP|CHF|EURO)\b", hit.text.upper())
        if m:
            code = "EUR" if m.group(1) == "EURO" else m.group(1)
            return Cand(code, score, evidence(rule, hit, score / 3.0))
    text = layout.text
    counts = {code: sum(text.count(s) for s in signs) for code, signs in _CURRENCIES.items()}
    code = max(counts, key=lambda c: counts[c])
    if counts[code] == 0:
        return Cand("EUR", 0.2, Evidence(0.3, "default:EUR"))
    return Cand(code, 1.0, Evidence(0.7, "currency-signs"))


_CREDIT = re.compile(
    r"^(?:avoir|creditnota|credit\s*note|kreditnota|note\s*de\s*credit|gutschrift|"
    r"factuur\s*-?\s*credit|creditfactuur)\b"
)


def find_document_type(layout: Layout) -> tuple[DocumentType, Evidence]:
    for phrase in layout.phrases[:80]:
        if phrase.page != 1:
            break
        if _CREDIT.search(phrase.folded) and not re.search(r"389|selbst", phrase.folded):
            return DocumentType.CREDIT_NOTE, evidence("title:credit", phrase, 0.9)
    return DocumentType.INVOICE, Evidence(0.8, "default:invoice")


_IBAN_CHUNK = re.compile(r"(?<![A-Z0-9])([A-Z]{2}[0-9OSIL]{2}(?:\s?[A-Z0-9]{1,4}){1,8})")
_DIGIT_LOOKALIKES = str.maketrans("OQDILSBZG", "001115826")
_DEBIT = re.compile(r"abgebucht|von\s*konto|debited|domicili|preleve|your\s*account|uw\s*rekening")


def find_iban(layout: Layout) -> Cand[str] | None:
    best: Cand[str] | None = None
    for phrase in layout.phrases:
        for m in _IBAN_CHUNK.finditer(_with_groups_right(layout, phrase).upper()):
            compact = re.sub(r"\s", "", m.group(1))
            need = IBAN_LENGTHS.get(compact[:2])
            if need is None:
                continue
            if len(compact) < need:
                joined = _wrapped(layout, phrase, compact, need)
                if joined is None:
                    continue
                compact = joined
            compact, ok = _iban_repaired(compact[:need])
            score = 2.0 + (2.0 if ok else 0.0)
            line_text = fold(layout.lines[phrase.line].text)
            if "iban" in line_text:
                score += 1.0
            if _DEBIT.search(line_text):
                score -= 3.0
            if not ok:
                score -= 1.5
            if best is None or score > best.score:
                best = Cand(
                    compact, score, evidence("iban", phrase, score / 5.0, m.start(), m.end())
                )
    return best if best is not None and best.score > 0.5 else None


def _with_groups_right(layout: Layout, phrase: object) -> str:
    """The phrase and the 1-4 character groups right of it on its line: OCR of a widely
    spaced IBAN ('BE53 | 7357 | 3172 | 6053') makes a phrase of each group."""
    from extractors.layout import Phrase

    assert isinstance(phrase, Phrase)
    text = phrase.text
    if not re.search(r"[A-Z]{2}\d{2}\s?[A-Z0-9]{0,4}$", text.upper()):
        return text
    for right in layout.right_of(phrase)[:7]:
        if right is phrase:
            continue
        if not re.fullmatch(r"[A-Z0-9]{1,4}", right.text.strip().upper()):
            break
        text += " " + right.text.strip()
    return text


def _iban_repaired(compact: str) -> tuple[str, bool]:
    """The IBAN, or an OCR repair of it (look-alike letters in digit places) that passes
    the mod-97 check; the checksum decides between variants, it never drops a value."""
    check = compact[2:4].translate(_DIGIT_LOOKALIKES)
    bban = compact[4:]
    tail = re.match(r"^([A-Z]*)(.*)$", bban)
    assert tail is not None
    variants = [
        compact,
        compact[:2] + check + bban,
        compact[:2] + check + tail.group(1) + tail.group(2).translate(_DIGIT_LOOKALIKES),
        compact[:2] + check + bban.translate(_DIGIT_LOOKALIKES),
    ]
    for v in variants:
        if iban_checksum_ok(v):
            return v, True
    return compact, False


def _wrapped(layout: Layout, phrase: object, compact: str, need: int) -> str | None:
    """An IBAN whose last characters wrapped to the line below."""
    from extractors.layout import Phrase

    assert isinstance(phrase, Phrase)
    for below in layout.below(phrase, 1, slack=0.03):
        tail = re.sub(r"\s", "", below.text.upper())
        if re.fullmatch(r"[A-Z0-9]{1,12}", tail) and len(compact + tail) >= need:
            joined = (compact + tail)[:need]
            if iban_checksum_ok(joined):
                return joined
    return None


def find_reference(layout: Layout) -> Cand[str] | None:
    for phrase in layout.phrases:
        ogm = parse_ogm(phrase.text)
        if ogm:
            return Cand(ogm, 3.0, evidence("ogm", phrase, 0.95))
    best: Cand[str] | None = None
    for hit, score, rule in labelled(layout, "payment_reference", below=1):
        text = hit.text.strip(" :")
        if not text:
            continue
        m = _TOKEN.match(text)
        if m is None or not any(ch.isdigit() for ch in m.group(0)):
            continue
        if best is None or score > best.score:
            best = Cand(m.group(0), score, evidence(rule, hit, score / 3.0))
    return best
