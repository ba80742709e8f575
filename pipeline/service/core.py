"""The shared access-check core of the service.

Every service capability module (users, dossiers, documents, bookings, reports, …)
builds on :class:`ServiceBase`.  Access is decided here and only here:

* who the caller is *now*: the stored user row is read on every check, so a disabled
  user or a changed role takes effect on the next call, not at the next login;
* what the caller may do *in this dossier*: the role of the dossier membership maps
  to a set of :class:`Permission` (admins hold every permission everywhere);
* which permission each public service method needs: declared once per method with
  :func:`requires`, collected in :data:`REQUIRED` (tests run every method against it).

A document or dossier the caller cannot see answers exactly like one that does not
exist, so ids of other firms' clients cannot be probed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from pipeline.runtime import Runtime, get_runtime
from storage import NotFound, repo, rights
from storage.models import Document

log = logging.getLogger("pipeline.service")

__all__ = [
    "REQUIRED",
    "ROLES",
    "ROLE_PERMISSIONS",
    "SYSTEM",
    "AccessDenied",
    "Permission",
    "Refused",
    "ServiceBase",
    "ServiceError",
    "UserView",
    "permissions_of",
    "requires",
]


# ----------------------------------------------------------------------------- errors


class ServiceError(Exception):
    """A command the service refuses, with a reason for the user."""


class AccessDenied(ServiceError):
    pass


class Refused(ServiceError):
    """A command refused on the merits (unbalanced, locked period, wrong state)."""


# ----------------------------------------------------------------------------- permissions


class Permission(StrEnum):
    """What a user may do in one dossier."""

    VIEW = "view"  # see the dossier and its documents
    UPLOAD = "upload"
    VIEW_BOOKS = "view_books"
    BOOK_PURCHASES = "book_purchases"
    BOOK_SALES = "book_sales"
    INVOICE = "invoice"
    MANAGE_PAYMENTS = "manage_payments"
    MANUAL_ENTRIES = "manual_entries"
    CLOSE_PERIODS = "close_periods"
    MANAGE_USERS = "manage_users"


P = Permission

#: Global roles of a user account.
ROLES = ("admin", "accountant", "entrepreneur")

#: Named presets of the role held in a dossier membership.
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "admin": frozenset(Permission),
    "accountant": frozenset(Permission),
    "client_bookkeeper": frozenset(
        {
            P.VIEW,
            P.UPLOAD,
            P.VIEW_BOOKS,
            P.BOOK_PURCHASES,
            P.BOOK_SALES,
            P.INVOICE,
            P.MANAGE_PAYMENTS,
            P.MANUAL_ENTRIES,
        }
    ),
    # the client portal: upload, find documents, read the books, invoice
    "client_portal": frozenset({P.VIEW, P.UPLOAD, P.VIEW_BOOKS, P.INVOICE}),
}
ROLE_PERMISSIONS["entrepreneur"] = ROLE_PERMISSIONS["client_portal"]


def permissions_of(role: str, explicit: Any = None) -> frozenset[Permission]:
    """What a membership allows: its own set when the accountant set one, else its role's."""
    if explicit is not None:
        held = {Permission(p) for p in explicit if p in _VALUES}
        return frozenset(held | {P.VIEW}) if held else frozenset({P.VIEW})
    return ROLE_PERMISSIONS.get(role, frozenset())


_VALUES = frozenset(p.value for p in Permission)


#: Public service method name -> the permission it needs in the dossier it touches
#: (``None``: no dossier permission, the method checks what it needs itself, e.g. admin).
REQUIRED: dict[str, Permission | None] = {}

F = TypeVar("F", bound=Callable[..., Any])


def requires(permission: Permission | None) -> Callable[[F], F]:
    """Declare the permission a service method needs (see :data:`REQUIRED`)."""

    def mark(fn: F) -> F:
        REQUIRED[fn.__name__] = permission
        fn.__boekbox_permission__ = permission  # type: ignore[attr-defined]
        return fn

    return mark


# ----------------------------------------------------------------------------- the caller


@dataclass(frozen=True, slots=True)
class UserView:
    id: int | None
    username: str
    role: str
    display_name: str = ""
    email: str | None = None  # where notices go; None = no address known

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def can_book(self) -> bool:
        """UI hint only; the service decides per dossier."""
        return self.role in {"admin", "accountant"}


SYSTEM = UserView(id=None, username="system", role="admin", display_name="boekbox")


# ----------------------------------------------------------------------------- base


class ServiceBase:
    """Runtime access and the access checks every capability module uses."""

    def __init__(self, runtime: Runtime | None = None) -> None:
        self._rt = runtime

    @property
    def rt(self) -> Runtime:
        return self._rt or get_runtime()

    # -- who is calling -----------------------------------------------------------------
    def _current_role(self, s: Any, user: UserView) -> str:
        """The caller's global role as stored now; refuses disabled or deleted users."""
        if user.id is None:
            return user.role  # the system itself (CLI, pipeline)
        stored = repo.user_access(s, user.id)
        if stored is None or not stored[1]:
            raise AccessDenied("this account is disabled")
        return stored[0]

    def _is_admin(self, s: Any, user: UserView) -> bool:
        return self._current_role(s, user) == "admin"

    def _require_admin(self, s: Any, user: UserView, what: str) -> None:
        if not self._is_admin(s, user):
            raise AccessDenied(f"only admins {what}")

    def _dossier_ids(self, s: Any, user: UserView) -> list[int] | None:
        """The dossiers the caller may see; None means every dossier (admin)."""
        if self._is_admin(s, user):
            return None
        if user.id is None:
            return []
        return repo.member_dossier_ids(s, user.id)

    def _permissions(self, s: Any, user: UserView, dossier_id: int) -> frozenset[Permission]:
        if self._is_admin(s, user):
            return ROLE_PERMISSIONS["admin"]
        if user.id is None:
            return frozenset()
        member = rights.get_membership(s, user.id, dossier_id)
        if member is None:
            return frozenset()
        return permissions_of(member.role, member.permissions)

    def _require(
        self, s: Any, user: UserView, dossier_id: int, permission: Permission = P.VIEW
    ) -> None:
        """Refuse unless the caller holds ``permission`` in ``dossier_id``."""
        _check(self._permissions(s, user, dossier_id), permission)

    def _check_dossier(self, s: Any, user: UserView, dossier_id: int) -> None:
        self._require(s, user, dossier_id, P.VIEW)

    def _scope(self, s: Any, user: UserView, dossier_id: int | None) -> list[int] | None:
        ids = self._dossier_ids(s, user)
        if dossier_id is None:
            return ids
        if ids is not None and dossier_id not in ids:
            raise AccessDenied("you have no access to this dossier")
        return [dossier_id]

    def _document(
        self,
        s: Any,
        user: UserView,
        doc_id: int,
        *,
        lock: bool = False,
        permission: Permission = P.VIEW,
    ) -> Document:
        """The document, if the caller may see it; a foreign one answers like a missing one."""
        missing = ServiceError(f"document {doc_id} does not exist")
        try:
            doc = repo.get_document(s, doc_id, lock=lock)
        except NotFound:
            raise missing from None
        held = self._permissions(s, user, doc.dossier_id)  # read once: user and membership
        if P.VIEW not in held:
            raise missing
        if permission is P.BOOK_PURCHASES:
            permission = self._booking_permission(s, doc)
        _check(held, permission)
        return doc

    def _booking_permission(self, s: Any, doc: Document) -> Permission:
        """Booking a document is booking a purchase, unless its entry is in the sales journal."""
        entry = repo.entry_for_document(s, doc.id)
        if entry is not None and entry.journal == "sales":
            return P.BOOK_SALES
        return P.BOOK_PURCHASES

    # -- the pipeline -------------------------------------------------------------------
    def _send(self, doc_id: int, kind: str, state: str) -> None:
        """Send the next step; the document is stored already, so a broker outage
        only delays it (the reconciler re-sends documents left waiting)."""
        from pipeline.actors import enqueue_for_state

        try:
            enqueue_for_state(doc_id, kind, state)
        except Exception as exc:
            log.warning(
                "document %s stored; queueing it failed (%s), the reconciler will send it",
                doc_id,
                exc,
            )


def _check(held: frozenset[Permission], permission: Permission) -> None:
    """Refuse unless ``held`` (one dossier's rights) includes ``permission``."""
    if P.VIEW not in held:
        raise AccessDenied("you have no access to this dossier")
    if permission not in held:
        raise AccessDenied(f"you do not have the right to {_WHAT[permission]} in this dossier")


_WHAT: dict[Permission, str] = {
    P.VIEW: "see this dossier",
    P.UPLOAD: "upload documents",
    P.VIEW_BOOKS: "see the books",
    P.BOOK_PURCHASES: "book purchases",
    P.BOOK_SALES: "book sales",
    P.INVOICE: "issue invoices",
    P.MANAGE_PAYMENTS: "manage payments",
    P.MANUAL_ENTRIES: "make manual entries",
    P.CLOSE_PERIODS: "close periods",
    P.MANAGE_USERS: "manage users",
}
