"""Users (admin): list the accounts, create one, reset a password, disable or enable, change a
role, set the e-mail address notices (quota alerts) go to.

Every action answers right under its own button: a refusal as an error with the
service's reason, a success as a message that stays after the page reloads.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pipeline.service import UserView
from review_ui.common import current_user, esc, run_command, service

ROLES = ("accountant", "entrepreneur", "admin")
#: the answer of the last action, shown under the form that caused it: (form key, kind, text)
ANSWER_KEY = "_users_answer"


def _answer(form: str, text: str) -> None:
    st.session_state[ANSWER_KEY] = (form, "success", text)
    st.rerun()


def _show_answer(form: str) -> None:
    item = st.session_state.get(ANSWER_KEY)
    if item and item[0] == form:
        st.session_state.pop(ANSWER_KEY, None)
        st.success(esc(item[2]))


def _table(user: UserView, names: dict[int, str]) -> list[str]:
    rows = service().list_users(user)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "User": r.username,
                    "Role": r.role,
                    "Active": "yes" if r.active else "disabled",
                    "E-mail": r.email or "",
                    "Dossiers": ", ".join(
                        f"{names.get(d, f'#{d}')} ({role})" for d, role in r.dossiers
                    ),
                    "Created": r.created_at.strftime("%Y-%m-%d"),
                }
                for r in rows
            ],
            columns=["User", "Role", "Active", "E-mail", "Dossiers", "Created"],
        ),
        hide_index=True,
        key="users_table",
        column_config={
            "User": st.column_config.TextColumn("User", width="small"),
            "Role": st.column_config.TextColumn("Role", width="small"),
            "Active": st.column_config.TextColumn("Active", width="small"),
            "E-mail": st.column_config.TextColumn("E-mail", width="medium"),
            "Dossiers": st.column_config.TextColumn("Dossiers", width="large"),
            "Created": st.column_config.TextColumn("Created", width="small"),
        },
    )
    st.caption(f"{len(rows)} user(s), {sum(not r.active for r in rows)} disabled")
    return [r.username for r in rows]


def _create(user: UserView) -> None:
    st.subheader("New user")
    with st.form("users_create", clear_on_submit=False):
        name = st.text_input("User name", key="users_new_name")
        password = st.text_input(
            "Password (at least 8 characters)", type="password", key="users_new_pw"
        )
        role = st.selectbox("Role", ROLES, key="users_new_role")
        email = st.text_input("E-mail address (optional, for quota alerts)", key="users_new_email")
        submitted = st.form_submit_button("Create user", type="primary")
    if submitted:
        name = name.strip()
        if not name:
            st.error("Create user refused: a user name is needed.")
        elif len(password) < 8:
            st.error("Create user refused: a password needs at least 8 characters.")
        elif run_command(
            "Create user", service().add_user, user, name, password, role, email=email or None
        ):
            _answer(
                "create",
                f"User {name} created as {role}. Add them to dossiers on the Dossiers page.",
            )
    _show_answer("create")


def _manage(user: UserView, usernames: list[str]) -> None:
    st.subheader("Change a user")
    if not usernames:
        st.info("No users yet.")
        return
    who = str(st.selectbox("User", usernames, key="users_pick"))
    rows = {r.username: r for r in service().list_users(user)}
    row = rows.get(who)
    if row is None:
        st.error(f"User {esc(who)} no longer exists.")
        return
    st.caption(
        f"{esc(who)}: {esc(row.role)}, {'active' if row.active else 'disabled'}, e-mail "
        + (esc(row.email) if row.email else "not set")
    )
    pw_col, role_col, active_col = st.columns(3)
    with pw_col.form("users_reset", clear_on_submit=True):
        password = st.text_input("New password", type="password", key="users_reset_pw")
        if st.form_submit_button("Reset password") and run_command(
            "Reset password", _call, service().reset_password, user, who, password
        ):
            _answer("reset", f"Password of {who} reset; their sessions ended.")
    with pw_col:
        _show_answer("reset")
    with role_col.form("users_role"):
        role = st.selectbox(
            "Role",
            ROLES,
            index=ROLES.index(row.role) if row.role in ROLES else 0,
            key=f"users_role_{who}",
        )
        if st.form_submit_button("Change role") and run_command(
            "Change role", _call, service().set_user_role, user, who, role
        ):
            _answer("role", f"{who} is now {role}.")
    with role_col:
        _show_answer("role")
    with active_col:
        label = "Disable user" if row.active else "Enable user"
        if st.button(label, key="users_toggle", type="secondary") and run_command(
            label, _call, service().set_user_active, user, who, not row.active
        ):
            done = "disabled; their sessions ended" if row.active else "enabled again"
            _answer("toggle", f"User {who} {done}.")
        _show_answer("toggle")
    with st.form("users_email"):
        address = st.text_input(
            "E-mail address (quota alerts go here; empty removes it)",
            value=row.email or "",
            key=f"users_email_{who}",
        )
        if st.form_submit_button("Save e-mail address"):
            # wrapped in a tuple: a removed address (None) is not a refusal
            saved = run_command(
                "Save e-mail address", lambda: (service().set_email(user, who, address),)
            )
            if saved is not None:
                st.session_state.pop(f"users_email_{who}", None)  # show the stored form
                _answer("email", f"E-mail address of {who}: {saved[0] or 'removed'}.")
    _show_answer("email")


def _call(fn: object, *args: object) -> bool:
    """A service command that returns nothing, as True when it went through."""
    assert callable(fn)
    fn(*args)
    return True


def render() -> None:
    user = current_user()
    st.header("Users")
    if not user.is_admin:
        st.error("Only admins manage users.")
        return
    names = {d.id: d.name for d in service().dossiers(user)}
    usernames = _table(user, names)
    _manage(user, usernames)
    _create(user)


if __name__ == "__main__":
    render()
