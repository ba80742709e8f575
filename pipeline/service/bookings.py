"""Bookings: draft, confirm and reopen entries, field corrections, journals."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from pipeline import payment_trust
from pipeline.service.approval import mark_booked
from pipeline.service.core import Permission, Refused, ServiceBase, UserView, requires
from pipeline.service.views import EntryView, entry_view
from storage import repo
from storage.models import Dossier, JournalEntry, Supplier
from storage.states import LABELS, DocumentState

S = DocumentState
BOOK = Permission.BOOK_PURCHASES


class BookingsService(ServiceBase):
    @requires(Permission.BOOK_PURCHASES)
    def save_draft(self, user: UserView, doc_id: int, lines: Sequence[dict[str, Any]]) -> EntryView:
        """Keep the accountant's edited lines without booking."""
        clean = normalise_lines(lines)
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id, lock=True, permission=BOOK)
            entry = repo.entry_for_document(s, doc.id)
            if entry is None:
                raise Refused("this document has no proposed entry")
            if entry.status == "booked":
                raise Refused("the entry is booked; reopen it first")
            _replace_lines(s, entry, clean)
            entry.status = "draft"
            entry.edited = True
            repo.audit(
                s, "save_draft", user_id=user.id, dossier_id=doc.dossier_id, document_id=doc.id
            )
            return entry_view(entry)

    @requires(Permission.BOOK_PURCHASES)
    def confirm(
        self,
        user: UserView,
        doc_id: int,
        lines: Sequence[dict[str, Any]] | None = None,
        *,
        iban_checked: bool = False,
    ) -> EntryView:
        """Book the (possibly edited) entry; the document stays linked to it.

        An invoice whose IBAN was never confirmed for its supplier (new or changed)
        is refused until the IBAN is confirmed (:meth:`confirm_iban`), or unless
        ``iban_checked``: the accountant states in this same action that they
        checked the IBAN with the supplier (confirmed and audited with the booking).
        """
        from extractors.model import from_json
        from pipeline import bookings

        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id, lock=True, permission=BOOK)
            if doc.state != S.PROPOSED.value:
                raise Refused(
                    f"only documents waiting for review can be booked (this one is "
                    f"{LABELS[DocumentState(doc.state)].lower()})"
                )
            entry = repo.entry_for_document(s, doc.id)
            if entry is None:
                raise Refused("this document has no proposed entry")
            iban_alert = payment_trust.alert(doc, payment_trust.IBAN_ALERT)
            if iban_alert is not None and not iban_checked:
                raise Refused(_iban_refusal(s, iban_alert))
            before = _lines_signature(entry)
            if lines is not None:
                _replace_lines(s, entry, normalise_lines(lines))
            problems = check_entry_rules(entry, repo.get_dossier(s, doc.dossier_id))
            if problems:
                raise Refused("; ".join(problems))
            unconverted = bookings.currency_refusal(s, doc, entry)
            if unconverted is not None:  # never booked in a foreign currency as if in euro
                raise Refused(unconverted)
            edited = entry.edited or _lines_signature(entry) != before
            entry.edited = edited
            bookings.book_entry(s, doc, entry, user_id=user.id)
            mark_booked(s, user, entry)  # a client's booking waits for the accountant
            if iban_alert is not None:  # checked by the accountant in this action
                _accept_iban(s, user, doc, iban_alert, via="booking")
            extraction = repo.get_extraction(s, doc.id)
            invoice = from_json(extraction.invoice) if extraction is not None else None
            bookings.learn(s, entry, edited=edited, invoice=invoice)
            repo.audit(
                s,
                "confirm",
                user_id=user.id,
                dossier_id=doc.dossier_id,
                document_id=doc.id,
                entry_id=entry.id,
                edited=edited,
                number=entry.number,
            )
            return entry_view(entry)

    @requires(Permission.BOOK_PURCHASES)
    def confirm_iban(self, user: UserView, doc_id: int, iban: str) -> str:
        """The accountant confirms the new or changed IBAN of an invoice (audited).

        ``iban`` must be the one the document's warning shows (a stale page
        cannot confirm another); it becomes a known IBAN of the supplier.
        """
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id, lock=True, permission=BOOK)
            found = payment_trust.alert(doc, payment_trust.IBAN_ALERT)
            if found is None:
                raise Refused("this document has no IBAN waiting for confirmation")
            wanted = "".join(ch for ch in iban.upper() if ch.isalnum())
            if wanted != found.get("iban"):
                raise Refused(f"the IBAN waiting for confirmation is {found.get('iban')}")
            return _accept_iban(s, user, doc, found, via="explicit")

    @requires(Permission.BOOK_PURCHASES)
    def reopen(self, user: UserView, doc_id: int) -> EntryView:
        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id, lock=True, permission=BOOK)
            entry = repo.entry_for_document(s, doc.id)
            if doc.state != S.BOOKED.value or entry is None:
                raise Refused("only booked documents can be reopened")
            locked = _lock_reason(repo.get_dossier(s, doc.dossier_id), entry.period)
            if locked:
                raise Refused(locked)
            entry.status = "proposed"
            repo.set_state(s, doc, S.PROPOSED, None, timing="reopened")
            repo.audit(s, "reopen", user_id=user.id, dossier_id=doc.dossier_id, document_id=doc.id)
            return entry_view(entry)

    @requires(Permission.BOOK_PURCHASES)
    def correct_field(self, user: UserView, doc_id: int, field_name: str, value: str) -> None:
        """Store a corrected extracted field (and learn the supplier's hint)."""
        from pipeline import corrections

        with self.rt.tx() as s:
            doc = self._document(s, user, doc_id, lock=True, permission=BOOK)
            try:
                corrections.apply(s, self.rt, doc, field_name, value, user_id=user.id)
            except corrections.CorrectionError as exc:
                raise Refused(str(exc)) from None

    @requires(Permission.VIEW_BOOKS)
    def entries(
        self,
        user: UserView,
        dossier_id: int,
        *,
        journal: str | None = None,
        period: str | None = None,
        offset: int = 0,
        limit: int = 200,
    ) -> list[EntryView]:
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, Permission.VIEW_BOOKS)
            return [
                entry_view(e)
                for e in repo.list_entries(
                    s,
                    dossier_id=dossier_id,
                    journal=journal,
                    period=period,
                    offset=offset,
                    limit=limit,
                )
            ]


# ----------------------------------------------------------------------------- helpers


def _supplier_name(s: Any, found: dict[str, Any]) -> str:
    sid = found.get("supplier_id")
    supplier = s.get(Supplier, int(sid)) if sid is not None else None
    if supplier is None:
        return "this supplier"
    return str(supplier.name or supplier.vat_number or f"supplier #{sid}")


def _iban_refusal(s: Any, found: dict[str, Any]) -> str:
    what = "a changed IBAN" if found.get("kind") == "changed" else "a new IBAN"
    return (
        f"this invoice asks for payment to {what} ({found.get('iban')}) never confirmed for"
        f" {_supplier_name(s, found)}: check it with the supplier, then confirm the IBAN"
        " (or state that you checked it) to book"
    )


def _accept_iban(s: Any, user: UserView, doc: Any, found: dict[str, Any], *, via: str) -> str:
    """Record the IBAN as the supplier's and audit who confirmed it, when, for whom."""
    accepted = payment_trust.accept_iban(s, doc, user_id=user.id, source=f"confirmed:{via}")
    if accepted is None:
        raise Refused("the IBAN could not be confirmed (no supplier)")
    repo.audit(
        s,
        "iban_confirmed",
        user_id=user.id,
        dossier_id=doc.dossier_id,
        document_id=doc.id,
        iban=accepted,
        kind=found.get("kind"),
        previous=list(found.get("known") or ()),
        supplier_id=found.get("supplier_id"),
        supplier=_supplier_name(s, found),
        via=via,
    )
    return accepted


def _money(value: Any, what: str) -> Decimal:
    """UI tables hand back floats: go through str, round to cents, refuse junk."""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return Decimal("0.00")
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise Refused(f"{what} is not an amount: {value!r}") from None
    if amount < 0:
        raise Refused(f"{what} cannot be negative: {amount}")
    return amount


def normalise_lines(lines: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for n, ln in enumerate(lines, start=1):
        account = str(ln.get("account") or "").strip().split(" ", 1)[0]
        if not account:
            raise Refused(f"line {n} has no account")
        grids = ln.get("vat_grids", ln.get("vat_grid")) or ()
        if isinstance(grids, str):
            grids = [g.strip() for g in grids.split(",") if g.strip()]
        debit = _money(ln.get("debit"), f"line {n} debit")
        credit = _money(ln.get("credit"), f"line {n} credit")
        if debit == 0 and credit == 0:
            continue
        out.append(
            {
                "account": account,
                "debit": debit,
                "credit": credit,
                "vat_code": (ln.get("vat_code") or None),
                "vat_grids": [str(g) for g in grids],
                "description": str(ln.get("description") or ""),
                "reason": str(ln.get("reason") or "edited by the accountant"),
                "confidence": float(ln.get("confidence") or 1.0),
                "kind": str(ln.get("kind") or "base"),
            }
        )
    return out


def _replace_lines(s: Any, entry: JournalEntry, lines: list[dict[str, Any]]) -> None:
    from storage.models import JournalLine

    entry.lines.clear()
    s.flush()
    for seq, ln in enumerate(lines, start=1):
        entry.lines.append(JournalLine(seq=seq, **ln))
    s.flush()


def _lines_signature(entry: JournalEntry) -> list[tuple[str, Decimal, Decimal]]:
    return sorted(
        (
            ln.account,
            Decimal(ln.debit).quantize(Decimal("0.01")),
            Decimal(ln.credit).quantize(Decimal("0.01")),
        )
        for ln in entry.lines
    )


def _lock_reason(dossier: Dossier, period: str) -> str | None:
    """Why ``period`` is locked for ``dossier`` (booking's rule), or None."""
    from booking.periods import lock_reason
    from pipeline.bookings import dossier_context

    return lock_reason(period, dossier_context(dossier))


def check_entry_rules(entry: JournalEntry, dossier: Dossier) -> list[str]:
    problems = []
    debit = sum((Decimal(ln.debit) for ln in entry.lines), Decimal("0"))
    credit = sum((Decimal(ln.credit) for ln in entry.lines), Decimal("0"))
    if not entry.lines:
        problems.append("the entry has no lines")
    if debit != credit:
        problems.append(f"the entry does not balance: debit {debit:.2f} vs credit {credit:.2f}")
    locked = _lock_reason(dossier, entry.period)
    if locked:
        problems.append(locked)
    return problems
