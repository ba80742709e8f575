"""MAIL FROM / RCPT TO address parsing: the fast path for ``<local@domain>`` gives
exactly what aiosmtpd's full parser gives, and everything else still goes to it."""

from __future__ import annotations

import pytest
from aiosmtpd.smtp import SMTP
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.smtp_protocol import _SIMPLE_PATH, IntakeSMTP


def _parsers(limit: int = 0) -> tuple[SMTP, IntakeSMTP]:
    plain, ours = SMTP.__new__(SMTP), IntakeSMTP.__new__(IntakeSMTP)
    plain.local_part_limit = ours.local_part_limit = limit
    return plain, ours


_ATOM = st.text("abcXYZ019!#$%&'*+/=?^_`{|}~-", min_size=1, max_size=8)
_LABEL = st.text("abz09-", min_size=1, max_size=6)
_ADDRESS = st.builds(
    lambda local, domain: f"{'.'.join(local)}@{'.'.join(domain)}",
    st.lists(_ATOM, min_size=1, max_size=3),
    st.lists(_LABEL, min_size=1, max_size=3),
)
_REST = st.sampled_from(["", " SIZE=20000", "  BODY=8BITMIME SMTPUTF8", "\tSIZE=1", " "])
_SPACE = st.sampled_from(["", " ", "  ", "\t"])


@settings(max_examples=500, deadline=None)
@given(_SPACE, _ADDRESS, _SPACE, _REST)
def test_fast_path_equals_aiosmtpd(lead: str, address: str, gap: str, rest: str) -> None:
    plain, ours = _parsers()
    arg = f"{lead}<{address}>{gap}{rest}"
    assert ours._getaddr(arg) == plain._getaddr(arg)


@pytest.mark.parametrize(
    "arg",
    [
        "<>",
        "",
        '<"quoted local"@example.com>',
        "<user@[192.0.2.1]>",
        "<@relay.example:user@example.com>",
        "user@example.com",
        "<élève@école.be> SMTPUTF8",
        "<a..b@example.com>",
        "<.a@example.com>",
        "<a@example.com",
        "<a@-example-.com>",
    ],
)
def test_everything_else_goes_to_aiosmtpd(arg: str) -> None:
    plain, ours = _parsers()
    assert ours._getaddr(arg) == plain._getaddr(arg)


def test_the_fast_path_takes_the_common_forms_and_keeps_the_local_part_limit() -> None:
    assert _SIMPLE_PATH.fullmatch("<facturatie@supplier.example> SIZE=20000")
    assert _SIMPLE_PATH.fullmatch("<bench+tag@bench.boekbox.test>")
    plain, ours = _parsers(limit=5)
    for arg in ("<abcdef@example.com>", "<abc@example.com>"):
        assert ours._getaddr(arg) == plain._getaddr(arg)
    assert ours._getaddr("<abcdef@example.com>") == (None, None)
