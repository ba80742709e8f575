"""Build valid CODA statements (Febelfin v2 layout) for tests and the bench."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal


def _rec(fields: dict[int, str]) -> str:
    chars = [" "] * 128
    for start, text in fields.items():
        chars[start : start + len(text)] = text
    return "".join(chars)


def _amt(value: Decimal) -> str:
    return ("1" if value < 0 else "0") + f"{int(abs(value) * 1000):015d}"


def coda_statement(
    movements: list[tuple[Decimal, str | None, str]],
    *,
    day: dt.date = dt.date(2026, 12, 4),
    old_balance: Decimal = Decimal("1000.00"),
    iban: str = "BE71096123456769",
) -> bytes:
    """One statement; each movement is (signed amount, 12-digit OGM or None, free text).

    A statement holds at most 9,999 movements: the sequence number has four digits."""
    if len(movements) > 9999:
        raise ValueError("a CODA statement holds at most 9,999 movements")
    d = day.strftime("%d%m%y")
    lines = [
        _rec({0: "00000", 5: d, 11: "725", 24: "0000000001", 34: "BAKKERIJ DE SMET",
              60: "GKCCBEBB", 71: "00403170701", 127: "2"}),
        _rec({0: "12001", 5: iban, 39: "EUR", 42: _amt(old_balance), 58: d,
              64: "BAKKERIJ DE SMET", 90: "ZICHTREKENING", 125: "001"}),
    ]  # fmt: skip
    debit = credit = Decimal(0)
    for n, (amount, ogm, text) in enumerate(movements, start=1):
        seq = f"{n:04d}0000"
        comm = "1101" + ogm if ogm else "0" + text[:53]
        lines.append(
            _rec({0: "21", 2: seq, 10: f"REF{n:018d}", 31: _amt(amount), 47: d,
                  53: "00150000", 61: comm, 115: d, 121: "001", 124: "0", 125: "1"})
        )  # fmt: skip
        lines.append(_rec({0: "22", 2: seq, 98: "GEBABEBB", 125: "1"}))
        lines.append(_rec({0: "23", 2: seq, 10: "BE62510007547061", 44: "EUR",
                           47: f"KLANT {n}"}))  # fmt: skip
        if amount < 0:
            debit -= amount
        else:
            credit += amount
    new = old_balance + credit - debit
    lines.append(_rec({0: "8001", 4: iban, 38: "EUR", 41: _amt(new), 57: d}))
    lines.append(_rec({0: "9", 16: f"{len(lines) - 1:06d}", 22: _amt(debit)[1:],
                       37: _amt(credit)[1:], 127: "2"}))  # fmt: skip
    return ("\n".join(lines) + "\n").encode("ascii")
