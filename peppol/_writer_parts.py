"""Element helpers for :mod:`peppol.writer`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lxml import etree

from extractors.model import Party
from peppol.ns import CAC, CBC

__all__ = ["E", "add_party", "add_text", "amount"]

_NS = {"cac": CAC, "cbc": CBC}


def E(parent: Any, prefix: str, name: str, text: str | None = None) -> Any:
    el = etree.SubElement(parent, f"{{{_NS[prefix]}}}{name}")
    if text is not None:
        el.text = text
    return el


def add_text(parent: Any, name: str, value: str | None) -> Any:
    """A cbc element with ``value``; nothing when the value is None or blank."""
    if value is None or not str(value).strip():
        return None
    return E(parent, "cbc", name, str(value))


def amount(parent: Any, name: str, value: Decimal | None, currency: str) -> None:
    if value is None:
        return
    E(parent, "cbc", name, format(value, "f")).set("currencyID", currency)


def _endpoint(party: Party) -> tuple[str | None, str | None]:
    if party.endpoint_id:
        return party.endpoint_id, party.endpoint_scheme or "0208"
    digits = "".join(ch for ch in party.enterprise_number or "" if ch.isdigit())
    if len(digits) == 10 and (party.country in (None, "BE")):
        return digits, "0208"
    if party.vat and party.vat.upper().startswith("BE"):
        return party.vat.upper(), "9925"
    return None, None


def add_party(root: Any, wrapper: str, party: Party) -> None:
    el = E(E(root, "cac", wrapper), "cac", "Party")
    endpoint, scheme = _endpoint(party)
    if endpoint:
        E(el, "cbc", "EndpointID", endpoint).set("schemeID", scheme or "0208")
    if party.trading_name:
        add_text(E(el, "cac", "PartyName"), "Name", party.trading_name)
    address = E(el, "cac", "PostalAddress")
    add_text(address, "StreetName", party.street)
    add_text(address, "CityName", party.city)
    add_text(address, "PostalZone", party.postal_code)
    add_text(E(address, "cac", "Country"), "IdentificationCode", party.country or "BE")
    if party.vat:
        scheme_el = E(el, "cac", "PartyTaxScheme")
        add_text(scheme_el, "CompanyID", party.vat)
        add_text(E(scheme_el, "cac", "TaxScheme"), "ID", "VAT")
    legal = E(el, "cac", "PartyLegalEntity")
    add_text(legal, "RegistrationName", party.name or party.trading_name or "unknown")
    if party.enterprise_number:
        company = add_text(legal, "CompanyID", party.enterprise_number)
        digits = party.enterprise_number.replace(".", "").replace(" ", "")
        belgian = party.country in (None, "BE")
        if company is not None and belgian and len(digits) == 10 and digits.isdigit():
            company.set("schemeID", "0208")
