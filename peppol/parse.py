"""Entry points: ``parse_invoice_xml`` and ``sniff_xml`` (bytes in, model out)."""

from __future__ import annotations

import io
import logging

from lxml import etree

from extractors.model import InvoiceData
from peppol.cii import map_cii
from peppol.errors import UnsupportedDocument
from peppol.ns import CII_D16B, CII_ZF1, UBL_CREDITNOTE, UBL_INVOICE
from peppol.safe_xml import XmlLimits, parse_xml_safely
from peppol.ubl import map_ubl

__all__ = ["parse_invoice_xml", "sniff_xml"]

log = logging.getLogger(__name__)

_UBL_INVOICE_ROOT = f"{{{UBL_INVOICE}}}Invoice"
_UBL_CREDITNOTE_ROOT = f"{{{UBL_CREDITNOTE}}}CreditNote"
_CII_ROOT = f"{{{CII_D16B['rsm']}}}CrossIndustryInvoice"
_ZF1_ROOT = f"{{{CII_ZF1['rsm']}}}CrossIndustryDocument"

_KINDS = {
    _UBL_INVOICE_ROOT: "ubl-invoice",
    _UBL_CREDITNOTE_ROOT: "ubl-creditnote",
    _CII_ROOT: "cii",
    _ZF1_ROOT: "cii",
}


def parse_invoice_xml(data: bytes, *, limits: XmlLimits = XmlLimits()) -> InvoiceData:
    """Parse a UBL (Invoice/CreditNote) or CII e-invoice into :class:`InvoiceData`.

    Raises a :class:`peppol.errors.PeppolError` subclass with a readable reason for
    anything that is not a safe, well-formed, supported e-invoice.
    """
    root = parse_xml_safely(data, limits, drop_blank_text=True)
    tag = root.tag
    if tag in (_UBL_INVOICE_ROOT, _UBL_CREDITNOTE_ROOT):
        return map_ubl(root)
    if tag == _CII_ROOT:
        return map_cii(root, CII_D16B)
    if tag == _ZF1_ROOT:
        return map_cii(root, CII_ZF1)
    raise UnsupportedDocument(_describe_root(tag))


def _describe_root(tag: object) -> str:
    if not isinstance(tag, str):
        return "the document has no element root"
    qname = etree.QName(tag)
    local, ns = qname.localname, qname.namespace
    if local in {"Invoice", "CreditNote"}:
        where = f"namespace {ns!r}" if ns else "no namespace"
        return (
            f"root element {local!r} is in {where}; a UBL {local} must be in "
            f"{UBL_INVOICE if local == 'Invoice' else UBL_CREDITNOTE!r}"
        )
    return (
        f"root element {local!r} ({ns or 'no namespace'}) is not a UBL Invoice/CreditNote "
        "or a CII CrossIndustryInvoice"
    )


def sniff_xml(data: bytes) -> str | None:
    """Cheap detection by root element and namespace.

    Returns ``"ubl-invoice"``, ``"ubl-creditnote"``, ``"cii"`` or ``None`` (other
    XML, not XML, or XML with a DOCTYPE).  Only the start of the document is read.
    """
    if not data or not isinstance(data, bytes | bytearray | memoryview):
        return None
    head = bytes(data[:512]).lstrip()
    if head[:1] != b"<" and not head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return None
    events = etree.iterparse(
        io.BytesIO(data),
        events=("start",),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=True,
    )
    try:
        for _event, element in events:
            if element.getroottree().docinfo.internalDTD is not None:
                return None
            return _KINDS.get(element.tag)
    except (etree.XMLSyntaxError, ValueError, LookupError):
        return None
    return None
