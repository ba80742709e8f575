# ruff: noqa: E501
"""write_ubl: write -> parse round trip (Hypothesis) and written files pass validate()."""

from __future__ import annotations

import datetime as dt
import string
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from peppol_paths import UBL_DIR

import peppol
from extractors.model import (
    AllowanceCharge,
    DocumentType,
    InvoiceData,
    InvoiceLine,
    Party,
    Severity,
    VatBreakdown,
)

CENT = Decimal("0.01")
IBANS = ["BE21001234567803", "BE71096123456769", "BE62510007547061"]
WORDS = st.text(alphabet=string.ascii_letters + "éàç-&", min_size=1, max_size=12)
NAMES = st.lists(WORDS, min_size=1, max_size=3).map(" ".join)
VAT_RATES = [("S", Decimal("21")), ("S", Decimal("6")), ("S", Decimal("12")), ("Z", Decimal("0")), ("E", Decimal("0"))]  # fmt: skip


@st.composite
def kbo(draw: st.DrawFn) -> str:
    body = draw(st.integers(min_value=2_000_000, max_value=19_999_999))
    number = f"{body:08d}{97 - body % 97:02d}"
    return number


@st.composite
def ogm(draw: st.DrawFn) -> str:
    body = draw(st.integers(min_value=1, max_value=9_999_999_999))
    check = body % 97 or 97
    digits = f"{body:010d}{check:02d}"
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


@st.composite
def party(draw: st.DrawFn, country: str = "BE") -> Party:
    number = draw(kbo())
    return Party(
        name=draw(NAMES),
        trading_name=draw(st.none() | NAMES),
        vat=f"BE{number}",
        enterprise_number=number,
        endpoint_id=number,
        endpoint_scheme="0208",
        street=draw(NAMES),
        city=draw(NAMES),
        postal_code=str(draw(st.integers(1000, 9999))),
        country=country,
    )


@st.composite
def invoice_line(draw: st.DrawFn, index: int) -> InvoiceLine:
    quantity = Decimal(draw(st.integers(1, 5000))) / draw(st.sampled_from([1, 10, 100]))
    price = Decimal(draw(st.integers(1, 500_000))) / 100
    category, rate = draw(st.sampled_from(VAT_RATES))
    return InvoiceLine(
        net=(quantity * price).quantize(CENT, ROUND_HALF_UP),
        description=draw(NAMES),
        id=str(index),
        quantity=quantity,
        unit=draw(st.sampled_from(["C62", "H87", "HUR", "DAY"])),
        unit_price=price,
        vat_category=category,
        vat_rate=rate,
        item_classification=tuple(
            draw(st.lists(st.sampled_from(["72000000", "30190000"]), max_size=1))
        ),
    )


def _breakdown(lines: list[InvoiceLine], acs: list[AllowanceCharge]) -> tuple[VatBreakdown, ...]:
    taxable: dict[tuple[str, Decimal], Decimal] = defaultdict(Decimal)
    for ln in lines:
        taxable[(ln.vat_category or "S", ln.vat_rate or Decimal(0))] += ln.net
    for ac in acs:
        key = (ac.vat_category or "S", ac.vat_rate or Decimal(0))
        taxable[key] += ac.amount if ac.is_charge else -ac.amount
    return tuple(
        VatBreakdown(
            taxable=base,
            vat=(base * rate / 100).quantize(CENT, ROUND_HALF_UP),
            rate=rate,
            category=category,
            exemption_reason="Exempt under article 44" if category == "E" else None,
        )
        for (category, rate), base in taxable.items()
    )


@st.composite
def invoices(draw: st.DrawFn) -> InvoiceData:
    lines = [draw(invoice_line(i)) for i in range(1, draw(st.integers(1, 4)) + 1)]
    acs: list[AllowanceCharge] = []
    if draw(st.booleans()):
        first = lines[0]
        acs.append(
            AllowanceCharge(
                is_charge=draw(st.booleans()),
                amount=(first.net / 10).quantize(CENT),
                reason="Discount",
                vat_category=first.vat_category,
                vat_rate=first.vat_rate,
            )
        )
    rows = _breakdown(lines, acs)
    line_ext = sum((ln.net for ln in lines), Decimal(0))
    allowances = sum((a.amount for a in acs if not a.is_charge), Decimal(0))
    charges = sum((a.amount for a in acs if a.is_charge), Decimal(0))
    excl = line_ext - allowances + charges
    vat = sum((r.vat for r in rows), Decimal(0))
    credit = draw(st.booleans())
    issue = draw(st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)))
    return InvoiceData(
        document_type=DocumentType.CREDIT_NOTE if credit else DocumentType.INVOICE,
        type_code="381" if credit else "380",
        invoice_number=draw(
            st.text(alphabet=string.ascii_uppercase + string.digits + "-/", min_size=1, max_size=16)
        ),
        issue_date=issue,
        due_date=issue + dt.timedelta(days=draw(st.integers(0, 60))),
        currency="EUR",
        supplier=draw(party()),
        customer=draw(party()),
        total_excl_vat=excl,
        total_vat=vat,
        total_incl_vat=excl + vat,
        payable_amount=excl + vat,
        allowance_total=allowances if acs else None,
        charge_total=charges if acs else None,
        line_extension_amount=line_ext,
        iban=draw(st.sampled_from(IBANS)),
        bic=draw(st.none() | st.just("GEBABEBB")),
        payment_reference=draw(ogm()),
        payment_means_code="30",
        payment_terms=draw(st.none() | NAMES),
        buyer_reference=draw(st.none() | WORDS),
        order_reference=draw(st.none() | WORDS),
        billing_references=("INV-1",) if credit else (),
        customization_id=peppol.writer.PEPPOL_CUSTOMIZATION,
        profile_id=peppol.writer.PEPPOL_PROFILE,
        note=draw(st.none() | NAMES),
        vat_breakdown=rows,
        lines=tuple(lines),
        allowances_charges=tuple(acs),
        source="peppol",
    )


def _comparable(invoice: InvoiceData) -> InvoiceData:
    return invoice.replace(evidence=(), warnings=(), findings=())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invoices())
def test_round_trip_keeps_every_written_field(invoice: InvoiceData) -> None:
    written = peppol.write_ubl(invoice)
    back = peppol.parse_invoice_xml(written)
    if invoice.buyer_reference is None and invoice.order_reference is None:
        invoice = invoice.replace(buyer_reference=invoice.invoice_number)  # Peppol R003 fallback
    assert _comparable(back) == _comparable(invoice)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invoices())
def test_written_invoices_pass_validation(invoice: InvoiceData) -> None:
    written = peppol.write_ubl(invoice)
    fatal = [f for f in peppol.validate(written) if f.severity is Severity.FATAL]
    assert fatal == []


@pytest.mark.parametrize(
    "name", ["peppol_base-example", "peppol_snippet_CreditNote-snippets", "ublbe_15000004"]
)
def test_corpus_invoices_survive_a_round_trip(name: str) -> None:
    original = peppol.parse_invoice_xml((UBL_DIR / f"{name}.xml").read_bytes())
    back = peppol.parse_invoice_xml(peppol.write_ubl(original))
    assert back.to_schema_dict() | {"warnings": []} == original.to_schema_dict() | {"warnings": []}


def test_minimal_invoice_gets_totals_and_peppol_defaults() -> None:
    line = InvoiceLine(
        net=Decimal("100.00"), description="Advies", vat_category="S", vat_rate=Decimal("21")
    )
    invoice = InvoiceData(
        invoice_number="F-1",
        issue_date=dt.date(2026, 1, 5),
        due_date=dt.date(2026, 2, 4),
        currency="EUR",
        supplier=Party(
            name="Boekbox BV", vat="BE0428759497", enterprise_number="0428759497", country="BE"
        ),
        customer=Party(
            name="Klant NV", vat="BE0202239951", enterprise_number="0202239951", country="BE"
        ),
        lines=(line,),
        iban="BE21001234567803",
    )
    written = peppol.write_ubl(invoice)
    back = peppol.parse_invoice_xml(written)
    assert (back.total_excl_vat, back.total_vat, back.payable_amount) == (100, 21, 121)
    assert back.supplier.endpoint_scheme == "0208"
    assert back.customization_id == peppol.writer.PEPPOL_CUSTOMIZATION
    assert [f.rule_id for f in peppol.validate(written) if f.severity is Severity.FATAL] == []
