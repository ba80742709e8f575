"""The one-pass header scanner gives exactly what the stdlib parser and the former
line-by-line trace stripping gave: same Message-ID, Subject, From, same redelivery key.

The reference below is the straightforward implementation the scanner replaced (the
stdlib compat32 header parser, then a second walk over the header lines, on a copy with
LF line ends); the scanner hashes the same text with CRLF line ends, which SMTP mail
already has, so the body needs no copy.  Stored redelivery keys stay valid only while
the two agree.
"""

from __future__ import annotations

import hashlib
from email.parser import BytesHeaderParser
from email.policy import compat32

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from smtp_support import MAIL_DIR

from intake.mail_header import TRACE_HEADERS, scan_header
from intake.mime_headers import header_text, raw_header
from intake.smtp_facts import MAX_HEADER_BYTES, MailFacts, _message_id, mail_facts


def _reference_trace_sha256(raw: bytes) -> str:
    data = bytes(raw).replace(b"\r\n", b"\n")
    if data.startswith(b"From "):
        data = data.split(b"\n", 1)[1] if b"\n" in data else b""
    header, sep, body = data.partition(b"\n\n")
    fields: list[bytes] = []
    for line in header.split(b"\n"):
        if fields and line[:1] in (b" ", b"\t"):
            fields[-1] += b"\n" + line
        else:
            fields.append(line)
    kept = [
        f
        for f in fields
        if f.split(b":", 1)[0].strip().lower().decode("latin-1") not in TRACE_HEADERS
    ]
    canonical = b"\n".join(kept) + sep + body  # LF line ends ...
    return hashlib.sha256(canonical.replace(b"\n", b"\r\n")).hexdigest()  # ... hashed as CRLF


def _reference_facts(raw: bytes) -> MailFacts:
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    section = raw[: min(min(ends) if ends else len(raw), MAX_HEADER_BYTES)]
    msg = BytesHeaderParser(policy=compat32).parsebytes(section)
    message_id = _message_id(raw_header(msg, "message-id"))
    digest = hashlib.sha256((message_id or "").encode("utf-8", "surrogateescape") + b"\x00")
    digest.update(_reference_trace_sha256(raw).encode("ascii"))
    return MailFacts(
        message_id, header_text(msg, "subject"), header_text(msg, "from"), digest.hexdigest()
    )


MAILS = sorted(MAIL_DIR.glob("*.eml"))


def test_the_corpus_is_there() -> None:
    assert len(MAILS) >= 60


@pytest.mark.parametrize("path", MAILS, ids=lambda p: p.stem)
def test_corpus_mail_facts_equal_the_reference(path) -> None:  # type: ignore[no-untyped-def]
    raw = path.read_bytes()
    assert mail_facts(raw) == _reference_facts(raw)
    trace = b"Received: from mx.example by mx2.example\r\n\tfor <a@b>\r\n"
    mbox_line, _, rest = raw.partition(b"\n") if raw.startswith(b"From ") else (b"", b"", raw)
    relayed = mbox_line + _ + trace + rest
    assert mail_facts(relayed).dedup_key == mail_facts(raw).dedup_key


EDGE_CASES = [
    b"",
    b"Subject: no body",
    b"Subject: x\r\n\r\n",
    b"From someone@example Tue Mar 3 10:00:00 2026\nSubject: mbox\n\nbody\n",
    b"From only-a-line",
    b"Subject: a\r\n  folded\r\n\tagain\r\nMessage-ID:\r\n <id@x>\r\n\r\nbody\r\n",
    b"Subject: mixed\n\r\nbody\r\n.\r\n",
    b"Subject: cr\r\r\n\nbody",
    b"X: 1\r\nnot a header line\r\nSubject: after junk\r\n\r\nbody",
    b"Subject : spaced name\r\nSubject: second\r\n\r\n",
    b"Subject: =?utf-8?q?caf=C3=A9?= \xe9t\xe9\r\nFrom: \xc3\xa9l\xc3\xa8ve <e@x>\r\n\r\n",
    b"Received: a\r\nRECEIVED : b\r\nreturn-path: <x>\r\nSubject: s\r\n\r\nb",
    b": empty name\r\nSubject: s\r\n\r\n",
    b"\r\n\r\nSubject: in the body\r\n",
]


@pytest.mark.parametrize("raw", EDGE_CASES)
def test_edge_cases_equal_the_reference(raw: bytes) -> None:
    assert mail_facts(raw) == _reference_facts(raw)
    assert scan_header(raw).trace_stripped_sha256 == _reference_trace_sha256(raw)


_LINE = st.sampled_from(
    [
        b"Subject: Factuur 12",
        b"From: Lev <l@x.example>",
        b"Message-ID: <a.b@x.example>",
        b"Received: by relay",
        b"Delivered-To: d@x",
        b"\tcontinued",
        b" continued",
        b"junk without colon",
        b"",
        b"From mbox line",
        b"X-Thing: \xff\xfe",
        b"body text",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE, max_size=12), st.sampled_from([b"\r\n", b"\n"]))
def test_random_headers_equal_the_reference(lines: list[bytes], eol: bytes) -> None:
    raw = eol.join(lines)
    assert mail_facts(raw) == _reference_facts(raw)
