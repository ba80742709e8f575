"""Mappers for the repeated line-level UBL aggregates: lines, allowances/charges and
attachments (same conventions as :mod:`peppol._ubl_parts`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from extractors.model import AllowanceCharge, Attachment, InvoiceLine
from extractors.safe_text import safe_filename
from peppol._ubl_build import maker
from peppol._ubl_parts import decimal_of, first, firsts, firsts2, own_text, text
from peppol._values import clean, to_decimal
from peppol.ns import cac, cbc

__all__ = ["allowance", "attachment", "line"]

_ID, _NAME, _PERCENT = cbc("ID"), cbc("Name"), cbc("Percent")
_TAXCAT = cac("TaxCategory")
_CHARGE_IND, _AMOUNT, _BASE = cbc("ChargeIndicator"), cbc("Amount"), cbc("BaseAmount")
_REASON, _REASON_CODE = cbc("AllowanceChargeReason"), cbc("AllowanceChargeReasonCode")
_LINE_EXT, _ITEM, _PRICE, _PRICE_AMOUNT = (
    cbc("LineExtensionAmount"), cac("Item"), cac("Price"), cbc("PriceAmount"),
)  # fmt: skip
_DESCRIPTION, _CLASSIFIED = cbc("Description"), cac("ClassifiedTaxCategory")
_COMMODITY, _CLASS_CODE = cac("CommodityClassification"), cbc("ItemClassificationCode")
_AC, _ATTACHMENT, _DOC_DESCRIPTION = (
    cac("AllowanceCharge"),
    cac("Attachment"),
    cbc("DocumentDescription"),
)
_EMBEDDED, _EXTERNAL, _URI = (
    cbc("EmbeddedDocumentBinaryObject"), cac("ExternalReference"), cbc("URI"),
)  # fmt: skip

_REFERENCE_SLOTS = {_ATTACHMENT: 0, _ID: 1, _DOC_DESCRIPTION: 2}
_ZERO = Decimal(0)
_new_line = maker(
    InvoiceLine,
    ("net", "description", "id", "quantity", "unit", "unit_price", "vat_category", "vat_rate",
     "item_classification", "allowances_charges"),
)  # fmt: skip
_new_ac = maker(
    AllowanceCharge,
    ("is_charge", "amount", "reason", "reason_code", "vat_category", "vat_rate", "base_amount"),
)
_new_attachment = maker(
    Attachment, ("filename", "mime_code", "id", "description", "external_uri", "embedded")
)


def line(el: Any, qty_tag: str, w: list[str]) -> InvoiceLine:
    """InvoiceLine / CreditNoteLine -> InvoiceLine (a repeated child: the last one wins)."""
    line_id = net = quantity = unit = price = item = None
    acs: list[AllowanceCharge] = []
    for child in el:
        tag = child.tag
        if tag == _ID:
            value = child.text
            line_id = (value.strip() or None) if value else None
        elif tag == qty_tag:
            quantity = to_decimal(child.text, "line quantity", w)
            unit = clean(child.get("unitCode"))
        elif tag == _LINE_EXT:
            net = to_decimal(child.text, "line net amount", w)
        elif tag == _ITEM:
            item = child
        elif tag == _PRICE:
            price = decimal_of(first(child, _PRICE_AMOUNT), "line price", w)
        elif tag == _AC:
            acs.append(allowance(child, w))
    description, category, rate, classes = _item(item, w)
    if net is None:
        w.append(f"line {line_id}: no net amount (LineExtensionAmount); 0 assumed")
    return _new_line(
        _ZERO if net is None else net, description, line_id, quantity, unit,
        price, category, rate, classes, tuple(acs),
    )  # fmt: skip


def _item(item: Any, w: list[str]) -> tuple[str, str | None, Any, tuple[str, ...]]:
    """Item -> (name or description, VAT category, VAT rate, classification codes)."""
    if item is None:
        return "", None, None, ()
    name = description = category = rate = None
    classes: list[str] = []
    for child in item:
        tag = child.tag
        if tag == _NAME:
            value = child.text
            name = (value.strip() or None) if value else None
        elif tag == _CLASSIFIED:
            category_el = percent_el = None
            for part in child:
                part_tag = part.tag
                if part_tag == _ID:
                    category_el = part if category_el is None else category_el
                elif part_tag == _PERCENT and percent_el is None:
                    percent_el = part
            category = own_text(category_el)
            rate = decimal_of(percent_el, "line VAT rate", w)
        elif tag == _DESCRIPTION:
            description = own_text(child) if description is None else description
        elif tag == _COMMODITY:
            code = text(child, _CLASS_CODE)
            if code:
                classes.append(code)
    return name or description or "", category, rate, tuple(classes)


def allowance(el: Any, w: list[str]) -> AllowanceCharge:
    """AllowanceCharge (document or line level) -> AllowanceCharge (the last child wins)."""
    is_charge = False
    amount = base = rate = reason = reason_code = category = None
    for child in el:
        tag = child.tag
        if tag == _CHARGE_IND:
            is_charge = (child.text or "").strip().lower() == "true"
        elif tag == _AMOUNT:
            amount = to_decimal(child.text, "AllowanceCharge/Amount", w)
        elif tag == _BASE:
            base = to_decimal(child.text, "AllowanceCharge/BaseAmount", w)
        elif tag == _REASON:
            reason = own_text(child)
        elif tag == _REASON_CODE:
            reason_code = own_text(child)
        elif tag == _TAXCAT:
            category_el, percent_el = firsts2(child, _ID, _PERCENT)
            category = own_text(category_el)
            rate = decimal_of(percent_el, "AllowanceCharge VAT rate", w)
    return _new_ac(
        is_charge, _ZERO if amount is None else amount, reason, reason_code, category, rate, base
    )


def attachment(ref: Any) -> Attachment | None:
    """AdditionalDocumentReference with an Attachment; embedded bytes are not copied
    (:func:`peppol.attachments.embedded_attachments` reads them)."""
    att, ref_id, description = firsts(ref, _REFERENCE_SLOTS)
    if att is None:
        return None
    embedded, external = firsts2(att, _EMBEDDED, _EXTERNAL)
    return _new_attachment(
        None if embedded is None else safe_filename(embedded.get("filename")),
        None if embedded is None else clean(embedded.get("mimeCode")),
        own_text(ref_id),
        own_text(description),
        None if external is None else text(external, _URI),
        embedded is not None,
    )
