"""Exports: CSV, XLSX and PDF of a list, with hostile cells kept as text."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from ledger.export import ExportError, Table, export, to_csv, to_html, to_xlsx

HOSTILE = '=HYPERLINK("http://evil.test","x")'
TABLE = Table(
    "Grootboek 400000",
    ("date", "counterparty", "debit"),
    (
        (dt.date(2026, 3, 2), HOSTILE, Decimal("2420.00")),
        (dt.date(2026, 3, 15), "<script>alert(1)</script>", Decimal("363.00")),
    ),
)


def test_csv_keeps_a_formula_as_text_and_the_amounts_exact() -> None:
    text = to_csv(TABLE).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "date;counterparty;debit"
    assert lines[1].startswith("2026-03-02;\"'=HYPERLINK(")
    assert lines[1].endswith(";2420.00")


def test_xlsx_has_numbers_dates_and_text_never_a_formula() -> None:
    wb = load_workbook(io.BytesIO(to_xlsx(TABLE)))
    ws = wb.active
    assert ws is not None
    assert ws["B2"].value == HOSTILE
    assert ws["B2"].data_type == "s"
    assert ws["C2"].value == 2420
    assert ws["C3"].value == 363
    assert ws["A2"].value.date() == dt.date(2026, 3, 2)


def test_pdf_is_a_pdf_and_its_html_escapes_every_cell() -> None:
    assert "<script>" not in to_html(TABLE)
    assert "&lt;script&gt;" in to_html(TABLE)
    pdf = export(TABLE, "pdf", "dossier 1")
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 1000


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ExportError):
        export(TABLE, "docx")
