"""Frozen result types and limits of the mail splitter (re-exported by ``intake.splitter``)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DocumentPart", "IgnoredPart", "QuarantinedPart", "SplitLimits", "SplitResult"]


@dataclass(frozen=True, slots=True)
class SplitLimits:
    """Work limits, all checked before the work they bound.

    ``max_depth``: MIME nesting; ``max_parts``: parts, archive members and TNEF
    attachments together; ``max_header_bytes``: the top-level header section;
    ``max_zip_*``: per archive (declared sizes on the central directory, before
    inflating; ``max_zip_total`` is a budget shared by nested archives);
    ``max_forward_depth``: nested message/rfc822 levels; ``min_image_side``: images
    whose shorter side is below it are logos/icons, not scans; ``max_image_pixels``:
    an image with more pixels (by its header, never decoded) is quarantined as over
    the pixel limit (the extractors' own ``ExtractLimits.max_pixels`` default).
    ``max_parse_cost``: containers x lines, an upper bound of the stdlib parser's
    boundary checks (each line is tested against every open boundary); a deeply
    nested mail with a big body would otherwise take minutes.
    """

    max_depth: int = 32
    max_parts: int = 500
    max_header_bytes: int = 256 * 1024
    max_zip_entries: int = 200
    max_zip_total: int = 200_000_000
    max_zip_ratio: int = 100
    max_zip_depth: int = 3
    max_forward_depth: int = 5
    max_tnef_attachments: int = 100
    min_image_side: int = 200
    max_html_scan: int = 2_000_000
    max_parse_cost: int = 5_000_000
    max_image_pixels: int = 60_000_000


@dataclass(frozen=True, slots=True)
class DocumentPart:
    """A part that becomes a boekbox document.

    ``content_type`` is by content (sniffed); ``declared_content_type`` is what the mail
    said when that differs.  ``origin``: ``attachment``, ``smime-signed``,
    ``rfc822:NAME``, ``zip:ZIP/member/path``, ``tnef:winmail.dat`` (nested containers
    joined with ``/``).  ``original_sender``: the supplier address of a forwarded
    invoice (inline forward header block or the From of an attached message).
    ``xml_kind``: ``ubl-invoice``/``ubl-creditnote``/``cii`` for e-invoices.
    """

    filename: str | None
    content_type: str
    declared_content_type: str | None
    data: bytes
    sha256: str
    size: int
    origin: str
    original_sender: str | None = None
    xml_kind: str | None = None


@dataclass(frozen=True, slots=True)
class IgnoredPart:
    """A non-body part that is not a document; ``reason`` as in corpus/mail/SOURCES.md:
    ``inline_decoration``, ``small_image``, ``signature``, ``unsupported_type``,
    ``container_unpacked``, ``unrecognised_content``."""

    filename: str | None
    content_type: str
    sha256: str | None
    reason: str
    origin: str = "attachment"


@dataclass(frozen=True, slots=True)
class QuarantinedPart:
    """A part (filename None and content_type ``message/rfc822``: the whole mail) kept
    for a person to look at, with a machine ``reason`` and a readable ``detail``."""

    filename: str | None
    content_type: str
    reason: str
    sha256: str | None
    detail: str
    origin: str = "attachment"


@dataclass(frozen=True, slots=True)
class SplitResult:
    """Everything the splitter found in one mail."""

    documents: tuple[DocumentPart, ...]
    ignored: tuple[IgnoredPart, ...]
    quarantined: tuple[QuarantinedPart, ...]
    subject: str
    from_address: str | None
    message_id: str | None
    is_auto_reply: bool
    forwarded_from: str | None
    warnings: tuple[str, ...]
