"""Intervat exports (issue 16): every document validates against the official XSDs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from booking.context import BookingContext, Dossier
from booking.intervat import (
    GRID_LABELS,
    NS_CLIENTS,
    NS_INTRA,
    NS_VAT,
    ClientTotal,
    Declarant,
    IntervatError,
    IntraTotal,
    VatPeriod,
    VatReturn,
    client_listing_from_entries,
    client_listing_xml,
    grid_label,
    intra_listing_from_entries,
    intra_listing_xml,
    parse_period,
    vat_return_xml,
)
from booking.io import proposal_to_json
from booking.propose import propose
from booking.vat import GRID_SIDE
from booking.vat_return import vat_return
from extractors.model import InvoiceData, InvoiceLine, Party

D = Declarant(
    vat="BE0743182920", name="Demo Consult BV", street="Kerkstraat 1", postcode="9000",
    city="Gent", email="boekhouding@demo.be", phone="+32 9 123 45 67",
)  # fmt: skip
OWN = Party(name="Demo Consult BV", vat="BE0743182920", country="BE")
CTX = BookingContext(dossier=Dossier(name=OWN.name, vat=OWN.vat, vat_period="quarter"))


@pytest.fixture(scope="module")
def schemas(corpus_dir: Path) -> dict[str, etree.XMLSchema]:
    folder = corpus_dir / "intervat"
    return {
        name: etree.XMLSchema(etree.parse(str(folder / f"{name}-in_v0_9.xsd")))
        for name in ("NewTVA", "NewLK", "NewICO")
    }


def _valid(schema: etree.XMLSchema, data: bytes) -> etree._Element:
    doc = etree.fromstring(data)
    assert schema.validate(doc), schema.error_log
    return doc


def _sale(customer: Party, *lines: InvoiceLine, cn: bool = False) -> InvoiceData:
    from extractors.model import DocumentType

    net = sum((ln.net for ln in lines), Decimal("0.00"))
    vat = sum(((ln.net * (ln.vat_rate or 0) / 100).quantize(Decimal("0.01")) for ln in lines),
              Decimal("0.00"))  # fmt: skip
    return InvoiceData(
        document_type=DocumentType.CREDIT_NOTE if cn else DocumentType.INVOICE,
        invoice_number="V1", issue_date=dt.date(2026, 2, 10), supplier=OWN, customer=customer,
        lines=lines, total_excl_vat=net, total_vat=vat, total_incl_vat=net + vat,
    )  # fmt: skip


def _entry(inv: InvoiceData) -> dict:
    out = proposal_to_json(propose(inv, CTX))
    out["counterparty_vat"] = inv.customer.vat
    return out


BE_CLIENT = Party(name="Klant NV", vat="BE0428759497", country="BE")
DE_CLIENT = Party(name="Kunde GmbH", vat="DE811234567", country="DE")
FR_CLIENT = Party(name="Client SAS", vat="FR40123456789", country="FR")


def _ln(text: str, net: str, rate: int, cat: str) -> InvoiceLine:
    return InvoiceLine(Decimal(net), text, vat_category=cat, vat_rate=Decimal(rate))


def test_every_grid_of_the_return_has_a_label_in_three_languages() -> None:
    schema_grids = {"00", "01", "02", "03", "44", "45", "46", "47", "48", "49", "54", "55",
                    "56", "57", "59", "61", "62", "63", "64", "71", "72", "81", "82", "83",
                    "84", "85", "86", "87", "88", "91"}  # fmt: skip
    assert set(GRID_LABELS) == schema_grids
    assert set(GRID_SIDE) <= set(GRID_LABELS)
    assert grid_label("71", "nl") == "Aan de Staat verschuldigde belasting"
    assert grid_label("72", "fr") == "Sommes dues par l'État"
    assert all(all(labels) for labels in GRID_LABELS.values())


def test_quarterly_return_from_booked_entries_validates(schemas: dict) -> None:
    entries = [
        _entry(_sale(BE_CLIENT, _ln("Consultancy", "1000.00", 21, "S"))),
        _entry(_sale(DE_CLIENT, _ln("Levering onderdelen", "500.00", 0, "K"))),
        _entry(_sale(BE_CLIENT, _ln("Consultancy", "100.00", 21, "S"), cn=True)),
    ]
    grids = vat_return(entries)
    ret = VatReturn(D, parse_period("2026-Q1"), grids, ask_payment=True)
    doc = _valid(schemas["NewTVA"], vat_return_xml(ret))
    ns = {"v": NS_VAT}
    amounts = {a.get("GridNumber"): a.text for a in doc.iterfind(".//v:Amount", ns)}
    assert amounts == {"3": "1000.00", "46": "500.00", "49": "100.00", "54": "210.00",
                       "64": "21.00", "71": "189.00"}  # fmt: skip
    assert doc.findtext(".//v:Period/v:Quarter", namespaces=ns) == "1"
    assert doc.findtext(".//v:Period/v:Year", namespaces=ns) == "2026"
    assert doc.findtext(".//{*}VATNumber") == "0743182920"
    assert doc.find(".//v:Ask", ns).get("Payment") == "YES"


def test_monthly_refund_return_writes_72(schemas: dict) -> None:
    grids = {"82": Decimal("1000.00"), "59": Decimal("210.00")}
    doc = _valid(schemas["NewTVA"], vat_return_xml(VatReturn(D, parse_period("2026-03"), grids)))
    amounts = {a.get("GridNumber"): a.text for a in doc.iterfind(".//{*}Amount")}
    assert amounts == {"82": "1000.00", "59": "210.00", "72": "210.00"}
    assert doc.findtext(".//{*}Period/{*}Month") == "3"


def test_empty_return_is_valid_with_71_zero(schemas: dict) -> None:
    doc = _valid(schemas["NewTVA"], vat_return_xml(VatReturn(D, VatPeriod(2026, quarter=2), {})))
    assert [(a.get("GridNumber"), a.text) for a in doc.iterfind(".//{*}Amount")] == [("71", "0.00")]


@pytest.mark.parametrize(
    ("grids", "message"),
    [
        ({"54": Decimal("10"), "71": Decimal("9")}, "grid 71 is 9"),
        ({"59": Decimal("10"), "71": Decimal("1")}, "grid 71 is 1"),
        ({"99": Decimal("1")}, "99"),
        ({"81": Decimal("-5")}, "negative"),
        ({"91": Decimal("5")}, "December"),
    ],
)
def test_inconsistent_returns_are_refused(grids: dict, message: str) -> None:
    with pytest.raises(IntervatError, match=message):
        vat_return_xml(VatReturn(D, parse_period("2026-Q1"), grids))


@pytest.mark.parametrize("bad", ["2026-Q5", "2026-13", "26-01", "2026", "2026-Q1x"])
def test_bad_periods_are_refused(bad: str) -> None:
    with pytest.raises(IntervatError):
        parse_period(bad)


def test_declarant_vat_must_be_belgian_and_pass_mod97() -> None:
    with pytest.raises(IntervatError, match="mod-97"):
        vat_return_xml(VatReturn(Declarant("BE0743182921"), parse_period("2026-Q1"), {}))
    with pytest.raises(IntervatError, match="Belgian"):
        vat_return_xml(VatReturn(Declarant("NL812345678B01"), parse_period("2026-Q1"), {}))


def test_hostile_declarant_text_is_cleaned_and_still_valid(schemas: dict) -> None:
    d = Declarant("BE0743182920", name="A & B <x>\x00\x1f" + "n" * 500, city="Gent\u0007")
    doc = _valid(schemas["NewTVA"], vat_return_xml(VatReturn(D, parse_period("2026-Q1"), {})))
    assert doc is not None
    doc = _valid(schemas["NewTVA"], vat_return_xml(VatReturn(d, parse_period("2026-Q1"), {})))
    name = doc.findtext(".//{*}Name")
    assert name is not None
    assert name.startswith("A & B <x>")
    assert len(name) == 200


def test_client_listing_from_entries_validates(schemas: dict) -> None:
    small = Party(name="Klein BV", vat="BE0403170701", country="BE")
    entries = [
        _entry(_sale(BE_CLIENT, _ln("Consultancy", "1000.00", 21, "S"))),
        _entry(_sale(BE_CLIENT, _ln("Levering 3 stuks", "200.00", 6, "S"))),
        _entry(_sale(BE_CLIENT, _ln("Consultancy", "100.00", 21, "S"), cn=True)),
        _entry(_sale(small, _ln("Consultancy", "100.00", 21, "S"))),  # below EUR 250
        _entry(_sale(DE_CLIENT, _ln("Levering onderdelen", "500.00", 0, "K"))),
    ]
    clients = client_listing_from_entries(entries)
    assert clients == [ClientTotal("BE0428759497", Decimal("1100.00"), Decimal("201.00"))]
    doc = _valid(schemas["NewLK"], client_listing_xml(D, 2026, clients))
    ns = {"c": NS_CLIENTS}
    listing = doc.find("c:ClientListing", ns)
    assert listing.get("ClientsNbr") == "1"
    assert listing.get("TurnOverSum") == "1100.00"
    assert listing.get("VATAmountSum") == "201.00"
    assert doc.findtext(".//c:Client/c:CompanyVATNumber", namespaces=ns) == "0428759497"
    assert doc.findtext("c:ClientListing/c:Period", namespaces=ns) == "2026"


def test_empty_client_listing_validates(schemas: dict) -> None:
    doc = _valid(schemas["NewLK"], client_listing_xml(D, 2026, []))
    assert doc.find("{*}ClientListing").get("ClientsNbr") == "0"


def test_intra_listing_from_entries_validates(schemas: dict) -> None:
    entries = [
        _entry(_sale(DE_CLIENT, _ln("Levering onderdelen", "500.00", 0, "K"))),
        _entry(_sale(DE_CLIENT, _ln("Consultancy", "300.00", 0, "AE"))),
        _entry(_sale(FR_CLIENT, _ln("Consultancy", "800.00", 0, "AE"))),
        _entry(_sale(DE_CLIENT, _ln("Levering onderdelen", "50.00", 0, "K"), cn=True)),
        _entry(_sale(BE_CLIENT, _ln("Consultancy", "1000.00", 21, "S"))),
    ]
    clients = intra_listing_from_entries(entries)
    assert clients == [
        IntraTotal("DE811234567", "L", Decimal("450.00")),
        IntraTotal("DE811234567", "S", Decimal("300.00")),
        IntraTotal("FR40123456789", "S", Decimal("800.00")),
    ]
    doc = _valid(schemas["NewICO"], intra_listing_xml(D, parse_period("2026-Q1"), clients))
    ns = {"i": NS_INTRA}
    listing = doc.find("i:IntraListing", ns)
    assert listing.get("AmountSum") == "1550.00"
    first = doc.find(".//i:IntraClient/i:CompanyVATNumber", ns)
    assert (first.get("issuedBy"), first.text) == ("DE", "811234567")


def test_intra_listing_refuses_a_customer_without_eu_vat() -> None:
    us = Party(name="Acme", vat="US12345", country="US")
    entry = _entry(_sale(DE_CLIENT, _ln("Levering onderdelen", "500.00", 0, "K")))
    entry["counterparty_vat"] = us.vat
    with pytest.raises(IntervatError, match="member state"):
        intra_listing_from_entries([entry])
    with pytest.raises(IntervatError, match="at least one"):
        intra_listing_xml(D, parse_period("2026-Q1"), [])


def test_greek_prefix_is_el(schemas: dict) -> None:
    rows = [IntraTotal("GR123456789", "S", Decimal("10.00"))]
    doc = _valid(schemas["NewICO"], intra_listing_xml(D, parse_period("2026-02"), rows))
    assert doc.find(".//{*}CompanyVATNumber").get("issuedBy") == "EL"
