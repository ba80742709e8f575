"""CODA: the ten corpus files against their expected.json, refusals with line numbers, matching."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pytest

from invoicing.coda import parse_coda
from invoicing.errors import CodaError
from invoicing.matching import MatchKind, OpenItem, match_payments
from tests.invoicing.invoicing_coda_builder import coda_statement

CORPUS = Path("/work/shared/corpus/coda")
FILES = sorted(CORPUS.glob("*.cod"))
# The two files whose totals disagree in their source (SOURCES.md): refused at the trailer.
INCONSISTENT = {"oca_ontvangen_coda_2012.cod", "coda_standard_ogm.cod"}


def _fold(text: str | None) -> str | None:
    return " ".join(text.split()) if text else None


def test_the_corpus_has_ten_files() -> None:
    assert len(FILES) == 10


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_file_matches_expected(path: Path) -> None:
    expected = json.loads(path.with_name(path.stem + ".expected.json").read_text())
    data = path.read_bytes()
    if path.name in INCONSISTENT:
        trailer_line = 1 + data.decode("ascii").splitlines().index(
            next(ln for ln in data.decode("ascii").splitlines() if ln.startswith("9"))
        )
        with pytest.raises(CodaError) as info:
            parse_coda(data)
        assert info.value.line == trailer_line
        assert "balance" in info.value.reason
        return
    parsed = parse_coda(data)
    assert len(parsed.statements) == expected["statement_count"]
    for st, es in zip(parsed.statements, expected["statements"], strict=True):
        assert st.account == es["account"]["number"]
        assert st.iban == es["account"]["iban"]
        assert st.currency == es["account"]["currency"]
        assert st.paper_statement_number == es["paper_statement_number"]
        assert st.old_balance == D(es["old_balance"]["amount"])
        assert st.old_balance_date.isoformat() == es["old_balance"]["date"]
        assert st.new_balance == D(es["new_balance"]["amount"])
        assert st.new_balance_date.isoformat() == es["new_balance"]["date"]
        assert len(st.movements) == len(es["movements"])
        assert len(st.details) == len(es["details"])
        for mv, em in zip(st.movements + st.details, es["movements"] + es["details"], strict=True):
            assert (mv.sequence, mv.detail) == (em["sequence"], em["detail"])
            assert mv.amount == D(em["amount"])
            assert str(mv.amount) == em["amount"]
            assert mv.value_date is not None
            assert mv.value_date.isoformat() == em["value_date"]
            assert (mv.entry_date.isoformat() if mv.entry_date else None) == em["entry_date"]
            assert mv.transaction_code == em["transaction_code"]
            assert mv.globalisation_code == em["globalisation_code"]
            assert mv.counterparty_name == em["counterparty_name"]
            assert mv.counterparty_account == em["counterparty_account"]
            assert mv.counterparty_currency == em["counterparty_currency"]
            assert mv.counterparty_bic == em["counterparty_bic"]
            assert _fold(mv.free_communication) == _fold(em["free_communication"])
            sc = em["structured_communication"]
            if sc is None:
                assert mv.structured_type is None
            elif "ogm" in sc:
                assert (mv.structured_type, mv.ogm) == (sc["type"], sc["ogm"])
            else:
                assert (mv.structured_type, mv.structured_raw) == (sc["type"], sc["raw"])


def _lines(data: bytes) -> list[str]:
    return data.decode("ascii").splitlines()


def test_bad_records_are_refused_with_their_line() -> None:
    good = coda_statement([(D("10.00"), None, "x"), (D("-2.50"), None, "y")])
    lines = _lines(good)
    short = [*lines[:4], lines[4][:100], *lines[5:]]
    with pytest.raises(CodaError, match=r"^line 5: record of 100 characters"):
        parse_coda("\n".join(short).encode())
    bad_date = [*lines[:2], lines[2][:47] + "310299" + lines[2][53:], *lines[3:]]
    with pytest.raises(CodaError) as info:
        parse_coda("\n".join(bad_date).encode())
    assert info.value.line == 3
    unknown = [*lines[:3], "7" + lines[3][1:], *lines[4:]]
    with pytest.raises(CodaError, match="line 4: unknown record type '7'"):
        parse_coda("\n".join(unknown).encode())
    with pytest.raises(CodaError, match="without a trailer"):
        parse_coda("\n".join(lines[:-1]).encode())
    with pytest.raises(CodaError, match="empty"):
        parse_coda(b"\n\n")
    with pytest.raises(CodaError, match="larger than"):
        parse_coda(good, max_bytes=100)


def test_trailer_totals_and_count_are_checked() -> None:
    lines = _lines(coda_statement([(D("10.00"), None, "x")]))
    trailer = lines[-1]
    wrong_credit = trailer[:37] + f"{20000:015d}" + trailer[52:]
    with pytest.raises(CodaError, match=r"line 7: trailer totals"):
        parse_coda("\n".join([*lines[:-1], wrong_credit]).encode())
    wrong_count = trailer[:16] + "000009" + trailer[22:]
    with pytest.raises(CodaError, match=r"line 7: trailer counts 9 records, found 5"):
        parse_coda("\n".join([*lines[:-1], wrong_count]).encode())


def test_matching_on_ogm_amount_and_side() -> None:
    data = coda_statement(
        [
            (D("121.00"), "007260001271", ""),  # pays F1 in full
            (D("50.00"), "007260001372", ""),  # partial payment of F2
            (D("-80.00"), None, "+++090/1234/56765+++"),  # pays purchase P1 (OGM in free text)
            (D("33.33"), None, "no reference"),  # unique amount among sales
            (D("999.00"), None, "who?"),  # nothing to match
        ]
    )
    items = [
        OpenItem("F1", "sales", D("121.00"), "+++007/2600/01271+++"),
        OpenItem("F2", "sales", D("100.00"), "007/2600/01372"),
        OpenItem("F3", "sales", D("33.33")),
        OpenItem("P1", "purchase", D("80.00"), "090123456765"),
    ]
    result = match_payments(parse_coda(data).movements, items)
    got = {(m.item.key, m.kind, m.rule, m.amount) for m in result.matches}
    assert got == {
        ("F1", MatchKind.PAID, "ogm", D("121.00")),
        ("F2", MatchKind.PARTIAL, "ogm", D("50.00")),
        ("P1", MatchKind.PAID, "ogm", D("80.00")),
        ("F3", MatchKind.PAID, "amount", D("33.33")),
    }
    assert [m.amount for m in result.unmatched] == [D("999.00")]


def test_amount_alone_never_matches_two_candidates_or_the_wrong_side() -> None:
    data = coda_statement([(D("10.00"), None, ""), (D("-10.00"), None, "")])
    items = [OpenItem("A", "sales", D("10.00")), OpenItem("B", "sales", D("10.00"))]
    result = match_payments(parse_coda(data).movements, items)
    assert result.matches == ()
    assert len(result.unmatched) == 2


def test_records_that_do_not_belong_together_are_refused() -> None:
    lines = _lines(coda_statement([(D("10.00"), None, "x")]))
    detail = "2100090001" + lines[2][10:53] + "50150000" + lines[2][61:]
    with pytest.raises(CodaError, match="line 6: detail 0009/0001 has no movement"):
        parse_coda("\n".join([*lines[:5], detail, *lines[5:]]).encode())
    stray = lines[3][:2] + "0002" + lines[3][6:]
    with pytest.raises(CodaError, match=r"line 4: record 2\.2 does not continue"):
        parse_coda("\n".join([*lines[:3], stray, *lines[4:]]).encode())
    bad_amount = lines[2][:35] + "12x4" + lines[2][39:]
    with pytest.raises(CodaError, match="line 3: cannot read"):
        parse_coda("\n".join([*lines[:2], bad_amount, *lines[3:]]).encode())


def test_the_checks_hold_without_asserts() -> None:
    """febelfin-coda checks with assert statements, which python -O removes; ours do not."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from invoicing.coda import parse_coda\n"
        "from invoicing.errors import CodaError\n"
        "for p in sorted(Path(sys.argv[1]).glob('*.cod')):\n"
        "    try:\n"
        "        parse_coda(p.read_bytes()); print(p.name, 'ok')\n"
        "    except CodaError as e:\n"
        "        print(p.name, 'refused', e.line)\n"
    )
    root = Path(__file__).resolve().parents[2]
    argv = [sys.executable, "-O", "-c", code, str(CORPUS)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=root)
    refused = {ln.split()[0] for ln in out.stdout.splitlines() if "refused" in ln}
    assert refused == INCONSISTENT
    assert len(out.stdout.splitlines()) == 10


def test_a_globalised_movement_is_matched_through_its_details() -> None:
    parsed = parse_coda((CORPUS / "codelicious_sample10.cod").read_bytes())
    (movement,) = parsed.movements
    assert (movement.amount, movement.globalisation_code) == (D("1000.00"), "1")
    assert [(p.detail, p.amount) for p in parsed.payment_lines] == [
        ("0001", D("250.00")),
        ("0003", D("750.00")),
    ]
    plain = parse_coda((CORPUS / "tryton_minimal.cod").read_bytes())
    assert plain.payment_lines == plain.movements
