"""Glue between storage and the booking core.

Builds a :class:`booking.BookingContext` from the dossier's settings and the
supplier's learned history, stores the proposal as an unbooked journal entry,
and learns from the accountant's confirmations.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from booking import (
    AutobookMode,
    AutobookPolicy,
    BookingContext,
    HistoryEntry,
    Proposal,
    learn_from_confirmation,
    propose,
)
from booking import Dossier as BookingDossier
from booking.currency import MAX_RATE_AGE_DAYS, RateTable
from booking.errors import BookingError, PeriodLocked
from extractors.model import InvoiceData
from pipeline import payment_trust
from pipeline.states import DocumentState
from storage import analytics as analytics_store
from storage import repo
from storage.models import Document, Dossier, JournalEntry, Supplier, utcnow

log = logging.getLogger(__name__)

S = DocumentState

#: how many learned lines a supplier keeps
HISTORY_LIMIT = 40


def _dec(value: Any, default: str) -> Decimal:
    try:
        return Decimal(str(value))
    except Exception:
        return Decimal(default)


def dossier_context(dossier: Dossier) -> BookingDossier:
    st = dossier.settings or {}
    return BookingDossier(
        name=dossier.name,
        vat=dossier.vat_number,
        capitalisation_threshold=_dec(st.get("capitalisation_threshold", "1000.00"), "1000.00"),
        default_account=str(st.get("default_account", "619000")),
        bookyear_start_month=int(st.get("bookyear_start_month", 1)),
        vat_period=str(st.get("vat_period", "quarter")),
        locked_through=st.get("locked_through"),
        locked_periods=tuple(st.get("locked_periods", ())),
    )


def history_of(supplier: Supplier | None) -> tuple[HistoryEntry, ...]:
    if supplier is None:
        return ()
    out = []
    for h in supplier.history or []:
        out.append(
            HistoryEntry(
                account=str(h["account"]),
                description=str(h.get("description", "")),
                vat_rate=Decimal(h["vat_rate"]) if h.get("vat_rate") not in (None, "") else None,
                deductible_pct=Decimal(h["deductible_pct"])
                if h.get("deductible_pct") not in (None, "")
                else None,
            )
        )
    return tuple(out)


def context_for(
    dossier: Dossier, supplier: Supplier | None, period: str | None = None
) -> BookingContext:
    policy = AutobookPolicy()
    recent: tuple[bool, ...] = ()
    if supplier is not None:
        policy = AutobookPolicy(
            mode=AutobookMode(supplier.autobook_policy), n=supplier.autobook_after
        )
        recent = (True,) * supplier.confirmations_in_a_row
    return BookingContext(
        dossier=dossier_context(dossier),
        supplier_history=history_of(supplier),
        supplier_default_account=supplier.default_account if supplier else None,
        autobook_policy=policy,
        recent_confirmations=recent,
        period=period,
    )


def counterparty(
    invoice: InvoiceData, dossier: Dossier
) -> tuple[str | None, str | None, str | None]:
    """VAT, IBAN, name of the other party (the supplier of a purchase)."""
    own = (dossier.vat_number or "").replace(".", "").replace(" ", "").upper()
    sup_vat = (invoice.supplier.vat or "").replace(".", "").replace(" ", "").upper()
    if own and sup_vat == own:  # a sales invoice of the dossier itself
        return invoice.customer.vat, None, invoice.customer.name
    return invoice.supplier.vat, invoice.iban, invoice.supplier.name


def entry_fields(p: Proposal) -> dict[str, Any]:
    return {
        "journal": p.journal,
        "bookyear": p.bookyear,
        "period": p.period,
        "vat_period": p.vat_period,
        "date": p.date,
        "due_date": p.due_date,
        "payment_reference": p.payment_reference,
        "document_number": p.document_number,
        "regime": p.regime,
        "reason": p.regime_reason,
        "warnings": list(p.warnings),
        "confidence": float(p.confidence),
        "status": "proposed",
        "document_currency": None if p.exchange_rate is None else p.document_currency,
        "exchange_rate": p.exchange_rate,
        "rate_source": p.rate_source,
        "rate_date": p.rate_date,
        "original_total": p.original_total_incl_vat if p.exchange_rate is not None else None,
    }


def line_rows(p: Proposal) -> list[dict[str, Any]]:
    return [
        {
            "account": ln.account,
            "debit": ln.debit,
            "credit": ln.credit,
            "vat_code": ln.vat_code,
            "vat_grids": list(ln.vat_grid),
            "description": ln.description,
            "reason": ln.reason,
            "confidence": float(ln.confidence),
            "kind": str(ln.kind),
            "vat_rate": ln.vat_rate,
            "deductible_pct": ln.deductible_pct,
        }
        for ln in p.lines
    ]


def _store_proposal(
    s: Any, doc: Document, invoice: InvoiceData, *, rate: Decimal | None = None
) -> tuple[JournalEntry | None, Proposal | None, str | None]:
    """Propose and store the (unbooked) entry of ``doc``.

    Returns ``(entry, proposal, None)``, or ``(None, None, why)`` when no
    entry can be proposed.  A locked period moves the booking to the first open
    period (the document keeps its date), as the accountant would.  ``rate`` is
    an exchange rate the accountant gave; without it, one given earlier (kept on
    the document's entry) is used again.
    """
    dossier = repo.get_dossier(s, doc.dossier_id)
    vat, iban, name = counterparty(invoice, dossier)
    supplier = repo.upsert_supplier(
        s, dossier.id, vat=vat, iban=iban, name=name, country=invoice.supplier.country
    )
    if rate is None:
        rate = user_rate(s, doc)
    rates = rate_table_for(s, invoice)
    try:
        try:
            ctx = context_for(dossier, supplier)
            proposal = propose(invoice, _with_rates(ctx, rates, rate))
        except PeriodLocked as exc:
            if exc.first_open is None:
                raise
            ctx = context_for(dossier, supplier, period=exc.first_open)
            proposal = propose(invoice, _with_rates(ctx, rates, rate))
    except BookingError as exc:
        return None, None, f"no proposal: {exc}"
    entry = repo.replace_entry(
        s,
        dossier_id=dossier.id,
        document_id=doc.id,
        fields=entry_fields(proposal),
        lines=line_rows(proposal),
    )
    entry.supplier_id = supplier.id if supplier else None
    return entry, proposal, None


def rate_table_for(s: Any, invoice: InvoiceData) -> RateTable | None:
    """The ECB rates a foreign-currency invoice needs (the week up to its date).

    None while no rates were ever imported (the proposal then stays in the document
    currency with a CHECK warning); once they were, a missing rate asks the user.
    """
    currency = (invoice.currency or "EUR").strip().upper()
    if currency == "EUR" or invoice.issue_date is None or len(currency) != 3:
        return None
    day = invoice.issue_date
    rows = repo.rates_between(s, currency, day - dt.timedelta(days=MAX_RATE_AGE_DAYS), day)
    if rows:
        return RateTable({currency: tuple(rows)})
    return RateTable({}) if repo.count_rates(s) else None


def _with_rates(ctx: Any, rates: RateTable | None, rate: Decimal | None = None) -> Any:
    if rate is not None:
        ctx = dataclasses.replace(ctx, exchange_rate=rate)
    return ctx if rates is None else dataclasses.replace(ctx, rates=rates)


def user_rate(s: Any, doc: Document) -> Decimal | None:
    """The exchange rate the accountant gave for ``doc`` (kept on its unbooked entry)."""
    entry = repo.entry_for_document(s, doc.id)
    if entry is None or entry.rate_source != "user" or not entry.exchange_rate:
        return None
    return Decimal(entry.exchange_rate)


def propose_at_rate(s: Any, doc: Document, invoice: InvoiceData, rate: Decimal) -> str | None:
    """Re-propose ``doc`` in euro at the accountant's ``rate``; the reason when it cannot."""
    entry, _, why = _store_proposal(s, doc, invoice, rate=rate)
    doc.state_reason = why
    doc.reason_code = "no_proposal" if why else None
    if entry is not None:
        _check_payment(s, doc, entry, invoice)
    return why


def manual_entry(
    s: Any, doc: Document, invoice: InvoiceData, *, rate: Decimal | None = None
) -> JournalEntry:
    """A draft entry for a document without a proposal, prefilled from what was read.

    Purchase journal: per VAT rate the taxable amount on the dossier's default
    account and the VAT on 411000, the total on 440000 (sides swapped for a
    credit note).  The accountant edits the lines; confirming runs the usual checks.
    ``rate`` (1 EUR = rate units of a foreign invoice's currency, given by the
    accountant) converts the amounts to euro; the entry keeps the rate and the
    original total.  Without a rate a foreign-currency entry cannot be confirmed.
    """
    from booking.amounts import money
    from booking.lines import SUPPLIERS, VAT_RECEIVABLE
    from booking.periods import period_info, period_of

    dossier = repo.get_dossier(s, doc.dossier_id)
    dctx = dossier_context(dossier)
    day = invoice.issue_date or utcnow().date()
    info = period_info(period_of(day), dctx)
    vat, iban, name = counterparty(invoice, dossier)
    supplier = repo.upsert_supplier(
        s, dossier.id, vat=vat, iban=iban, name=name, country=invoice.supplier.country
    )
    zero = Decimal("0.00")
    what = invoice.supplier.name or "supplier"
    debits: list[tuple[str, Decimal, str, str, list[str], Decimal | None]] = []
    for row in invoice.vat_breakdown:
        label = f"{what} {row.rate} %" if row.rate is not None else what
        if row.taxable:
            debits.append((dctx.default_account, row.taxable, label, "base", [], row.rate))
        if row.vat:
            debits.append((VAT_RECEIVABLE, row.vat, f"VAT {label}", "vat", ["59"], row.rate))
    if not debits:
        vat_total = invoice.total_vat or zero
        base = invoice.total_excl_vat
        if base is None and invoice.total_incl_vat is not None:
            base = invoice.total_incl_vat - vat_total
        if base:
            debits.append((dctx.default_account, base, what, "base", [], None))
        if vat_total:
            debits.append((VAT_RECEIVABLE, vat_total, f"VAT {what}", "vat", ["59"], None))
    if rate:  # in euro: each line converted, the total their sum (so the entry balances)
        debits = [(d[0], money(d[1] / rate), *d[2:]) for d in debits]
    total = None if rate else invoice.total_incl_vat
    if total is None:
        total = sum((d[1] for d in debits), zero)
    credit_note = invoice.is_credit_note
    lines: list[dict[str, Any]] = []
    for account, amount, label, kind, grids, vat_rate in debits:
        lines.append(
            {
                "account": account,
                "debit": zero if credit_note else amount,
                "credit": amount if credit_note else zero,
                "vat_code": None,
                "vat_grids": grids,
                "description": label[:200],
                "reason": "by hand: from the extracted fields",
                "confidence": 0.0,
                "kind": kind,
                "vat_rate": vat_rate,
                "deductible_pct": None,
            }
        )
    lines.append(
        {
            "account": SUPPLIERS,
            "debit": total if credit_note else zero,
            "credit": zero if credit_note else total,
            "vat_code": None,
            "vat_grids": [],
            "description": what[:200],
            "reason": "by hand: the invoice total",
            "confidence": 0.0,
            "kind": "counterparty",
            "vat_rate": None,
            "deductible_pct": None,
        }
    )
    warnings = ["booked by hand: no proposal; check every account and amount"]
    currency = (invoice.currency or "EUR").strip().upper()[:3]
    if currency != "EUR" and rate:
        warnings.append(f"amounts converted at 1 EUR = {rate:f} {currency} (given by hand)")
    elif currency != "EUR":
        warnings.append(
            f"amounts are in {currency}: give the exchange rate to book in euro"
            " (it cannot be booked before)"
        )
    journals = dctx.journals
    journal = (
        (journals.purchase_credit_note or journals.purchase) if credit_note else (journals.purchase)
    )
    entry = repo.replace_entry(
        s,
        dossier_id=dossier.id,
        document_id=doc.id,
        fields={
            "journal": journal,
            "bookyear": info.bookyear,
            "period": info.period,
            "vat_period": info.vat_period,
            "date": day,
            "due_date": invoice.due_date,
            "payment_reference": invoice.payment_reference,
            "document_number": invoice.invoice_number,
            "regime": None,
            "reason": doc.state_reason,
            "warnings": warnings,
            "confidence": 0.0,
            "status": "draft",
            "edited": True,
            "document_currency": currency if rate else None,
            "exchange_rate": rate or None,
            "rate_source": "user" if rate else None,
            "rate_date": None,
            "original_total": invoice.total_incl_vat if rate else None,
        },
        lines=lines,
    )
    entry.supplier_id = supplier.id if supplier else None
    # the IBAN is checked as for a proposal: a new one waits for the accountant's confirmation
    payment_trust.check_iban(s, doc, supplier_id=entry.supplier_id, iban=iban)
    return entry


def propose_for_document(s: Any, doc: Document, invoice: InvoiceData) -> None:
    """Store the proposal of an EXTRACTED document and move it to PROPOSED (or BOOKED).

    Without a proposal the document still waits for review, with the reason:
    the accountant books it by hand.
    """
    from pipeline import twins

    entry, proposal, why = _store_proposal(s, doc, invoice)
    repo.set_state(s, doc, S.PROPOSED, None, timing="proposed")
    twins.flag_possible_twin(s, doc)
    if entry is None or proposal is None:
        doc.state_reason = why
        doc.reason_code = "no_proposal"
        return
    _check_payment(s, doc, entry, invoice)
    if proposal.autobook:
        blockers = payment_trust.autobook_blockers(s, doc)
        unconverted = currency_refusal(s, doc, entry)
        if unconverted is not None:
            blockers = [*blockers, unconverted]
        if payment_trust.alert(doc, twins.POSSIBLE_DUPLICATE) is not None:
            blockers = [*blockers, "possibly the same invoice as another document"]
        if blockers:
            entry.warnings = [
                *(entry.warnings or []),
                "not booked automatically: " + "; ".join(blockers),
            ]
            repo.audit(
                s,
                "auto_book_blocked",
                dossier_id=doc.dossier_id,
                document_id=doc.id,
                reasons=blockers,
            )
            return
        book_entry(s, doc, entry, user_id=None, auto=True)
        repo.audit(
            s,
            "auto_booked",
            dossier_id=doc.dossier_id,
            document_id=doc.id,
            reason=proposal.autobook_reason,
        )


def repropose(s: Any, doc: Document, invoice: InvoiceData) -> None:
    """Recompute the proposal of a document waiting for review (after a correction)."""
    entry = repo.entry_for_document(s, doc.id)
    if entry is not None and entry.status == "booked":
        return
    new_entry, _, why = _store_proposal(s, doc, invoice)
    doc.state_reason = why
    doc.reason_code = "no_proposal" if why else None
    if new_entry is not None:
        _check_payment(s, doc, new_entry, invoice)


def _check_payment(s: Any, doc: Document, entry: JournalEntry, invoice: InvoiceData) -> None:
    """Set or clear the document's IBAN alert for the proposal's supplier."""
    dossier = repo.get_dossier(s, doc.dossier_id)
    _, iban, _ = counterparty(invoice, dossier)
    payment_trust.check_iban(s, doc, supplier_id=entry.supplier_id, iban=iban)


def currency_refusal(s: Any, doc: Document, entry: JournalEntry) -> str | None:
    """Why ``entry`` cannot be booked yet: its invoice is in a foreign currency and no
    rate is known, so its amounts are still in that currency (a proposal without any
    rate, or an entry by hand).  None when it is in euro or was converted at a rate.

    The one check every booking path runs (confirm, the client's plain review,
    auto-booking): a foreign amount is never booked as if it were euro.
    """
    from extractors.model import from_json

    if entry.exchange_rate is not None:
        return None
    extraction = repo.get_extraction(s, doc.id)
    if extraction is None:
        return None
    invoice = from_json(extraction.invoice)
    currency = (invoice.currency or "EUR").strip().upper()[:3]
    if currency in {"", "EUR"}:
        return None
    return (
        f"the invoice is in {currency} and no exchange rate is known (none on the invoice,"
        f" no ECB rate of {invoice.issue_date or 'its date'}), so its amounts are still in"
        f" {currency}: give the exchange rate (1 EUR = ? {currency}) to book it in euro,"
        " or import the ECB rates (boekbox rates import)"
    )


def book_entry(
    s: Any, doc: Document, entry: JournalEntry, *, user_id: int | None, auto: bool = False
) -> None:
    """Number the entry in its journal and move the document to BOOKED.

    Booked automatically, the entry also gets the learned analytical defaults of its
    supplier and accounts (a confirmation stores them in :func:`learn`)."""
    entry.status = "booked"
    entry.auto_booked = auto
    entry.booked_by = user_id
    entry.booked_at = utcnow()
    if entry.number is None:
        entry.number = repo.next_entry_number(s, entry.dossier_id, entry.journal, entry.bookyear)
    repo.set_state(s, doc, S.BOOKED, None, timing="booked")
    if auto:
        s.flush()  # the lines have their seq before the distributions name them
        analytics_store.apply_defaults(s, entry)


def learn(s: Any, entry: JournalEntry, *, edited: bool, invoice: InvoiceData | None) -> None:
    """Remember the confirmed accounts for the supplier, per invoice line (newest last).

    Learned from the invoice's own lines, so each line description is kept and
    no deductible share is stored (the legal caps for cars, restaurants and
    gifts keep applying to later invoices).
    Analytical distributions are learned (and defaults stored) the same way.
    """
    analytics_store.learn_from_entry(s, entry)
    if entry.supplier_id is None:
        return
    supplier = s.get(Supplier, entry.supplier_id)
    if supplier is None:
        return
    finals = [
        {"account": ln.account, "debit": ln.debit, "credit": ln.credit, "kind": ln.kind}
        for ln in entry.lines
    ]
    learned: list[dict[str, Any]] = []
    if invoice is not None:
        learned = [
            {
                "account": h.account,
                "description": h.description,
                "vat_rate": str(h.vat_rate) if h.vat_rate is not None else None,
                "deductible_pct": None,
            }
            for h in learn_from_confirmation(invoice, finals)
        ]
    if not learned:
        learned = [
            {
                "account": ln.account,
                "description": ln.description,
                "vat_rate": str(ln.vat_rate) if ln.vat_rate is not None else None,
                "deductible_pct": None,
            }
            for ln in entry.lines
            if ln.kind == "base"
        ]
    supplier.history = (list(supplier.history or []) + learned)[-HISTORY_LIMIT:]
    supplier.confirmations_in_a_row = 0 if edited else supplier.confirmations_in_a_row + 1
