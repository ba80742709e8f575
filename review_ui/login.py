"""The login form (users in the database, argon2 hash checked by the service).

A right password gives the user for this browser tab at once, and a one-time ticket
that ``app.py`` exchanges (through ``/auth/session``) for the HttpOnly session cookie,
so a reload or a new tab stays logged in.  Wrong passwords are slowed down by the
service, per user name and per address.
"""

from __future__ import annotations

import streamlit as st

from pipeline.service import ServiceError, UserView
from review_ui.common import TICKET_KEY, USER_KEY, client_address, esc, service


def login_form() -> UserView | None:
    """The form; the user once the password was right (also kept in the session)."""
    st.title("boekbox")
    st.caption("Supplier invoices in, Belgian booking proposals out.")
    with st.form("login", enter_to_submit=True):
        username = st.text_input("User name", key="login_username")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Log in", type="primary")
    _sso_button()
    if not submitted:
        return None
    try:
        login = service().login(
            username.strip(), password, address=client_address(), user_agent=_user_agent()
        )
    except ServiceError as exc:
        st.error(esc(exc))
        return None
    st.session_state[USER_KEY] = login.user
    st.session_state[TICKET_KEY] = login.ticket
    return login.user


def _user_agent() -> str | None:
    try:
        value = st.context.headers.get("User-Agent")
    except Exception:  # no browser (tests)
        return None
    return value if isinstance(value, str) else None


def _sso_button() -> None:
    """Single sign-on through Streamlit's OIDC log-in, when the firm configured it."""
    try:
        configured = "auth" in st.secrets
    except Exception:  # no secrets file at all
        configured = False
    if not configured:
        return
    if st.button("Log in with your firm's account", key="login_sso", icon=":material/key:"):
        st.login()
