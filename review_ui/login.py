"""The login form (users in the database, argon2 hash checked by the service)."""

from __future__ import annotations

import streamlit as st

from pipeline.service import UserView
from review_ui.common import USER_KEY, service


def login_form() -> UserView | None:
    """The form; the user once the password was right (also kept in the session)."""
    st.title("boekbox")
    st.caption("Supplier invoices in, Belgian booking proposals out.")
    with st.form("login", enter_to_submit=True):
        username = st.text_input("User name", key="login_username")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Log in", type="primary")
    if not submitted:
        return None
    user = service().authenticate(username.strip(), password)
    if user is None:
        st.error("Unknown user or wrong password.")
        return None
    st.session_state[USER_KEY] = user
    return user
