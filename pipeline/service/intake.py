"""Mail intake guards: the daily intake cap per dossier, its alerts, and purging junk.

The SMTP server answers ``452 4.2.2`` to mail past a dossier's daily intake cap
and stores an alert (an audit event ``alert.intake_limit``, once per dossier and
day).  The cap is ``BOEKBOX_INTAKE_BYTES_PER_DAY`` unless the dossier's settings
carry ``intake_bytes_per_day`` (0: no cap).  Junk that got in anyway can be
purged: its bytes leave the dossier's billed storage; booked documents never.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
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
from storage import Conflict, NotFound, intake_guard, repo

__all__ = ["AlertView", "IntakeService", "IntakeView", "PurgeView"]

INTAKE_SETTING = "intake_bytes_per_day"


@dataclass(frozen=True, slots=True)
class AlertView:
    id: int
    dossier_id: int | None
    at: dt.datetime
    kind: str
    message: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class IntakeView:
    dossier_id: int
    #: bytes received today (UTC)
    today_bytes: int
    #: the cap that applies (0: none) and whether the dossier sets its own
    limit_bytes: int
    own_limit: bool


@dataclass(frozen=True, slots=True)
class PurgeView:
    mail_document_id: int
    document_ids: tuple[int, ...]
    freed_bytes: int
    already_purged: bool


def _alert_view(event: Any) -> AlertView:
    detail = dict(event.detail or {})
    kind = event.action.removeprefix(intake_guard.ALERT_PREFIX)
    return AlertView(
        event.id, event.dossier_id, event.at, kind, str(detail.get("message", "")), detail
    )


class IntakeService(ServiceBase):
    @requires(Permission.VIEW)
    def alerts(
        self, user: UserView, dossier_id: int | None = None, *, limit: int = 100
    ) -> list[AlertView]:
        """The newest alerts of the dossiers the caller sees (or of one)."""
        with self.rt.tx() as s:
            ids = self._scope(s, user, dossier_id)
            return [_alert_view(e) for e in intake_guard.list_alerts(s, ids, limit=limit)]

    @requires(Permission.VIEW)
    def intake(self, user: UserView, dossier_id: int) -> IntakeView:
        with self.rt.tx() as s:
            self._check_dossier(s, user, dossier_id)
            d = repo.get_dossier(s, dossier_id)
            own = (d.settings or {}).get(INTAKE_SETTING)
            has_own = isinstance(own, int) and not isinstance(own, bool) and own >= 0
            limit = self.rt.settings.intake_bytes_per_day
            if has_own and isinstance(own, int):
                limit = own
            today = intake_guard.intake_bytes_since(s, dossier_id, intake_guard.day_start())
            return IntakeView(dossier_id, today, limit, has_own)

    @requires(None)
    def set_intake_limit(
        self, user: UserView, dossier_id: int, bytes_per_day: int | None
    ) -> IntakeView:
        """Set a dossier's daily intake cap (0: none; None: back to the default). Admins."""
        if bytes_per_day is not None and bytes_per_day < 0:
            raise ServiceError("the intake limit is a number of bytes, 0 or more")
        with self.rt.tx() as s:
            self._require_admin(s, user, "change the intake limit")
            d = repo.get_dossier(s, dossier_id)
            settings = dict(d.settings or {})
            if bytes_per_day is None:
                settings.pop(INTAKE_SETTING, None)
            else:
                settings[INTAKE_SETTING] = int(bytes_per_day)
            d.settings = settings
            repo.audit(
                s, "intake_limit_set", user_id=user.id, dossier_id=d.id, bytes_per_day=bytes_per_day
            )
        return self.intake(user, dossier_id)

    @requires(Permission.CLOSE_PERIODS)  # accountant-level: it changes what is billed
    def purge_junk(
        self, user: UserView, dossier_id: int, document_ids: Sequence[int]
    ) -> list[PurgeView]:
        """Purge the mails behind ``document_ids`` as junk (audited); never booked ones."""
        if not document_ids:
            raise ServiceError("name the documents (or mails) to purge")
        who = user.display_name or user.username
        out: list[PurgeView] = []
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, Permission.CLOSE_PERIODS)
            for doc_id in document_ids:
                try:
                    done = intake_guard.purge_mail(
                        s, dossier_id, doc_id, reason=f"Purged as junk by {who}"
                    )
                except NotFound:
                    raise ServiceError(f"document {doc_id} does not exist") from None
                except Conflict as exc:
                    raise Refused(f"document {doc_id}: {exc}") from None
                if not done.already:
                    repo.audit(
                        s, "junk_purged", user_id=user.id, dossier_id=dossier_id,
                        document_id=done.mail_document_id, documents=list(done.document_ids),
                        freed_bytes=done.freed_bytes,
                    )  # fmt: skip
                out.append(
                    PurgeView(
                        done.mail_document_id, done.document_ids, done.freed_bytes, done.already
                    )
                )
        return out
