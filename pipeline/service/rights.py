"""Rights per dossier: who may do what, decided by the dossier's accountant, audited.

A membership holds a role (a named preset of permissions, see
:data:`pipeline.service.core.ROLE_PERMISSIONS`) and, when the accountant sets them one
by one, its own permission set.  Whoever holds ``manage_users`` in a dossier may change
its members' rights, but never grant a permission they do not hold themselves, never
make an admin, and never take ``manage_users`` away from themselves (the dossier would
have nobody left to manage it).  Every change is audited with who, when, before and after.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pipeline.service.core import (
    ROLE_PERMISSIONS,
    AccessDenied,
    Permission,
    Refused,
    ServiceBase,
    ServiceError,
    UserView,
    permissions_of,
    requires,
)
from storage import repo, rights

P = Permission

#: the presets an accountant can hand out (admin is a global role, not a dossier right)
MEMBER_ROLES = ("accountant", "client_bookkeeper", "client_portal")


@dataclass(frozen=True, slots=True)
class MemberRights:
    username: str
    display_name: str
    role: str
    permissions: tuple[str, ...]
    custom: bool  # set one by one rather than the role's preset
    active: bool


@dataclass(frozen=True, slots=True)
class RightsChange:
    at: dt.datetime
    by_user_id: int | None
    action: str
    detail: dict[str, Any]


def _names(perms: Iterable[Permission]) -> tuple[str, ...]:
    return tuple(sorted(p.value for p in perms))


def _parse(names: Iterable[str]) -> set[Permission]:
    out = set()
    for name in names:
        try:
            out.add(Permission(name.strip()))
        except ValueError:
            known = ", ".join(p.value for p in Permission)
            raise Refused(f"unknown permission {name!r} (known: {known})") from None
    return out


class RightsService(ServiceBase):
    @requires(Permission.VIEW)
    def my_permissions(self, user: UserView, dossier_id: int) -> frozenset[Permission]:
        """What ``user`` may do in the dossier (for the UI to offer only that)."""
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW)
            return self._permissions(s, user, dossier_id)

    @requires(Permission.MANAGE_USERS)
    def rights(self, caller: UserView, dossier_id: int) -> list[MemberRights]:
        with self.rt.tx() as s:
            self._require(s, caller, dossier_id, P.MANAGE_USERS)
            return [
                MemberRights(
                    u.username,
                    u.display_name,
                    m.role,
                    _names(permissions_of(m.role, m.permissions)),
                    m.permissions is not None,
                    bool(u.active),
                )
                for u, m in rights.memberships(s, dossier_id)
            ]

    @requires(Permission.MANAGE_USERS)
    def set_rights(
        self,
        caller: UserView,
        dossier_id: int,
        username: str,
        *,
        role: str | None = None,
        permissions: Iterable[str] | None = None,
        grant: Iterable[str] = (),
        revoke: Iterable[str] = (),
    ) -> MemberRights:
        """Add ``username`` to the dossier or change their rights there.

        ``role`` picks a preset; ``permissions`` sets the whole set; ``grant`` and
        ``revoke`` adjust the current one.  Refused, with nothing saved, for an unknown
        user or permission, or a right the caller does not hold.
        """
        if role is not None and role not in MEMBER_ROLES:
            raise Refused(f"role must be one of {', '.join(MEMBER_ROLES)}")
        wanted_all = None if permissions is None else _parse(permissions)
        to_grant, to_revoke = _parse(grant), _parse(revoke)
        with self.rt.tx() as s:
            self._require(s, caller, dossier_id, P.MANAGE_USERS)
            user = repo.get_user(s, username)
            if user is None:
                raise ServiceError(f"unknown user {username}: create the login first")
            member = rights.get_membership(s, user.id, dossier_id)
            before_role = member.role if member else None
            before = permissions_of(member.role, member.permissions) if member else frozenset()
            new_role = role or before_role or "client_portal"
            if wanted_all is not None:
                held = set(wanted_all)
            elif role is not None and not to_grant and not to_revoke:
                held = set(ROLE_PERMISSIONS[new_role])
            else:
                held = set(before) if member else set(ROLE_PERMISSIONS[new_role])
            held = (held | to_grant) - to_revoke
            held.add(P.VIEW)
            mine = self._permissions(s, caller, dossier_id)
            beyond = (held - set(before)) - set(mine)
            if beyond:
                raise AccessDenied(
                    "you cannot grant rights you do not hold: " + ", ".join(_names(beyond))
                )
            if user.id == caller.id and P.MANAGE_USERS in before and P.MANAGE_USERS not in held:
                raise Refused("you cannot take the right to manage users away from yourself")
            preset = frozenset(ROLE_PERMISSIONS[new_role])
            explicit = None if frozenset(held) == preset else [p.value for p in held]
            row = rights.set_membership(s, user.id, dossier_id, new_role, explicit)
            after = permissions_of(row.role, row.permissions)
            repo.audit(
                s,
                "rights_changed" if member else "member_added",
                user_id=caller.id,
                dossier_id=dossier_id,
                username=user.username,
                role_before=before_role,
                role=new_role,
                before=list(_names(before)),
                after=list(_names(after)),
            )
            return MemberRights(
                user.username,
                user.display_name,
                row.role,
                _names(after),
                row.permissions is not None,
                bool(user.active),
            )

    @requires(Permission.MANAGE_USERS)
    def remove_member(self, caller: UserView, dossier_id: int, username: str) -> str:
        """Take ``username`` out of the dossier; returns the user name."""
        with self.rt.tx() as s:
            self._require(s, caller, dossier_id, P.MANAGE_USERS)
            user = repo.get_user(s, username)
            if user is None:
                raise ServiceError(f"unknown user {username}")
            if user.id == caller.id:
                raise Refused("you cannot remove yourself from a dossier")
            if not rights.drop_membership(s, user.id, dossier_id):
                raise ServiceError(f"{username} is not a member of this dossier")
            repo.audit(
                s, "member_removed", user_id=caller.id, dossier_id=dossier_id, username=username
            )
            return user.username

    @requires(Permission.MANAGE_USERS)
    def rights_history(self, caller: UserView, dossier_id: int) -> list[RightsChange]:
        with self.rt.tx() as s:
            self._require(s, caller, dossier_id, P.MANAGE_USERS)
            return [
                RightsChange(e.at, e.user_id, e.action, dict(e.detail or {}))
                for e in rights.rights_history(s, dossier_id)
            ]
