"""Users: log-in, accounts and dossier memberships."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.email_address import InvalidEmail, normalise_email
from pipeline.service.core import (
    ROLE_PERMISSIONS,
    ROLES,
    AccessDenied,
    Permission,
    ServiceBase,
    ServiceError,
    UserView,
    requires,
)
from storage import repo
from storage import sessions as session_store

if TYPE_CHECKING:
    from storage.models import User

MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True, slots=True)
class AccountRow:
    """A user account as the admin sees it."""

    id: int
    username: str
    role: str
    display_name: str
    active: bool
    created_at: dt.datetime
    dossiers: tuple[tuple[int, str], ...]  # (dossier id, role in it)
    email: str | None = None  # where notices (quota alerts) go


def _email(value: str | None) -> str | None:
    """A validated address, None for "no address" (None or blank), else ServiceError."""
    if value is None or not value.strip():
        return None
    try:
        return normalise_email(value)
    except InvalidEmail as exc:
        raise ServiceError(f"{exc}") from None


def _view(user: User) -> UserView:
    return UserView(user.id, user.username, user.role, user.display_name, user.email)


class UsersService(ServiceBase):
    @requires(None)
    def authenticate(self, username: str, password: str) -> UserView | None:
        from pipeline.passwords import verify_password

        with self.rt.tx() as s:
            user = repo.get_user(s, username)
            if user is None or not user.active:
                verify_password("x", None)  # same time whether or not the user exists
                return None
            if not verify_password(password, user.password_hash):
                return None
            return _view(user)

    @requires(None)
    def user(self, username: str) -> UserView | None:
        with self.rt.tx() as s:
            user = repo.get_user(s, username)
            if user is None or not user.active:
                return None
            return _view(user)

    @requires(None)
    def add_user(
        self,
        caller: UserView,
        username: str,
        password: str,
        role: str,
        dossiers: Sequence[int] = (),
        email: str | None = None,
    ) -> UserView:
        """A new login; ``email`` (optional, validated) is where its notices go."""
        from pipeline.passwords import hash_password

        if role not in ROLES:
            raise ServiceError(f"role must be one of {', '.join(ROLES)}")
        address = _email(email)
        with self.rt.tx() as s:
            self._require_admin(s, caller, "add users")
            if repo.get_user(s, username) is not None:
                raise ServiceError(f"user {username} already exists")
            user = repo.create_user(
                s, username=username, password_hash=hash_password(password), role=role
            )
            user.email = address
            for dossier_id in dossiers:
                repo.add_membership(s, user.id, dossier_id, role)
            repo.audit(
                s, "user_added", user_id=caller.id, username=username, role=role, email=address
            )
            return _view(user)

    @requires(Permission.MANAGE_USERS)
    def add_member(self, caller: UserView, dossier_id: int, username: str, role: str) -> None:
        """Give ``username`` a role (a permission preset) in the dossier."""
        if role not in ROLE_PERMISSIONS:
            raise ServiceError(f"role must be one of {', '.join(sorted(ROLE_PERMISSIONS))}")
        with self.rt.tx() as s:
            self._require(s, caller, dossier_id, Permission.MANAGE_USERS)
            if not self._is_admin(s, caller):
                if role == "admin":
                    raise AccessDenied("only admins make admins")
                beyond = ROLE_PERMISSIONS[role] - self._permissions(s, caller, dossier_id)
                if beyond:
                    raise AccessDenied(
                        "you cannot grant rights you do not hold: "
                        + ", ".join(sorted(p.value for p in beyond))
                    )
            user = repo.get_user(s, username)
            if user is None:
                raise ServiceError(f"unknown user {username}")
            repo.add_membership(s, user.id, dossier_id, role)
            repo.audit(
                s,
                "member_added",
                user_id=caller.id,
                dossier_id=dossier_id,
                username=username,
                role=role,
            )

    @requires(Permission.VIEW)
    def members(self, caller: UserView, dossier_id: int) -> list[tuple[str, str]]:
        with self.rt.tx() as s:
            self._check_dossier(s, caller, dossier_id)
            return [(u.username, role) for u, role in repo.dossier_members(s, dossier_id)]

    # -- administration -----------------------------------------------------------------
    @requires(None)
    def list_users(self, caller: UserView) -> list[AccountRow]:
        from storage.models import Membership

        with self.rt.tx() as s:
            self._require_admin(s, caller, "list users")
            roles: dict[int, list[tuple[int, str]]] = {}
            for m in s.query(Membership).order_by(Membership.dossier_id):
                roles.setdefault(m.user_id, []).append((m.dossier_id, m.role))
            return [
                AccountRow(
                    u.id,
                    u.username,
                    u.role,
                    u.display_name,
                    bool(u.active),
                    u.created_at,
                    tuple(roles.get(u.id, ())),
                    u.email,
                )
                for u in session_store.list_users(s)
            ]

    @requires(None)
    def set_user_active(self, caller: UserView, username: str, active: bool) -> None:
        """Disable (or enable again) an account; a disabled user's sessions end at once."""
        with self.rt.tx() as s:
            self._require_admin(s, caller, "disable users")
            user = repo.get_user(s, username)
            if user is None:
                raise ServiceError(f"unknown user {username}")
            if not active and user.id == caller.id:
                raise ServiceError("you cannot disable your own account")
            user.active = active
            ended = 0 if active else session_store.revoke_user_sessions(s, user.id)
            repo.audit(
                s,
                "user_enabled" if active else "user_disabled",
                user_id=caller.id,
                username=user.username,
                sessions_ended=ended,
            )

    @requires(None)
    def reset_password(self, caller: UserView, username: str, password: str) -> None:
        """Set a new password (admin, or the user for their own account); ends all sessions."""
        from pipeline.passwords import hash_password

        if len(password) < MIN_PASSWORD_LENGTH:
            raise ServiceError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
        with self.rt.tx() as s:
            user = repo.get_user(s, username)
            if user is None or (user.id != caller.id and not self._is_admin(s, caller)):
                if not self._is_admin(s, caller):
                    raise AccessDenied("only admins reset other users' passwords")
                raise ServiceError(f"unknown user {username}")
            user.password_hash = hash_password(password)
            ended = session_store.revoke_user_sessions(s, user.id)
            session_store.clear_failures(s, user.username)
            repo.audit(
                s, "password_reset", user_id=caller.id, username=user.username, sessions_ended=ended
            )

    @requires(None)
    def set_email(self, caller: UserView, username: str, email: str | None) -> str | None:
        """Set (or with None / blank: remove) a user's e-mail address: an admin for anyone,
        a user for their own account.  Returns the address stored (normalised)."""
        address = _email(email)
        with self.rt.tx() as s:
            user = repo.get_user(s, username)
            if user is None or (user.id != caller.id and not self._is_admin(s, caller)):
                if not self._is_admin(s, caller):
                    raise AccessDenied("only admins change other users' e-mail addresses")
                raise ServiceError(f"unknown user {username}")
            before, user.email = user.email, address
            if before != address:
                repo.audit(
                    s,
                    "user_email",
                    user_id=caller.id,
                    username=user.username,
                    before=before,
                    email=address,
                )
            return address

    @requires(None)
    def set_user_role(self, caller: UserView, username: str, role: str) -> None:
        """Change a user's global role; takes effect on the user's next click."""
        if role not in ROLES:
            raise ServiceError(f"role must be one of {', '.join(ROLES)}")
        with self.rt.tx() as s:
            self._require_admin(s, caller, "change roles")
            user = repo.get_user(s, username)
            if user is None:
                raise ServiceError(f"unknown user {username}")
            before, user.role = user.role, role
            repo.audit(
                s, "user_role", user_id=caller.id, username=user.username, before=before, role=role
            )
