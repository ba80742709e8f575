"""A generator of Belgian invoices the extractor has never seen (issue 15).

``generate(family, seed)`` -> :class:`Generated`: the document (a text PDF, or
with ``scan=True`` a rendered page image with rotation, blur and noise) and its
ground truth in the corpus JSON shape (../shared/corpus/SCHEMA.md).

A *layout family* fixes the structure: language, label vocabulary, label beside
or above its value, table columns, where the supplier and customer blocks sit,
section titles, number and date formats, how the VAT summary is printed, a
logo image instead of a printed supplier name.  The seed varies the data
(parties, numbers, dates, lines, rates, regime, credit notes).  Families are
drawn from their number, so the tune set (:data:`TUNE_FAMILIES`) and the
held-out set (:data:`UNSEEN_FAMILIES`) never share a structure by design, only
by chance of the draw.

The dossier (the customer, whose purchase invoices these are) is fixed per
seed and returned as ``dossier_vat`` / ``dossier_name``: the pipeline knows it.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import io
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

__all__ = ["TUNE_FAMILIES", "UNSEEN_FAMILIES", "Generated", "Layout", "generate", "layout_for"]

TUNE_FAMILIES = tuple(range(12))
UNSEEN_FAMILIES = tuple(range(1000, 1012))
BOOKING_FIELDS = (
    "document_type",
    "invoice_number",
    "issue_date",
    "supplier_vat",
    "total_excl_vat",
    "total_vat",
    "total_incl_vat",
    "vat_breakdown",
    "currency",
)

W, H = 595.0, 842.0
CENT = Decimal("0.01")

# --------------------------------------------------------------------------- vocabulary

LABELS: dict[str, dict[str, list[str]]] = {
    "nl": {
        "title": ["FACTUUR", "Factuur", "VERKOOPFACTUUR"],
        "credit": ["CREDITNOTA", "Creditnota", "CREDITFACTUUR"],
        "number": ["Factuurnummer", "Factuur nr.", "Factuurnr.", "Nummer"],
        "credit_number": ["Creditnotanummer", "Creditnota nr.", "Nummer"],
        "date": ["Factuurdatum", "Datum", "Datum factuur"],
        "credit_date": ["Datum creditnota", "Datum"],
        "due": ["Vervaldatum", "Te betalen voor", "Uiterste betaaldatum"],
        "vat": ["BTW", "BTW-nr.", "Btw-nummer", "BTW nr"],
        "enterprise": ["Ondernemingsnummer", "KBO", "Ond.nr."],
        "customer_no": ["Klantnummer", "Klant nr."],
        "supplier_title": ["LEVERANCIER", "Van", "Verkoper"],
        "customer_title": ["KLANT", "Factuuradres", "Aan", "Gefactureerd aan"],
        "desc": ["Omschrijving", "Beschrijving", "Artikel"],
        "qty": ["Aantal", "Hoev."],
        "price": ["Eenheidsprijs", "Prijs", "E.P."],
        "rate": ["BTW %", "Btw", "Tarief"],
        "amount": ["Bedrag", "Totaal", "Bedrag excl. BTW"],
        "net": ["Totaal excl. BTW", "Maatstaf van heffing", "Subtotaal", "Totaal exclusief btw"],
        "vat_total": ["BTW", "Totaal BTW", "Btw-bedrag"],
        "gross": ["Totaal incl. BTW", "Totaal", "Te betalen", "Totaal te betalen"],
        "base": ["Grondslag", "Basis", "Maatstaf"],
        "iban": ["IBAN", "Rekeningnummer", "Bankrekening"],
        "ref": ["Gestructureerde mededeling", "Mededeling", "Betaalreferentie"],
        "credits": [
            "Betreft factuur {n} van {d}",
            "Creditering van factuur {n} dd. {d}",
            "Ref. factuur: {n} ({d})",
        ],
        "rc": ["Btw verlegd - art. 20 KB nr. 1", "Verlegging van heffing", "Medecontractant"],
        "ex": ["Vrijgesteld van btw - art. 44 WBTW", "Vrijstelling art. 44 Wbtw"],
        "exp": ["Uitvoer - vrijgesteld art. 39 WBTW", "Levering buiten de EU"],
        "thanks": ["Bedankt voor uw vertrouwen.", "Gelieve te betalen binnen 30 dagen."],
        "months": [
            "januari februari maart april mei juni juli augustus september oktober "
            "november december"
        ],
    },
    "fr": {
        "title": ["FACTURE", "Facture"],
        "credit": ["NOTE DE CRÉDIT", "Avoir", "NOTE DE CREDIT"],
        "number": ["Facture n°", "N° de facture", "Numéro", "Numéro de facture"],
        "credit_number": ["N° de note de crédit", "Avoir n°", "Numéro"],
        "date": ["Date de facture", "Date", "Date d'émission"],
        "credit_date": ["Date", "Date de l'avoir"],
        "due": ["Échéance", "Date d'échéance", "À payer avant le"],
        "vat": ["TVA", "N° TVA", "Numéro de TVA"],
        "enterprise": ["N° d'entreprise", "BCE", "Numéro d'entreprise"],
        "customer_no": ["N° client", "Référence client"],
        "supplier_title": ["ÉMETTEUR", "Fournisseur", "Vendeur"],
        "customer_title": ["DESTINATAIRE", "Client", "Facturé à", "Adresse de facturation"],
        "desc": ["Description", "Désignation", "Libellé"],
        "qty": ["Quantité", "Qté"],
        "price": ["Prix unitaire", "P.U.", "Prix"],
        "rate": ["TVA %", "Taux TVA", "TVA"],
        "amount": ["Montant", "Total HTVA", "Montant HT"],
        "net": ["Total HTVA", "Total hors TVA", "Base imposable", "Sous-total"],
        "vat_total": ["TVA", "Total TVA", "Montant TVA"],
        "gross": ["Total TVAC", "Total TTC", "Montant à payer", "Total à payer"],
        "base": ["Base", "Base imposable", "Montant HT"],
        "iban": ["IBAN", "Compte bancaire", "Compte"],
        "ref": ["Communication structurée", "Communication", "Référence de paiement"],
        "credits": [
            "Concerne la facture {n} du {d}",
            "Note de crédit sur facture {n} du {d}",
            "Réf. facture : {n} ({d})",
        ],
        "rc": ["Autoliquidation - art. 20 AR n° 1", "TVA due par le cocontractant"],
        "ex": ["Exonération art. 44 Code TVA", "Exempté de TVA - art. 44"],
        "exp": ["Exportation - exonération art. 39 Code TVA", "Livraison hors UE"],
        "thanks": ["Merci pour votre confiance.", "Payable à 30 jours."],
        "months": [
            "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
        ],
    },
    "de": {
        "title": ["RECHNUNG", "Rechnung"],
        "credit": ["GUTSCHRIFT", "Gutschrift", "KREDITNOTA"],
        "number": ["Rechnungsnummer", "Rechnung Nr.", "Rechnungs-Nr.", "Nummer"],
        "credit_number": ["Gutschriftsnummer", "Gutschrift Nr.", "Nummer"],
        "date": ["Rechnungsdatum", "Datum"],
        "credit_date": ["Gutschriftsdatum", "Datum"],
        "due": ["Fällig am", "Fälligkeitsdatum", "Zahlbar bis"],
        "vat": ["MwSt-Nr.", "USt-IdNr.", "MwSt.-Nummer"],
        "enterprise": ["Unternehmensnummer", "ZDU-Nr."],
        "customer_no": ["Kundennummer", "Kunden-Nr."],
        "supplier_title": ["LIEFERANT", "Absender", "Verkäufer"],
        "customer_title": ["KUNDE", "Rechnungsadresse", "Empfänger"],
        "desc": ["Beschreibung", "Bezeichnung", "Artikel"],
        "qty": ["Menge", "Anzahl"],
        "price": ["Einzelpreis", "Preis", "E-Preis"],
        "rate": ["MwSt %", "MwSt.", "Satz"],
        "amount": ["Betrag", "Gesamt", "Netto"],
        "net": ["Nettobetrag", "Summe netto", "Zwischensumme", "Total ohne MwSt."],
        "vat_total": ["MwSt.", "Mehrwertsteuer", "MwSt-Betrag"],
        "gross": ["Gesamtbetrag", "Rechnungsbetrag", "Zu zahlen", "Total inkl. MwSt."],
        "base": ["Basis", "Bemessungsgrundlage", "Netto"],
        "iban": ["IBAN", "Bankverbindung", "Konto"],
        "ref": ["Strukturierte Mitteilung", "Verwendungszweck", "Zahlungsreferenz"],
        "credits": [
            "Betrifft Rechnung {n} vom {d}",
            "Gutschrift zu Rechnung {n} vom {d}",
            "Bezug: Rechnung {n} ({d})",
        ],
        "rc": [
            "Steuerschuldnerschaft des Leistungsempfängers",
            "MwSt. geschuldet vom Vertragspartner",
        ],
        "ex": ["Steuerbefreit gemäß Art. 44 MwSt-GB", "Befreiung Art. 44"],
        "exp": ["Ausfuhr - steuerfrei Art. 39 MwSt-GB", "Lieferung außerhalb der EU"],
        "thanks": ["Vielen Dank für Ihren Auftrag.", "Zahlbar innerhalb von 30 Tagen."],
        "months": [
            "Januar Februar März April Mai Juni Juli August September Oktober November Dezember"
        ],
    },
    "en": {
        "title": ["INVOICE", "Invoice", "TAX INVOICE"],
        "credit": ["CREDIT NOTE", "Credit note", "Credit Note"],
        "number": ["Invoice number", "Invoice No.", "Invoice #", "Number"],
        "credit_number": ["Credit note number", "Credit note No.", "Number"],
        "date": ["Invoice date", "Date", "Date of issue"],
        "credit_date": ["Credit note date", "Date"],
        "due": ["Due date", "Payment due", "Pay before"],
        "vat": ["VAT", "VAT number", "VAT No."],
        "enterprise": ["Company number", "Enterprise number", "Reg. no."],
        "customer_no": ["Customer number", "Account no."],
        "supplier_title": ["SUPPLIER", "From", "Seller"],
        "customer_title": ["BILL TO", "Customer", "Invoice to", "Billed to"],
        "desc": ["Description", "Item", "Details"],
        "qty": ["Qty", "Quantity"],
        "price": ["Unit price", "Price", "Rate"],
        "rate": ["VAT %", "VAT", "Tax"],
        "amount": ["Amount", "Total", "Net amount"],
        "net": ["Subtotal", "Total excl. VAT", "Net total", "Taxable amount"],
        "vat_total": ["VAT", "Total VAT", "VAT amount"],
        "gross": ["Total", "Amount due", "Total incl. VAT", "Total due"],
        "base": ["Base", "Taxable", "Net"],
        "iban": ["IBAN", "Bank account", "Account"],
        "ref": ["Structured reference", "Payment reference", "Reference"],
        "credits": [
            "Re: invoice {n} of {d}",
            "Credit for invoice {n} dated {d}",
            "Original invoice: {n} ({d})",
        ],
        "rc": ["Reverse charge - art. 20 RD no. 1", "VAT reverse charged to the customer"],
        "ex": ["VAT exempt - art. 44 VAT Code", "Exempt supply (art. 44)"],
        "exp": ["Export - exempt art. 39 VAT Code", "Delivery outside the EU"],
        "thanks": ["Thank you for your business.", "Payment within 30 days."],
        "months": [
            "January February March April May June July August September October November December"
        ],
    },
}

NAME_A = [
    "Vandenberghe",
    "Peeters",
    "Janssens",
    "Maes",
    "Dubois",
    "Lambert",
    "Wouters",
    "Claes",
    "Goossens",
    "Mertens",
    "Dupont",
    "Leclercq",
    "Hermans",
    "Jacobs",
    "Willems",
    "Renard",
    "Schmitz",
    "Keller",
    "Martens",
    "De Smet",
    "Van Damme",
    "Lemaire",
    "Noël",
    "Bosmans",
]
NAME_B = [
    "Bouw",
    "Techniek",
    "Consult",
    "Logistics",
    "Services",
    "Digital",
    "Print",
    "Catering",
    "Elektro",
    "Garden",
    "Solutions",
    "Trading",
    "Transport",
    "Design",
    "Facility",
    "Data",
]
FORMS = ["BV", "NV", "SRL", "SA", "GmbH", "BVBA", "CommV", "VOF"]
STREETS = [
    "Kerkstraat",
    "Stationsstraat",
    "Rue de la Gare",
    "Avenue Louise",
    "Hauptstraße",
    "Industrieweg",
    "Rue du Moulin",
    "Nijverheidslaan",
    "Marktplatz",
    "Chaussée de Mons",
]
CITIES = [
    ("9000", "Gent"),
    ("2000", "Antwerpen"),
    ("1000", "Bruxelles"),
    ("4000", "Liège"),
    ("4700", "Eupen"),
    ("3000", "Leuven"),
    ("8000", "Brugge"),
    ("5000", "Namur"),
    ("6000", "Charleroi"),
    ("4780", "Sankt Vith"),
    ("1050", "Ixelles"),
    ("2800", "Mechelen"),
]
ITEMS = {
    "nl": ["Advies", "Installatie verwarming", "Onderhoudscontract", "Kantoorpapier A4",
           "Webhosting jaar", "Herstelling dak", "Transportkosten", "Licentie software",
           "Schilderwerken", "Koffie en thee", "Verplaatsingskosten", "Opleiding Excel"],
    "fr": ["Conseil", "Installation chauffage", "Contrat d'entretien", "Papier A4",
           "Hébergement web", "Réparation toiture", "Frais de transport", "Licence logiciel",
           "Travaux de peinture", "Café et thé", "Frais de déplacement", "Formation Excel"],
    "de": ["Beratung", "Installation Heizung", "Wartungsvertrag", "Büropapier A4",
           "Webhosting Jahr", "Dachreparatur", "Transportkosten", "Softwarelizenz",
           "Malerarbeiten", "Kaffee und Tee", "Fahrtkosten", "Schulung Excel"],
    "en": ["Consulting", "Heating installation", "Maintenance contract", "Office paper A4",
           "Web hosting year", "Roof repair", "Transport costs", "Software licence",
           "Painting works", "Coffee and tea", "Travel expenses", "Excel training"],
}  # fmt: skip

# --------------------------------------------------------------------------- numbers


def be_vat(rng: random.Random) -> str:
    head = rng.randrange(2000000, 9999999) + rng.choice((0, 0, 0, 10000000))
    check = 97 - (head % 97)
    return f"BE{head:08d}{check:02d}"


def be_iban(rng: random.Random) -> str:
    code = rng.choice(("001", "068", "310", "363", "735", "737", "063", "091", "103", "979"))
    bank = int(code + f"{rng.randrange(0, 10**7):07d}")
    nat = bank % 97 or 97
    bban = f"{bank:010d}{nat:02d}"
    num = int(bban + "1114" + "00")  # B=11 E=14
    check = 98 - num % 97
    return f"BE{check:02d}{bban}"


def ogm(rng: random.Random) -> str:
    n = rng.randrange(10**9, 10**10)
    c = n % 97 or 97
    d = f"{n:010d}{c:02d}"
    return f"+++{d[:3]}/{d[3:7]}/{d[7:]}+++"


def money(v: Decimal) -> Decimal:
    return v.quantize(CENT, rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- layouts


@dataclass(frozen=True)
class Layout:
    family: int
    lang: str
    vocab: int  # which synonym of each label
    labels: str  # "beside" | "above" | "grid"
    supplier_pos: str  # "left" | "right" | "footer"
    titles: bool  # section titles over the party blocks
    table: str  # column set
    number_style: str
    date_style: str
    amount_style: str
    vat_table: str  # "rows" | "table" | "inline"
    logo: bool
    font: str
    customer_first: bool  # customer block printed above the supplier block
    show_enterprise: bool


def layout_for(family: int) -> Layout:
    r = random.Random(f"layout-{family}")
    return Layout(
        family=family,
        lang=["nl", "fr", "de", "en"][family % 4],
        vocab=r.randrange(12),
        labels=r.choice(["beside", "beside", "above", "grid"]),
        supplier_pos=r.choice(["left", "right", "footer", "left"]),
        titles=r.random() < 0.5,
        table=r.choice(["dqpra", "cdqpa", "da", "dqpa", "dqra"]),
        number_style=r.choice(["F{y}-{n4}", "{y}/{n5}", "INV-{n6}", "VF{yy}{n5}", "{n6}"]),
        date_style=r.choice(["dmy/", "dmy.", "dmy-", "long", "iso"]),
        amount_style=r.choice(["be", "be", "fr", "en", "be_eur"]),
        vat_table=r.choice(["rows", "table", "inline"]),
        logo=r.random() < 0.25,
        font=r.choice(["Helvetica", "Times-Roman", "Helvetica", "Courier"]),
        customer_first=r.random() < 0.3,
        show_enterprise=r.random() < 0.5,
    )


def _label(layout: Layout, key: str, salt: int = 0) -> str:
    opts = LABELS[layout.lang][key]
    return opts[(layout.vocab + salt) % len(opts)]


def fmt_amount(layout: Layout, v: Decimal, sign: bool = False) -> str:
    neg = v < 0
    q = f"{abs(v):,.2f}"  # 1,234.56
    if layout.amount_style in ("be", "be_eur"):
        q = q.replace(",", "X").replace(".", ",").replace("X", ".")
    elif layout.amount_style == "fr":
        q = q.replace(",", " ").replace(".", ",")
    if neg:
        q = "-" + q
    if layout.amount_style == "be_eur":
        return f"€ {q}"
    if sign:
        return f"{q} EUR"
    return q


def fmt_date(layout: Layout, d: dt.date) -> str:
    s = layout.date_style
    if s == "long":
        months = LABELS[layout.lang]["months"][0].split()
        if layout.lang == "en":
            return f"{d.day} {months[d.month - 1]} {d.year}"
        return f"{d.day} {months[d.month - 1]} {d.year}"
    if s == "iso":
        return d.isoformat()
    sep = s[-1]
    return f"{d.day:02d}{sep}{d.month:02d}{sep}{d.year}"


def fmt_vat(vat: str, rng: random.Random) -> str:
    digits = vat[2:]
    style = rng.randrange(3)
    if style == 0:
        return f"BE {digits[:4]}.{digits[4:7]}.{digits[7:]}"
    if style == 1:
        return f"BE{digits}"
    return f"BE {digits}"


def fmt_iban(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def _number(layout: Layout, rng: random.Random, year: int) -> str:
    return layout.number_style.format(
        y=year,
        yy=year % 100,
        n4=f"{rng.randrange(1, 9999):04d}",
        n5=f"{rng.randrange(1, 99999):05d}",
        n6=f"{rng.randrange(100000, 999999)}",
    )


# --------------------------------------------------------------------------- document


@dataclass
class Generated:
    name: str
    data: bytes
    ext: str  # "pdf" | "png"
    expected: dict[str, Any]
    dossier_vat: str
    dossier_name: str
    layout: Layout
    notes: list[str] = field(default_factory=list)


@dataclass
class _Party:
    name: str
    vat: str
    street: str
    postal: str
    city: str
    iban: str
    enterprise: str


def _party(rng: random.Random) -> _Party:
    name = f"{rng.choice(NAME_A)} {rng.choice(NAME_B)} {rng.choice(FORMS)}"
    postal, city = rng.choice(CITIES)
    vat = be_vat(rng)
    return _Party(
        name=name,
        vat=vat,
        street=f"{rng.choice(STREETS)} {rng.randrange(1, 250)}",
        postal=postal,
        city=city,
        iban=be_iban(rng),
        enterprise=f"{vat[2:6]}.{vat[6:9]}.{vat[9:]}",
    )


Text = tuple[float, float, str, float, bool]  # x, y (top), text, size, bold


def generate(family: int, seed: int, *, scan: bool = False) -> Generated:
    layout = layout_for(family)
    rng = random.Random(f"doc-{family}-{seed}-{scan}")
    lang = layout.lang
    supplier = _party(rng)
    customer = _party(rng)
    credit = rng.random() < 0.2
    regime = rng.choices(["normal", "rc", "ex", "exp"], weights=[7, 1, 1, 1])[0]
    year = rng.choice((2024, 2025, 2026))
    issue = dt.date(year, rng.randrange(1, 13), rng.randrange(1, 29))
    due = issue + dt.timedelta(days=rng.choice((14, 30, 60))) if rng.random() < 0.7 else None
    number = _number(layout, rng, year)
    credited = (_number(layout, rng, year), issue - dt.timedelta(days=rng.randrange(5, 90)))
    if regime == "normal":
        rates = rng.choice([[21], [21], [6], [6, 21], [12, 21], [6, 12, 21]])
    else:
        rates = [0]
    items = ITEMS[lang]
    n_lines = rng.randrange(1, 7)
    lines = []
    for i in range(n_lines):
        qty = Decimal(rng.choice([1, 1, 2, 3, 5, 10, 12]))
        price = Decimal(rng.randrange(150, 250000)) / 100
        rate = rates[i % len(rates)] if i < len(rates) else rng.choice(rates)
        lines.append(
            (items[rng.randrange(len(items))], qty, money(price), rate, money(qty * price))
        )
    by_rate: dict[int, Decimal] = {}
    for _d, _q, _p, rate, net in lines:
        by_rate[rate] = by_rate.get(rate, Decimal(0)) + net
    breakdown = [(r, b, money(b * r / 100)) for r, b in sorted(by_rate.items())]
    total_net = sum((b for _r, b, _v in breakdown), Decimal(0))
    total_vat = sum((v for _r, _b, v in breakdown), Decimal(0))
    gross = total_net + total_vat
    reference = ogm(rng) if rng.random() < 0.6 and not credit else None

    t: list[Text] = []
    f = 9.0
    nd = (
        (_label(layout, "credit_number"), _label(layout, "credit_date"))
        if credit
        else (_label(layout, "number"), _label(layout, "date"))
    )
    title = _label(layout, "credit" if credit else "title")

    # parties
    def block(p: _Party, who: str, x: float, y: float, with_title: bool) -> float:
        if with_title:
            key = "supplier_title" if who == "s" else "customer_title"
            t.append((x, y, _label(layout, key, 1) + (":" if layout.vocab % 2 else ""), f, True))
            y += 13
        if not (who == "s" and layout.logo):
            t.append((x, y, p.name, f + (2 if who == "s" else 0), who == "s"))
            y += 13 if who == "c" else 15
        t.append((x, y, p.street, f, False))
        y += 12
        t.append((x, y, f"{p.postal} {p.city}", f, False))
        y += 12
        t.append((x, y, f"{_label(layout, 'vat')}: {fmt_vat(p.vat, rng)}", f, False))
        y += 12
        if who == "s" and layout.show_enterprise:
            t.append((x, y, f"{_label(layout, 'enterprise')}: {p.enterprise}", f, False))
            y += 12
        return y

    logo_box = None
    top = 50.0
    if layout.logo:
        logo_box = (40.0, 30.0, 220.0, 50.0)
        top = 90.0
    sx, cx = (40.0, 330.0) if layout.supplier_pos != "right" else (330.0, 40.0)
    ys = yc = top
    if layout.supplier_pos == "footer":
        t.append((300.0, top, title, 16.0, True))
        yc = block(customer, "c", 40.0, top + 30, layout.titles)
        ys = yc
    elif layout.customer_first:
        yc = block(customer, "c", cx, top, layout.titles)
        ys = block(supplier, "s", sx, yc + 20, layout.titles)
        t.append((cx, ys + 5, title, 16.0, True))
        ys += 20
    else:
        ys = block(supplier, "s", sx, top, layout.titles)
        yc = block(customer, "c", cx, top + 40, layout.titles)
        t.append((sx, max(ys, yc) + 12, title, 16.0, True))
        ys = max(ys, yc) + 20
    y = max(ys, yc) + 25

    # meta: number, dates, customer number
    meta: list[tuple[str, str]] = [
        (nd[0], number),
        (nd[1], fmt_date(layout, issue)),
    ]
    if due is not None and not credit:
        meta.append((_label(layout, "due"), fmt_date(layout, due)))
    meta.append((_label(layout, "customer_no"), f"C{rng.randrange(1000, 99999)}"))
    if layout.labels == "beside":
        for lab, val in meta:
            t.append((40.0, y, f"{lab}:", f, False))
            t.append((160.0, y, val, f, False))
            y += 13
    elif layout.labels == "above":
        x = 40.0
        for lab, val in meta:
            t.append((x, y, lab, f - 1, True))
            t.append((x, y + 12, val, f, False))
            x += 130.0
        y += 26
    else:  # grid: label and value on one line each, in one row
        x = 40.0
        for lab, val in meta:
            t.append((x, y, f"{lab}: {val}", f, False))
            x += 140.0 if len(lab) + len(val) < 24 else 170.0
            if x > 450:
                x = 40.0
                y += 13
        y += 13
    if credit:
        y += 4
        msg = _label(layout, "credits", rng.randrange(3)).format(
            n=credited[0], d=fmt_date(layout, credited[1])
        )
        t.append((40.0, y, msg, f, False))
        y += 14
    y += 14

    # table
    cols: list[tuple[str, float, str]] = []  # key, x, align
    spec = layout.table
    xs = {"c": 40.0, "d": 40.0, "q": 300.0, "p": 360.0, "r": 430.0, "a": 520.0}
    if "c" in spec:
        xs["d"] = 90.0
    for k in spec:
        cols.append((k, xs[k], "l" if k in "cd" else "r"))
    head = {
        "c": "Code",
        "d": _label(layout, "desc"),
        "q": _label(layout, "qty"),
        "p": _label(layout, "price"),
        "r": _label(layout, "rate"),
        "a": _label(layout, "amount"),
    }
    for k, x, al in cols:
        t.append((_ax(x, head[k], f, al), y, head[k], f, True))
    y += 16
    for i, (desc, qty, price, rate, net) in enumerate(lines):
        cells = {
            "c": f"A{100 + i * 7}",
            "d": desc,
            "q": str(qty),
            "p": fmt_amount(layout, price),
            "r": f"{rate}%",
            "a": fmt_amount(layout, net),
        }
        for k, x, al in cols:
            t.append((_ax(x, cells[k], f, al), y, cells[k], f, False))
        y += 13
    y += 15

    # totals
    xl, xr = 330.0, 560.0
    if layout.vat_table == "table" or len(breakdown) > 1:  # several rates: always printed
        if layout.vat_table == "table":
            hr = [_label(layout, "rate"), _label(layout, "base"), _label(layout, "vat_total")]
            for x, h in zip((250.0, 380.0, 480.0), hr, strict=True):
                t.append((x, y, h, f, True))
            y += 13
            for r, b, v in breakdown:
                t.append((250.0, y, f"{r}%", f, False))
                t.append(
                    (_ax(440.0, fmt_amount(layout, b), f, "r"), y, fmt_amount(layout, b), f, False)
                )
                t.append(
                    (_ax(540.0, fmt_amount(layout, v), f, "r"), y, fmt_amount(layout, v), f, False)
                )
                y += 13
            y += 8
        else:
            for r, b, v in breakdown:
                base_label = _label(layout, "base").lower()
                lab = f"{_label(layout, 'vat_total')} {r}% {base_label} {fmt_amount(layout, b)}"
                t.append((200.0, y, lab, f, False))
                t.append(
                    (_ax(xr, fmt_amount(layout, v), f, "r"), y, fmt_amount(layout, v), f, False)
                )
                y += 13
            y += 6
    vat_label = _label(layout, "vat_total")
    if len(breakdown) == 1 and layout.vat_table != "table":
        vat_label = f"{vat_label} {breakdown[0][0]}%"
    for lab, amount in (
        (_label(layout, "net"), total_net),
        (vat_label, total_vat),
        (_label(layout, "gross"), gross),
    ):
        s = fmt_amount(
            layout,
            -amount if credit and layout.vocab % 3 == 0 else amount,
            sign=layout.amount_style == "be",
        )
        t.append((xl, y, lab, f, lab != vat_label))
        t.append((_ax(xr, s, f, "r"), y, s, f, True))
        y += 14
    if regime != "normal":
        y += 6
        t.append((40.0, y, _label(layout, regime, rng.randrange(3)), f, False))
        y += 14
    y += 12
    if reference is not None:
        t.append((40.0, y, f"{_label(layout, 'ref')}: {reference}", f, False))
        y += 13
    t.append((40.0, y, f"{_label(layout, 'iban')}: {fmt_iban(supplier.iban)}", f, False))
    y += 13
    t.append((40.0, y, LABELS[lang]["thanks"][layout.vocab % 2], f, False))
    if layout.supplier_pos == "footer":
        fy = 790.0
        name = "" if layout.logo else f"{supplier.name} - "
        t.append(
            (40.0, fy, f"{name}{supplier.street}, {supplier.postal} {supplier.city}", 7.5, False)
        )
        t.append(
            (
                40.0,
                fy + 10,
                f"{_label(layout, 'vat')} {fmt_vat(supplier.vat, rng)} - "
                f"IBAN {fmt_iban(supplier.iban)}",
                7.5,
                False,
            )
        )

    pdf = _render(t, layout.font, logo_box, supplier.name if layout.logo else None)
    expected: dict[str, Any] = {
        "document_type": "credit_note" if credit else "invoice",
        "invoice_number": number,
        "issue_date": issue.isoformat(),
        "due_date": due.isoformat() if due is not None and not credit else None,
        "currency": "EUR",
        "supplier_name": supplier.name,
        "supplier_vat": supplier.vat,
        "customer_name": customer.name,
        "customer_vat": customer.vat,
        "total_excl_vat": str(total_net),
        "total_vat": str(total_vat),
        "total_incl_vat": str(gross),
        "payable_amount": str(gross),
        "iban": supplier.iban,
        "payment_reference": reference,
        "vat_breakdown": [
            {"rate": str(r), "taxable": str(b), "vat": str(v)} for r, b, v in breakdown
        ],
        "line_count": len(lines),
    }
    name = f"gen_{family:04d}_{seed:03d}{'_scan' if scan else ''}"
    data, ext = (pdf, "pdf") if not scan else (_scan(pdf, rng), "png")
    return Generated(name, data, ext, expected, customer.vat, customer.name, layout)


def _ax(x: float, text: str, size: float, align: str) -> float:
    if align == "l":
        return x
    return x - len(text) * size * 0.52


# --------------------------------------------------------------------------- rendering


def _render(
    texts: list[Text],
    font: str,
    logo_box: tuple[float, float, float, float] | None,
    logo: str | None,
) -> bytes:
    pdf = pdfium.PdfDocument.new()
    try:
        bold_name = {
            "Helvetica": "Helvetica-Bold",
            "Times-Roman": "Times-Bold",
            "Courier": "Courier-Bold",
        }
        fonts = {
            False: pdfium_c.FPDFText_LoadStandardFont(pdf.raw, font.encode()),
            True: pdfium_c.FPDFText_LoadStandardFont(pdf.raw, bold_name[font].encode()),
        }
        page = pdf.new_page(W, H)
        for x, y, text, size, bold in texts:
            obj = pdfium_c.FPDFPageObj_CreateTextObj(pdf.raw, fonts[bold], ctypes.c_float(size))
            raw = (text + "\0").encode("utf-16-le")
            buf = ctypes.create_string_buffer(raw, len(raw))
            pdfium_c.FPDFText_SetText(obj, ctypes.cast(buf, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
            pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, x, H - y - size)
            pdfium_c.FPDFPage_InsertObject(page.raw, obj)
        if logo_box is not None and logo is not None:
            _logo(pdf, page, logo_box, logo)
        page.gen_content()
        page.close()
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()
    finally:
        pdf.close()


def _logo(pdf: Any, page: Any, box: tuple[float, float, float, float], name: str) -> None:
    from PIL import Image, ImageDraw, ImageFont

    x, y, w, h = box
    scale = 4
    try:
        fnt: Any = ImageFont.truetype("DejaVuSans-Bold.ttf", int(h * scale * 0.32))
    except OSError:
        fnt = ImageFont.load_default(size=int(h * scale * 0.32))
    w = h + fnt.getlength(name) / scale + 12  # the whole name fits
    img = Image.new("RGB", (int(w * scale), int(h * scale)), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, int(h * scale) - 8, int(h * scale) - 8), fill=(30, 80, 160))
    draw.text((int(h * scale) + 6, int(h * scale * 0.28)), name, fill=(20, 40, 90), font=fnt)
    image = pdfium.PdfImage.new(pdf)
    bitmap = pdfium.PdfBitmap.from_pil(img)
    image.set_bitmap(bitmap, pages=[page])
    image.set_matrix(pdfium.PdfMatrix().scale(w, h).translate(x, H - y - h))
    page.insert_obj(image)


def _scan(pdf: bytes, rng: random.Random) -> bytes:
    """The page as a scanner makes it: 200-300 dpi grey, a slight rotation, blur, noise."""
    import numpy as np
    from PIL import Image, ImageFilter

    dpi = rng.choice((200, 250, 300))
    doc = pdfium.PdfDocument(pdf)
    try:
        img = doc[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        doc.close()
    img = img.rotate(
        rng.uniform(-1.5, 1.5), resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255
    )
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
    clean = np.asarray(img, dtype=np.float64)
    nrng = np.random.default_rng(rng.randrange(2**32))
    noisy = clean + nrng.normal(0, rng.uniform(4, 14), clean.shape)
    arr = np.clip(noisy * rng.uniform(0.9, 1.0) + rng.uniform(0, 15), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(arr).save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()
