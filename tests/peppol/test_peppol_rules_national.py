# ruff: noqa: E501  (the rule table below keeps one case per line on purpose)
"""One minimal failing and one passing document per Peppol national rule (2026.5).

Documents are corpus files of the right country (DK, NO, GR, DE) or the Peppol base example
moved to a country (seller/buyer postal country and VAT number), with one small change
applied through lxml.  The failing variant must raise the rule, the passing one must not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from lxml import etree
from peppol_paths import UBL_DIR

from peppol.ns import UBL_NS
from peppol.rules_base import REGISTRY
from peppol.rules_national_gr import greek_tin_ok
from peppol.rules_national_se import se_orgnr_luhn
from peppol.safe_xml import parse_xml_safely
from peppol.validation import run_own_rules

Mutation = Callable[[Any], None]
CBC, CAC = UBL_NS["cbc"], UBL_NS["cac"]


def _doc(name: str) -> bytes:
    return (UBL_DIR / f"{name}.xml").read_bytes()


BASE = _doc("peppol_base-example")  # GB seller, SE buyer
CREDIT = _doc("peppol_snippet_CreditNote-snippets")  # GB seller, SE buyer
DK = _doc("cen_BIS3_Invoice_positive")  # DK seller and buyer, passes every DK rule
NO = _doc("peppol_NO-example-1")
GR = _doc("peppol_GR-base-example-correct")
DE = _doc("xr_01.01a")  # DE seller and buyer (XRechnung)


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
        for el in root.xpath(path, namespaces=UBL_NS):
            el.getparent().remove(el)

    return apply


def _nodes(snippet: str) -> list[Any]:
    return list(etree.fromstring(f'<w xmlns:cbc="{CBC}" xmlns:cac="{CAC}">{snippet}</w>'))


def after(path: str, snippet: str) -> Mutation:
    def apply(root: Any) -> None:
        anchor = _find(root, path)
        for node in _nodes(snippet):
            anchor.addnext(node)
            anchor = node

    return apply


def inside(path: str, snippet: str) -> Mutation:
    def apply(root: Any) -> None:
        parent = _find(root, path)
        for node in _nodes(snippet):
            parent.append(node)

    return apply


def chain(*steps: Mutation) -> Mutation:
    def apply(root: Any) -> None:
        for step in steps:
            step(root)

    return apply


SUP = "/*/cac:AccountingSupplierParty/cac:Party"
CUS = "/*/cac:AccountingCustomerParty/cac:Party"
SUP_VAT = f"{SUP}/cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID"
SUP_LEGAL = f"{SUP}/cac:PartyLegalEntity/cbc:CompanyID"
CUS_LEGAL = f"{CUS}/cac:PartyLegalEntity/cbc:CompanyID"
PM = "/*/cac:PaymentMeans"
LINE1 = "/*/cac:InvoiceLine[1]"


def seller(country: str, vat: str) -> Mutation:
    return chain(
        text(f"{SUP}/cac:PostalAddress/cac:Country/cbc:IdentificationCode", country),
        text(SUP_VAT, vat),
    )


def buyer(country: str) -> Mutation:
    return text(f"{CUS}/cac:PostalAddress/cac:Country/cbc:IdentificationCode", country)


def means(code: str, payment_id: str = "", account: str = "") -> Mutation:
    steps = [
        text(f"{PM}/cbc:PaymentMeansCode", code),
        remove(f"{PM}/cbc:PaymentID | {PM}/cac:PayeeFinancialAccount"),
    ]
    if account:
        steps.append(
            inside(
                PM,
                f"<cac:PayeeFinancialAccount><cbc:ID>{account}</cbc:ID></cac:PayeeFinancialAccount>",
            )
        )
    if payment_id:
        steps.append(
            after(f"{PM}/cbc:PaymentMeansCode", f"<cbc:PaymentID>{payment_id}</cbc:PaymentID>")
        )
    return chain(*steps)


TAX_SCHEME = "<cac:PartyTaxScheme><cbc:CompanyID>{0}</cbc:CompanyID><cac:TaxScheme><cbc:ID>{1}</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>"
DK_AC = '<cac:AllowanceCharge><cbc:ChargeIndicator>true</cbc:ChargeIndicator><cbc:AllowanceChargeReasonCode>ZZZ</cbc:AllowanceChargeReasonCode><cbc:AllowanceChargeReason>{0}</cbc:AllowanceChargeReason><cbc:Amount currencyID="DKK">0</cbc:Amount></cac:AllowanceCharge>'
UNSPSC = '<cac:CommodityClassification><cbc:ItemClassificationCode listID="TST" listVersionID="{0}">12345</cbc:ItemClassificationCode></cac:CommodityClassification>'
MANDATE = "<cac:PaymentMandate><cbc:ID>M1</cbc:ID><cac:PayerFinancialAccount><cbc:ID>DK5000400440116243</cbc:ID></cac:PayerFinancialAccount></cac:PaymentMandate>"
BRANCH = "<cac:PayeeFinancialAccount><cbc:ID>12345678</cbc:ID><cac:FinancialInstitutionBranch><cbc:ID>1234</cbc:ID></cac:FinancialInstitutionBranch></cac:PayeeFinancialAccount>"
ADR = "<cac:AdditionalDocumentReference><cbc:ID>{0}</cbc:ID><cbc:DocumentDescription>{1}</cbc:DocumentDescription></cac:AdditionalDocumentReference>"
ATTACHED = '<cac:AdditionalDocumentReference><cbc:ID>{0}</cbc:ID><cac:Attachment><cbc:EmbeddedDocumentBinaryObject mimeCode="application/pdf" filename="{1}">QUJD</cbc:EmbeddedDocumentBinaryObject></cac:Attachment></cac:AdditionalDocumentReference>'

# countries applied to the base example
NO_BASE = seller("NO", "NO974760673MVA")
SE_BASE = chain(seller("SE", "SE556036079301"), text(SUP_LEGAL, "5560360793"))
NL_BASE = chain(
    seller("NL", "NL123456789B01"), attr(SUP_LEGAL, "schemeID", "0106"), text(SUP_LEGAL, "12345678")
)
NL_NL = chain(NL_BASE, buyer("NL"), remove(CUS_LEGAL))
IT_BASE = chain(
    seller("IT", "IT12345678901"), inside(SUP, TAX_SCHEME.format("RSSMRA80A01H501U", "TAX"))
)
IS_BASE = chain(seller("IS", "IS12345"), attr(SUP_LEGAL, "schemeID", "0196"))
IS_IS = chain(IS_BASE, buyer("IS"), attr(CUS_LEGAL, "schemeID", "0196"))
EINDAGI = after("/*/cbc:BuyerReference", ADR.format("{0}", "EINDAGI"))
DE_PM = "/*/cac:PaymentMeans"
DE_CONTACT = f"{SUP}/cac:Contact"

# rule id -> (document, failing mutation, passing mutation or None for the plain document)
CASES: dict[str, tuple[bytes, Mutation, Mutation | None]] = {
    # Norway
    "NO-R-001": (BASE, seller("NO", "NO974760674MVA"), NO_BASE),
    "NO-R-002": (BASE, NO_BASE, chain(NO_BASE, inside(SUP, TAX_SCHEME.format("Foretaksregisteret", "TAX")))),
    # Denmark
    "DK-R-002": (DK, remove(SUP_LEGAL), None),
    "DK-R-014": (DK, attr(SUP_LEGAL, "schemeID", "0088"), None),
    "DK-R-016": (CREDIT, chain(seller("DK", "DK12345678"), buyer("DK"), text("/*/cac:LegalMonetaryTotal/cbc:PayableAmount", "-10")), chain(seller("DK", "DK12345678"), buyer("DK"))),
    "DK-R-013": (DK, after(f"{SUP}/cbc:EndpointID", "<cac:PartyIdentification><cbc:ID>123</cbc:ID></cac:PartyIdentification>"), after(f"{SUP}/cbc:EndpointID", '<cac:PartyIdentification><cbc:ID schemeID="0184">12345678</cbc:ID></cac:PartyIdentification>')),
    "DK-R-017": (DK, attr(CUS_LEGAL, "schemeID", "0088"), None),
    "DK-R-005": (DK, means("30"), None),
    "DK-R-006": (DK, means("31", account="12345678"), chain(means("31"), inside(PM, BRANCH))),
    "DK-R-007": (DK, means("49"), chain(means("49"), inside(PM, MANDATE))),
    "DK-R-008": (DK, means("50", "01#1", "123"), means("50", "01#1", "1234567")),
    "DK-R-009": (DK, means("50", "04#123", "1234567"), means("50", "04#1234567890123456", "1234567")),
    "DK-R-010": (DK, means("93", "72#123456789012345", "12345678"), means("93", "73#1", "12345678")),
    "DK-R-011": (DK, means("93", "71#123", "12345678"), means("93", "71#123456789012345", "12345678")),
    "DK-R-003": (DK, after(f"{LINE1}/cac:Item/cac:SellersItemIdentification", UNSPSC.format("18.0")), after(f"{LINE1}/cac:Item/cac:SellersItemIdentification", UNSPSC.format("26.08.01"))),
    "DK-R-004": (DK, after("/*/cac:PaymentMeans", DK_AC.format("Tax")), after("/*/cac:PaymentMeans", DK_AC.format("1234"))),
    # Sweden
    "SE-R-001": (BASE, chain(SE_BASE, text(SUP_VAT, "SE5560360793")), SE_BASE),
    "SE-R-002": (BASE, chain(SE_BASE, text(SUP_VAT, "SE55603607930X")), SE_BASE),
    "SE-R-003": (BASE, chain(SE_BASE, text(SUP_LEGAL, "556036-0793")), SE_BASE),
    "SE-R-004": (BASE, chain(SE_BASE, text(SUP_LEGAL, "55603607")), SE_BASE),
    "SE-R-013": (BASE, chain(SE_BASE, text(SUP_LEGAL, "5560360794")), SE_BASE),
    "SE-R-005": (BASE, chain(SE_BASE, inside(SUP, TAX_SCHEME.format("F-skatt", "TAX"))), chain(SE_BASE, inside(SUP, TAX_SCHEME.format("Godkänd för F-skatt", "TAX")))),
    "SE-R-006": (BASE, chain(SE_BASE, text("/*/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent", "21")), SE_BASE),
    "SE-R-007": (BASE, chain(SE_BASE, text(f"{PM}/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID", "SE:PLUSGIRO"), text(f"{PM}/cac:PayeeFinancialAccount/cbc:ID", "12A4")), chain(SE_BASE, text(f"{PM}/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID", "SE:PLUSGIRO"), text(f"{PM}/cac:PayeeFinancialAccount/cbc:ID", "1234"))),
    "SE-R-010": (BASE, chain(SE_BASE, text(f"{PM}/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID", "SE:PLUSGIRO"), text(f"{PM}/cac:PayeeFinancialAccount/cbc:ID", "123456789")), chain(SE_BASE, text(f"{PM}/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID", "SE:PLUSGIRO"), text(f"{PM}/cac:PayeeFinancialAccount/cbc:ID", "12"))),
    "SE-R-008": (BASE, chain(SE_BASE, text(f"{PM}/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID", "SE:BANKGIRO"), text(f"{PM}/cac:PayeeFinancialAccount/cbc:ID", "123-4567")), chain(SE_BASE, text(f"{PM}/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID", "SE:BANKGIRO"), text(f"{PM}/cac:PayeeFinancialAccount/cbc:ID", "1234567"))),
    "SE-R-009": (BASE, chain(SE_BASE, text(f"{PM}/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID", "SE:BANKGIRO"), text(f"{PM}/cac:PayeeFinancialAccount/cbc:ID", "123456")), chain(SE_BASE, text(f"{PM}/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID", "SE:BANKGIRO"), text(f"{PM}/cac:PayeeFinancialAccount/cbc:ID", "12345678"))),
    "SE-R-011": (BASE, chain(SE_BASE, text(f"{PM}/cbc:PaymentMeansCode", "56")), SE_BASE),
    "SE-R-012": (BASE, chain(SE_BASE, text(f"{PM}/cbc:PaymentMeansCode", "31")), chain(SE_BASE, text(f"{PM}/cbc:PaymentMeansCode", "31"), buyer("NO"))),
    # Iceland
    "IS-R-001": (BASE, chain(IS_BASE, text("/*/cbc:InvoiceTypeCode", "383")), IS_BASE),
    "IS-R-002": (BASE, chain(IS_BASE, attr(SUP_LEGAL, "schemeID", "0088")), IS_BASE),
    "IS-R-003": (BASE, chain(IS_BASE, remove(f"{SUP}/cac:PostalAddress/cbc:StreetName")), IS_BASE),
    "IS-R-006": (BASE, chain(IS_BASE, text(f"{PM}/cbc:PaymentMeansCode", "9"), text(f"{PM}/cac:PayeeFinancialAccount/cbc:ID", "0123")), chain(IS_BASE, text(f"{PM}/cbc:PaymentMeansCode", "9"), text(f"{PM}/cac:PayeeFinancialAccount/cbc:ID", "012366123456"))),
    "IS-R-007": (BASE, chain(IS_BASE, text(f"{PM}/cbc:PaymentMeansCode", "42"), text(f"{PM}/cac:PayeeFinancialAccount/cbc:ID", "0123")), chain(IS_BASE, text(f"{PM}/cbc:PaymentMeansCode", "42"), text(f"{PM}/cac:PayeeFinancialAccount/cbc:ID", "012366123456"))),
    "IS-R-008": (BASE, chain(IS_BASE, after("/*/cbc:BuyerReference", ADR.format("1.12.2017", "EINDAGI"))), chain(IS_BASE, after("/*/cbc:BuyerReference", ADR.format("2017-12-05", "EINDAGI")))),
    "IS-R-009": (BASE, chain(IS_BASE, remove("/*/cbc:DueDate"), after("/*/cbc:BuyerReference", ADR.format("2017-12-05", "EINDAGI"))), chain(IS_BASE, after("/*/cbc:BuyerReference", ADR.format("2017-12-05", "EINDAGI")))),
    "IS-R-010": (BASE, chain(IS_BASE, after("/*/cbc:BuyerReference", ADR.format("2017-11-30", "EINDAGI"))), chain(IS_BASE, after("/*/cbc:BuyerReference", ADR.format("2017-12-01", "EINDAGI")))),
    "IS-R-004": (BASE, chain(IS_BASE, buyer("IS")), IS_IS),
    "IS-R-005": (BASE, chain(IS_IS, remove(f"{CUS}/cac:PostalAddress/cbc:PostalZone")), IS_IS),
    # Netherlands
    "NL-R-001": (CREDIT, chain(NL_BASE, remove("/*/cac:BillingReference")), NL_BASE),
    "NL-R-002": (BASE, chain(NL_BASE, remove(f"{SUP}/cac:PostalAddress/cbc:CityName")), NL_BASE),
    "NL-R-003": (BASE, chain(NL_BASE, attr(SUP_LEGAL, "schemeID", "0088")), NL_BASE),
    "NL-R-004": (BASE, chain(NL_NL, remove(f"{CUS}/cac:PostalAddress/cbc:StreetName")), NL_NL),
    "NL-R-005": (BASE, chain(NL_BASE, buyer("NL")), chain(NL_NL, inside(f"{CUS}/cac:PartyLegalEntity", '<cbc:CompanyID schemeID="0190">12345678901234567890</cbc:CompanyID>'))),
    "NL-R-006": (BASE, chain(NL_BASE, after("/*/cac:AccountingCustomerParty", "<cac:TaxRepresentativeParty><cac:PostalAddress><cbc:CityName>Utrecht</cbc:CityName><cac:Country><cbc:IdentificationCode>NL</cbc:IdentificationCode></cac:Country></cac:PostalAddress></cac:TaxRepresentativeParty>")), chain(NL_BASE, after("/*/cac:AccountingCustomerParty", "<cac:TaxRepresentativeParty><cac:PostalAddress><cbc:CityName>Gent</cbc:CityName><cac:Country><cbc:IdentificationCode>BE</cbc:IdentificationCode></cac:Country></cac:PostalAddress></cac:TaxRepresentativeParty>"))),
    "NL-R-007": (BASE, chain(NL_BASE, remove(PM)), chain(NL_BASE, remove(PM), text("/*/cac:LegalMonetaryTotal/cbc:PayableAmount", "0"))),
    "NL-R-008": (BASE, chain(NL_NL, text(f"{PM}/cbc:PaymentMeansCode", "31")), NL_NL),
    "NL-R-009": (BASE, NL_BASE, chain(NL_BASE, after("/*/cbc:BuyerReference", "<cac:OrderReference><cbc:ID>PO1</cbc:ID></cac:OrderReference>"))),
    "PEPPOL-COMMON-R054": (BASE, chain(attr(SUP_LEGAL, "schemeID", "0106"), text(SUP_LEGAL, "1234567")), chain(attr(SUP_LEGAL, "schemeID", "0106"), text(SUP_LEGAL, "12345678"))),
    "PEPPOL-COMMON-R055": (BASE, chain(attr(SUP_LEGAL, "schemeID", "0190"), text(SUP_LEGAL, "1234")), chain(attr(SUP_LEGAL, "schemeID", "0190"), text(SUP_LEGAL, "12345678901234567890"))),
    "PEPPOL-COMMON-R056-1": (BASE, chain(attr(SUP_LEGAL, "schemeID", "9944"), text(SUP_LEGAL, "NL123456789")), chain(attr(SUP_LEGAL, "schemeID", "9944"), text(SUP_LEGAL, "NL123456789B01"))),
    "PEPPOL-COMMON-R056-2": (BASE, text(SUP_VAT, "NL1234"), text(SUP_VAT, "NL123456789B01")),
    "PEPPOL-COMMON-R057": (BASE, chain(attr(SUP_LEGAL, "schemeID", "0217"), text(SUP_LEGAL, "1234")), chain(attr(SUP_LEGAL, "schemeID", "0217"), text(SUP_LEGAL, "123456789012"))),
    # Italy
    "IT-R-001": (BASE, chain(IT_BASE, text(f"{SUP}/cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='TAX']/cbc:CompanyID", "RSS")), IT_BASE),
    "IT-R-002": (BASE, chain(IT_BASE, remove(f"{SUP}/cac:PostalAddress/cbc:StreetName")), IT_BASE),
    "IT-R-003": (BASE, chain(IT_BASE, remove(f"{SUP}/cac:PostalAddress/cbc:CityName")), IT_BASE),
    "IT-R-004": (BASE, chain(IT_BASE, remove(f"{SUP}/cac:PostalAddress/cbc:PostalZone")), IT_BASE),
}  # fmt: skip

# Greece: the corpus example (seller VAT EL0618285912) numbers its invoice 061828591|01/10/2020|0|1.1|0|1
GR_NUMBER = "/*/cbc:ID"
URL_REF = "<cac:AdditionalDocumentReference><cbc:ID>u1</cbc:ID><cbc:DocumentDescription>##INVOICE|URL##</cbc:DocumentDescription><cac:Attachment><cac:ExternalReference><cbc:URI>https://example.gr/x</cbc:URI></cac:ExternalReference></cac:Attachment></cac:AdditionalDocumentReference>"
GR_CASES: dict[str, tuple[bytes, Mutation, Mutation | None]] = {
    "GR-R-001-1": (GR, text(GR_NUMBER, "061828591|01/10/2020|0|1.1|0"), None),
    "GR-R-001-2": (GR, text(GR_NUMBER, "061828592|01/10/2020|0|1.1|0|1"), None),
    "GR-R-001-3": (GR, text(GR_NUMBER, "061828591|02/10/2020|0|1.1|0|1"), None),
    "GR-R-001-4": (GR, text(GR_NUMBER, "061828591|01/10/2020|x|1.1|0|1"), None),
    "GR-R-001-5": (GR, text(GR_NUMBER, "061828591|01/10/2020|0|9.9|0|1"), None),
    "GR-R-001-6": (GR, text(GR_NUMBER, "061828591|01/10/2020|0|1.1||1"), None),
    "GR-R-001-7": (GR, text(GR_NUMBER, "061828591|01/10/2020|0|1.1|0|"), None),
    "GR-R-002": (GR, remove(f"{SUP}/cac:PartyName"), None),
    "GR-S-011": (GR, text(SUP_VAT, "EL0618285922"), None),
    "GR-R-003": (GR, text(SUP_VAT, "EL0618285922"), None),
    "GR-R-004-1": (GR, remove("/*/cac:AdditionalDocumentReference[cbc:DocumentDescription='##M.AR.K##']"), None),
    "GR-S-008-1": (GR, chain(), after("/*/cac:AdditionalDocumentReference", URL_REF)),
    "GR-R-008-2": (GR, after("/*/cac:AdditionalDocumentReference", ADR.format("u1", "##INVOICE|URL##") + ADR.format("u2", "##INVOICE|URL##")), None),
    "GR-R-004-2": (GR, text("/*/cac:AdditionalDocumentReference[cbc:DocumentDescription='##M.AR.K##']/cbc:ID", "0123"), None),
    "GR-R-008-3": (GR, after("/*/cac:AdditionalDocumentReference", ADR.format("u1", "##INVOICE|URL##")), after("/*/cac:AdditionalDocumentReference", URL_REF)),
    "GR-R-005": (GR, remove(f"{CUS}/cac:PartyName"), None),
    "GR-R-009": (GR, attr(f"{SUP}/cbc:EndpointID", "schemeID", "0088"), None),
    "GR-R-006": (GR, text(f"{CUS}/cac:PartyTaxScheme/cbc:CompanyID", "EL061828590"), None),
    "GR-R-010": (GR, attr(f"{CUS}/cbc:EndpointID", "schemeID", "0088"), None),
}  # fmt: skip

# Germany: the XRechnung example passes every DE rule; DE_MEANS turns its payment means around
DE_CASES: dict[str, tuple[bytes, Mutation, Mutation | None]] = {
    "DE-R-001": (DE, remove(DE_PM), None),
    "DE-R-015": (DE, remove("/*/cbc:BuyerReference"), None),
    "DE-R-016": (DE, remove(f"{SUP}/cac:PartyTaxScheme"), None),
    "DE-R-017": (DE, text("/*/cbc:InvoiceTypeCode", "383"), None),
    "DE-R-018": (DE, text("/*/cac:PaymentTerms/cbc:Note", "#SKONTO#TAGE=7#PROZENT=2#\n"), text("/*/cac:PaymentTerms/cbc:Note", "#SKONTO#TAGE=7#PROZENT=2.00#\n")),
    "DE-R-022": (DE, after("/*/cbc:BuyerReference", ATTACHED.format("a", "x.pdf") + ATTACHED.format("b", "x.pdf")), after("/*/cbc:BuyerReference", ATTACHED.format("a", "x.pdf") + ATTACHED.format("b", "y.pdf"))),
    "DE-R-026": (DE, text("/*/cbc:InvoiceTypeCode", "384"), chain(text("/*/cbc:InvoiceTypeCode", "384"), after("/*/cbc:BuyerReference", "<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>R1</cbc:ID></cac:InvoiceDocumentReference></cac:BillingReference>"))),
    "DE-R-030": (DE, chain(text(f"{DE_PM}/cbc:PaymentMeansCode", "59"), remove(f"{DE_PM}/cac:PayeeFinancialAccount"), inside(DE_PM, MANDATE)), chain(text(f"{DE_PM}/cbc:PaymentMeansCode", "59"), remove(f"{DE_PM}/cac:PayeeFinancialAccount"), inside(DE_PM, MANDATE), after(f"{SUP}/cbc:EndpointID", '<cac:PartyIdentification><cbc:ID schemeID="SEPA">DE98ZZZ09999999999</cbc:ID></cac:PartyIdentification>'))),
    "DE-R-031": (DE, chain(text(f"{DE_PM}/cbc:PaymentMeansCode", "59"), remove(f"{DE_PM}/cac:PayeeFinancialAccount"), inside(DE_PM, "<cac:PaymentMandate><cbc:ID>M1</cbc:ID></cac:PaymentMandate>")), chain(text(f"{DE_PM}/cbc:PaymentMeansCode", "59"), remove(f"{DE_PM}/cac:PayeeFinancialAccount"), inside(DE_PM, MANDATE))),
    "DE-R-T02": (DE, after("/*/cbc:BuyerReference", "<cac:AdditionalDocumentReference><cbc:ID>x</cbc:ID><cac:Attachment><cac:ExternalReference><cbc:URI>www.example.de</cbc:URI></cac:ExternalReference></cac:Attachment></cac:AdditionalDocumentReference>"), after("/*/cbc:BuyerReference", "<cac:AdditionalDocumentReference><cbc:ID>x</cbc:ID><cac:Attachment><cac:ExternalReference><cbc:URI>https://www.example.de</cbc:URI></cac:ExternalReference></cac:Attachment></cac:AdditionalDocumentReference>")),
    "DE-R-002": (DE, remove(DE_CONTACT), None),
    "DE-R-003": (DE, remove(f"{SUP}/cac:PostalAddress/cbc:CityName"), None),
    "DE-R-004": (DE, remove(f"{SUP}/cac:PostalAddress/cbc:PostalZone"), None),
    "DE-R-005": (DE, remove(f"{DE_CONTACT}/cbc:Name"), None),
    "DE-R-006": (DE, remove(f"{DE_CONTACT}/cbc:Telephone"), None),
    "DE-R-007": (DE, remove(f"{DE_CONTACT}/cbc:ElectronicMail"), None),
    "DE-R-027": (DE, text(f"{DE_CONTACT}/cbc:Telephone", "+49"), None),
    "DE-R-028": (DE, text(f"{DE_CONTACT}/cbc:ElectronicMail", "seller.email.de"), None),
    "DE-R-008": (DE, remove(f"{CUS}/cac:PostalAddress/cbc:CityName"), None),
    "DE-R-009": (DE, remove(f"{CUS}/cac:PostalAddress/cbc:PostalZone"), None),
    "DE-R-010": (DE, after(f"{CUS}/..", "<cac:Delivery><cac:DeliveryLocation><cac:Address><cbc:PostalZone>12345</cbc:PostalZone></cac:Address></cac:DeliveryLocation></cac:Delivery>"), after(f"{CUS}/..", "<cac:Delivery><cac:DeliveryLocation><cac:Address><cbc:CityName>Berlin</cbc:CityName><cbc:PostalZone>12345</cbc:PostalZone></cac:Address></cac:DeliveryLocation></cac:Delivery>")),
    "DE-R-011": (DE, after(f"{CUS}/..", "<cac:Delivery><cac:DeliveryLocation><cac:Address><cbc:CityName>Berlin</cbc:CityName></cac:Address></cac:DeliveryLocation></cac:Delivery>"), after(f"{CUS}/..", "<cac:Delivery><cac:DeliveryLocation><cac:Address><cbc:CityName>Berlin</cbc:CityName><cbc:PostalZone>12345</cbc:PostalZone></cac:Address></cac:DeliveryLocation></cac:Delivery>")),
    "DE-R-014": (DE, remove("/*/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent"), None),
    "DE-R-019": (DE, text(f"{DE_PM}/cac:PayeeFinancialAccount/cbc:ID", "DE75512108001245126198"), None),
    "DE-R-023-1": (DE, remove(f"{DE_PM}/cac:PayeeFinancialAccount"), None),
    "DE-R-023-2": (DE, inside(DE_PM, "<cac:CardAccount><cbc:PrimaryAccountNumberID>1234</cbc:PrimaryAccountNumberID><cbc:NetworkID>VISA</cbc:NetworkID></cac:CardAccount>"), None),
    "DE-R-024-1": (DE, chain(text(f"{DE_PM}/cbc:PaymentMeansCode", "54"), remove(f"{DE_PM}/cac:PayeeFinancialAccount")), chain(text(f"{DE_PM}/cbc:PaymentMeansCode", "54"), remove(f"{DE_PM}/cac:PayeeFinancialAccount"), inside(DE_PM, "<cac:CardAccount><cbc:PrimaryAccountNumberID>1234</cbc:PrimaryAccountNumberID><cbc:NetworkID>VISA</cbc:NetworkID></cac:CardAccount>"))),
    "DE-R-024-2": (DE, text(f"{DE_PM}/cbc:PaymentMeansCode", "54"), chain(text(f"{DE_PM}/cbc:PaymentMeansCode", "54"), remove(f"{DE_PM}/cac:PayeeFinancialAccount"))),
    "DE-R-020": (DE, chain(text(f"{DE_PM}/cbc:PaymentMeansCode", "59"), remove(f"{DE_PM}/cac:PayeeFinancialAccount"), inside(DE_PM, MANDATE.replace("DK5000400440116243", "DE75512108001245126198"))), chain(text(f"{DE_PM}/cbc:PaymentMeansCode", "59"), remove(f"{DE_PM}/cac:PayeeFinancialAccount"), inside(DE_PM, MANDATE.replace("DK5000400440116243", "DE75512108001245126199")))),
    "DE-R-025-1": (DE, text(f"{DE_PM}/cbc:PaymentMeansCode", "59"), chain(text(f"{DE_PM}/cbc:PaymentMeansCode", "59"), remove(f"{DE_PM}/cac:PayeeFinancialAccount"), inside(DE_PM, MANDATE))),
    "DE-R-025-2": (DE, chain(text(f"{DE_PM}/cbc:PaymentMeansCode", "59"), inside(DE_PM, MANDATE)), chain(text(f"{DE_PM}/cbc:PaymentMeansCode", "59"), remove(f"{DE_PM}/cac:PayeeFinancialAccount"), inside(DE_PM, MANDATE))),
    "PEPPOL-EN16931-P0112": (BASE, text("/*/cbc:InvoiceTypeCode", "384"), None),
}  # fmt: skip

ALL_CASES = {**CASES, **GR_CASES, **DE_CASES}


def _rule_ids(document: bytes, mutation: Mutation | None) -> set[str]:
    root = parse_xml_safely(document)
    if mutation is not None:
        mutation(root)
    return {f.rule_id for f in run_own_rules(root, rulesets=("peppol",))}


def test_every_national_rule_has_a_case() -> None:
    assert {r.rule_id for r in REGISTRY["peppol-country"]} == set(ALL_CASES)


@pytest.mark.parametrize("rule_id", sorted(ALL_CASES))
def test_national_rule_fails_and_passes(rule_id: str) -> None:
    document, failing, passing = ALL_CASES[rule_id]
    assert rule_id in _rule_ids(document, failing)
    assert rule_id not in _rule_ids(document, passing)


@pytest.mark.parametrize(
    "document", [BASE, CREDIT, DK, NO, GR, DE], ids=["base", "credit", "dk", "no", "gr", "de"]
)
def test_country_examples_pass_their_national_rules(document: bytes) -> None:
    national = {r.rule_id for r in REGISTRY["peppol-country"] if r.severity == "fatal"}
    assert _rule_ids(document, None) & national == set()


def test_national_rules_stay_off_for_other_countries() -> None:
    broken_dk = chain(remove(SUP_LEGAL), means("30"))
    assert not {"DK-R-002", "DK-R-005"} & _rule_ids(
        BASE, chain(broken_dk, seller("BE", "BE0428759497"))
    )
    assert {"DK-R-002", "DK-R-005"} <= _rule_ids(DK, broken_dk)


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("5560360793", True),
        ("5560360794", False),
        ("55603607930", True),
        ("556036079", False),
        ("556036079X", False),
    ],
)
def test_swedish_organisation_number_luhn(number: str, ok: bool) -> None:
    assert se_orgnr_luhn(number) is ok


@pytest.mark.parametrize(
    ("tin", "ok"),
    [("061828591", True), ("061828592", False), ("0618285", False), ("06182859A", False)],
)
def test_greek_tin(tin: str, ok: bool) -> None:
    assert greek_tin_ok(tin) is ok
