"""Sales invoicing (pure core): customers, items, drafts, Belgian VAT cases, numbering,
PDF (WeasyPrint) and Peppol BIS 3.0 UBL (written by ``peppol``), reminders, CODA payments
and the sales booking proposal.  Dataclasses in, frozen dataclasses or bytes out; no
database, no environment, no network.

Modules: :mod:`invoicing.model` (Seller, Customer, Item, DraftLine, InvoiceDraft,
IssuedInvoice, Totals), :mod:`invoicing.vat` (cases, mentions, totals),
:mod:`invoicing.numbering` (number, OGM, due date), :mod:`invoicing.issue` (issue,
credit notes, outputs), :mod:`invoicing.pdf`, :mod:`invoicing.epc`, :mod:`invoicing.ubl`,
:mod:`invoicing.sales_booking`, :mod:`invoicing.reminders`, :mod:`invoicing.coda`,
:mod:`invoicing.matching`.
"""

from invoicing.coda import CodaFile, CodaMovement, CodaStatement, parse_coda
from invoicing.customers_csv import CsvResult, parse_customers_csv
from invoicing.errors import (
    CodaError,
    CreditNoteTooLarge,
    InvalidIdentifier,
    InvoicingError,
    VatCaseError,
)
from invoicing.issue import IssuedDocument, credit_note_draft, issue, render_outputs
from invoicing.matching import MatchKind, MatchResult, OpenItem, PaymentMatch, match_payments
from invoicing.model import (
    Adjustment,
    Customer,
    DocumentKind,
    DraftLine,
    InvoiceDraft,
    IssuedInvoice,
    Item,
    ItemKind,
    Language,
    Seller,
    TaxRow,
    Totals,
    VatCase,
    derive_peppol_id,
    validate_peppol_id,
)
from invoicing.numbering import due_date, format_number, ogm_for, ogm_is_valid, parse_ogm
from invoicing.reminders import (
    Channel,
    DueReminder,
    OpenInvoice,
    ReminderLevel,
    ReminderPolicy,
    SentReminder,
    ageing,
    reminders_due,
)
from invoicing.sales_booking import sales_proposal
from invoicing.serial import from_json, to_json
from invoicing.vat import compute_totals, mentions

__all__ = [
    "Adjustment",
    "Channel",
    "CodaError",
    "CodaFile",
    "CodaMovement",
    "CodaStatement",
    "CreditNoteTooLarge",
    "CsvResult",
    "Customer",
    "DocumentKind",
    "DraftLine",
    "DueReminder",
    "InvalidIdentifier",
    "InvoiceDraft",
    "InvoicingError",
    "IssuedDocument",
    "IssuedInvoice",
    "Item",
    "ItemKind",
    "Language",
    "MatchKind",
    "MatchResult",
    "OpenInvoice",
    "OpenItem",
    "PaymentMatch",
    "ReminderLevel",
    "ReminderPolicy",
    "Seller",
    "SentReminder",
    "TaxRow",
    "Totals",
    "VatCase",
    "VatCaseError",
    "ageing",
    "compute_totals",
    "credit_note_draft",
    "derive_peppol_id",
    "due_date",
    "format_number",
    "from_json",
    "issue",
    "match_payments",
    "mentions",
    "ogm_for",
    "ogm_is_valid",
    "parse_coda",
    "parse_customers_csv",
    "parse_ogm",
    "reminders_due",
    "render_outputs",
    "sales_proposal",
    "to_json",
    "validate_peppol_id",
]
