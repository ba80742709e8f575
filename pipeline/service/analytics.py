"""Analytical accounting: dimensions and codes per dossier, a distribution per booking
line, defaults learned from confirmations, the result per code per month.

Rights: reading (dimensions, distributions, the report and its exports) needs
``VIEW_BOOKS``; changing anything (dimensions, codes, a line's distribution) needs
``MANUAL_ENTRIES``: analytical data is bookkeeping by hand, held by the accountant and
the client bookkeeper, not by the client portal.

A distribution is stored as percentages per code; amounts are allocated from the
line amount when read (:func:`booking.analytics.allocate`), so they add up to the line
to the cent even after the line changes.  Only result lines (classes 6 and 7) are
distributed.  When a document is confirmed or booked automatically, lines without a
distribution get the one learned for the supplier and account (stored then; a proposal
shows it prefilled), and on a confirmation distributed lines become the
default (:func:`storage.analytics.learn_from_entry`, called from the booking's learning
step).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from booking.analytics import (
    DistributionError,
    ReportLine,
    ReportRow,
    Share,
    allocate,
    parse_distribution,
    result_by_code_month,
)
from pipeline.service.core import Permission, Refused, ServiceBase, ServiceError, UserView, requires
from storage import analytics as store
from storage.models import JournalEntry

P = Permission

NAME_RE = re.compile(r"^[\w][\w .&/-]{0,59}$")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,29}$")
MAX_CODES = 500


@dataclass(frozen=True, slots=True)
class CodeView:
    code: str
    label: str
    active: bool


@dataclass(frozen=True, slots=True)
class DimensionView:
    id: int
    name: str
    active: bool
    codes: tuple[CodeView, ...]


@dataclass(frozen=True, slots=True)
class SplitPart:
    code: str
    pct: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class LineDistribution:
    """One result line of an entry in one dimension; ``is_default``: the parts are the
    learned default, shown but not stored yet (stored when the booking is confirmed)."""

    seq: int
    account: str
    description: str
    amount: Decimal
    dimension: str
    parts: tuple[SplitPart, ...]
    is_default: bool


@dataclass(frozen=True, slots=True)
class AnalyticReport:
    dimension: str
    year: str | None
    rows: tuple[ReportRow, ...]

    @property
    def total(self) -> Decimal:
        return sum((r.result for r in self.rows), Decimal("0.00"))

    def as_json(self) -> dict[str, object]:
        return {
            "dimension": self.dimension,
            "year": self.year,
            "rows": [
                {
                    "code": r.code,
                    "month": r.month,
                    "revenue": str(r.revenue),
                    "costs": str(r.costs),
                    "result": str(r.result),
                }
                for r in self.rows
            ],
            "total": str(self.total),
        }


def _clean_code(raw: str) -> tuple[str, str]:
    """``CODE`` or ``CODE:label`` -> (code, label), refused with the reason."""
    code, _, label = str(raw).partition(":")
    code = code.strip()
    if not CODE_RE.match(code):
        raise Refused(
            f"code {code[:40]!r}: 1-30 letters, digits, '_', '.' or '-', starting with a"
            " letter or digit"
        )
    return code, label.strip()[:200]


class AnalyticsService(ServiceBase):
    # -- dimensions and codes ---------------------------------------------------------
    @requires(P.VIEW_BOOKS)
    def analytic_dimensions(self, user: UserView, dossier_id: int) -> tuple[DimensionView, ...]:
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW_BOOKS)
            return tuple(
                DimensionView(
                    d.id,
                    d.name,
                    d.active,
                    tuple(CodeView(c.code, c.label, c.active) for c in store.codes_of(s, d.id)),
                )
                for d in store.dimensions(s, dossier_id)
            )

    @requires(P.MANUAL_ENTRIES)
    def add_dimension(
        self, user: UserView, dossier_id: int, name: str, codes: Sequence[str] = ()
    ) -> DimensionView:
        """A new dimension with its codes (``CODE`` or ``CODE:label``); adding codes to
        an existing dimension of that name extends it (existing codes are kept)."""
        name = str(name).strip()
        if not NAME_RE.match(name):
            raise Refused(f"dimension name {name[:60]!r}: 1-60 letters, digits, spaces, .&/-")
        cleaned = [_clean_code(c) for c in codes]
        if len(cleaned) > MAX_CODES:
            raise Refused(f"at most {MAX_CODES} codes at once")
        if len({c for c, _ in cleaned}) != len(cleaned):
            raise Refused("a code appears twice")
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.MANUAL_ENTRIES)
            dim = store.dimension_by_name(s, dossier_id, name)
            if dim is None:
                dim = store.add_dimension(s, dossier_id, name)
            dim.active = True
            existing = {c.code: c for c in store.codes_of(s, dim.id)}
            for code, label in cleaned:
                if code in existing:
                    existing[code].active = True
                    if label:
                        existing[code].label = label
                else:
                    store.add_code(s, dim.id, code, label)
            return DimensionView(
                dim.id,
                dim.name,
                dim.active,
                tuple(CodeView(c.code, c.label, c.active) for c in store.codes_of(s, dim.id)),
            )

    @requires(P.MANUAL_ENTRIES)
    def deactivate_analytic(
        self, user: UserView, dossier_id: int, name: str, code: str | None = None
    ) -> None:
        """Deactivate a dimension, or one of its codes: no new distributions use it;
        what was distributed stays in the reports."""
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.MANUAL_ENTRIES)
            dim = store.dimension_by_name(s, dossier_id, name)
            if dim is None:
                raise Refused(f"no dimension {name[:60]!r} in this dossier")
            if code is None:
                dim.active = False
                return
            for c in store.codes_of(s, dim.id):
                if c.code == code:
                    c.active = False
                    return
            raise Refused(f"no code {code[:30]!r} in dimension {name!r}")

    # -- distributions ----------------------------------------------------------------
    @requires(P.VIEW_BOOKS)
    def line_distributions(self, user: UserView, entry_id: int) -> tuple[LineDistribution, ...]:
        """Every result line of the entry in every active dimension: its stored
        distribution, else the learned default (``is_default``), else none."""
        with self.rt.tx() as s:
            entry = self._entry(s, user, entry_id, P.VIEW_BOOKS)
            stored: dict[tuple[int, int], list[tuple[str, Decimal]]] = {}
            for sp, code in store.splits_of_entry(s, entry.id):
                stored.setdefault((sp.line_seq, sp.dimension_id), []).append(
                    (code.code, _plain(sp.pct))
                )
            out: list[LineDistribution] = []
            for dim in store.dimensions(s, entry.dossier_id):
                if not dim.active:
                    continue
                active = {c.code for c in store.codes_of(s, dim.id) if c.active}
                for ln in sorted(entry.lines, key=lambda x: x.seq):
                    if not ln.account.startswith(store.RESULT_CLASSES):
                        continue
                    amount = ln.debit - ln.credit
                    pairs = stored.get((ln.seq, dim.id))
                    is_default = False
                    if pairs is None:
                        learned = store.default_for(s, dim.id, ln.account, entry.supplier_id)
                        if learned and any(c not in active for c in learned):
                            learned = None  # a code since deactivated: no default
                        pairs = [(c, _plain(Decimal(str(p)))) for c, p in (learned or {}).items()]
                        is_default = bool(pairs)
                    parts: tuple[SplitPart, ...] = ()
                    if pairs:
                        amounts = allocate(amount, [p for _, p in pairs])
                        parts = tuple(
                            SplitPart(c, p, a) for (c, p), a in zip(pairs, amounts, strict=True)
                        )
                    out.append(
                        LineDistribution(
                            ln.seq, ln.account, ln.description, amount, dim.name, parts, is_default
                        )
                    )
            return tuple(out)

    @requires(P.MANUAL_ENTRIES)
    def distribute(
        self,
        user: UserView,
        entry_id: int,
        line: int,
        shares: Sequence[tuple[str, object]],
        dimension: str | None = None,
    ) -> tuple[SplitPart, ...]:
        """Store the distribution of line ``line`` (its seq) over ``(code, percent)``
        pairs; the percentages must add up to 100.  The dimension is the one the codes
        belong to unless named.  On a booked entry it is learned as the default for the
        supplier and account at once."""
        with self.rt.tx() as s:
            entry = self._entry(s, user, entry_id, P.MANUAL_ENTRIES)
            target = next((ln for ln in entry.lines if ln.seq == line), None)
            if target is None:
                raise Refused(f"entry {entry_id} has no line {line}")
            if not target.account.startswith(store.RESULT_CLASSES):
                raise Refused(
                    f"line {line} is on account {target.account}: only cost (6) and"
                    " revenue (7) lines are distributed"
                )
            dims = [d for d in store.dimensions(s, entry.dossier_id) if d.active]
            if dimension is not None:
                dims = [d for d in dims if d.name == dimension]
                if not dims:
                    raise Refused(f"no active dimension {dimension[:60]!r} in this dossier")
            codes = {d.id: {c.code: c for c in store.codes_of(s, d.id) if c.active} for d in dims}
            wanted = {str(c).strip() for c, _ in shares}
            fitting = [d for d in dims if wanted and wanted <= set(codes[d.id])]
            if not fitting:
                known = sorted({c for cs in codes.values() for c in cs})
                unknown = sorted(wanted - set(known)) or sorted(wanted)
                raise Refused(
                    f"unknown code {', '.join(unknown)[:80]!r}: the codes of one dimension"
                    f" are needed ({', '.join(known)[:200] or 'none defined'})"
                )
            if len(fitting) > 1:
                raise Refused(
                    "these codes exist in several dimensions: name the dimension"
                    f" ({', '.join(d.name for d in fitting)})"
                )
            dim = fitting[0]
            try:
                parsed = parse_distribution(shares, known_codes=codes[dim.id])
            except DistributionError as exc:
                raise Refused(str(exc)) from None
            store.replace_split(
                s,
                dossier_id=entry.dossier_id,
                entry_id=entry.id,
                line_seq=line,
                dimension_id=dim.id,
                shares=[(codes[dim.id][sh.code].id, sh.pct) for sh in parsed],
                by_user=user.id,
            )
            if entry.status == "booked":  # a confirmed line: its distribution is learned
                learned = {sh.code: format(sh.pct.normalize(), "f") for sh in parsed}
                store.save_default(s, dim.id, target.account, entry.supplier_id, learned)
                if entry.supplier_id:
                    store.save_default(s, dim.id, target.account, None, learned)
            amounts = allocate(target.debit - target.credit, [sh.pct for sh in parsed])
            return tuple(
                SplitPart(sh.code, sh.pct, a) for sh, a in zip(parsed, amounts, strict=True)
            )

    # -- the report ---------------------------------------------------------------------
    @requires(P.VIEW_BOOKS)
    def analytic_report(
        self, user: UserView, dossier_id: int, dimension: str, year: int | str | None = None
    ) -> AnalyticReport:
        """Revenue (class 7) minus costs (class 6) per code per month of booked entries."""
        y = None if year in (None, "") else str(year)
        if y is not None and not (y.isdigit() and len(y) == 4):
            raise Refused(f"year {y[:10]!r}: four digits, e.g. 2026")
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW_BOOKS)
            dim = store.dimension_by_name(s, dossier_id, str(dimension).strip())
            if dim is None:
                raise Refused(f"no dimension {str(dimension)[:60]!r} in this dossier")
            lines = [
                ReportLine(month, account, debit, credit, tuple(Share(c, p) for c, p in shares))
                for month, account, debit, credit, shares in store.report_lines(
                    s, dossier_id, dim.id, y
                )
            ]
            name = dim.name
        return AnalyticReport(name, y, result_by_code_month(lines))

    @requires(P.VIEW_BOOKS)
    def analytic_report_csv(
        self, user: UserView, dossier_id: int, dimension: str, year: int | str | None = None
    ) -> bytes:
        report = self.analytic_report(user, dossier_id, dimension, year)
        buf = io.StringIO()
        out = csv.writer(buf, delimiter=";", lineterminator="\r\n")
        out.writerow([report.dimension, "month", "revenue", "costs", "result"])
        for r in report.rows:
            out.writerow([_cell(r.code), r.month, r.revenue, r.costs, r.result])
        out.writerow(["total", "", "", "", report.total])
        return buf.getvalue().encode("utf-8-sig")

    @requires(P.VIEW_BOOKS)
    def analytic_report_xlsx(
        self, user: UserView, dossier_id: int, dimension: str, year: int | str | None = None
    ) -> bytes:
        from openpyxl import Workbook

        report = self.analytic_report(user, dossier_id, dimension, year)
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "result"
        ws.append([_cell(report.dimension), "month", "revenue", "costs", "result"])
        for r in report.rows:
            ws.append([_cell(r.code), r.month, r.revenue, r.costs, r.result])
        ws.append(["total", None, None, None, report.total])
        for row in ws.iter_rows(min_row=2, min_col=3, max_col=5):
            for cell in row:
                cell.number_format = "#,##0.00"
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()

    # -- helpers ------------------------------------------------------------------------
    def _entry(self, s: Any, user: UserView, entry_id: int, permission: Permission) -> JournalEntry:
        """The entry, if the caller may see it; a foreign one answers like a missing one."""
        entry = store.get_entry(s, entry_id)
        if entry is None or P.VIEW not in self._permissions(s, user, entry.dossier_id):
            raise ServiceError(f"entry {entry_id} does not exist")
        self._require(s, user, entry.dossier_id, permission)
        return entry


def _plain(pct: Decimal) -> Decimal:
    """60.0000 (as stored) -> 60, 33.3300 -> 33.33."""
    return Decimal(format(pct.normalize(), "f"))


def _cell(text: str) -> str:
    """No spreadsheet formulas from stored text (codes are checked, names too; belt and
    braces for exports opened in Excel)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
