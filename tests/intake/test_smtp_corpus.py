"""Every mail of ../shared/corpus/mail through the real SMTP server (smtplib over
loopback), then the split step run synchronously: the documents created and the
``ignored`` list on the mail record must match ``NAME.expected.json``.

Crafted mails are replayed with their ``envelope``; each ``ext_*`` mail goes to a test
dossier of its own (``ext_mikel_attachment_pdf_lf`` is, once sent with CRLF, the same
mail as ``ext_mikel_attachment_pdf``: in one dossier it would be a redelivery).
Like any MTA, the client sends CRLF line ends (many upstream fixtures are stored with
bare LF, which SMTP cannot carry)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from smtp_support import MAIL_DIR, MAIL_DOMAIN, RunningServer, add_dossier
from sqlalchemy import select

from pipeline.runtime import Runtime
from pipeline.steps import split_step
from storage.models import Document, Dossier, Mail

MAILS = sorted(MAIL_DIR.glob("*.eml"))
CRAFTED_DOSSIERS = ("bakkerij-janssens", "atelier-dubois", "schreinerei-kessel")
# same erratum as test_split_corpus.py: raw UTF-8 in an unquoted filename is decoded
FILENAME_ERRATA = {("ext_mikel_nonascii_txt_filename", "ci\ufffd\ufffdle.txt"): "ciële.txt"}


def _expected(mail: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        mail.with_name(mail.stem + ".expected.json").read_text(encoding="utf-8")
    )
    return data


def _ext_address(mail: Path) -> str:
    return f"{mail.stem.replace('_', '-')}@{MAIL_DOMAIN}"


def _crlf(raw: bytes) -> bytes:
    return re.sub(rb"\r?\n", b"\r\n", raw)


def _send(srv: RunningServer, mail: Path) -> list[int]:
    """Replay one fixture; return the mail document ids from the 250 reply."""
    expected = _expected(mail)
    envelope = expected.get("envelope") or {}
    sender = envelope.get("mail_from", "fixtures@sender.example")
    rcpts = envelope.get("rcpt_to") or [_ext_address(mail)]
    raw = _crlf(mail.read_bytes())
    options = ["BODY=8BITMIME"] if any(b > 127 for b in raw) else []
    with srv.client() as client:
        client.ehlo("replay.test")
        assert client.mail(sender, options)[0] == 250
        for rcpt in rcpts:
            assert client.rcpt(rcpt)[0] == 250, rcpt
        code, reply = client.data(raw)
    assert code == 250, (mail.name, reply)
    found = re.search(rb"queued as ([\d,]+)", reply)
    assert found, reply
    return [int(i) for i in found.group(1).split(b",")]


@pytest.fixture
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One server, all 64 fixtures sent, every mail split (one test uses it, so xdist
    never replays the corpus twice)."""
    from smtp_support import ServerThread, smtp_settings

    from pipeline.runtime import build_runtime, reset_runtime
    from storage.db import dispose_engines, migrate

    tmp = tmp_path_factory.mktemp("smtp-corpus")
    settings = smtp_settings(tmp)
    migrate(settings.database_url)
    rt = build_runtime(settings)
    reset_runtime(rt)
    for local in CRAFTED_DOSSIERS:
        add_dossier(rt, local)
    for mail in MAILS:
        if mail.stem.startswith("ext_"):
            add_dossier(rt, _ext_address(mail).partition("@")[0])
    from smtp_support import Enqueued

    enqueued = Enqueued()
    thread = ServerThread(rt, enqueue=enqueued, hostname="mx.boekbox.test")
    srv = RunningServer(thread.start(), thread, enqueued)
    try:
        doc_ids = {mail.stem: _send(srv, mail) for mail in MAILS}
    finally:
        thread.stop()
    for ids in doc_ids.values():
        for doc_id in ids:
            split_step(rt, doc_id)
    yield rt, doc_ids, enqueued
    reset_runtime(None)
    dispose_engines()


def _children(rt: Runtime, doc_id: int) -> tuple[list[Document], Mail]:
    with rt.tx() as s:
        parent = s.get(Document, doc_id)
        assert parent is not None
        assert parent.kind == "mail"
        children = list(
            s.scalars(
                select(Document).where(Document.parent_id == doc_id).order_by(Document.part_index)
            )
        )
        mail = s.get(Mail, parent.mail_id)
        assert mail is not None
        return children, mail


def _check_accepted_and_enqueued(replayed: Any) -> None:
    _rt, doc_ids, enqueued = replayed
    assert len(doc_ids) == len(MAILS) == 64
    every = [i for ids in doc_ids.values() for i in ids]
    assert len(set(every)) == len(every)
    assert set(every) <= set(enqueued.ids)


def _check_documents_and_ignored(
    replayed: tuple[Runtime, dict[str, list[int]], Any], mail: Path
) -> None:
    rt, doc_ids, _ = replayed
    expected = _expected(mail)
    for doc_id in doc_ids[mail.stem]:
        children, record = _children(rt, doc_id)
        files = [c for c in children if c.origin != "quarantine"]
        got = [(c.filename, c.content_type, c.blob_sha256, c.size) for c in files]
        want = [
            (
                FILENAME_ERRATA.get((mail.stem, d["filename"] or ""), d["filename"]),
                d["content_type"],
                d["sha256"],
                d["size"],
            )
            for d in expected["documents"]
        ]
        assert got == want
        got_ignored = [(i["filename"], i["content_type"], i["reason"]) for i in record.ignored]
        want_ignored = [
            (FILENAME_ERRATA.get((mail.stem, i["filename"] or ""), i["filename"]),
             i["content_type"], i["reason"])
            for i in expected["ignored"]
        ]  # fmt: skip
        assert got_ignored == want_ignored
        for part, spec in zip(record.ignored, expected["ignored"], strict=True):
            # a 7bit text part of a bare-LF fixture travels with CRLF: other bytes
            if spec["sha256"] is not None and b"\r\n" in mail.read_bytes():
                assert part["sha256"] == spec["sha256"], part
        quarantined = [(q.filename, q.content_type) for q in children if q.origin == "quarantine"]
        want_q = [
            (q["filename"], q["content_type"])
            for q in expected.get("quarantine", [])
            if q["filename"] is not None
        ]
        assert quarantined == want_q


def _check_crafted_routing(replayed: tuple[Runtime, dict[str, list[int]], Any]) -> None:
    rt, doc_ids, _ = replayed
    crafted = [m for m in MAILS if not m.stem.startswith("ext_")]
    assert len(crafted) == 21
    for mail in crafted:
        rcpts = {r.lower() for r in _expected(mail)["envelope"]["rcpt_to"]}
        with rt.tx() as s:
            docs = [s.get(Document, i) for i in doc_ids[mail.stem]]
            mailboxes = {s.get(Dossier, d.dossier_id).mailbox for d in docs if d is not None}  # type: ignore[union-attr]
            raws = {d.blob_sha256 for d in docs if d is not None}
        assert mailboxes == rcpts, mail.stem
        assert len(raws) == 1, "one blob for all dossiers of a mail"


def test_corpus_over_smtp_matches_expected(
    replayed: tuple[Runtime, dict[str, list[int]], Any],
) -> None:
    _check_accepted_and_enqueued(replayed)
    _check_crafted_routing(replayed)
    failures: dict[str, str] = {}
    for mail in MAILS:
        try:
            _check_documents_and_ignored(replayed, mail)
        except AssertionError as exc:
            failures[mail.stem] = str(exc)[:800]
    assert not failures, "\n\n".join(f"{k}: {v}" for k, v in failures.items())
