"""The chunked DATA reader: same message as a line-by-line reader, however the bytes
arrive, never a byte past the end marker, and the size limit."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.smtp_data import read_data, unstuff


def _line_by_line(stream: bytes) -> tuple[bytes, bytes]:
    """RFC 5321 4.5.2 the slow way: (message, what follows the end marker)."""
    lines, pos = [], 0
    while True:
        end = stream.index(b"\r\n", pos) + 2
        line = stream[pos:end]
        pos = end
        if line == b".\r\n":
            return b"".join(lines), stream[pos:]
        lines.append(line[1:] if line.startswith(b".") else line)


async def _read(chunks: list[bytes], limit: int | None) -> tuple[bytes | None, int, bytes]:
    reader = asyncio.StreamReader(limit=1001)  # aiosmtpd's stream limit
    for chunk in chunks:
        reader.feed_data(chunk)
    reader.feed_eof()
    section = await read_data(reader, limit)
    rest = await reader.read()
    message = None if section.stuffed is None else unstuff(section.stuffed)
    return message, section.size, rest


def _split(stream: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(stream)) for c in cuts})
    return [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]


_LINES = st.lists(
    st.sampled_from([b"", b".", b"..", b"...x", b"text", b"a" * 3000, b"\r", b"\n", b"x.", b".\r"]),
    max_size=12,
)


@settings(max_examples=400, deadline=None)
@given(_LINES, st.lists(st.integers(0, 8000), max_size=6))
def test_any_message_in_any_chunks_equals_line_by_line(lines: list[bytes], cuts: list[int]) -> None:
    body = b"".join((b"." + line if line.startswith(b".") else line) + b"\r\n" for line in lines)
    stream = body + b".\r\nQUIT\r\n"
    expected, after = _line_by_line(stream)
    message, size, rest = asyncio.run(_read(_split(stream, cuts), None))
    assert message == expected
    assert size == len(body)
    assert rest == after == b"QUIT\r\n"  # nothing read past the marker


@pytest.mark.parametrize(
    ("stream", "message"),
    [
        (b".\r\n", b""),
        (b"a\r\n.\r\n", b"a\r\n"),
        (b"\r\n.\r\n", b"\r\n"),
        (b"..\r\n.\r\n", b".\r\n"),
        (b"x\r\n..\r\n...\r\n.\r\n", b"x\r\n.\r\n..\r\n"),
        (b"no marker yet .\r\n\r\n.\r\n", b"no marker yet .\r\n\r\n"),
    ],
)
def test_edge_cases(stream: bytes, message: bytes) -> None:
    for size in (1, 2, 3, len(stream)):  # byte by byte, too
        chunks = [stream[i : i + size] for i in range(0, len(stream), size)]
        assert asyncio.run(_read([*chunks, b"NEXT"], None))[::2] == (message, b"NEXT")


def test_over_the_limit_keeps_nothing_but_reads_to_the_marker() -> None:
    body = b"0123456789" * 10_000 + b"\r\n"
    message, size, rest = asyncio.run(_read([body, b".\r\nRSET\r\n"], limit=50_000))
    assert message is None
    assert size == len(body)
    assert rest == b"RSET\r\n"
    message, size, _ = asyncio.run(_read([body, b".\r\n"], limit=len(body)))
    assert message == body


def test_a_stream_that_ends_before_the_marker_raises() -> None:
    with pytest.raises(asyncio.IncompleteReadError):
        asyncio.run(_read([b"half a message\r\n"], None))
