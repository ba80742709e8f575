"""Reports: VAT return grids, storage quota, pipeline timings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pipeline.service.core import Permission, ServiceBase, UserView, requires
from pipeline.service.views import QuotaView, quota_of
from storage import repo


class ReportsService(ServiceBase):
    @requires(Permission.VIEW_BOOKS)
    def vat_return(self, user: UserView, dossier_id: int) -> dict[str, dict[str, Decimal]]:
        """Grid totals per VAT period from booked entries."""
        from booking import vat_return_by_period

        with self.rt.tx() as s:
            self._require(s, user, dossier_id, Permission.VIEW_BOOKS)
            entries = repo.list_entries(s, dossier_id=dossier_id, limit=1_000_000)
            rows = [
                {
                    "vat_period": e.vat_period or e.period,
                    "lines": [
                        {"debit": ln.debit, "credit": ln.credit, "vat_grid": list(ln.vat_grids)}
                        for ln in e.lines
                    ],
                }
                for e in entries
            ]
        return vat_return_by_period(rows)

    @requires(Permission.VIEW)
    def quotas(self, user: UserView) -> list[QuotaView]:
        with self.rt.tx() as s:
            out = []
            for d in repo.list_dossiers(s, self._dossier_ids(s, user)):
                extra, cost = quota_of(d)
                out.append(
                    QuotaView(
                        dossier_id=d.id,
                        dossier_name=d.name,
                        used_bytes=int(d.used_bytes),
                        free_bytes=int(d.free_bytes),
                        documents=int(d.document_count),
                        extra_gb=extra,
                        monthly_cost_eur=cost,
                        used_fraction=int(d.used_bytes) / max(1, int(d.free_bytes)),
                        history=tuple(repo.usage_history(s, d.id)),
                    )
                )
        out.sort(key=lambda q: (-q.used_fraction, q.dossier_name))
        return out

    @requires(Permission.VIEW)
    def stats(self, user: UserView) -> list[Any]:
        """p50/p95 seconds per pipeline step and document type (see pipeline.stats)."""
        from pipeline.stats import summarise

        with self.rt.tx() as s:
            rows = repo.timing_rows(s, self._dossier_ids(s, user))
        return summarise(rows)
