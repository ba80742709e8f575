"""Map a UN/CEFACT Cross Industry Invoice (Factur-X, ZUGFeRD 1/2, XRechnung CII).

CII is what PDFs embed; it is parsed far less often than UBL, so plain precompiled
XPaths are used (one set per namespace generation: D16B and ZUGFeRD 1.0, whose
element names differ in a few places, expressed with ``self::`` alternatives).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lxml import etree

from extractors.model import (
    AllowanceCharge,
    DocumentType,
    Evidence,
    InvoiceData,
    InvoiceLine,
    Party,
    VatBreakdown,
)
from peppol._values import IBAN_SHAPE, NO_NUMBER_WARNING, clean, to_date_102, to_decimal
from peppol.errors import MissingMandatoryField
from peppol.ns import CII_ZF1
from peppol.ubl import CREDIT_TYPE_CODES

__all__ = ["map_cii"]


def _alt(*names: str) -> str:
    return "*[" + " or ".join(f"self::ram:{n}" for n in names) + "]"


_TX = "*[self::rsm:SupplyChainTradeTransaction or self::rsm:SpecifiedSupplyChainTradeTransaction]"
_DOC = "*[self::rsm:ExchangedDocument or self::rsm:HeaderExchangedDocument]"
_CTX = "*[self::rsm:ExchangedDocumentContext or self::rsm:SpecifiedExchangedDocumentContext]"
_AGR = _TX + "/" + _alt("ApplicableHeaderTradeAgreement", "ApplicableSupplyChainTradeAgreement")
_SET = _TX + "/" + _alt("ApplicableHeaderTradeSettlement", "ApplicableSupplyChainTradeSettlement")
_SUM = _alt(
    "SpecifiedTradeSettlementHeaderMonetarySummation", "SpecifiedTradeSettlementMonetarySummation"
)
_RATE = _alt("RateApplicablePercent", "ApplicablePercent")

_PATHS = {
    "customization": f"{_CTX}/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
    "profile": f"{_CTX}/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID",
    "number": f"{_DOC}/ram:ID",
    "type_code": f"{_DOC}/ram:TypeCode",
    "issue": f"{_DOC}/ram:IssueDateTime/udt:DateTimeString",
    "notes": f"{_DOC}/ram:IncludedNote/ram:Content",
    "lines": f"{_TX}/ram:IncludedSupplyChainTradeLineItem",
    "seller": f"{_AGR}/ram:SellerTradeParty",
    "buyer": f"{_AGR}/ram:BuyerTradeParty",
    "buyer_ref": f"{_AGR}/ram:BuyerReference",
    "order_ref": f"{_AGR}/ram:BuyerOrderReferencedDocument/"
    + "*[self::ram:IssuerAssignedID or self::ram:ID]",
    "currency": f"{_SET}/ram:InvoiceCurrencyCode",
    "tax_currency": f"{_SET}/ram:TaxCurrencyCode",
    "payment_ref": f"{_SET}/ram:PaymentReference",
    "means": f"{_SET}/ram:SpecifiedTradeSettlementPaymentMeans",
    "taxes": f"{_SET}/ram:ApplicableTradeTax",
    "allowances": f"{_SET}/ram:SpecifiedTradeAllowanceCharge",
    "terms": f"{_SET}/ram:SpecifiedTradePaymentTerms/ram:Description",
    "due": f"{_SET}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString",
    "billing_refs": f"{_SET}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID",
    "summation": f"{_SET}/{_SUM}",
    # party-relative
    "p_name": "ram:Name",
    "p_trading": "ram:SpecifiedLegalOrganization/ram:TradingBusinessName",
    "p_legal_id": "ram:SpecifiedLegalOrganization/ram:ID",
    "p_vat": "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']",
    "p_endpoint": "ram:URIUniversalCommunication/ram:URIID",
    "p_street": "ram:PostalTradeAddress/ram:LineOne",
    "p_city": "ram:PostalTradeAddress/ram:CityName",
    "p_zip": "ram:PostalTradeAddress/ram:PostcodeCode",
    "p_country": "ram:PostalTradeAddress/ram:CountryID",
    # payment-means-relative
    "m_code": "ram:TypeCode",
    "m_iban": "ram:PayeePartyCreditorFinancialAccount/"
    + "*[self::ram:IBANID or self::ram:ProprietaryID]",
    "m_bic": "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID",
    # tax-relative
    "t_amount": "ram:CalculatedAmount",
    "t_basis": "ram:BasisAmount",
    "t_category": "ram:CategoryCode",
    "t_rate": _RATE,
    "t_reason": "ram:ExemptionReason",
    "t_reason_code": "ram:ExemptionReasonCode",
    # allowance-relative
    "a_indicator": "ram:ChargeIndicator/udt:Indicator",
    "a_amount": "ram:ActualAmount",
    "a_base": "ram:BasisAmount",
    "a_reason": "ram:Reason",
    "a_reason_code": "ram:ReasonCode",
    "a_category": "ram:CategoryTradeTax/ram:CategoryCode",
    "a_rate": f"ram:CategoryTradeTax/{_RATE}",
    # line-relative
    "l_id": "ram:AssociatedDocumentLineDocument/ram:LineID",
    "l_name": "ram:SpecifiedTradeProduct/ram:Name",
    "l_qty": _alt("SpecifiedLineTradeDelivery", "SpecifiedSupplyChainTradeDelivery")
    + "/ram:BilledQuantity",
    "l_price": _alt("SpecifiedLineTradeAgreement", "SpecifiedSupplyChainTradeAgreement")
    + "/ram:NetPriceProductTradePrice/ram:ChargeAmount",
    "l_settlement": _alt("SpecifiedLineTradeSettlement", "SpecifiedSupplyChainTradeSettlement"),
    "ls_category": "ram:ApplicableTradeTax/ram:CategoryCode",
    "ls_rate": f"ram:ApplicableTradeTax/{_RATE}",
    "ls_net": _alt(
        "SpecifiedTradeSettlementLineMonetarySummation", "SpecifiedTradeSettlementMonetarySummation"
    )
    + "/ram:LineTotalAmount",
}  # fmt: skip

_MONEY = {
    "LineTotalAmount": "line_extension_amount",
    "ChargeTotalAmount": "charge_total",
    "AllowanceTotalAmount": "allowance_total",
    "TaxBasisTotalAmount": "total_excl_vat",
    "GrandTotalAmount": "total_incl_vat",
    "TotalPrepaidAmount": "prepaid_amount",
    "RoundingAmount": "rounding_amount",
    "DuePayableAmount": "payable_amount",
}
_EVIDENCE = Evidence(confidence=1.0, rule="cii")


def _compile(ns: dict[str, str]) -> dict[str, etree.XPath]:
    return {key: etree.XPath(path, namespaces=ns) for key, path in _PATHS.items()}


_COMPILED: dict[str, dict[str, etree.XPath]] = {}


class _Reader:
    """Evaluates the compiled XPaths of one CII generation."""

    def __init__(self, ns: dict[str, str], warnings: list[str]) -> None:
        key = ns["rsm"]
        if key not in _COMPILED:
            _COMPILED[key] = _compile(ns)
        self.xp = _COMPILED[key]
        self.w = warnings

    def nodes(self, el: Any, key: str) -> list[Any]:
        result = self.xp[key](el)
        return result if isinstance(result, list) else []

    def text(self, el: Any, key: str) -> str | None:
        for node in self.nodes(el, key):
            value = clean(node.text)
            if value:
                return value
        return None

    def dec(self, el: Any, key: str) -> Decimal | None:
        return to_decimal(self.text(el, key), key, self.w)


def map_cii(root: Any, ns: dict[str, str]) -> InvoiceData:
    """Map a CrossIndustryInvoice / CrossIndustryDocument root to InvoiceData."""
    w: list[str] = []
    if ns is CII_ZF1:
        w.append("ZUGFeRD 1.0 document (CrossIndustryDocument); parsed best-effort")
    r = _Reader(ns, w)
    number = r.text(root, "number")
    summations = r.nodes(root, "summation")
    if not summations:
        raise MissingMandatoryField(
            f"CII invoice {number or '(no number)'} has no monetary summation (BG-22)"
        )
    if number is None:  # kept and flagged: the accountant types the number
        w.append(NO_NUMBER_WARNING)
    type_code = r.text(root, "type_code")
    currency = r.text(root, "currency")
    money, vat_total, tax_cur_total = _summation(r, summations[0], currency)
    data: dict[str, Any] = {
        "document_type": DocumentType.CREDIT_NOTE
        if type_code in CREDIT_TYPE_CODES
        else DocumentType.INVOICE,
        "type_code": type_code,
        "invoice_number": number,
        "issue_date": to_date_102(r.text(root, "issue"), "IssueDateTime", w),
        "due_date": to_date_102(r.text(root, "due"), "DueDateDateTime", w),
        "currency": currency,
        "tax_currency": r.text(root, "tax_currency"),
        "total_vat": vat_total,
        "tax_currency_vat_total": tax_cur_total,
        "supplier": _party(r, r.nodes(root, "seller")),
        "customer": _party(r, r.nodes(root, "buyer")),
        "buyer_reference": r.text(root, "buyer_ref"),
        "order_reference": r.text(root, "order_ref"),
        "billing_references": tuple(
            v for v in (clean(n.text) for n in r.nodes(root, "billing_refs")) if v
        ),
        "customization_id": r.text(root, "customization"),
        "profile_id": r.text(root, "profile"),
        "note": _join(r.nodes(root, "notes")),
        "payment_terms": _join(r.nodes(root, "terms")),
        "payment_reference": r.text(root, "payment_ref"),
        "vat_breakdown": tuple(_tax(r, t) for t in r.nodes(root, "taxes")),
        "lines": tuple(_line(r, el) for el in r.nodes(root, "lines")),
        "allowances_charges": tuple(_allowance(r, a) for a in r.nodes(root, "allowances")),
        "source": "cii",
        **money,
        **_means(r, r.nodes(root, "means")),
    }
    fields = ("invoice_number", "issue_date", "due_date", "currency", "total_vat", "iban")
    evidence = tuple((f, _EVIDENCE) for f in fields if data.get(f) is not None)
    return InvoiceData(**data, evidence=evidence, warnings=tuple(w))


def _join(nodes: list[Any]) -> str | None:
    texts = [t for t in (clean(n.text) for n in nodes) if t]
    return "\n".join(texts) or None


def _summation(
    r: _Reader, el: Any, currency: str | None
) -> tuple[dict[str, Decimal | None], Decimal | None, Decimal | None]:
    money: dict[str, Decimal | None] = dict.fromkeys(_MONEY.values())
    vat_total = tax_cur_total = None
    for child in el:
        if not isinstance(child.tag, str):
            continue
        local = etree.QName(child).localname
        if local == "TaxTotalAmount":
            value = to_decimal(child.text, "TaxTotalAmount", r.w)
            cur = (child.get("currencyID") or "").strip()
            if vat_total is None and (not cur or cur == currency):
                vat_total = value
            else:
                tax_cur_total = value
        elif local in _MONEY and money[_MONEY[local]] is None:
            money[_MONEY[local]] = to_decimal(child.text, local, r.w)
    return money, vat_total, tax_cur_total


def _party(r: _Reader, nodes: list[Any]) -> Party:
    if not nodes:
        return Party()
    el = nodes[0]
    endpoint = next(iter(r.nodes(el, "p_endpoint")), None)
    trading = r.text(el, "p_trading")
    return Party(
        name=r.text(el, "p_name") or trading,
        trading_name=trading,
        vat=r.text(el, "p_vat"),
        enterprise_number=r.text(el, "p_legal_id"),
        endpoint_id=None if endpoint is None else clean(endpoint.text),
        endpoint_scheme=None if endpoint is None else clean(endpoint.get("schemeID")),
        street=r.text(el, "p_street"),
        city=r.text(el, "p_city"),
        postal_code=r.text(el, "p_zip"),
        country=r.text(el, "p_country"),
    )


def _means(r: _Reader, nodes: list[Any]) -> dict[str, str | None]:
    out: dict[str, str | None] = {"iban": None, "bic": None, "payment_means_code": None}
    for el in nodes:
        if out["payment_means_code"] is None:
            out["payment_means_code"] = r.text(el, "m_code")
        raw = r.text(el, "m_iban")
        compact = "".join(raw.split()).upper() if raw else ""
        if out["iban"] is None and IBAN_SHAPE.fullmatch(compact):
            out["iban"], out["bic"] = compact, r.text(el, "m_bic")
    return out


def _tax(r: _Reader, el: Any) -> VatBreakdown:
    rate = r.dec(el, "t_rate")
    return VatBreakdown(
        taxable=r.dec(el, "t_basis") or Decimal(0),
        vat=r.dec(el, "t_amount") or Decimal(0),
        rate=Decimal(0) if rate is None else rate,
        category=r.text(el, "t_category"),
        exemption_reason=r.text(el, "t_reason"),
        exemption_code=r.text(el, "t_reason_code"),
    )


def _allowance(r: _Reader, el: Any) -> AllowanceCharge:
    return AllowanceCharge(
        is_charge=(r.text(el, "a_indicator") or "").lower() == "true",
        amount=r.dec(el, "a_amount") or Decimal(0),
        reason=r.text(el, "a_reason"),
        reason_code=r.text(el, "a_reason_code"),
        vat_category=r.text(el, "a_category"),
        vat_rate=r.dec(el, "a_rate"),
        base_amount=r.dec(el, "a_base"),
    )


def _line(r: _Reader, el: Any) -> InvoiceLine:
    qty_nodes = r.nodes(el, "l_qty")
    settlement = next(iter(r.nodes(el, "l_settlement")), None)
    category = rate = net = None
    if settlement is not None:
        category = r.text(settlement, "ls_category")
        rate = r.dec(settlement, "ls_rate")
        net = r.dec(settlement, "ls_net")
    return InvoiceLine(
        net=Decimal(0) if net is None else net,
        description=r.text(el, "l_name") or "",
        id=r.text(el, "l_id"),
        quantity=to_decimal(qty_nodes[0].text, "BilledQuantity", r.w) if qty_nodes else None,
        unit=clean(qty_nodes[0].get("unitCode")) if qty_nodes else None,
        unit_price=r.dec(el, "l_price"),
        vat_category=category,
        vat_rate=rate,
    )
