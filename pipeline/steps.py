"""The pipeline steps: load, call one pure core, persist, transition.

Each step takes a document id and is idempotent: it does nothing unless the
document is in the state the step starts from, and every row it creates is
keyed so a replay finds it instead of adding a second one.  Bytes go to the
blob store *before* the transaction that references them (content
addressing makes a re-put harmless).  A step returns the ids of the
documents whose next step must be sent, after its transaction committed.

Bad input becomes a stored reason (quarantine); anything else raises, so
dramatiq retries it, and the actor shell marks the document failed once the
retries are spent.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from extractors.model import Attachment, InvoiceData, Party, from_json, to_json
from pipeline import mandate, payment_trust, twins
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from pipeline.states import DocumentState
from storage import BlobRef, put_one, repo, trust
from storage import fulltext as fulltext
from storage.models import Document, Dossier

if TYPE_CHECKING:
    from extractors import ExtractLimits
    from pipeline.sandbox import SandboxLimits

log = logging.getLogger(__name__)

S = DocumentState

__all__ = [
    "NextStep",
    "extract_step",
    "extract_text_step",
    "ocr_step",
    "propose_step",
    "split_step",
]


@dataclass(frozen=True, slots=True)
class NextStep:
    step: str  # "split" | "extract" | "ocr" | "propose"
    document_id: int


# ----------------------------------------------------------------------------- split


def split_step(rt: Runtime, document_id: int) -> list[NextStep]:
    """A stored mail becomes child documents (or a visible no-attachment state)."""
    from intake.splitter import SplitLimits, split_mail

    with rt.tx() as s:
        doc = repo.get_document(s, document_id)
        if doc.state != S.RECEIVED.value:
            return []
        if doc.kind != "mail":
            return [NextStep("extract", doc.id)]
        mail = repo.get_mail(s, doc.mail_id) if doc.mail_id else None
        sha, envelope_from = doc.blob_sha256, (mail.envelope_from if mail else "")
        released = bool((doc.timings or {}).get("released"))
        sender_allowed = mail.sender_allowed if mail else True
        checked = mail is None or mail.auth is not None
        peer_ip = mail.peer_ip if mail else None
        allow_list = tuple(
            str(a) for a in repo.get_dossier(s, doc.dossier_id).allowed_senders or ()
        )
    raw = rt.blobs.get(sha)
    if not checked:
        sender_allowed = _authenticate_sender(
            rt, document_id, raw, envelope_from, peer_ip, allow_list
        )
    if not sender_allowed and not released:
        with rt.tx() as s:
            doc = repo.get_document(s, document_id)
            if doc.state == S.RECEIVED.value:
                repo.set_state(
                    s,
                    doc,
                    S.QUARANTINED,
                    f"sender {envelope_from or '(none)'} is not on this dossier's allow-list"
                    " as an authenticated sender (SPF/DKIM aligned with the From domain);"
                    " release the mail to process it",
                    code="sender_not_allowed",
                )
        return []
    result = split_mail(raw, SplitLimits(), envelope_sender=envelope_from or None)
    kept = [_part_bytes(q) for q in result.quarantined]
    # every part of the mail with one flush; a part that could not be written raises
    datas = [part.data for part in result.documents] + [d for d in kept if d]
    stored = [put_one([ref]) for ref in rt.blobs.put_many(datas)]
    refs, rest = stored[: len(result.documents)], iter(stored[len(result.documents) :])
    q_refs = [next(rest) if d else None for d in kept]
    nexts: list[NextStep] = []
    with rt.tx() as s:
        doc = repo.get_document(s, document_id, lock=True)
        if doc.state != S.RECEIVED.value:
            return []
        mail = repo.get_mail(s, doc.mail_id) if doc.mail_id else None
        if mail is not None:
            mail.subject = result.subject
            mail.ignored = [_plain(i) for i in result.ignored]
            mail.quarantined = [_plain(q) for q in result.quarantined]
        index = 0
        for part, ref in zip(result.documents, refs, strict=True):
            child, created = repo.add_document(
                s,
                dossier_id=doc.dossier_id,
                ref=ref,
                filename=part.filename,
                content_type=part.content_type,
                declared_content_type=part.declared_content_type,
                origin=part.origin,
                channel="smtp",
                parent=doc,
                part_index=index,
            )
            index += 1
            if created:
                _mark_blob_duplicate(s, child)
            if child.state == S.RECEIVED.value:
                nexts.append(NextStep("extract", child.id))
        for q, qref in zip(result.quarantined, q_refs, strict=True):
            if qref is None:
                continue
            child, created = repo.add_document(
                s,
                dossier_id=doc.dossier_id,
                ref=qref,
                filename=q.filename,
                content_type=q.content_type,
                origin="quarantine",
                channel="smtp",
                parent=doc,
                part_index=index,
            )
            index += 1
            if created:
                repo.set_state(s, child, S.QUARANTINED, _q_text(q), code=q.reason)
        whole_mail_q = [q for q, r in zip(result.quarantined, q_refs, strict=True) if r is None]
        if index == 0 and whole_mail_q:
            repo.set_state(
                s, doc, S.QUARANTINED, _q_text(whole_mail_q[0]), code=whole_mail_q[0].reason
            )
        elif index == 0:
            repo.set_state(
                s,
                doc,
                S.NO_ATTACHMENT,
                _no_attachment_text(result),
                code="auto_reply" if result.is_auto_reply else "no_attachment",
            )
        else:
            repo.set_state(s, doc, S.SPLIT, None, timing="split")
    return nexts


def _authenticate_sender(
    rt: Runtime,
    document_id: int,
    raw: bytes,
    envelope_from: str,
    peer_ip: str | None,
    allow_list: tuple[str, ...],
) -> bool:
    """Check SPF/DKIM/DMARC once, store the result with the mail; the allow-list verdict.

    With an allow-list, only a mail authenticated for a listed domain (or a
    listed From address of an authenticated domain) passes: the bare MAIL FROM
    proves nothing.
    """
    from intake import mailauth

    settings = rt.settings
    if settings.mail_auth == "header":
        result = mailauth.from_trusted_header(raw, settings.mail_auth_trusted_authserv_id)
    else:
        resolver = mailauth.Dns(settings.dns_servers, settings.dns_timeout_seconds)
        result = mailauth.authenticate(
            raw, mail_from=envelope_from, peer_ip=peer_ip, resolver=resolver
        )
    with rt.tx() as s:
        doc = repo.get_document(s, document_id, lock=True)
        mail = repo.get_mail(s, doc.mail_id) if doc.mail_id else None
        if mail is None:
            return True
        if mail.auth is None:
            trust.set_mail_auth(mail, result.to_json(), result.domain)
            if allow_list:
                mail.sender_allowed = mailauth.allowed_by_list(
                    allow_list, result.domain, mail.from_header
                )
        return bool(mail.sender_allowed)


def _part_bytes(part: object) -> bytes:
    data = getattr(part, "data", b"")
    return data if isinstance(data, bytes) else b""


def _plain(part: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("filename", "content_type", "sha256", "reason", "detail"):
        if hasattr(part, key):
            out[key] = getattr(part, key)
    return out


def _q_text(q: Any) -> str:
    name = q.filename or "the mail"
    detail = getattr(q, "detail", "") or ""
    return f"{name}: {q.reason.replace('_', ' ')}" + (f" ({detail})" if detail else "")


def _no_attachment_text(result: Any) -> str:
    who = result.forwarded_from or result.from_address or "unknown sender"
    what = "auto-reply, not answered" if result.is_auto_reply else "no invoice attached"
    return f"{what}: '{result.subject or '(no subject)'}' from {who}"


def _mark_blob_duplicate(s: Any, child: Document) -> None:
    first = repo.first_document_with_blob(
        s, child.dossier_id, child.blob_sha256, before_id=child.id
    )
    if first is not None:
        child.duplicate_of_id = first.id
        repo.set_state(
            s,
            child,
            S.DUPLICATE,
            f"same file as document #{first.id} ({first.filename or 'unnamed'})",
            code="same_content",
        )


# ----------------------------------------------------------------------------- extract


def extract_limits(settings: Settings) -> ExtractLimits:
    """The extraction limits a worker uses, from its settings."""
    from extractors import ExtractLimits

    return ExtractLimits(
        ocr_page_timeout_s=settings.ocr_page_timeout_seconds,
        ocr_languages=settings.ocr_languages,
        ocr_workers=max(1, min(os.cpu_count() or 1, 4)),
    )


def _dossier_party(dossier: Dossier) -> Party:
    return Party(name=dossier.name, vat=dossier.vat_number)


def extract_text_step(rt: Runtime, document_id: int) -> list[NextStep]:
    """The extract queue's step: e-invoices and text PDFs are read here; a document that
    needs OCR (an image, a PDF page without a text layer) is not: it goes to the OCR
    queue, whose own worker processes read it, so light documents never wait behind OCR."""
    return extract_step(rt, document_id, ocr=False)


def ocr_step(rt: Runtime, document_id: int) -> list[NextStep]:
    """The OCR queue's step: the whole extraction, OCR included."""
    return extract_step(rt, document_id, ocr=True)


def extract_step(rt: Runtime, document_id: int, *, ocr: bool = True) -> list[NextStep]:
    """Read the invoice fields of a file document.

    ``ocr=False``: a document that needs OCR is left as it is (``received``) and
    ``NextStep("ocr")`` is returned instead of reading it.
    """
    from extractors import ExtractOptions, sniff_content_type
    from extractors.errors import ExtractionError, OcrNeeded
    from pipeline.sandbox import SandboxLimit

    with rt.tx() as s:
        doc = repo.get_document(s, document_id)
        if doc.state != S.RECEIVED.value:
            return []
        if doc.kind == "mail":
            return [NextStep("split", doc.id)]
        dossier = repo.get_dossier(s, doc.dossier_id)
        options = ExtractOptions(
            known_customer=_dossier_party(dossier),
            hints=_hints_for_dossier(s, dossier),
            sender=_sender(s, doc),
            limits=extract_limits(rt.settings),
            ocr=ocr,
        )

        sha, filename = doc.blob_sha256, doc.filename
    data = rt.blobs.get(sha)
    if not ocr and sniff_content_type(data).startswith("image/"):
        return [NextStep("ocr", document_id)]  # an image is all OCR: not even opened here
    try:
        invoice, page_text = _extract_untrusted(rt.settings, data, filename, options)
    except OcrNeeded:
        return [NextStep("ocr", document_id)]
    except ExtractionError as exc:
        return _quarantine(rt, document_id, str(exc), code=type(exc).__name__)
    except SandboxLimit as exc:
        return _quarantine(rt, document_id, exc.reason, code=f"{exc.kind}_limit")
    except Exception as exc:  # a bug in a rule must not stop the supplier's documents
        log.exception("extraction of document %s failed unexpectedly", document_id)
        reason = f"extraction failed unexpectedly ({type(exc).__name__}: {exc})"[:500]
        return _quarantine(rt, document_id, reason, code="extractor_error")
    invoice = _with_validation(data, invoice)
    attachments = _embedded_attachments(rt, data, invoice)
    return _save_extraction(rt, document_id, invoice, attachments, page_text)


def sandbox_limits(settings: Settings) -> SandboxLimits:
    """The limits of the child process that decodes untrusted documents."""
    from pipeline.sandbox import SandboxLimits

    return SandboxLimits(
        memory_mb=settings.extract_memory_mb,
        cpu_seconds=settings.extract_cpu_seconds,
        wall_seconds=max(1.0, settings.step_time_limit_seconds - 5.0),
    )


def _extract_untrusted(
    settings: Settings, data: bytes, filename: str | None, options: Any
) -> tuple[InvoiceData, str]:
    """The invoice and its pages' words; PDFs and images are decoded in a limited child
    process, XML here (lxml is bounded)."""
    from extractors import extract_with_text, sniff_content_type
    from pipeline import sandbox

    if sniff_content_type(data) in {"application/xml", "application/octet-stream"}:
        return extract_with_text(data, filename=filename, options=options)
    found: tuple[InvoiceData, str] = sandbox.run(
        extract_in_child, data, filename, options, limits=sandbox_limits(settings), reuse=True
    )
    return found


def extract_in_child(data: bytes, filename: str | None, options: Any) -> tuple[InvoiceData, str]:
    """What the sandbox child runs (a module-level function, so it pickles by name)."""
    from extractors import extract_with_text

    return extract_with_text(data, filename=filename, options=options)


def _hints_for_dossier(s: Any, dossier: Dossier) -> tuple[Any, ...]:
    """One merged hint per supplier of the dossier; a malformed stored hint is skipped."""
    from extractors.hints import SupplierHint, merge_hints

    own_vat = "".join(c for c in (dossier.vat_number or "").upper() if c.isalnum()) or None
    out = []
    for sup in repo.suppliers_with_hints(s, dossier.id):
        merged: SupplierHint | None = None
        for raw in sup.hints if isinstance(sup.hints, list) else ():
            try:
                merged = merge_hints(merged, SupplierHint.from_json(raw))
            except Exception as exc:
                log.warning("a stored hint of supplier %s is skipped: %s", sup.id, exc)
        if merged is None:
            continue
        vat = merged.supplier_vat or sup.vat_number
        merged = dataclasses.replace(
            merged,
            supplier_vat=None if vat == own_vat else vat,  # never the dossier's own number
            supplier_iban=merged.supplier_iban or sup.iban,
            supplier_name=merged.supplier_name,
        )
        out.append(merged)
    return tuple(out)


def _sender(s: Any, doc: Document) -> str | None:
    """The envelope sender of the mail a document came in (None for uploads)."""
    if doc.mail_id is None:
        return None
    try:
        return repo.get_mail(s, doc.mail_id).envelope_from or None
    except Exception:  # the sender only helps to recognise a supplier
        return None


def _with_validation(data: bytes, invoice: InvoiceData) -> InvoiceData:
    if invoice.source not in {"peppol", "cii"} or invoice.findings:
        return invoice
    try:
        import peppol
    except ImportError:
        return invoice
    if not data.lstrip()[:5].startswith(b"<"):
        return invoice
    validate = getattr(peppol, "validate", None)
    if validate is None:
        return invoice
    findings = validate(data, invoice)
    return invoice.replace(findings=tuple(findings))


def _embedded_attachments(
    rt: Runtime, data: bytes, invoice: InvoiceData
) -> list[tuple[Attachment, BlobRef]]:
    """The files an e-invoice embeds (its display PDF), stored as blobs."""
    if not any(a.embedded for a in invoice.attachments) or data.lstrip()[:1] != b"<":
        return []  # nothing embedded, or the e-invoice came out of a PDF (the PDF is shown)
    import peppol

    try:
        files = peppol.embedded_attachments(data)
    except peppol.PeppolError as exc:
        log.warning("embedded attachments unreadable: %s", exc)
        return []
    readable = []
    for f in files:
        if f.data is None:
            log.warning("embedded attachment %s unreadable: %s", f.filename, f.problem)
        else:
            readable.append((Attachment(f.filename, f.mime_code, embedded=True), f.data))
    refs = rt.blobs.put_many([payload for _, payload in readable])
    return [(att, put_one([ref])) for (att, _), ref in zip(readable, refs, strict=True)]


def _quarantine(rt: Runtime, document_id: int, reason: str, *, code: str) -> list[NextStep]:
    with rt.tx() as s:
        doc = repo.get_document(s, document_id, lock=True)
        if doc.state == S.RECEIVED.value:
            repo.set_state(s, doc, S.QUARANTINED, reason, code=code)
    return []


def _save_extraction(
    rt: Runtime,
    document_id: int,
    invoice: InvoiceData,
    attachments: list[tuple[Attachment, BlobRef]],
    page_text: str = "",
) -> list[NextStep]:
    with rt.tx() as s:
        doc = repo.get_document(s, document_id, lock=True)
        if doc.state != S.RECEIVED.value:
            return []
        data = to_json(invoice)
        schema = invoice.to_schema_dict()
        repo.save_extraction(
            s,
            doc.id,
            invoice=data,
            findings=[
                {
                    "rule_id": f.rule_id,
                    "severity": str(f.severity),
                    "message": f.message,
                    "location": f.location,
                }
                for f in invoice.findings
            ],
            warnings=list(invoice.warnings),
            confidence=schema.get("confidence", {}),
            extractor=invoice.source,
        )
        doc.supplier_name = invoice.supplier.name
        doc.supplier_vat = _compact_vat(invoice.supplier.vat)
        doc.invoice_number = invoice.invoice_number
        doc.invoice_date = invoice.issue_date
        doc.total_incl_vat = invoice.total_incl_vat
        doc.warning_count = len(invoice.warnings) + len(invoice.findings)
        fulltext.save_text(
            s,
            doc,
            body=searchable_text(invoice, page_text, doc.filename),
            doc_type=str(invoice.document_type.value),
            customer_name=invoice.customer.name,
        )
        for n, (att, ref) in enumerate(attachments):
            child, created = repo.add_document(
                s,
                dossier_id=doc.dossier_id,
                ref=ref,
                filename=att.filename,
                content_type=att.mime_code or "application/octet-stream",
                origin=f"embedded:{doc.filename or doc.id}",
                channel=doc.channel,
                parent=doc,
                part_index=n,
            )
            if created:
                child.duplicate_of_id = doc.id
                repo.set_state(
                    s,
                    child,
                    S.DUPLICATE,
                    f"display copy embedded in e-invoice #{doc.id}",
                    code="embedded_attachment",
                )
        twin = _invoice_twin(s, doc, invoice)
        if twin is not None:
            return _resolve_twin(s, doc, twin, invoice)
        repo.set_state(s, doc, S.EXTRACTED, None)
        # a copy read differently (a photo of a PDF): warned now, before any proposal
        twins.flag_possible_twin(s, doc)
    return [NextStep("propose", document_id)]


def searchable_text(invoice: InvoiceData, page_text: str, filename: str | None) -> str:
    """What full-text search finds a document by: its fields, then its pages' words."""
    fields: list[str | None] = [
        invoice.supplier.name,
        invoice.supplier.trading_name,
        invoice.supplier.vat,
        invoice.customer.name,
        invoice.customer.vat,
        invoice.invoice_number,
        invoice.payment_reference,
        invoice.order_reference,
        invoice.buyer_reference,
        invoice.note,
        filename,
        *(line.description for line in invoice.lines),
    ]
    head = " ".join(f for f in fields if f)
    return f"{head}\n{page_text}" if page_text else head


def _compact_vat(vat: str | None) -> str | None:
    return "".join(ch for ch in vat.upper() if ch.isalnum()) if vat else None


def _invoice_twin(s: Any, doc: Document, invoice: InvoiceData) -> Document | None:
    if not (doc.supplier_vat and invoice.invoice_number):
        return None
    repo.lock_invoice_checks(s, doc.dossier_id)
    return repo.find_invoice_twin(
        s,
        dossier_id=doc.dossier_id,
        supplier_vat=doc.supplier_vat,
        invoice_number=invoice.invoice_number,
        total=invoice.total_incl_vat,
        exclude_id=doc.id,
    )


_STRUCTURED = {"application/xml", "text/xml"}


def _resolve_twin(s: Any, doc: Document, twin: Document, invoice: InvoiceData) -> list[NextStep]:
    """Same supplier, number and total: keep one master; UBL beats a PDF copy.

    Only when the payment details agree: a copy asking for payment elsewhere
    (another IBAN or structured reference) never replaces its partner; both
    stay, each with a conflict alert naming the other.
    """
    doc_is_xml = doc.content_type in _STRUCTURED
    twin_is_xml = twin.content_type in _STRUCTURED
    twin_movable = twin.state in {S.RECEIVED.value, S.EXTRACTED.value, S.PROPOSED.value}
    if twin.state == S.RECEIVED.value:
        # the twin is still being read: go on; its own extract step finds this
        # document and resolves the pair then (UBL master, the other a duplicate)
        repo.set_state(s, doc, S.EXTRACTED, None)
        return [NextStep("propose", doc.id)]
    twin_extraction = repo.get_extraction(s, twin.id)
    conflict = (
        payment_trust.payment_disagreement(invoice, from_json(twin_extraction.invoice))
        if twin_extraction is not None
        else None
    )
    if conflict is not None:
        what = f"supplier {doc.supplier_vat}, number {doc.invoice_number}"
        for one, other in ((doc, twin), (twin, doc)):
            payment_trust.put_alert(
                one,
                payment_trust.PAYMENT_CONFLICT,
                f"PAYMENT CONFLICT: document #{other.id} is the same invoice ({what}) but"
                f" asks for payment elsewhere ({conflict}); neither replaces the other."
                " Check with the supplier which one is genuine and reject the other.",
                other_id=other.id,
                detail=conflict,
            )
        repo.audit(
            s,
            "payment_conflict",
            dossier_id=doc.dossier_id,
            document_id=doc.id,
            other_id=twin.id,
            detail=conflict,
        )
        repo.set_state(s, doc, S.EXTRACTED, None)
        return [NextStep("propose", doc.id)]
    if doc_is_xml and not twin_is_xml and twin_movable:
        twin.duplicate_of_id = doc.id
        repo.set_state(
            s,
            twin,
            S.DUPLICATE,
            f"same invoice as e-invoice #{doc.id}; the e-invoice is the master",
            code="same_invoice",
        )
        repo.drop_unbooked_entry(s, twin.id)
        repo.set_state(s, doc, S.EXTRACTED, None)
        return [NextStep("propose", doc.id)]
    doc.duplicate_of_id = twin.id
    repo.set_state(
        s,
        doc,
        S.DUPLICATE,
        f"same invoice as document #{twin.id} (supplier {doc.supplier_vat},"
        f" number {doc.invoice_number})",
        code="same_invoice",
    )
    return []


# ----------------------------------------------------------------------------- propose


def propose_step(rt: Runtime, document_id: int) -> list[NextStep]:
    """Propose the journal entry of an extracted document."""
    from pipeline import bookings

    with rt.tx() as s:
        doc = repo.get_document(s, document_id, lock=True)
        if doc.state != S.EXTRACTED.value:
            return []
        extraction = repo.get_extraction(s, doc.id)
        if extraction is None:
            repo.set_state(s, doc, S.FAILED, "extraction result missing", code="internal")
            return []
        invoice = from_json(extraction.invoice)
        mandate.check_mandate(doc, repo.get_dossier(s, doc.dossier_id), invoice)
        bookings.propose_for_document(s, doc, invoice)
    return []
