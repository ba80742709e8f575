"""The complete own rule tables: importing this module registers every rule.

``RULES`` is the original own table: Peppol BIS 3.0 transaction, code-list and identifier
rules (PEPPOL-EN16931-*, PEPPOL-COMMON-*) and the Belgian checksum warnings (BOEKBOX-BE-*).
``RULESETS`` groups every table by the public ruleset names :func:`peppol.validate` takes:

=============  ====================================================================
``peppol``     ``RULES``' Peppol part plus the national rules (DK/NO/SE/NL/IT/IS/GR/DE)
               and the 2026.5 country-specific additions: mirrors Peppol BIS Billing 3
               2026.5 (``peppol-bis3-2026.5``)
``ublbe``      UBL.BE 1.31 ``ubl-BE-01`` .. ``ubl-BE-15``
``boekbox-be`` own Belgian checksum warnings (VAT, KBO, IBAN, structured communication)
=============  ====================================================================
"""

from __future__ import annotations

from peppol import (
    rules_be,
    rules_codes,
    rules_lines,
    rules_national,
    rules_national_de,
    rules_national_eu,
    rules_national_gr,
    rules_national_se,
    rules_peppol,
    rules_ublbe,
)
from peppol.rules_base import REGISTRY, RULES, Ctx, Rule, run_rules

__all__ = ["MODULES", "RULES", "RULESETS", "Ctx", "Rule", "run_rules"]

MODULES = (
    rules_peppol,
    rules_lines,
    rules_codes,
    rules_be,
    rules_national,
    rules_national_se,
    rules_national_eu,
    rules_national_gr,
    rules_national_de,
    rules_ublbe,
)

RULESETS: dict[str, tuple[Rule, ...]] = {
    "peppol": (*REGISTRY["peppol"], *REGISTRY["peppol-country"]),
    "ublbe": tuple(REGISTRY["ublbe"]),
    "boekbox-be": tuple(REGISTRY["boekbox-be"]),
}
