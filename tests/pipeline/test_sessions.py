"""Web sessions through the service: log-in, throttling, tickets, idle end, revocation.

Runs on SQLite and PostgreSQL (the ``runtime`` fixture).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, AccessDenied, LoginThrottled, Service, ServiceError
from pipeline.service import sessions as policy
from storage.models import LoginFailure, UserSession

PASSWORD = "right-password"


def _svc(runtime: Runtime) -> Service:
    svc = Service(runtime)
    svc.add_user(SYSTEM, "anna", PASSWORD, "accountant")
    return svc


def _age(runtime: Runtime, model: type, **delta: float) -> None:
    """Move every row's times back by ``delta`` (what waiting would do)."""
    shift = dt.timedelta(**delta)
    with runtime.tx() as s:
        if model is UserSession:
            for row in s.query(UserSession):
                row.last_seen_at = row.last_seen_at - shift
                row.created_at = row.created_at - shift
                row.expires_at = row.expires_at - shift
        else:
            s.execute(update(LoginFailure).values(at=LoginFailure.at - shift))


def test_login_ticket_opens_one_session_once(runtime: Runtime) -> None:
    svc = _svc(runtime)
    login = svc.login("Anna", PASSWORD, address="192.0.2.1")
    assert login.user.username == "anna"
    assert svc.session_user(login.ticket) is None  # a ticket is not a session
    token, lifetime = svc.open_session(login.ticket)
    assert lifetime == runtime.settings.ui_session_max_hours * 3600
    assert svc.session_user(token) == login.user  # a reload / a new tab
    with pytest.raises(ServiceError, match="not valid"):
        svc.open_session(login.ticket)  # one use only
    svc.logout(token)
    assert svc.session_user(token) is None


def test_a_ticket_expires_after_a_minute(runtime: Runtime) -> None:
    svc = _svc(runtime)
    login = svc.login("anna", PASSWORD)
    _age(runtime, UserSession, seconds=61)
    with pytest.raises(ServiceError, match="not valid"):
        svc.open_session(login.ticket)


def test_idle_sessions_end_and_live_ones_are_kept(runtime: Runtime) -> None:
    svc = _svc(runtime)
    token, _ = svc.open_session(svc.login("anna", PASSWORD).ticket)
    idle = runtime.settings.ui_session_idle_minutes
    _age(runtime, UserSession, minutes=idle - 1)
    assert svc.session_user(token) is not None  # and this click refreshes it
    _age(runtime, UserSession, minutes=idle - 1)
    assert svc.session_user(token) is not None
    _age(runtime, UserSession, minutes=idle + 1)
    assert svc.session_user(token) is None
    assert svc.session_user("not-a-token") is None
    assert svc.session_user("") is None


def test_disabling_or_resetting_ends_live_sessions_at_the_next_call(runtime: Runtime) -> None:
    svc = _svc(runtime)
    token, _ = svc.open_session(svc.login("anna", PASSWORD).ticket)
    anna = svc.session_user(token)
    assert anna is not None
    dossier = svc.create_dossier(SYSTEM, "Alpha BV")
    svc.add_member(SYSTEM, dossier.id, "anna", "accountant")
    assert [d.id for d in svc.dossiers(anna)] == [dossier.id]

    svc.set_user_active(SYSTEM, "anna", False)
    assert svc.session_user(token) is None
    with pytest.raises(AccessDenied, match="disabled"):
        svc.dossiers(anna)  # the old view object no longer opens anything
    with pytest.raises(ServiceError, match="wrong password"):
        svc.login("anna", PASSWORD)

    svc.set_user_active(SYSTEM, "anna", True)
    token, _ = svc.open_session(svc.login("anna", PASSWORD).ticket)
    svc.reset_password(SYSTEM, "anna", "another-password")
    assert svc.session_user(token) is None
    with pytest.raises(ServiceError):
        svc.login("anna", PASSWORD)
    assert svc.login("anna", "another-password").user.username == "anna"


def test_a_changed_role_counts_at_the_next_call(runtime: Runtime) -> None:
    svc = _svc(runtime)
    token, _ = svc.open_session(svc.login("anna", PASSWORD).ticket)
    anna = svc.session_user(token)
    assert anna is not None
    assert not anna.is_admin
    with pytest.raises(AccessDenied):
        svc.create_dossier(anna, "Not yours")
    svc.set_user_role(SYSTEM, "anna", "admin")
    assert svc.create_dossier(anna, "Now yours").name == "Now yours"  # same old view
    refreshed = svc.session_user(token)
    assert refreshed is not None
    assert refreshed.is_admin


def test_wrong_passwords_are_slowed_down_per_user_and_logged(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    svc = _svc(runtime)
    for _ in range(policy.FREE_FAILURES_PER_USER):
        with pytest.raises(ServiceError, match="wrong password"):
            svc.login("anna", "guess", address="198.51.100.7")
    assert caplog.text.count("failed log-in for 'anna' from 198.51.100.7") == 5
    # the next try must wait, even with the right password
    with pytest.raises(LoginThrottled) as info:
        svc.login("anna", PASSWORD, address="203.0.113.9")
    assert 1 <= info.value.wait_seconds <= 2
    _age(runtime, LoginFailure, seconds=2)
    assert svc.login("anna", PASSWORD).user.username == "anna"  # and success forgets them


def test_one_address_guessing_many_users_is_slowed_down(runtime: Runtime) -> None:
    svc = _svc(runtime)
    for n in range(policy.FREE_FAILURES_PER_ADDRESS):
        with pytest.raises(ServiceError, match="wrong password"):
            svc.login(f"user{n}", "guess", address="198.51.100.8")
    with pytest.raises(LoginThrottled):
        svc.login("anna", PASSWORD, address="198.51.100.8")
    # another address is not held up
    assert svc.login("anna", PASSWORD, address="198.51.100.9").user.username == "anna"


def test_admin_lists_users_and_only_admins_manage_them(runtime: Runtime) -> None:
    svc = _svc(runtime)
    erik = svc.add_user(SYSTEM, "erik", "erik-password", "entrepreneur")
    rows = {r.username: r for r in svc.list_users(SYSTEM)}
    assert set(rows) == {"anna", "erik"}
    assert rows["erik"].role == "entrepreneur"
    assert rows["erik"].active
    for call in (
        lambda: svc.list_users(erik),
        lambda: svc.set_user_active(erik, "anna", False),
        lambda: svc.reset_password(erik, "anna", "hijacked-password"),
        lambda: svc.set_user_role(erik, "erik", "admin"),
    ):
        with pytest.raises(AccessDenied):
            call()
    svc.reset_password(erik, "erik", "erik-new-password")  # one's own password is fine
    with pytest.raises(ServiceError, match="at least 8"):
        svc.reset_password(SYSTEM, "erik", "short")
    with pytest.raises(ServiceError, match="unknown user"):
        svc.set_user_active(SYSTEM, "nobody", False)


def test_single_sign_on_maps_only_to_an_active_local_account(runtime: Runtime) -> None:
    svc = _svc(runtime)
    login = svc.sso_login("Anna ", issuer="https://idp.example.test")
    assert login.user.username == "anna"
    token, _ = svc.open_session(login.ticket)
    assert svc.session_user(token) == login.user
    with pytest.raises(ServiceError, match="no active boekbox account"):
        svc.sso_login("stranger@example.test")
    svc.set_user_active(SYSTEM, "anna", False)
    with pytest.raises(ServiceError, match="no active boekbox account"):
        svc.sso_login("anna")
