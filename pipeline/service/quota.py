"""Quota, billed: the monthly usage statement per dossier, kept per month and exported
as CSV for the firm's own billing (see :mod:`storage.quota` for what counts), turned
into the firm's own sales invoice; and the quota alerts mailed at 80 % and 100 % of the
free GB and when the forecast says it is full within 30 days (see
:mod:`pipeline.quota_alerts`).  The firm bills its clients, so statements, invoices
and the alert run are for admins; the outlook (forecast and alerts sent) is for
whoever sees the dossier.

Alerts go through the outgoing relay of the invoicing module
(``BOEKBOX_OUTGOING_SMTP_URL``), one mail per recipient in the dossier's language.
Each alert is recorded (``quota_alert``) in the transaction that sends it, before the
mails go: a second process waits for it and then finds it recorded; a relay that fails
rolls the record back, so the next run sends it (the Message-ID is the same, so a
receiver that saw the first copy can drop the second).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from invoicing import Customer as CoreCustomer
from invoicing import InvoicingError, Language
from pipeline import quota_alerts as qa
from pipeline.quota_alerts import QuotaAlertView
from pipeline.service.core import (
    Permission,
    Refused,
    ServiceBase,
    ServiceError,
    UserView,
    requires,
)
from storage import NotFound, repo
from storage import invoicing as invoice_store
from storage.models import utcnow
from storage.quota import (
    alert_history,
    daily_use,
    lock_statement,
    month_bounds,
    statement_for,
)

__all__ = [
    "QuotaAlertView",
    "QuotaBillingService",
    "QuotaInvoiceView",
    "QuotaOutlookView",
    "StatementView",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StatementView:
    dossier_id: int
    dossier_name: str
    vat_number: str | None
    month: str
    peak_bytes: int
    free_bytes: int
    billed_gb: int
    amount_eur: Decimal


@dataclass(frozen=True, slots=True)
class QuotaOutlookView:
    """A dossier's use, its trend and the alerts sent."""

    dossier_id: int
    dossier_name: str
    used_bytes: int
    free_bytes: int
    bytes_per_day: float | None  # None: too little history for a trend
    history_days: int
    full_on: dt.date | None  # at this pace the free GB is full around this day
    alerts: tuple[QuotaAlertView, ...]


@dataclass(frozen=True, slots=True)
class QuotaInvoiceView:
    """What ``quota_invoice`` did for one client dossier."""

    dossier_id: int
    dossier_name: str
    month: str
    billed_gb: int
    invoice_id: int | None
    state: str | None  # draft | issued
    number: str | None
    created: bool  # made by this call (False: made before, never twice)
    refused: str | None = None


class QuotaBillingService(ServiceBase):
    @requires(None)
    def quota_statements(
        self, user: UserView, month: str, *, today: dt.date | None = None
    ) -> list[StatementView]:
        """Every dossier's statement of ``month`` (``YYYY-MM``), made and kept."""
        try:
            month_bounds(month)
        except ValueError as exc:
            raise Refused(str(exc)) from None
        out = []
        with self.rt.tx() as s:
            self._require_admin(s, user, "see the quota statements")
            for d in repo.list_dossiers(s):
                row = statement_for(s, d, month, today=today)
                if row is not None:
                    out.append(
                        StatementView(
                            dossier_id=d.id,
                            dossier_name=d.name,
                            vat_number=d.vat_number,
                            month=month,
                            peak_bytes=int(row.peak_bytes),
                            free_bytes=int(row.free_bytes),
                            billed_gb=int(row.billed_gb),
                            amount_eur=Decimal(row.amount_eur).quantize(Decimal("0.01")),
                        )
                    )
            if out:
                repo.audit(s, "quota_statements", user_id=user.id, month=month, dossiers=len(out))
        return out

    @requires(None)
    def quota_statements_csv(
        self, user: UserView, month: str, *, today: dt.date | None = None
    ) -> str:
        """The statements as CSV (one row per dossier; names quoted, formulas defused)."""
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(
            ["month", "dossier_id", "dossier", "vat_number", "peak_bytes", "free_bytes",
             "billed_gb", "amount_eur"]
        )  # fmt: skip
        for v in self.quota_statements(user, month, today=today):
            name = v.dossier_name
            if name[:1] in ("=", "+", "-", "@", "\t", "\r"):
                name = "'" + name
            w.writerow(
                [v.month, v.dossier_id, name, v.vat_number or "", v.peak_bytes, v.free_bytes,
                 v.billed_gb, f"{v.amount_eur:.2f}"]
            )  # fmt: skip
        return buf.getvalue()

    # -- alerts ---------------------------------------------------------------------------
    @requires(None)
    def quota_alerts_run(
        self, user: UserView, *, dossier_id: int | None = None, today: dt.date | None = None
    ) -> list[QuotaAlertView]:
        """Mail the quota alerts due now and not sent this month (admins; the worker's
        reconciler and the intake steps run the same check, :mod:`pipeline.quota_alerts`).
        Returns the alerts sent."""
        with self.rt.tx() as s:
            self._require_admin(s, user, "run the quota alerts")
        return qa.run_alerts(self.rt, dossier_id=dossier_id, today=today)

    @requires(Permission.VIEW)
    def quota_outlook(
        self, user: UserView, *, today: dt.date | None = None, limit: int = 200
    ) -> list[QuotaOutlookView]:
        """Per dossier the caller sees: the trend of its use (bytes per day and the day the
        free GB is full at this pace) and the quota alerts sent, newest first."""
        today = today or utcnow().date()
        with self.rt.tx() as s:
            dossiers = repo.list_dossiers(s, self._dossier_ids(s, user))
            history = alert_history(s, [d.id for d in dossiers], limit=limit)
            out = []
            for d in dossiers:
                free = int(d.free_bytes or 0)
                fc = qa.forecast(daily_use(s, d, today, qa.WINDOW_DAYS), today, free)
                out.append(
                    QuotaOutlookView(
                        dossier_id=d.id,
                        dossier_name=d.name,
                        used_bytes=int(d.used_bytes or 0),
                        free_bytes=free,
                        bytes_per_day=fc.bytes_per_day if fc else None,
                        history_days=fc.days if fc else 0,
                        full_on=fc.full_on if fc else None,
                        alerts=tuple(qa.alert_view(a) for a in history if a.dossier_id == d.id),
                    )
                )
            return out

    # -- the firm's invoice -----------------------------------------------------------------
    @requires(None)
    def quota_invoice(
        self,
        user: UserView,
        month: str,
        *,
        issue: bool = False,
        today: dt.date | None = None,
    ) -> list[QuotaInvoiceView]:
        """Turn the ended month's statements into the firm's own sales invoices (admins).

        The firm's dossier (``BOEKBOX_FIRM_DOSSIER``) invoices each client dossier with
        billed GB: one line "Storage above the free GB, <month>: N GB × EUR 1", to the
        customer made from the dossier's company data when the firm has none with its
        VAT number (or name).  Never twice for the same dossier and month: the invoice is
        recorded on the statement in the transaction that makes it.  ``issue`` issues
        the drafts (numbered, PDF and UBL) through the invoicing service."""
        try:
            _, nxt = month_bounds(month)
        except ValueError as exc:
            raise Refused(str(exc)) from None
        today = today or utcnow().date()
        if today < nxt:
            raise Refused(f"{month} has not ended yet; its peak can still grow")
        ref = (self.rt.settings.firm_dossier or "").strip()
        if not ref:
            raise Refused("set BOEKBOX_FIRM_DOSSIER to the firm's own dossier (id or address)")
        with self.rt.tx() as s:
            self._require_admin(s, user, "invoice the storage")
            try:
                firm = repo.get_dossier(s, int(ref) if ref.isdigit() else ref)
            except NotFound:
                raise Refused(f"BOEKBOX_FIRM_DOSSIER names no dossier: {ref[:80]}") from None
            firm_id = firm.id
            clients = [(d.id, d.name) for d in repo.list_dossiers(s) if d.id != firm_id]
        out: list[QuotaInvoiceView] = []
        for did, name in clients:
            try:
                view = self._quota_invoice_one(user, firm_id, did, month, today)
            except (ServiceError, InvoicingError) as exc:
                view = QuotaInvoiceView(did, name, month, 0, None, None, None, False, str(exc))
            if view is None:
                continue
            if issue and view.invoice_id is not None and view.state == "draft":
                try:
                    row = cast(Any, self).issue(user, view.invoice_id, today=today)
                    view = QuotaInvoiceView(
                        did, name, month, view.billed_gb, row.id, row.state, row.number,
                        view.created,
                    )  # fmt: skip
                except ServiceError as exc:
                    view = QuotaInvoiceView(
                        did, name, month, view.billed_gb, view.invoice_id, view.state,
                        view.number, view.created, f"not issued: {exc}",
                    )  # fmt: skip
            out.append(view)
        return out

    def _quota_invoice_one(
        self, user: UserView, firm_id: int, dossier_id: int, month: str, today: dt.date
    ) -> QuotaInvoiceView | None:
        invoicing = cast(Any, self)  # InvoicingService, on the composed Service
        with self.rt.tx() as s:
            d = repo.get_dossier(s, dossier_id)
            if statement_for(s, d, month, today=today) is None:
                return None
            st = lock_statement(s, d.id, month)
            if st is None or not st.billed_gb:
                return None
            if st.invoice_id is not None:
                try:
                    inv = invoice_store.get_invoice(s, int(st.invoice_id))
                except NotFound:
                    inv = None
                if inv is not None:
                    return QuotaInvoiceView(
                        d.id, d.name, month, int(st.billed_gb), inv.id, inv.state, inv.number,
                        False,
                    )  # fmt: skip
                # the invoice was deleted (a draft someone threw away): made again below
            customer_id = self._firm_customer(s, firm_id, d)
            gb = int(st.billed_gb)
            domestic = (d.vat_number or "BE").upper().startswith("BE")
            line = {
                "description": f"Storage above the free GB, {month}: {gb} GB × EUR 1",
                "quantity": str(gb),
                "unit_price": "1.00",
                "vat_rate": "21" if domestic else "0",
                "kind": "services",
            }
            spec = {
                "customer_id": customer_id,
                "vat_case": "domestic" if domestic else "intra_eu_services",
                "lines": [line],
            }
            inv = invoicing._new_draft(s, user, firm_id, spec)
            st.invoice_id = inv.id
            repo.audit(
                s,
                "quota_invoiced",
                user_id=user.id,
                dossier_id=firm_id,
                client_dossier_id=d.id,
                month=month,
                billed_gb=gb,
                invoice_id=inv.id,
            )
            return QuotaInvoiceView(d.id, d.name, month, gb, inv.id, "draft", None, True)

    def _firm_customer(self, s: Any, firm_id: int, client: Any) -> int:
        """The firm's customer for the client dossier: by VAT number, else by name;
        made from the dossier's company data when missing."""
        vat = "".join(ch for ch in (client.vat_number or "").upper() if ch.isalnum()) or None
        for c in invoice_store.list_customers(s, firm_id):
            if (vat and c.vat == vat) or (not vat and c.name == client.name):
                return int(c.id)
        settings = client.settings or {}
        company = dict(((settings.get("invoicing") or {}).get("seller")) or {})
        language = str(settings.get("language") or "nl")
        core = CoreCustomer(
            name=client.name,
            country=(vat or "BE")[:2],
            street=str(company.get("street") or ""),
            postal_code=str(company.get("postal_code") or ""),
            city=str(company.get("city") or ""),
            language=Language(language if language in qa.LANGUAGES else "nl"),
            vat=vat,
            enterprise_number=company.get("enterprise_number") or None,
            email=company.get("email") or None,
        )
        row = cast(Any, self)._store_customer(s, firm_id, core)
        return int(row.id)
