"""Payment fraud checks: IBANs against the supplier's known ones, twins, sender trust.

An invoice whose IBAN the accountant never accepted for its supplier gets a
prominent alert on the document and is never booked automatically; a changed
IBAN, new (the supplier has no accepted IBAN yet) or changed (it has others), cannot
be booked until the accountant confirms it explicitly (audited: who, when, which
IBAN, for which supplier); booking never confirms an IBAN by itself.  Two copies
of one invoice (a UBL and its PDF) only collapse into one when their payment
details agree.  A document that came by mail is booked automatically only when
the mail is authenticated (DMARC-aligned SPF or DKIM pass, see
:mod:`intake.mailauth`).
"""

from __future__ import annotations

from typing import Any

from extractors.model import InvoiceData
from storage import trust
from storage.models import Document

__all__ = [
    "IBAN_ALERT",
    "PAYMENT_CONFLICT",
    "SENDER_ALERT",
    "alerts_of",
    "autobook_blockers",
    "check_iban",
    "drop_alert",
    "payment_disagreement",
    "put_alert",
]

IBAN_ALERT = "iban_unconfirmed"
PAYMENT_CONFLICT = "payment_conflict"
SENDER_ALERT = "sender_unauthenticated"


# ----------------------------------------------------------------------------- alerts


def alerts_of(doc: Document) -> list[dict[str, Any]]:
    return [dict(a) for a in (doc.alerts or []) if isinstance(a, dict)]


def put_alert(doc: Document, code: str, message: str, **extra: Any) -> None:
    """Set the document's alert ``code`` (replacing an older one of that code)."""
    kept = [a for a in alerts_of(doc) if a.get("code") != code]
    doc.alerts = [*kept, {"code": code, "message": message, **extra}]


def drop_alert(doc: Document, code: str) -> bool:
    before = alerts_of(doc)
    kept = [a for a in before if a.get("code") != code]
    if len(kept) != len(before):
        doc.alerts = kept or None
        return True
    return False


def alert(doc: Document, code: str) -> dict[str, Any] | None:
    return next((a for a in alerts_of(doc) if a.get("code") == code), None)


# ----------------------------------------------------------------------------- IBAN


def check_iban(
    s: Any, doc: Document, *, supplier_id: int | None, iban: str | None
) -> dict[str, Any] | None:
    """Compare the invoice's IBAN with the supplier's accepted IBANs; set or clear the alert.

    Returns the alert (``kind`` "new": the supplier has no accepted IBAN yet;
    "changed": it has others), or None when the IBAN is known or absent.
    """
    value = trust.normal_iban(iban)
    if value is None or supplier_id is None:
        drop_alert(doc, IBAN_ALERT)
        return None
    known = trust.known_ibans(s, supplier_id)
    if value in known:
        drop_alert(doc, IBAN_ALERT)
        return None
    if known:
        kind = "changed"
        message = (
            f"CHANGED IBAN: this invoice asks for payment to {value}, but this supplier was"
            f" paid to {', '.join(known)} until now. Check with the supplier by phone before"
            " paying; confirm the new IBAN explicitly to book."
        )
    else:
        kind = "new"
        message = (
            f"NEW IBAN: {value} was never confirmed for this supplier. Check it with the"
            " supplier (by phone, not with the contact details on this invoice) and confirm"
            " it explicitly to book."
        )
    put_alert(doc, IBAN_ALERT, message, iban=value, known=known, kind=kind, supplier_id=supplier_id)
    return alert(doc, IBAN_ALERT)


def accept_iban(
    s: Any, doc: Document, *, user_id: int | None, source: str, iban: str | None = None
) -> str | None:
    """Record the document's open IBAN (or ``iban``) as accepted for its supplier.

    Returns the accepted IBAN, or None when there was nothing to accept.
    """
    found = alert(doc, IBAN_ALERT)
    if found is None:
        return None
    value = trust.normal_iban(iban) or str(found.get("iban") or "")
    if not value or value != found.get("iban") or found.get("supplier_id") is None:
        return None
    trust.remember_iban(
        s,
        dossier_id=doc.dossier_id,
        supplier_id=int(found["supplier_id"]),
        iban=value,
        source=source,
        document_id=doc.id,
        user_id=user_id,
    )
    drop_alert(doc, IBAN_ALERT)
    return value


def learn_booked_iban(
    s: Any, doc: Document, *, supplier_id: int | None, iban: str | None, user_id: int | None
) -> bool:
    """After a manual booking: remember the invoice's IBAN for its supplier."""
    value = trust.normal_iban(iban)
    if value is None or supplier_id is None:
        return False
    return trust.remember_iban(
        s,
        dossier_id=doc.dossier_id,
        supplier_id=supplier_id,
        iban=value,
        source="booked",
        document_id=doc.id,
        user_id=user_id,
    )


# ----------------------------------------------------------------------------- twins


def _reference(ref: str | None) -> str | None:
    if not ref:
        return None
    text = "".join(ch for ch in ref.upper() if ch.isalnum())
    return text or None


def payment_disagreement(a: InvoiceData, b: InvoiceData) -> str | None:
    """Why two copies of one invoice cannot be the same payment, or None when they agree.

    IBAN and structured payment reference are compared when both copies carry
    them; a value only one copy shows (a PDF whose text missed it) is no conflict.
    """
    problems = []
    iban_a, iban_b = trust.normal_iban(a.iban), trust.normal_iban(b.iban)
    if iban_a and iban_b and iban_a != iban_b:
        problems.append(f"IBAN {iban_a} vs {iban_b}")
    ref_a, ref_b = _reference(a.payment_reference), _reference(b.payment_reference)
    if ref_a and ref_b and ref_a != ref_b:
        problems.append(f"payment reference {a.payment_reference} vs {b.payment_reference}")
    return "; ".join(problems) or None


# ----------------------------------------------------------------------------- sender


def sender_problem(s: Any, doc: Document) -> str | None:
    """Why the mail a document came with is not authenticated, or None.

    Documents that did not come by mail (an upload by a logged-in user) have no
    sender to authenticate.
    """
    mail = trust.mail_of(s, doc)
    if mail is None:
        return None
    auth = mail.auth or {}
    if mail.auth_domain:
        return None
    if not auth:
        return "the sender of the mail was not checked (SPF, DKIM, DMARC)"
    return (
        "the sender of the mail is not authenticated (SPF "
        f"{auth.get('spf', 'none')}, DKIM {auth.get('dkim', 'none')},"
        f" DMARC {auth.get('dmarc', 'none')})"
    )


def autobook_blockers(s: Any, doc: Document) -> list[str]:
    """Why this document must not be booked automatically (empty: it may be)."""
    out = []
    iban = alert(doc, IBAN_ALERT)
    if iban is not None:
        out.append(f"{iban.get('kind', 'new')} IBAN {iban.get('iban')} not confirmed")
    if alert(doc, PAYMENT_CONFLICT) is not None:
        out.append("another copy of this invoice has different payment details")
    sender = sender_problem(s, doc)
    if sender is not None:
        out.append(sender)
    return out
