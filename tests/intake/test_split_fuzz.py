"""Hypothesis: arbitrary bytes and mutated corpus mails never make ``split_mail`` raise,
and every result is well-formed (hashes match data, no surrogates, known reasons)."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from intake.splitter import SplitLimits, SplitResult, split_mail  # noqa: E402

MAIL_DIR = ROOT / ".." / "shared" / "corpus" / "mail"
# Mutating the 1.5 MB and 300 KB mails costs seconds per example: keep the small ones.
SMALL_MAILS = [p.read_bytes() for p in sorted(MAIL_DIR.glob("*.eml")) if p.stat().st_size < 70_000]
IGNORED_REASONS = {
    "inline_decoration",
    "small_image",
    "signature",
    "unsupported_type",
    "container_unpacked",
    "unrecognised_content",
}
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


def check(result: SplitResult) -> None:
    assert isinstance(result.subject, str)
    result.subject.encode("utf-8")
    for document in result.documents:
        assert hashlib.sha256(document.data).hexdigest() == document.sha256
        assert document.size == len(document.data)
        assert document.content_type in {
            "application/pdf",
            "application/xml",
            "image/jpeg",
            "image/png",
            "image/tiff",
            "image/heic",
        }
        if document.filename is not None:
            document.filename.encode("utf-8")
            assert "/" not in document.filename
            assert "\\" not in document.filename
    for part in result.ignored:
        assert part.reason in IGNORED_REASONS
        if part.filename is not None:
            part.filename.encode("utf-8")
    for entry in result.quarantined:
        assert entry.reason != "split_failed", entry.detail  # the catch-all means a bug
        assert entry.detail


@FUZZ
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    check(split_mail(raw))


@st.composite
def mutated_mail(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(SMALL_MAILS)))
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete", "duplicate"]))
        at = draw(st.integers(0, max(len(raw) - 1, 0)))
        if kind == "flip" and raw:
            raw[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del raw[at:]
        elif kind == "insert":
            raw[at:at] = draw(
                st.sampled_from(
                    [
                        b"\r\n",
                        b"--",
                        b"=?utf-8?b?",
                        b"\xff\xfe",
                        b"\x00",
                        b"Content-Type: multipart/mixed; boundary=x\r\n",
                        b"begin 644 x\r\n",
                        b"PK\x03\x04",
                    ]
                )
            )
        elif kind == "delete":
            del raw[at : at + draw(st.integers(1, 200))]
        else:
            end = min(len(raw), at + draw(st.integers(1, 400)))
            raw[at:at] = raw[at:end]
    return bytes(raw)


@FUZZ
@given(mutated_mail())
def test_mutated_corpus_mails_never_raise(raw: bytes) -> None:
    check(split_mail(raw))


@FUZZ
@given(mutated_mail())
def test_tight_limits_never_raise(raw: bytes) -> None:
    limits = SplitLimits(max_depth=2, max_parts=3, max_zip_entries=1, max_forward_depth=0)
    check(split_mail(raw, limits))
