"""Pairs of invoices from one supplier, for the learning bench (issue 15).

``make_pair(seed)`` -> :class:`Pair`: invoice A and invoice B of one supplier,
printed with the same *style* (language, layout, label vocabulary including
the supplier's own odd labels, number/date/amount formats, VAT summary style,
document type habit, 0 % regime) but with different data (number, dates,
lines, amounts).  Every pair of one run bills the same dossier (customer), as
in a real accounting dossier where one firm receives invoices of many
suppliers.  ``render(invoice)`` gives a text PDF, ``scan(pdf, rng)`` a page
image as a scanner makes it (rotation, blur, noise).

Written for this bench only; independent of the extraction rules' tuning set.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import io
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

W, H = 595.0, 842.0
CENT = Decimal("0.01")

DOSSIER_NAME = "Brouwerij De Kroon BV"
DOSSIER_VAT = "BE0841512711"

_WORDS: dict[str, dict[str, Any]] = {
    "nl": {
        "title": ["FACTUUR", "Factuur", "VERKOOPFACTUUR"],
        "credit": ["CREDITNOTA", "Creditnota", "CREDITFACTUUR"],
        "number": ["Factuurnummer", "Factuur nr.", "Nummer", "Stuknummer", "Volgnr.", "Doc."],
        "date": ["Factuurdatum", "Datum", "Uitgiftedatum", "Opgemaakt op"],
        "due": ["Vervaldatum", "Te betalen voor", "Betaalbaar tegen"],
        "vat": ["BTW", "BTW-nr.", "Ondernemingsnr."],
        "client": ["Klantnummer", "Uw referentie", "Klant"],
        "desc": ["Omschrijving", "Artikel"],
        "qty": ["Aantal", "Hoev."],
        "price": ["Prijs", "Eenheidsprijs"],
        "amount": ["Bedrag", "Totaal"],
        "net": ["Totaal excl. BTW", "Subtotaal", "Netto", "Maatstaf van heffing", "Som"],
        "vatt": ["BTW", "Totaal BTW", "Btw-bedrag", "Belasting"],
        "gross": ["Totaal incl. BTW", "Te betalen", "Totaal", "Eindtotaal", "Saldo"],
        "vatrow": ["BTW {r}% op {b}", "Btw {r}% over {b}", "{r}% van {b}"],
        "iban": ["IBAN", "Rekening"],
        "reverse": "BTW verlegd - art. 51 §2 WBTW",
        "months": "januari februari maart april mei juni juli augustus september oktober "
        "november december",
    },
    "fr": {
        "title": ["FACTURE", "Facture"],
        "credit": ["NOTE DE CRÉDIT", "Note de crédit", "AVOIR"],
        "number": ["Numéro de facture", "Facture n°", "N°", "Pièce", "Réf. doc."],
        "date": ["Date de facture", "Date", "Émise le", "Date d'émission"],
        "due": ["Échéance", "Date d'échéance", "À payer avant"],
        "vat": ["TVA", "N° TVA", "N° d'entreprise"],
        "client": ["N° client", "Votre référence"],
        "desc": ["Description", "Désignation"],
        "qty": ["Quantité", "Qté"],
        "price": ["Prix unitaire", "P.U."],
        "amount": ["Montant", "Total"],
        "net": ["Total HTVA", "Sous-total", "Base imposable", "Montant HT", "Hors TVA"],
        "vatt": ["TVA", "Total TVA", "Montant TVA"],
        "gross": ["Total TVAC", "Total à payer", "Net à payer", "Montant dû", "Solde"],
        "vatrow": ["TVA {r}% sur {b}", "{r}% de {b}"],
        "iban": ["IBAN", "Compte"],
        "reverse": "Autoliquidation - art. 51 §2 CTVA",
        "months": "janvier février mars avril mai juin juillet août septembre octobre "
        "novembre décembre",
    },
    "de": {
        "title": ["RECHNUNG", "Rechnung"],
        "credit": ["GUTSCHRIFT", "Gutschrift"],
        "number": ["Rechnungsnummer", "Rechnung Nr.", "Beleg", "Belegnummer"],
        "date": ["Rechnungsdatum", "Datum", "Ausgestellt am"],
        "due": ["Fällig am", "Zahlbar bis"],
        "vat": ["MwSt-Nr.", "USt-IdNr."],
        "client": ["Kundennummer", "Kunde"],
        "desc": ["Beschreibung", "Artikel"],
        "qty": ["Menge", "Anz."],
        "price": ["Einzelpreis", "Preis"],
        "amount": ["Betrag", "Summe"],
        "net": ["Nettobetrag", "Summe netto", "Zwischensumme", "Netto"],
        "vatt": ["MwSt", "MwSt.-Betrag", "Steuer"],
        "gross": ["Gesamtbetrag", "Zu zahlen", "Endbetrag", "Brutto"],
        "vatrow": ["MwSt {r}% auf {b}", "{r}% von {b}"],
        "iban": ["IBAN", "Konto"],
        "reverse": "Steuerschuldnerschaft des Leistungsempfängers",
        "months": "Januar Februar März April Mai Juni Juli August September Oktober "
        "November Dezember",
    },
    "en": {
        "title": ["INVOICE", "Invoice", "TAX INVOICE"],
        "credit": ["CREDIT NOTE", "Credit note"],
        "number": ["Invoice number", "Invoice no.", "No.", "Document", "Ref"],
        "date": ["Invoice date", "Date", "Issued", "Dated"],
        "due": ["Due date", "Payment due", "Pay by"],
        "vat": ["VAT", "VAT no.", "Company no."],
        "client": ["Customer no.", "Your ref."],
        "desc": ["Description", "Item"],
        "qty": ["Qty", "Quantity"],
        "price": ["Unit price", "Price"],
        "amount": ["Amount", "Total"],
        "net": ["Subtotal", "Total excl. VAT", "Net amount", "Net", "Goods"],
        "vatt": ["VAT", "Total VAT", "Tax"],
        "gross": ["Total", "Amount due", "Total incl. VAT", "Balance", "Grand total"],
        "vatrow": ["VAT {r}% on {b}", "{r}% of {b}"],
        "iban": ["IBAN", "Account"],
        "reverse": "Reverse charge - art. 196 Directive 2006/112/EC",
        "months": "January February March April May June July August September October "
        "November December",
    },
}
_ITEMS = [
    "Kantoorpapier A4",
    "Onderhoud verwarming",
    "Consultancy",
    "Licentie software",
    "Transport",
    "Toner HP 305A",
    "Herstelling dak",
    "Schoonmaak",
    "Hosting",
    "Drukwerk folders",
    "Koffiebonen 1 kg",
    "Montage",
]
_NAMES = ["Vandenberghe", "Lemaire", "Peeters", "Dubois", "Schmitt", "Claes", "Hermans", "Wouters"]
_TRADES = ["Drukkerij", "Bouw", "Techniek", "Services", "Logistics", "Office", "Consult", "Garage"]
_FORMS = ["BV", "NV", "SRL", "SA", "GmbH", "BVBA", "CommV"]
_STREETS = ["Kerkstraat", "Rue de la Gare", "Hauptstraße", "Industrieweg", "Avenue Louise"]
_CITIES = ["2000 Antwerpen", "1000 Bruxelles", "4700 Eupen", "9000 Gent", "3500 Hasselt"]


def be_vat(rng: random.Random) -> str:
    head = rng.randrange(2000000, 9999999) + rng.choice((0, 10000000))
    return f"BE{head:08d}{97 - head % 97:02d}"


def be_iban(rng: random.Random) -> str:
    bank = int(
        rng.choice(("001", "068", "310", "363", "735", "091")) + f"{rng.randrange(10**7):07d}"
    )
    bban = f"{bank:010d}{bank % 97 or 97:02d}"
    check = 98 - int(bban + "111400") % 97
    return f"BE{check:02d}{bban}"


@dataclass(frozen=True)
class Style:
    """A supplier's habits: the same on all its invoices."""

    lang: str
    name: str
    street: str
    city: str
    vat: str
    iban: str
    iban_grouped: bool
    vat_dotted: bool
    supplier_right: bool
    meta: str  # "same" (Label: value), "column" (label | value), "below" (header row)
    labels: dict[str, str]
    number_fmt: str
    date_fmt: str
    amount_fmt: str
    euro: str  # "", "€ ", " EUR"
    vat_summary: str  # "rows" (one phrase per rate), "table", "none"
    credit: bool
    reverse: bool
    rates: tuple[int, ...]
    show_currency: bool
    font: str


@dataclass(frozen=True)
class Invoice:
    style: Style
    number: str
    issue: dt.date
    due: dt.date
    client_no: str
    lines: tuple[tuple[str, Decimal, Decimal, int], ...]  # desc, qty, price, rate

    def breakdown(self) -> list[tuple[int, Decimal, Decimal]]:
        rows: dict[int, Decimal] = {}
        for _d, q, p, r in self.lines:
            rows[r] = rows.get(r, Decimal(0)) + (q * p).quantize(CENT, ROUND_HALF_UP)
        return [
            (r, b, (b * r / 100).quantize(CENT, ROUND_HALF_UP)) for r, b in sorted(rows.items())
        ]

    def truth(self) -> dict[str, Any]:
        rows = self.breakdown()
        net = sum((b for _r, b, _v in rows), Decimal(0))
        vat = sum((v for _r, _b, v in rows), Decimal(0))
        return {
            "document_type": "credit_note" if self.style.credit else "invoice",
            "invoice_number": self.number,
            "issue_date": self.issue,
            "supplier_vat": self.style.vat,
            "total_excl_vat": net,
            "total_vat": vat,
            "total_incl_vat": net + vat,
            "vat_breakdown": [(Decimal(r), b, v) for r, b, v in rows],
            "currency": "EUR",
            "iban": self.style.iban,
        }


@dataclass(frozen=True)
class Pair:
    seed: int
    a: Invoice
    b: Invoice


def _style(rng: random.Random) -> Style:
    lang = rng.choice(("nl", "nl", "fr", "fr", "de", "en"))
    words = _WORDS[lang]
    labels = {k: rng.choice(v) for k, v in words.items() if isinstance(v, list)}
    reverse = rng.random() < 0.12
    rates = (0,) if reverse else rng.choice(((21,), (21,), (6,), (21, 6), (12,), (21, 12)))
    return Style(
        lang=lang,
        name=f"{rng.choice(_TRADES)} {rng.choice(_NAMES)} {rng.choice(_FORMS)}",
        street=f"{rng.choice(_STREETS)} {rng.randrange(1, 200)}",
        city=rng.choice(_CITIES),
        vat=be_vat(rng),
        iban=be_iban(rng),
        iban_grouped=rng.random() < 0.7,
        vat_dotted=rng.random() < 0.6,
        supplier_right=rng.random() < 0.3,
        meta=rng.choice(("same", "column", "column", "below")),
        labels=labels,
        number_fmt=rng.choice(("F{y}-{n:04d}", "{y}/{n}", "VF-{yy}-{n:05d}", "{n}", "{y}{n:05d}")),
        date_fmt=rng.choice(("dmy/", "dmy-", "dmy.", "long")),
        amount_fmt=rng.choice(("eu", "eu", "eu_space", "eu_plain", "en"))
        if lang == "en"
        else rng.choice(("eu", "eu", "eu_space", "eu_plain")),
        euro=rng.choice(("", "€ ", " EUR")),
        vat_summary=rng.choice(("rows", "table", "table", "none")),
        credit=rng.random() < 0.15,
        reverse=reverse,
        rates=rates,
        show_currency=rng.random() < 0.5,
        font=rng.choice(("Helvetica", "Times-Roman", "Courier")),
    )


def _invoice(style: Style, rng: random.Random, serial: int, day: dt.date) -> Invoice:
    n_lines = rng.randrange(1, 5)
    lines = tuple(
        (
            rng.choice(_ITEMS),
            Decimal(rng.choice((1, 1, 2, 3, 5, 10, 12))),
            Decimal(rng.randrange(500, 250000)) / 100,
            rng.choice(style.rates),
        )
        for _ in range(n_lines)
    )
    number = style.number_fmt.format(y=day.year, yy=day.year % 100, n=serial)
    return Invoice(
        style=style,
        number=number,
        issue=day,
        due=day + dt.timedelta(days=rng.choice((14, 30, 30, 60))),
        client_no=f"K{rng.randrange(1000, 99999)}",
        lines=lines,
    )


def make_pair(seed: int) -> Pair:
    rng = random.Random(seed * 7919 + 17)
    style = _style(rng)
    serial = rng.randrange(5, 900)
    day_a = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 300))
    a = _invoice(style, rng, serial, day_a)
    day_b = day_a + dt.timedelta(days=rng.randrange(10, 60))
    b = _invoice(style, rng, serial + rng.randrange(1, 40), day_b)
    return Pair(seed, a, b)


# --------------------------------------------------------------------------- formats


def fmt_amount(style: Style, v: Decimal) -> str:
    q = f"{abs(v):,.2f}"  # 1,234.56
    if style.amount_fmt == "eu":
        q = q.replace(",", "X").replace(".", ",").replace("X", ".")
    elif style.amount_fmt == "eu_space":
        q = q.replace(",", " ").replace(".", ",")
    elif style.amount_fmt == "eu_plain":
        q = q.replace(",", "").replace(".", ",")
    sign = "-" if v < 0 else ""
    if style.euro == "€ ":
        return f"{sign}€ {q}"
    return f"{sign}{q}{style.euro}"


def fmt_date(style: Style, d: dt.date) -> str:
    if style.date_fmt == "long":
        month = _WORDS[style.lang]["months"].split()[d.month - 1]
        return f"{d.day} {month} {d.year}"
    sep = style.date_fmt[-1]
    return f"{d.day:02d}{sep}{d.month:02d}{sep}{d.year}"


def fmt_vat(style: Style) -> str:
    v = style.vat
    return f"BE {v[2:6]}.{v[6:9]}.{v[9:]}" if style.vat_dotted else v


def fmt_iban(style: Style) -> str:
    v = style.iban
    return " ".join(v[i : i + 4] for i in range(0, len(v), 4)) if style.iban_grouped else v


# --------------------------------------------------------------------------- rendering

Text = tuple[float, float, str, float, bool]


def layout(inv: Invoice) -> list[Text]:
    st, lb = inv.style, inv.style.labels
    out: list[Text] = []

    def put(x: float, y: float, text: str, size: float = 9.0, bold: bool = False) -> None:
        out.append((x, y, text, size, bold))

    sx, cx = (330.0, 50.0) if st.supplier_right else (50.0, 330.0)
    put(sx, 50, st.name, 12, True)
    put(sx, 66, st.street)
    put(sx, 78, st.city)
    put(sx, 90, f"{lb['vat']} {fmt_vat(st)}")
    put(cx, 130, DOSSIER_NAME, 10, True)
    put(cx, 142, "Brouwerijstraat 5")
    put(cx, 154, "8500 Kortrijk")
    put(cx, 166, f"{lb['vat']} BE 0841.512.711")
    title = lb["credit"] if st.credit else lb["title"]
    put(50, 200, title, 16, True)
    meta = [
        (lb["number"], inv.number),
        (lb["date"], fmt_date(st, inv.issue)),
        (lb["due"], fmt_date(st, inv.due)),
        (lb["client"], inv.client_no),
    ]
    y = 230.0
    if st.meta == "same":
        for label, value in meta:
            put(50, y, f"{label}: {value}")
            y += 13
    elif st.meta == "column":
        for label, value in meta:
            put(50, y, label)
            put(160, y, value)
            y += 13
    else:
        for i, (label, value) in enumerate(meta):
            put(50 + i * 125, y, label, 8, True)
            put(50 + i * 125, y + 12, value)
        y += 26
    y += 20
    cols = (50, 290, 350, 440, 515)
    for x, key in zip(cols, ("desc", "qty", "price", "", "amount"), strict=True):
        if key:
            put(x, y, lb[key], 9, True)
    put(cols[3], y, "%", 9, True)
    y += 15
    for desc, qty, price, rate in inv.lines:
        put(cols[0], y, desc)
        put(cols[1], y, str(qty))
        put(cols[2], y, fmt_amount(st, price))
        put(cols[3], y, f"{rate}%")
        put(cols[4], y, fmt_amount(st, (qty * price).quantize(CENT, ROUND_HALF_UP)))
        y += 13
    y += 20
    t = inv.truth()
    rows = inv.breakdown()
    if st.vat_summary == "rows" and not st.reverse:
        for r, b, v in rows:
            text = lb["vatrow"].format(r=r, b=fmt_amount(st, b))
            put(300, y, text)
            put(470, y, fmt_amount(st, v))
            y += 13
        y += 6
    elif st.vat_summary == "table" and not st.reverse:
        for x, head in ((300, "%"), (360, lb["net"]), (470, lb["vatt"])):
            put(x, y, head, 8, True)
        y += 12
        for r, b, v in rows:
            put(300, y, f"{r}%")
            put(360, y, fmt_amount(st, b))
            put(470, y, fmt_amount(st, v))
            y += 12
        y += 8
    put(300, y, lb["net"])
    put(470, y, fmt_amount(st, t["total_excl_vat"]))
    y += 13
    put(
        300,
        y,
        lb["vatt"] + ("" if st.vat_summary != "none" or len(rows) > 1 else f" {rows[0][0]}%"),
    )
    put(470, y, fmt_amount(st, t["total_vat"]))
    y += 13
    put(300, y, lb["gross"] + (" EUR" if st.show_currency else ""), 10, True)
    put(470, y, fmt_amount(st, t["total_incl_vat"]), 10, True)
    y += 30
    if st.reverse:
        put(50, y, _WORDS[st.lang]["reverse"])
        y += 13
    put(50, y, f"{lb['iban']}: {fmt_iban(st)}")
    put(50, 800, f"{st.name} - {st.street} - {st.city} - {fmt_vat(st)}", 7)
    return out


def render(inv: Invoice) -> bytes:
    pdf = pdfium.PdfDocument.new()
    try:
        st = inv.style
        bold_name = {
            "Helvetica": "Helvetica-Bold",
            "Times-Roman": "Times-Bold",
            "Courier": "Courier-Bold",
        }
        fonts = {
            False: pdfium_c.FPDFText_LoadStandardFont(pdf.raw, st.font.encode()),
            True: pdfium_c.FPDFText_LoadStandardFont(pdf.raw, bold_name[st.font].encode()),
        }
        page = pdf.new_page(W, H)
        for x, y, text, size, bold in layout(inv):
            obj = pdfium_c.FPDFPageObj_CreateTextObj(pdf.raw, fonts[bold], ctypes.c_float(size))
            raw = (text + "\0").encode("utf-16-le")
            buf = ctypes.create_string_buffer(raw, len(raw))
            pdfium_c.FPDFText_SetText(obj, ctypes.cast(buf, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
            pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, x, H - y - size)
            pdfium_c.FPDFPage_InsertObject(page.raw, obj)
        page.gen_content()
        page.close()
        buf_out = io.BytesIO()
        pdf.save(buf_out)
        return buf_out.getvalue()
    finally:
        pdf.close()


def scan(pdf: bytes, rng: random.Random) -> bytes:
    """The page as a scanner makes it: 200-300 dpi grey, slight rotation, blur, noise."""
    import numpy as np
    from PIL import Image, ImageFilter

    dpi = rng.choice((200, 250, 300))
    doc = pdfium.PdfDocument(pdf)
    try:
        img = doc[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        doc.close()
    img = img.rotate(
        rng.uniform(-1.2, 1.2), resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255
    )
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9)))
    arr = np.asarray(img, dtype=np.float32)
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, rng.uniform(4, 12), arr.shape)
    arr = np.clip(arr + noise, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(arr).save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


__all__ = ["DOSSIER_NAME", "DOSSIER_VAT", "Invoice", "Pair", "Style", "make_pair", "render", "scan"]
