"""What the invoicing pages share: the dossier picker for users who may invoice."""

from __future__ import annotations

import streamlit as st

from pipeline.service import Permission, ServiceError, UserView
from review_ui.common import dossier_names, service


def invoicing_dossiers(user: UserView, permission: Permission = Permission.INVOICE) -> list[int]:
    """The dossiers in which ``user`` holds ``permission`` (asked again on each run)."""
    names = dossier_names(user.id, user.role, user)
    allowed = []
    for dossier_id in names:
        if may(user, dossier_id, permission):
            allowed.append(dossier_id)
    return sorted(allowed, key=lambda i: names[i].lower())


def pick_invoicing_dossier(
    user: UserView, key: str, permission: Permission = Permission.INVOICE
) -> int | None:
    """A dossier picker limited to the dossiers where ``user`` holds ``permission``."""
    names = dossier_names(user.id, user.role, user)
    ids = invoicing_dossiers(user, permission)
    if not ids:
        st.info(f"You do not have the {permission.value} right in any dossier.")
        return None
    chosen = st.selectbox("Dossier", ids, format_func=lambda i: names[i], key=key)
    return int(chosen) if chosen is not None else None


def may(user: UserView, dossier_id: int, permission: Permission) -> bool:
    try:
        return permission in service().my_permissions(user, dossier_id)
    except ServiceError:
        return False


def customer_label(name: str, vat: str | None) -> str:
    """A plain-text option label (select boxes show options as text, not Markdown)."""
    return f"{name} ({vat})" if vat else name


def is_belgian_vat_registered(country: str, vat: str | None) -> bool:
    """As the core decides it: a Belgian customer with a VAT number."""
    return country.upper() == "BE" and bool(vat)


def select_next(key: str, value: object) -> None:
    """Choose ``value`` in the select box ``key`` on the next run (a widget's state cannot
    change after it is drawn in this run)."""
    st.session_state[f"_next_{key}"] = value


def apply_next(key: str) -> None:
    """Call before drawing the select box ``key``."""
    marker = f"_next_{key}"
    if marker in st.session_state:
        value = st.session_state.pop(marker)
        if value is None:
            st.session_state.pop(key, None)
        else:
            st.session_state[key] = value
