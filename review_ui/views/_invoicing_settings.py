"""The dossier's invoicing details (seller address, enterprise number, IBAN, BIC, number
prefix, automatic booking), shown on the Invoices page: nothing is issued without them."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pipeline.service import ServiceError, UserView
from review_ui.common import esc, flash, run_command, service

FIELDS = (
    ("street", "Street"),
    ("postal_code", "Postal code"),
    ("city", "City"),
    ("enterprise_number", "Enterprise number (KBO/BCE)"),
    ("iban", "IBAN"),
    ("bic", "BIC"),
    ("email", "E-mail on the invoices"),
    ("phone", "Phone"),
    ("legal_form", "Legal form (BV, NV...)"),
)


def invoicing_settings(user: UserView, dossier_id: int) -> None:
    try:
        cfg = service().invoicing_settings(user, dossier_id)
    except ServiceError as exc:
        st.warning(esc(exc))
        return
    seller: dict[str, Any] = dict(cfg.get("seller") or {})
    if not seller:
        st.warning("Set the invoicing details of this dossier before the first invoice.")
    with st.expander("Invoicing settings", expanded=not seller), st.form(f"set_{dossier_id}"):
        values = {
            key: st.text_input(
                label, value=str(seller.get(key) or ""), key=f"set_{key}_{dossier_id}"
            )
            for key, label in FIELDS
        }
        prefix = st.text_input(
            "Number prefix (e.g. F: F2026-0001)",
            value=str(cfg.get("prefix", "")),
            key=f"set_prefix_{dossier_id}",
        )
        auto_book = st.checkbox(
            "Book issued invoices automatically",
            value=bool(cfg.get("auto_book", False)),
            key=f"set_auto_{dossier_id}",
        )
        submitted = st.form_submit_button("Save the invoicing settings")
    if not submitted:
        return
    new_seller = {**seller, **{k: (v.strip() or None) for k, v in values.items()}}
    new_seller = {k: v for k, v in new_seller.items() if v is not None}
    done = run_command(
        "Saving the settings",
        service().set_invoicing_settings,
        user,
        dossier_id,
        seller=new_seller,
        prefix=prefix.strip(),
        auto_book=auto_book if auto_book != bool(cfg.get("auto_book", False)) else None,
    )
    if done is not None:
        flash("Invoicing settings saved")
        st.rerun()
