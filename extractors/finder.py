"""The field finder: positioned words of any source in, :class:`InvoiceData` out.

Works the same for text-layer words and OCR words.  Order of work: layout
(lines, phrases), language, learned supplier hints, typed candidates next to
labels, arithmetic over the amounts, roles, plausibility checks (each failed
check becomes a warning, never a dropped value).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from extractors.amounts import find_totals
from extractors.candidates import Cand
from extractors.fields import (
    find_currency,
    find_dates_fields,
    find_document_type,
    find_iban,
    find_number,
    find_reference,
    us_dates,
)
from extractors.hints import SupplierHint, apply_hints
from extractors.labels import detect_language
from extractors.layout import build_layout
from extractors.lineitems import find_lines
from extractors.model import DocumentType, Evidence, InvoiceData, Party
from extractors.normalize import fold
from extractors.parties import find_parties
from extractors.words import PageText, TextSource

__all__ = ["find_fields"]

log = logging.getLogger(__name__)
TOL = Decimal("0.01")


def find_fields(
    pages: Sequence[PageText],
    *,
    known_customer: Party | None = None,
    hints: Sequence[SupplierHint] = (),
    sender: str | None = None,
) -> InvoiceData:
    layout = build_layout(pages)
    language = detect_language(fold(layout.text))
    us = us_dates(layout)
    ev: dict[str, Evidence] = {}
    warnings: list[str] = []

    def take(name: str, cand: Cand[Any] | None) -> Any:
        if cand is None:
            return None
        ev[name] = cand.evidence
        return cand.value

    doc_type, type_ev = find_document_type(layout)
    ev["document_type"] = type_ev
    parties = find_parties(layout, known_customer)
    for key, cand in parties.evidence.items():
        ev[key] = cand.evidence
    totals = find_totals(layout)
    values: dict[str, Any] = {
        "invoice_number": take(
            "invoice_number", find_number(layout, doc_type is DocumentType.CREDIT_NOTE)
        ),
        "currency": take("currency", find_currency(layout)),
        "iban": take("iban", find_iban(layout)),
        "payment_reference": take("payment_reference", find_reference(layout)),
        "total_excl_vat": take("total_excl_vat", totals.net),
        "total_vat": take("total_vat", totals.vat),
        "total_incl_vat": take("total_incl_vat", totals.gross),
        "payable_amount": take("payable_amount", totals.payable),
        "prepaid_amount": take("prepaid_amount", totals.prepaid),
    }
    issue, due = find_dates_fields(layout, us)
    values["issue_date"] = take("issue_date", issue)
    values["due_date"] = take("due_date", due)
    if totals.breakdown_evidence is not None:
        ev["vat_breakdown"] = totals.breakdown_evidence
    supplier, customer = parties.supplier, parties.customer
    breakdown = totals.breakdown
    if hints:  # learned from this supplier's corrections; never raises
        values, supplier, hint_ev, hint_warnings = apply_hints(
            layout,
            hints,
            {**values, "document_type": doc_type, "vat_breakdown": breakdown},
            supplier,
            us,
            sender=sender,
            evidence=ev,
        )
        doc_type, breakdown = values.pop("document_type"), values.pop("vat_breakdown")
        ev.update(hint_ev)
        warnings.extend(hint_warnings)
    lines = find_lines(layout, values.get("total_excl_vat"))
    _check(values, warnings)
    _calibrate_totals(values, ev, totals.breakdown)
    if doc_type is DocumentType.CREDIT_NOTE:
        values = _positive(values)
        breakdown = tuple(
            b.__class__(taxable=abs(b.taxable), vat=abs(b.vat), rate=b.rate) for b in breakdown
        )
    source = "ocr" if any(p.source is TextSource.OCR for p in pages) else "text_layer"
    return InvoiceData(
        document_type=doc_type,
        supplier=supplier,
        customer=customer,
        vat_breakdown=breakdown,
        lines=lines,
        source=source,
        language=language,
        evidence=tuple(ev.items()),
        warnings=tuple(warnings + totals.warnings),
        **values,
    )


def _positive(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for key in (
        "total_excl_vat",
        "total_vat",
        "total_incl_vat",
        "payable_amount",
        "prepaid_amount",
    ):
        if isinstance(out.get(key), Decimal):
            out[key] = abs(out[key])
    return out


_TOTALS = ("total_excl_vat", "total_vat", "total_incl_vat")


def _calibrate_totals(
    values: dict[str, Any], ev: dict[str, Evidence], breakdown: Sequence[Any]
) -> None:
    """Three printed totals that add up (net + VAT = gross), with a VAT table or a known
    rate that gives the same VAT, are as sure as the arithmetic: each was read on its
    own, and one misread digit breaks the sum.  Computed totals are not raised."""
    net, vat, gross = (values.get(k) for k in _TOTALS)
    if net is None or vat is None or gross is None or any(k not in ev for k in _TOTALS):
        return
    if abs(net + vat - gross) > TOL:
        return
    if any(ev[k].rule.startswith("computed") for k in _TOTALS):
        return
    rows_vat = sum((abs(b.vat) for b in breakdown), Decimal(0))
    rows_net = sum((abs(b.taxable) for b in breakdown), Decimal(0))
    if not breakdown or abs(rows_vat - abs(vat)) > TOL or abs(rows_net - abs(net)) > TOL:
        return
    for key in _TOTALS:
        old = ev[key]
        ev[key] = Evidence(max(old.confidence, 0.93), old.rule, old.page, old.bbox, old.text)
    if "vat_breakdown" in ev and ev["vat_breakdown"].rule == "breakdown:rows":
        old = ev["vat_breakdown"]
        ev["vat_breakdown"] = Evidence(max(old.confidence, 0.93), old.rule, old.page, old.bbox)


def _check(values: dict[str, Any], warnings: list[str]) -> None:
    issue, due = values.get("issue_date"), values.get("due_date")
    if issue is not None and due is not None and due < issue:
        warnings.append(f"due date {due} is before the issue date {issue}")
    net, vat, gross = (values.get(k) for k in ("total_excl_vat", "total_vat", "total_incl_vat"))
    if net is not None and vat is not None and gross is not None and abs(net + vat - gross) > TOL:
        warnings.append(f"net {net} + VAT {vat} does not equal the total {gross}")
    for key in ("invoice_number", "issue_date", "total_incl_vat"):
        if values.get(key) is None:
            warnings.append(f"{key} was not found on the page")
