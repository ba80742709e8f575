# ruff: noqa: E501  (the rule table below keeps one case per line on purpose)
"""One minimal failing and one passing document per own rule (Peppol BIS 3.0 and Belgian).

Documents are the Peppol base example (which passes every rule) with one small change
applied through lxml; the failing variant must raise the rule, the passing one must not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from lxml import etree
from peppol_paths import UBL_DIR

from peppol.ns import UBL_NS
from peppol.rules import RULES, Ctx, run_rules
from peppol.safe_xml import parse_xml_safely

Mutation = Callable[[Any], None]
BASE = (UBL_DIR / "peppol_base-example.xml").read_bytes()
CREDIT = (UBL_DIR / "peppol_snippet_CreditNote-snippets.xml").read_bytes()
CBC = UBL_NS["cbc"]
CAC = UBL_NS["cac"]


def _find(root: Any, path: str) -> Any:
    found = root.xpath(path, namespaces=UBL_NS)
    assert found, path
    return found[0]


def text(path: str, value: str) -> Mutation:
    return lambda root: setattr(_find(root, path), "text", value)


def attr(path: str, name: str, value: str) -> Mutation:
    return lambda root: _find(root, path).set(name, value)


def remove(path: str) -> Mutation:
    def apply(root: Any) -> None:
        el = _find(root, path)
        el.getparent().remove(el)

    return apply


def after(path: str, snippet: str) -> Mutation:
    """Insert ``snippet`` (cbc/cac prefixes available) right after the element at ``path``."""

    def apply(root: Any) -> None:
        anchor = _find(root, path)
        wrapper = etree.fromstring(f'<w xmlns:cbc="{CBC}" xmlns:cac="{CAC}">{snippet}</w>')
        for offset, child in enumerate(list(wrapper)):
            anchor.addnext(child) if offset == 0 else anchor.getnext().addnext(child)
            anchor = child

    return apply


def inside(path: str, snippet: str) -> Mutation:
    def apply(root: Any) -> None:
        parent = _find(root, path)
        wrapper = etree.fromstring(f'<w xmlns:cbc="{CBC}" xmlns:cac="{CAC}">{snippet}</w>')
        for child in list(wrapper):
            parent.append(child)

    return apply


def chain(*steps: Mutation) -> Mutation:
    def apply(root: Any) -> None:
        for step in steps:
            step(root)

    return apply


DOC_AC = "/*/cac:AllowanceCharge"
LINE1 = "/*/cac:InvoiceLine[1]"
SUPPLIER = "/*/cac:AccountingSupplierParty/cac:Party"
CUSTOMER = "/*/cac:AccountingCustomerParty/cac:Party"
PERIOD = "<cac:InvoicePeriod><cbc:StartDate>2017-11-01</cbc:StartDate><cbc:EndDate>2017-11-30</cbc:EndDate></cac:InvoicePeriod>"
TAX_CURRENCY_SEK = after(
    "/*/cbc:DocumentCurrencyCode", "<cbc:TaxCurrencyCode>SEK</cbc:TaxCurrencyCode>"
)
PRICE_AC = '<cac:AllowanceCharge><cbc:ChargeIndicator>{ind}</cbc:ChargeIndicator><cbc:Amount currencyID="EUR">{amount}</cbc:Amount><cbc:BaseAmount currencyID="EUR">{base}</cbc:BaseAmount></cac:AllowanceCharge>'
ADR50 = "<cac:AdditionalDocumentReference><cbc:ID>P{n}</cbc:ID><cbc:DocumentTypeCode>50</cbc:DocumentTypeCode></cac:AdditionalDocumentReference>"
LINE_DOCREF = "<cac:DocumentReference><cbc:ID>R{n}</cbc:ID><cbc:DocumentTypeCode>{code}</cbc:DocumentTypeCode></cac:DocumentReference>"
ATTACH = '<cac:AdditionalDocumentReference><cbc:ID>A</cbc:ID><cac:Attachment><cbc:EmbeddedDocumentBinaryObject mimeCode="{mime}" filename="a">QUJD</cbc:EmbeddedDocumentBinaryObject></cac:Attachment></cac:AdditionalDocumentReference>'


def _exempt(code: str, category: str) -> Mutation:
    return (
        after(
            "/*/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent",
            f"<cbc:TaxExemptionReasonCode>{code}</cbc:TaxExemptionReasonCode>",
        )
        if category == "S"
        else chain(
            text("/*/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID", category),
            after(
                "/*/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent",
                f"<cbc:TaxExemptionReasonCode>{code}</cbc:TaxExemptionReasonCode>",
            ),
        )
    )


def _endpoint(scheme: str, value: str) -> Mutation:
    return chain(
        attr(f"{SUPPLIER}/cbc:EndpointID", "schemeID", scheme),
        text(f"{SUPPLIER}/cbc:EndpointID", value),
    )


# rule id -> (document, failing mutation, passing mutation or None for the plain document)
CASES: dict[str, tuple[bytes, Mutation, Mutation | None]] = {
    "PEPPOL-EN16931-R001": (BASE, remove("/*/cbc:ProfileID"), None),
    "PEPPOL-EN16931-R002": (BASE, after("/*/cbc:InvoiceTypeCode", "<cbc:Note>a</cbc:Note><cbc:Note>b</cbc:Note>"), after("/*/cbc:InvoiceTypeCode", "<cbc:Note>a</cbc:Note>")),
    "PEPPOL-EN16931-R003": (BASE, remove("/*/cbc:BuyerReference"), chain(remove("/*/cbc:BuyerReference"), after("/*/cbc:AccountingCost", "<cac:OrderReference><cbc:ID>PO1</cbc:ID></cac:OrderReference>"))),
    "PEPPOL-EN16931-R004": (BASE, text("/*/cbc:CustomizationID", "urn:cen.eu:en16931:2017"), None),
    "PEPPOL-EN16931-R005": (BASE, after("/*/cbc:DocumentCurrencyCode", "<cbc:TaxCurrencyCode>EUR</cbc:TaxCurrencyCode>"), None),
    "PEPPOL-EN16931-R007": (BASE, text("/*/cbc:ProfileID", "urn:fdc:peppol.eu:2017:poacc:billing:1:1.0"), None),
    "PEPPOL-EN16931-R008": (BASE, text("/*/cbc:AccountingCost", "  "), None),
    "PEPPOL-EN16931-R010": (BASE, remove(f"{CUSTOMER}/cbc:EndpointID"), None),
    "PEPPOL-EN16931-R020": (BASE, remove(f"{SUPPLIER}/cbc:EndpointID"), None),
    "PEPPOL-EN16931-R040": (BASE, chain(after(f"{DOC_AC}/cbc:AllowanceChargeReason", "<cbc:MultiplierFactorNumeric>10</cbc:MultiplierFactorNumeric>"), after(f"{DOC_AC}/cbc:Amount", '<cbc:BaseAmount currencyID="EUR">100</cbc:BaseAmount>')),
                            chain(after(f"{DOC_AC}/cbc:AllowanceChargeReason", "<cbc:MultiplierFactorNumeric>25</cbc:MultiplierFactorNumeric>"), after(f"{DOC_AC}/cbc:Amount", '<cbc:BaseAmount currencyID="EUR">100</cbc:BaseAmount>'))),
    "PEPPOL-EN16931-R041": (BASE, after(f"{DOC_AC}/cbc:AllowanceChargeReason", "<cbc:MultiplierFactorNumeric>25</cbc:MultiplierFactorNumeric>"), None),
    "PEPPOL-EN16931-R042": (BASE, after(f"{DOC_AC}/cbc:Amount", '<cbc:BaseAmount currencyID="EUR">100</cbc:BaseAmount>'), None),
    "PEPPOL-EN16931-R043": (BASE, text(f"{DOC_AC}/cbc:ChargeIndicator", "TRUE"), None),
    "PEPPOL-EN16931-R044": (BASE, after(f"{LINE1}/cac:Price/cbc:PriceAmount", PRICE_AC.format(ind="true", amount=10, base=390)), after(f"{LINE1}/cac:Price/cbc:PriceAmount", PRICE_AC.format(ind="false", amount=10, base=410))),
    "PEPPOL-EN16931-R046": (BASE, after(f"{LINE1}/cac:Price/cbc:PriceAmount", PRICE_AC.format(ind="false", amount=10, base=500)), after(f"{LINE1}/cac:Price/cbc:PriceAmount", PRICE_AC.format(ind="false", amount=10, base=410))),
    "PEPPOL-EN16931-R051": (BASE, attr(f"{DOC_AC}/cbc:Amount", "currencyID", "USD"), None),
    "PEPPOL-EN16931-R053": (BASE, remove("/*/cac:TaxTotal/cac:TaxSubtotal"), None),
    "PEPPOL-EN16931-R054": (BASE, TAX_CURRENCY_SEK, chain(TAX_CURRENCY_SEK, after("/*/cac:TaxTotal", '<cac:TaxTotal><cbc:TaxAmount currencyID="SEK">3000</cbc:TaxAmount></cac:TaxTotal>'))),
    "PEPPOL-EN16931-R055": (BASE, chain(TAX_CURRENCY_SEK, after("/*/cac:TaxTotal", '<cac:TaxTotal><cbc:TaxAmount currencyID="SEK">-3000</cbc:TaxAmount></cac:TaxTotal>')), chain(TAX_CURRENCY_SEK, after("/*/cac:TaxTotal", '<cac:TaxTotal><cbc:TaxAmount currencyID="SEK">3000</cbc:TaxAmount></cac:TaxTotal>'))),
    "PEPPOL-EN16931-R061": (BASE, text("/*/cac:PaymentMeans/cbc:PaymentMeansCode", "49"), chain(text("/*/cac:PaymentMeans/cbc:PaymentMeansCode", "49"), inside("/*/cac:PaymentMeans", "<cac:PaymentMandate><cbc:ID>M1</cbc:ID></cac:PaymentMandate>"))),
    "PEPPOL-EN16931-R080": (BASE, after("/*/cbc:BuyerReference", ADR50.format(n=1) + ADR50.format(n=2)), after("/*/cbc:BuyerReference", ADR50.format(n=1))),
    "PEPPOL-EN16931-R100": (BASE, after(f"{LINE1}/cac:OrderLineReference", LINE_DOCREF.format(n=1, code=130) + LINE_DOCREF.format(n=2, code=130)), after(f"{LINE1}/cac:OrderLineReference", LINE_DOCREF.format(n=1, code=130))),
    "PEPPOL-EN16931-R101": (BASE, after(f"{LINE1}/cac:OrderLineReference", LINE_DOCREF.format(n=1, code=50)), after(f"{LINE1}/cac:OrderLineReference", LINE_DOCREF.format(n=1, code=130))),
    "PEPPOL-EN16931-R110": (BASE, chain(after("/*/cbc:BuyerReference", PERIOD), after(f"{LINE1}/cbc:AccountingCost", "<cac:InvoicePeriod><cbc:StartDate>2017-10-01</cbc:StartDate></cac:InvoicePeriod>")),
                            chain(after("/*/cbc:BuyerReference", PERIOD), after(f"{LINE1}/cbc:AccountingCost", "<cac:InvoicePeriod><cbc:StartDate>2017-11-02</cbc:StartDate></cac:InvoicePeriod>"))),
    "PEPPOL-EN16931-R111": (BASE, chain(after("/*/cbc:BuyerReference", PERIOD), after(f"{LINE1}/cbc:AccountingCost", "<cac:InvoicePeriod><cbc:EndDate>2017-12-31</cbc:EndDate></cac:InvoicePeriod>")),
                            chain(after("/*/cbc:BuyerReference", PERIOD), after(f"{LINE1}/cbc:AccountingCost", "<cac:InvoicePeriod><cbc:EndDate>2017-11-29</cbc:EndDate></cac:InvoicePeriod>"))),
    "PEPPOL-EN16931-R120": (BASE, text(f"{LINE1}/cbc:LineExtensionAmount", "2900"), text(f"{LINE1}/cbc:LineExtensionAmount", "2800.01")),
    "PEPPOL-EN16931-R121": (BASE, after(f"{LINE1}/cac:Price/cbc:PriceAmount", '<cbc:BaseQuantity unitCode="DAY">0</cbc:BaseQuantity>'), after(f"{LINE1}/cac:Price/cbc:PriceAmount", '<cbc:BaseQuantity unitCode="DAY">1</cbc:BaseQuantity>')),
    "PEPPOL-EN16931-R130": (BASE, after(f"{LINE1}/cac:Price/cbc:PriceAmount", '<cbc:BaseQuantity unitCode="HUR">1</cbc:BaseQuantity>'), after(f"{LINE1}/cac:Price/cbc:PriceAmount", '<cbc:BaseQuantity unitCode="DAY">1</cbc:BaseQuantity>')),
    "PEPPOL-EN16931-P0100": (BASE, text("/*/cbc:InvoiceTypeCode", "381"), text("/*/cbc:InvoiceTypeCode", "383")),
    "PEPPOL-EN16931-P0101": (CREDIT, text("/*/cbc:CreditNoteTypeCode", "380"), text("/*/cbc:CreditNoteTypeCode", "396")),
    "PEPPOL-EN16931-CL001": (BASE, after("/*/cbc:BuyerReference", ATTACH.format(mime="application/zip")), after("/*/cbc:BuyerReference", ATTACH.format(mime="text/csv"))),
    "PEPPOL-EN16931-CL002": (BASE, chain(text(f"{DOC_AC}/cbc:ChargeIndicator", "false"), after(f"{DOC_AC}/cbc:ChargeIndicator", "<cbc:AllowanceChargeReasonCode>999</cbc:AllowanceChargeReasonCode>")),
                             chain(text(f"{DOC_AC}/cbc:ChargeIndicator", "false"), after(f"{DOC_AC}/cbc:ChargeIndicator", "<cbc:AllowanceChargeReasonCode>95</cbc:AllowanceChargeReasonCode>"))),
    "PEPPOL-EN16931-CL003": (BASE, after(f"{DOC_AC}/cbc:ChargeIndicator", "<cbc:AllowanceChargeReasonCode>QQQ</cbc:AllowanceChargeReasonCode>"), after(f"{DOC_AC}/cbc:ChargeIndicator", "<cbc:AllowanceChargeReasonCode>ABL</cbc:AllowanceChargeReasonCode>")),
    "PEPPOL-EN16931-CL006": (BASE, after("/*/cbc:BuyerReference", "<cac:InvoicePeriod><cbc:DescriptionCode>999</cbc:DescriptionCode></cac:InvoicePeriod>"), after("/*/cbc:BuyerReference", "<cac:InvoicePeriod><cbc:DescriptionCode>35</cbc:DescriptionCode></cac:InvoicePeriod>")),
    "PEPPOL-EN16931-CL007": (BASE, attr(f"{DOC_AC}/cbc:Amount", "currencyID", "EURO"), attr(f"{DOC_AC}/cbc:Amount", "currencyID", "USD")),
    "PEPPOL-EN16931-CL008": (BASE, attr(f"{CUSTOMER}/cbc:EndpointID", "schemeID", "EM"), None),
    "PEPPOL-EN16931-F001": (BASE, text("/*/cbc:DueDate", "2017-12-1"), None),
    "PEPPOL-COMMON-R040": (BASE, _endpoint("0088", "7300010000002"), _endpoint("0088", "7300010000001")),
    "PEPPOL-COMMON-R041": (BASE, _endpoint("0192", "974760674"), _endpoint("0192", "974760673")),
    "PEPPOL-COMMON-R042": (BASE, _endpoint("0184", "DK1234567"), _endpoint("0184", "DK12345678")),
    "PEPPOL-COMMON-R043": (BASE, _endpoint("0208", "0428759498"), _endpoint("0208", "0428759497")),
    "PEPPOL-COMMON-R049": (BASE, _endpoint("0007", "5560360794"), _endpoint("0007", "5560360793")),
    "PEPPOL-COMMON-R050": (BASE, _endpoint("0151", "51824753557"), _endpoint("0151", "51824753556")),
    "BOEKBOX-BE-VAT": (BASE, text(f"{SUPPLIER}/cac:PartyTaxScheme/cbc:CompanyID", "BE0428759498"), text(f"{SUPPLIER}/cac:PartyTaxScheme/cbc:CompanyID", "BE0428759497")),
    "BOEKBOX-BE-KBO": (BASE, chain(text(f"{SUPPLIER}/cac:PostalAddress/cac:Country/cbc:IdentificationCode", "BE"), text(f"{SUPPLIER}/cac:PartyLegalEntity/cbc:CompanyID", "0428.759.498")),
                       chain(text(f"{SUPPLIER}/cac:PostalAddress/cac:Country/cbc:IdentificationCode", "BE"), text(f"{SUPPLIER}/cac:PartyLegalEntity/cbc:CompanyID", "0428.759.497"))),
    "BOEKBOX-BE-IBAN": (BASE, text("/*/cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID", "BE21001234567804"), text("/*/cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID", "BE21 0012 3456 7803")),
    "BOEKBOX-BE-OGM": (BASE, text("/*/cac:PaymentMeans/cbc:PaymentID", "+++010/8068/17184+++"), text("/*/cac:PaymentMeans/cbc:PaymentID", "+++010/8068/17183+++")),
}  # fmt: skip
for _code, _category, _rule in (
    ("VATEX-EU-G", "G", "P0104"), ("VATEX-EU-O", "O", "P0105"), ("VATEX-EU-IC", "K", "P0106"),
    ("VATEX-EU-AE", "AE", "P0107"), ("VATEX-EU-D", "E", "P0108"), ("VATEX-EU-F", "E", "P0109"),
    ("VATEX-EU-I", "E", "P0110"), ("VATEX-EU-J", "E", "P0111"),
):  # fmt: skip
    CASES[f"PEPPOL-EN16931-{_rule}"] = (BASE, _exempt(_code, "S"), _exempt(_code, _category))


def _rule_ids(document: bytes, mutation: Mutation | None) -> set[str]:
    root = parse_xml_safely(document)
    if mutation is not None:
        mutation(root)
    return {finding.rule_id for finding in run_rules(Ctx(root))}


def test_every_rule_has_a_case() -> None:
    assert {r.rule_id for r in RULES} == set(CASES)


def test_plain_documents_pass_every_rule() -> None:
    assert _rule_ids(BASE, None) == set()
    assert _rule_ids(CREDIT, None) == set()


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fails_and_passes(rule_id: str) -> None:
    document, failing, passing = CASES[rule_id]
    assert rule_id in _rule_ids(document, failing)
    assert rule_id not in _rule_ids(document, passing)


def test_finding_carries_location_and_severity() -> None:
    root = parse_xml_safely(BASE)
    remove(f"{CUSTOMER}/cbc:EndpointID")(root)
    [finding] = [f for f in run_rules(Ctx(root)) if f.rule_id == "PEPPOL-EN16931-R010"]
    assert finding.location == "/Invoice/AccountingCustomerParty[1]/Party[1]"
    assert finding.severity == "fatal"
    assert finding.message == "Buyer electronic address MUST be provided"
