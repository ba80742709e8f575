"""The PDF of an invoice: an HTML template in the customer's language, rendered by WeasyPrint.

Everything printed is escaped; the renderer fetches nothing (only ``data:`` URIs, the
logo and the QR code, are allowed), so a hostile name or logo cannot reach the network
or the file system.
"""

from __future__ import annotations

import base64
import html
import string
import threading
from importlib import resources
from typing import Any

from invoicing.epc import epc_qr_img
from invoicing.model import IssuedInvoice, Language
from invoicing.texts import fmt_date, fmt_money, label
from invoicing.vat import compute

__all__ = ["invoice_html", "render_html_pdf", "render_pdf"]

_TEMPLATE: string.Template | None = None
_LOCAL = threading.local()
_LOGO_MIMES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


def _template() -> string.Template:
    global _TEMPLATE
    if _TEMPLATE is None:
        text = resources.files("invoicing").joinpath("templates/invoice.html").read_text("utf-8")
        _TEMPLATE = string.Template(text)
    return _TEMPLATE


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _rate(value: Any) -> str:
    return format(value.normalize(), "f")


def invoice_html(issued: IssuedInvoice) -> str:
    """The escaped HTML the PDF is rendered from."""
    draft, seller, customer = issued.draft, issued.seller, issued.draft.customer
    lang: Language = customer.language
    computed = compute(draft, seller)
    totals = computed.totals

    def money(v: Any) -> str:
        return _e(fmt_money(v, lang))

    def row(key: str, value: str) -> str:
        return f"<tr><td>{_e(label(lang, key))}</td><td>{value}</td></tr>"

    lines = []
    for ln, tax in zip(draft.lines, computed.line_taxes, strict=True):
        rate = _rate(tax.rate) if tax.category in ("S", "Z") else label(lang, "exempt")
        lines.append(
            f"<tr><td>{_e(ln.description)}</td><td class='num'>{_e(_rate(ln.quantity))}</td>"
            f"<td class='num'>{money(ln.unit_price)}</td><td class='num'>{_e(rate)}</td>"
            f"<td class='num'>{money(ln.net)}</td></tr>"
        )
    sums = [f"<tr><td>{_e(label(lang, 'subtotal'))}</td><td class='num'>"
            f"{money(totals.line_extension)}</td></tr>"]  # fmt: skip
    for adj in computed.adjustments:
        key = "charge" if adj.is_charge else "discount"
        sign = "" if adj.is_charge else "-"
        sums.append(
            f"<tr><td>{_e(label(lang, key))}: {_e(adj.reason)} ({_e(_rate(adj.rate))} %)</td>"
            f"<td class='num'>{sign}{money(adj.amount)}</td></tr>"
        )
    for tax_row in totals.rows:
        sums.append(
            f"<tr><td>{_e(label(lang, 'taxable'))} {_e(_rate(tax_row.rate))} % "
            f"({_e(tax_row.category)})</td><td class='num'>{money(tax_row.taxable)}</td></tr>"
            f"<tr><td>{_e(label(lang, 'vat_amount'))} {_e(_rate(tax_row.rate))} %</td>"
            f"<td class='num'>{money(tax_row.vat)}</td></tr>"
        )
    sums.append(
        f"<tr class='total'><td>{_e(label(lang, 'total'))}</td>"
        f"<td class='num'>EUR {money(totals.tax_inclusive)}</td></tr>"
    )
    logo = ""
    if seller.logo and seller.logo_mime in _LOGO_MIMES:
        data = base64.b64encode(seller.logo).decode("ascii")
        logo = f'<img class="logo" alt="" src="data:{seller.logo_mime};base64,{data}">'
    ids = [f"{label(lang, 'vat')} {seller.vat}" if seller.vat else "",
           f"{label(lang, 'enterprise')} {seller.enterprise_number}"]  # fmt: skip
    cust_ids = ""
    if customer.vat:
        cust_ids = f"<br>{_e(label(lang, 'vat'))} {_e(customer.vat)}"
    credit = issued.is_credit_note
    pay_block = ""
    if not credit:
        qr = epc_qr_img(seller, totals.payable, issued.structured_communication)
        pay_block = (
            f"<table class='pay'><tr><td class='qr'>{qr}</td><td>"
            f"{_e(label(lang, 'to_pay'))}: <strong>EUR {money(totals.payable)}</strong><br>"
            f"{_e(label(lang, 'pay_with'))} {_e(label(lang, 'iban'))} {_e(seller.iban)} "
            f"(BIC {_e(seller.bic)})<br>{_e(label(lang, 'reference'))}:<br>"
            f"<span class='ogm'>{_e(issued.structured_communication)}</span><br>"
            f"<small>{_e(label(lang, 'scan_to_pay'))}</small></td></tr></table>"
        )
    due_row = "" if credit else row("due_date", _e(fmt_date(issued.due_date, lang)))
    delivery_row = ""
    if draft.delivery_date:
        delivery_row = row("delivery_date", _e(fmt_date(draft.delivery_date, lang)))
    credits_row = row("credits", _e(draft.credited_number)) if draft.credited_number else ""
    address = f"{seller.street}, {seller.postal_code} {seller.city}, {seller.country}"
    cust_addr = " ".join(
        part for part in (customer.street, customer.postal_code, customer.city) if part
    )
    title = label(lang, "credit_note" if credit else "invoice")
    return _template().substitute(
        lang=lang.value,
        title=_e(title),
        number=_e(issued.number),
        footer=_e(f"{seller.name} · {address} · {seller.iban}").replace('"', "'"),
        logo=logo,
        seller_name=_e(seller.name),
        seller_address=_e(address),
        seller_ids=_e(" · ".join(i for i in ids if i)),
        l_number=_e(label(lang, "number")),
        l_date=_e(label(lang, "date")),
        issue_date=_e(fmt_date(issued.issue_date, lang)),
        due_row=due_row,
        delivery_row=delivery_row,
        credits_row=credits_row,
        customer_name=_e(customer.name),
        customer_address=_e(f"{cust_addr}, {customer.country}"),
        customer_ids=cust_ids,
        l_description=_e(label(lang, "description")),
        l_quantity=_e(label(lang, "quantity")),
        l_unit_price=_e(label(lang, "unit_price")),
        l_rate=_e(label(lang, "rate")),
        l_net=_e(label(lang, "net")),
        line_rows="".join(lines),
        sum_rows="".join(sums),
        mentions="<br>".join(_e(m) for m in issued.mentions),
        note=_e(draft.note or ""),
        pay_block=pay_block,
    )


def render_html_pdf(document: str) -> bytes:
    """Render HTML to PDF bytes, fetching nothing but ``data:`` URIs."""
    import weasyprint
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(timeout=1, allowed_protocols=("data",), allow_redirects=False)
    html = weasyprint.HTML(string=document, url_fetcher=fetcher)
    return html.write_pdf(font_config=_font_config())


def _font_config() -> Any:
    """One WeasyPrint font configuration per thread, reused: about 20 % of a render."""
    config = getattr(_LOCAL, "font_config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _LOCAL.font_config = FontConfiguration()
    return config


def render_pdf(issued: IssuedInvoice) -> bytes:
    """The invoice or credit note PDF in the customer's language."""
    return render_html_pdf(invoice_html(issued))
