"""Queries of the Peppol-mandate watch (see :mod:`pipeline.mandate`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Document

__all__ = ["flagged_documents"]

_STRUCTURED = ("application/xml", "text/xml")


def flagged_documents(
    session: Session, dossier_id: int, *, after: dt.date, code: str, limit: int = 5000
) -> list[Document]:
    """Non-structured documents of the dossier dated after ``after`` that carry the
    alert ``code`` and are not a duplicate (an e-invoice replaced them), newest first."""
    rows = session.scalars(
        select(Document)
        .where(
            Document.dossier_id == dossier_id,
            Document.invoice_date > after,
            Document.content_type.not_in(_STRUCTURED),
            Document.state.not_in(("duplicate", "rejected")),
        )
        .order_by(Document.invoice_date.desc(), Document.id.desc())
        .limit(limit)
    )
    return [
        d
        for d in rows
        if any(isinstance(a, dict) and a.get("code") == code for a in (d.alerts or []))
    ]
