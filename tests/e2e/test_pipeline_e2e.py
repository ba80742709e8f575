"""The whole pipeline, end to end, on both deployments.

(a) the embedded default: SQLite + SQLite queue + local blobs, one
``boekbox worker --processes 2``;
(b) scale-out: PostgreSQL + Redis + S3 (SeaweedFS) with two separate
``boekbox worker --processes 1``, each in its own directory, sharing nothing
but those servers.

One mixed load (mails over SMTP; UBL, text PDFs, a scanned PDF, a photo, mails with forwards
and a mail carrying the same invoice as PDF and UBL): every document ends in
a review or final state with its reason, none is left working once the queue
is empty, cross-channel duplicates are linked with one booking and the UBL as
master, and ``boekbox stats`` prints p50/p95 rows.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.e2e_support import (
    CORPUS,
    Stack,
    assert_every_state_has_its_reason,
    running,
    send_mail,
    smtp_server,
)
from tests.e2e.seaweed import SeaweedFS, new_bucket_name, s3_server

__all__ = ["s3_server"]

pytestmark = pytest.mark.slow

UBL = [CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml", CORPUS / "ubl" / "ublbe_15000001.xml"]
TEXT_PDF = [CORPUS / "pdf" / "oca_efff_exact_be.pdf", CORPUS / "pdf" / "i2d_AmazonWebServices.pdf"]
SCAN = CORPUS / "scanned" / "zc_mustang_RE_20201121_508_scan.pdf"
PHOTO = CORPUS / "scanned" / "mu_103767_Invoice_photo.png"
MAILS = [
    CORPUS / "mail" / f"{name}.eml"
    for name in (
        "pdf_and_ubl_same_invoice",  # invoice 2026/0311 as PDF and as UBL
        "forward_inline_gmail",  # the same PDF of 2026/0311 forwarded by the client
        "pdf_attachment_direct_from_supplier",  # F2026-0142.pdf from the supplier ...
        "forward_inline_outlook",  # ... and the same PDF forwarded again
        "forward_as_attachment",
        "no_attachment_portal_link",
    )
]
FILES = [*UBL, *TEXT_PDF, SCAN, PHOTO]


def _deliver_load(stack: Stack, address: str) -> None:
    """The mails over SMTP (a real `boekbox smtp`), the files through `boekbox ingest`."""
    with smtp_server(stack) as port:
        for mail in MAILS:
            assert send_mail(port, address, mail.read_bytes()) == (250, "accepted"), mail.name
    stack.ingest("Bakkerij Janssens BV", FILES)


def _expected_docs(mail: str) -> list[dict[str, object]]:
    data = json.loads((CORPUS / "mail" / f"{mail}.expected.json").read_text())
    return list(data["documents"])


def _sha(mail: str, suffix: str) -> str:
    return next(
        str(d["sha256"]) for d in _expected_docs(mail) if str(d["filename"]).endswith(suffix)
    )


def _entries_per_document(stack: Stack) -> dict[int, int]:
    rows = stack.sql("SELECT document_id, COUNT(*) FROM journal_entry GROUP BY document_id")
    return {int(doc): int(n) for doc, n in rows}


def _check_mixed_load(stack: Stack) -> None:
    states = stack.wait_until_settled(timeout=420)
    assert_every_state_has_its_reason(states)
    docs = {d["id"]: d for d in stack.documents()}
    files = [d for d in docs.values() if d["kind"] == "file"]
    mails = [d for d in docs.values() if d["kind"] == "mail"]
    assert len(mails) == len(MAILS)
    assert {d["state"] for d in mails} == {"split", "no_attachment"}
    by_name = {d["filename"]: d for d in files}
    for path in [*UBL, *TEXT_PDF]:
        assert by_name[path.name]["state"] in {"proposed", "booked"}, by_name[path.name]
    for path in (SCAN, PHOTO):  # OCR: ready for review, or held back with a reason
        assert by_name[path.name]["state"] in {"proposed", "booked", "quarantined"}, by_name[
            path.name
        ]
    entries = _entries_per_document(stack)
    assert all(n == 1 for n in entries.values()), entries
    for doc in files:  # a booking only for what is ready for review; none without a reason
        if doc["id"] in entries:
            assert doc["state"] in {"proposed", "booked"}, doc
        elif doc["state"] == "proposed":
            assert doc["reason"], doc

    # invoice 2026/0311: UBL and PDF in one mail, the PDF forwarded again
    xml_sha = _sha("pdf_and_ubl_same_invoice", ".xml")
    pdf_sha = _sha("pdf_and_ubl_same_invoice", ".pdf")
    group = [d for d in files if d["sha256"] in {xml_sha, pdf_sha}]
    assert len(group) == 3, group
    masters = [d for d in group if d["state"] != "duplicate"]
    assert [(m["sha256"], m["state"]) for m in masters] == [(xml_sha, "proposed")], group
    assert all(d["duplicate_of"] for d in group if d["state"] == "duplicate")
    master_id = masters[0]["id"]
    for dup in group:
        if dup["id"] != master_id:  # every copy leads to the master
            linked = dup["duplicate_of"]
            while linked != master_id and docs[linked]["state"] == "duplicate":
                linked = docs[linked]["duplicate_of"]
            assert linked == master_id, (dup, group)
    assert sum(entries.get(d["id"], 0) for d in group) == 1

    # F2026-0142: the supplier's PDF, and the same PDF forwarded by the client
    f0142 = [d for d in files if d["sha256"] == _sha("pdf_attachment_direct_from_supplier", "pdf")]
    assert sorted(d["state"] for d in f0142) == ["duplicate", "proposed"], f0142
    dup = next(d for d in f0142 if d["state"] == "duplicate")
    assert dup["duplicate_of"] == next(d["id"] for d in f0142 if d["state"] == "proposed")
    assert sum(entries.get(d["id"], 0) for d in f0142) == 1

    out = stack.run("stats").stdout.splitlines()
    assert out[0].split()[:3] == ["step", "type", "count"]
    assert "p50" in out[0]
    assert "p95" in out[0]
    rows = {(r.split()[0], r.split()[1]) for r in out[1:]}
    assert {("total", "e-invoice"), ("total", "pdf"), ("extract", "all")} <= rows
    stats = stack.json("stats")
    total_all = next(r for r in stats if (r["step"], r["type"]) == ("total", "all"))
    proposed = sum(1 for d in files if d["state"] == "proposed")
    # a PDF proposed before its UBL twin arrived keeps its timing: at least every proposed one
    assert (
        proposed <= total_all["count"] <= proposed + sum(d["state"] == "duplicate" for d in files)
    )
    assert 0 <= total_all["p50_s"] <= total_all["p95_s"] <= total_all["max_s"]


def test_embedded_default_mixed_load_with_two_worker_processes(tmp_path: Path) -> None:
    stack = Stack.embedded(tmp_path)
    address = stack.init_dossier()
    with running(stack):
        stack.start_worker("worker", "--processes", "2")
        _deliver_load(stack, address)
        _check_mixed_load(stack)


def test_scale_out_postgres_redis_s3_with_two_separate_workers(
    tmp_path: Path, fresh_pg_url: str, redis_url: str, s3_server: SeaweedFS
) -> None:
    stack = Stack.scale_out(
        tmp_path,
        pg_url=fresh_pg_url,
        redis_url=redis_url,
        s3_endpoint=s3_server.endpoint_url,
        bucket=new_bucket_name(),
    )
    address = stack.init_dossier()
    with running(stack):
        stack.start_worker("machine-a", "--processes", "1")
        stack.start_worker("machine-b", "--processes", "1")
        _deliver_load(stack, address)
        _check_mixed_load(stack)
        consumers = _redis_consumers(redis_url)
    assert consumers >= 2  # both workers' processes took messages from the shared Redis
    # nothing was written beside the workers: blobs, rows and queue live on the servers
    for machine in ("machine-a", "machine-b"):
        assert sorted(p.name for p in (tmp_path / machine).iterdir()) == ["worker.log"]


def _redis_consumers(url: str) -> int:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return int(client.zcard("dramatiq:__heartbeats__"))
    finally:
        client.close()
