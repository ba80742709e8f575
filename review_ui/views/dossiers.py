"""Dossiers (admin): create a dossier; show its mailbox address, allowed senders, members."""

from __future__ import annotations

import streamlit as st

from pipeline.service import DossierView, UserView
from review_ui.common import (
    clear_lists,
    current_user,
    esc,
    flash,
    run_command,
    service,
    show_flash,
)

ROLES = ("accountant", "entrepreneur", "admin")


def _senders(text: str) -> list[str]:
    return [s.strip() for s in text.replace(",", "\n").splitlines() if s.strip()]


def _create_form(user: UserView) -> None:
    with st.form("dossier_create", clear_on_submit=True):
        st.subheader("New dossier")
        name = st.text_input("Name", key="ds_name")
        vat = st.text_input("VAT number", placeholder="BE0123456749", key="ds_vat")
        local = st.text_input("Mailbox name (optional)", key="ds_local")
        senders = st.text_area("Allowed senders (one per line; empty: anyone)", key="ds_senders")
        if st.form_submit_button("Create dossier", type="primary"):
            made = run_command(
                "Create dossier",
                service().create_dossier,
                user,
                name,
                vat_number=vat or None,
                allowed_senders=_senders(senders),
                mailbox_local=local.strip() or None,
            )
            if made:
                flash(f"Dossier {made.name} created: invoices go to {made.mailbox}.")
                st.rerun()


def _add_member(user: UserView, dossier_id: int, username: str, role: str) -> bool:
    service().add_member(user, dossier_id, username, role)
    return True


def _dossier_box(user: UserView, d: DossierView) -> None:
    with st.expander(f"{esc(d.name)}  ·  {esc(d.mailbox)}", expanded=False):
        st.markdown(f"**Mailbox** {esc(d.mailbox)}  \n**VAT** {esc(d.vat_number or '(none)')}")
        st.markdown(
            "**Allowed senders** " + (esc(", ".join(d.allowed_senders)) or "anyone (no allow-list)")
        )
        members = service().members(user, d.id)
        st.markdown("**Members** " + (esc(", ".join(f"{u} ({r})" for u, r in members)) or "(none)"))
        with st.form(f"ds_edit_{d.id}"):
            senders = st.text_area(
                "Allowed senders", "\n".join(d.allowed_senders), key=f"ds_senders_{d.id}"
            )
            who = st.text_input("Add member (user name)", key=f"ds_member_{d.id}")
            role = st.selectbox("Role", ROLES, key=f"ds_role_{d.id}")
            if st.form_submit_button("Save"):
                ok = run_command(
                    "Update dossier",
                    service().update_dossier,
                    user,
                    d.id,
                    allowed_senders=_senders(senders),
                )
                if ok is None:
                    return  # the refusal is shown above the form's button
                added = ""
                if who.strip():
                    name = who.strip()
                    if not run_command("Add member", _add_member, user, d.id, name, role):
                        return  # refused (e.g. unknown user): the error stays on screen
                    added = f" {name} is now {role} of it."
                clear_lists()
                flash(f"Dossier {d.name} saved.{added}")
                st.rerun()


def render() -> None:
    user = current_user()
    show_flash()
    st.header("Dossiers")
    if not user.is_admin:
        st.error("Only admins manage dossiers.")
        return
    dossiers = service().dossiers(user)
    st.caption(f"{len(dossiers)} dossier(s)")
    for d in dossiers:
        _dossier_box(user, d)
    _create_form(user)


if __name__ == "__main__":
    render()
