"""Payment trust data: the IBANs the accountant accepted per supplier, and mail authentication.

A supplier's known IBANs are learned only from the accountant (a booking or an
explicit IBAN confirmation), never from an incoming document, so an invoice
that brings a new IBAN cannot vouch for itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Document, Mail, SupplierIban, utcnow

__all__ = ["known_ibans", "mail_of", "normal_iban", "remember_iban", "set_mail_auth"]


def normal_iban(iban: str | None) -> str | None:
    """Upper case without spaces or punctuation; None for an empty value."""
    if not iban:
        return None
    text = "".join(ch for ch in iban.upper() if ch.isalnum())
    return text or None


def known_ibans(session: Session, supplier_id: int) -> list[str]:
    """The IBANs accepted for a supplier, oldest first."""
    return list(
        session.scalars(
            select(SupplierIban.iban)
            .where(SupplierIban.supplier_id == supplier_id)
            .order_by(SupplierIban.id)
        )
    )


def remember_iban(
    session: Session,
    *,
    dossier_id: int,
    supplier_id: int,
    iban: str,
    source: str,
    document_id: int | None,
    user_id: int | None,
) -> bool:
    """Add an accepted IBAN to a supplier; False when it was known already (idempotent)."""
    value = normal_iban(iban)
    if value is None:
        return False
    found = session.scalar(
        select(SupplierIban.id).where(
            SupplierIban.supplier_id == supplier_id, SupplierIban.iban == value
        )
    )
    if found is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                SupplierIban(
                    dossier_id=dossier_id,
                    supplier_id=supplier_id,
                    iban=value,
                    source=source,
                    document_id=document_id,
                    confirmed_by=user_id,
                    confirmed_at=utcnow(),
                )
            )
            session.flush()
    except IntegrityError:  # a concurrent confirmation of the same IBAN
        return False
    return True


def mail_of(session: Session, doc: Document) -> Mail | None:
    """The mail a document came with (its own for a mail document), or None."""
    return session.get(Mail, doc.mail_id) if doc.mail_id is not None else None


def set_mail_auth(mail: Mail, result: dict[str, Any], domain: str | None) -> None:
    mail.auth = dict(result)
    mail.auth_domain = domain
