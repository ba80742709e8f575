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
from peppol.ns import UBL_CREDITNOTE, UBL_NS

__all__ = ["RULES", "Ctx", "Rule", "dec", "path_of", "rule", "run_rules", "xp"]

_PROFILE = re.compile(r"urn:fdc:peppol\.eu:2017:poacc:billing:([0-9]{2}):1\.0")


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    severity: Severity
    message: str
    check: Callable[[Ctx], Iterable[Any]]


RULES: list[Rule] = []


def rule(
    rule_id: str, message: str, severity: Severity = Severity.FATAL
) -> Callable[[Callable[[Ctx], Iterable[Any]]], Callable[[Ctx], Iterable[Any]]]:
    """Register the decorated check under ``rule_id``."""

    def register(check: Callable[[Ctx], Iterable[Any]]) -> Callable[[Ctx], Iterable[Any]]:
        RULES.append(Rule(rule_id, severity, message, check))
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
        self.is_credit_note = root.tag == f"{{{UBL_CREDITNOTE}}}CreditNote"
        self.currency = self.text("cbc:DocumentCurrencyCode")
        self.tax_currency = self.text("cbc:TaxCurrencyCode")
        match = _PROFILE.search(" ".join((self.text("cbc:ProfileID") or "").split()))
        self.profile = match.group(1) if match else "Unknown"

    def all(self, expression: str, node: Any = None) -> list[Any]:
        result = xp(expression)(self.root if node is None else node)
        return result if isinstance(result, list) else []

    def text(self, expression: str, node: Any = None) -> str | None:
        for el in self.all(expression, node):
            value = el if isinstance(el, str) else el.text
            value = " ".join((value or "").split())
            return value
        return None

    def has(self, expression: str, node: Any = None) -> bool:
        return bool(self.all(expression, node))


def dec(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        result = Decimal(value.strip())
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


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
