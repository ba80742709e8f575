"""Sales invoicing: customers, items, drafts, issuing, credit notes, the PDF and UBL, and the
sales booking proposal (two clicks).  Sending is :mod:`.sending`, payments and CODA
:mod:`.payments`, reminders :mod:`.reminders`; what they share is :mod:`.sales_common`.

The rules they keep are listed in :mod:`.sales_common`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from invoicing import Customer as CoreCustomer
from invoicing import (
    DraftLine,
    InvoiceDraft,
    InvoicingError,
    IssuedInvoice,
    Seller,
    VatCase,
    compute_totals,
    credit_note_draft,
    render_outputs,
)
from invoicing import Item as CoreItem
from invoicing import issue as core_issue
from invoicing.numbering import parse_ogm
from invoicing.serial import from_json, to_json
from pipeline.service.core import Refused, ServiceError, UserView, requires
from pipeline.service.sales_common import (
    CustomerView,
    InvoiceDetail,
    InvoiceRow,
    ItemView,
    P,
    SalesBase,
    _adjustment_from,
    _core,
    _customer_from,
    _customer_view,
    _date,
    _item_from,
    _item_view,
    _line_from,
    _plain,
    _plain_tree,
    _row,
    _seller,
    _send_view,
    _settings,
)
from pipeline.warmup import settle_once
from storage import NotFound, repo
from storage import invoicing as store
from storage.models import Customer as CustomerRow
from storage.models import SalesInvoice, SalesItem, utcnow

log = logging.getLogger("pipeline.service.invoicing")

__all__ = ["InvoicingService"]


class InvoicingService(SalesBase):
    """Sales invoicing for entrepreneurs and accountants (permission ``invoice``)."""

    # -- settings -------------------------------------------------------------------------
    @requires(P.INVOICE)
    def invoicing_settings(self, user: UserView, dossier_id: int) -> dict[str, Any]:
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            return _settings(repo.get_dossier(s, dossier_id))

    @requires(P.INVOICE)
    def set_invoicing_settings(
        self,
        user: UserView,
        dossier_id: int,
        *,
        seller: Mapping[str, Any] | None = None,
        prefix: str | None = None,
        auto_book: bool | None = None,
        reminders: Mapping[str, Any] | None = None,
        peppol_sender_ref: str | None = None,
    ) -> dict[str, Any]:
        """Seller details (address, enterprise number, IBAN, BIC, logo...), the number
        prefix, automatic booking of issued invoices, the reminder policy."""
        from invoicing.numbering import format_number

        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            d = repo.get_dossier(s, dossier_id)
            cfg = _settings(d)
            if seller is not None:
                data = {"name": d.name, "vat": d.vat_number, **dict(seller)}
                cfg["seller"] = to_json(_core(from_json, Seller, data))
            if prefix is not None:
                _core(format_number, prefix, 2026, 1)
                cfg["prefix"] = prefix
            if auto_book is not None:
                if auto_book:
                    self._require(s, user, dossier_id, P.BOOK_SALES)
                cfg["auto_book"] = bool(auto_book)
            if reminders is not None:
                cfg["reminders"] = {k: _plain(v) for k, v in reminders.items()}
            if peppol_sender_ref is not None:
                cfg["peppol_sender_ref"] = peppol_sender_ref
            d.settings = {**(d.settings or {}), "invoicing": cfg}
            repo.audit(s, "invoicing_settings", user_id=user.id, dossier_id=dossier_id)
            return cfg

    # -- customers ------------------------------------------------------------------------
    @requires(P.INVOICE)
    def customers(
        self, user: UserView, dossier_id: int, *, include_inactive: bool = False
    ) -> list[CustomerView]:
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            rows = store.list_customers(s, dossier_id, include_inactive=include_inactive)
            return [_customer_view(c) for c in rows]

    @requires(P.INVOICE)
    def customer(self, user: UserView, dossier_id: int, customer_id: int) -> CustomerView:
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            return _customer_view(self._customer(s, dossier_id, customer_id))

    def _customer(self, s: Any, dossier_id: int, customer_id: int) -> CustomerRow:
        try:
            return store.get_customer(s, dossier_id, customer_id)
        except NotFound as exc:
            raise ServiceError(str(exc)) from None

    @requires(P.INVOICE)
    def create_customer(
        self, user: UserView, dossier_id: int, fields: Mapping[str, Any]
    ) -> CustomerView:
        """A new customer; VAT, enterprise number and Peppol id are checked."""
        core = _customer_from(fields)
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            row = self._store_customer(s, dossier_id, core)
            return _customer_view(row)

    def _store_customer(self, s: Any, dossier_id: int, core: CoreCustomer) -> CustomerRow:
        row = CustomerRow(
            dossier_id=dossier_id,
            name=core.name,
            vat=core.vat,
            peppol_id=core.peppol_id,
            email=core.email,
            data=to_json(core),
            active=True,
        )
        s.add(row)
        s.flush()
        return row

    @requires(P.INVOICE)
    def update_customer(
        self, user: UserView, dossier_id: int, customer_id: int, fields: Mapping[str, Any]
    ) -> CustomerView:
        """Change a customer (issued invoices keep the customer as it was)."""
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            row = self._customer(s, dossier_id, customer_id)
            merged = {**(row.data or {}), **dict(fields)}
            core = _customer_from(merged)
            row.name, row.vat, row.peppol_id, row.email = (
                core.name,
                core.vat,
                core.peppol_id,
                core.email,
            )
            row.data = to_json(core)
            return _customer_view(row)

    @requires(P.INVOICE)
    def delete_customer(self, user: UserView, dossier_id: int, customer_id: int) -> None:
        """Deactivate a customer (kept for the invoices that name it)."""
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            self._customer(s, dossier_id, customer_id).active = False

    @requires(P.INVOICE)
    def import_customers(
        self, user: UserView, dossier_id: int, data: bytes
    ) -> tuple[list[CustomerView], list[tuple[int, str]]]:
        """Import a customer CSV: the valid rows are added, each bad row is reported
        with its line (``(line, reason)``)."""
        from invoicing.customers_csv import parse_customers_csv

        result = _core(parse_customers_csv, data)
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            added = [
                _customer_view(self._store_customer(s, dossier_id, c)) for _, c in result.customers
            ]
            repo.audit(
                s, "customers_imported", user_id=user.id, dossier_id=dossier_id, count=len(added)
            )
        return added, [(int(line), str(reason)) for line, reason in result.errors]

    @requires(P.INVOICE)
    def export_customers_csv(self, user: UserView, dossier_id: int) -> str:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["name", "country", "vat", "peppol_id", "email", "language"])
        for c in self.customers(user, dossier_id):
            writer.writerow(
                [c.name, c.country, c.vat or "", c.peppol_id or "", c.email or "", c.language]
            )
        return out.getvalue()

    # -- items ----------------------------------------------------------------------------
    @requires(P.INVOICE)
    def items(self, user: UserView, dossier_id: int) -> list[ItemView]:
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            return [_item_view(i) for i in store.list_items(s, dossier_id)]

    @requires(P.INVOICE)
    def create_item(self, user: UserView, dossier_id: int, fields: Mapping[str, Any]) -> ItemView:
        core = _item_from(fields)
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            row = SalesItem(dossier_id=dossier_id, description=core.description, data=to_json(core))
            s.add(row)
            s.flush()
            return _item_view(row)

    @requires(P.INVOICE)
    def update_item(
        self, user: UserView, dossier_id: int, item_id: int, fields: Mapping[str, Any]
    ) -> ItemView:
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            row = self._item(s, dossier_id, item_id)
            core = _item_from({**(row.data or {}), **dict(fields)})
            row.description, row.data = core.description, to_json(core)
            return _item_view(row)

    @requires(P.INVOICE)
    def delete_item(self, user: UserView, dossier_id: int, item_id: int) -> None:
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            self._item(s, dossier_id, item_id).active = False

    def _item(self, s: Any, dossier_id: int, item_id: int) -> SalesItem:
        try:
            return store.get_item(s, dossier_id, item_id)
        except NotFound as exc:
            raise ServiceError(str(exc)) from None

    # -- drafts ---------------------------------------------------------------------------
    def _build_draft(
        self, s: Any, dossier_id: int, spec: Mapping[str, Any]
    ) -> tuple[InvoiceDraft, int, list[int | None]]:
        try:
            customer_id = int(spec["customer_id"])
        except (KeyError, TypeError, ValueError):
            raise Refused("the invoice needs a customer (customer_id)") from None
        crow = self._customer(s, dossier_id, customer_id)
        customer = _core(from_json, CoreCustomer, crow.data)
        raw_lines = spec.get("lines") or []
        if not isinstance(raw_lines, list) or not raw_lines:
            raise Refused("the invoice needs at least one line")
        lines: list[DraftLine] = []
        item_ids: list[int | None] = []
        for n, raw in enumerate(raw_lines, start=1):
            if not isinstance(raw, Mapping):
                raise Refused(f"line {n}: expected an object")
            item = None
            item_id = raw.get("item_id")
            if item_id is not None:
                item = from_json(CoreItem, self._item(s, dossier_id, int(item_id)).data)
            lines.append(_line_from(raw, item, n))
            item_ids.append(int(item_id) if item_id is not None else None)
        case = _core(VatCase, spec.get("vat_case", VatCase.DOMESTIC.value))
        draft = _core(
            InvoiceDraft,
            customer=customer,
            lines=tuple(lines),
            vat_case=case,
            adjustments=tuple(_adjustment_from(a) for a in spec.get("adjustments") or ()),
            issue_date=_date(spec.get("issue_date"), "issue date"),
            delivery_date=_date(spec.get("delivery_date"), "delivery date"),
            buyer_reference=spec.get("buyer_reference") or None,
            order_reference=spec.get("order_reference") or None,
            note=spec.get("note") or None,
        )
        return draft, customer_id, item_ids

    def _save_draft(
        self, s: Any, inv: SalesInvoice, draft: InvoiceDraft, item_ids: Sequence[int | None]
    ) -> None:
        seller = _seller(repo.get_dossier(s, inv.dossier_id))
        totals = _core(compute_totals, draft, seller)
        inv.draft = to_json(draft)
        inv.customer_name = draft.customer.name
        inv.net_total = totals.tax_exclusive
        inv.vat_total = totals.vat
        inv.total = totals.payable
        s.flush()
        store.replace_lines(
            s,
            inv.id,
            [
                {
                    "item_id": item_id,
                    "description": ln.description,
                    "quantity": ln.quantity,
                    "unit_price": ln.unit_price,
                    "vat_rate": ln.vat_rate,
                    "net": ln.net,
                    "account": ln.account,
                }
                for ln, item_id in zip(draft.lines, item_ids, strict=True)
            ],
        )

    @requires(P.INVOICE)
    def create_draft(self, user: UserView, dossier_id: int, spec: Mapping[str, Any]) -> InvoiceRow:
        """A new draft invoice from ``spec``: ``customer_id``, ``lines`` (each ``item_id``
        and/or ``description``, ``quantity``, ``unit_price``, ``vat_rate``, ``exempt``,
        ``kind``, ``unit``, ``revenue_account``), ``vat_case``, ``adjustments``,
        ``issue_date``, ``delivery_date``, ``buyer_reference``, ``order_reference``, ``note``.
        Totals are computed (and the VAT case checked) on every save."""
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            return _row(self._new_draft(s, user, dossier_id, spec))

    def _new_draft(
        self, s: Any, user: UserView, dossier_id: int, spec: Mapping[str, Any]
    ) -> SalesInvoice:
        """Store a new draft from ``spec`` (the caller checked the right)."""
        draft, customer_id, item_ids = self._build_draft(s, dossier_id, spec)
        inv = SalesInvoice(
            dossier_id=dossier_id,
            customer_id=customer_id,
            kind="invoice",
            state="draft",
            created_by=user.id,
        )
        s.add(inv)
        s.flush()
        self._save_draft(s, inv, draft, item_ids)
        return inv

    @requires(P.INVOICE)
    def update_draft(self, user: UserView, invoice_id: int, spec: Mapping[str, Any]) -> InvoiceRow:
        """Replace a draft's content; an issued invoice is refused (credit it instead)."""
        with self.rt.tx() as s:
            inv = self._invoice(s, user, invoice_id, P.INVOICE, lock=True)
            self._refuse_issued(inv)
            if inv.kind == "credit_note":
                raise Refused("a credit note draft is changed by deleting and crediting again")
            draft, customer_id, item_ids = self._build_draft(s, inv.dossier_id, spec)
            inv.customer_id = customer_id
            self._save_draft(s, inv, draft, item_ids)
            return _row(inv)

    @requires(P.INVOICE)
    def delete_draft(self, user: UserView, invoice_id: int) -> None:
        with self.rt.tx() as s:
            inv = self._invoice(s, user, invoice_id, P.INVOICE, lock=True)
            self._refuse_issued(inv)
            store.replace_lines(s, inv.id, [])
            s.delete(inv)

    @staticmethod
    def _refuse_issued(inv: SalesInvoice) -> None:
        if inv.state != "draft":
            raise Refused(
                f"invoice {inv.number} is issued and cannot be changed; correct it with a "
                "credit note"
            )

    @requires(P.INVOICE)
    def preview_totals(
        self, user: UserView, dossier_id: int, spec: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Live totals of a draft being edited (nothing stored)."""
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.INVOICE)
            draft, _, _ = self._build_draft(s, dossier_id, spec)
            totals = _core(compute_totals, draft, _seller(repo.get_dossier(s, dossier_id)))
            return _plain_tree(to_json(totals))

    # -- issuing --------------------------------------------------------------------------
    @requires(P.INVOICE)
    def issue(self, user: UserView, invoice_id: int, *, today: dt.date | None = None) -> InvoiceRow:
        """Fix the number, render and validate the PDF and the UBL, store both: all in one
        transaction, so a refused or failed issue leaves the draft and the number free."""
        with self.rt.tx() as s:
            inv = self._invoice(s, user, invoice_id, P.INVOICE, lock=True)
            if inv.state == "issued":
                return _row(inv)  # issuing twice is issuing once
            dossier = repo.get_dossier(s, inv.dossier_id)
            seller = _seller(dossier)
            cfg = _settings(dossier)
            draft = _core(from_json, InvoiceDraft, inv.draft)
            day = draft.issue_date or today or dt.date.today()
            remaining = None
            if inv.kind == "credit_note":
                original = store.get_invoice(s, int(inv.credits_id or 0), lock=True)
                remaining = Decimal(original.total) - store.credited_total(s, original.id)
            _core(compute_totals, draft, seller)  # refuse a bad draft before numbering
            sequence = store.allocate_number(s, inv.dossier_id, day.year)
            issued = _core(
                core_issue,
                draft,
                seller,
                dossier_id=inv.dossier_id,
                sequence=sequence,
                issue_date=day,
                prefix=str(cfg.get("prefix", "")),
                remaining_to_credit=remaining,
            )
            out = render_outputs(issued)
            if out.fatal:
                first = out.fatal[0]
                raise Refused(f"the UBL fails validation ({first.rule_id}): {first.message}")
            pdf_ref = self.rt.blobs.put(out.pdf)
            repo.register_blob(s, inv.dossier_id, pdf_ref)
            inv.pdf_sha256 = pdf_ref.sha256
            if out.ubl is not None:
                ubl_ref = self.rt.blobs.put(out.ubl)
                repo.register_blob(s, inv.dossier_id, ubl_ref)
                inv.ubl_sha256 = ubl_ref.sha256
            inv.state = "issued"
            inv.issued = to_json(issued)
            inv.number = issued.number
            inv.bookyear = issued.bookyear
            inv.sequence = issued.sequence
            inv.issue_date = issued.issue_date
            inv.due_date = issued.due_date
            inv.structured_communication = parse_ogm(issued.structured_communication)
            inv.net_total = issued.totals.tax_exclusive
            inv.vat_total = issued.totals.vat
            inv.total = issued.totals.payable
            inv.issued_by = user.id
            inv.issued_at = utcnow()
            if inv.kind == "credit_note" and inv.credits_id is not None:
                store.add_payment(
                    s,
                    dossier_id=inv.dossier_id,
                    invoice_id=inv.credits_id,
                    amount=issued.totals.payable,
                    date=day,
                    source="credit_note",
                    rule=issued.number,
                    created_by=user.id,
                )
            repo.audit(
                s,
                "invoice_issued",
                user_id=user.id,
                dossier_id=inv.dossier_id,
                invoice_id=inv.id,
                number=issued.number,
            )
            s.flush()
            if cfg.get("auto_book"):
                self._book(s, inv, issued, out.ubl or out.pdf, auto=True)
            row = _row(inv)
        # the first issue built the renderer's and validator's caches: later garbage
        # collections leave them alone (pipeline.warmup)
        settle_once()
        return row

    @requires(P.INVOICE)
    def credit_note(
        self,
        user: UserView,
        invoice_id: int,
        *,
        lines: Sequence[Mapping[str, Any]] | None = None,
        note: str | None = None,
    ) -> InvoiceRow:
        """A credit-note draft for an issued invoice (all its lines, or ``lines``);
        issue it with :meth:`issue`.  More than what remains of the invoice is refused."""
        with self.rt.tx() as s:
            original = self._invoice(s, user, invoice_id, P.INVOICE, lock=True)
            if original.state != "issued" or original.kind != "invoice":
                raise Refused("only an issued invoice can be credited")
            issued = _core(from_json, IssuedInvoice, original.issued)
            chosen: tuple[DraftLine, ...] = ()
            if lines:
                chosen = tuple(_line_from(raw, None, n) for n, raw in enumerate(lines, 1))
            draft = _core(credit_note_draft, issued, chosen, note)
            totals = _core(compute_totals, draft, issued.seller)
            remaining = Decimal(original.total) - store.credited_total(s, original.id)
            if totals.payable > remaining:
                raise Refused(
                    f"credit note of {totals.payable} EUR is more than the {remaining} EUR "
                    f"that remains of invoice {original.number}"
                )
            cn = SalesInvoice(
                dossier_id=original.dossier_id,
                customer_id=original.customer_id,
                kind="credit_note",
                state="draft",
                credits_id=original.id,
                created_by=user.id,
            )
            s.add(cn)
            s.flush()
            self._save_draft(s, cn, draft, [None] * len(draft.lines))
            return _row(cn)

    # -- queries --------------------------------------------------------------------------
    @requires(P.INVOICE)
    def invoices(
        self,
        user: UserView,
        dossier_id: int | None = None,
        *,
        state: str | None = None,
        paid: bool | None = None,
        overdue: bool = False,
        customer_id: int | None = None,
        kind: str | None = None,
        today: dt.date | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[InvoiceRow]:
        """Invoices and credit notes, newest first; ``state`` draft/issued, ``paid``
        True/False, ``overdue`` (unpaid past the due date)."""
        day = today or dt.date.today()
        with self.rt.tx() as s:
            if dossier_id is not None:
                self._require(s, user, dossier_id, P.INVOICE)
                ids: list[int] | None = [dossier_id]
            else:
                ids = self._dossier_ids(s, user)
                if ids is not None:
                    ids = [d for d in ids if P.INVOICE in self._permissions(s, user, d)]
            rows = store.list_invoices(
                s,
                ids,
                state=state,
                paid=paid,
                overdue_on=day if overdue else None,
                customer_id=customer_id,
                kind=kind,
                limit=min(limit, 1000),
                offset=offset,
            )
            return [_row(r, day) for r in rows]

    @requires(P.INVOICE)
    def invoice(self, user: UserView, invoice_id: int) -> InvoiceDetail:
        with self.rt.tx() as s:
            inv = self._invoice(s, user, invoice_id, P.INVOICE)
            issued = from_json(IssuedInvoice, inv.issued) if inv.issued else None
            draft = issued.draft if issued else from_json(InvoiceDraft, inv.draft)
            totals = issued.totals if issued else None
            if totals is None:
                try:
                    totals = compute_totals(draft, _seller(repo.get_dossier(s, inv.dossier_id)))
                except (InvoicingError, ServiceError):
                    totals = None  # an incomplete draft shows no totals
            return InvoiceDetail(
                row=_row(inv),
                draft=_plain_tree(inv.draft),
                lines=tuple(_plain_tree(to_json(ln)) for ln in draft.lines),
                tax_rows=tuple(_plain_tree(to_json(r)) for r in (totals.rows if totals else ())),
                mentions=issued.mentions if issued else (),
                has_pdf=inv.pdf_sha256 is not None,
                has_ubl=inv.ubl_sha256 is not None,
                sends=tuple(_send_view(r) for r in store.sends_of(s, inv.id)),
                payments=tuple(
                    {
                        "id": p.id,
                        "amount": _plain(p.amount),
                        "date": _plain(p.date),
                        "source": p.source,
                        "rule": p.rule,
                    }
                    for p in store.list_payments(s, inv.dossier_id, invoice_id=inv.id)
                ),
                credit_notes=tuple(store.credit_notes_of(s, inv.id)),
                reminders=tuple(
                    {"level": r.level, "sent_on": _plain(r.sent_on), "subject": r.subject}
                    for r in store.list_reminders(s, [inv.id])
                ),
            )

    @requires(P.INVOICE)
    def invoice_pdf(self, user: UserView, invoice_id: int) -> tuple[bytes, str]:
        """The PDF of an issued invoice (a draft gets a preview render, not stored)."""
        with self.rt.tx() as s:
            inv = self._invoice(s, user, invoice_id, P.INVOICE)
            sha, number = inv.pdf_sha256, inv.number
            if sha is None:
                from invoicing.issue import issue as preview_issue
                from invoicing.pdf import render_pdf

                draft = _core(from_json, InvoiceDraft, inv.draft)
                seller = _seller(repo.get_dossier(s, inv.dossier_id))
                day = draft.issue_date or dt.date.today()
                preview = _core(
                    preview_issue,
                    draft,
                    seller,
                    dossier_id=inv.dossier_id,
                    sequence=1,
                    issue_date=day,
                    prefix="DRAFT",
                    remaining_to_credit=Decimal(inv.total),
                )
                return render_pdf(preview), f"draft-{inv.id}.pdf"
        return self.rt.blobs.get(sha), f"{number}.pdf"

    @requires(P.INVOICE)
    def invoice_ubl(self, user: UserView, invoice_id: int) -> tuple[bytes, str]:
        with self.rt.tx() as s:
            inv = self._invoice(s, user, invoice_id, P.INVOICE)
            if inv.ubl_sha256 is None:
                raise Refused("this invoice has no UBL (a draft, or a customer without Peppol id)")
            sha, number = inv.ubl_sha256, inv.number
        return self.rt.blobs.get(sha), f"{number}.xml"

    # -- booking --------------------------------------------------------------------------
    @requires(P.BOOK_SALES)
    def book_invoice(self, user: UserView, invoice_id: int) -> int:
        """The sales-journal proposal of an issued invoice or credit note, as a document
        waiting for review (its UBL as the document): open it and confirm.  Returns the
        document id (the same one when asked again)."""
        with self.rt.tx() as s:
            inv = self._invoice(s, user, invoice_id, P.BOOK_SALES, lock=True)
            if inv.state != "issued" or inv.issued is None:
                raise Refused("only an issued invoice can be booked")
            if inv.document_id is not None:
                return int(inv.document_id)
            issued = from_json(IssuedInvoice, inv.issued)
            sha = inv.ubl_sha256 or inv.pdf_sha256
            assert sha is not None
            content = self.rt.blobs.get(sha)
            return self._book(s, inv, issued, content, auto=False)

    def _book(
        self, s: Any, inv: SalesInvoice, issued: IssuedInvoice, content: bytes, *, auto: bool
    ) -> int:
        from booking import PeriodLocked
        from booking.context import BookingContext
        from extractors.model import to_json as invoice_json
        from invoicing.sales_booking import sales_proposal
        from invoicing.ubl import to_invoice_data
        from pipeline import bookings
        from storage.blobs import BlobRef, sha256_hex
        from storage.states import DocumentState as S

        dossier = repo.get_dossier(s, inv.dossier_id)
        ctx = BookingContext(dossier=bookings.dossier_context(dossier))
        try:
            try:
                proposal = sales_proposal(issued, ctx)
            except PeriodLocked as exc:
                if exc.first_open is None:
                    raise
                proposal = sales_proposal(
                    issued, BookingContext(dossier=ctx.dossier, period=exc.first_open)
                )
        except PeriodLocked as exc:
            raise Refused(str(exc)) from None
        is_xml = inv.ubl_sha256 is not None
        ref = BlobRef(sha256_hex(content), len(content))
        doc, _ = repo.add_document(
            s,
            dossier_id=inv.dossier_id,
            ref=ref,
            filename=f"{inv.number}.{'xml' if is_xml else 'pdf'}",
            content_type="application/xml" if is_xml else "application/pdf",
            origin=f"sales invoice {inv.number}",
            channel="invoicing",
        )
        invoice = to_invoice_data(issued)
        repo.save_extraction(
            s,
            doc.id,
            invoice=invoice_json(invoice),
            findings=[],
            warnings=[],
            confidence={},
            extractor="invoicing",
        )
        doc.supplier_name = issued.customer.name
        doc.supplier_vat = issued.customer.vat
        doc.invoice_number = issued.number
        doc.invoice_date = issued.issue_date
        doc.total_incl_vat = issued.totals.payable
        repo.set_state(s, doc, S.EXTRACTED, None)
        entry = repo.replace_entry(
            s,
            dossier_id=inv.dossier_id,
            document_id=doc.id,
            fields=bookings.entry_fields(proposal),
            lines=bookings.line_rows(proposal),
        )
        repo.set_state(s, doc, S.PROPOSED, None, timing="proposed")
        inv.document_id = doc.id
        if auto:
            bookings.book_entry(s, doc, entry, user_id=None, auto=True)
            repo.audit(
                s,
                "auto_booked",
                dossier_id=inv.dossier_id,
                document_id=doc.id,
                reason="issued sales invoice (dossier option)",
            )
        return int(doc.id)
