"""Users: log-in, accounts and dossier memberships."""

from __future__ import annotations

from collections.abc import Sequence

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
            return UserView(user.id, user.username, user.role, user.display_name)

    @requires(None)
    def user(self, username: str) -> UserView | None:
        with self.rt.tx() as s:
            user = repo.get_user(s, username)
            if user is None or not user.active:
                return None
            return UserView(user.id, user.username, user.role, user.display_name)

    @requires(None)
    def add_user(
        self,
        caller: UserView,
        username: str,
        password: str,
        role: str,
        dossiers: Sequence[int] = (),
    ) -> UserView:
        from pipeline.passwords import hash_password

        if role not in ROLES:
            raise ServiceError(f"role must be one of {', '.join(ROLES)}")
        with self.rt.tx() as s:
            self._require_admin(s, caller, "add users")
            if repo.get_user(s, username) is not None:
                raise ServiceError(f"user {username} already exists")
            user = repo.create_user(
                s, username=username, password_hash=hash_password(password), role=role
            )
            for dossier_id in dossiers:
                repo.add_membership(s, user.id, dossier_id, role)
            repo.audit(s, "user_added", user_id=caller.id, username=username, role=role)
            return UserView(user.id, user.username, user.role, user.display_name)

    @requires(Permission.MANAGE_USERS)
    def add_member(self, caller: UserView, dossier_id: int, username: str, role: str) -> None:
        """Give ``username`` a role (a permission preset) in the dossier."""
        if role not in ROLE_PERMISSIONS:
            raise ServiceError(f"role must be one of {', '.join(sorted(ROLE_PERMISSIONS))}")
        with self.rt.tx() as s:
            self._require(s, caller, dossier_id, Permission.MANAGE_USERS)
            if role == "admin" and not self._is_admin(s, caller):
                raise AccessDenied("only admins make admins")
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
