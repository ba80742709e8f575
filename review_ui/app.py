"""boekbox review UI: ``boekbox ui`` (``streamlit run review_ui/server.py``).

Login first (users in the database, argon2 hashes, checked by the service);
then the pages of the user's role.  A link such as ``/review?doc=<id>``
survives the login: the page it names opens once the user is known.

Who is logged in is decided on every run: the HttpOnly session cookie (see
``review_ui/server.py``) names a server-side session; a user known only to this tab
is re-read from the database, so a disabled account or a changed role counts at the
next click.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import streamlit as st

from pipeline.service import ServiceError, UserView
from review_ui import common, nav
from review_ui.cookies import COOKIE
from review_ui.login import login_form

st.set_page_config(page_title="boekbox", page_icon=":material/receipt_long:", layout="wide")


def _sidebar(user: UserView) -> None:
    with st.sidebar:
        st.caption(
            f"Logged in as **{common.esc(user.display_name or user.username)}** ({user.role})"
        )
        if st.button("Log out", key="logout", icon=":material/logout:"):
            common.service().logout(_cookie())
            for key in list(st.session_state.keys()):
                del st.session_state[key]
            st.session_state[_LOGGED_OUT] = True
            st.rerun()  # logged out: every page shows the login form


_LOGGED_OUT = "_logged_out"


def _cookie() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # no browser (tests)
        return None
    return value if isinstance(value, str) and value else None


def _current_user() -> UserView | None:
    """The user of this run: the session cookie first, else this tab's user re-read."""
    svc = common.service()
    token = _cookie()
    if token and not st.session_state.get(_LOGGED_OUT):
        user = svc.session_user(token)
        if user is not None:
            st.session_state[common.USER_KEY] = user
            return user
    known = st.session_state.get(common.USER_KEY)
    if not isinstance(known, UserView):
        return _sso_user()
    fresh = svc.refresh_user(known)
    if fresh is None:  # disabled or deleted since: out at once
        for key in list(st.session_state.keys()):
            del st.session_state[key]
        st.warning("Your session has ended. Please log in again.")
        return None
    st.session_state[common.USER_KEY] = fresh
    return fresh


def _sso_user() -> UserView | None:
    """The local account of a user the firm's OIDC provider logged in (st.login)."""
    try:
        if not st.user.is_logged_in:
            return None
        email = st.user.get("email")
    except Exception:  # OIDC not configured
        return None
    if not isinstance(email, str) or st.session_state.get(_LOGGED_OUT):
        return None
    try:
        login = common.service().sso_login(email, address=common.client_address())
    except ServiceError as exc:
        st.error(common.esc(exc))
        return None
    st.session_state[common.USER_KEY] = login.user
    st.session_state[common.TICKET_KEY] = login.ticket
    return login.user


def _exchange_ticket(current: st.Page) -> None:
    """After a log-in: let the browser trade the ticket for the HttpOnly cookie."""
    ticket = st.session_state.pop(common.TICKET_KEY, None)
    if not ticket:
        return
    st.session_state.pop(_LOGGED_OUT, None)
    query = st.query_params.to_dict()
    target = "/" + current.url_path + (f"?{urlencode(query)}" if query else "")
    url = "/auth/session?" + urlencode({"ticket": ticket, "next": target})
    st.html(
        f"<script>window.location.replace({json.dumps(url)});</script>",
        unsafe_allow_javascript=True,
    )
    # nothing else in this run: a page shown now would vanish under the user's hands (and
    # lose what they type) when the browser leaves for the trade and comes back
    st.caption("Signing in…")
    st.markdown(f"[Continue]({url}) if this page stays.")
    st.stop()


def main() -> None:
    user = _current_user()
    if user is not None:
        current = st.navigation(nav.pages_for(user))
        _exchange_ticket(current)
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
