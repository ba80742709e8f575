"""The speed devices of the UBL parse keep results identical.

* ``parse_xml_safely(drop_blank_text=True)`` (used by ``parse_invoice_xml``) leaves out
  indentation only: every leaf keeps its text, and every refusal still applies;
* the generated constructors of ``peppol._ubl_build.maker`` build objects equal to
  the dataclass ``__init__`` (defaults and factories included) and fall back to
  ``__init__`` for a class that needs it.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from peppol_paths import UBL_FILES

import peppol
from extractors.model import AllowanceCharge, InvoiceData, InvoiceLine, Party
from peppol import UnsafeXml
from peppol._ubl_build import maker
from peppol.safe_xml import XmlLimits, parse_xml_safely

INV_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"


def _leaf_texts(root: etree._Element) -> list[tuple[str, str | None]]:
    return [(el.tag, el.text) for el in root.iter() if isinstance(el.tag, str) and len(el) == 0]


@pytest.mark.parametrize("path", UBL_FILES, ids=lambda p: p.stem)
def test_dropping_blank_text_keeps_every_leaf_text(path: Path) -> None:
    data = path.read_bytes()
    full = parse_xml_safely(data)
    lean = parse_xml_safely(data, drop_blank_text=True)
    assert _leaf_texts(lean) == _leaf_texts(full)
    assert sum(1 for _ in lean.iter()) <= sum(1 for _ in full.iter())


@pytest.mark.parametrize("path", UBL_FILES[::6], ids=lambda p: p.stem)
def test_indentation_does_not_change_the_invoice(path: Path) -> None:
    data = path.read_bytes()
    tree = etree.fromstring(data, etree.XMLParser(remove_blank_text=True, remove_comments=True))
    compact = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    etree.indent(tree, space="\t\t")
    indented = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    expected = peppol.parse_invoice_xml(data)
    assert peppol.parse_invoice_xml(compact) == expected
    assert peppol.parse_invoice_xml(indented) == expected


def test_whitespace_only_leaf_is_kept_and_blank_between_elements_dropped() -> None:
    data = f'<Invoice xmlns="{INV_NS}">\n  <a>  </a>\n  <b> x </b>\n</Invoice>'.encode()
    root = parse_xml_safely(data, drop_blank_text=True)
    assert root.text is None
    assert [(c.text, c.tail) for c in root] == [("  ", None), (" x ", None)]


@pytest.mark.parametrize(
    "data",
    [
        f'<!DOCTYPE Invoice [<!ENTITY e "x">]><Invoice xmlns="{INV_NS}">&e;</Invoice>'.encode(),
        f'<!DOCTYPE Invoice SYSTEM "http://127.0.0.1:9/x.dtd"><Invoice xmlns="{INV_NS}"/>'.encode(),
        f'<Invoice xmlns="{INV_NS}">{"<a>" * 300}{"</a>" * 300}</Invoice>'.encode(),
    ],
    ids=["internal-subset", "external-dtd", "too-deep"],
)
def test_refusals_hold_without_blank_text(data: bytes) -> None:
    with pytest.raises(UnsafeXml):
        parse_xml_safely(data, drop_blank_text=True)


def test_explicit_depth_limit_holds_without_blank_text() -> None:
    data = f'<Invoice xmlns="{INV_NS}">{"<a>" * 20}{"</a>" * 20}</Invoice>'.encode()
    with pytest.raises(UnsafeXml, match="deeper than 10"):
        parse_xml_safely(data, XmlLimits(max_depth=10), drop_blank_text=True)


def test_maker_builds_what_init_builds() -> None:
    names = ("net", "description", "id", "quantity", "unit_price", "vat_rate")
    values: tuple[Any, ...] = (
        Decimal("10.00"), "Widget", "1", Decimal(2), Decimal("5.00"), Decimal(21),
    )  # fmt: skip
    built = maker(InvoiceLine, names)(*values)
    expected = InvoiceLine(**dict(zip(names, values, strict=True)))
    assert type(built) is InvoiceLine
    assert built == expected
    assert hash(built) == hash(expected)
    assert built.item_classification == ()
    assert built.allowances_charges == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.net = Decimal(0)  # type: ignore[misc]


def test_maker_fills_default_factories_per_object() -> None:
    build = maker(InvoiceData, ("invoice_number", "lines"))
    one, two = build("A-1", ()), build("A-2", ())
    assert one == InvoiceData(invoice_number="A-1")
    assert one.supplier == Party()
    assert one.warnings == ()
    assert two.invoice_number == "A-2"
    assert repr(one) == repr(InvoiceData(invoice_number="A-1"))


def test_maker_checks_field_names_and_count() -> None:
    with pytest.raises(TypeError, match="no fields"):
        maker(AllowanceCharge, ("is_charge", "amount", "colour"))
    with pytest.raises(TypeError, match="no default"):
        maker(AllowanceCharge, ("is_charge",))
    build = maker(AllowanceCharge, ("is_charge", "amount"))
    with pytest.raises(TypeError):
        build(True)


@dataclasses.dataclass(frozen=True, slots=True)
class _Checked:
    amount: Decimal
    note: str = ""

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError("negative")


def test_maker_runs_init_for_a_class_that_needs_it() -> None:
    build = maker(_Checked, ("amount",))
    assert build(Decimal(1)) == _Checked(Decimal(1))
    with pytest.raises(ValueError, match="negative"):
        build(Decimal(-1))
