"""The EPC QR code (EPC069-12, SEPA credit transfer) Belgian banking apps scan, via segno."""

from __future__ import annotations

import io
from decimal import Decimal

from invoicing.errors import InvoicingError
from invoicing.model import Seller
from invoicing.numbering import parse_ogm

__all__ = ["epc_payload", "epc_qr_svg"]


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


def epc_qr_svg(seller: Seller, amount: Decimal, ogm: str) -> str:
    """The QR code as an inline SVG element (error correction M, as EPC069-12 requires)."""
    import segno

    if amount <= 0:
        return ""
    qr = segno.make(epc_payload(seller, amount, ogm), error="m", boost_error=False, micro=False)
    buf = io.BytesIO()
    qr.save(buf, kind="svg", xmldecl=False, svgns=True, nl=False, scale=4, border=2)
    return buf.getvalue().decode("utf-8")
