"""Rights: who may do what in a dossier, set by whoever manages its users (audited)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pipeline.service import MEMBER_ROLES, Permission, ServiceError, UserView
from review_ui.common import current_user, esc, flash, run_command, service, show_flash

#: plain words for every permission, in the order the form shows them
LABELS: dict[str, str] = {
    Permission.VIEW.value: "See the dossier and its documents",
    Permission.UPLOAD.value: "Upload documents",
    Permission.VIEW_BOOKS.value: "Read the books (journals, ledger, VAT)",
    Permission.BOOK_PURCHASES.value: "Book purchases",
    Permission.BOOK_SALES.value: "Book sales",
    Permission.INVOICE.value: "Issue and send sales invoices",
    Permission.MANAGE_PAYMENTS.value: "Manage payments (bank statements, matching)",
    Permission.MANUAL_ENTRIES.value: "Manual entries (miscellaneous journal)",
    Permission.CLOSE_PERIODS.value: "Close periods",
    Permission.MANAGE_USERS.value: "Manage users and their rights",
}
ROLE_LABELS = {
    "accountant": "Accountant (everything)",
    "client_bookkeeper": "Client bookkeeper (books, invoices, payments)",
    "client_portal": "Client portal (upload, read, invoice)",
}


def _managed_dossiers(user: UserView) -> dict[int, str]:
    svc = service()
    out = {}
    for d in svc.dossiers(user):
        try:
            if Permission.MANAGE_USERS in svc.my_permissions(user, d.id):
                out[d.id] = d.name
        except ServiceError:
            continue
    return out


def _members_table(user: UserView, dossier_id: int) -> None:
    rows = service().rights(user, dossier_id)
    if not rows:
        st.info("Nobody is a member of this dossier yet.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "User": r.username,
                    "Role": ROLE_LABELS.get(r.role, r.role),
                    "Set one by one": r.custom,
                    "Active": r.active,
                    "Rights": ", ".join(LABELS.get(p, p) for p in r.permissions),
                }
                for r in rows
            ]
        ),
        hide_index=True,
        width="stretch",
        key="rights_table",
    )


def _edit_form(user: UserView, dossier_id: int) -> None:
    with st.form("rights_edit"):
        st.subheader("Give or change rights")
        who = st.text_input("User name", key="rights_user")
        role = st.selectbox(
            "Role", MEMBER_ROLES, format_func=lambda r: ROLE_LABELS[r], key="rights_role"
        )
        custom = st.checkbox("Set the rights one by one instead", key="rights_custom")
        chosen = st.multiselect(
            "Rights (when set one by one)",
            list(LABELS),
            format_func=lambda p: LABELS[p],
            key="rights_perms",
        )
        if st.form_submit_button("Save rights", type="primary"):
            if not who.strip():
                st.error("Name the user whose rights you set.")
                return
            got = run_command(
                "Rights",
                service().set_rights,
                user,
                dossier_id,
                who.strip(),
                role=role,
                permissions=chosen if custom else None,
            )
            if got is not None:
                flash(f"Rights of {got.username} saved: " + ", ".join(got.permissions) + ".")
                st.rerun()


def _remove_form(user: UserView, dossier_id: int) -> None:
    with st.form("rights_remove"):
        who = st.text_input("Take a user out of this dossier", key="rights_remove_user")
        if st.form_submit_button("Remove from dossier") and who.strip():
            if (
                run_command("Remove", service().remove_member, user, dossier_id, who.strip())
                is None
            ):
                return
            flash(f"{who.strip()} no longer has access to this dossier.")
            st.rerun()


def _history(user: UserView, dossier_id: int) -> None:
    changes = service().rights_history(user, dossier_id)
    with st.expander(f"History of changes ({len(changes)})", expanded=False):
        if not changes:
            st.caption("No changes yet.")
            return
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "When": c.at,
                        "By (user id)": c.by_user_id,
                        "What": c.action.replace("_", " "),
                        "User": c.detail.get("username", ""),
                        "Before": ", ".join(c.detail.get("before") or []),
                        "After": ", ".join(c.detail.get("after") or []),
                    }
                    for c in changes
                ]
            ),
            hide_index=True,
            width="stretch",
            key="rights_history",
        )


def render() -> None:
    user = current_user()
    st.header("Rights")
    show_flash()
    dossiers = _managed_dossiers(user)
    if not dossiers:
        st.info("You do not manage the users of any dossier.")
        return
    ids = sorted(dossiers, key=lambda i: dossiers[i].lower())
    dossier_id = st.selectbox(
        "Dossier", ids, format_func=lambda i: esc(dossiers[i]), key="rights_dossier"
    )
    if dossier_id is None:
        return
    _members_table(user, int(dossier_id))
    _edit_form(user, int(dossier_id))
    _remove_form(user, int(dossier_id))
    _history(user, int(dossier_id))


if __name__ == "__main__":
    render()
