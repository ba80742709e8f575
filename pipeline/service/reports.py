"""Reports: VAT return grids, storage quota, pipeline timings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pipeline.service.core import Permission, Refused, ServiceBase, UserView, requires
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

    @requires(Permission.VIEW_BOOKS)
    def vat_export(
        self, user: UserView, dossier_id: int, period: str, kind: str = "return"
    ) -> bytes:
        """Intervat XML of booked entries: the periodic return (``2026-Q1`` or ``2026-03``),
        the annual client listing (``kind="clients"``, the period's year) or the intra-EU
        listing (``kind="intra"``).  Refused with the reason when the data cannot be filed."""
        from booking import intervat, vat_return

        try:
            vat_period = (
                intervat.VatPeriod(int(period))
                if kind == "clients" and period.isdigit()
                else intervat.parse_period(period)
            )
        except (intervat.IntervatError, ValueError) as exc:
            raise Refused(str(exc)) from None
        if kind not in ("return", "clients", "intra"):
            raise Refused(f"unknown export {kind!r}: return, clients or intra")
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, Permission.VIEW_BOOKS)
            d = repo.get_dossier(s, dossier_id)
            settings = d.settings or {}
            declarant = intervat.Declarant(
                vat=d.vat_number or "",
                name=d.name,
                street=str(settings.get("street") or ""),
                postcode=str(settings.get("postcode") or ""),
                city=str(settings.get("city") or ""),
                email=str(settings.get("email") or ""),
                phone=str(settings.get("phone") or ""),
            )
            year = str(vat_period.year)
            months = set(vat_period.months())
            rows = []
            for e in repo.list_entries(s, dossier_id=dossier_id, limit=1_000_000):
                own = e.vat_period or e.period
                inside = (
                    own.startswith(year)
                    if kind == "clients"
                    else own in months or own == vat_period.key
                )
                if not inside:
                    continue
                vat = repo.get_supplier(s, e.supplier_id).vat_number if e.supplier_id else None
                rows.append(
                    {
                        "counterparty_vat": vat,
                        "lines": [
                            {
                                "debit": ln.debit,
                                "credit": ln.credit,
                                "vat_grid": list(ln.vat_grids),
                                "vat_code": ln.vat_code,
                            }
                            for ln in e.lines
                        ],
                    }
                )
        try:
            if kind == "return":
                grids = vat_return(rows)
                return intervat.vat_return_xml(intervat.VatReturn(declarant, vat_period, grids))
            if kind == "clients":
                clients = intervat.client_listing_from_entries(rows)
                return intervat.client_listing_xml(declarant, vat_period.year, clients)
            return intervat.intra_listing_xml(
                declarant, vat_period, intervat.intra_listing_from_entries(rows)
            )
        except intervat.IntervatError as exc:
            raise Refused(str(exc)) from None

    @requires(None)
    def import_rates(self, user: UserView, data: bytes) -> int:
        """Load an ECB reference-rate CSV (eurofxref-hist.csv); returns the rates stored.

        Admins only.  The whole file is checked before anything is stored.
        """
        from booking.currency import RateTableError, parse_ecb_csv

        try:
            table = parse_ecb_csv(data)
        except RateTableError as exc:
            raise Refused(f"rate file refused: {exc}") from None
        rows = ((cur, day, rate) for cur, series in table.rates.items() for day, rate in series)
        with self.rt.tx() as s:
            self._require_admin(s, user, "import exchange rates")
            return repo.store_rates(s, rows)

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
