"""Every issued UBL passes CEN + Peppol validation and reads back with the amounts issued."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.model import DocumentType, Severity
from invoicing.errors import CreditNoteTooLarge, InvoicingError
from invoicing.issue import credit_note_draft, issue, render_outputs
from invoicing.model import InvoiceDraft, Language, VatCase
from invoicing.ubl import write_invoice_ubl
from invoicing.vat import compute_totals
from peppol import embedded_attachments, parse_invoice_xml, validate
from tests.invoicing.invoicing_factories import (
    BE_COMPANY,
    CONSUMER,
    FR_COMPANY,
    ISSUE,
    SELLER,
    draft,
    drafts,
    line,
)

# A minimal but real PDF stands in for the rendered one where the PDF itself is not tested.
TINY_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _fatal(ubl: bytes) -> list[str]:
    return [f"{f.rule_id}: {f.message}" for f in validate(ubl) if f.severity is Severity.FATAL]


def _assert_reads_back(ubl: bytes, issued) -> None:  # type: ignore[no-untyped-def]
    back = parse_invoice_xml(ubl)
    t = issued.totals
    assert back.invoice_number == issued.number
    assert back.document_type is (
        DocumentType.CREDIT_NOTE if issued.is_credit_note else DocumentType.INVOICE
    )
    assert back.total_excl_vat == t.tax_exclusive
    assert back.total_vat == t.vat
    assert back.total_incl_vat == t.tax_inclusive
    assert back.payable_amount == t.payable
    assert back.payment_reference == issued.structured_communication
    got = sorted((r.category, r.rate, r.taxable, r.vat) for r in back.vat_breakdown)
    want = sorted((r.category, r.rate, r.taxable, r.vat) for r in t.rows)
    assert got == want
    assert sum((ln.net for ln in back.lines), D(0)) == t.line_extension
    if issued.is_credit_note:
        assert back.billing_references == (issued.draft.credited_number,)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(drafts(), st.integers(1, 99_999), st.booleans())
def test_generated_invoices_and_credit_notes_validate_and_read_back(
    d: InvoiceDraft, sequence: int, credit_too: bool
) -> None:
    issued = issue(d, SELLER, dossier_id=12, sequence=sequence, issue_date=ISSUE, prefix="F")
    ubl = write_invoice_ubl(issued, TINY_PDF)
    assert _fatal(ubl) == []
    _assert_reads_back(ubl, issued)
    if credit_too:
        cn_draft = credit_note_draft(issued, issued.draft.lines[:1] if len(d.lines) > 1 else ())
        if compute_totals(cn_draft, SELLER).payable > issued.totals.payable:
            with pytest.raises(CreditNoteTooLarge):
                issue(cn_draft, SELLER, dossier_id=12, sequence=sequence, issue_date=ISSUE,
                      remaining_to_credit=issued.totals.payable)  # fmt: skip
            return
        cn = issue(
            cn_draft,
            SELLER,
            dossier_id=12,
            sequence=sequence,
            issue_date=ISSUE,
            prefix="C",
            remaining_to_credit=issued.totals.payable,
        )
        cn_ubl = write_invoice_ubl(cn, TINY_PDF)
        assert _fatal(cn_ubl) == []
        _assert_reads_back(cn_ubl, cn)


@pytest.mark.parametrize("lang", list(Language))
def test_real_pdf_is_embedded_and_the_outputs_validate(lang: Language) -> None:
    customer = FR_COMPANY if lang is Language.FR else BE_COMPANY
    d = draft(
        line("100.00", "21", "3"),
        line("12.99", "6", "2"),
        customer=customer,
        vat_case=VatCase.INTRA_EU_SERVICES if customer is FR_COMPANY else VatCase.DOMESTIC,
    )
    issued = issue(d, SELLER, dossier_id=1, sequence=5, issue_date=ISSUE, prefix="F")
    doc = render_outputs(issued)
    assert doc.pdf.startswith(b"%PDF")
    assert doc.ubl is not None
    assert doc.fatal == ()
    files = embedded_attachments(doc.ubl)
    assert [f.data for f in files] == [doc.pdf]


def test_consumer_invoice_has_a_pdf_but_no_ubl() -> None:
    d = draft(line("50.00", "21"), customer=CONSUMER, vat_case=VatCase.PRIVATE)
    doc = render_outputs(issue(d, SELLER, dossier_id=1, sequence=1, issue_date=ISSUE))
    assert doc.pdf.startswith(b"%PDF")
    assert doc.ubl is None
    assert doc.findings == ()


def test_credit_note_larger_than_what_remains_is_refused() -> None:
    inv = issue(draft(line("100.00")), SELLER, dossier_id=1, sequence=1, issue_date=ISSUE)
    cn = credit_note_draft(inv)
    with pytest.raises(CreditNoteTooLarge, match="remains of invoice 2026-0001"):
        issue(cn, SELLER, dossier_id=1, sequence=2, issue_date=ISSUE,
              remaining_to_credit=D("100.00"))  # fmt: skip
    ok = issue(cn, SELLER, dossier_id=1, sequence=2, issue_date=ISSUE,
               remaining_to_credit=D("121.00"))  # fmt: skip
    assert ok.totals.payable == D("121.00")
    with pytest.raises(InvoicingError, match="remains"):
        issue(cn, SELLER, dossier_id=1, sequence=3, issue_date=ISSUE)
    with pytest.raises(InvoicingError, match="cannot be credited"):
        credit_note_draft(ok)


def test_issue_fixes_number_ogm_and_due_date() -> None:
    inv = issue(draft(line("10.00")), SELLER, dossier_id=7, sequence=12,
                issue_date=dt.date(2026, 12, 6), prefix="F")  # fmt: skip
    assert inv.number == "F2026-0012"
    assert inv.structured_communication == "+++007/2600/01271+++"
    assert inv.due_date == dt.date(2027, 1, 5)


@pytest.mark.parametrize("case", list(VatCase))
def test_each_vat_case_with_rates_discount_charge_and_credit_note(case: VatCase) -> None:
    from invoicing.model import Adjustment
    from tests.invoicing.invoicing_factories import CUSTOMERS

    customer = CUSTOMERS[case][0]
    d = draft(
        line("100.00", "21", "2"),
        line("19.99", "6", "3"),
        line("5.00", "12"),
        customer=customer,
        vat_case=case,
        adjustments=(
            Adjustment(False, "Korting", percent=D("10")),
            Adjustment(True, "Verzending", amount=D("7.50")),
        ),
    )
    inv = issue(d, SELLER, dossier_id=3, sequence=9, issue_date=ISSUE, prefix="F")
    cn = issue(credit_note_draft(inv), SELLER, dossier_id=3, sequence=10, issue_date=ISSUE,
               prefix="C", remaining_to_credit=inv.totals.payable)  # fmt: skip
    for doc in (inv, cn):
        ubl = write_invoice_ubl(doc, TINY_PDF)
        assert _fatal(ubl) == []
        _assert_reads_back(ubl, doc)
    rated = case in (VatCase.DOMESTIC, VatCase.PRIVATE)
    assert len(inv.totals.rows) == (3 if rated else 1)


def test_crediting_some_lines_keeps_percentage_adjustments_and_guards_fixed_ones() -> None:
    from invoicing.model import Adjustment

    pct = issue(draft(line("100.00"), line("50.00"),
                      adjustments=(Adjustment(False, "Korting", percent=D("10")),)),
                SELLER, dossier_id=1, sequence=1, issue_date=ISSUE)  # fmt: skip
    part = credit_note_draft(pct, pct.draft.lines[:1])
    assert part.adjustments == pct.draft.adjustments
    assert compute_totals(part, SELLER).payable == D("108.90")  # 90.00 + 21 %
    fixed = issue(draft(line("100.00"), line("1.00"),
                        adjustments=(Adjustment(False, "Korting", amount=D("60.00")),)),
                  SELLER, dossier_id=1, sequence=2, issue_date=ISSUE)  # fmt: skip
    too_much = credit_note_draft(fixed, fixed.draft.lines[:1])
    assert too_much.adjustments == ()
    with pytest.raises(CreditNoteTooLarge):
        issue(too_much, SELLER, dossier_id=1, sequence=3, issue_date=ISSUE,
              remaining_to_credit=fixed.totals.payable)  # fmt: skip
