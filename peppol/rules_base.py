"""The rule table machinery shared by the Peppol and Belgian rule modules.

A rule is a small function that receives a :class:`Ctx` and yields the elements
(or field names) where its assertion fails.  :func:`rule` registers it in
:data:`RULES` with its official id, severity and message; :func:`run_rules` turns
each failure into a :class:`~extractors.model.Finding` whose location is a readable
XPath such as ``/Invoice/AccountingSupplierParty[1]/Party[1]/EndpointID[1]``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from extractors.model import Finding, InvoiceData, Severity
from peppol.ns import CAC, UBL_CREDITNOTE, UBL_NS, cbc

__all__ = [
    "CORE_RULESETS",
    "REGISTRY",
    "RULES",
    "Ctx",
    "Rule",
    "dec",
    "national_rule",
    "norm",
    "path_of",
    "rule",
    "run_rules",
    "xnumber",
    "xp",
]

# Peppol BIS 3.0 (2026.5) maps ProfileID values to the profile the type-code rules use
_PROFILES = {
    "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0": "01",
    "urn:peppol:france:billing:regulated": "01",
    "urn:peppol:france:billing:non-regulated": "01",
    "urn:peppol:bis:billing_with_response": "02",
}
_VAT_ID = "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID"
_POSTAL = "cac:PostalAddress/cac:Country/cbc:IdentificationCode"
_SUPPLIER = "cac:AccountingSupplierParty/cac:Party"
_CUSTOMER = "cac:AccountingCustomerParty/cac:Party"
_ENDPOINT, _ID, _COMPANY = cbc("EndpointID"), cbc("ID"), cbc("CompanyID")
_PARTY_ID = f"{{{CAC}}}PartyIdentification"
_TAXREP = "cac:TaxRepresentativeParty"
_XNUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    severity: Severity
    message: str
    check: Callable[[Ctx], Iterable[Any]]
    ruleset: str = "peppol"


REGISTRY: dict[str, list[Rule]] = {}
"""Every registered rule by its internal table: ``peppol`` (the BIS transaction, code-list
and identifier rules), ``peppol-country`` (national rules DK/NO/SE/NL/IT/IS/GR/DE and the
2026.5 country-specific additions), ``ublbe`` (UBL.BE 1.31) and ``boekbox-be`` (own
Belgian checksum warnings)."""

CORE_RULESETS = ("peppol", "boekbox-be")
RULES: list[Rule] = []
"""The original own table (``peppol`` and ``boekbox-be``); :func:`run_rules` default."""


def rule(
    rule_id: str, message: str, severity: Severity = Severity.FATAL, *, ruleset: str = "peppol"
) -> Callable[[Callable[[Ctx], Iterable[Any]]], Callable[[Ctx], Iterable[Any]]]:
    """Register the decorated check under ``rule_id`` in the table ``ruleset``."""

    def register(check: Callable[[Ctx], Iterable[Any]]) -> Callable[[Ctx], Iterable[Any]]:
        entry = Rule(rule_id, severity, message, check, ruleset)
        REGISTRY.setdefault(ruleset, []).append(entry)
        if ruleset in CORE_RULESETS:
            RULES.append(entry)
        return check

    return register


@functools.lru_cache(maxsize=512)
def xp(expression: str) -> etree.XPath:
    """A compiled XPath with the UBL prefixes (cbc, cac, inv, cn); compiled once."""
    return etree.XPath(expression, namespaces=UBL_NS)


class Ctx:
    """What a rule may look at: the safely parsed tree and, optionally, the InvoiceData."""

    def __init__(self, root: Any, invoice: InvoiceData | None = None) -> None:
        self.root = root
        self.invoice = invoice
        self._from_root: dict[str, list[Any]] = {}  # many rules ask the same root paths
        self.is_credit_note = root.tag == f"{{{UBL_CREDITNOTE}}}CreditNote"
        self.currency = self.text("cbc:DocumentCurrencyCode")
        self.tax_currency = self.text("cbc:TaxCurrencyCode")
        self.profile = _PROFILES.get(self.text("cbc:ProfileID") or "", "Unknown")

    def all(self, expression: str, node: Any = None) -> list[Any]:
        """The matches of ``expression`` (read-only: from the root, shared between rules)."""
        if node is None:
            found = self._from_root.get(expression)
            if found is None:
                result = xp(expression)(self.root)
                found = self._from_root[expression] = result if isinstance(result, list) else []
            return found
        result = xp(expression)(node)
        return result if isinstance(result, list) else []

    def text(self, expression: str, node: Any = None) -> str | None:
        for el in self.all(expression, node):
            value = el if isinstance(el, str) else el.text
            value = " ".join((value or "").split())
            return value
        return None

    def raw(self, expression: str, node: Any = None) -> str | None:
        """The first match's text as written (no whitespace normalisation), else None."""
        for el in self.all(expression, node):
            return el if isinstance(el, str) else (el.text or "")
        return None

    def has(self, expression: str, node: Any = None) -> bool:
        return bool(self.all(expression, node))

    @functools.cached_property
    def supplier_country(self) -> str:
        """Peppol's ``$supplierCountry``: seller VAT prefix, else the tax representative's,
        else the seller's postal country, else ``XX`` (upper case)."""
        for path in (f"{_SUPPLIER}/{_VAT_ID}", f"cac:TaxRepresentativeParty/{_VAT_ID}"):
            value = self.raw(path)
            if value is not None and value[:2]:
                return " ".join(value[:2].split()).upper()
        return (self.text(f"{_SUPPLIER}/{_POSTAL}") or "XX").upper()

    @functools.cached_property
    def customer_country(self) -> str:
        """Peppol's ``$customerCountry``: buyer VAT prefix, else postal country, else ``XX``."""
        value = self.raw(f"{_CUSTOMER}/{_VAT_ID}")
        if value is not None and value[:2]:
            return " ".join(value[:2].split()).upper()
        return (self.text(f"{_CUSTOMER}/{_POSTAL}") or "XX").upper()

    @functools.cached_property
    def supplier_postal(self) -> str:
        """The seller's postal country code as written (the DK, IS and SE rules compare it raw)."""
        return self.raw(f"{_SUPPLIER}/{_POSTAL}") or ""

    @functools.cached_property
    def customer_postal(self) -> str:
        return self.raw(f"{_CUSTOMER}/{_POSTAL}") or ""

    def postal_is(self, party: str, country: str) -> bool:
        """Upper-cased, whitespace-normalised postal country of ``party`` equals ``country``
        (the NL and DE rules' test; ``party`` is "supplier", "customer" or "taxrep")."""
        return self._postal[party] == country

    @functools.cached_property
    def _postal(self) -> dict[str, str]:
        bases = {"supplier": _SUPPLIER, "customer": _CUSTOMER, "taxrep": _TAXREP}
        return {k: (self.text(f"{v}/{_POSTAL}") or "").upper() for k, v in bases.items()}

    def with_scheme(self, scheme: str) -> list[Any]:
        """EndpointID, PartyIdentification/ID and CompanyID elements anywhere whose schemeID is
        ``scheme``, in document order (one tree walk per document for every scheme)."""
        return self._schemes.get(scheme, [])

    @functools.cached_property
    def _schemes(self) -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {}
        for el in self.root.iter(_ENDPOINT, _ID, _COMPANY):
            scheme = el.get("schemeID")
            if scheme is None or (el.tag == _ID and el.getparent().tag != _PARTY_ID):
                continue
            found.setdefault(scheme, []).append(el)
        return found

    @functools.cached_property
    def both_german(self) -> bool:
        return self.postal_is("supplier", "DE") and self.postal_is("customer", "DE")


def dec(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        result = Decimal(value.strip())
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def national_rule(
    rule_id: str, message: str, severity: Severity = Severity.FATAL
) -> Callable[[Callable[[Ctx], Iterable[Any]]], Callable[[Ctx], Iterable[Any]]]:
    """Register a Peppol national (country-specific) rule in the ``peppol-country`` table."""
    return rule(rule_id, message, severity, ruleset="peppol-country")


def norm(value: str | None) -> str:
    """XPath ``normalize-space``."""
    return " ".join((value or "").split())


def xnumber(value: str | None) -> float | None:
    """XPath ``number()``: the value as a double, or None where XPath gives NaN."""
    if value is None or not _XNUMBER.fullmatch(value):
        return None
    return float(value)


def path_of(el: Any) -> str:
    """``/Invoice/TaxTotal[1]/TaxSubtotal[2]`` for an element; field names pass through."""
    if isinstance(el, str):
        return el
    if not isinstance(getattr(el, "tag", None), str):
        el = getattr(el, "getparent", lambda: None)()
        if el is None:
            return ""
    steps = []
    node = el
    while node is not None:
        parent = node.getparent()
        local = etree.QName(node).localname
        if parent is None:
            steps.append(local)
        else:
            position = 1 + sum(
                1 for sib in node.itersiblings(preceding=True) if sib.tag == node.tag
            )
            steps.append(f"{local}[{position}]")
        node = parent
    return "/" + "/".join(reversed(steps))


def run_rules(ctx: Ctx, rules: Iterable[Rule] | None = None) -> Iterator[Finding]:
    for entry in RULES if rules is None else rules:
        for failing in entry.check(ctx):
            yield Finding(
                rule_id=entry.rule_id,
                severity=entry.severity,
                message=entry.message,
                location=path_of(failing),
            )
