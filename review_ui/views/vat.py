"""VAT: the VAT-return grid totals per period, from booked entries."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from review_ui.common import current_user, service, show_flash
from review_ui.views._dossier_pick import pick_dossier

GRIDS = {
    "00": "special regime / exempt (mixed taxpayer)",
    "01": "sales taxable at 6 %",
    "02": "sales taxable at 12 %",
    "03": "sales taxable at 21 %",
    "44": "intra-EU services supplied",
    "45": "reverse charge (medecontractant)",
    "46": "intra-EU supplies",
    "47": "other exempt operations, exports",
    "48": "credit notes on 44/46",
    "49": "other credit notes issued",
    "54": "output VAT",
    "55": "VAT on 86/88",
    "56": "VAT on 87",
    "57": "import VAT with deferral",
    "59": "deductible VAT",
    "61": "regularisation in favour of the State",
    "62": "regularisation in favour of the declarant",
    "63": "VAT to repay on credit notes received",
    "64": "VAT to recover on credit notes issued",
    "81": "goods for resale, raw materials",
    "82": "services and miscellaneous goods",
    "83": "investment goods",
    "84": "credit notes received on 86/88",
    "85": "other credit notes received",
    "86": "intra-EU acquisitions",
    "87": "other purchases, VAT owed by the declarant",
    "88": "intra-EU services received",
}


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
                "Meaning": GRIDS.get(grid, ""),
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


if __name__ == "__main__":
    render()
