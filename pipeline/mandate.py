"""The Peppol-mandate watch: a PDF or scan that is no longer a valid invoice.

Since the Belgian e-invoicing mandate, an invoice between two Belgian VAT-registered
companies must be a structured e-invoice (Peppol BIS).  After the tolerance period
(documents dated after 31 March 2026), a purchase document that arrives as a PDF,
scan or photo from a Belgian VAT-registered supplier to a Belgian VAT-registered
dossier gets a stored alert (:data:`MANDATE_ALERT`) in the propose step; the
accountant asks the supplier for the e-invoice with one click (the request mail is
built here, in the dossier's language).  When the e-invoice arrives, the twin rule of
the extract step makes it the master and the PDF its duplicate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from extractors.model import InvoiceData
from pipeline import payment_trust
from storage.models import Document, Dossier

__all__ = [
    "CUTOFF",
    "LANGUAGES",
    "MANDATE_ALERT",
    "MESSAGE",
    "RequestText",
    "check_mandate",
    "mandate_applies",
    "request_text",
]

MANDATE_ALERT = "peppol_mandate"
#: documents dated after this day fall under the mandate (end of the tolerance period)
CUTOFF = dt.date(2026, 3, 31)
MESSAGE = (
    "Not a valid invoice under the e-invoicing mandate; ask the supplier for the Peppol e-invoice."
)
_STRUCTURED = {"application/xml", "text/xml"}
LANGUAGES = ("nl", "fr", "de", "en")


def _belgian_vat(value: str | None) -> str | None:
    compact = "".join(ch for ch in (value or "").upper() if ch.isalnum())
    if len(compact) == 12 and compact.startswith("BE") and compact[2:].isdigit():
        return compact
    return None


def mandate_applies(
    *, content_type: str, supplier_vat: str | None, dossier_vat: str | None, date: dt.date | None
) -> bool:
    """A non-structured document between two Belgian VAT numbers, dated after the cutoff.

    A document the dossier issued itself (supplier VAT = dossier VAT) is a sale, not a
    purchase, and is never flagged here.
    """
    supplier, own = _belgian_vat(supplier_vat), _belgian_vat(dossier_vat)
    if content_type in _STRUCTURED or supplier is None or own is None or supplier == own:
        return False
    return date is not None and date > CUTOFF


def check_mandate(doc: Document, dossier: Dossier, invoice: InvoiceData) -> bool:
    """Set or clear the document's mandate alert (idempotent: a replay changes nothing;
    a request already sent stays recorded on the alert).  Returns whether it applies."""
    applies = mandate_applies(
        content_type=doc.content_type,
        supplier_vat=invoice.supplier.vat or doc.supplier_vat,
        dossier_vat=dossier.vat_number,
        date=invoice.issue_date,
    )
    if not applies:
        payment_trust.drop_alert(doc, MANDATE_ALERT)
        return False
    old = payment_trust.alert(doc, MANDATE_ALERT) or {}
    kept = {k: v for k, v in old.items() if k in ("requested_at", "requested_to", "requested_by")}
    wanted: dict[str, Any] = {
        "code": MANDATE_ALERT,
        "message": MESSAGE,
        "supplier_vat": _belgian_vat(invoice.supplier.vat or doc.supplier_vat),
        **kept,
    }
    if old != wanted:
        extra = {k: v for k, v in wanted.items() if k not in ("code", "message")}
        payment_trust.put_alert(doc, MANDATE_ALERT, MESSAGE, **extra)
    return True


# ----------------------------------------------------------------------------- the request


@dataclass(frozen=True, slots=True)
class RequestText:
    subject: str
    body: str


_TEMPLATES: dict[str, tuple[str, str]] = {
    "nl": (
        "Verzoek om e-factuur via Peppol: factuur {number}",
        "Beste,\n\n"
        "Wij ontvingen uw factuur {number} van {date} als PDF. Sinds de verplichting tot"
        " elektronische facturatie in België is een PDF tussen twee Belgische"
        " btw-plichtigen geen geldige factuur meer.\n\n"
        "Wilt u deze factuur opnieuw versturen als e-factuur via het Peppol-netwerk"
        " aan {customer} (btw {customer_vat})?\n\n"
        "Met vriendelijke groeten,\n{customer}\n",
    ),
    "fr": (
        "Demande de facture électronique via Peppol : facture {number}",
        "Madame, Monsieur,\n\n"
        "Nous avons reçu votre facture {number} du {date} au format PDF. Depuis"
        " l'obligation de facturation électronique en Belgique, un PDF entre deux"
        " assujettis belges à la TVA n'est plus une facture valable.\n\n"
        "Pourriez-vous renvoyer cette facture en tant que facture électronique via le"
        " réseau Peppol à {customer} (TVA {customer_vat}) ?\n\n"
        "Avec nos salutations distinguées,\n{customer}\n",
    ),
    "de": (
        "Bitte um E-Rechnung über Peppol: Rechnung {number}",
        "Sehr geehrte Damen und Herren,\n\n"
        "wir haben Ihre Rechnung {number} vom {date} als PDF erhalten. Seit der Pflicht"
        " zur elektronischen Rechnungsstellung in Belgien ist ein PDF zwischen zwei"
        " belgischen Mehrwertsteuerpflichtigen keine gültige Rechnung mehr.\n\n"
        "Bitte senden Sie diese Rechnung erneut als E-Rechnung über das Peppol-Netzwerk"
        " an {customer} (MwSt. {customer_vat}).\n\n"
        "Mit freundlichen Grüßen,\n{customer}\n",
    ),
    "en": (
        "Request for a Peppol e-invoice: invoice {number}",
        "Dear Sir or Madam,\n\n"
        "We received your invoice {number} of {date} as a PDF. Under the Belgian"
        " e-invoicing mandate, a PDF between two Belgian VAT-registered companies is no"
        " longer a valid invoice.\n\n"
        "Please send this invoice again as an e-invoice over the Peppol network to"
        " {customer} (VAT {customer_vat}).\n\n"
        "Kind regards,\n{customer}\n",
    ),
}


def _clean(value: str | None, limit: int = 120) -> str:
    """Values from a hostile document: one line, printable, bounded."""
    text = "".join(ch if ch.isprintable() else " " for ch in (value or ""))
    return " ".join(text.split())[:limit] or "?"


def request_text(
    language: str | None,
    *,
    number: str | None,
    date: dt.date | None,
    customer: str,
    customer_vat: str | None,
) -> RequestText:
    """The request mail in the dossier's language (Dutch when unknown)."""
    subject, body = _TEMPLATES.get((language or "nl").lower(), _TEMPLATES["nl"])
    values = {
        "number": _clean(number, 60),
        "date": date.isoformat() if date else "?",
        "customer": _clean(customer),
        "customer_vat": _clean(customer_vat, 32),
    }
    return RequestText(subject.format(**values), body.format(**values))
