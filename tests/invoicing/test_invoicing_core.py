"""Model identifiers, VAT cases and mentions, totals, numbering, EPC payload, escaping."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractors.model import Severity
from invoicing.epc import epc_payload
from invoicing.errors import InvalidIdentifier, InvoicingError, VatCaseError
from invoicing.issue import issue
from invoicing.model import (
    Adjustment,
    Customer,
    DocumentKind,
    InvoiceDraft,
    Item,
    ItemKind,
    Language,
    Seller,
    VatCase,
    derive_peppol_id,
    validate_peppol_id,
)
from invoicing.numbering import due_date, format_number, ogm_for, ogm_is_valid, parse_ogm
from invoicing.pdf import invoice_html, render_html_pdf
from invoicing.ubl import write_invoice_ubl
from invoicing.vat import compute_totals, mentions
from peppol import validate
from tests.invoicing.invoicing_factories import (
    BE_COMPANY,
    FR_COMPANY,
    ISSUE,
    SELLER,
    US_COMPANY,
    draft,
    line,
)


def test_customer_ids_are_checked_and_peppol_id_derived() -> None:
    assert BE_COMPANY.enterprise_number == "0202239951"
    assert BE_COMPANY.peppol_id == "0208:0202239951"
    assert FR_COMPANY.peppol_id == "9957:FR40303265045"
    assert derive_peppol_id("BE", "BE0202239951", None) == "9925:BE0202239951"
    with pytest.raises(InvalidIdentifier, match="invalid VAT number"):
        Customer(name="X", country="BE", vat="BE0202239952")
    with pytest.raises(InvalidIdentifier, match="does not belong to country NL"):
        Customer(name="X", country="NL", vat="BE0202239951")
    with pytest.raises(InvalidIdentifier, match="invalid enterprise number"):
        Customer(name="X", country="BE", enterprise_number="0202.239.952")
    with pytest.raises(InvalidIdentifier, match="unknown scheme"):
        Customer(name="X", country="BE", peppol_id="1234:0202239951")
    with pytest.raises(InvalidIdentifier, match="invalid enterprise number"):
        validate_peppol_id("0208:0202239952")
    with pytest.raises(InvalidIdentifier, match="scheme 9925 is for BE"):
        validate_peppol_id("9925:FR40303265045")
    with pytest.raises(InvalidIdentifier, match="scheme:identifier"):
        validate_peppol_id("0208")
    assert validate_peppol_id(" 0208 : 0202.239.951 ") == "0208:0202239951"
    greek = Customer(name="Pelatis AE", country="GR", vat="EL094259216")
    assert (greek.vat, greek.peppol_id) == ("EL094259216", "9933:EL094259216")
    with pytest.raises(InvalidIdentifier, match="IBAN or BIC"):
        Seller("S", "", "", "Gent", "BE0403170701", "0403170701", "BE00 0000", "GKCCBEBB")


def test_item_default_accounts() -> None:
    assert Item("Boek", D("10"), kind=ItemKind.GOODS).account == "700000"
    assert Item("Advies", D("10")).account == "705000"
    assert Item("Huur", D("10"), revenue_account="706000").account == "706000"


def test_line_without_rate_and_bad_rates_are_refused() -> None:
    with pytest.raises(VatCaseError, match=r"line 2 \('Werk'\) has no VAT rate"):
        compute_totals(draft(line("1.00"), line("1.00", None)), SELLER)
    with pytest.raises(VatCaseError, match="not a Belgian rate"):
        compute_totals(draft(line("1.00", "19")), SELLER)
    # In a case without Belgian VAT the case decides: the item's rate is not used.
    t = compute_totals(draft(line("1.00", None), customer=FR_COMPANY,
                             vat_case=VatCase.INTRA_EU_GOODS), SELLER)  # fmt: skip
    assert t.vat == 0


def test_reverse_charge_and_export_need_the_right_customer() -> None:
    no_vat = Customer(name="Client", country="FR", peppol_id="0088:5412345000013")
    with pytest.raises(VatCaseError, match="needs the customer's VAT number"):
        compute_totals(draft(line("1.00"), customer=no_vat, vat_case=VatCase.INTRA_EU_SERVICES),
                       SELLER)  # fmt: skip
    with pytest.raises(VatCaseError, match="another EU member state"):
        compute_totals(draft(line("1.00"), vat_case=VatCase.INTRA_EU_GOODS), SELLER)
    with pytest.raises(VatCaseError, match="Belgian customer VAT"):
        compute_totals(draft(line("1.00"), customer=FR_COMPANY,
                             vat_case=VatCase.COCONTRACTOR), SELLER)  # fmt: skip
    with pytest.raises(VatCaseError, match="outside the EU"):
        compute_totals(draft(line("1.00"), customer=FR_COMPANY, vat_case=VatCase.EXPORT), SELLER)
    compute_totals(draft(line("1.00"), customer=US_COMPANY, vat_case=VatCase.EXPORT), SELLER)


def test_vat_is_rounded_once_per_rate_not_per_line() -> None:
    # 10 lines of 0.05 at 21 %: per line 0.0105 -> 0.01 each = 0.10; on the total 0.105 -> 0.11.
    t = compute_totals(draft(*[line("0.05")] * 10, line("3.33", "6"), line("3.33", "6")), SELLER)
    assert [(r.rate, r.taxable, r.vat) for r in t.rows] == [
        (D("21"), D("0.50"), D("0.11")),
        (D("6"), D("6.66"), D("0.40")),
    ]
    assert (t.tax_exclusive, t.vat, t.payable) == (D("7.16"), D("0.51"), D("7.67"))


def test_document_discount_split_over_rates_to_the_cent() -> None:
    discount = Adjustment(False, "Korting", amount=D("10.00"))
    shipping = Adjustment(True, "Verzending", amount=D("5.00"), vat_rate=D("21"))
    d = draft(line("100.00", "21"), line("50.00", "6"), adjustments=(discount, shipping))
    t = compute_totals(d, SELLER)
    assert (t.allowances, t.charges) == (D("10.00"), D("5.00"))
    assert [(r.rate, r.taxable) for r in t.rows] == [(D("21"), D("98.33")), (D("6"), D("46.67"))]
    assert t.tax_exclusive == D("145.00")
    with pytest.raises(VatCaseError, match="no line has that rate"):
        compute_totals(draft(line("1.00", "21"), line("1.00", "6"),
                             adjustments=(Adjustment(True, "X", amount=D("1"), vat_rate=D("12")),)),
                       SELLER)  # fmt: skip
    with pytest.raises(InvoicingError, match="exceed"):
        compute_totals(draft(line("1.00"), adjustments=(Adjustment(False, "X", amount=D("2")),)),
                       SELLER)  # fmt: skip


@pytest.mark.parametrize(
    ("case", "customer", "words"),
    [
        (VatCase.INTRA_EU_SERVICES, FR_COMPANY, {Language.FR: "Autoliquidation", Language.NL:
         "Verlegging van heffing", Language.DE: "Steuerschuldnerschaft", Language.EN:
         "Reverse charge"}),
        (VatCase.COCONTRACTOR, BE_COMPANY, {Language.NL: "art. 20 KB nr. 1", Language.FR:
         "art. 20 AR n° 1", Language.DE: "Art. 20 KE Nr. 1", Language.EN: "co-contractor"}),
        (VatCase.SMALL_ENTERPRISE, BE_COMPANY, dict.fromkeys(Language, "56bis")),
        (VatCase.EXEMPT, BE_COMPANY, dict.fromkeys(Language, "44")),
        (VatCase.INTRA_EU_GOODS, FR_COMPANY, dict.fromkeys(Language, "39bis")),
        (VatCase.EXPORT, US_COMPANY, dict.fromkeys(Language, "146")),
    ],
)  # fmt: skip
def test_mandatory_mentions_in_four_languages(case, customer, words) -> None:  # type: ignore[no-untyped-def]
    for lang, word in words.items():
        cust = Customer(name=customer.name, country=customer.country, vat=customer.vat,
                        language=lang, peppol_id=customer.peppol_id)  # fmt: skip
        d = draft(line("10.00"), customer=cust, vat_case=case)
        (mention,) = mentions(d)
        assert word in mention
        inv = issue(d, SELLER, dossier_id=1, sequence=1, issue_date=ISSUE)
        assert mention in invoice_html(inv).replace("&#x27;", "'")
    assert mentions(draft(line("1.00"))) == ()
    assert "art. 44" in mentions(draft(line("1.00"), line("1.00", exempt=True)))[0]


def test_numbering_and_ogm() -> None:
    assert format_number("F", 2026, 7) == "F2026-0007"
    assert format_number("", 2026, 12345) == "2026-12345"
    with pytest.raises(InvoicingError):
        format_number("F/../", 2026, 1)
    with pytest.raises(InvoicingError):
        format_number("F", 2026, 0)
    # base 0000000097 % 97 == 0 -> check digits 97, not 00
    assert ogm_for(0, 2000, 97) == "+++000/0000/09797+++"
    assert ogm_for(1, 2000, 97) == "+++001/0000/09776+++"
    assert parse_ogm("***001/0000/09797***") == "001000009797"
    assert parse_ogm("001000009797") == "001000009797"
    assert parse_ogm("free text") is None
    assert due_date(dt.date(2026, 1, 31), 30) == dt.date(2026, 3, 2)


@given(st.integers(0, 999), st.integers(2000, 2099), st.integers(1, 99_999))
def test_every_ogm_is_valid_and_distinct_per_sequence(dossier: int, year: int, seq: int) -> None:
    ogm = ogm_for(dossier, year, seq)
    assert ogm_is_valid(ogm)
    digits = parse_ogm(ogm)
    assert digits is not None
    assert int(digits[5:10]) == seq
    if seq > 1:
        assert ogm_for(dossier, year, seq - 1) != ogm


def test_epc_payload() -> None:
    payload = epc_payload(SELLER, D("121.00"), "+++007/2600/01271+++")
    assert payload.split("\n") == [
        "BCD", "002", "1", "SCT", "GKCCBEBB", "Bakkerij De Smet BV", "BE71096123456769",
        "EUR121.00", "", "007260001271",
    ]  # fmt: skip
    with pytest.raises(InvoicingError):
        epc_payload(SELLER, D("0"), "+++007/2600/01271+++")


def test_hostile_text_is_escaped_and_nothing_is_fetched() -> None:
    evil = Customer(name='<img src="http://evil.example/x.png">Evil', country="BE",
                    vat="BE0202239951")  # fmt: skip
    d = InvoiceDraft(customer=evil, lines=(line("1.00"),), note="<script>alert(1)</script>")
    inv = issue(d, SELLER, dossier_id=1, sequence=1, issue_date=ISSUE)
    html = invoice_html(inv)
    assert '<img src="http' not in html
    assert "&lt;script&gt;" in html
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        page = (f'<link rel="stylesheet" href="{url}/s.css"><img src="{url}/x.png">'
                '<img src="file:///etc/passwd">')  # fmt: skip
        assert render_html_pdf(page).startswith(b"%PDF")
        # The same page through a fetching renderer does reach the server: the check can fail.
        import weasyprint

        weasyprint.HTML(string=page).write_pdf()
    finally:
        server.shutdown()
        server.server_close()
    assert hits == ["/s.css", "/x.png"]


def test_credit_note_needs_the_credited_invoice() -> None:
    with pytest.raises(InvoicingError, match="BT-25"):
        InvoiceDraft(customer=BE_COMPANY, lines=(line("1.00"),), kind=DocumentKind.CREDIT_NOTE)


def test_validation_is_not_vacuous() -> None:
    """A UBL the writer would produce without the buyer's Peppol id fails: the
    zero-fatal assertion of the property test can fail."""
    nobody = Customer(name="Anon", country="BE", is_consumer=True)
    inv = issue(draft(line("1.00"), customer=nobody, vat_case=VatCase.PRIVATE), SELLER,
                dossier_id=1, sequence=1, issue_date=ISSUE)  # fmt: skip
    fatal = [f for f in validate(write_invoice_ubl(inv)) if f.severity is Severity.FATAL]
    assert fatal


def test_logo_is_drawn_and_a_broken_or_foreign_logo_is_not() -> None:
    import dataclasses
    import io

    from PIL import Image

    from invoicing.pdf import render_pdf

    buf = io.BytesIO()
    Image.new("RGB", (200, 80), (200, 30, 30)).save(buf, "PNG")

    def images(seller: Seller) -> int:
        inv = issue(draft(line("1.00")), seller, dossier_id=1, sequence=1, issue_date=ISSUE)
        return render_pdf(inv).count(b"/Subtype /Image")

    # one image is the payment QR code
    assert images(dataclasses.replace(SELLER, logo=buf.getvalue())) == 2
    assert images(SELLER) == 1
    assert images(dataclasses.replace(SELLER, logo=b"not a png")) == 1
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><image href="http://x/y.png"/></svg>'
    assert images(dataclasses.replace(SELLER, logo=svg, logo_mime="image/svg+xml")) == 1


def test_the_pdf_qr_code_carries_the_epc_payload_unsmoothed() -> None:
    """The QR image drawn in the PDF, read back module by module, is the EPC QR of the
    invoice's amount and OGM; it is drawn without interpolation (sharp when scanned)."""
    import io

    import pdfplumber
    import segno

    from invoicing.pdf import render_pdf

    inv = issue(draft(line("100.00")), SELLER, dossier_id=3, sequence=7, issue_date=ISSUE)
    data = render_pdf(inv)
    assert b"/Interpolate false" in data
    expected = segno.make(
        epc_payload(SELLER, inv.totals.payable, inv.structured_communication),
        error="m", boost_error=False, micro=False,
    ).matrix  # fmt: skip
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        (image,) = pdf.pages[0].images
        width, height = int(image["srcsize"][0]), int(image["srcsize"][1])
        pixels = image["stream"].get_data()
    size = len(expected)
    scale = width // (size + 4)
    assert width == height == (size + 4) * scale
    row_bytes = len(pixels) // height
    per_pixel = row_bytes // width if row_bytes >= width else 0

    def dark(x: int, y: int) -> bool:
        if per_pixel:  # 8-bit grey or RGB
            return pixels[y * row_bytes + x * per_pixel] < 128
        bit = pixels[y * row_bytes + x // 8] >> (7 - x % 8) & 1  # 1-bit, 0 is black
        return bit == 0

    read = [
        [dark((c + 2) * scale + scale // 2, (r + 2) * scale + scale // 2) for c in range(size)]
        for r in range(size)
    ]
    assert read == [[bool(v) for v in row] for row in expected]
