"""Items of a dossier: description, unit price, VAT rate or exemption, revenue account."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from pipeline.service import UserView
from review_ui.common import current_user, flash, money, run_command, service, show_flash
from review_ui.views._invoicing import apply_next, pick_invoicing_dossier, select_next

RATES = ("21", "12", "6", "0", "exempt", "per line")
KINDS = {"services": "Services (705000)", "goods": "Goods (700000)"}
NEW = 0


def render() -> None:
    user = current_user()
    show_flash()
    st.header("Items")
    dossier_id = pick_invoicing_dossier(user, "item_dossier")
    if dossier_id is None:
        return
    items = service().items(user, dossier_id)
    if items:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Description": i.description,
                        "Unit price": money(i.unit_price),
                        "VAT": "exempt"
                        if i.exempt
                        else ("per line" if i.vat_rate is None else f"{i.vat_rate:f} %"),
                        "Kind": i.kind,
                        "Account": i.account,
                    }
                    for i in items
                ]
            ),
            hide_index=True,
            key="item_table",
        )
    else:
        st.caption("No items yet.")
    by_id = {i.id: i for i in items}
    labels = {NEW: "New item"} | {i.id: i.description for i in items}
    apply_next("item_pick")
    picked = st.selectbox(
        "Add or edit", list(labels), format_func=labels.__getitem__, key="item_pick"
    )
    _form(user, dossier_id, by_id.get(int(picked or 0)))


def _rate(item: Any) -> str:
    if item is None:
        return "21"
    if item.exempt:
        return "exempt"
    if item.vat_rate is None:
        return "per line"
    text = format(item.vat_rate.normalize(), "f")
    return text if text in RATES else "21"


def _form(user: UserView, dossier_id: int, current: Any) -> None:
    suffix = current.id if current is not None else "new"
    with st.form(f"item_form_{suffix}"):
        description = st.text_input(
            "Description",
            value=current.description if current else "",
            key=f"item_desc_{suffix}",
        )
        price = st.text_input(
            "Unit price (EUR, excl. VAT)",
            value=format(current.unit_price, "f") if current else "",
            key=f"item_price_{suffix}",
        )
        rate = st.selectbox(
            "VAT rate (%)", RATES, index=RATES.index(_rate(current)), key=f"item_rate_{suffix}"
        )
        kinds = list(KINDS)
        kind = st.selectbox(
            "Kind",
            kinds,
            format_func=KINDS.__getitem__,
            index=kinds.index(current.kind) if current and current.kind in kinds else 0,
            key=f"item_kind_{suffix}",
        )
        account = st.text_input(
            "Revenue account (empty: by kind)",
            value=current.account if current else "",
            key=f"item_account_{suffix}",
        )
        submitted = st.form_submit_button("Save item", type="primary")
    if not submitted:
        return
    fields: dict[str, Any] = {
        "description": description,
        "unit_price": price or "0",
        "vat_rate": None if rate in ("exempt", "per line") else rate,
        "exempt": rate == "exempt",
        "kind": kind,
    }
    if account.strip():
        fields["revenue_account"] = account.strip()
    if current is None:
        saved = run_command("Saving the item", service().create_item, user, dossier_id, fields)
    else:
        saved = run_command(
            "Saving the item", service().update_item, user, dossier_id, current.id, fields
        )
    if saved is not None:
        flash(f"Item {saved.description} saved")
        select_next("item_pick", saved.id)
        st.rerun()


if __name__ == "__main__":
    render()
