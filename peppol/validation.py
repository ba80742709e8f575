"""``validate``: EN 16931 (official CEN XSLT) plus own Peppol BIS 3.0 and Belgian rules.

::

    findings = validate(xml_bytes)            # tuple[Finding, ...]
    fatal = [f for f in findings if f.severity is Severity.FATAL]

An invalid e-invoice is still an invoice: findings are attached to the extraction and
shown to the accountant, never a reason to drop the document.  The CEN stylesheet is
compiled on first use (about a second) and cached for the life of the process; call
:func:`warm_up` at worker start to pay that cost up front.
"""

from __future__ import annotations

import logging
from typing import Any

from extractors.model import Finding, InvoiceData
from peppol.cen import compiled, run_cen_on_tree
from peppol.errors import UnsupportedDocument
from peppol.ns import CII_D16B, UBL_CREDITNOTE, UBL_INVOICE
from peppol.rules import Ctx, run_rules
from peppol.safe_xml import XmlLimits, parse_xml_safely

__all__ = ["run_cen", "run_own_rules", "validate", "warm_up"]

log = logging.getLogger(__name__)

_UBL_ROOTS = {f"{{{UBL_INVOICE}}}Invoice", f"{{{UBL_CREDITNOTE}}}CreditNote"}
_CII_ROOT = f"{{{CII_D16B['rsm']}}}CrossIndustryInvoice"


def validate(
    data: bytes, invoice: InvoiceData | None = None, *, limits: XmlLimits = XmlLimits()
) -> tuple[Finding, ...]:
    """All findings for an e-invoice: CEN EN 16931 first, then Peppol and Belgian rules.

    UBL gets all three; CII (Factur-X/ZUGFeRD 2) gets the CEN/Factur-X EN 16931 rules.
    Raises a :class:`peppol.errors.PeppolError` when the bytes are not a safe, supported
    e-invoice at all (the same reasons :func:`peppol.parse_invoice_xml` gives).
    """
    root = parse_xml_safely(data, limits)
    kind = _kind(root)
    findings = list(run_cen_on_tree(root, kind))
    if kind == "ubl":
        findings.extend(run_own_rules(root, invoice))
    return tuple(findings)


def run_cen(data: bytes, *, limits: XmlLimits = XmlLimits()) -> tuple[Finding, ...]:
    """Only the CEN EN 16931 XSLT findings."""
    root = parse_xml_safely(data, limits)
    return run_cen_on_tree(root, _kind(root))


def run_own_rules(root: Any, invoice: InvoiceData | None = None) -> tuple[Finding, ...]:
    """Only the own Peppol BIS 3.0 and Belgian rule functions, on a parsed UBL tree."""
    return tuple(run_rules(Ctx(root, invoice)))


def warm_up(kinds: tuple[str, ...] = ("ubl",)) -> None:
    """Compile the CEN stylesheets now instead of on the first document."""
    for kind in kinds:
        compiled(kind)


def _kind(root: Any) -> str:
    if root.tag in _UBL_ROOTS:
        return "ubl"
    if root.tag == _CII_ROOT:
        return "cii"
    raise UnsupportedDocument(
        f"cannot validate root element {root.tag!r}: only UBL Invoice/CreditNote and "
        "CII CrossIndustryInvoice (D16B) are supported"
    )
