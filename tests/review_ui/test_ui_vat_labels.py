"""The VAT page labels every grid from the one table (booking.intervat), 71/72 included."""

from __future__ import annotations

from test_ui_pages import app, frame
from ui_world import World


def test_vat_page_labels_the_balance_grid(world: World) -> None:
    seed = world.seed
    world.service.confirm(seed.anna, seed.ubl)
    at = app(seed.anna, "vat")
    at.selectbox(key="vat_dossier").select(seed.dossier_a).run()
    grid = frame(at, "vat_table").set_index("Grid")
    balance = "72" if "72" in grid.index else "71"
    labels = {"72": "VAT refundable by the State", "71": "VAT payable to the State"}
    assert grid.loc[balance, "Meaning"] == labels[balance]
    assert all(grid["Meaning"] != "")
