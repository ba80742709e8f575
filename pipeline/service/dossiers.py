"""Dossiers, their suppliers (auto-booking policy) and chart of accounts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pipeline.service.core import (
    Permission,
    Refused,
    ServiceBase,
    ServiceError,
    UserView,
    requires,
)
from pipeline.service.views import (
    AccountView,
    DossierView,
    SupplierView,
    dossier_view,
    supplier_view,
)
from storage import NotFound, repo


class DossiersService(ServiceBase):
    @requires(Permission.VIEW)
    def dossiers(self, user: UserView) -> list[DossierView]:
        with self.rt.tx() as s:
            return [dossier_view(d) for d in repo.list_dossiers(s, self._dossier_ids(s, user))]

    @requires(Permission.VIEW)
    def dossier(self, user: UserView, ref: int | str) -> DossierView:
        """A dossier by id or address; one the caller cannot see answers like a missing one."""
        with self.rt.tx() as s:
            try:
                d = repo.get_dossier(s, ref)
            except NotFound as exc:
                raise ServiceError(str(exc)) from None
            if Permission.VIEW not in self._permissions(s, user, d.id):
                raise ServiceError(f"unknown dossier: {ref}")
            return dossier_view(d)

    @requires(None)
    def create_dossier(
        self,
        user: UserView,
        name: str,
        *,
        vat_number: str | None = None,
        allowed_senders: Sequence[str] = (),
        mailbox_local: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> DossierView:
        from booking import starter_chart

        if not name.strip():
            raise ServiceError("a dossier needs a name")
        local = mailbox_local or f"{_slug(name)}-{repo.new_mailbox_token()}"
        address = f"{local}@{self.rt.settings.mail_domain}"
        with self.rt.tx() as s:
            self._require_admin(s, user, "create dossiers")
            if repo.find_dossier_by_address(s, address) is not None:
                raise ServiceError(f"address {address} is taken")
            d = repo.create_dossier(
                s,
                name=name.strip(),
                mailbox=address,
                vat_number=_compact(vat_number),
                allowed_senders=allowed_senders,
                settings=settings,
            )
            repo.install_accounts(
                s,
                d.id,
                (
                    {
                        "number": a.number,
                        "name_nl": a.name_nl,
                        "name_fr": a.name_fr,
                        "kind": str(a.kind),
                        "grid": a.grid,
                    }
                    for a in starter_chart()
                ),
            )
            repo.audit(s, "dossier_created", user_id=user.id, dossier_id=d.id, name=name)
            return dossier_view(d)

    @requires(None)
    def update_dossier(
        self,
        user: UserView,
        dossier_id: int,
        *,
        allowed_senders: Sequence[str] | None = None,
        enabled: bool | None = None,
        settings: dict[str, Any] | None = None,
    ) -> DossierView:
        with self.rt.tx() as s:
            self._require_admin(s, user, "change dossiers")
            d = repo.get_dossier(s, dossier_id)
            if allowed_senders is not None:
                d.allowed_senders = [a.strip().lower() for a in allowed_senders if a.strip()]
            if enabled is not None:
                d.enabled = enabled
            if settings is not None:
                d.settings = {**(d.settings or {}), **settings}
            repo.audit(s, "dossier_updated", user_id=user.id, dossier_id=d.id)
            return dossier_view(d)

    @requires(Permission.VIEW)
    def suppliers(self, user: UserView, dossier_id: int) -> list[SupplierView]:
        with self.rt.tx() as s:
            self._check_dossier(s, user, dossier_id)
            return [supplier_view(sup) for sup in repo.list_suppliers(s, dossier_id)]

    @requires(Permission.BOOK_PURCHASES)
    def set_supplier_policy(
        self,
        user: UserView,
        supplier_id: int,
        *,
        autobook: str,
        after: int | None = None,
        default_account: str | None = None,
    ) -> SupplierView:
        """Auto-booking as the accountant sets it: ``never`` (default), ``after_n``
        unedited confirmations in a row, or ``always``; plus the supplier's default account."""
        from booking import AutobookMode

        try:
            mode = AutobookMode(autobook)
        except ValueError:
            raise Refused(
                f"auto-booking must be one of {', '.join(m.value for m in AutobookMode)}"
            ) from None
        if after is not None and after < 1:
            raise Refused("auto-booking after N confirmations needs N >= 1")
        with self.rt.tx() as s:
            try:
                sup = repo.get_supplier(s, supplier_id)
            except NotFound:
                raise ServiceError(f"supplier {supplier_id} does not exist") from None
            self._require(s, user, sup.dossier_id, Permission.BOOK_PURCHASES)
            sup.autobook_policy = mode.value
            if after is not None:
                sup.autobook_after = after
            if default_account is not None:
                sup.default_account = default_account.strip() or None
            repo.audit(
                s,
                "supplier_policy",
                user_id=user.id,
                dossier_id=sup.dossier_id,
                supplier_id=sup.id,
                autobook=mode.value,
                after=sup.autobook_after,
            )
            return supplier_view(sup)

    @requires(Permission.VIEW)
    def accounts(self, user: UserView, dossier_id: int) -> list[AccountView]:
        with self.rt.tx() as s:
            self._check_dossier(s, user, dossier_id)
            return [
                AccountView(a.number, a.name_nl, a.name_fr, a.kind)
                for a in repo.list_accounts(s, dossier_id)
            ]


def _slug(name: str) -> str:
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = "".join(ch if ch.isalnum() else "-" for ch in ascii_name.lower())
    slug = "-".join(part for part in slug.split("-") if part)
    return (slug or "dossier")[:40]


def _compact(vat: str | None) -> str | None:
    if not vat:
        return None
    return "".join(ch for ch in vat.upper() if ch.isalnum())
