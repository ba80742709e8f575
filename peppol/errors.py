"""Exceptions raised by :mod:`peppol`.

::

    PeppolError                      base: anything peppol refuses
    ├── MalformedXml                 not well-formed XML (or an unreadable encoding)
    ├── UnsafeXml                    DOCTYPE / entities / excessive depth: refused, never expanded
    ├── TooLarge                     over the byte limit of :class:`peppol.XmlLimits`
    ├── UnsupportedDocument          well-formed XML, but not a UBL/CII invoice or credit note
    ├── MissingMandatoryField        an invoice without an element boekbox cannot do without
    ├── EmbeddedPdfError             a PDF that cannot be opened to look for embedded XML
    └── ValidationUnavailable        the CEN validation artefact cannot be loaded or run

Every message is written for the accountant's log: it says what was refused and why.
"""

from __future__ import annotations

__all__ = [
    "EmbeddedPdfError",
    "MalformedXml",
    "MissingMandatoryField",
    "PeppolError",
    "TooLarge",
    "UnsafeXml",
    "UnsupportedDocument",
    "ValidationUnavailable",
]


class PeppolError(Exception):
    """Base class of every error raised by the peppol package."""


class MalformedXml(PeppolError):
    """The bytes are not well-formed XML."""


class UnsafeXml(PeppolError):
    """The XML uses a construct that is refused for safety (DOCTYPE, entities, depth)."""


class TooLarge(PeppolError):
    """The document is larger than the configured limit."""


class UnsupportedDocument(PeppolError):
    """Well-formed XML that is not a supported invoice or credit note."""


class MissingMandatoryField(PeppolError):
    """A mandatory element (invoice number, issue date, totals...) is missing."""


class EmbeddedPdfError(PeppolError):
    """A PDF could not be opened to look for an embedded e-invoice."""


class ValidationUnavailable(PeppolError):
    """The official validation artefact could not be loaded or run."""
