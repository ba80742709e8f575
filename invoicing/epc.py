"""The EPC QR code (EPC069-12, SEPA credit transfer) Belgian banking apps scan, via segno."""

from __future__ import annotations

import base64
import io
from decimal import Decimal

from invoicing.errors import InvoicingError
from invoicing.model import Seller
from invoicing.numbering import parse_ogm

__all__ = ["epc_payload", "epc_qr_img", "epc_qr_png"]


def epc_payload(seller: Seller, amount: Decimal, ogm: str) -> str:
    """``BCD/002/1/SCT/BIC/name/IBAN/EURamount//reference`` (newline separated).

    The reference line carries the 12 digits of the structured communication.
    """
    if not Decimal("0.01") <= amount <= Decimal("999999999.99"):
        raise InvoicingError(f"EPC QR: amount {amount} out of range")
    digits = parse_ogm(ogm)
    if digits is None:
        raise InvoicingError(f"EPC QR: {ogm!r} is not a structured communication")
    name = " ".join(seller.name.split())[:70]
    return "\n".join(
        ["BCD", "002", "1", "SCT", seller.bic, name, seller.iban, f"EUR{amount:.2f}", "", digits]
    )


def epc_qr_png(seller: Seller, amount: Decimal, ogm: str, *, scale: int = 4) -> bytes:
    """The QR code as a black-and-white PNG (error correction M, as EPC069-12 requires),
    ``scale`` pixels per module with a two-module quiet zone."""
    import segno

    qr = segno.make(epc_payload(seller, amount, ogm), error="m", boost_error=False, micro=False)
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=scale, border=2)
    return buf.getvalue()


def epc_qr_img(seller: Seller, amount: Decimal, ogm: str) -> str:
    """The QR code as an ``<img>`` element with the PNG inline, drawn unsmoothed
    (``image-rendering: pixelated``: the PDF image has /Interpolate false).

    A PNG rather than segno's SVG: WeasyPrint parses and strokes the SVG path of every
    module run on every render, about a tenth of the PDF time (bench/invoicing_bench.py)."""
    if amount <= 0:
        return ""
    data = base64.b64encode(epc_qr_png(seller, amount, ogm)).decode("ascii")
    return f'<img class="qrcode" alt="" src="data:image/png;base64,{data}">'
