"""boekbox review UI: ``streamlit run review_ui/app.py`` (or ``boekbox ui``).

Login first (users in the database, argon2 hashes, checked by the service);
then the pages of the user's role.  ``?doc=<id>`` opens a document in Review,
also through the login.
"""

from __future__ import annotations

import streamlit as st

from pipeline.service import UserView
from review_ui import common, nav

AFTER_LOGIN_KEY = "_after_login_doc"

st.set_page_config(page_title="boekbox", page_icon=":material/receipt_long:", layout="wide")


def _sidebar(user: UserView) -> None:
    with st.sidebar:
        st.caption(f"Logged in as **{user.display_name or user.username}** ({user.role})")
        if st.button("Log out", key="logout", icon=":material/logout:"):
            for key in list(st.session_state.keys()):
                del st.session_state[key]
            st.rerun()


def main() -> None:
    user = st.session_state.get(common.USER_KEY)
    if not isinstance(user, UserView):
        if "doc" in st.query_params:
            st.session_state[AFTER_LOGIN_KEY] = st.query_params["doc"]
        st.navigation([nav.login_page()], position="hidden").run()
        return
    current = st.navigation(nav.pages_for(user))
    _sidebar(user)
    pending = st.session_state.pop(AFTER_LOGIN_KEY, None)
    if pending and str(pending).isdigit():
        nav.open_document(int(pending))
    current.run()


main()
