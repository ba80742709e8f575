"""The archive: retention dates, legal holds, purges, dossier deletion, integrity
checks, export and import of a dossier.

Permissions: holds and purges need ``close_periods`` in the dossier (the accountant's
right to close the books; a client role never holds it); export needs ``view_books``
(everything in it is readable with view + view_books); deleting or importing a dossier
and checking the whole blob store are for admins.  Whatever the role, nothing is
deleted before its retention date or while a legal hold is on (storage.retention).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Any

from pipeline.service.core import (
    Permission,
    Refused,
    ServiceBase,
    ServiceError,
    UserView,
    requires,
)
from storage import Conflict, NotFound, StorageError, repo


@dataclass(frozen=True, slots=True)
class RetentionView:
    document_id: int
    retain_until: dt.date
    legal_hold: bool


class ArchiveService(ServiceBase):
    @requires(Permission.VIEW)
    def retention(self, user: UserView, doc_id: int) -> RetentionView:
        from storage.retention import document_retention

        with self.rt.tx() as s:
            self._document(s, user, doc_id)
            ret = document_retention(s, doc_id)
            return RetentionView(doc_id, ret.retain_until, ret.held)

    @requires(Permission.VIEW)
    def retention_years(self, user: UserView, dossier_id: int) -> int:
        """How many years the dossier keeps its documents and books (default 10)."""
        from storage.retention import retention_years

        with self.rt.tx() as s:
            self._require(s, user, dossier_id, Permission.VIEW)
            return retention_years(repo.get_dossier(s, dossier_id))

    @requires(Permission.CLOSE_PERIODS)
    def set_retention_years(self, user: UserView, dossier_id: int, years: int) -> int:
        """Set the dossier's retention in years (never below 7, company law's minimum;
        at most 100); audited with the old and the new value."""
        from storage.retention import MIN_RETENTION_YEARS, retention_years

        if isinstance(years, bool) or not isinstance(years, int):
            raise Refused("the retention is a whole number of years")
        if years < MIN_RETENTION_YEARS:
            raise Refused(
                f"the retention cannot be below {MIN_RETENTION_YEARS} years (company law)"
            )
        if years > 100:
            raise Refused("the retention is at most 100 years")
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, Permission.CLOSE_PERIODS)
            d = repo.get_dossier(s, dossier_id)
            old = retention_years(d)
            if old != years or "retention_years" not in (d.settings or {}):
                d.settings = {**(d.settings or {}), "retention_years": years}
                repo.audit(
                    s,
                    "retention_years",
                    user_id=user.id,
                    dossier_id=dossier_id,
                    old=old,
                    new=years,
                )
            return years

    @requires(Permission.CLOSE_PERIODS)
    def set_legal_hold(
        self, user: UserView, dossier_id: int, on: bool, *, document_id: int | None = None
    ) -> None:
        from storage.retention import set_hold

        with self.rt.tx() as s:
            self._require(s, user, dossier_id, Permission.CLOSE_PERIODS)
            try:
                set_hold(s, dossier_id, document_id=document_id, on=on, user_id=user.id)
            except NotFound as exc:
                raise ServiceError(str(exc)) from None

    @requires(Permission.CLOSE_PERIODS)
    def purge(
        self,
        user: UserView,
        dossier_id: int,
        *,
        dry_run: bool = True,
        today: dt.date | None = None,
    ) -> dict[str, Any]:
        """Delete (dry run: list) what of the dossier is past its retention date."""
        from storage.retention import run_purge

        with self.rt.tx() as s:
            self._require(s, user, dossier_id, Permission.CLOSE_PERIODS)
        return run_purge(
            self.rt.tx, self.rt.blobs, dossier_id, today=today, dry_run=dry_run, user_id=user.id
        ).as_dict()

    @requires(Permission.CLOSE_PERIODS)
    def purge_log(
        self, user: UserView, dossier_id: int, *, limit: int = 200
    ) -> list[dict[str, Any]]:
        """What purges of the dossier deleted, newest first."""
        from storage.retention import purge_log

        with self.rt.tx() as s:
            self._require(s, user, dossier_id, Permission.CLOSE_PERIODS)
            return purge_log(s, dossier_id, limit=limit)

    @requires(None)
    def delete_dossier(
        self, user: UserView, dossier_id: int, *, today: dt.date | None = None
    ) -> dict[str, Any]:
        """Delete a dossier: refused while anything of it is retained or held."""
        from storage.retention import delete_dossier

        with self.rt.tx() as s:
            self._require_admin(s, user, "delete dossiers")
        try:
            report = delete_dossier(
                self.rt.tx, self.rt.blobs, dossier_id, today=today, user_id=user.id
            )
        except Conflict as exc:
            raise Refused(f"the dossier cannot be deleted: {exc}") from None
        except NotFound as exc:
            raise ServiceError(str(exc)) from None
        return report.as_dict()

    @requires(None)
    def verify_blobs(
        self, user: UserView, *, dossier_id: int | None = None, sample: int | None = None
    ) -> dict[str, Any]:
        """Re-hash the stored blobs (admins)."""
        from storage.integrity import verify_blobs

        with self.rt.tx() as s:
            self._require_admin(s, user, "check the blob store")
        return verify_blobs(
            self.rt.tx, self.rt.blobs, dossier_id=dossier_id, sample=sample
        ).as_dict()

    @requires(Permission.VIEW_BOOKS)
    def export_dossier(
        self, user: UserView, dossier_id: int, target: str | os.PathLike[str]
    ) -> dict[str, Any]:
        from storage.dossier_archive import export_dossier

        with self.rt.tx() as s:
            self._require(s, user, dossier_id, Permission.VIEW_BOOKS)
        try:
            return export_dossier(self.rt.tx, self.rt.blobs, dossier_id, target).as_dict()
        except (NotFound, StorageError, OSError) as exc:
            raise ServiceError(f"export failed: {exc}") from None

    @requires(None)
    def import_dossier(self, user: UserView, source: str | os.PathLike[str]) -> dict[str, Any]:
        """A new dossier from an archive (admins); a tampered archive is refused."""
        from storage.dossier_archive import ArchiveRefused, import_dossier

        with self.rt.tx() as s:
            self._require_admin(s, user, "import dossiers")
        mailbox = f"import-{repo.new_mailbox_token()}@{self.rt.settings.mail_domain}"
        try:
            dossier_id, counts = import_dossier(self.rt.tx, self.rt.blobs, source, mailbox=mailbox)
        except ArchiveRefused as exc:
            raise Refused(f"archive refused: {exc}") from None
        return {"dossier_id": dossier_id, "mailbox": mailbox, **counts}
