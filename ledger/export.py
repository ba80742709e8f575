"""Any list as CSV, XLSX or a printable PDF: rows in, bytes out.

Cells come from mails and documents (a supplier's name, a description), so they are
hostile: in CSV and XLSX a text starting with ``= + - @`` (or a tab/CR) is written as
text, never as a formula; in the PDF every cell is HTML-escaped and nothing is fetched.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

Cell = str | int | Decimal | dt.date | None

FORMATS = ("csv", "xlsx", "pdf")
MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 200_000


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


class ExportError(ValueError):
    pass


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _safe_text(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _check(table: Table) -> None:
    if len(table.rows) > MAX_ROWS:
        raise ExportError(f"at most {MAX_ROWS} rows in one export; narrow the period")


def to_csv(table: Table) -> bytes:
    """UTF-8 with BOM (Excel opens it right), ``;`` separated as Belgian Excel expects."""
    _check(table)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_safe_text(v) if isinstance(v, str) else _text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    """One sheet: a bold header, numbers as numbers, dates as dates, text as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    _check(table)
    wb = Workbook(write_only=False)
    ws = wb.active
    assert ws is not None
    ws.title = (table.title or "list")[:31].translate(str.maketrans("[]:*?/\\", "_______"))
    ws.append(list(table.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r, row in enumerate(table.rows, start=2):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            if isinstance(value, str):
                cell.value = value
                cell.data_type = "s"  # never a formula, whatever it starts with
            elif isinstance(value, Decimal):
                cell.value = value
                cell.number_format = "#,##0.00"
            elif isinstance(value, dt.date):
                cell.value = value
                cell.number_format = "yyyy-mm-dd"
            else:
                cell.value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_html(table: Table, subtitle: str = "") -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in table.columns)
    body = "\n".join(
        "<tr>"
        + "".join(
            f'<td class="num">{esc(_text(v))}</td>'
            if isinstance(v, Decimal | int)
            else f"<td>{esc(_text(v))}</td>"
            for v in row
        )
        + "</tr>"
        for row in table.rows
    )
    return f"""<!doctype html><html><head><meta charset="utf-8">
<style>@page {{ size: A4 landscape; margin: 12mm; }}
body {{ font-family: sans-serif; font-size: 8pt; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 0.3pt solid #999; padding: 2pt 4pt; text-align: left; }}
td.num {{ text-align: right; white-space: nowrap; }}
thead {{ display: table-header-group; }}</style></head>
<body><h1>{esc(table.title)}</h1><p>{esc(subtitle)}</p>
<table><thead><tr>{head}</tr></thead><tbody>
{body}
</tbody></table></body></html>"""


def _no_fetch(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    raise ExportError(f"a printed list fetches nothing ({url[:60]})")


def to_pdf(table: Table, subtitle: str = "") -> bytes:
    """A printable A4 landscape PDF of the list (weasyprint; no external resource)."""
    from weasyprint import HTML

    _check(table)
    pdf = HTML(string=to_html(table, subtitle), url_fetcher=_no_fetch).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def export(table: Table, fmt: str, subtitle: str = "") -> bytes:
    if fmt == "csv":
        return to_csv(table)
    if fmt == "xlsx":
        return to_xlsx(table)
    if fmt == "pdf":
        return to_pdf(table, subtitle)
    raise ExportError(f"export format is one of {', '.join(FORMATS)}")


def rows_of(items: Sequence[object], columns: Sequence[str]) -> tuple[tuple[Cell, ...], ...]:
    """Rows from objects' attributes named by ``columns``."""
    return tuple(tuple(getattr(item, col) for col in columns) for item in items)
