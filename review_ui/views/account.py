"""My account (every user): who I am, and the e-mail address notices such as the quota
alerts go to, set or removed by the user; the answer shows under the form."""

from __future__ import annotations

import streamlit as st

from review_ui.common import current_user, esc, run_command, service

ANSWER_KEY = "_account_answer"

user = current_user()
st.header("My account")
stored = service().user(user.username)
email = stored.email if stored is not None else None
st.caption(
    f"{esc(user.username)}: {esc(user.role)}, e-mail " + (esc(email) if email else "not set")
)
with st.form("account_email"):
    address = st.text_input(
        "E-mail address (quota alerts and notices go here; empty removes it)",
        value=email or "",
        key="account_email_value",
    )
    if st.form_submit_button("Save my e-mail address"):
        # wrapped in a tuple: a removed address (None) is not a refusal
        saved = run_command(
            "Save my e-mail address",
            lambda: (service().set_email(user, user.username, address),),
        )
        if saved is not None:
            st.session_state.pop("account_email_value", None)  # show the stored value
            st.session_state[ANSWER_KEY] = f"Your e-mail address: {saved[0] or 'removed'}."
            st.rerun()
if answer := st.session_state.pop(ANSWER_KEY, None):
    st.success(esc(answer))
