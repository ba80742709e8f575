"""boekbox review UI: ``streamlit run review_ui/app.py`` (or ``boekbox ui``).

Login first (users in the database, argon2 hashes, checked by the service);
then the pages of the user's role.  A link such as ``/review?doc=<id>``
survives the login: the page it names opens once the user is known.
"""

from __future__ import annotations

import streamlit as st

from pipeline.service import UserView
from review_ui import common, nav
from review_ui.login import login_form

st.set_page_config(page_title="boekbox", page_icon=":material/receipt_long:", layout="wide")


def _sidebar(user: UserView) -> None:
    with st.sidebar:
        st.caption(f"Logged in as **{user.display_name or user.username}** ({user.role})")
        if st.button("Log out", key="logout", icon=":material/logout:"):
            for key in list(st.session_state.keys()):
                del st.session_state[key]
            st.rerun()  # logged out: every page shows the login form


def main() -> None:
    user = st.session_state.get(common.USER_KEY)
    if isinstance(user, UserView):
        current = st.navigation(nav.pages_for(user))
        _sidebar(user)
        current.run()
        return
    # logged out: every page is known (so a deep link keeps its target), none is shown
    login = nav.login_page()
    current = st.navigation([login, *nav.all_pages(default=False)], position="hidden")
    user = login_form()
    if user is not None:
        target = nav.page("inbox") if current.url_path in ("", "login") else current
        if target.url_path == "dossiers" and not user.is_admin:
            target = nav.page("inbox")
        st.switch_page(target, query_params=st.query_params.to_dict())


main()
