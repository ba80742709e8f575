"""The Review page's analytical distribution: each cost or revenue line of the entry in each
active dimension, its distribution (or the learned default, prefilled), and a form to set it
in percent (``Service.distribute``: the percentages must add up to 100; the amounts always add
up to the line to the cent).  Hidden when the dossier has no active dimension."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from pipeline.service import DocumentDetail, Permission, ServiceError, UserView
from review_ui.common import esc, flash, money, run_command, service

DEFAULT_NOTE = "learned default, stored when booked"


def _shares_text(parts: Any) -> str:
    return " ".join(f"{p.code}={p.pct}" for p in parts)


def parse_shares(text: str) -> list[tuple[str, str]]:
    """``WINKEL=60 ATELIER=40`` (or ``;``/``,``-separated, ``%`` allowed) -> pairs; a share
    without ``=`` keeps an empty percentage, so the service names what is missing."""
    pairs = []
    for part in text.replace(";", " ").replace(",", " ").split():
        code, _, pct = part.partition("=")
        pairs.append((code.strip(), pct.strip().rstrip("%")))
    return pairs


def distribution_panel(user: UserView, detail: DocumentDetail) -> None:
    entry = detail.entry
    if entry is None:
        return
    svc = service()
    try:
        lines = svc.line_distributions(user, entry.id)
    except ServiceError:
        return  # no right to see the books here: nothing to show
    if not lines:
        return
    dossier_id = detail.row.dossier_id
    can_edit = Permission.MANUAL_ENTRIES in svc.my_permissions(user, dossier_id)
    with st.expander("Analytical distribution", expanded=True):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Line": ln.seq,
                        "Account": ln.account,
                        "Amount": money(ln.amount),
                        "Dimension": ln.dimension,
                        "Distribution": ", ".join(
                            f"{p.code} {p.pct}% = {money(p.amount)}" for p in ln.parts
                        )
                        + (f" ({DEFAULT_NOTE})" if ln.is_default else ""),
                    }
                    for ln in lines
                ]
            ),
            hide_index=True,
            key=f"rv_dist_table_{entry.id}",
        )
        if not can_edit:
            st.caption("Setting a distribution needs the right to make manual entries.")
            return
        choices = {(ln.seq, ln.dimension): ln for ln in lines}
        picked = st.selectbox(
            "Line and dimension",
            list(choices),
            format_func=lambda k: (
                f"line {k[0]} · {choices[k].account} · {money(choices[k].amount)} · {k[1]}"
            ),
            key=f"rv_dist_pick_{entry.id}",
        )
        if picked is None:
            return
        current = choices[picked]
        text = st.text_input(
            "Shares in percent (CODE=PERCENT, separated by spaces)",
            value=_shares_text(current.parts),
            placeholder="WINKEL=60 ATELIER=40",
            key=f"rv_dist_shares_{entry.id}_{picked[0]}_{picked[1]}",
        )
        if st.button("Save distribution", key=f"rv_dist_save_{entry.id}"):
            got = run_command(
                "Distribution",
                svc.distribute,
                user,
                entry.id,
                int(picked[0]),
                parse_shares(text),
                dimension=str(picked[1]),
            )
            if got is not None:
                flash(
                    f"Line {picked[0]} ({picked[1]}): "
                    + ", ".join(f"{p.code} {p.pct}% = {money(p.amount)}" for p in got)
                )
                st.rerun()
        st.caption(esc(f"Codes: {_codes(svc, user, dossier_id, str(picked[1]))}"))


def _codes(svc: Any, user: UserView, dossier_id: int, dimension: str) -> str:
    for dim in svc.analytic_dimensions(user, dossier_id):
        if dim.name == dimension:
            return ", ".join(c.code for c in dim.codes if c.active) or "none"
    return "none"
