"""A document that kills its worker is not delivered forever: after
``max_deliveries`` starts that never ended it is failed, and the reconciler
leaves it alone.  The crashes are real: a forked process SIGKILLs itself in
the middle of the step, as an out-of-memory kill would."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import signal

import pytest
from helpers import CORPUS, documents, dossier, store_eml

from pipeline import actors
from pipeline.runtime import Runtime, build_runtime, reset_runtime
from pipeline.steps import NextStep, split_step
from storage import StorageUnavailable, repo
from storage import db as storage_db


def _crashing_step(rt: Runtime, document_id: int) -> list[NextStep]:
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


def _crash_in_child(rt: Runtime, document_id: int) -> int:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            for engine in storage_db._ENGINES.values():
                engine.dispose(close=False)  # the parent's connections stay the parent's
            storage_db._ENGINES.clear()
            reset_runtime(build_runtime(rt.settings))
            actors.run_step(_crashing_step, "split", document_id)
        finally:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    return status


def _runtime(rt: Runtime, **changes: object) -> Runtime:
    new = dataclasses.replace(rt, settings=dataclasses.replace(rt.settings, **changes))  # type: ignore[arg-type]
    reset_runtime(new)
    return new


def test_a_document_that_crashes_the_worker_n_times_is_failed(runtime: Runtime) -> None:
    rt = _runtime(runtime, max_deliveries=3)
    did = dossier(rt)
    raw = (CORPUS / "mail" / "pdf_attachment_direct_from_supplier.eml").read_bytes()
    mail_id = store_eml(rt, did, raw)
    for _ in range(3):
        status = _crash_in_child(rt, mail_id)
        assert os.WIFSIGNALED(status)
        assert os.WTERMSIG(status) == signal.SIGKILL
        (mail,) = documents(rt, did)
        assert mail.state == "received"  # still waiting: redelivered
    # the 4th delivery (the broker's or the reconciler's) fails it instead of running it
    actors.run_step(split_step, "split", mail_id)
    (mail,) = documents(rt, did)
    assert mail.state == "failed"
    assert "crashed the worker 3 times" in (mail.state_reason or "")
    assert mail.reason_code == "crashed_worker"
    # the reconciler leaves failed documents alone
    with rt.tx() as s:
        repo.get_document(s, mail_id).updated_at = dt.datetime(2000, 1, 1)
    assert actors.reconcile(rt, older_than_seconds=0) == 0
    (mail,) = documents(rt, did)
    assert mail.state == "failed"


def test_steps_that_end_never_count_as_crashes(runtime: Runtime) -> None:
    rt = _runtime(runtime, max_deliveries=2)
    did = dossier(rt)
    raw = (CORPUS / "mail" / "ubl_attachment.eml").read_bytes()
    mail_id = store_eml(rt, did, raw)
    assert _crash_in_child(rt, mail_id) != 0  # one crash, under the limit

    def outage(rt: Runtime, document_id: int) -> list[NextStep]:
        raise StorageUnavailable("blob store down")

    # steps that raise (retried by dramatiq) and duplicate no-op deliveries do not add up
    for _ in range(3):
        with pytest.raises(StorageUnavailable):
            actors.run_step(outage, "split", mail_id)
    actors.run_step(split_step, "split", mail_id)
    docs = documents(rt, did)
    assert docs[0].state == "split", docs[0].state_reason
    files = [d for d in docs if d.kind == "file"]
    for _ in range(3):  # the same extract message delivered again after it ran
        actors.run_step(lambda rt, i: [], "extract", files[0].id)
    from pipeline.steps import extract_step, propose_step

    for step, name in ((extract_step, "extract"), (propose_step, "propose")):
        actors.run_step(step, name, files[0].id)
    (doc,) = [d for d in documents(rt, did) if d.kind == "file"]
    assert doc.state == "proposed", doc.state_reason


def test_a_start_counts_on_its_own_document_and_an_end_takes_it_back(runtime: Runtime) -> None:
    """The shell's count lives on the document the step runs on: other documents keep
    their count, time stamps and ``updated_at``; a start in a new state starts over."""
    rt = _runtime(runtime, max_deliveries=3)
    did = dossier(rt)
    raw = (CORPUS / "mail" / "ubl_attachment.eml").read_bytes()
    first, second = store_eml(rt, did, raw, "a"), store_eml(rt, did, raw, "b")

    def facts(doc_id: int) -> tuple[object, ...]:
        with rt.tx() as s:
            d = repo.get_document(s, doc_id)
            return d.state, d.timings, d.attempts, d.updated_at

    untouched = facts(second)
    assert actors._start_delivery(rt, first, "split")
    assert actors._start_delivery(rt, first, "split")  # a crash in between: counted twice
    state, timings, attempts, _ = facts(first)
    assert attempts == 2
    assert timings["delivery_key"] == actors._entry_key(state, timings)  # type: ignore[index]
    actors._end_delivery(rt, first)
    assert facts(first)[2] == 1
    assert facts(second) == untouched
    with rt.tx() as s:  # a new entry into the state (a reprocess): the count starts over
        doc = repo.get_document(s, first)
        doc.timings = {**doc.timings, "reprocess": "2026-01-01T00:00:00+00:00"}
    assert actors._start_delivery(rt, first, "split")
    assert facts(first)[2] == 1
    assert facts(second) == untouched
