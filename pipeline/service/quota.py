"""Quota, billed: the monthly usage statement per dossier, kept per month and exported
as CSV for the firm's own billing (see :mod:`storage.quota` for what counts).
The firm bills its clients, so statements are for admins."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from pipeline.service.core import Refused, ServiceBase, UserView, requires
from storage import repo
from storage.quota import month_bounds, statement_for

__all__ = ["QuotaBillingService", "StatementView"]


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
