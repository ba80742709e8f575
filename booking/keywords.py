"""Keyword rules over line descriptions (nl/fr/de/en), covering the whole starter chart.

Keywords are accent-folded and lower case.  A keyword of 4+ letters may sit
inside a compound word; shorter ones, and those written ``=word``, must be a
whole word; keywords with a space match a phrase.  When several rules match,
the longest keyword wins, then table order.  The chart's own nl/fr account
names count as weaker keywords (:func:`name_keywords`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from booking.chart import Account
from booking.text import KeywordIndex, normalise

__all__ = [
    "ACCESSORY",
    "GOODS_WORDS",
    "NOT_CAPITAL",
    "RULES",
    "SERVICE_WORDS",
    "KeywordRule",
    "RuleMatch",
    "is_accessory",
    "match_names",
    "match_rules",
    "mentions",
    "mentions_vehicle",
    "service_unit",
]


@dataclass(frozen=True, slots=True)
class KeywordRule:
    account: str
    label: str
    keywords: tuple[str, ...]
    vehicle_account: str | None = None  # when the line is about a vehicle
    asset_account: str | None = None  # at or above the capitalisation threshold
    goods: bool = False  # a supply of goods (sales: 700000; intra-EU: grid 86/46)


@dataclass(frozen=True, slots=True)
class RuleMatch:
    account: str
    label: str
    keyword: str
    asset_account: str | None
    weak: bool = False
    goods: bool | None = None  # None: the rule does not say (account names)


def _kw(text: str) -> tuple[str, ...]:
    return tuple(text.split(","))


RULES: tuple[KeywordRule, ...] = (
    KeywordRule(
        "616100",
        "fuel",
        _kw(
            "diesel,benzine,brandstof,carburant,essence,gasoil,kraftstoff,=fuel,petrol,tankbeurt,"
            "adblue,=lpg,=cng,laadbeurt,laadsessie"
        ),
        goods=True,
    ),
    KeywordRule(
        "610000",
        "rent",
        _kw("huur,loyer,=miete,mietzins,=rent,=rental,=bail,=location,verhuur"),
        vehicle_account="616300",
    ),
    KeywordRule(
        "616300",
        "car leasing",
        _kw("leasing,=renting,=lease,leasevergoeding"),
        vehicle_account="616300",
    ),
    KeywordRule(
        "612000",
        "energy and water",
        _kw(
            "elektriciteit,electricite,electricity,strom,energie,energy,=gas,=gaz,aardgas,"
            "stookolie,mazout,heizol,=water,=eau,=wasser,waterverbruik,wasserverbrauch"
        ),
        goods=True,
    ),
    KeywordRule(
        "613000",
        "fees and consulting",
        _kw(
            "erelonen,ereloon,honoraire,boekhouding,comptabilite,accountancy,accounting,advies,"
            "consult,conseil,beratung,juridisch,advocaat,avocat,notaris,notaire,"
            "=audit,=fees,steuerberatung,bedrijfsrevisor,expertise comptable,rechtsanwalt"
        ),
    ),
    KeywordRule(
        "613100",
        "office supplies and printing",
        _kw(
            "kantoorbenodigdheden,kantoorartikelen,kantoormateriaal,drukwerk,fournitures de bureau,"
            "impression,imprimes,=papier,=paper,printing,burobedarf,toner,enveloppen,briefpapier,"
            "documentatie,documentation,tijdschrift,abonnement krant,office supplies,"
            "visitekaartjes,cartes de visite,inktpatronen,cartouches,druckerpatronen"
        ),
        goods=True,
    ),
    KeywordRule(
        "613200",
        "telephone and internet",
        _kw(
            "telefoon,telephone,telefon,=gsm,mobiel,=mobile,internet,telecom,breedband,=fibre,"
            "glasvezel,=sim,simkaart,mobilfunk"
        ),
    ),
    KeywordRule(
        "613300",
        "software and IT services",
        _kw(
            "software,logiciel,licentie,licence,lizenz,license,=saas,hosting,=cloud,webhosting,"
            "domeinnaam,=domain,domaine,it diensten,=it services,abonnement software,"
            "hebergement web,serveur,=server,webdesign,helpdesk,it support"
        ),
    ),
    KeywordRule(
        "613400",
        "insurance",
        _kw("verzekering,assurance,versicherung,insurance,polis,=premie"),
        vehicle_account="616400",
    ),
    KeywordRule(
        "611000",
        "maintenance and repair",
        _kw(
            "onderhoud,herstelling,reparatie,reparation,entretien,reparatur,wartung,maintenance,"
            "=repair,schoonmaak,nettoyage,reinigung,=cleaning,depannage,=pechverhelping,"
            "instandhouding,revisie,=service beurt,onderhoudsbeurt"
        ),
        vehicle_account="616200",
    ),
    KeywordRule(
        "614000",
        "advertising",
        _kw(
            "publiciteit,reclame,publicite,werbung,advertising,advertentie,marketing,campagne,"
            "kampagne,campaign,=ads,=flyers,annonce,sponsoring"
        ),
    ),
    KeywordRule(
        "614100",
        "business gifts",
        _kw("geschenk,cadeau,=gift,=gifts,relatiegeschenk,kerstpakket,eindejaarsgeschenk,present"),
        goods=True,
    ),
    KeywordRule(
        "614200",
        "restaurant and reception",
        _kw(
            "restaurant,lunch,diner,dinner,=menu,receptie,reception,catering,traiteur,"
            "bewirtung,=repas,maaltijd,brasserie,geschaftsessen,zakenlunch,walking dinner"
        ),
    ),
    KeywordRule(
        "614200",
        "drinks",
        _kw("=wijn,=wijnen,=vin,=vins,=wein,=wine,dranken,boisson,getranke,champagne"),
        goods=True,
    ),
    KeywordRule(
        "615000",
        "travel",
        _kw(
            "reiskosten,verplaatsing,deplacement,=reise,=reisen,=travel,=hotel,hotelkosten,"
            "logies,hebergement,overnachting,ubernachtung,=trein,=train,=zug,treinticket,parking,"
            "parkeer,=taxi,vliegtuig,vlucht,=flight,=avion,=nuitee,=bahnticket"
        ),
    ),
    KeywordRule(
        "613600",
        "small tools",
        _kw(
            "gereedschap,outillage,werkzeug,=tools,klein materiaal,petit materiel,kleingereedschap,"
            "boormachine,perceuse,bohrmaschine"
        ),
        asset_account="230000",
        goods=True,
    ),
    KeywordRule(
        "613600",
        "office furniture and equipment",
        _kw(
            "bureaustoel,=stoel,=stoelen,=tafel,vergadertafel,=kast,kasten,meubel,meubilair,"
            "mobilier,furniture,=chaise,=chaises,=table,=tables,=bureau,=desk,laptop,computer,"
            "ordinateur,=pc,printer,imprimante,=monitor,beeldscherm,=ecran,beamer,projector,"
            "smartphone,=tablet,tablette,server rack,bureaumeubilair,burostuhl,schreibtisch,"
            "kantooruitrusting,materiel de bureau"
        ),
        asset_account="240000",
        goods=True,
    ),
    KeywordRule(
        "613600",
        "machines and installations",
        _kw(
            "=machine,machines,=maschine,=anlage,compressor,heftruck,chariot elevateur,"
            "gabelstapler,uitrusting,=equipment,equipement,=outillage industriel"
        ),
        asset_account="230000",
        goods=True,
    ),
    KeywordRule(
        "616200",
        "vehicles",
        _kw(
            "personenwagen,bestelwagen,lichte vracht,camionnette,voiture neuve,=vehicule,"
            "=fahrzeug,=pkw,=lieferwagen,rollend materieel,materiel roulant,nieuwe wagen,"
            "=auto,=voiture,=vehicle,=car"
        ),
        asset_account="241000",
        goods=True,
    ),
    KeywordRule(
        "221000",
        "buildings",
        _kw("=gebouw,nieuwbouw,=batiment,=building,=gebaude,constructions"),
        asset_account="221000",
        goods=True,
    ),
    KeywordRule(
        "604000",
        "goods for resale",
        _kw(
            "handelsgoederen,marchandises,handelsware,wederverkoop,revente,=resale,handelswaren,"
            "for resale,voor verkoop,stock winkel"
        ),
        goods=True,
    ),
    KeywordRule(
        "600000",
        "raw materials",
        _kw(
            "grondstof,grondstoffen,matieres premieres,matiere premiere,rohstoff,raw material,"
            "raw materials"
        ),
        goods=True,
    ),
    KeywordRule(
        "601000",
        "consumables",
        _kw(
            "hulpstoffen,hulpstof,verbruiksgoederen,verbruiksmateriaal,verbruiksartikelen,"
            "consommables,fournitures de production,verbrauchsmaterial,hilfsstoffe,consumables,"
            "matieres consommables,=fournitures"
        ),
        goods=True,
    ),
    KeywordRule(
        "657000",
        "bank charges",
        _kw("bankkosten,frais bancaires,bankgebuhren,bank charges,rekeningkosten"),
    ),
    KeywordRule(
        "617000",
        "temporary staff",
        _kw("uitzendkracht,interim,zeitarbeit,temporary staff,uitzendarbeid"),
    ),
    KeywordRule(
        "618000",
        "directors' remuneration",
        _kw(
            "bestuurdersvergoeding,bestuurdersbezoldiging,bestuursmandaat,"
            "remuneration administrateur,mandat d administrateur,geschaftsfuhrervergutung"
        ),
    ),
    KeywordRule(
        "640000",
        "operating taxes",
        _kw(
            "verkeersbelasting,onroerende voorheffing,precompte immobilier,taxe de circulation,"
            "gemeentebelasting,taxe communale"
        ),
    ),
)

#: A line that is a service, rent, lease or subscription is never capitalised.
NOT_CAPITAL: tuple[str, ...] = _kw(
    "abonnement,subscription,=abo,huur,=location,=rental,=rent,=miete,leasing,=lease,=renting,"
    "licentie,licence,lizenz,license,onderhoud,maintenance,entretien,wartung,herstelling,"
    "reparatie,reparation,reparatur,=repair,consult,advies,conseil,beratung,opleiding,formation,"
    "training,schulung,hosting,=saas,=cloud,=support,per maand,par mois,pro monat,per month,"
    "maandelijks,mensuel,monatlich,monthly,jaarlijks,annuel,jahrlich,yearly,annual,verzekering,"
    "assurance,versicherung,insurance,installatiekosten,frais d installation"
)

#: Sales-side vocabulary when no rule or history decides goods or services.
SERVICE_WORDS: tuple[str, ...] = _kw(
    "prestatie,prestaties,prestation,dienst,diensten,dienstverlening,=service,=services,"
    "=uren,=uur,=heures,=stunden,=hours,werkuren,opleiding,formation,training,schulung,ontwerp,"
    "=design,ontwikkeling,developpement,entwicklung,begeleiding,coaching,vertaling,traduction,"
    "ubersetzung,translation,commissie,=commission,beheer,=gestion,=management,arbeid,"
    "main d oeuvre,=labour,=labor,werkzaamheden,=travaux,=arbeiten,=installatie,=installation,"
    "werken,=plaatsen,"
    "montage,plaatsing,=pose,studie,=etude,analyse,=analysis,programmering,dienstleistung,"
    "=work,=works,keuring,inspectie,=inspection"
)
GOODS_WORDS: tuple[str, ...] = _kw(
    "levering,geleverd,=delivery,=delivered,livraison,lieferung,artikel,=article,=articles,product,"
    "produit,produkt,=stuks,=stuk,=pieces,=stuck,=pcs,=goods,goederen,=biens,=waren,"
    "=marchandise,onderdelen,pieces detachees,ersatzteile,spare parts,materialen,materiaux"
)
_SERVICE_UNITS = frozenset(
    {"HUR", "DAY", "MIN", "MON", "ANN", "WEE", "H", "U", "UUR", "UREN", "HEURE", "HEURES",
     "STD", "STUNDEN", "HOUR", "HOURS", "DAG", "DAGEN", "JOUR", "JOURS", "TAG", "TAGE"}
)  # fmt: skip


def service_unit(unit: str | None) -> bool:
    """Whether an invoice line's unit (UN/ECE code or printed word) is a time unit."""
    return (unit or "").strip().upper().rstrip(".") in _SERVICE_UNITS


#: Accessory costs: re-invoiced travel, shipping, packaging and handling.
ACCESSORY: tuple[str, ...] = _kw(
    "verplaatsingskosten,verplaatsing,reiskosten,=km,kilometervergoeding,kilometers,"
    "deplacement,frais de deplacement,reisekosten,=travel,travel costs,"
    "verzendkosten,verzending,transportkosten,=transport,leveringskosten,=shipping,"
    "frais de port,=port,frais de livraison,versand,versandkosten,=fracht,frachtkosten,"
    "verpakking,emballage,verpackung,packaging,administratiekosten,dossierkosten,"
    "frais administratifs,handling"
)

_VEHICLE = _kw(
    "=auto,=wagen,personenwagen,bedrijfswagen,bestelwagen,voiture,=car,fahrzeug,=pkw,"
    "=vehicle,vehicule,voertuig,autoverzekering,=autoleasing,=bmw,=audi,=volvo,=tesla"
)
_PLATE = re.compile(r"\b\d-?[A-Z]{3}-?\d{3}\b")

_NAME_STOPWORDS = frozenset(
    {"andere", "autres", "diverse", "divers", "frais", "kosten", "services", "diensten",
     "goederen", "biens", "aankopen", "achats", "voiture", "autokosten", "materiel",
     "materiaal", "klein", "petit", "compte", "courant", "rekening", "leveranciers"}
)  # fmt: skip


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[tuple[str, ...], str]:
    # the same descriptions are matched several times per proposal (rules, services,
    # accessories, deductions, VAT mentions): normalise each once
    joined = normalise(text)
    return tuple(joined.split()), joined


@lru_cache(maxsize=256)
def _keyword_index(keywords: tuple[str, ...]) -> KeywordIndex:
    return KeywordIndex(keywords)


def mentions(text: str, keywords: Iterable[str]) -> str | None:
    """The first keyword of ``keywords`` found in ``text``, else None."""
    index = _keyword_index(keywords if isinstance(keywords, tuple) else tuple(keywords))
    first = index.first(*_words(text))
    return None if first is None else index.keywords[first].lstrip("=")


def mentions_vehicle(text: str) -> str | None:
    plate = _PLATE.search(text.upper())
    if plate:
        return plate.group(0)
    return mentions(text, _VEHICLE)


def is_accessory(text: str) -> str | None:
    return mentions(text, ACCESSORY)


class _Table:
    """The keywords of a table of owners (rules, or accounts), in table order, compiled
    into one index; per keyword: (matched size, owner, keyword without its ``=``)."""

    __slots__ = ("entries", "index")

    def __init__(self, pairs: Iterable[tuple[Any, str]]) -> None:
        pairs = tuple(pairs)
        self.index = KeywordIndex(kw for _, kw in pairs)
        self.entries: tuple[tuple[int, Any, str], ...] = tuple(
            (len(kw.lstrip("=")), owner, kw.lstrip("=")) for owner, kw in pairs
        )


@lru_cache(maxsize=64)
def _rule_index(rules: tuple[KeywordRule, ...]) -> _Table:
    return _Table((rule, kw) for rule in rules for kw in rule.keywords)


_RULES_INDEX = _rule_index(RULES)


def match_rules(text: str, rules: Iterable[KeywordRule] = RULES) -> RuleMatch | None:
    """The best keyword rule for ``text``: longest keyword, then table order.

    A rule without an asset alternative (rent, lease, maintenance, software,
    fees...) beats an equipment rule on the same text: "huur laptop" is rent,
    "onderhoud compressor" is maintenance.
    """
    plan = _RULES_INDEX if rules is RULES else _rule_index(tuple(rules))
    best: tuple[int, KeywordRule, str] | None = None
    best_plain: tuple[int, KeywordRule, str] | None = None
    entries = plan.entries
    for i in plan.index.hits(*_words(text)):  # ascending: table order, then keyword order
        hit = entries[i]
        size, rule, _ = hit
        if best is None or size > best[0]:
            best = hit
        if rule.asset_account is None and (best_plain is None or size > best_plain[0]):
            best_plain = hit
    if best is None:
        return None
    if best[1].asset_account is not None and best_plain is not None:
        best = best_plain
    _, rule, kw = best
    account = rule.account
    if rule.vehicle_account and mentions_vehicle(text):
        account = rule.vehicle_account
    return RuleMatch(account, rule.label, kw, rule.asset_account, goods=rule.goods)


@lru_cache(maxsize=8192)
def _name_keywords(account: Account) -> tuple[str, ...]:
    out: list[str] = []
    for name in (account.name_nl, account.name_fr):
        for word in normalise(name).split():
            if len(word) < 4 or word in _NAME_STOPWORDS:
                continue
            stem = word[:-2] if word.endswith("en") and len(word) >= 8 else word
            stem = stem[:-1] if stem.endswith("s") and len(stem) >= 6 else stem
            out.append(stem)
    return tuple(out)


@lru_cache(maxsize=64)
def _name_index(chart: tuple[Account, ...], kinds: frozenset[str]) -> _Table:
    """The name keywords of the accounts of ``kinds`` in a chart, in chart order."""
    return _Table(
        (account, kw)
        for account in chart
        if account.kind in kinds
        for kw in _name_keywords(account)
    )


#: the chart and kinds of the last call and their index: every line of a proposal passes
#: the same chart object, which then needs no hashing (41 dataclass hashes) per line
_LAST_NAMES: tuple[tuple[Account, ...], frozenset[str], _Table] | None = None


def match_names(text: str, chart: Iterable[Account], *, kinds: frozenset[str]) -> RuleMatch | None:
    """The account whose own nl/fr name words occur in ``text`` (weaker than a rule)."""
    global _LAST_NAMES
    chart = chart if isinstance(chart, tuple) else tuple(chart)
    last = _LAST_NAMES  # one read: another thread may replace it
    if last is not None and last[0] is chart and last[1] is kinds:
        plan = last[2]
    else:
        plan = _name_index(chart, kinds)
        _LAST_NAMES = (chart, kinds, plan)
    best: tuple[int, Account, str] | None = None
    for i in plan.index.hits(*_words(text)):  # ascending: chart order, then name order
        hit = plan.entries[i]
        if best is None or hit[0] > best[0]:
            best = hit
    if best is None:
        return None
    _, account, kw = best
    return RuleMatch(account.number, f"account name {account.name_nl}", kw, None, weak=True)
