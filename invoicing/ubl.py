"""An issued invoice as the one invoice model, written to Peppol BIS 3.0 UBL by ``peppol``."""

from __future__ import annotations

import base64

from extractors.model import (
    AllowanceCharge,
    Attachment,
    DocumentType,
    InvoiceData,
    InvoiceLine,
    Party,
    VatBreakdown,
)
from invoicing.model import Customer, IssuedInvoice, Seller
from invoicing.vat import compute
from peppol.writer import write_ubl

__all__ = ["to_invoice_data", "write_invoice_ubl"]


def _seller_party(seller: Seller) -> Party:
    return Party(
        name=seller.name,
        vat=seller.vat,
        enterprise_number=seller.enterprise_number,
        endpoint_id=seller.enterprise_number,
        endpoint_scheme="0208",
        street=seller.street or None,
        city=seller.city,
        postal_code=seller.postal_code or None,
        country=seller.country,
    )


def _customer_party(customer: Customer) -> Party:
    endpoint = scheme = None
    if customer.peppol_id:
        scheme, _, endpoint = customer.peppol_id.partition(":")
    elif customer.email:
        scheme, endpoint = "EM", customer.email
    return Party(
        name=customer.name,
        vat=customer.vat,
        enterprise_number=customer.enterprise_number,
        endpoint_id=endpoint,
        endpoint_scheme=scheme,
        street=customer.street or None,
        city=customer.city or None,
        postal_code=customer.postal_code or None,
        country=customer.country,
    )


def to_invoice_data(issued: IssuedInvoice, pdf: bytes | None = None) -> InvoiceData:
    """The issued document as :class:`InvoiceData` (what ``write_ubl`` and booking read)."""
    draft = issued.draft
    computed = compute(draft, issued.seller)
    totals = computed.totals
    lines = tuple(
        InvoiceLine(
            net=ln.net,
            description=ln.description,
            id=str(i),
            quantity=ln.quantity,
            unit=ln.unit,
            unit_price=ln.unit_price,
            vat_category=tax.category,
            vat_rate=tax.rate,
        )
        for i, (ln, tax) in enumerate(zip(draft.lines, computed.line_taxes, strict=True), 1)
    )
    acs = tuple(
        AllowanceCharge(
            is_charge=adj.is_charge,
            amount=adj.amount,
            reason=adj.reason,
            vat_category=adj.category,
            vat_rate=adj.rate,
            base_amount=adj.base,
        )
        for adj in computed.adjustments
    )
    rows = tuple(
        VatBreakdown(
            taxable=r.taxable,
            vat=r.vat,
            rate=r.rate,
            category=r.category,
            exemption_reason=r.exemption_reason,
            exemption_code=r.exemption_code,
        )
        for r in totals.rows
    )
    attachments: tuple[Attachment, ...] = ()
    if pdf is not None:
        attachments = (
            Attachment(
                filename=f"{issued.number}.pdf",
                mime_code="application/pdf",
                data_base64=base64.b64encode(pdf).decode("ascii"),
                id=issued.number,
                description="Invoice" if not issued.is_credit_note else "Credit note",
            ),
        )
    notes = [*issued.mentions]
    if draft.note:
        notes.append(draft.note)
    return InvoiceData(
        document_type=DocumentType.CREDIT_NOTE if issued.is_credit_note else DocumentType.INVOICE,
        invoice_number=issued.number,
        issue_date=issued.issue_date,
        due_date=issued.due_date,
        currency=draft.currency,
        supplier=_seller_party(issued.seller),
        customer=_customer_party(draft.customer),
        total_excl_vat=totals.tax_exclusive,
        total_vat=totals.vat,
        total_incl_vat=totals.tax_inclusive,
        payable_amount=totals.payable,
        allowance_total=totals.allowances if acs else None,
        charge_total=totals.charges if acs else None,
        line_extension_amount=totals.line_extension,
        iban=issued.seller.iban,
        bic=issued.seller.bic,
        payment_reference=issued.structured_communication,
        payment_means_code="30",
        buyer_reference=draft.buyer_reference,
        order_reference=draft.order_reference,
        billing_references=(draft.credited_number,) if draft.credited_number else (),
        note=" — ".join(notes) or None,
        vat_breakdown=rows,
        lines=lines,
        allowances_charges=acs,
        attachments=attachments,
        source="invoicing",
        language=draft.customer.language.value,
    )


def write_invoice_ubl(issued: IssuedInvoice, pdf: bytes | None = None) -> bytes:
    """Peppol BIS 3.0 UBL of ``issued``, with the PDF embedded when given."""
    draft = issued.draft
    delivery_date = draft.delivery_date
    delivery_country = None
    if draft.vat_case.value == "intra_eu_goods":
        delivery_date = delivery_date or issued.issue_date
        delivery_country = draft.customer.country
    return write_ubl(
        to_invoice_data(issued, pdf),
        delivery_date=delivery_date,
        delivery_country=delivery_country,
    )
