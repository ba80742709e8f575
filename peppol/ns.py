"""Namespace URIs and Clark-notation tag names used by the mappers, sniffer and writer."""

from __future__ import annotations

__all__ = [
    "CAC",
    "CBC",
    "CII_D16B",
    "CII_ZF1",
    "UBL_CREDITNOTE",
    "UBL_INVOICE",
    "UBL_NS",
    "cac",
    "cbc",
]

UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDITNOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
UBL_NS = {"cbc": CBC, "cac": CAC, "inv": UBL_INVOICE, "cn": UBL_CREDITNOTE}

# UN/CEFACT Cross Industry Invoice D16B (Factur-X, ZUGFeRD 2.x, XRechnung CII)
CII_D16B = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
# ZUGFeRD 1.0 (CrossIndustryDocument)
CII_ZF1 = {
    "rsm": "urn:ferd:CrossIndustryDocument:invoice:1p0",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15",
}


def cbc(name: str) -> str:
    return f"{{{CBC}}}{name}"


def cac(name: str) -> str:
    return f"{{{CAC}}}{name}"
