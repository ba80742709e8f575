"""One invoice as a text PDF and as a phone photo of the printed page (twin tests, issue 16).

Both are drawn from the same :class:`Sheet`: the PDF with pypdfium2 text objects, the
photo with PIL (the page at 200 dpi, turned a few degrees on a darker table, blurred,
noised and saved as JPEG), so the photo is read by real tesseract.
"""

from __future__ import annotations

import ctypes
import io
import random
from dataclasses import dataclass, replace

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

W, H = 595.0, 842.0


def be_vat(head: int) -> str:
    """A Belgian VAT number with a valid check (``head``: the first eight digits)."""
    return f"BE{head:08d}{97 - head % 97:02d}"


def be_iban(account: int) -> str:
    """A Belgian IBAN with valid checks (``account``: the first ten digits of the BBAN)."""
    bban = f"{account:010d}{account % 97 or 97:02d}"
    check = 98 - int(bban + "111400") % 97
    return f"BE{check:02d}{bban}"


def _grouped(value: str, size: int = 4) -> str:
    return " ".join(value[i : i + size] for i in range(0, len(value), size))


def _money(cents: int) -> str:
    whole, rest = divmod(cents, 100)
    text = f"{whole:,}".replace(",", ".")
    return f"{text},{rest:02d}"


@dataclass(frozen=True)
class Sheet:
    """What is printed on the invoice."""

    supplier: str = "Drukkerij Vermeulen BV"
    vat: str | None = be_vat(4567891)
    iban: str | None = be_iban(1234567890)
    number: str = "F2026-0117"
    day: str = "14/03/2026"
    net_cents: int = 40000
    customer: str = "Bakkerij Janssens"
    customer_vat: str = "BE0712345630"

    @property
    def vat_cents(self) -> int:
        return round(self.net_cents * 21 / 100)

    @property
    def total(self) -> str:
        """The total incl. VAT as ``Decimal`` text."""
        cents = self.net_cents + self.vat_cents
        return f"{cents // 100}.{cents % 100:02d}"

    def but(self, **changes: object) -> Sheet:
        return replace(self, **changes)  # type: ignore[arg-type]

    def texts(self) -> list[tuple[float, float, str, float]]:
        """(x pt, y pt from the top, text, size pt)."""
        out: list[tuple[float, float, str, float]] = [
            (50, 50, self.supplier, 16),
            (50, 74, "Kerkstraat 12, 9000 Gent", 11),
        ]
        y = 90.0
        if self.vat:
            out.append(
                (50, y, f"BTW {self.vat[:2]} {self.vat[2:6]}.{self.vat[6:9]}.{self.vat[9:]}", 11)
            )
            y += 16
        if self.iban:
            out.append((50, y, f"IBAN {_grouped(self.iban)}", 11))
        out += [
            (330, 150, "Aan:", 11),
            (330, 166, self.customer, 11),
            (330, 182, f"BTW {self.customer_vat}", 11),
            (50, 230, "FACTUUR", 20),
            (50, 270, f"Factuurnummer: {self.number}", 12),
            (50, 290, f"Factuurdatum: {self.day}", 12),
            (50, 350, "Omschrijving", 12),
            (340, 350, "Btw", 12),
            (430, 350, "Bedrag", 12),
            (50, 374, "Drukwerk folders A5", 12),
            (340, 374, "21%", 12),
            (430, 374, f"EUR {_money(self.net_cents)}", 12),
            (280, 450, "Totaal excl. btw", 12),
            (430, 450, f"EUR {_money(self.net_cents)}", 12),
            (280, 470, "Btw 21%", 12),
            (430, 470, f"EUR {_money(self.vat_cents)}", 12),
            (280, 490, "Totaal incl. btw", 12),
            (430, 490, f"EUR {_money(self.net_cents + self.vat_cents)}", 12),
        ]
        return out


def text_pdf(sheet: Sheet) -> bytes:
    """The invoice as a one-page PDF with a text layer (Helvetica)."""
    pdf = pdfium.PdfDocument.new()
    try:
        font = pdfium_c.FPDFText_LoadStandardFont(pdf.raw, b"Helvetica")
        page = pdf.new_page(W, H)
        for x, y, text, size in sheet.texts():
            obj = pdfium_c.FPDFPageObj_CreateTextObj(pdf.raw, font, ctypes.c_float(size))
            raw = (text + "\0").encode("utf-16-le")
            buf = ctypes.create_string_buffer(raw, len(raw))
            pdfium_c.FPDFText_SetText(obj, ctypes.cast(buf, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
            pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, x, H - y - size)
            pdfium_c.FPDFPage_InsertObject(page.raw, obj)
        pdfium_c.FPDFPage_GenerateContent(page.raw)
        page.close()
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()
    finally:
        pdf.close()


def photo(sheet: Sheet, *, seed: int = 1, angle: float = 2.5) -> bytes:
    """The printed invoice photographed: turned ``angle`` degrees, blurred, noised, JPEG."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    rng = random.Random(seed)
    dpi = 200
    scale = dpi / 72
    page = Image.new("L", (round(W * scale), round(H * scale)), 250)
    draw = ImageDraw.Draw(page)
    for x, y, text, size in sheet.texts():
        font = ImageFont.truetype("DejaVuSans.ttf", round(size * scale))
        draw.text((x * scale, y * scale), text, fill=25, font=font)
    table = Image.new("L", (page.width + 240, page.height + 240), 95)
    table.paste(page, (120, 120))
    turned = table.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=95)
    turned = turned.filter(ImageFilter.GaussianBlur(0.7))
    values = np.asarray(turned, dtype=np.float64)
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, 6, values.shape)
    shaded = values * np.linspace(1.0, 0.9, values.shape[1])[None, :]  # light from one side
    out = io.BytesIO()
    Image.fromarray(np.clip(shaded + noise, 0, 255).astype(np.uint8)).convert("RGB").save(
        out, format="JPEG", quality=88
    )
    return out.getvalue()
