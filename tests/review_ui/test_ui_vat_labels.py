"""The VAT page labels every grid from the one table (booking.intervat), 71/72 included."""

from __future__ import annotations

from test_ui_pages import app, frame, texts
from ui_world import World


def test_vat_page_labels_the_balance_grid(world: World) -> None:
    seed = world.seed
    world.service.confirm(seed.anna, seed.ubl, iban_checked=True)  # its IBAN is new
    at = app(seed.anna, "vat")
    at.selectbox(key="vat_dossier").select(seed.dossier_a).run()
    grid = frame(at, "vat_table").set_index("Grid")
    balance = "72" if "72" in grid.index else "71"
    labels = {"72": "VAT refundable by the State", "71": "VAT payable to the State"}
    assert grid.loc[balance, "Meaning"] == labels[balance]
    assert all(grid["Meaning"] != "")


def test_vat_page_exports_the_return_and_shows_a_refusal(world: World) -> None:
    seed = world.seed
    world.service.confirm(seed.anna, seed.ubl, iban_checked=True)  # its IBAN is new
    at = app(seed.anna, "vat")
    at.selectbox(key="vat_dossier").select(seed.dossier_a).run()
    assert at.selectbox(key="vat_export_period").value == "2018-Q2"
    assert not at.warning
    assert not at.exception
    # nothing intra-EU was booked: the listing is refused with the reason, visibly
    at.selectbox(key="vat_export_kind").select("intra").run()
    assert "at least one client" in texts(at, "warning")[0]
    data = world.service.vat_export(seed.anna, seed.dossier_a, "2018-Q2", "return")
    assert b"VATConsignment" in data
