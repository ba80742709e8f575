"""Customers of a dossier: list, add and edit (VAT, enterprise number and Peppol id are
checked by the service; a refusal shows under the form), CSV import."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from pipeline.service import UserView
from review_ui.common import current_user, esc, flash, run_command, service, show_flash
from review_ui.views._invoicing import (
    apply_next,
    customer_label,
    pick_invoicing_dossier,
    select_next,
)

LANGUAGES = ("nl", "fr", "de", "en")
NEW = 0
MAX_CSV_BYTES = 5 * 1024 * 1024


def render() -> None:
    user = current_user()
    show_flash()
    st.header("Customers")
    dossier_id = pick_invoicing_dossier(user, "cust_dossier")
    if dossier_id is None:
        return
    customers = service().customers(user, dossier_id)
    if customers:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Name": c.name,
                        "Country": c.country,
                        "VAT": c.vat or "",
                        "Peppol id": c.peppol_id or "",
                        "E-mail": c.email or "",
                        "Terms (days)": c.payment_terms_days,
                    }
                    for c in customers
                ]
            ),
            hide_index=True,
            key="cust_table",
        )
    else:
        st.caption("No customers yet.")
    by_id = {c.id: c for c in customers}
    labels = {NEW: "New customer"} | {c.id: customer_label(c.name, c.vat) for c in customers}
    apply_next("cust_pick")
    picked = st.selectbox(
        "Add or edit", list(labels), format_func=labels.__getitem__, key="cust_pick"
    )
    _form(user, dossier_id, by_id.get(int(picked or 0)))
    _import(user, dossier_id)


def _form(user: UserView, dossier_id: int, current: Any) -> None:
    data = dict(current.data) if current is not None else {}
    suffix = current.id if current is not None else "new"
    with st.form(f"cust_form_{suffix}"):
        name = st.text_input("Name", value=data.get("name", ""), key=f"cust_name_{suffix}")
        street = st.text_input("Street", value=data.get("street", ""), key=f"cust_street_{suffix}")
        postal = st.text_input(
            "Postal code", value=data.get("postal_code", ""), key=f"cust_postal_{suffix}"
        )
        city = st.text_input("City", value=data.get("city", ""), key=f"cust_city_{suffix}")
        country = st.text_input(
            "Country (ISO code)", value=data.get("country", "BE"), key=f"cust_country_{suffix}"
        )
        language = st.selectbox(
            "Language",
            LANGUAGES,
            index=LANGUAGES.index(data.get("language", "nl"))
            if data.get("language", "nl") in LANGUAGES
            else 0,
            key=f"cust_lang_{suffix}",
        )
        vat = st.text_input("VAT number", value=data.get("vat") or "", key=f"cust_vat_{suffix}")
        kbo = st.text_input(
            "Enterprise number (KBO/BCE)",
            value=data.get("enterprise_number") or "",
            key=f"cust_kbo_{suffix}",
        )
        peppol = st.text_input(
            "Peppol id (empty: derived, 0208:KBO in Belgium)",
            value=data.get("peppol_id") or "",
            key=f"cust_peppol_{suffix}",
        )
        email = st.text_input("E-mail", value=data.get("email") or "", key=f"cust_email_{suffix}")
        terms = st.number_input(
            "Payment terms (days)",
            min_value=0,
            max_value=365,
            value=int(data.get("payment_terms_days", 30)),
            key=f"cust_terms_{suffix}",
        )
        consumer = st.checkbox(
            "Private person (consumer)",
            value=bool(data.get("is_consumer", False)),
            key=f"cust_consumer_{suffix}",
        )
        submitted = st.form_submit_button("Save customer", type="primary")
    if not submitted:
        return
    fields = {
        "name": name,
        "street": street,
        "postal_code": postal,
        "city": city,
        "country": country,
        "language": language,
        "vat": vat or None,
        "enterprise_number": kbo or None,
        "peppol_id": peppol or None,
        "email": email or None,
        "payment_terms_days": int(terms),
        "is_consumer": consumer,
    }
    if current is None:
        saved = run_command(
            "Saving the customer", service().create_customer, user, dossier_id, fields
        )
    else:
        saved = run_command(
            "Saving the customer", service().update_customer, user, dossier_id, current.id, fields
        )
    if saved is not None:
        flash(f"Customer {saved.name} saved")
        select_next("cust_pick", saved.id)
        st.rerun()


def _import(user: UserView, dossier_id: int) -> None:
    st.subheader("Import customers (CSV)")
    st.caption(
        "Columns: name, country, vat, enterprise_number, peppol_id, email, language, "
        "street, postal_code, city, payment_terms_days. Bad rows are listed with their line."
    )
    upload = st.file_uploader("Customer CSV", type=["csv", "txt"], key="cust_csv")
    if upload is None:
        return
    if upload.size > MAX_CSV_BYTES:
        st.error("The file is larger than 5 MB.")
        return
    if not st.button("Import", key="cust_import"):
        return
    result = run_command("Import", service().import_customers, user, dossier_id, upload.getvalue())
    if result is None:
        return
    added, errors = result
    st.success(f"{len(added)} customers added.")
    for line, reason in errors:
        st.error(f"Line {line}: {esc(reason)}")


if __name__ == "__main__":
    render()
