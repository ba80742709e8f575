# ruff: noqa: E501  (the rule table below keeps one case per line on purpose)
"""One minimal failing and one passing document per UBL.BE 1.31 rule (ubl-BE-01 .. 15).

The base is the official UBL.BE test case 15000001 (a UBL.BE invoice that passes every
ubl-BE rule) with one small change applied through lxml.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from lxml import etree
from peppol_paths import UBL_DIR

from peppol.ns import UBL_NS
from peppol.rules_base import REGISTRY
from peppol.safe_xml import parse_xml_safely
from peppol.validation import run_own_rules

Mutation = Callable[[Any], None]
CBC, CAC = UBL_NS["cbc"], UBL_NS["cac"]
BE = (UBL_DIR / "ublbe_15000001.xml").read_bytes()
BE_CREDIT = (UBL_DIR / "ublbe_15000024.xml").read_bytes()


def _find(root: Any, path: str) -> Any:
    found = root.xpath(path, namespaces=UBL_NS)
    assert found, path
    return found[0]


def text(path: str, value: str) -> Mutation:
    return lambda root: setattr(_find(root, path), "text", value)


def remove(path: str) -> Mutation:
    def apply(root: Any) -> None:
        for el in root.xpath(path, namespaces=UBL_NS):
            el.getparent().remove(el)

    return apply


def after(path: str, snippet: str) -> Mutation:
    def apply(root: Any) -> None:
        anchor = _find(root, path)
        for node in etree.fromstring(f'<w xmlns:cbc="{CBC}" xmlns:cac="{CAC}">{snippet}</w>'):
            anchor.addnext(node)
            anchor = node

    return apply


def chain(*steps: Mutation) -> Mutation:
    def apply(root: Any) -> None:
        for step in steps:
            step(root)

    return apply


ADR = "/*/cac:AdditionalDocumentReference"
CATEGORY = "/*/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory"
LINE1 = "/*/cac:InvoiceLine[1]"
TERMS = "<cac:DeliveryTerms><cbc:ID>{0}</cbc:ID><cbc:SpecialTerms>{1}</cbc:SpecialTerms></cac:DeliveryTerms>"
DELIVERY = "<cac:Delivery>" + TERMS + "</cac:Delivery>"
DISCOUNT = '<cac:PaymentTerms><cbc:SettlementDiscountPercent>{0}</cbc:SettlementDiscountPercent><cbc:Amount currencyID="EUR">{1}</cbc:Amount><cbc:PaymentDueDate>{2}</cbc:PaymentDueDate></cac:PaymentTerms>'
EXEMPT = "<cbc:TaxExemptionReasonCode>{0}</cbc:TaxExemptionReasonCode><cbc:TaxExemptionReason>{1}</cbc:TaxExemptionReason>"

# rule id -> (failing mutation, passing mutation or None for the plain document)
CASES: dict[str, tuple[Mutation, Mutation | None]] = {
    "ubl-BE-01": (remove(f"{ADR}[1]"), None),
    "ubl-BE-02": (text(f"{ADR}[2]/cbc:DocumentDescription", "Invoice"), None),
    "ubl-BE-03": (text(f"{ADR}[1]/cbc:ID", "UBL-BE"), None),
    "ubl-BE-04": (remove(f"{ADR}[1]/cbc:DocumentDescription"), None),
    "ubl-BE-05": (after("/*/cac:PaymentMeans", DELIVERY.format("BELM-009", "Invoice issued by the receiver")), after("/*/cac:PaymentMeans", DELIVERY.format("BELM-006", "Invoice issued by the receiver"))),
    "ubl-BE-06": (after("/*/cac:PaymentMeans", DELIVERY.format("BELM-006", "Self-billing")), after("/*/cac:PaymentMeans", DELIVERY.format("BELM-006", "Factuur uitgereikt door de afnemer"))),
    "ubl-BE-07": (after("/*/cac:PaymentTerms", DISCOUNT.format("100", "10", "2020-01-31")), after("/*/cac:PaymentTerms", DISCOUNT.format("2", "10", "2020-01-31"))),
    "ubl-BE-08": (after("/*/cac:PaymentTerms", DISCOUNT.format("2", "0", "2020-01-31")), after("/*/cac:PaymentTerms", DISCOUNT.format("2", "10", "2020-01-31"))),
    "ubl-BE-09": (after("/*/cac:PaymentTerms", DISCOUNT.format("2", "10", "31/01/2020")), after("/*/cac:PaymentTerms", DISCOUNT.format("2", "10", "2020-01-31"))),
    "ubl-BE-10": (text(f"{CATEGORY}/cbc:Name", "21%"), text(f"{CATEGORY}/cbc:Name", "OSS-S")),
    "ubl-BE-11": (after(f"{CATEGORY}/cbc:Percent", EXEMPT.format("VATEX-EU-AE", "Reverse charge - Contractor")), after(f"{CATEGORY}/cbc:Percent", EXEMPT.format("BETE-45", "Reverse charge - Contractor"))),
    "ubl-BE-12": (after(f"{CATEGORY}/cbc:Percent", EXEMPT.format("BETE-45", "Verlegd")), after(f"{CATEGORY}/cbc:Percent", EXEMPT.format("BETE-45", "Reverse charge - Contractor"))),
    "ubl-BE-13": (text(f"{LINE1}/cac:TaxTotal/cbc:TaxAmount", "twenty"), None),
    "ubl-BE-14": (remove(f"{LINE1}/cac:TaxTotal"), None),
    "ubl-BE-15": (remove(f"{LINE1}/cac:Item/cac:ClassifiedTaxCategory/cbc:Name"), None),
}  # fmt: skip


def _rule_ids(document: bytes, mutation: Mutation | None) -> set[str]:
    root = parse_xml_safely(document)
    if mutation is not None:
        mutation(root)
    return {f.rule_id for f in run_own_rules(root, rulesets=("ublbe",))}


def test_every_ublbe_rule_has_a_case() -> None:
    assert {r.rule_id for r in REGISTRY["ublbe"]} == set(CASES)


def test_official_ublbe_examples_pass() -> None:
    assert _rule_ids(BE, None) == set()
    assert _rule_ids(BE_CREDIT, None) == set()


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_ublbe_rule_fails_and_passes(rule_id: str) -> None:
    failing, passing = CASES[rule_id]
    assert rule_id in _rule_ids(BE, failing)
    assert rule_id not in _rule_ids(BE, passing)


def test_ublbe_findings_are_fatal_with_location() -> None:
    root = parse_xml_safely(BE)
    remove(f"{LINE1}/cac:TaxTotal")(root)
    [finding] = [f for f in run_own_rules(root, rulesets=("ublbe",)) if f.rule_id == "ubl-BE-14"]
    assert finding.severity == "fatal"
    assert finding.location == "/Invoice/InvoiceLine[1]"
