"""The files embedded in a UBL e-invoice, decoded (pure: bytes in, frozen dataclasses out).

:func:`peppol.parse_invoice_xml` lists attachments without copying their bytes
(``Attachment.embedded``); this reads them when the pipeline stores them, in the
same order, so ``EmbeddedFile.index`` is the position in ``InvoiceData.attachments``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from extractors.safe_text import safe_filename
from peppol._values import clean
from peppol.errors import UnsupportedDocument
from peppol.ns import UBL_CREDITNOTE, UBL_INVOICE, cac, cbc
from peppol.safe_xml import XmlLimits, parse_xml_safely

__all__ = ["EmbeddedFile", "embedded_attachments"]

_ROOTS = {f"{{{UBL_INVOICE}}}Invoice", f"{{{UBL_CREDITNOTE}}}CreditNote"}
_REFERENCE, _ATTACHMENT = cac("AdditionalDocumentReference"), cac("Attachment")
_EMBEDDED = cbc("EmbeddedDocumentBinaryObject")


@dataclass(frozen=True, slots=True)
class EmbeddedFile:
    #: position of the attachment in ``InvoiceData.attachments``
    index: int
    filename: str | None
    mime_code: str | None
    #: the decoded bytes, or None when they are not readable (see ``problem``)
    data: bytes | None
    problem: str | None = None


def embedded_attachments(
    data: bytes, *, limits: XmlLimits = XmlLimits()
) -> tuple[EmbeddedFile, ...]:
    """Every embedded file of a UBL Invoice/CreditNote, decoded from base64.

    Raises a :class:`peppol.errors.PeppolError` for bytes that are not a safe UBL
    document; an unreadable attachment is returned with its ``problem`` instead.
    """
    root = parse_xml_safely(data, limits)
    if root.tag not in _ROOTS:
        raise UnsupportedDocument(f"not a UBL Invoice/CreditNote: root {root.tag!r}")
    found: list[EmbeddedFile] = []
    index = -1
    for ref in root.iterchildren(_REFERENCE):
        attachment = next(ref.iterchildren(_ATTACHMENT), None)
        if attachment is None:
            continue  # not an attachment: not counted by the parser either
        index += 1
        embedded = next(attachment.iterchildren(_EMBEDDED), None)
        if embedded is not None:
            found.append(_decoded(index, embedded))
    return tuple(found)


def _decoded(index: int, element: Any) -> EmbeddedFile:
    filename, mime = safe_filename(element.get("filename")), clean(element.get("mimeCode"))
    text = "".join((element.text or "").split())
    if not text:
        return EmbeddedFile(index, filename, mime, None, "the embedded file is empty")
    try:
        return EmbeddedFile(index, filename, mime, base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError) as exc:
        return EmbeddedFile(index, filename, mime, None, f"not valid base64: {exc}")
