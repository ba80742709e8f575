"""The Belgian PCMN / MAR starter chart installed per dossier (6 digits, editable).

Sources: royal decree of 12 September 1983 (minimum chart), regrouped 21 October
2018, adapted to the Companies Code 29 April 2019.  Subaccounts of 61 follow
common Belgian practice (see ``shared/docs/belgian-bookkeeping.md`` section 2).

``grid`` is the VAT-return base grid an account reports in on the purchase side
(81 goods, 82 services, 83 investment goods) or ``None``; sales accounts get
their grid from the VAT regime, not from the account.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "Account",
    "AccountKind",
    "account_map",
    "base_grid_for",
    "is_asset",
    "starter_chart",
]


class AccountKind(StrEnum):
    ASSET = "asset"
    RECEIVABLE = "receivable"
    PAYABLE = "payable"
    VAT = "vat"
    EXPENSE = "expense"
    REVENUE = "revenue"


@dataclass(frozen=True, slots=True)
class Account:
    number: str
    name_nl: str
    name_fr: str
    kind: AccountKind
    grid: str | None = None

    @property
    def label(self) -> str:
        return f"{self.number} {self.name_nl}"


_A, _R, _P, _V, _E, _I = (
    AccountKind.ASSET,
    AccountKind.RECEIVABLE,
    AccountKind.PAYABLE,
    AccountKind.VAT,
    AccountKind.EXPENSE,
    AccountKind.REVENUE,
)

# number, name nl, name fr, kind, purchase base grid
_STARTER: tuple[tuple[str, str, str, AccountKind, str | None], ...] = (
    ("211000", "Concessies, licenties", "Concessions, licences", _A, "83"),
    ("221000", "Gebouwen", "Constructions", _A, "83"),
    (
        "230000",
        "Installaties, machines en uitrusting",
        "Installations, machines et outillage",
        _A,
        "83",
    ),
    ("240000", "Meubilair en kantooruitrusting", "Mobilier et matériel de bureau", _A, "83"),
    ("241000", "Rollend materieel", "Matériel roulant", _A, "83"),
    ("400000", "Handelsdebiteuren", "Clients", _R, None),
    ("411000", "Terug te vorderen btw", "TVA à récupérer", _V, None),
    ("411200", "Btw-rekening-courant (vordering)", "Compte courant TVA (créance)", _V, None),
    ("440000", "Leveranciers", "Fournisseurs", _P, None),
    ("451000", "Te betalen btw", "TVA à payer", _V, None),
    ("451200", "Btw-rekening-courant (schuld)", "Compte courant TVA (dette)", _V, None),
    ("600000", "Aankopen grondstoffen", "Achats de matières premières", _E, "81"),
    ("601000", "Aankopen hulpstoffen", "Achats de fournitures", _E, "81"),
    ("604000", "Aankopen handelsgoederen", "Achats de marchandises", _E, "81"),
    ("610000", "Huur", "Loyers", _E, "82"),
    ("611000", "Onderhoud en herstellingen", "Entretien et réparations", _E, "82"),
    ("612000", "Energie en water", "Énergie et eau", _E, "82"),
    ("613000", "Erelonen", "Honoraires", _E, "82"),
    (
        "613100",
        "Kantoorbenodigdheden, drukwerk, documentatie",
        "Fournitures de bureau, imprimés, documentation",
        _E,
        "82",
    ),
    ("613200", "Telefoon en internet", "Téléphone et internet", _E, "82"),
    ("613300", "Software en IT-diensten", "Logiciels et services IT", _E, "82"),
    ("613400", "Verzekeringen", "Assurances", _E, "82"),
    ("613600", "Klein materiaal", "Petit matériel", _E, "82"),
    ("614000", "Publiciteit", "Publicité", _E, "82"),
    ("614100", "Relatiegeschenken", "Cadeaux d'affaires", _E, "82"),
    ("614200", "Restaurant- en receptiekosten", "Frais de restaurant et de réception", _E, "82"),
    ("615000", "Reiskosten", "Frais de déplacement", _E, "82"),
    ("616100", "Autokosten: brandstof", "Frais de voiture: carburant", _E, "82"),
    ("616200", "Autokosten: onderhoud en herstellingen", "Frais de voiture: entretien", _E, "82"),
    ("616300", "Autokosten: leasing", "Frais de voiture: leasing", _E, "82"),
    ("616400", "Autokosten: verzekering", "Frais de voiture: assurance", _E, "82"),
    ("617000", "Uitzendkrachten", "Personnel intérimaire", _E, "82"),
    ("618000", "Bezoldigingen bestuurders", "Rémunérations des administrateurs", _E, None),
    ("619000", "Diverse diensten en goederen", "Services et biens divers", _E, "82"),
    ("620000", "Bezoldigingen", "Rémunérations", _E, None),
    ("630000", "Afschrijvingen", "Amortissements", _E, None),
    ("640000", "Bedrijfsbelastingen", "Impôts d'exploitation", _E, None),
    ("657000", "Bankkosten", "Frais bancaires", _E, "82"),
    ("700000", "Verkopen handelsgoederen", "Ventes de marchandises", _I, None),
    ("705000", "Dienstprestaties", "Prestations de services", _I, None),
    ("740000", "Andere bedrijfsopbrengsten", "Autres produits d'exploitation", _I, None),
)


def starter_chart() -> tuple[Account, ...]:
    """The starter chart a new dossier gets; storage copies it and lets the firm edit it."""
    return tuple(Account(*row) for row in _STARTER)


def account_map(chart: Iterable[Account]) -> dict[str, Account]:
    return {acc.number: acc for acc in chart}


def is_asset(number: str) -> bool:
    return number[:1] == "2"


def base_grid_for(number: str, chart: dict[str, Account] | None = None) -> str | None:
    """Purchase base grid of an account: the chart's value, else by class (2 → 83, 60 → 81)."""
    if chart is not None and number in chart:
        return chart[number].grid
    if number[:1] == "2":
        return "83"
    if number[:2] == "60":
        return "81"
    if number[:2] in {"61", "64", "65"}:
        return "82"
    return None
