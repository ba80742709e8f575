"""Review helpers: book a document without a proposal, give an exchange rate, mark a twin."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from pipeline.service.core import Permission, Refused, ServiceBase, UserView, requires
from pipeline.service.views import EntryView, entry_view
from storage import repo
from storage.states import LABELS, DocumentState

S = DocumentState
BOOK = Permission.BOOK_PURCHASES
MAX_RATE = Decimal("1000000")


def parse_amount(text: str, what: str) -> Decimal:
    """A Belgian or English number: ``37,51``, ``1.234,56``, ``1,234.56``, ``1 234,56``."""
    from booking.amounts import plain_number

    try:
        value = Decimal(plain_number(text))
    except InvalidOperation:
        raise Refused(f"{what} must be a number like 1,0850, got {str(text)[:40]!r}") from None
    if not value.is_finite():
        raise Refused(f"{what} must be a number like 1,0850, got {str(text)[:40]!r}")
    return value


class ReviewService(ServiceBase):
    @requires(Permission.BOOK_PURCHASES)
    def draft_entry(self, user: UserView, doc_id: int) -> EntryView:
        """A draft entry for a document waiting for review without a proposal.

        Prefilled from the extracted fields (supplier, date, VAT per rate, total);
        confirm() then books it with the usual checks.  Idempotent: an existing
        entry is returned unchanged.
        """
        from extractors.model import from_json
        from pipeline import bookings

        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id, lock=True, permission=BOOK)
            self._require(s, user, doc.dossier_id, BOOK)
            if doc.state != S.PROPOSED.value:
                raise Refused(
                    "only documents waiting for review can be booked by hand (this one is "
                    f"{LABELS[DocumentState(doc.state)].lower()})"
                )
            existing = repo.entry_for_document(s, doc.id)
            if existing is not None:
                return entry_view(existing)
            extraction = repo.get_extraction(s, doc.id)
            if extraction is None:
                raise Refused("this document has no extracted fields: reprocess it first")
            entry = bookings.manual_entry(s, doc, from_json(extraction.invoice))
            repo.audit(
                s,
                "draft_by_hand",
                user_id=user.id,
                dossier_id=doc.dossier_id,
                document_id=doc.id,
                entry_id=entry.id,
            )
            return entry_view(entry)

    @requires(Permission.BOOK_PURCHASES)
    def set_rate(self, user: UserView, doc_id: int, rate: str | Decimal) -> EntryView:
        """Book a foreign-currency document in euro at the rate the accountant gives.

        ``rate`` is units of the document currency for one euro (as the ECB quotes,
        ``1 EUR = 1,0850 USD``); a decimal comma is fine.  The proposal is recomputed
        in euro and the entry keeps the rate with source ``user`` (audited); when no
        entry can be proposed even in euro, the entry by hand is made at this rate.
        """
        from extractors.model import from_json
        from pipeline import bookings

        value = rate if isinstance(rate, Decimal) else parse_amount(str(rate), "The rate")
        if not value.is_finite() or value <= 0 or value > MAX_RATE:
            raise Refused(f"The rate must be a positive number (1 EUR = ? currency), got {rate}")
        value = value.quantize(Decimal("0.000001"))
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id, lock=True, permission=BOOK)
            self._require(s, user, doc.dossier_id, BOOK)
            if doc.state != S.PROPOSED.value:
                raise Refused("a rate can only be given while the document waits for review")
            extraction = repo.get_extraction(s, doc.id)
            if extraction is None:
                raise Refused("this document has no extracted fields: reprocess it first")
            invoice = from_json(extraction.invoice)
            currency = (invoice.currency or "EUR").strip().upper()
            if currency == "EUR":
                raise Refused("this invoice is in euro: it needs no exchange rate")
            before = repo.entry_for_document(s, doc.id)
            previous = before.exchange_rate if before is not None else None
            why = bookings.propose_at_rate(s, doc, invoice, value)
            entry = repo.entry_for_document(s, doc.id)
            if why is not None or entry is None:
                # no proposal even in euro: the entry by hand, its amounts at this rate
                entry = bookings.manual_entry(s, doc, invoice, rate=value)
            repo.audit(
                s,
                "set_rate",
                user_id=user.id,
                dossier_id=doc.dossier_id,
                document_id=doc.id,
                currency=currency,
                rate=str(value),
                previous=None if previous is None else str(previous),
            )
            return entry_view(entry)

    @requires(Permission.BOOK_PURCHASES)
    def mark_same_invoice(self, user: UserView, doc_id: int) -> int:
        """One click on a possible-duplicate warning: mark the document a duplicate of the other.

        Returns the other document's id.  Idempotent (a second click changes nothing);
        refused when the copies ask for payment differently.
        """
        from pipeline import payment_trust, twins

        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id, lock=True, permission=BOOK)
            self._require(s, user, doc.dossier_id, BOOK)
            found = payment_trust.alert(doc, twins.POSSIBLE_DUPLICATE)
            if found is None:
                if doc.state == S.DUPLICATE.value and doc.duplicate_of_id is not None:
                    return int(doc.duplicate_of_id)
                raise Refused("this document has no possible-duplicate warning")
            other = self._document(s, user, int(found["other_id"]))
            try:
                changed = twins.mark_twin(s, doc, other, by=user.username)
            except (twins.TwinRefused, ValueError) as exc:
                raise Refused(str(exc)) from None
            if changed:
                repo.audit(
                    s,
                    "mark_duplicate",
                    user_id=user.id,
                    dossier_id=doc.dossier_id,
                    document_id=doc.id,
                    of=other.id,
                )
            return other.id
