"""The complete own rule table: importing this module registers every rule.

``RULES`` lists Peppol BIS 3.0 (PEPPOL-EN16931-*, PEPPOL-COMMON-*) and Belgian
(BOEKBOX-BE-*) rules; :func:`run_rules` applies them to a :class:`Ctx`.
"""

from __future__ import annotations

from peppol import rules_be, rules_codes, rules_lines, rules_peppol
from peppol.rules_base import RULES, Ctx, Rule, run_rules

__all__ = ["MODULES", "RULES", "Ctx", "Rule", "run_rules"]

MODULES = (rules_peppol, rules_lines, rules_codes, rules_be)
