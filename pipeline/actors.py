"""dramatiq actors: thin, idempotent shells around :mod:`pipeline.steps`.

Each actor takes a document id, runs its step, and sends the next messages
only after the step's transaction committed.  Transient errors (database or
blob store unavailable, anything unexpected) raise, so dramatiq's Retries
middleware retries them with backoff; once the retries are spent the shell
stores the failure on the document (state ``failed`` with the reason), so a
poison document never disappears and never blocks the queue.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq.middleware import CurrentMessage, TimeLimitExceeded

from pipeline import broker as _broker
from pipeline import logsafe as _logsafe
from pipeline.runtime import Runtime, get_runtime
from pipeline.states import ACTIVE_STATES, DocumentState
from pipeline.steps import NextStep, extract_text_step, ocr_step, propose_step, split_step
from storage import StorageUnavailable, repo
from storage.db import refresh_statistics
from storage.models import utcnow

log = logging.getLogger(__name__)
#: how often the reconciler refreshes SQLite's planner statistics
STATISTICS_EVERY_SECONDS = 3600.0

# one log record, one line: outside text in log arguments is escaped (worker processes)
_logsafe.install()
# the configured broker must exist before the first @dramatiq.actor below
_broker.get_broker()

S = DocumentState

Step = Callable[[Runtime, int], list[NextStep]]


def _retries_left() -> bool:
    message = CurrentMessage.get_current_message()
    if message is None:
        return False
    actor = dramatiq.get_broker().get_actor(message.actor_name)
    max_retries = message.options.get(
        "max_retries", actor.options.get("max_retries", get_runtime().settings.max_retries)
    )
    return int(message.options.get("retries", 0)) < int(max_retries)


def _fail(rt: Runtime, document_id: int, reason: str) -> None:
    with rt.tx() as s:
        doc = repo.get_document(s, document_id, lock=True)
        if DocumentState(doc.state) in ACTIVE_STATES:
            repo.set_state(s, doc, S.FAILED, reason, code="step_failed")
            repo.audit(s, "failed", dossier_id=doc.dossier_id, document_id=doc.id, reason=reason)


def _entry_key(state: str, timings: dict[str, Any] | None) -> list[str]:
    """Which entry into its current state the document is in (a reprocess is a new one).

    A list, not a string: readers of ``timings`` take every string as a time stamp.
    """
    timings = timings or {}
    stamps = (timings.get(state), timings.get("reprocess"), timings.get("released"))
    return [state, *(str(t) for t in stamps)]


def _start_delivery(rt: Runtime, document_id: int, name: str) -> bool:
    """Count one more start of a step on the document; False when it must not run again.

    The count is committed before the step runs, so a worker killed in the middle
    (a decoder crash, the OOM killer) leaves it raised; a step that ends, with a
    result or an exception, takes it back.  A document that started
    ``max_deliveries`` times in the same state without ever ending goes to
    ``failed`` instead of crashing the next worker (the reconciler leaves it alone).

    Only the three columns it needs are read, and written back with one UPDATE (this
    runs before every step): the columns an ORM flush of the document would write.
    """
    limit = rt.settings.max_deliveries
    if limit <= 0:
        return True
    with rt.tx() as s:
        state, stored, attempts = repo.delivery_facts(s, document_id, lock=True)
        if DocumentState(state) not in ACTIVE_STATES:
            return True  # the step is a no-op; nothing to count
        key = _entry_key(state, stored)
        timings = dict(stored or {})
        started = int(attempts or 0) if timings.get("delivery_key") == key else 0
        if started >= limit:
            doc = repo.get_document(s, document_id, lock=True)
            reason = (
                f"crashed the worker {started} times ({name} step); not retried: "
                "reprocess it once the cause is fixed"
            )
            repo.set_state(s, doc, S.FAILED, reason, code="crashed_worker")
            repo.audit(s, "failed", dossier_id=doc.dossier_id, document_id=doc.id, reason=reason)
            log.error("document %s: %s", document_id, reason)
            return False
        timings["delivery_key"] = key
        changed: dict[str, Any] = {"attempts": started + 1} if started + 1 != attempts else {}
        if timings != stored:
            changed["timings"] = timings
        if changed:
            repo.set_delivery(s, document_id, **changed)
    return True


def _end_delivery(rt: Runtime, document_id: int) -> None:
    """The step ended without killing the worker: the start does not count as a crash."""
    if rt.settings.max_deliveries <= 0:
        return
    with rt.tx() as s:
        state, timings, attempts = repo.delivery_facts(s, document_id, lock=True)
        if (timings or {}).get("delivery_key") == _entry_key(state, timings) and attempts:
            repo.set_delivery(s, document_id, attempts=int(attempts) - 1)


def run_step(step: Step, name: str, document_id: int) -> None:
    """The one shell every actor goes through."""
    rt = get_runtime()
    if not _start_delivery(rt, document_id, name):
        return
    try:
        nexts = step(rt, document_id)
    except StorageUnavailable:
        with contextlib.suppress(Exception):  # the database may be the one that is down
            _end_delivery(rt, document_id)
        raise  # transient: retry, never fail the document for our own outage
    except (Exception, TimeLimitExceeded) as exc:
        _end_delivery(rt, document_id)
        if _retries_left():
            log.warning("step %s of document %s failed, will retry: %s", name, document_id, exc)
            raise
        reason = f"{name} failed after retries: {type(exc).__name__}: {exc}"[:2000]
        log.error("document %s: %s", document_id, reason)
        _fail(rt, document_id, reason)
        return
    _end_delivery(rt, document_id)  # a no-op run (duplicate message) counts for nothing
    send_next(nexts)
    if name in ("split", "extract"):  # after intake: the quota alerts of its dossier
        from pipeline.quota_alerts import after_intake

        after_intake(rt, document_id)


def send_next(nexts: list[NextStep]) -> None:
    for step in {n.step for n in nexts}:
        send_many(step, [n.document_id for n in nexts if n.step == step])


def send_many(step: str, document_ids: list[int]) -> None:
    """Send one step for many documents; one queue commit on the SQLite broker."""
    actor = ACTORS[step]
    enqueue_many = getattr(actor.broker, "enqueue_many", None)
    if enqueue_many is None:
        for doc_id in document_ids:
            actor.send(doc_id)
        return
    if document_ids:
        enqueue_many([actor.message(doc_id) for doc_id in document_ids])


@dramatiq.actor(queue_name="split")
def split(document_id: int) -> None:
    run_step(split_step, "split", document_id)


@dramatiq.actor(queue_name="extract")
def extract(document_id: int) -> None:
    run_step(extract_text_step, "extract", document_id)


#: documents that need OCR: consumed by the worker service's own OCR processes
OCR_QUEUE = "ocr"
#: the queues of the other worker processes (light work: mails, e-invoices, text PDFs)
LIGHT_QUEUES = ("split", "extract", "propose")


@dramatiq.actor(queue_name=OCR_QUEUE)
def ocr(document_id: int) -> None:
    run_step(ocr_step, "ocr", document_id)


@dramatiq.actor(queue_name="propose")
def propose(document_id: int) -> None:
    run_step(propose_step, "propose", document_id)


ACTORS: dict[str, dramatiq.Actor] = {
    "split": split,
    "extract": extract,
    "ocr": ocr,
    "propose": propose,
}


def enqueue_for_state(doc_id: int, kind: str, state: str) -> None:
    """Send the step a document in ``state`` is waiting for."""
    if state == S.RECEIVED.value:
        (split if kind == "mail" else extract).send(doc_id)
    elif state == S.EXTRACTED.value:
        propose.send(doc_id)


def reconcile(rt: Runtime | None = None, *, older_than_seconds: int | None = None) -> int:
    """Re-send every document stuck in a working state longer than the timeout.

    A lost queue message (broker restart, crash between commit and send)
    therefore never loses a document; the steps are idempotent, so a
    duplicate message costs only a no-op.
    """
    rt = rt or get_runtime()
    age = rt.settings.reconcile_after_seconds if older_than_seconds is None else older_than_seconds
    cutoff = utcnow() - dt.timedelta(seconds=age)
    with rt.tx() as s:
        stuck = [(d.id, d.kind, d.state) for d in repo.stuck_documents(s, ACTIVE_STATES, cutoff)]
        for doc_id, _kind, _state in stuck:
            doc = repo.get_document(s, doc_id)
            doc.updated_at = utcnow()  # not again before the next timeout
    for doc_id, kind, state in stuck:
        enqueue_for_state(doc_id, kind, state)
    if stuck:
        log.info("reconciler re-sent %d documents", len(stuck))
    try:  # the planner's statistics follow the database's growth (SQLite; hourly)
        refresh_statistics(rt.settings.database_url, every_seconds=STATISTICS_EVERY_SECONDS)
    except Exception:
        log.warning("refreshing the planner statistics failed", exc_info=True)
    return len(stuck)


def bind(broker: dramatiq.Broker) -> None:
    """Declare the actors on another broker (tests switch brokers)."""
    for actor in ACTORS.values():
        actor.broker = broker
        broker.declare_actor(actor)
