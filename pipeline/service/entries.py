"""Every journal by hand: manual entries, opening balances, bookyears, period locks,
and the accountant's approval of what a client booked.

Journals: ``purchase`` and ``sales`` (fed by documents, by hand too), ``bank`` (the
financial journal: by hand here; a CODA import matches payments, see
:mod:`.invoicing`) and ``misc`` (miscellaneous: VAT settlement, depreciation, opening
balances).  An entry by hand needs ``MANUAL_ENTRIES`` plus the right of its journal.
Every entry is checked like a document's booking (balance to the cent, accounts in the
chart, VAT grids, open period) and numbered gapless per journal and bookyear.

A *client* is a member of the dossier whose membership role is not ``accountant`` and
who is not an admin.  What a client books (a document or an entry by hand) is marked
``by_client`` and waits for the accountant's approval; the accountant approves it or
sends it back to review with a comment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from booking.amounts import plain_number
from booking.check import check_entry, to_decimal
from booking.context import Dossier as BookingDossier
from booking.errors import InvalidContext
from booking.opening import OpeningError, carry_forward, parse_trial_balance
from booking.periods import lock_reason, period_info, period_of
from pipeline.service.approval import is_client, mark_booked
from pipeline.service.core import (
    AccessDenied,
    Permission,
    Refused,
    ServiceBase,
    ServiceError,
    UserView,
    requires,
)
from pipeline.service.views import EntryView, entry_view
from storage import entries as store
from storage import repo
from storage.models import Dossier, JournalEntry, JournalLine, utcnow
from storage.states import DocumentState

P = Permission

#: journal code -> the right it needs besides MANUAL_ENTRIES for an entry by hand
JOURNALS: dict[str, Permission] = {
    "purchase": P.BOOK_PURCHASES,
    "sales": P.BOOK_SALES,
    "bank": P.MANAGE_PAYMENTS,
    "misc": P.MANUAL_ENTRIES,
}
JOURNAL_LABELS = {
    "purchase": "Purchases",
    "sales": "Sales",
    "bank": "Financial (bank)",
    "misc": "Miscellaneous",
}
OPENING_JOURNAL = "misc"
MAX_LINES = 500


@dataclass(frozen=True, slots=True)
class PeriodLocks:
    locked_through: str | None
    locked_periods: tuple[str, ...]
    bookyear_start_month: int


@dataclass(frozen=True, slots=True)
class BookyearView:
    name: str
    first_period: str
    last_period: str
    entries: int
    has_opening: bool


def _period(value: str) -> str:
    text = str(value or "").strip()[:7]
    try:
        lock_reason(text, BookingDossier())
    except InvalidContext:
        raise Refused(f"period {str(value)[:20]!r} is not YYYY-MM") from None
    return text


def _add_months(period: str, n: int) -> str:
    y, m = int(period[:4]), int(period[5:7]) - 1 + n
    return f"{y + m // 12:04d}-{m % 12 + 1:02d}"


def _context(dossier: Dossier) -> Any:
    from pipeline.bookings import dossier_context

    return dossier_context(dossier)


def _chart(s: Any, dossier: Dossier) -> list[str]:
    numbers = [a.number for a in repo.list_accounts(s, dossier.id) if a.active]
    if numbers:
        return numbers
    return [a.number for a in _context(dossier).chart]


def _first_period(bookyear: str, start_month: int) -> str:
    return f"{int(bookyear[:4]):04d}-{start_month:02d}"


class EntriesService(ServiceBase):
    # -- journals and entries by hand ----------------------------------------------------
    @requires(P.VIEW_BOOKS)
    def journal_list(self, user: UserView, dossier_id: int) -> list[tuple[str, str]]:
        """The journals of the dossier: (code, label)."""
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW_BOOKS)
            return list(JOURNAL_LABELS.items())

    @requires(P.MANUAL_ENTRIES)
    def add_manual_entry(
        self,
        user: UserView,
        dossier_id: int,
        journal: str,
        date: dt.date,
        lines: Sequence[dict[str, Any]],
        *,
        description: str = "",
    ) -> EntryView:
        """Book an entry typed by hand; refused with every reason, nothing saved."""
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.MANUAL_ENTRIES)
            if journal not in JOURNALS:
                raise Refused(f"unknown journal {journal!r}: one of {', '.join(JOURNALS)}")
            self._require(s, user, dossier_id, JOURNALS[journal])
            if len(lines) > MAX_LINES:
                raise Refused(f"an entry has at most {MAX_LINES} lines")
            clean = _normalise(lines)
            dossier = store.lock_dossier(s, dossier_id)
            entry = self._book_new(
                s,
                user,
                dossier,
                journal,
                date,
                clean,
                origin="manual",
                reason=description.strip()[:500] or "entry by hand",
            )
            repo.audit(
                s,
                "manual_entry",
                user_id=user.id,
                dossier_id=dossier_id,
                entry_id=entry.id,
                journal=journal,
                number=entry.number,
                bookyear=entry.bookyear,
                date=date.isoformat(),
                by_client=entry.by_client,
            )
            return entry_view(entry)

    def _book_new(
        self,
        s: Any,
        user: UserView,
        dossier: Dossier,
        journal: str,
        date: dt.date,
        lines: list[dict[str, Any]],
        *,
        origin: str,
        reason: str,
        number: int | None = None,
        extra_accounts: frozenset[str] = frozenset(),
    ) -> JournalEntry:
        ctx = _context(dossier)
        period = period_of(date)
        problems = check_entry(
            [{**ln, "vat_grid": ln["vat_grids"]} for ln in lines],
            period=period,
            dossier=ctx,
            chart=(),
        )
        chart = set(_chart(s, dossier)) | extra_accounts
        problems = [p for p in problems if "not in the dossier's chart" not in p]
        problems[:0] = [
            f"line {i}: account {ln['account']} is not in the dossier's chart"
            for i, ln in enumerate(lines, start=1)
            if ln["account"] not in chart
        ]
        if problems:
            raise Refused("; ".join(problems))
        info = period_info(period, ctx)
        entry = JournalEntry(
            dossier_id=dossier.id,
            journal=journal,
            bookyear=info.bookyear,
            period=period,
            vat_period=info.vat_period,
            date=date,
            status="booked",
            origin=origin,
            reason=reason,
            warnings=[],
            confidence=1.0,
            edited=True,
            booked_by=user.id,
            booked_at=utcnow(),
            number=number or repo.next_entry_number(s, dossier.id, journal, info.bookyear),
        )
        for seq, ln in enumerate(lines, start=1):
            entry.lines.append(JournalLine(seq=seq, **ln))
        s.add(entry)
        mark_booked(s, user, entry)
        s.flush()
        return entry

    @requires(P.MANUAL_ENTRIES)
    def add_account(
        self, user: UserView, dossier_id: int, number: str, name: str, name_fr: str = ""
    ) -> bool:
        """Add an account to the dossier's chart (e.g. 550000 bank, 100000 capital);
        False when it is there already."""
        num = str(number or "").strip()
        if not num.isdigit() or not 3 <= len(num) <= 12:
            raise Refused(f"account number {num[:20]!r} is not 3 to 12 digits")
        label = str(name or "").strip()[:200]
        if not label:
            raise Refused("an account needs a name")
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.MANUAL_ENTRIES)
            added = repo.install_accounts(
                s,
                dossier_id,
                [{"number": num, "name_nl": label, "name_fr": str(name_fr or "")[:200]}],
            )
            if added:
                repo.audit(s, "account_added", user_id=user.id, dossier_id=dossier_id, number=num)
            return bool(added)

    # -- period locks ----------------------------------------------------------------------
    @requires(P.VIEW_BOOKS)
    def period_locks(self, user: UserView, dossier_id: int) -> PeriodLocks:
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW_BOOKS)
            return _locks(repo.get_dossier(s, dossier_id))

    @requires(P.CLOSE_PERIODS)
    def lock_periods(self, user: UserView, dossier_id: int, through: str) -> PeriodLocks:
        """Lock every period up to and including ``through`` (``YYYY-MM``)."""
        period = _period(through)
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.CLOSE_PERIODS)
            dossier = store.lock_dossier(s, dossier_id)
            st = dict(dossier.settings or {})
            before = st.get("locked_through")
            if before and str(before)[:7] >= period:
                raise Refused(f"periods through {str(before)[:7]} are locked already")
            st["locked_through"] = period
            dossier.settings = st
            repo.audit(
                s,
                "periods_locked",
                user_id=user.id,
                dossier_id=dossier_id,
                through=period,
                before=before,
            )
            return _locks(dossier)

    @requires(P.CLOSE_PERIODS)
    def unlock_period(self, user: UserView, dossier_id: int, period: str) -> PeriodLocks:
        """Reopen ``period`` and every later one (an earlier lock stays)."""
        wanted = _period(period)
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.CLOSE_PERIODS)
            dossier = store.lock_dossier(s, dossier_id)
            st = dict(dossier.settings or {})
            before = st.get("locked_through")
            extra = [p for p in st.get("locked_periods") or () if p < wanted]
            if (not before or str(before)[:7] < wanted) and extra == list(
                st.get("locked_periods") or ()
            ):
                raise Refused(f"period {wanted} is not locked")
            if before and str(before)[:7] >= wanted:
                previous = _add_months(wanted, -1)
                st["locked_through"] = previous
            st["locked_periods"] = extra
            dossier.settings = st
            repo.audit(
                s,
                "period_unlocked",
                user_id=user.id,
                dossier_id=dossier_id,
                period=wanted,
                before=before,
                after=st.get("locked_through"),
            )
            return _locks(dossier)

    # -- bookyears and opening balances ------------------------------------------------------
    @requires(P.VIEW_BOOKS)
    def bookyears(self, user: UserView, dossier_id: int) -> list[BookyearView]:
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW_BOOKS)
            dossier = repo.get_dossier(s, dossier_id)
            return [self._bookyear_view(s, dossier, name) for name in _known(s, dossier)]

    def _bookyear_view(self, s: Any, dossier: Dossier, name: str) -> BookyearView:
        start = _context(dossier).bookyear_start_month
        first = _first_period(name, start)
        return BookyearView(
            name=name,
            first_period=first,
            last_period=_add_months(first, 11),
            entries=len(repo.list_entries(s, dossier_id=dossier.id, bookyear=name, limit=10**6)),
            has_opening=store.opening_entry(s, dossier.id, name) is not None,
        )

    @requires(P.CLOSE_PERIODS)
    def create_bookyear(self, user: UserView, dossier_id: int) -> BookyearView:
        """Open the bookyear after the latest one and carry its balances (classes 1-5;
        the result on 140000/141000) as the new year's opening entry."""
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.CLOSE_PERIODS)
            dossier = store.lock_dossier(s, dossier_id)
            ctx = _context(dossier)
            known = _known(s, dossier)
            if known:
                latest = known[-1]
                first = _add_months(_first_period(latest, ctx.bookyear_start_month), 12)
            else:
                latest = None
                first = period_info(period_of(dt.date.today()), ctx).bookyear
                first = _first_period(first, ctx.bookyear_start_month)
            name = period_info(first, ctx).bookyear
            lines: list[dict[str, Any]] = []
            if latest is not None:
                carried = carry_forward(store.account_balances(s, dossier_id, latest))
                lines = [
                    _line(ln.account, ln.debit, ln.credit, "carried forward") for ln in carried
                ]
            if lines:
                chart = set(_chart(s, dossier))
                missing = [ln["account"] for ln in lines if ln["account"] not in chart]
                _install_carry_accounts(s, dossier_id, missing)
                self._book_new(
                    s,
                    user,
                    dossier,
                    OPENING_JOURNAL,
                    _first_day(first),
                    lines,
                    origin="opening",
                    reason=f"opening balances carried from bookyear {latest}",
                    extra_accounts=frozenset(_CARRY_NAMES),
                )
            st = dict(dossier.settings or {})
            st["bookyears"] = sorted({*(st.get("bookyears") or ()), name})
            dossier.settings = st
            repo.audit(
                s,
                "bookyear_created",
                user_id=user.id,
                dossier_id=dossier_id,
                bookyear=name,
                carried_from=latest,
                lines=len(lines),
            )
            s.flush()
            return self._bookyear_view(s, dossier, name)

    @requires(P.MANUAL_ENTRIES)
    def import_opening(
        self,
        user: UserView,
        dossier_id: int,
        bookyear: str,
        data: bytes,
        *,
        replace: bool = False,
    ) -> EntryView:
        """Opening balances of ``bookyear`` from a trial balance CSV (account;debit;credit).

        All or nothing: every problem is refused with its line number.  ``replace``
        swaps an earlier opening entry (it keeps its number: no gap)."""
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.MANUAL_ENTRIES)
            dossier = store.lock_dossier(s, dossier_id)
            ctx = _context(dossier)
            if not str(bookyear)[:4].isdigit():
                raise Refused(f"bookyear {bookyear!r} is not a year")
            first = _first_period(str(bookyear), ctx.bookyear_start_month)
            name = period_info(first, ctx).bookyear
            try:
                parsed = parse_trial_balance(data, _chart(s, dossier))
            except OpeningError as exc:
                raise Refused(f"the trial balance is refused, nothing was saved: {exc}") from None
            old = store.opening_entry(s, dossier_id, name)
            number = None
            if old is not None:
                if not replace:
                    raise Refused(
                        f"bookyear {name} has opening balances already "
                        f"({old.journal} {old.bookyear}/{old.number}); replace them explicitly"
                    )
                locked = lock_reason(old.period, ctx)
                if locked:
                    raise Refused(locked)
                number = old.number
                s.delete(old)
                s.flush()
            lines = [_line(ln.account, ln.debit, ln.credit, "opening balance") for ln in parsed]
            entry = self._book_new(
                s,
                user,
                dossier,
                OPENING_JOURNAL,
                _first_day(first),
                lines,
                origin="opening",
                reason=f"opening balances of bookyear {name} (trial balance)",
                number=number,
            )
            repo.audit(
                s,
                "opening_imported",
                user_id=user.id,
                dossier_id=dossier_id,
                entry_id=entry.id,
                bookyear=name,
                lines=len(lines),
                replaced=old is not None,
            )
            return entry_view(entry)

    # -- approval of client bookings ----------------------------------------------------------
    @requires(P.VIEW)
    def waiting_approval(self, user: UserView, dossier_id: int | None = None) -> dict[int, int]:
        """Client bookings waiting for approval, per dossier the caller may see."""
        with self.rt.tx() as s:
            ids = self._scope(s, user, dossier_id)
            return store.count_waiting(s, ids)

    @requires(P.VIEW_BOOKS)
    def client_bookings(
        self, user: UserView, dossier_id: int, approval: str = "waiting"
    ) -> list[EntryView]:
        if approval not in ("waiting", "returned", "approved"):
            raise Refused("approval is waiting, returned or approved")
        with self.rt.tx() as s:
            self._require(s, user, dossier_id, P.VIEW_BOOKS)
            return [entry_view(e) for e in store.approval_entries(s, dossier_id, approval)]

    def _client_entry(self, s: Any, user: UserView, entry_id: int) -> JournalEntry:
        entry = store.get_entry(s, entry_id)
        missing = ServiceError(f"entry {entry_id} does not exist")
        if entry is None or P.VIEW not in self._permissions(s, user, entry.dossier_id):
            raise missing
        need = P.BOOK_SALES if entry.journal == "sales" else P.BOOK_PURCHASES
        self._require(s, user, entry.dossier_id, need)
        if is_client(s, user, entry.dossier_id):
            raise AccessDenied("only the accountant of the dossier approves client bookings")
        return entry

    @requires(P.BOOK_PURCHASES)
    def approve_booking(self, user: UserView, entry_id: int) -> EntryView:
        with self.rt.tx() as s:
            entry = self._client_entry(s, user, entry_id)
            if entry.approval != "waiting":
                raise Refused("this booking is not waiting for approval")
            entry.approval = "approved"
            repo.audit(
                s,
                "client_booking_approved",
                user_id=user.id,
                dossier_id=entry.dossier_id,
                document_id=entry.document_id,
                entry_id=entry.id,
            )
            return entry_view(entry)

    @requires(P.BOOK_PURCHASES)
    def return_booking(self, user: UserView, entry_id: int, comment: str) -> EntryView:
        """Send a client's booking back to review with a comment the client sees."""
        text = str(comment or "").strip()[:2000]
        if not text:
            raise Refused("say why the booking goes back (a comment is required)")
        with self.rt.tx() as s:
            entry = self._client_entry(s, user, entry_id)
            if entry.approval != "waiting":
                raise Refused("this booking is not waiting for approval")
            if entry.document_id is None:
                raise Refused(
                    "an entry by hand cannot go back to review; correct it with a new entry"
                )
            locked = lock_reason(entry.period, _context(repo.get_dossier(s, entry.dossier_id)))
            if locked:
                raise Refused(locked)
            doc = repo.get_document(s, entry.document_id, lock=True)
            entry.status = "proposed"
            entry.approval = "returned"
            entry.approval_comment = text
            repo.set_state(s, doc, DocumentState.PROPOSED, None, timing="returned")
            repo.audit(
                s,
                "client_booking_returned",
                user_id=user.id,
                dossier_id=entry.dossier_id,
                document_id=doc.id,
                entry_id=entry.id,
                comment=text,
            )
            return entry_view(entry)


def _line(account: str, debit: Decimal, credit: Decimal, description: str) -> dict[str, Any]:
    return _normalise(
        [{"account": account, "debit": debit, "credit": credit, "description": description}]
    )[0]


def _normalise(lines: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lines as typed (UI tables hand back floats, None, text): amounts to the cent,
    VAT grids as a list; lines without an amount are dropped."""
    out = []
    for n, ln in enumerate(lines, start=1):
        account = str(ln.get("account") or "").strip().split(" ", 1)[0]
        amounts = []
        for side in ("debit", "credit"):
            raw = ln.get(side)
            if isinstance(raw, float) and raw != raw:  # NaN from an empty table cell
                raw = None
            if isinstance(raw, str):  # 1.234,50 or 1234,50 as typed in Belgium
                raw = plain_number(raw)
            try:
                value = to_decimal(raw)
            except ValueError:
                raise Refused(f"line {n}: {side} is not an amount: {str(raw)[:40]!r}") from None
            if value < 0:
                raise Refused(f"line {n}: {side} {value} is negative")
            if value != value.quantize(Decimal("0.01")):
                raise Refused(f"line {n}: {side} {value} has more than two decimals")
            amounts.append(value)
        if not any(amounts):
            continue  # an empty row of the editor
        if not account:
            raise Refused(f"line {n} has no account")
        grids = ln.get("vat_grids", ln.get("vat_grid")) or ()
        if isinstance(grids, str):
            grids = [g.strip() for g in grids.split(",") if g.strip()]
        out.append(
            {
                "account": account[:12],
                "debit": amounts[0],
                "credit": amounts[1],
                "vat_code": str(ln.get("vat_code") or "") or None,
                "vat_grids": [str(g) for g in grids],
                "description": str(ln.get("description") or "")[:500],
                "reason": "entry by hand",
                "confidence": 1.0,
                "kind": "manual",
            }
        )
    return out


def _locks(dossier: Dossier) -> PeriodLocks:
    st = dossier.settings or {}
    through = st.get("locked_through")
    return PeriodLocks(
        locked_through=str(through)[:7] if through else None,
        locked_periods=tuple(sorted(st.get("locked_periods") or ())),
        bookyear_start_month=int(st.get("bookyear_start_month", 1)),
    )


def _first_day(period: str) -> dt.date:
    return dt.date(int(period[:4]), int(period[5:7]), 1)


def _known(s: Any, dossier: Dossier) -> list[str]:
    st = dossier.settings or {}
    return sorted({*(st.get("bookyears") or ()), *store.bookyears_in_use(s, dossier.id)})


_CARRY_NAMES = {
    "140000": ("Overgedragen winst", "Bénéfice reporté"),
    "141000": ("Overgedragen verlies", "Perte reportée"),
}


def _install_carry_accounts(s: Any, dossier_id: int, numbers: list[str]) -> None:
    """The carried result accounts join the chart; other missing accounts are refused."""
    unknown = [n for n in numbers if n not in _CARRY_NAMES]
    if unknown:
        raise Refused(
            "the balances carry accounts not in the dossier's chart: " + ", ".join(unknown)
        )
    if numbers and repo.list_accounts(s, dossier_id):
        repo.install_accounts(
            s,
            dossier_id,
            [
                {"number": n, "name_nl": _CARRY_NAMES[n][0], "name_fr": _CARRY_NAMES[n][1]}
                for n in numbers
            ],
        )
