"""Web sessions: log-in with throttling, server-side revocable sessions, log-out.

The UI's browser holds a random token in an HttpOnly cookie; the database holds its
SHA-256 (:mod:`storage.sessions`).  Log-in happens in the Streamlit form, which cannot
set an HttpOnly cookie, so a successful log-in also yields a one-time *ticket* valid
for a minute; the browser exchanges it at ``/auth/session`` (see ``review_ui.server``)
for the session token, set as an HttpOnly cookie.  A session ends at log-out, after
``ui_session_idle_minutes`` without a call, ``ui_session_max_hours`` after the log-in,
when the user is disabled, or when an admin resets the password.

Wrong passwords are slowed down per user name and per address: after
:data:`FREE_FAILURES_PER_USER` failures in :data:`WINDOW` (per address
:data:`FREE_FAILURES_PER_ADDRESS`), each further attempt waits twice as long as the
previous one (up to :data:`MAX_WAIT`).  Every failed log-in is logged and audited.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from pipeline.service.core import ServiceBase, ServiceError, UserView, requires
from storage import repo
from storage import sessions as store
from storage.models import utcnow

log = logging.getLogger("boekbox.auth")

WINDOW = dt.timedelta(minutes=15)
FREE_FAILURES_PER_USER = 5
FREE_FAILURES_PER_ADDRESS = 20
MAX_WAIT = dt.timedelta(minutes=15)
TICKET_LIFETIME = dt.timedelta(seconds=60)
#: a live session's last-seen time is written at most this often
TOUCH_EVERY = dt.timedelta(seconds=30)

WRONG = "Unknown user or wrong password."


class LoginThrottled(ServiceError):
    """Too many failed log-ins for this user name or address: try again later."""

    def __init__(self, wait: dt.timedelta) -> None:
        self.wait_seconds = max(1, int(wait.total_seconds() + 0.999))
        super().__init__(f"Too many failed log-ins. Try again in {self.wait_seconds} seconds.")


@dataclass(frozen=True, slots=True)
class Login:
    user: UserView
    #: one-time code the browser exchanges for the session cookie
    ticket: str


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _wait(failures: int, free: int) -> dt.timedelta:
    if failures < free:
        return dt.timedelta(0)
    return min(MAX_WAIT, dt.timedelta(seconds=2 ** (failures - free)))


class SessionsService(ServiceBase):
    def _throttle(self, s: Any, username: str, address: str | None, now: dt.datetime) -> None:
        since = now - WINDOW
        checks = [(store.failures(s, username=username, since=since), FREE_FAILURES_PER_USER)]
        if address:
            checks.append(
                (store.failures(s, address=address, since=since), FREE_FAILURES_PER_ADDRESS)
            )
        for (count, last), free in checks:
            wait = _wait(count, free)
            if last is not None and wait and now < _aware(last) + wait:
                raise LoginThrottled(_aware(last) + wait - now)

    @requires(None)
    def login(
        self,
        username: str,
        password: str,
        *,
        address: str | None = None,
        user_agent: str | None = None,
    ) -> Login:
        """Check the password; on success a one-time ticket for the session cookie.

        Raises :class:`LoginThrottled` while the user name or address must wait, and
        :class:`ServiceError` with one message whether the user or the password is wrong.
        """
        from pipeline.passwords import verify_password

        name = username.strip().lower()
        now = utcnow()
        with self.rt.tx() as s:
            self._throttle(s, name, address, now)
            user = repo.get_user(s, name) if name else None
            ok = user is not None and user.active and verify_password(password, user.password_hash)
            if user is None or not user.active:
                verify_password("x", None)  # same time whether or not the user exists
            if not ok or user is None:
                store.record_failure(s, name or "?", address)
                repo.audit(s, "login_failed", username=name, address=address)
                log.warning("failed log-in for %r from %s", name, address or "?")
                failed = True
            else:
                failed = False
                store.clear_failures(s, name)
                ticket = secrets.token_urlsafe(32)
                store.create_session(
                    s,
                    user_id=user.id,
                    token=ticket,
                    kind="ticket",
                    expires_at=now + TICKET_LIFETIME,
                    address=address,
                    user_agent=user_agent,
                )
                repo.audit(s, "login", user_id=user.id, address=address)
                view = UserView(user.id, user.username, user.role, user.display_name, user.email)
        if failed:
            raise ServiceError(WRONG)
        return Login(user=view, ticket=ticket)

    @requires(None)
    def sso_login(self, email: str, *, issuer: str = "", address: str | None = None) -> Login:
        """Log in a user the firm's identity provider vouched for (Streamlit's OIDC).

        The verified e-mail address must be the user name of an active local account:
        single sign-on never creates accounts or rights.
        """
        name = email.strip().lower()
        now = utcnow()
        with self.rt.tx() as s:
            user = repo.get_user(s, name) if name else None
            if user is None or not user.active:
                repo.audit(s, "login_failed", username=name, address=address, via="sso")
                log.warning("single sign-on for %r has no active account", name)
                raise ServiceError(f"no active boekbox account for {name or 'this login'}")
            ticket = secrets.token_urlsafe(32)
            store.create_session(
                s,
                user_id=user.id,
                token=ticket,
                kind="ticket",
                expires_at=now + TICKET_LIFETIME,
                address=address,
                user_agent=None,
            )
            repo.audit(s, "login", user_id=user.id, address=address, via="sso", issuer=issuer)
            view = UserView(user.id, user.username, user.role, user.display_name, user.email)
            return Login(view, ticket)

    @requires(None)
    def open_session(
        self, ticket: str, *, address: str | None = None, user_agent: str | None = None
    ) -> tuple[str, int]:
        """Exchange a log-in ticket (once) for a session token and its lifetime in seconds."""
        now = utcnow()
        settings = self.rt.settings
        with self.rt.tx() as s:
            found = store.find_session(s, ticket, kind="ticket", lock=True)
            if found is None:
                raise ServiceError("this log-in link is not valid (any more)")
            row, user = found
            row.revoked_at = now  # one use only
            if now > _aware(row.expires_at) or not user.active:
                raise ServiceError("this log-in link is not valid (any more)")
            token = secrets.token_urlsafe(32)
            lifetime = dt.timedelta(hours=settings.ui_session_max_hours)
            store.create_session(
                s,
                user_id=user.id,
                token=token,
                expires_at=now + lifetime,
                address=address or row.address,
                user_agent=user_agent or row.user_agent,
            )
        return token, int(lifetime.total_seconds())

    @requires(None)
    def session_user(self, token: str | None) -> UserView | None:
        """The user of a live session, as stored now; None when it ended (and why is logged)."""
        if not token:
            return None
        now = utcnow()
        idle = dt.timedelta(minutes=self.rt.settings.ui_session_idle_minutes)
        with self.rt.tx() as s:
            found = store.find_session(s, token)
            if found is None:
                return None
            row, user = found
            if (
                not user.active
                or now > _aware(row.expires_at)
                or now > _aware(row.last_seen_at) + idle
            ):
                row.revoked_at = now
                return None
            if now - _aware(row.last_seen_at) > TOUCH_EVERY:
                row.last_seen_at = now
            return UserView(user.id, user.username, user.role, user.display_name, user.email)

    @requires(None)
    def logout(self, token: str | None) -> None:
        if not token:
            return
        with self.rt.tx() as s:
            found = store.find_session(s, token)
            if store.revoke_session(s, token) and found is not None:
                repo.audit(s, "logout", user_id=found[1].id)

    @requires(None)
    def refresh_user(self, user: UserView) -> UserView | None:
        """``user`` as stored now (role, name), or None when disabled or deleted."""
        if user.id is None:
            return user
        with self.rt.tx() as s:
            stored = repo.get_user(s, user.username)
            if stored is None or not stored.active or stored.id != user.id:
                return None
            return UserView(
                stored.id, stored.username, stored.role, stored.display_name, stored.email
            )
