"""Payments: by hand, and CODA bank statements matched on structured communication and
amount for sales and purchase invoices, each match booked in the bank journal."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from invoicing import CodaError, parse_coda
from invoicing.matching import OpenItem, match_payments
from pipeline.service import bank_journal as bank
from pipeline.service.core import Refused, ServiceError, UserView, requires
from pipeline.service.sales_common import (
    MAX_CODA_BYTES,
    ZERO,
    CodaReport,
    InvoiceRow,
    MovementView,
    P,
    SalesBase,
    _dec,
    _movement_view,
    _open,
    _plain,
    _row,
)
from pipeline.service.views import EntryView, entry_view
from storage import NotFound, repo
from storage import bank_journal as bank_store
from storage import entries as entries_store
from storage import invoicing as store
from storage.models import CodaImport, SalesInvoice, utcnow

log = logging.getLogger("pipeline.service.payments")

__all__ = ["PaymentsService"]


class PaymentsService(SalesBase):
    """Payments and bank statements (permission ``manage_payments``)."""

    # -- payments -------------------------------------------------------------------------
    @requires(P.MANAGE_PAYMENTS)
    def mark_paid(
        self,
        user: UserView,
        invoice_id: int,
        amount: Decimal | str | None = None,
        *,
        date: dt.date | None = None,
    ) -> InvoiceRow:
        """Record a payment by hand: the whole open amount, or ``amount`` (partly paid)."""
        with self.rt.tx() as s:
            inv = self._invoice(s, user, invoice_id, P.MANAGE_PAYMENTS, lock=True)
            if inv.state != "issued" or inv.kind != "invoice":
                raise Refused("only an issued invoice can be paid")
            open_amount = _open(inv)
            value = open_amount if amount is None else _dec(amount, "amount")
            if value <= 0:
                raise Refused("a payment must be more than zero")
            if value > open_amount:
                raise Refused(f"{value} EUR is more than the {open_amount} EUR still open")
            store.add_payment(
                s,
                dossier_id=inv.dossier_id,
                invoice_id=inv.id,
                amount=value,
                date=date or dt.date.today(),
                source="manual",
                created_by=user.id,
            )
            s.refresh(inv)
            repo.audit(
                s,
                "invoice_paid",
                user_id=user.id,
                dossier_id=inv.dossier_id,
                invoice_id=inv.id,
                amount=_plain(value),
            )
            return _row(inv)

    @requires(P.MANAGE_PAYMENTS)
    def import_coda(
        self, user: UserView, dossier_id: int, data: bytes, *, filename: str | None = None
    ) -> CodaReport:
        """Import a CODA statement file in one transaction: movements matched on the
        structured communication and amount to open sales invoices and booked purchase
        entries, each matched one booked in the bank journal; the rest listed for manual
        matching or booking.  A bad file, or a movement in a locked period, is refused with
        its line number and nothing of it is stored.  Movements imported before (the same
        statement in another file) are skipped: nothing is paid or booked twice."""
        with self.rt.tx() as s:  # the right first, then the file
            self._require(s, user, dossier_id, P.MANAGE_PAYMENTS)
        if len(data) > MAX_CODA_BYTES:
            raise Refused("the CODA file is larger than 50 MB")
        try:
            parsed = parse_coda(data)
        except CodaError as exc:
            raise Refused(f"CODA file refused, nothing imported: {exc}") from None
        ref = self.rt.blobs.put(data)
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.MANAGE_PAYMENTS)
            earlier = store.find_coda_import(s, dossier_id, ref.sha256)
            if earlier is not None:
                raise Refused(f"this CODA file was imported already (import {earlier.id})")
            repo.register_blob(s, dossier_id, ref)
            imp = CodaImport(
                dossier_id=dossier_id,
                sha256=ref.sha256,
                filename=filename,
                statements=len(parsed.statements),
                imported_by=user.id,
            )
            keyed = [
                (bank.movement_key(st, mv), mv) for st in parsed.statements for mv in st.movements
            ]
            known = bank_store.known_keys(s, dossier_id, (k for k, _ in keyed))
            keys = {id(mv): k for k, mv in keyed}
            fresh: list[Any] = []
            for k, mv in keyed:  # imported before, or twice in this file: once
                if k not in known:
                    known.add(k)
                    fresh.append(mv)
            movements = tuple(fresh)
            dossier = entries_store.lock_dossier(s, dossier_id)
            locked = bank.lock_problems(
                dossier,
                [(mv.line, mv.value_date or mv.entry_date or dt.date.today()) for mv in movements],
            )
            if locked:
                raise bank.refusal(locked, "CODA file refused, nothing imported: ")
            s.add(imp)
            s.flush()
            items = self._open_items(s, dossier_id)
            result = match_payments(movements, items.values())
            matched = {id(m.movement) for m in result.matches}
            ids = store.insert_movements(
                s,
                [
                    {
                        "dossier_id": dossier_id,
                        "import_id": imp.id,
                        "line": mv.line,
                        "amount": mv.amount,
                        "value_date": mv.value_date or mv.entry_date,
                        "counterparty_name": (mv.counterparty_name or "")[:300] or None,
                        "counterparty_account": (mv.counterparty_account or "")[:64] or None,
                        "structured_communication": mv.ogm,
                        "communication": mv.free_communication,
                        "state": "matched" if id(mv) in matched else "unmatched",
                        "movement_key": keys[id(mv)],
                    }
                    for mv in movements
                ],
            )
            matches = []
            payments: list[dict[str, Any]] = []
            paid: dict[int, Decimal] = {}
            for m in result.matches:
                mv = m.movement
                target = items[m.item.key]
                sales = m.item.side == "sales"
                payments.append(
                    {
                        "dossier_id": dossier_id,
                        "invoice_id": target if sales else None,
                        "entry_id": None if sales else target,
                        "movement_id": ids[mv.line],
                        "amount": m.amount,
                        "date": mv.value_date or mv.entry_date or dt.date.today(),
                        "source": "coda",
                        "rule": m.rule,
                        "created_by": user.id,
                        "created_at": utcnow(),
                    }
                )
                if sales:
                    paid[target] = paid.get(target, ZERO) + m.amount
                matches.append(
                    {
                        "line": mv.line,
                        "side": m.item.side,
                        "target": target,
                        "amount": _plain(m.amount),
                        "kind": str(m.kind),
                        "rule": m.rule,
                    }
                )
            store.insert_payments(s, payments, paid)
            booked = self._book_matches(s, user, dossier, result.matches, items, ids)
            imp.movements = len(movements)
            imp.matched = len(result.matches)
            repo.audit(
                s,
                "coda_imported",
                user_id=user.id,
                dossier_id=dossier_id,
                import_id=imp.id,
                movements=len(movements),
                matched=len(result.matches),
                booked=booked,
                already_imported=len(keyed) - len(movements),
            )
            return CodaReport(
                import_id=imp.id,
                statements=len(parsed.statements),
                movements=len(movements),
                matched=len(result.matches),
                unmatched=tuple(
                    _movement_view(r)
                    for r in store.list_movements(s, dossier_id, import_id=imp.id, limit=10**6)
                ),
                matches=tuple(matches),
                booked=booked,
                already_imported=len(keyed) - len(movements),
            )

    def _book_matches(
        self,
        s: Any,
        user: UserView,
        dossier: Any,
        matches: Sequence[Any],
        items: _Items,
        ids: dict[int, int],
    ) -> int:
        """Book each matched movement in the bank journal, linked to what it settles."""
        sales = {items[m.item.key] for m in matches if m.item.side == "sales"}
        invoices = bank_store.sales_invoices(s, sales)
        _, receivable = bank_store.entry_accounts(
            s, document_ids=(i.document_id for i in invoices.values() if i.document_id), prefix="40"
        )
        purchases = {items[m.item.key] for m in matches if m.item.side != "sales"}
        payable, _ = bank_store.entry_accounts(s, entry_ids=purchases, prefix="44")
        rows = (
            {e.id: e for e in store.open_purchase_entries(s, dossier.id) if e.id in purchases}
            if purchases
            else {}
        )
        postings: list[bank.BankPosting] = []
        for m in matches:
            mv, target = m.movement, items[m.item.key]
            who = (mv.counterparty_name or "").strip()[:100]
            if m.item.side == "sales":
                inv = invoices[target]
                account = receivable.get(inv.document_id or 0, bank.CUSTOMERS)
                number, supplier_id = inv.number or f"#{inv.id}", None
                what = f"payment of sales invoice {number}"
            else:
                entry = rows.get(target)
                account = payable.get(target, bank.SUPPLIERS)
                number = (entry.document_number if entry else None) or f"entry {target}"
                supplier_id = entry.supplier_id if entry else None
                what = f"payment of purchase {number}"
            postings.append(
                bank.BankPosting(
                    date=mv.value_date or mv.entry_date or dt.date.today(),
                    amount=mv.amount,
                    account=account,
                    description=f"{what} {who}".strip(),
                    reason=f"CODA line {mv.line}: {what} ({m.rule}, {m.kind})",
                    line=mv.line,
                    document_number=number,
                    supplier_id=supplier_id,
                )
            )
        entry_ids = bank.post(s, user, dossier, postings)
        bank_store.link_movements(
            s, {ids[m.movement.line]: e for m, e in zip(matches, entry_ids, strict=True)}
        )
        return len(entry_ids)

    def _open_items(self, s: Any, dossier_id: int) -> _Items:
        """Open sales invoices and booked purchase entries, as the matcher's items;
        returns ``{key: id}`` with the item objects as ``.values()``-compatible keys."""
        items = _Items()
        # two queries of plain columns, whatever the number of open items
        for iid, open_amount, ogm in store.open_sales_amounts(s, dossier_id):
            items.add(OpenItem(f"s{iid}", "sales", open_amount, ogm), iid)
        for eid, open_amount, reference in store.open_purchase_amounts(s, dossier_id):
            items.add(OpenItem(f"p{eid}", "purchase", open_amount, reference), eid)
        return items

    @requires(P.MANAGE_PAYMENTS)
    def unmatched_movements(self, user: UserView, dossier_id: int) -> list[MovementView]:
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.MANAGE_PAYMENTS)
            return [_movement_view(m) for m in store.list_movements(s, dossier_id)]

    @requires(P.MANAGE_PAYMENTS)
    def match_movement(
        self,
        user: UserView,
        movement_id: int,
        *,
        invoice_id: int | None = None,
        entry_id: int | None = None,
        ignore: bool = False,
    ) -> MovementView:
        """Match an unmatched bank movement by hand to a sales invoice (``invoice_id``)
        or a booked purchase entry (``entry_id``), or set it aside (``ignore``)."""
        with self.rt.tx() as s:
            mv = self._unmatched_movement(s, user, movement_id)
            if ignore:
                mv.state = "ignored"
                return _movement_view(mv)
            if (invoice_id is None) == (entry_id is None):
                raise Refused("match to one sales invoice or one purchase entry")
            amount = abs(Decimal(mv.amount))
            if invoice_id is not None:
                inv = self._invoice(s, user, invoice_id, P.MANAGE_PAYMENTS, lock=True)
                if inv.dossier_id != mv.dossier_id or inv.state != "issued":
                    raise Refused("that invoice is not an issued invoice of this dossier")
                if Decimal(mv.amount) <= 0:
                    raise Refused("a debit movement cannot pay a sales invoice")
            else:
                entry_ids = {e.id for e in store.open_purchase_entries(s, mv.dossier_id)}
                if entry_id not in entry_ids:
                    raise Refused("that entry is not a booked purchase of this dossier")
                if Decimal(mv.amount) >= 0:
                    raise Refused("a credit movement cannot pay a purchase invoice")
            store.add_payment(
                s,
                dossier_id=mv.dossier_id,
                invoice_id=invoice_id,
                entry_id=entry_id,
                movement_id=mv.id,
                amount=amount,
                date=mv.value_date or dt.date.today(),
                source="coda",
                rule="manual",
                created_by=user.id,
            )
            dossier = entries_store.lock_dossier(s, mv.dossier_id)
            if invoice_id is not None:
                number = inv.number or f"#{inv.id}"
                _, found = bank_store.entry_accounts(
                    s, document_ids=[inv.document_id] if inv.document_id else [], prefix="40"
                )
                account = found.get(inv.document_id or 0, bank.CUSTOMERS)
                what, supplier_id = f"payment of sales invoice {number}", None
            else:
                assert entry_id is not None
                row = entries_store.get_entry(s, entry_id)
                found, _ = bank_store.entry_accounts(s, entry_ids=[entry_id], prefix="44")
                account = found.get(entry_id, bank.SUPPLIERS)
                number = (row.document_number if row else None) or f"entry {entry_id}"
                supplier_id = row.supplier_id if row else None
                what = f"payment of purchase {number}"
            posted_id = _post_movement(
                s,
                user,
                dossier,
                mv,
                account,
                description=f"{what} {mv.counterparty_name or ''}".strip(),
                reason=f"bank line {mv.line} matched by hand: {what}",
                document_number=number,
                supplier_id=supplier_id,
            )
            mv.state = "matched"
            mv.entry_id = posted_id
            return _movement_view(mv)

    def _unmatched_movement(self, s: Any, user: UserView, movement_id: int) -> Any:
        """The movement, locked, if the caller may manage the dossier's payments and it
        still waits for a match."""
        try:
            mv = store.get_movement(s, movement_id, lock=True)
        except NotFound:
            raise ServiceError(f"bank movement {movement_id} does not exist") from None
        self._require(s, user, mv.dossier_id, P.MANAGE_PAYMENTS)
        if mv.state != "unmatched":
            raise Refused(f"this movement is {mv.state} already")
        return mv

    @requires(P.MANAGE_PAYMENTS)
    def book_movement(
        self, user: UserView, movement_id: int, account: str, *, description: str = ""
    ) -> EntryView:
        """Book an unmatched bank movement in the bank journal against ``account`` (bank
        costs, wages, a loan, VAT paid…): the balance, chart and period checks of every
        entry; refused with the reason, nothing saved."""
        number = str(account or "").strip().split(" ", 1)[0]
        if not number.isdigit():
            raise Refused(f"account {number[:20]!r} is not an account number")
        with self.rt.tx() as s:
            mv = self._unmatched_movement(s, user, movement_id)
            dossier = entries_store.lock_dossier(s, mv.dossier_id)
            text = str(description or "").strip()[:300]
            who = (mv.counterparty_name or "").strip()[:100]
            entry_id = _post_movement(
                s,
                user,
                dossier,
                mv,
                number,
                description=text or f"bank line {mv.line} {who}".strip(),
                reason=f"bank line {mv.line} booked by hand on {number}",
            )
            mv.state = "booked"
            mv.entry_id = entry_id
            entry = entries_store.get_entry(s, entry_id)
            assert entry is not None
            repo.audit(
                s,
                "bank_movement_booked",
                user_id=user.id,
                dossier_id=mv.dossier_id,
                entry_id=entry.id,
                movement_id=mv.id,
                account=number,
                amount=_plain(Decimal(mv.amount)),
            )
            return entry_view(entry)


def _post_movement(
    s: Any, user: UserView, dossier: Any, mv: Any, account: str, **posting: Any
) -> int:
    """Book one bank movement in the bank journal against ``account``; the entry's id."""
    (entry_id,) = bank.post(
        s,
        user,
        dossier,
        [
            bank.BankPosting(
                date=mv.value_date or dt.date.today(),
                amount=Decimal(mv.amount),
                account=account,
                **posting,
            )
        ],
    )
    return int(entry_id)


class _Items(dict[str, Any]):
    """Matcher items keyed by their key; iterating ``values()`` yields OpenItems."""

    def __init__(self) -> None:
        super().__init__()
        self._objects: list[OpenItem] = []
        self.rows: dict[str, SalesInvoice] = {}

    def add(self, item: OpenItem, target: int, row: SalesInvoice | None = None) -> None:
        self[item.key] = target
        self._objects.append(item)
        if row is not None:
            self.rows[item.key] = row

    def values(self) -> Any:
        return list(self._objects)
