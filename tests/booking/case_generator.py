"""Unseen booking cases: a generator over the rules of shared/docs/belgian-bookkeeping.md.

Each case has the shape of ``shared/corpus/booking/cases.json`` (``invoice``,
``context``, ``expected_entry``).  The expected entry is computed here from the
doc's rules (sections 3, 4, 5 and 8), independently of ``booking/``: base lines
per (account, rate), VAT per rate on the document total, reverse-charge VAT at
the Belgian rate, non-deductible VAT as its own line (``ROUND_DOWN`` of the
deductible share), credit notes mirrored.

Descriptions come from two disjoint pools: ``dev`` (the one the keyword rules
were checked against) and ``holdout`` (written at the same time, never used to
tune the rules; the score on it is the "unseen" figure).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import random
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
OWN_VAT = "BE0743182920"
OWN_NAME = "Demo Consult BV"


@dataclass(frozen=True)
class Kind:
    """One kind of purchase or sales line: where it goes and how it is taxed."""

    account: str
    grid: str | None  # purchase base grid (None on sales)
    goods: bool
    rate: str  # the Belgian rate of the line
    pct: int = 100  # deductible share
    category: str = "S"
    asset: str | None = None  # fixed-asset account at or above the threshold


# account -> (kind, dev descriptions, holdout descriptions)
PURCHASE: dict[str, tuple[Kind, tuple[str, ...], tuple[str, ...]]] = {
    "fees": (
        Kind("613000", "82", False, "21"),
        ("Erelonen juridisch advies maart", "Honoraires conseil fiscal", "Steuerberatung Q2"),
        (
            "Ereloon advocaat dossier 2026/114",
            "Consultance stratégique - honoraires",
            "Accounting services annual closing",
        ),
    ),
    "office": (
        Kind("613100", "82", True, "21"),
        ("Kantoorbenodigdheden en briefpapier", "Toner HP 305A", "Fournitures de bureau diverses"),
        ("Drukwerk brochures 500 ex.", "Impression cartes de visite", "Bürobedarf Ordner"),
    ),
    "telecom": (
        Kind("613200", "82", False, "21"),
        ("Telefoon en internet april", "Abonnement GSM Proximus", "Internet fibre juin"),
        ("Mobiel abonnement 5 SIM-kaarten", "Téléphonie fixe et internet", "Mobilfunk Vertrag Mai"),
    ),
    "software": (
        Kind("613300", "82", False, "21"),
        (
            "Jaarlicentie boekhoudsoftware",
            "Hosting webshop 12 maanden",
            "Logiciel CRM licence annuelle",
        ),
        (
            "Microsoft 365 Business licenties jaarabonnement",
            "Cloud hosting serveur dédié",
            "SaaS subscription project tool",
        ),
    ),
    "maintenance": (
        Kind("611000", "82", False, "21"),
        ("Onderhoud airco kantoor", "Réparation porte sectionnelle", "Wartung Heizung"),
        (
            "Herstelling lekkend dak magazijn",
            "Entretien ascenseur trimestre",
            "Repair of the loading dock door",
        ),
    ),
    "energy": (
        Kind("612000", "82", True, "21"),
        ("Elektriciteit voorschot mei", "Gaz naturel acompte", "Waterverbruik 2026 Q1"),
        (
            "Voorschotfactuur aardgas en elektriciteit",
            "Électricité consommation juillet",
            "Stromlieferung Juni",
        ),
    ),
    "advertising": (
        Kind("614000", "82", False, "21"),
        ("Advertentie vakblad juni", "Campagne publicitaire Facebook", "Werbung Messekatalog"),
        ("Reclamecampagne radio", "Annonce journal régional", "Online marketing campaign May"),
    ),
    "restaurant": (
        Kind("614200", "82", False, "21", pct=0),
        ("Zakenlunch 4 personen", "Repas d'affaires clients", "Restaurant Geschäftsessen"),
        (
            "Diner met klanten na beurs",
            "Déjeuner d'affaires brasserie",
            "Business dinner with prospects",
        ),
    ),
    "fuel": (
        Kind("616100", "82", True, "21", pct=50),
        ("Diesel tankbeurt 1-ABC-123", "Carburant voiture de société", "Kraftstoff Firmenwagen"),
        ("Benzine Euro 95 bedrijfswagen", "Essence sans plomb 98", "Diesel fuel company car"),
    ),
    "car_maintenance": (
        Kind("616200", "82", False, "21", pct=50),
        ("Onderhoud personenwagen 1-XYZ-987", "Entretien voiture de société", "Wartung PKW"),
        (
            "Herstelling auto na schade",
            "Réparation véhicule de direction",
            "Car repair and service",
        ),
    ),
    "raw": (
        Kind("600000", "81", True, "21"),
        ("Grondstoffen staalplaten", "Matières premières aluminium", "Rohstoffe Granulat"),
        (
            "Aankoop grondstoffen productie",
            "Matière première: farine de blé 25 kg",
            "Raw materials resin",
        ),
    ),
    "consumables": (
        Kind("601000", "81", True, "21"),
        ("Hulpstoffen smeermiddelen", "Consommables atelier", "Verbrauchsmaterial Werkstatt"),
        (
            "Verbruiksgoederen productie",
            "Fournitures consommables atelier",
            "Consumables for the plant",
        ),
    ),
    "resale": (
        Kind("604000", "81", True, "21"),
        ("Handelsgoederen voor wederverkoop", "Marchandises pour revente", "Handelsware Sortiment"),
        (
            "Aankoop handelsgoederen winkel",
            "Achat de marchandises collection été",
            "Goods for resale spring collection",
        ),
    ),
    "small_tools": (
        Kind("613600", "82", True, "21", asset="230000"),
        ("Gereedschap set", "Outillage atelier", "Werkzeugkoffer"),
        ("Kleingereedschap en boormachine", "Petit matériel outillage", "Hand tools set"),
    ),
    "equipment": (
        Kind("613600", "82", True, "21", asset="240000"),
        ("Laptop Dell Latitude", "Bureaustoel ergonomisch", "Écran 27 pouces"),
        ("Vergadertafel eik", "Ordinateur portable Lenovo", "Schreibtisch höhenverstellbar"),
    ),
    "machines": (
        Kind("613600", "82", True, "21", asset="230000"),
        ("Compressor 50 l", "Machine à emballer", "Maschine Bohrwerk"),
        ("Heftruck elektrisch", "Chariot élévateur", "Packing machine"),
    ),
    "bank": (
        Kind("657000", "82", False, "0", category="E"),
        ("Bankkosten kwartaal", "Frais bancaires trimestriels", "Bankgebühren"),
        ("Rekeningkosten zichtrekening", "Frais bancaires tenue de compte", "Bank charges Q2"),
    ),
    "insurance": (
        Kind("613400", "82", False, "0", category="E"),
        ("Verzekering brand gebouw", "Assurance responsabilité civile", "Versicherung Betrieb"),
        ("Polis BA uitbating 2026", "Assurance incendie bureaux", "Business insurance premium"),
    ),
    "interim": (
        Kind("617000", "82", False, "21"),
        ("Uitzendkracht week 14", "Personnel intérimaire semaine 20", "Zeitarbeit Mai"),
        (
            "Prestaties uitzendkracht magazijn",
            "Intérim préparateur de commandes",
            "Temporary staff April",
        ),
    ),
}

# purchase kinds grouped by use
SERVICES = ("fees", "telecom", "software", "maintenance", "advertising", "interim")
GOODS = ("office", "raw", "consumables", "resale", "small_tools", "equipment", "machines", "energy")
DOMESTIC = tuple(PURCHASE)

SALES_GOODS = (
    (
        "Levering 20 stuks artikel 4711",
        "Marchandises livrées bon 118",
        "Lieferung Ersatzteile",
        "Verkoop handelsgoederen",
        "Pièces détachées",
        "Delivery of spare parts",
    ),
    (
        "Geleverde producten order 2210",
        "Livraison de produits finis",
        "Warenlieferung Auftrag 77",
        "Goods delivered order 5512",
        "Onderdelen pompinstallatie",
        "Produits livrés",
    ),
)
SALES_SERVICES = (
    (
        "Consultancy april",
        "Prestations de conseil",
        "Beratung Projekt X",
        "Opleiding Excel 2 dagen",
        "Ontwikkeling website",
        "Consulting services May",
    ),
    (
        "Advies en begeleiding project",
        "Formation comptable 1 jour",
        "Dienstleistung Mai",
        "Ontwerp logo en huisstijl",
        "Travaux de programmation",
        "Training workshop 3 hours",
    ),
)
SALES_WORKS = (
    ("Renovatiewerken badkamer", "Travaux de rénovation toiture", "Plaatsing ramen"),
    ("Schilderwerken kantoor", "Travaux d'électricité", "Vloerwerken magazijn"),
)

EU = (
    ("DE", "DE811234567", "Müller GmbH"),
    ("NL", "NL812345678B01", "Jansen B.V."),
    ("FR", "FR40123456789", "Dupont SARL"),
    ("LU", "LU12345613", "Lux Services SA"),
)
NON_EU = (
    ("US", None, "Acme Inc."),
    ("GB", "GB123456789", "Thames Ltd"),
    ("CH", "CHE-123.456.789", "Alpen AG"),
)
BE_PARTIES = (
    ("BE0456298391", "Fiduciaire Verbeeck BV"),
    ("BE0428759497", "Garage Peeters NV"),
    ("BE0403170701", "Janssens & Co BV"),
    ("BE0876543213", "Studio Lumière SRL"),
)


def money(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def vat_of(base: Decimal, rate: Decimal) -> Decimal:
    return money(base * rate / 100)


def allocate(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    base = sum(weights, Decimal(0))
    largest = max(range(len(weights)), key=lambda i: (abs(weights[i]), -i))
    shares = [money(total * w / base) if base else Decimal("0.00") for w in weights]
    shares[largest] += total - sum(shares, Decimal(0))
    return shares


def _amount(rng: random.Random, lo: int = 20, hi: int = 900) -> Decimal:
    return Decimal(rng.randint(lo * 100, hi * 100)) / 100


def _date(rng: random.Random) -> _dt.date:
    return _dt.date(2026, 1, 5) + _dt.timedelta(days=rng.randint(0, 330))


def _ln(account: str, amount: Decimal, debit_side: bool, grids: list[str]) -> dict[str, Any]:
    """A line on its natural side; negative amounts swap sides."""
    on_debit = debit_side if amount >= 0 else not debit_side
    value = format(abs(amount).quantize(CENT), "f")
    return {
        "account": account,
        "debit": value if on_debit else "0.00",
        "credit": "0.00" if on_debit else value,
        "vat_grid": grids,
    }


@dataclass
class _Line:
    description: str
    net: Decimal
    rate: Decimal
    category: str
    account: str
    grid: str | None
    pct: int
    goods: bool
    qty: Decimal | None = None
    unit_price: Decimal | None = None


def _invoice(
    lines: list[_Line],
    supplier: tuple[str | None, str, str],
    customer: tuple[str | None, str, str],
    day: _dt.date,
    credit_note: bool,
    number: str,
    note: str | None = None,
    charged: bool = True,
) -> tuple[dict[str, Any], Decimal, dict[Decimal, Decimal]]:
    rates = sorted({ln.rate for ln in lines})
    per_rate = {
        r: vat_of(sum((ln.net for ln in lines if ln.rate == r), Decimal(0)), r) for r in rates
    }
    if not charged:
        per_rate = {r: Decimal("0.00") for r in rates}
    net = sum((ln.net for ln in lines), Decimal("0.00"))
    vat = sum(per_rate.values(), Decimal("0.00"))
    inv = {
        "document_type": "credit_note" if credit_note else "invoice",
        "invoice_number": number,
        "supplier_vat": supplier[0],
        "supplier_name": supplier[1],
        "supplier_country": supplier[2],
        "customer_vat": customer[0],
        "customer_name": customer[1],
        "customer_country": customer[2],
        "issue_date": day.isoformat(),
        "currency": "EUR",
        "lines": [
            {
                "description": ln.description,
                "net": str(ln.net),
                "vat_rate": str(ln.rate if charged else 0),
                "vat_category": ln.category,
                **({} if ln.qty is None else {"quantity": str(ln.qty)}),
                **({} if ln.unit_price is None else {"unit_price": str(ln.unit_price)}),
            }
            for ln in lines
        ],
        "vat_breakdown": [
            {
                "rate": str(r if charged else 0),
                "taxable": str(sum((ln.net for ln in lines if ln.rate == r), Decimal("0.00"))),
                "vat": str(per_rate[r]),
                "category": next(ln.category for ln in lines if ln.rate == r),
            }
            for r in rates
        ],
        "total_excl_vat": str(net),
        "total_vat": str(vat),
        "total_incl_vat": str(net + vat),
        "note": note,
        "source": "generated",
    }
    return inv, net + vat, per_rate


def _groups(lines: list[_Line]) -> dict[tuple[str, Decimal, int], list[_Line]]:
    out: dict[tuple[str, Decimal, int], list[_Line]] = {}
    for ln in lines:
        out.setdefault((ln.account, ln.rate, ln.pct), []).append(ln)
    return out


def _purchase_expected(
    lines: list[_Line],
    per_rate: dict[Decimal, Decimal],
    total: Decimal,
    cn: bool,
    reverse: tuple[str, str] | None,
) -> list[dict[str, Any]]:
    """reverse: (extra base grid 86/87/88, due grid 55/56) for self-assessed VAT."""
    d = not cn
    out: list[dict[str, Any]] = []
    groups = _groups(lines)
    vat_by_group: dict[tuple[str, Decimal, int], Decimal] = {}
    for rate in sorted({k[1] for k in groups}):
        keys = [k for k in groups if k[1] == rate]
        bases = [sum((ln.net for ln in groups[k]), Decimal(0)) for k in keys]
        rate_vat = per_rate[rate] if reverse is None else vat_of(sum(bases, Decimal(0)), rate)
        for k, share in zip(keys, allocate(rate_vat, bases), strict=True):
            vat_by_group[k] = share
    deductible_by_rate: dict[Decimal, Decimal] = {}
    for key, group in groups.items():
        account, rate, pct = key
        base = sum((ln.net for ln in group), Decimal("0.00"))
        grid = group[0].grid
        second = (
            ("84" if reverse[0] in ("86", "88") else "85")
            if cn and reverse
            else ("85" if cn else (reverse[0] if reverse else None))
        )
        grids = [g for g in (grid, second) if g]
        out.append(_ln(account, base, d, grids))
        vat = vat_by_group[key]
        ded = vat if pct >= 100 else (vat * pct / 100).quantize(CENT, rounding=ROUND_DOWN)
        if vat - ded:
            out.append(_ln(account, vat - ded, d, [grid] if grid else []))
        deductible_by_rate[rate] = deductible_by_rate.get(rate, Decimal("0.00")) + ded
    for rate in sorted(deductible_by_rate):
        ded = deductible_by_rate[rate]
        if ded:
            out.append(_ln("411000", ded, d, ["63" if cn else "59"]))
        if reverse:
            due = sum((vat_by_group[k] for k in groups if k[1] == rate), Decimal("0.00"))
            out.append(_ln("451000", due, not d, ["64" if cn else reverse[1]]))
    out.append(_ln("440000", total, not d, []))
    return [ln for ln in out if ln["debit"] != "0.00" or ln["credit"] != "0.00"]


def _pick_purchase(rng: random.Random, keys: tuple[str, ...], pool: int) -> tuple[str, Kind, str]:
    key = rng.choice(keys)
    kind, dev, hold = PURCHASE[key]
    return key, kind, rng.choice(hold if pool else dev)


def _account_for(kind: Kind, net: Decimal, threshold: Decimal) -> tuple[str, str | None]:
    if kind.asset and net >= threshold:
        return kind.asset, "83"
    return kind.account, kind.grid


def _case(
    cid: str,
    desc: str,
    inv: dict[str, Any],
    journal: str,
    lines: list[dict[str, Any]],
    threshold: Decimal,
) -> dict[str, Any]:
    return {
        "id": cid,
        "description": desc,
        "context": {
            "dossier": {
                "name": OWN_NAME,
                "vat": OWN_VAT,
                "capitalisation_threshold": str(threshold),
            },
            "supplier_history": [],
        },
        "invoice": inv,
        "expected_entry": {"journal": journal, "date": inv["issue_date"], "lines": lines},
    }


def _domestic_purchase(
    rng: random.Random,
    pool: int,
    cid: str,
    *,
    cn: bool = False,
    nlines: int = 1,
    threshold: Decimal = Decimal("1000.00"),
) -> dict[str, Any]:
    day = _date(rng)
    lines: list[_Line] = []
    used: set[str] = set()
    while len(lines) < nlines:
        key, kind, text = _pick_purchase(rng, DOMESTIC, pool)
        if key in used:
            continue
        used.add(key)
        hi = 2500 if kind.asset else 900
        net = _amount(rng, 20, hi)
        account, grid = _account_for(kind, net, threshold)
        rate = Decimal(kind.rate)
        lines.append(_Line(text, net, rate, kind.category, account, grid, kind.pct, kind.goods))
    if any(ln.pct < 100 for ln in lines) and any(ln.pct == 100 for ln in lines):
        lines = [ln for ln in lines if ln.pct < 100][:1]  # keep the doc's simple cases
    vat, name = rng.choice(BE_PARTIES)
    inv, total, per_rate = _invoice(
        lines, (vat, name, "BE"), (OWN_VAT, OWN_NAME, "BE"), day, cn, f"F{rng.randint(1000, 9999)}"
    )
    expected = _purchase_expected(lines, per_rate, total, cn, None)
    return _case(cid, "domestic purchase", inv, "purchase", expected, threshold)


def _reverse_purchase(rng: random.Random, pool: int, cid: str, regime: str) -> dict[str, Any]:
    day = _date(rng)
    if regime == "icg":
        _, kind, text = _pick_purchase(rng, GOODS, pool)
        country, vat, name = rng.choice(EU)
        cat, grids, note = "K", ("86", "55"), None
    elif regime == "ics":
        _, kind, text = _pick_purchase(rng, SERVICES, pool)
        country, vat, name = rng.choice(EU)
        cat, grids = "AE", ("88", "55")
        note = "Reverse charge - Steuerschuldnerschaft des Leistungsempfängers"
    elif regime == "neu":
        _, kind, text = _pick_purchase(rng, ("fees", "software", "advertising"), pool)
        country, vat, name = rng.choice(NON_EU)
        cat, grids, note = "O", ("87", "56"), None
    else:  # medecontractant: works by a Belgian contractor
        kind, dev, hold = PURCHASE["maintenance"]
        text = rng.choice(hold if pool else dev)
        vat, name = rng.choice(BE_PARTIES)
        country, cat, grids = "BE", "AE", ("87", "56")
        note = rng.choice(
            (
                "Btw verlegd - medecontractant, art. 20 KB nr. 1",
                "Autoliquidation - cocontractant art. 20 AR n° 1",
            )
        )
    net = _amount(rng, 100, 4000)
    account, grid = _account_for(kind, net, Decimal("1000.00"))
    line = _Line(text, net, Decimal(21), cat, account, grid, 100, kind.goods)
    inv, total, _ = _invoice(
        [line],
        (vat, name, country),
        (OWN_VAT, OWN_NAME, "BE"),
        day,
        False,
        f"INV-{rng.randint(100, 999)}",
        note,
        charged=False,
    )
    inv["lines"][0]["vat_rate"] = "0"
    expected = _purchase_expected([line], {Decimal(21): Decimal(0)}, total, False, grids)
    return _case(cid, f"purchase {regime}", inv, "purchase", expected, Decimal("1000.00"))


def _threshold_case(rng: random.Random, pool: int, cid: str) -> dict[str, Any]:
    """Equipment just above or below the threshold, or a subscription far above it."""
    day = _date(rng)
    which = rng.choice(("equipment", "machines", "software", "maintenance"))
    kind, dev, hold = PURCHASE[which]
    text = rng.choice(hold if pool else dev)
    net = _amount(rng, 1000, 6000) if rng.random() < 0.7 else _amount(rng, 100, 999)
    account, grid = _account_for(kind, net, Decimal("1000.00"))
    line = _Line(text, net, Decimal(21), "S", account, grid, 100, kind.goods)
    vat, name = rng.choice(BE_PARTIES)
    inv, total, per_rate = _invoice(
        [line], (vat, name, "BE"), (OWN_VAT, OWN_NAME, "BE"), day, False, f"A{rng.randint(10, 99)}"
    )
    return _case(
        cid,
        "capitalisation",
        inv,
        "purchase",
        _purchase_expected([line], per_rate, total, False, None),
        Decimal("1000.00"),
    )


def _sales(
    rng: random.Random, pool: int, cid: str, regime: str, cn: bool = False
) -> dict[str, Any]:
    day = _date(rng)
    n = rng.choice((1, 2, 2, 3))
    rate = Decimal(rng.choice(("21", "21", "6")))
    lines: list[_Line] = []
    texts: set[str] = set()
    for _ in range(n):
        goods = rng.random() < 0.5
        if regime == "icg":
            goods = True
        if regime == "mc":
            text, goods = rng.choice(SALES_WORKS[pool]), False
        else:
            text = rng.choice((SALES_GOODS if goods else SALES_SERVICES)[pool])
        if text in texts:
            continue
        texts.add(text)
        account = "700000" if goods else "705000"
        cat = {"dom": "S", "icg": "K", "ics": "AE", "exp": "G", "mc": "AE"}[regime]
        if regime == "exp":
            goods, account = True, "700000"
            text = rng.choice(SALES_GOODS[pool])
        lines.append(
            _Line(
                text,
                _amount(rng, 50, 3000),
                rate if regime == "dom" else Decimal(0),
                cat,
                account,
                None,
                100,
                goods,
            )
        )
    if regime == "ics":
        lines = [ln for ln in lines if not ln.goods] or [
            _Line(
                SALES_SERVICES[pool][0], _amount(rng), Decimal(0), "AE", "705000", None, 100, False
            )
        ]
    customer = {
        "dom": (rng.choice(BE_PARTIES)[0], "Klant NV", "BE"),
        "mc": (rng.choice(BE_PARTIES)[0], "Bouwheer BV", "BE"),
        "icg": (None, "", ""),
        "ics": (None, "", ""),
        "exp": (None, "Acme Inc.", "US"),
    }[regime]
    if regime in ("icg", "ics"):
        country, vat, _ = rng.choice(EU)
        customer = (vat, "EU Kunde", country)
    inv, total, per_rate = _invoice(
        lines,
        (OWN_VAT, OWN_NAME, "BE"),
        customer,
        day,
        cn,
        f"V{rng.randint(2026000, 2026999)}",
        "Autoliquidation / btw verlegd" if regime == "mc" else None,
        charged=regime == "dom",
    )
    base_grid = {"dom": None, "icg": "46", "ics": "44", "exp": "47", "mc": "45"}[regime]
    rate_grid = {Decimal(6): "01", Decimal(12): "02", Decimal(21): "03"}
    c = not cn  # natural credit for turnover
    out: list[dict[str, Any]] = []
    for (account, r, _), group in _groups(lines).items():
        base = sum((ln.net for ln in group), Decimal("0.00"))
        grid = ("48" if regime in ("icg", "ics") else "49") if cn else (base_grid or rate_grid[r])
        out.append(_ln(account, base, not c, [grid]))
    for r, v in per_rate.items():
        if v:
            out.append(_ln("451000", v, not c, ["64" if cn else "54"]))
    out.append(_ln("400000", total, c, []))
    return _case(cid, f"sales {regime}", inv, "sales", out, Decimal("1000.00"))


LODGING = (
    ("Hotel overnachting Brussel", "Nuitée hôtel Liège", "Hotelübernachtung Köln"),
    ("Logies 2 nachten beurs", "Hébergement hôtel 1 nuit", "Hotel stay conference"),
)
GIFTS = (
    ("Relatiegeschenk wijnpakket", "Cadeaux clients fin d'année", "Kundengeschenk Präsentkorb"),
    ("Kerstpakketten klanten", "Cadeau d'affaires coffret", "Business gifts for customers"),
)
ACCESSORY_TEXTS = (
    ("Verplaatsingskosten", "Frais de déplacement", "Reisekosten"),
    ("Kilometervergoeding 84 km", "Frais de port", "Shipping costs"),
)


def _extra_purchase(rng: random.Random, pool: int, cid: str, kind: str) -> dict[str, Any]:
    """Lodging (no deduction, 6 % then 12 % from March 2026), gifts (deductible up to
    EUR 50 a unit), an accessory cost following its main line, a document discount."""
    day = _date(rng)
    allowance = Decimal("0.00")
    if kind == "lodging":
        rate = Decimal(12) if day >= _dt.date(2026, 3, 1) else Decimal(6)
        text = rng.choice(LODGING[pool])
        lines = [_Line(text, _amount(rng, 80, 600), rate, "S", "615000", "82", 0, False)]
    elif kind == "gift":
        qty = Decimal(rng.randint(2, 12))
        price = _amount(rng, 20, 90)
        text = rng.choice(GIFTS[pool])
        lines = [
            _Line(text, money(qty * price), Decimal(21), "S", "614100", "82",
                  100 if price <= 50 else 0, True, qty, price)
        ]  # fmt: skip
    elif kind == "accessory":
        key = rng.choice(("fees", "maintenance", "advertising"))
        k, dev, hold = PURCHASE[key]
        lines = [
            _Line(rng.choice(hold if pool else dev), _amount(rng, 300, 900), Decimal(21), "S",
                  k.account, k.grid, 100, False),
            _Line(rng.choice(ACCESSORY_TEXTS[pool]), _amount(rng, 10, 90), Decimal(21), "S",
                  k.account, k.grid, 100, False),
        ]  # fmt: skip
    else:  # a document discount spread over the base
        key = rng.choice(("office", "fees", "telecom", "raw"))
        k, dev, hold = PURCHASE[key]
        net = _amount(rng, 200, 900)
        allowance = money(net * Decimal("0.05"))
        lines = [_Line(rng.choice(hold if pool else dev), net, Decimal(21), "S", k.account,
                       k.grid, 100, k.goods)]  # fmt: skip
    vat, name = rng.choice(BE_PARTIES)
    booked = [dataclasses.replace(ln, net=ln.net - allowance) for ln in lines]
    inv, total, per_rate = _invoice(
        booked, (vat, name, "BE"), (OWN_VAT, OWN_NAME, "BE"), day, False, f"G{rng.randint(1, 999)}"
    )
    if allowance:
        inv["lines"][0]["net"] = str(lines[0].net)
        inv["allowances_charges"] = [
            {
                "is_charge": False,
                "amount": str(allowance),
                "reason": "Korting 5 %",
                "vat_rate": "21",
            }
        ]
    expected = _purchase_expected(booked, per_rate, total, False, None)
    return _case(cid, f"purchase {kind}", inv, "purchase", expected, Decimal("1000.00"))


SCENARIOS = (
    ("domestic-1", lambda r, p, c: _domestic_purchase(r, p, c)),
    ("domestic-mixed", lambda r, p, c: _domestic_purchase(r, p, c, nlines=r.choice((2, 3)))),
    ("purchase-credit-note", lambda r, p, c: _domestic_purchase(r, p, c, cn=True)),
    ("intra-eu-goods", lambda r, p, c: _reverse_purchase(r, p, c, "icg")),
    ("intra-eu-services", lambda r, p, c: _reverse_purchase(r, p, c, "ics")),
    ("non-eu-services", lambda r, p, c: _reverse_purchase(r, p, c, "neu")),
    ("medecontractant", lambda r, p, c: _reverse_purchase(r, p, c, "mc")),
    ("capitalisation", _threshold_case),
    ("sales-domestic", lambda r, p, c: _sales(r, p, c, "dom")),
    ("sales-credit-note", lambda r, p, c: _sales(r, p, c, "dom", cn=True)),
    ("sales-intra-eu-goods", lambda r, p, c: _sales(r, p, c, "icg")),
    ("sales-intra-eu-services", lambda r, p, c: _sales(r, p, c, "ics")),
    ("sales-export", lambda r, p, c: _sales(r, p, c, "exp")),
    ("sales-medecontractant", lambda r, p, c: _sales(r, p, c, "mc")),
    ("lodging", lambda r, p, c: _extra_purchase(r, p, c, "lodging")),
    ("gifts", lambda r, p, c: _extra_purchase(r, p, c, "gift")),
    ("accessory", lambda r, p, c: _extra_purchase(r, p, c, "accessory")),
    ("discount", lambda r, p, c: _extra_purchase(r, p, c, "discount")),
)


def generate(n: int, seed: int, pool: str = "holdout") -> list[dict[str, Any]]:
    """``n`` cases, scenarios in turn, from the ``dev`` or ``holdout`` description pool."""
    rng = random.Random(seed)
    which = 1 if pool == "holdout" else 0
    out = []
    for i in range(n):
        name, make = SCENARIOS[i % len(SCENARIOS)]
        out.append(make(rng, which, f"gen-{pool}-{seed}-{i:03d}-{name}"))
    return out
