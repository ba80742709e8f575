"""``validate``: EN 16931 (official CEN XSLT) plus own Peppol BIS 3.0, national, UBL.BE and
Belgian rules.

::

    findings = validate(xml_bytes)            # tuple[Finding, ...]
    fatal = [f for f in findings if f.severity is Severity.FATAL]
    peppol_only = validate(xml_bytes, rulesets=("peppol",))

Rulesets (``rulesets=`` takes any combination; :data:`OFFICIAL` maps the official
artefacts' names to them):

- ``cen``: the official CEN EN 16931 schematron XSLT (UBL 1.3.x, or Factur-X for CII);
- ``peppol``: own mirror of Peppol BIS Billing 3 (2026.5) incl. the national rules of
  DK, NO, SE, NL, IT, IS, GR and DE, which switch themselves on by the seller's country;
- ``ublbe``: the UBL.BE 1.31 ``ubl-BE-*`` rules;
- ``boekbox-be``: own warnings for Belgian checksums (VAT, KBO, IBAN, OGM).

Default (``rulesets=None``): ``cen``, ``peppol`` and ``boekbox-be``, plus ``ublbe`` when
the document declares UBL.BE (its CustomizationID names ``UBL.BE``).  A Peppol BIS invoice
from a Belgian supplier is *not* a UBL.BE document (UBL.BE wants extra references, line VAT
totals and Belgian tax category names that BIS does not have), so UBL.BE is never forced on
it; the official UBL.BE run that applies it to every file is ``rulesets=OFFICIAL["ubl.be-1.31"]``.
CII gets only ``cen``: the own rules are UBL rules.

An invalid e-invoice is still an invoice: findings are attached to the extraction and
shown to the accountant, never a reason to drop the document.  The CEN stylesheet is
compiled on first use (about a second) and cached for the life of the process; call
:func:`warm_up` at worker start to pay that cost up front.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from extractors.model import Finding, InvoiceData
from peppol.cen import compiled, run_cen_on_tree
from peppol.errors import UnsupportedDocument
from peppol.ns import CII_D16B, UBL_CREDITNOTE, UBL_INVOICE, cbc
from peppol.rules import RULESETS, Ctx, run_rules
from peppol.safe_xml import XmlLimits, parse_xml_safely

__all__ = [
    "OFFICIAL",
    "RULESET_NAMES",
    "default_rulesets",
    "run_cen",
    "run_own_rules",
    "validate",
    "warm_up",
]

log = logging.getLogger(__name__)

RULESET_NAMES = ("cen", "peppol", "ublbe", "boekbox-be")
OFFICIAL: dict[str, tuple[str, ...]] = {
    "cen-en16931-ubl-1.3.16": ("cen",),
    "peppol-bis3-2026.5": ("peppol",),
    "ubl.be-1.31": ("ublbe",),
}
"""The official artefact runs and the boekbox rulesets that mirror them.  ``ubl.be-1.31``
maps to the ``ubl-BE-*`` rules only: the official UBL.BE bundle also embeds its own, older
variants of the CEN and Peppol rules, which boekbox does not reproduce."""

_UBL_ROOTS = {f"{{{UBL_INVOICE}}}Invoice", f"{{{UBL_CREDITNOTE}}}CreditNote"}
_CII_ROOT = f"{{{CII_D16B['rsm']}}}CrossIndustryInvoice"
_CUSTOMIZATION = cbc("CustomizationID")


def validate(
    data: bytes,
    invoice: InvoiceData | None = None,
    *,
    limits: XmlLimits = XmlLimits(),
    rulesets: Iterable[str] | None = None,
) -> tuple[Finding, ...]:
    """All findings for an e-invoice, CEN EN 16931 first, then the own rule tables.

    ``rulesets`` picks the rule sets by name (see the module docstring); None applies
    :func:`default_rulesets`.  Raises a :class:`peppol.errors.PeppolError` when the bytes
    are not a safe, supported e-invoice at all (the reasons
    :func:`peppol.parse_invoice_xml` gives), ValueError for an unknown ruleset name.
    """
    root = parse_xml_safely(data, limits)
    kind = _kind(root)
    chosen = default_rulesets(root) if rulesets is None else _checked(rulesets)
    findings = list(run_cen_on_tree(root, kind)) if "cen" in chosen else []
    if kind == "ubl":
        findings.extend(run_own_rules(root, invoice, rulesets=chosen))
    return tuple(findings)


def default_rulesets(root: Any) -> tuple[str, ...]:
    """The rulesets :func:`validate` applies to a parsed document by default."""
    if root.tag not in _UBL_ROOTS:
        return ("cen",)
    customization = root.find(_CUSTOMIZATION)
    if customization is not None and "UBL.BE" in (customization.text or "").upper():
        return ("cen", "peppol", "boekbox-be", "ublbe")
    return ("cen", "peppol", "boekbox-be")


def run_cen(data: bytes, *, limits: XmlLimits = XmlLimits()) -> tuple[Finding, ...]:
    """Only the CEN EN 16931 XSLT findings."""
    root = parse_xml_safely(data, limits)
    return run_cen_on_tree(root, _kind(root))


def run_own_rules(
    root: Any, invoice: InvoiceData | None = None, *, rulesets: Iterable[str] | None = None
) -> tuple[Finding, ...]:
    """Only the own rule tables (default: those :func:`default_rulesets` picks), on a parsed
    UBL tree; ``cen`` in ``rulesets`` is ignored here."""
    chosen = default_rulesets(root) if rulesets is None else _checked(rulesets)
    rules = [entry for name in chosen if name != "cen" for entry in RULESETS[name]]
    return tuple(run_rules(Ctx(root, invoice), rules))


def warm_up(kinds: tuple[str, ...] = ("ubl",)) -> None:
    """Compile the CEN stylesheets now instead of on the first document."""
    for kind in kinds:
        compiled(kind)


def _checked(rulesets: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(rulesets))
    unknown = [name for name in chosen if name not in RULESET_NAMES]
    if unknown:
        raise ValueError(f"unknown ruleset(s) {unknown}: choose from {list(RULESET_NAMES)}")
    return chosen


def _kind(root: Any) -> str:
    if root.tag in _UBL_ROOTS:
        return "ubl"
    if root.tag == _CII_ROOT:
        return "cii"
    raise UnsupportedDocument(
        f"cannot validate root element {root.tag!r}: only UBL Invoice/CreditNote and "
        "CII CrossIndustryInvoice (D16B) are supported"
    )
