"""Issuing: a draft plus an allocated sequence becomes an immutable invoice with its outputs."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from decimal import Decimal

from extractors.model import Finding, Severity
from invoicing.errors import CreditNoteTooLarge, InvoicingError
from invoicing.model import DocumentKind, DraftLine, InvoiceDraft, IssuedInvoice, Seller
from invoicing.numbering import due_date, format_number, ogm_for
from invoicing.vat import compute, mentions

__all__ = ["IssuedDocument", "credit_note_draft", "issue", "render_outputs", "warm_up"]


def issue(
    draft: InvoiceDraft,
    seller: Seller,
    *,
    dossier_id: int,
    sequence: int,
    issue_date: _dt.date,
    prefix: str = "",
    remaining_to_credit: Decimal | None = None,
) -> IssuedInvoice:
    """Fix number, dates, OGM and totals.  A credit note needs ``remaining_to_credit``:
    what is left of the credited invoice (its total minus earlier credit notes)."""
    bookyear = issue_date.year
    computed = compute(draft, seller)
    totals = computed.totals
    if draft.kind is DocumentKind.CREDIT_NOTE:
        if remaining_to_credit is None:
            raise InvoicingError("issuing a credit note needs what remains of the credited invoice")
        if totals.payable > remaining_to_credit:
            raise CreditNoteTooLarge(
                f"credit note of {totals.payable} EUR is more than the {remaining_to_credit} EUR "
                f"that remains of invoice {draft.credited_number}"
            )
    number = format_number(prefix, bookyear, sequence)
    return IssuedInvoice(
        draft=draft,
        seller=seller,
        number=number,
        bookyear=bookyear,
        sequence=sequence,
        issue_date=issue_date,
        due_date=due_date(issue_date, draft.customer.payment_terms_days),
        structured_communication=ogm_for(dossier_id, bookyear, sequence),
        totals=totals,
        mentions=mentions(draft),
    )


def credit_note_draft(
    original: IssuedInvoice, lines: tuple[DraftLine, ...] = (), note: str | None = None
) -> InvoiceDraft:
    """A credit-note draft for ``original`` (all its lines when ``lines`` is empty).

    Issuing it still checks it against what remains of the invoice: crediting lines of an
    invoice with a fixed discount can exceed it, and is then refused."""
    if original.is_credit_note:
        raise InvoicingError("a credit note cannot be credited")
    src = original.draft
    return InvoiceDraft(
        customer=src.customer,
        lines=tuple(lines) or src.lines,
        vat_case=src.vat_case,
        kind=DocumentKind.CREDIT_NOTE,
        # Crediting some lines keeps the percentage discounts and charges (they apply to
        # those lines too); amounts fixed for the whole invoice are left out.
        adjustments=tuple(a for a in src.adjustments if a.percent is not None)
        if lines
        else src.adjustments,
        buyer_reference=src.buyer_reference,
        order_reference=src.order_reference,
        note=note,
        credited_number=original.number,
        credited_issue_date=original.issue_date,
    )


@dataclass(frozen=True, slots=True)
class IssuedDocument:
    """An issued invoice with both outputs and the validation findings of its UBL.

    ``ubl`` is None for a customer without a Peppol id (a consumer): Peppol BIS needs the
    buyer's electronic address, and a consumer gets the PDF.
    """

    invoice: IssuedInvoice
    pdf: bytes
    ubl: bytes | None
    findings: tuple[Finding, ...]

    @property
    def fatal(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.FATAL)


def render_outputs(issued: IssuedInvoice, *, validate: bool = True) -> IssuedDocument:
    """PDF (customer's language) and UBL (with the PDF embedded), validated CEN + Peppol.

    Takes about a second the first time (CEN stylesheet compilation, fonts); call
    :func:`warm_up` at process start."""
    from invoicing.pdf import render_pdf
    from invoicing.ubl import write_invoice_ubl
    from peppol.validation import validate as run_validation

    pdf = render_pdf(issued)
    if not issued.customer.peppol_id:
        return IssuedDocument(issued, pdf, None, ())
    ubl = write_invoice_ubl(issued, pdf)
    findings = run_validation(ubl) if validate else ()
    return IssuedDocument(issued, pdf, ubl, findings)


def warm_up() -> None:
    """Pay the first-use costs of :func:`render_outputs` now: the CEN stylesheet, the
    WeasyPrint fonts and user-agent stylesheet, the template and the QR encoder, by
    issuing and rendering one sample invoice (nothing is kept but those caches)."""
    from invoicing.model import Customer, Language
    from peppol.validation import warm_up as warm_validation

    warm_validation()
    seller = Seller(
        name="Warm-up BV", street="Kerkstraat 1", postal_code="9000", city="Gent",
        vat="BE0403170701", enterprise_number="0403.170.701", iban="BE71 0961 2345 6769",
        bic="GKCCBEBB",
    )  # fmt: skip
    customer = Customer(name="Klant NV", country="BE", vat="BE0202239951", language=Language.NL)
    draft = InvoiceDraft(
        customer=customer, lines=(DraftLine("Warm-up", Decimal(1), Decimal(10), Decimal(21)),)
    )
    day = _dt.date(2026, 1, 2)
    render_outputs(issue(draft, seller, dossier_id=1, sequence=1, issue_date=day))
