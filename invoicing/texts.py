"""Printed labels in the four languages of the customer (nl, fr, de, en)."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal

from invoicing.model import Language

__all__ = ["LABELS", "fmt_date", "fmt_money", "label"]

_KEYS = (
    "invoice", "credit_note", "number", "date", "due_date", "customer", "vat", "enterprise",
    "description", "quantity", "unit_price", "rate", "net", "subtotal", "discount", "charge",
    "taxable", "vat_amount", "total", "to_pay", "pay_with", "reference", "credits",
    "delivery_date", "exempt", "scan_to_pay", "iban", "reminder_1", "reminder_2",
    "formal_notice",
)  # fmt: skip

_ROWS: dict[Language, tuple[str, ...]] = {
    Language.NL: (
        "Factuur", "Creditnota", "Nummer", "Datum", "Vervaldatum", "Klant", "Btw",
        "Ondernemingsnr.",
        "Omschrijving", "Aantal", "Eenheidsprijs", "Btw %", "Netto", "Subtotaal", "Korting",
        "Toeslag", "Maatstaf", "Btw-bedrag", "Totaal", "Te betalen", "Te betalen op",
        "Gestructureerde mededeling", "Crediteert factuur", "Leveringsdatum", "vrijgesteld",
        "Scan om te betalen", "IBAN", "Betalingsherinnering", "Tweede herinnering",
        "Ingebrekestelling",
    ),
    Language.FR: (
        "Facture", "Note de crédit", "Numéro", "Date", "Échéance", "Client", "TVA",
        "N° d'entreprise",
        "Description", "Quantité", "Prix unitaire", "TVA %", "Net", "Sous-total", "Remise",
        "Supplément", "Base", "Montant TVA", "Total", "À payer", "À payer sur",
        "Communication structurée", "Crédite la facture", "Date de livraison", "exonéré",
        "Scannez pour payer", "IBAN", "Rappel de paiement", "Deuxième rappel",
        "Mise en demeure",
    ),
    Language.DE: (
        "Rechnung", "Gutschrift", "Nummer", "Datum", "Fälligkeitsdatum", "Kunde", "MwSt.",
        "Unternehmensnr.", "Beschreibung", "Menge", "Einzelpreis", "MwSt. %", "Netto",
        "Zwischensumme", "Rabatt", "Zuschlag", "Bemessungsgrundlage", "MwSt.-Betrag", "Gesamt",
        "Zu zahlen", "Zu zahlen auf", "Strukturierte Mitteilung", "Gutschrift zur Rechnung",
        "Lieferdatum", "befreit", "Zum Bezahlen scannen", "IBAN", "Zahlungserinnerung",
        "Zweite Mahnung", "Inverzugsetzung",
    ),
    Language.EN: (
        "Invoice", "Credit note", "Number", "Date", "Due date", "Customer", "VAT", "Enterprise no.",
        "Description", "Quantity", "Unit price", "VAT %", "Net", "Subtotal", "Discount",
        "Charge", "Taxable", "VAT amount", "Total", "To pay", "Pay to",
        "Structured communication", "Credits invoice", "Delivery date", "exempt",
        "Scan to pay", "IBAN", "Payment reminder", "Second reminder", "Formal notice",
    ),
}  # fmt: skip

LABELS: dict[Language, dict[str, str]] = {
    lang: dict(zip(_KEYS, row, strict=True)) for lang, row in _ROWS.items()
}


def label(lang: Language, key: str) -> str:
    return LABELS[lang][key]


def fmt_money(value: Decimal, lang: Language) -> str:
    """``1.234,50`` (nl/fr/de) or ``1,234.50`` (en), always two decimals."""
    text = f"{value:,.2f}"
    if lang is Language.EN:
        return text
    sep = "." if lang in (Language.NL, Language.DE) else "\u202f"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", sep)


def fmt_date(day: _dt.date, lang: Language) -> str:
    return day.isoformat() if lang is Language.EN else day.strftime("%d/%m/%Y")
