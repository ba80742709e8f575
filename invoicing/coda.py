"""Belgian CODA bank statements (Febelfin v2, 128-character records), parsed by febelfin-coda.

Bytes in, frozen :class:`CodaFile` out.  A file is refused as a whole with the 1-based line
number of the first bad record (:class:`~invoicing.errors.CodaError`): a record that is not
128 characters or of an unknown type, a bad date or amount, or a statement whose trailer does
not agree with its movements (old balance + movements = new balance; debit and credit totals;
record count).  The checks are explicit: they hold under ``python -O`` too, where the
library's own asserts are gone.  The statement's account is record 1's (record 8 may differ
in anonymised files; that is not a reason to refuse).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import coda as _coda

from invoicing.errors import CodaError

__all__ = ["CodaFile", "CodaMovement", "CodaStatement", "parse_coda"]

MAX_CODA_BYTES = 50 * 1024 * 1024
_RECORD_TYPES = frozenset("0123489")
_ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class CodaMovement:
    """One movement (transaction types 0-3) or detail (5-9) of a statement.

    ``amount`` is signed (debit negative).  ``ogm`` holds the 12 digits of a Belgian
    structured communication (types 101/102); other structured types keep their raw zone.
    """

    statement: int
    sequence: str
    detail: str
    amount: Decimal
    value_date: _dt.date | None
    entry_date: _dt.date | None
    transaction_code: str
    bank_reference: str
    counterparty_name: str | None
    counterparty_account: str | None
    counterparty_currency: str | None
    counterparty_bic: str | None
    structured_type: str | None
    structured_raw: str | None
    ogm: str | None
    free_communication: str | None
    customer_reference: str | None
    line: int
    globalisation_code: str = "0"

    @property
    def transaction_type(self) -> str:
        return self.transaction_code[:1]

    @property
    def is_detail(self) -> bool:
        return self.transaction_type not in ("0", "1", "2", "3")


@dataclass(frozen=True, slots=True)
class CodaStatement:
    account: str
    currency: str
    account_structure: str
    holder_name: str
    description: str
    paper_statement_number: str
    old_balance: Decimal
    old_balance_date: _dt.date
    new_balance: Decimal
    new_balance_date: _dt.date
    creation_date: _dt.date
    movements: tuple[CodaMovement, ...]
    details: tuple[CodaMovement, ...]
    free_messages: tuple[str, ...]

    @property
    def iban(self) -> str | None:
        return self.account if self.account_structure in ("2", "3") else None

    @property
    def payment_lines(self) -> tuple[CodaMovement, ...]:
        """What pays invoices: each movement, or, for a globalised movement (a batch such as
        a SEPA direct-debit collection), its type-5 details when they add up to it."""
        split: dict[str, list[CodaMovement]] = {}
        for detail in self.details:
            if detail.transaction_type == "5":
                split.setdefault(detail.sequence, []).append(detail)
        out: list[CodaMovement] = []
        for mv in self.movements:
            parts = split.get(mv.sequence, [])
            if mv.globalisation_code != "0" and parts and sum(p.amount for p in parts) == mv.amount:
                out.extend(parts)
            else:
                out.append(mv)
        return tuple(out)


@dataclass(frozen=True, slots=True)
class CodaFile:
    statements: tuple[CodaStatement, ...]

    @property
    def movements(self) -> tuple[CodaMovement, ...]:
        return tuple(m for s in self.statements for m in s.movements)

    @property
    def payment_lines(self) -> tuple[CodaMovement, ...]:
        """The lines to match against invoices (see :attr:`CodaStatement.payment_lines`)."""
        return tuple(m for s in self.statements for m in s.payment_lines)


class _Reader(_coda.CODA):
    """febelfin-coda fed record by record, so every error knows its line."""

    def __init__(self, lines: list[str]) -> None:
        self.line = 0
        self.move_lines: dict[int, int] = {}
        self.globalisation: dict[int, str] = {}
        self._lines = lines
        self._counts: list[int] = []
        super().__init__(self._records())

    def _records(self) -> Iterator[str]:
        count = 0
        for number, record in enumerate(self._lines, start=1):
            self.line = number
            if not record.strip():
                continue
            if len(record) != 128:
                raise CodaError(number, f"record of {len(record)} characters (128 expected)")
            kind = record[0]
            if kind not in _RECORD_TYPES:
                raise CodaError(number, f"unknown record type {kind!r}")
            if kind == "0":
                count = 0
            elif kind == "9":
                self._check_trailer(record, count)
            elif kind != "4":
                count += 1
            yield record

    def _check_trailer(self, record: str, count: int) -> None:
        if not self.statements:
            raise CodaError(self.line, "trailer (record 9) without a header (record 0)")
        st = self.statements[-1]
        if st.old_balance is None or st.new_balance is None:
            raise CodaError(self.line, "statement without old (1) or new (8) balance record")
        moves = list(st.moves)
        credits = sum((m.amount for m in moves if m.amount > 0), _ZERO)
        debits = -sum((m.amount for m in moves if m.amount < 0), _ZERO)
        stated_count, stated_debit, stated_credit = (
            int(record[16:22]), _amount(record[22:37]), _amount(record[37:52])
        )  # fmt: skip
        expected = st.old_balance + credits - debits
        if expected != st.new_balance:
            raise CodaError(
                self.line,
                f"old balance {st.old_balance} + movements {credits - debits} = {expected}, "
                f"but the new balance says {st.new_balance}",
            )
        if (stated_debit, stated_credit) != (debits, credits):
            raise CodaError(
                self.line,
                f"trailer totals debit {stated_debit} / credit {stated_credit} differ from the "
                f"movements (debit {debits} / credit {credits})",
            )
        if stated_count != count:
            raise CodaError(self.line, f"trailer counts {stated_count} records, found {count}")

    def _parse_statement(self, record: str, statement: Any, desc: dict[str, Any]) -> None:
        for name, (slice_, parser) in desc.items():
            value = parser(record[slice_])
            current = getattr(statement, name)
            if current is not None and current != value:
                if name == "_account_currency":
                    continue  # record 8's account may differ: record 1 is the statement's
                raise CodaError(self.line, f"{name.strip('_')} {value!r} differs from {current!r}")
            setattr(statement, name, value)

    def _parse_move(self, record: str, article: str, move: Any) -> None:
        if article != "1" and (
            move is None or record[2:10] != move.sequence + move.detail_sequence
        ):
            raise CodaError(
                self.line, f"record 2.{article} does not continue the movement before it"
            )
        super()._parse_move(record, article, move)
        if article != "1":
            return
        self.move_lines[id(move)] = self.line
        self.globalisation[id(move)] = record[124:125].strip() or "0"
        kind = move.transaction_code[:1]
        if kind in ("5", "6", "7", "8", "9"):
            parents = self.statements[-1].moves if self.statements else []
            if not parents or parents[-1].sequence != move.sequence:
                raise CodaError(self.line, f"detail {move.sequence}/{move.detail_sequence} "
                                "has no movement with its sequence before it")  # fmt: skip
            if kind == "9" and not parents[-1].moves:
                raise CodaError(self.line, "type 9 detail without a detail before it")
            if kind == "9":
                raise CodaError(self.line, "transaction type 9 details are not supported yet")


def _amount(zone: str) -> Decimal:
    return Decimal(zone) / 1000


def _money(value: Decimal) -> Decimal:
    cents = value.quantize(Decimal("0.01"))
    return cents if cents == value else value.quantize(Decimal("0.001"))


def _text(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


def _movement(move: Any, statement: int, line: int, globalisation: str) -> CodaMovement:
    comm: str = move._communication or ""
    structured = comm[:1] == "1"
    stype = comm[1:4] if structured else None
    raw = comm[4:].rstrip() if structured else None
    ogm = None
    if stype in ("101", "102"):
        digits = comm[4:16]
        ogm = digits if digits.isdigit() and len(digits) == 12 else None
    account, currency = _counterparty_account(move.counterparty_account or "")
    bic = (move.counterparty_bic or "").strip()
    if not (bic[:6].isalpha() and len(bic) in (8, 11)):
        bic = ""
    return CodaMovement(
        statement=statement,
        sequence=move.sequence,
        detail=move.detail_sequence,
        amount=_money(move.amount),
        value_date=move.value_date,
        entry_date=move.entry_date,
        transaction_code=move.transaction_code,
        bank_reference=(move.bank_reference or "").strip(),
        counterparty_name=_text(move.counterparty_name),
        counterparty_account=_text(account),
        counterparty_currency=_text(currency),
        counterparty_bic=bic or None,
        structured_type=stype,
        structured_raw=raw or None,
        ogm=ogm,
        free_communication=None if structured else _text(comm[1:]),
        customer_reference=_text(move.customer_reference),
        line=line,
        globalisation_code=globalisation,
    )


def _counterparty_account(zone: str) -> tuple[str, str]:
    """Positions 11-47 of record 2.3: an old 12-digit Belgian number (11-22, the rest is
    not an account), or an IBAN / foreign number (11-44) and its currency (45-47)."""
    if zone[:12].isdigit() and zone[12:13] in ("", " "):
        return zone[:12], ""
    return zone[:34], zone[34:37]


def _decode(data: bytes) -> list[str]:
    lines = data.split(b"\n")
    out = []
    for number, raw in enumerate(lines, start=1):
        raw = raw.removesuffix(b"\r")
        try:
            out.append(raw.decode("ascii"))
        except UnicodeDecodeError:
            try:
                out.append(raw.decode("cp1252"))
            except UnicodeDecodeError as exc:
                raise CodaError(number, f"byte {raw[exc.start]:#x} is not text") from exc
    return out


def parse_coda(data: bytes, *, max_bytes: int = MAX_CODA_BYTES) -> CodaFile:
    """Parse a CODA file; raises :class:`CodaError` (with the line) for anything bad."""
    if len(data) > max_bytes:
        raise CodaError(0, f"CODA file of {len(data)} bytes is larger than {max_bytes}")
    lines = _decode(data)
    if not any(line.strip() for line in lines):
        raise CodaError(0, "empty CODA file")
    reader: _Reader | None = None
    try:
        reader = _Reader(lines)
    except CodaError:
        raise
    except (ArithmeticError, ValueError, AssertionError, AttributeError, IndexError, KeyError,
            TypeError) as exc:  # fmt: skip
        line = reader.line if reader is not None else _last_line(exc)
        reason = str(exc) or type(exc).__name__
        raise CodaError(line, f"cannot read this record: {reason[:200]}") from exc
    return _build(reader)


def _last_line(exc: BaseException) -> int:
    tb = exc.__traceback__
    while tb is not None:
        obj = tb.tb_frame.f_locals.get("self")
        if isinstance(obj, _Reader):
            return obj.line
        tb = tb.tb_next
    return 0


def _build(reader: _Reader) -> CodaFile:
    statements = []
    for index, st in enumerate(reader.statements):
        if st.number_records is None:
            raise CodaError(len(reader._lines), "the file ends without a trailer (record 9)")
        movements, details = [], []
        for move in st.moves:
            movements.append(_movement(move, index, reader.move_lines.get(id(move), 0),
                                       reader.globalisation.get(id(move), "0")))  # fmt: skip
            for sub in move.all_moves:
                details.append(_movement(sub, index, reader.move_lines.get(id(sub), 0),
                                         reader.globalisation.get(id(sub), "0")))  # fmt: skip
        structure = st._account_structure
        statements.append(
            CodaStatement(
                account=st.account.replace(" ", ""),
                currency=st.account_currency,
                account_structure=structure,
                holder_name=st.account_holder_name,
                description=st.account_description,
                paper_statement_number=st.old_sequence,
                old_balance=_money(st.old_balance),
                old_balance_date=st.old_balance_date,
                new_balance=_money(st.new_balance),
                new_balance_date=st.new_balance_date,
                creation_date=st.creation_date,
                movements=tuple(movements),
                details=tuple(details),
                free_messages=tuple(f.text for f in st.free_communications if f.text),
            )
        )
    return CodaFile(tuple(statements))
