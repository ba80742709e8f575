"""The ledger views as export tables (:class:`ledger.export.Table`): one per list."""

from __future__ import annotations

from collections.abc import Iterable

from ledger.export import Cell, Table
from ledger.model import (
    AccountLedger,
    Ageing,
    HistoryRow,
    JournalEntryView,
    TrialBalance,
    VatListing,
    VatPosition,
)


def ledger_table(acc: AccountLedger, title: str = "") -> Table:
    rows: list[tuple[Cell, ...]] = [
        (None, "", None, "opening balance", "", None, None, None, acc.opening)
    ]
    rows += [
        (
            r.date,
            r.journal,
            r.number,
            r.counterparty,
            r.description,
            r.document_id,
            r.debit,
            r.credit,
            r.balance,
        )
        for r in acc.rows
    ]
    rows.append((None, "", None, "closing balance", "", None, acc.debit, acc.credit, acc.closing))
    return Table(
        title or f"General ledger {acc.account} {acc.name}".strip(),
        (
            "date",
            "journal",
            "number",
            "counterparty",
            "description",
            "document",
            "debit",
            "credit",
            "balance",
        ),
        tuple(rows),
    )


def trial_balance_table(tb: TrialBalance, title: str = "Trial balance") -> Table:
    rows = [(r.account, r.name, r.debit, r.credit, r.balance) for r in tb.rows]
    rows.append(("", "total", tb.debit, tb.credit, tb.debit - tb.credit))
    return Table(title, ("account", "name", "debit", "credit", "balance"), tuple(rows))


def journal_table(entries: Iterable[JournalEntryView], title: str = "Journals") -> Table:
    rows: list[tuple[Cell, ...]] = []
    for e in entries:
        for account, debit, credit, grids in e.lines:
            rows.append(
                (
                    e.journal,
                    e.number,
                    e.date,
                    e.counterparty,
                    e.document_id,
                    account,
                    debit,
                    credit,
                    grids,
                )
            )
    return Table(
        title,
        (
            "journal",
            "number",
            "date",
            "counterparty",
            "document",
            "account",
            "debit",
            "credit",
            "VAT grids",
        ),
        tuple(rows),
    )


def vat_listing_table(listings: Iterable[VatListing], title: str = "VAT listing") -> Table:
    rows: list[tuple[Cell, ...]] = []
    for listing in listings:
        for x in listing.lines:
            rows.append(
                (
                    x.vat_period,
                    x.grid,
                    x.date,
                    x.journal,
                    x.number,
                    x.account,
                    x.counterparty,
                    x.document_id,
                    x.amount,
                )
            )
        rows.append(
            (listing.vat_period, listing.grid, None, "", None, "", "total", None, listing.total)
        )
    return Table(
        title,
        (
            "VAT period",
            "grid",
            "date",
            "journal",
            "number",
            "account",
            "counterparty",
            "document",
            "amount",
        ),
        tuple(rows),
    )


def vat_returns_table(positions: Iterable[VatPosition], title: str = "VAT returns") -> Table:
    rows: list[tuple[Cell, ...]] = []
    for p in positions:
        rows.extend((p.vat_period, grid, amount) for grid, amount in p.grids)
        rows.append((p.vat_period, "71 to pay", p.to_pay))
        rows.append((p.vat_period, "72 to recover", p.to_recover))
    return Table(title, ("VAT period", "grid", "amount"), tuple(rows))


def history_table(rows_in: Iterable[HistoryRow], title: str) -> Table:
    rows = tuple(
        (
            h.counterparty,
            h.date,
            h.journal,
            h.number,
            h.document_id,
            h.invoiced,
            h.settled,
            h.balance,
        )
        for h in rows_in
    )
    return Table(
        title,
        ("counterparty", "date", "journal", "number", "document", "invoiced", "settled", "balance"),
        rows,
    )


def open_items_table(ageing: Ageing, title: str = "") -> Table:
    rows = tuple(
        (
            i.counterparty,
            i.date,
            i.due_date,
            i.number,
            i.document_id,
            i.amount,
            i.paid,
            i.open,
            i.days_overdue,
            i.bucket,
        )
        for i in ageing.items
    )
    return Table(
        title or f"Open items ({ageing.kind})",
        (
            "counterparty",
            "date",
            "due",
            "number",
            "document",
            "amount",
            "paid",
            "open",
            "days overdue",
            "ageing",
        ),
        rows,
    )
