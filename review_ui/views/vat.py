"""VAT: the VAT-return grid totals per period, from booked entries."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pipeline.service import ServiceError, UserView
from pipeline.service.views import GRID_LABELS
from review_ui.common import current_user, service, show_flash
from review_ui.views._dossier_pick import pick_dossier

#: grid -> (nl, fr, en): the one table of grid labels (booking.intervat), 71/72 included
GRIDS = GRID_LABELS


def _grid_key(grid: str) -> tuple[int, str]:
    return (int(grid), grid) if grid.isdigit() else (10_000, grid)


def render() -> None:
    user = current_user()
    show_flash()
    st.header("VAT return")
    dossier_id = pick_dossier(user, "vat_dossier")
    if dossier_id is None:
        return
    by_period = service().vat_return(user, dossier_id)
    if not by_period:
        st.info("No booked entries yet: nothing to declare.")
        return
    periods = sorted(by_period)
    grids = sorted({g for totals in by_period.values() for g in totals}, key=_grid_key)
    frame = pd.DataFrame(
        [
            {
                "Grid": grid,
                "Meaning": GRIDS.get(grid, ("", "", ""))[2],
                **{p: float(by_period[p].get(grid, 0)) for p in periods},
            }
            for grid in grids
        ]
    )
    st.caption("Grid totals per VAT period, from booked entries (amounts in EUR).")
    st.dataframe(
        frame,
        hide_index=True,
        key="vat_table",
        column_config={p: st.column_config.NumberColumn(p, format="%.2f") for p in periods},
    )
    _export(user, dossier_id, periods)


_KINDS = {
    "return": "Periodic VAT return",
    "clients": "Annual listing of Belgian customers",
    "intra": "Intra-EU listing",
}


def _export(user: UserView, dossier_id: int, periods: list[str]) -> None:
    """Intervat XML of a period, built by the service; a refusal shows its reason."""
    st.subheader("Export for Intervat")
    left, right = st.columns(2)
    period = left.selectbox("Period", periods, index=len(periods) - 1, key="vat_export_period")
    kind = right.selectbox(
        "Document", list(_KINDS), format_func=_KINDS.__getitem__, key="vat_export_kind"
    )
    if period is None or kind is None:
        return
    ref = period[:4] if kind == "clients" else period
    try:
        data = service().vat_export(user, dossier_id, ref, kind)
    except ServiceError as exc:
        st.warning(f"Cannot export: {exc}")
        return
    st.download_button(
        f"Download {_KINDS[kind].lower()} {ref} (XML)",
        data,
        file_name=f"intervat-{kind}-{ref}.xml",
        mime="application/xml",
        key="vat_export_download",
    )


if __name__ == "__main__":
    render()
