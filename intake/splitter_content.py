"""Classify decoded bytes (a MIME leaf, a ZIP member, a TNEF attachment) as a
document, an ignored part or a quarantined part, unpacking containers recursively."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from extractors.safe_text import log_safe, safe_filename
from intake import mime_sniff as ms
from intake.splitter_errors import SplitError
from intake.splitter_model import DocumentPart, IgnoredPart, QuarantinedPart, SplitLimits
from intake.tnef import read_tnef
from intake.zipsafe import ZipLimits, read_zip

__all__ = ["Blob", "Collector", "handle_blob"]

log = logging.getLogger(__name__)

OCTET = "application/octet-stream"
_GENERIC = {
    OCTET,
    "application/unknown",
    "application/binary",
    "application/x-download",
    "application/download",
    "application/force-download",
    "binary/octet-stream",
}
_ZIP_DECLARED = {
    "application/zip",
    "application/x-zip-compressed",
    "application/x-zip",
    "multipart/x-zip",
    "application/zip-compressed",
}
_BY_EXTENSION = {
    ".pdf": ms.PDF,
    ".jpg": ms.JPEG,
    ".jpeg": ms.JPEG,
    ".png": ms.PNG,
    ".tif": ms.TIFF,
    ".tiff": ms.TIFF,
    ".heic": ms.HEIC,
    ".heif": ms.HEIC,
    ".xml": ms.XML,
    ".zip": ms.ZIP,
}
_DECLARED_ALIASES = {
    "image/jpg": ms.JPEG,
    "image/pjpeg": ms.JPEG,
    "image/x-png": ms.PNG,
    "application/x-pdf": ms.PDF,
    "text/xml": ms.XML,
    "image/heif": ms.HEIC,
    "application/x-tnef": ms.TNEF,
    "application/vnd.ms-tnef": ms.TNEF,
}
_CHECKED_CLAIMS = {ms.PDF, ms.JPEG, ms.PNG, ms.TIFF, ms.HEIC}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(slots=True)
class Collector:
    """Mutable accumulator for one ``split_mail`` call."""

    limits: SplitLimits
    documents: list[DocumentPart] = field(default_factory=list)
    ignored: list[IgnoredPart] = field(default_factory=list)
    quarantined: list[QuarantinedPart] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    parts: int = 0
    parts_exhausted: bool = False
    zip_budget: int = 0

    def count_part(self) -> bool:
        """Count one part; False (and one quarantine entry) once the budget is spent."""
        self.parts += 1
        if self.parts <= self.limits.max_parts:
            return True
        if not self.parts_exhausted:
            self.parts_exhausted = True
            self.quarantine(
                None,
                "message/rfc822",
                "too_many_parts",
                None,
                f"more than {self.limits.max_parts} parts; the rest is not split",
            )
        return False

    def ignore(self, blob: Blob, reason: str, content_type: str | None = None) -> None:
        self.ignored.append(
            IgnoredPart(
                blob.filename,
                content_type or blob.declared or OCTET,
                sha256(blob.data),
                reason,
                blob.origin,
            )
        )

    def quarantine(
        self,
        filename: str | None,
        content_type: str,
        reason: str,
        digest: str | None,
        detail: str,
        origin: str = "attachment",
    ) -> None:
        log.info("quarantined %s (%s): %s", log_safe(filename), reason, log_safe(detail))
        self.quarantined.append(
            QuarantinedPart(filename, content_type, reason, digest, detail, origin)
        )


@dataclass(frozen=True, slots=True)
class Blob:
    """Decoded bytes with what the mail (or archive) said about them."""

    data: bytes
    filename: str | None
    declared: str | None  # declared media type, None inside archives
    origin: str
    sender: str | None = None
    referenced: bool = False  # used by the HTML body (cid / Content-Location)
    zip_depth: int = 0
    prefix: str = ""  # origin of the enclosing container ("" at mail level)
    damaged: str | None = None  # transfer-decoding problem, if any

    def claimed_type(self) -> str | None:
        """The type the label claims: the declared type, else the file extension."""
        declared = _DECLARED_ALIASES.get(self.declared or "", self.declared)
        if declared and declared not in _GENERIC:
            return declared
        name = (self.filename or "").lower()
        for ext, kind in _BY_EXTENSION.items():
            if name.endswith(ext):
                return kind
        return declared


def _document(col: Collector, blob: Blob, content_type: str, xml_kind: str | None = None) -> None:
    declared = blob.declared if blob.declared and blob.declared != content_type else None
    col.documents.append(
        DocumentPart(
            blob.filename,
            content_type,
            declared,
            blob.data,
            sha256(blob.data),
            len(blob.data),
            blob.origin,
            blob.sender,
            xml_kind,
        )
    )


def _handle_image(col: Collector, blob: Blob, kind: str) -> None:
    if blob.referenced:
        col.ignore(blob, "inline_decoration")
        return
    size = ms.image_size(blob.data)
    pixels = size[0] * size[1] if size is not None else ms.image_pixels(blob.data)
    if pixels is not None and pixels > col.limits.max_image_pixels:
        col.quarantine(
            blob.filename,
            blob.declared or kind,
            "over_the_pixel_limit",
            sha256(blob.data),
            f"{pixels:,} pixels; the limit is {col.limits.max_image_pixels:,}",
            blob.origin,
        )
    elif size is None:
        col.quarantine(
            blob.filename,
            blob.declared or kind,
            "damaged_attachment",
            sha256(blob.data),
            f"{kind} header cannot be read",
            blob.origin,
        )
    elif min(size) < col.limits.min_image_side:
        col.ignore(blob, "small_image")
    elif kind in ms.DOCUMENT_IMAGES:
        _document(col, blob, kind)
    else:
        col.ignore(blob, "unsupported_type")


def _wants_xml_check(blob: Blob) -> bool:
    claimed = blob.claimed_type() or ""
    return claimed in (ms.XML, OCTET) or claimed.endswith("+xml") or blob.declared is None


def _xml_document(col: Collector, blob: Blob) -> bool:
    """An e-invoice by its root element becomes a document, True; else False.

    A UBL/CII root behind a DOCTYPE is a document too: the extract step refuses it
    (peppol never parses a DOCTYPE) and quarantines it with that reason, so the
    accountant sees it instead of an "ignored" part and a "no invoice" mail.
    """
    xml_kind = ms.xml_kind(blob.data)
    if xml_kind is None:
        xml_kind = ms.doctype_invoice_kind(blob.data)
        if xml_kind is None:
            return False
        col.warnings.append(f"{blob.filename or 'XML part'}: e-invoice with a DOCTYPE")
    _document(col, blob, ms.XML, xml_kind)
    return True


def handle_blob(col: Collector, blob: Blob) -> None:
    """Route one decoded part by its content; never raises."""
    data = blob.data
    claimed = blob.claimed_type()
    if not data:
        if claimed in _CHECKED_CLAIMS:
            col.quarantine(
                blob.filename,
                blob.declared or claimed or OCTET,
                "damaged_attachment",
                None,
                "the part is empty",
                blob.origin,
            )
        else:
            col.ignored.append(
                IgnoredPart(
                    blob.filename, blob.declared or OCTET, None, "unsupported_type", blob.origin
                )
            )
        return
    kind = ms.sniff(data)
    if kind == ms.PDF:
        _document(col, blob, ms.PDF)
    elif kind in ms.RASTER_IMAGES:
        _handle_image(col, blob, kind)
    elif blob.referenced and (blob.declared or "").startswith("image/"):
        col.ignore(blob, "inline_decoration")
    elif kind == ms.ZIP and (
        claimed in _ZIP_DECLARED or claimed == ms.ZIP or claimed in (None, OCTET)
    ):
        _unpack_zip(col, blob)
    elif kind == ms.TNEF or claimed == ms.TNEF:
        _unpack_tnef(col, blob)
    elif kind == ms.XML and _xml_document(col, blob):
        return  # an e-invoice by content, whatever the label said (text/plain, octet)
    elif kind == ms.XML and _wants_xml_check(blob):
        col.ignore(blob, "unrecognised_content")
    elif claimed in _CHECKED_CLAIMS:
        found = kind or "unknown bytes"
        reason = "damaged_attachment" if blob.damaged else "content_type_mismatch"
        detail = blob.damaged or f"labelled {claimed}, content is {found}"
        col.quarantine(
            blob.filename,
            blob.declared or claimed or OCTET,
            reason,
            sha256(data),
            detail,
            blob.origin,
        )
    else:
        col.ignore(blob, "unsupported_type")


def _container_prefix(blob: Blob, kind: str, default_name: str) -> str:
    label = f"{kind}:{blob.filename or default_name}"
    return f"{blob.prefix}/{label}" if blob.prefix else label


def _unpack_zip(col: Collector, blob: Blob) -> None:
    digest = sha256(blob.data)
    name = blob.filename or "archive.zip"
    if blob.zip_depth + 1 > col.limits.max_zip_depth:
        col.quarantine(
            name,
            blob.declared or ms.ZIP,
            "zip_too_deep",
            digest,
            f"archive nested deeper than {col.limits.max_zip_depth}",
            blob.origin,
        )
        return
    limits = ZipLimits(col.limits.max_zip_entries, max(col.zip_budget, 0), col.limits.max_zip_ratio)
    try:
        members = read_zip(blob.data, limits)
    except SplitError as exc:
        col.quarantine(name, blob.declared or ms.ZIP, exc.reason, digest, exc.detail, blob.origin)
        return
    col.zip_budget -= sum(len(m.data or b"") for m in members)
    col.ignored.append(
        IgnoredPart(name, blob.declared or ms.ZIP, digest, "container_unpacked", blob.origin)
    )
    prefix = _container_prefix(blob, "zip", name)
    for member in members:
        if not col.count_part():
            return
        origin = f"{prefix}/{member.path}"
        filename = safe_filename(member.path.rsplit("/", 1)[-1])
        if member.data is None:
            col.quarantine(
                filename,
                OCTET,
                member.reason or "damaged_attachment",
                None,
                member.problem or "unreadable member",
                origin,
            )
            continue
        handle_blob(
            col,
            Blob(
                member.data,
                filename,
                None,
                origin,
                blob.sender,
                zip_depth=blob.zip_depth + 1,
                prefix=prefix,
            ),
        )


def _unpack_tnef(col: Collector, blob: Blob) -> None:
    digest = sha256(blob.data)
    name = blob.filename or "winmail.dat"
    try:
        attachments = read_tnef(blob.data, max_attachments=col.limits.max_tnef_attachments)
    except SplitError as exc:
        col.quarantine(name, blob.declared or ms.TNEF, exc.reason, digest, exc.detail, blob.origin)
        return
    col.ignored.append(
        IgnoredPart(name, blob.declared or ms.TNEF, digest, "container_unpacked", blob.origin)
    )
    origin = _container_prefix(blob, "tnef", name)
    for attachment in attachments:
        if not col.count_part():
            return
        mime = (attachment.mime_tag or "").strip().lower() or None
        handle_blob(
            col,
            Blob(
                attachment.data,
                safe_filename(attachment.filename),
                mime,
                origin,
                blob.sender,
                zip_depth=blob.zip_depth,
                prefix=origin,
            ),
        )
