"""The splitter's fast paths give exactly what the former straightforward code gave.

``reference_*`` are the former implementations, kept verbatim: base64 scrubbing by one
regex, the per-character surrogate scan of 8-bit headers, uncached parameter parsing;
and the splitter's From address, now taken from the walk instead of a second parse.
"""

from __future__ import annotations

import binascii
import email
import re
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from intake import mime_headers, splitter  # noqa: E402
from intake.mime_headers import decode_8bit, parse_params  # noqa: E402
from intake.mime_payload import decode_base64  # noqa: E402
from intake.splitter import split_mail  # noqa: E402
from intake.splitter_walk import sender_address  # noqa: E402

CORPUS = ROOT / ".." / "shared" / "corpus"
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")


def reference_decode_base64(data: bytes) -> tuple[bytes, str | None]:
    body = data.split(b"=", 1)[0]
    cleaned = _NOT_BASE64.sub(b"", body)
    problem: str | None = None
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
        problem = "base64 body ends with a stray character"
    cleaned += b"=" * (-len(cleaned) % 4)
    try:
        return binascii.a2b_base64(cleaned), problem
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - cleaned input is valid
        return b"", f"undecodable base64: {exc}"


def reference_decode_8bit(raw: str | bytes) -> str:
    if isinstance(raw, str):
        if not any("\udc80" <= ch <= "\udcff" for ch in raw):
            return raw
        data = raw.encode("utf-8", "surrogateescape")
    else:
        data = raw
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def reference_parse_params(value: str | None) -> dict[str, str]:
    if not value:
        return {}
    plain: dict[str, str] = {}
    extended: dict[str, dict[int, tuple[str, bool]]] = {}
    for item in mime_headers._split_params(value)[1:]:
        if "=" not in item:
            continue
        key, _, val = item.partition("=")
        key = key.strip().lower()
        val = mime_headers._unquote(val)
        match = re.fullmatch(r"([^*]+)\*(?:(\d{1,3})(\*)?)?", key)
        if match is None:
            plain.setdefault(key, val)
            continue
        base, index, star = match.group(1), match.group(2), match.group(3)
        encoded = star is not None or index is None
        extended.setdefault(base, {}).setdefault(int(index or 0), (val, encoded))
    result = {k: mime_headers.decode_rfc2047(v) for k, v in plain.items()}
    for base, segments in extended.items():
        result[base] = mime_headers._join_rfc2231(segments)
    return result


def _wrapped(data: bytes, width: int, sep: bytes) -> bytes:
    enc = binascii.b2a_base64(data, newline=False)
    return sep.join(enc[i : i + width] for i in range(0, len(enc), width)) + sep


noise = st.sampled_from(
    [b"", b"\r\n", b"\n", b" ", b"\t", b"!", b"*", b"=", b"==", b"\x00", b"\xff"]
)


@settings(max_examples=400, deadline=None)
@given(
    st.binary(max_size=300),
    st.integers(min_value=1, max_value=90),
    st.sampled_from([b"\r\n", b"\n", b"\r", b""]),
    st.lists(st.tuples(st.integers(min_value=0, max_value=500), noise), max_size=6),
)
def test_base64_equals_the_regex_scrub(
    data: bytes, width: int, sep: bytes, inserts: list[tuple[int, bytes]]
) -> None:
    body = bytearray(_wrapped(data, width, sep))
    for at, junk in inserts:
        body[at:at] = junk
    assert decode_base64(bytes(body)) == reference_decode_base64(bytes(body))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_base64_of_arbitrary_bytes_equals_the_regex_scrub(body: bytes) -> None:
    assert decode_base64(body) == reference_decode_base64(body)


header_text = st.one_of(
    st.text(max_size=80),
    st.binary(max_size=80).map(lambda b: b.decode("ascii", "surrogateescape")),
    st.text(alphabet="abc \t\r\n=?;\"'*é", max_size=60),
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(header_text, st.binary(max_size=80)))
def test_decode_8bit_equals_the_character_scan(raw: str | bytes) -> None:
    assert decode_8bit(raw) == reference_decode_8bit(raw)


param_piece = st.sampled_from(
    [
        "attachment", "inline", "application/pdf", "text/plain", "; ", ";", " ",
        "filename=", "name=", "filename*=", "filename*0=", "filename*1*=", "filename*0*=",
        "charset=", "boundary=", '"', '\\"', "utf-8''", "UTF-8''%E2%82%AC.pdf", "iso-8859-1'nl'",
        "=?UTF-8?B?w6l0w6k=?=", "=?ISO-8859-1?Q?Facture_=E9t=E9?=", "a;b.pdf", "%41", "x",
        "factuur.pdf", "\udce9", "SIZE=3", "protocol=application/pkcs7-signature",
    ]
)  # fmt: skip
param_values = st.lists(param_piece, max_size=12).map("".join)


@settings(max_examples=500, deadline=None)
@given(st.one_of(param_values, header_text, st.none()))
def test_parse_params_equals_the_uncached_parse(value: str | None) -> None:
    expected = reference_parse_params(value)
    first = parse_params(value)
    assert first == expected
    assert list(first.items()) == list(expected.items())
    first["filename"] = "changed"  # a caller's dict is its own
    assert parse_params(value) == expected


def test_parse_params_of_a_long_value_equals_the_uncached_parse() -> None:
    value = "attachment; " + "; ".join(f"p{i}=v{i}" for i in range(400)) + '; filename="a.pdf"'
    assert len(value) > mime_headers._CACHED_PARAMS_MAX
    assert parse_params(value) == reference_parse_params(value)


def _mails() -> list[bytes]:
    paths = sorted((CORPUS / "mail").glob("*.eml"))
    assert len(paths) > 30
    return [p.read_bytes() for p in paths]


def test_from_address_is_that_of_a_separate_parse_on_the_corpus() -> None:
    for raw in _mails():
        expected = sender_address(email.message_from_bytes(raw))
        assert split_mail(raw).from_address == expected


def test_base64_bodies_of_the_corpus() -> None:
    for raw in _mails():
        for part in email.message_from_bytes(raw).walk():
            if (part.get("content-transfer-encoding") or "").strip().lower() != "base64":
                continue
            payload = part.get_payload()
            if isinstance(payload, str):
                data = payload.encode("utf-8", "surrogateescape")
                assert decode_base64(data) == reference_decode_base64(data)


_CONTAINER = re.compile(rb"content-type:\s*(?:multipart|message)/", re.IGNORECASE)
container_piece = st.sampled_from(
    [
        b"Content-Type:", b"content-type:", b"CONTENT-TYPE:", b"cOnTeNt-TyPe:", b"Content-Type",
        b" ", b"\t", b"\r\n", b"\n", b"\x0b", b"\x0c", b"multipart/", b"MULTIPART/", b"Message/",
        b"message", b"mixed", b"/", b"x", b"\xc4\xb0", b"\xe9", b"K", b"\xe2\x84\xaa",
    ]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(container_piece, max_size=20).map(b"".join))
def test_container_count_equals_the_ignorecase_pattern(raw: bytes) -> None:
    expected = _CONTAINER.findall(raw)
    assert len(splitter._CONTAINER_LOWER.findall(raw.lower())) == len(expected)


def test_container_count_on_the_corpus() -> None:
    for raw in _mails():
        found = splitter._CONTAINER_LOWER.findall(raw.lower())
        assert len(found) == len(_CONTAINER.findall(raw))
