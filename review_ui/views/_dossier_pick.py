"""The dossier picker the Journals, VAT and Storage pages share."""

from __future__ import annotations

import streamlit as st

from pipeline.service import UserView
from review_ui.common import dossier_names


def pick_dossier(user: UserView, key: str, column: object = st) -> int | None:
    names = dossier_names(user.id, user.role, user)
    if not names:
        st.info("You have no dossiers yet.")
        return None
    ids = sorted(names, key=lambda i: names[i].lower())
    chosen = column.selectbox(  # type: ignore[attr-defined]
        "Dossier", ids, format_func=lambda i: names[i], key=key
    )
    return int(chosen) if chosen is not None else None
