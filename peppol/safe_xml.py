"""Hardened XML parsing shared by every peppol entry point.

lxml is configured so that nothing is ever fetched or expanded (no DTD loading,
no entity resolution, no network).  With ``resolve_entities=False`` an XXE file
would still parse *silently* with an empty value, so any document that carries a
DOCTYPE is refused outright.  Real invoices embed multi-megabyte PDFs in a single
text node, which libxml2 refuses above 10 MB unless ``huge_tree`` is set; such a
document is parsed again with ``huge_tree`` and the byte cap of :class:`XmlLimits`
replaces libxml2's text-node limit.

Depth costs nothing in the common case: documents are parsed first without
``huge_tree``, where libxml2 itself stops at 256 levels; only a document with a
text node over 10 MB is parsed again with ``huge_tree`` and then gets an explicit
depth check (as does any caller asking for a limit below 256).
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass

from lxml import etree

from peppol.errors import MalformedXml, TooLarge, UnsafeXml

__all__ = ["XmlLimits", "parse_xml_safely"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class XmlLimits:
    """Limits applied before and while parsing an XML e-invoice.

    ``max_bytes``: 20 MB holds a UBL with a few embedded PDF pages (base64 adds a third).
    ``max_depth``: UBL nests about 8 levels deep; 256 is libxml2's own limit, enforced
    by the parser for free (a lower value adds an explicit check).
    """

    max_bytes: int = 20 * 1024 * 1024
    max_depth: int = 256


_local = threading.local()


_LIBXML2_DEPTH = 256  # libxml2's depth limit without huge_tree


def _parser(huge: bool, drop_blanks: bool) -> etree.XMLParser:
    # lxml parsers must not be shared between threads: keep them per thread.
    name = ("huge" if huge else "normal") + ("_lean" if drop_blanks else "")
    parser: etree.XMLParser | None = getattr(_local, name, None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=huge,
            remove_comments=True,
            remove_pis=True,
            remove_blank_text=drop_blanks,
            collect_ids=False,
        )
        setattr(_local, name, parser)
    return parser


@functools.lru_cache(maxsize=8)
def _too_deep(max_depth: int) -> etree.XPath:
    # True when some element sits deeper than max_depth (the root is depth 1).
    return etree.XPath("boolean(" + "/*" * (max_depth + 1) + ")")


def parse_xml_safely(
    data: bytes, limits: XmlLimits = XmlLimits(), *, drop_blank_text: bool = False
) -> etree._Element:
    """Parse ``data`` into an element tree root, refusing anything unsafe.

    ``drop_blank_text`` leaves out whitespace-only text between elements (indentation):
    a smaller tree, built faster, for mappers that only read leaf text.  Whitespace
    inside a leaf element is kept either way.

    Raises :class:`TooLarge`, :class:`UnsafeXml` or :class:`MalformedXml`; never
    lets an lxml exception escape.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MalformedXml(f"expected bytes, got {type(data).__name__}")
    size = len(data)
    if size > limits.max_bytes:
        raise TooLarge(f"XML document is {size:,} bytes; the limit is {limits.max_bytes:,} bytes")
    if size == 0 or not bytes(data[:4096]).strip():
        raise MalformedXml("the document is empty")
    huge = False
    try:
        try:
            root = etree.fromstring(data, _parser(False, drop_blank_text))
        except etree.XMLSyntaxError as exc:
            if "XML_PARSE_HUGE" not in str(exc) or "depth" in str(exc).lower():
                raise
            huge = True  # a text node over 10 MB (an embedded PDF): parse again, capped by size
            root = etree.fromstring(data, _parser(True, drop_blank_text))
    except etree.XMLSyntaxError as exc:
        raise _translate(exc, limits.max_depth) from exc
    except (ValueError, LookupError) as exc:  # e.g. unknown encoding declaration
        raise MalformedXml(f"not readable as XML: {exc}") from exc
    if root is None:
        raise MalformedXml("the document has no root element")
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype or docinfo.system_url:
        raise UnsafeXml(
            "the document declares a DOCTYPE; e-invoices never need one and it may hide "
            "entity expansion or external references (XXE), so it is refused"
        )
    if (huge or limits.max_depth < _LIBXML2_DEPTH) and _too_deep(limits.max_depth)(root):
        raise UnsafeXml(f"the document nests elements deeper than {limits.max_depth} levels")
    return root


def _translate(exc: etree.XMLSyntaxError, max_depth: int) -> MalformedXml | UnsafeXml:
    text = str(exc)
    lowered = text.lower()
    if "depth" in lowered:
        limit = min(max_depth, _LIBXML2_DEPTH)
        return UnsafeXml(f"the document nests elements deeper than {limit} levels ({text})")
    if "amplification" in lowered or ("entity" in lowered and "loop" in lowered):
        return UnsafeXml(f"entity expansion refused ({text})")
    if "doctype" in lowered or "dtd" in lowered:
        return UnsafeXml(f"DOCTYPE refused ({text})")
    return MalformedXml(f"not well-formed XML: {text}")
