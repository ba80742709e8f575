"""Group commit: one database transaction for the mails of many SMTP sessions.

Each session writes (and fsyncs) its raw mail blob itself, concurrently with
the others, then hands a :class:`Delivery` to the :class:`GroupCommitWriter`.
One thread drains the queue: every delivery waiting at that moment goes into
ONE transaction (one commit, so one WAL fsync on SQLite), then the split step
is enqueued for the new mail documents, then each session's future resolves
and the session may answer ``250``.  A batch that fails for another reason
than an unavailable database is retried one delivery at a time, so one bad
delivery never fails its neighbours.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from intake.smtp_facts import MailFacts
from pipeline.runtime import Runtime
from pipeline.states import DocumentState
from storage import BlobRef, StorageUnavailable, repo

__all__ = ["Delivery", "GroupCommitWriter", "Route", "Stored", "WriterClosed"]

log = logging.getLogger(__name__)

Enqueue = Callable[[Sequence[int]], None]


class WriterClosed(RuntimeError):
    """The writer is shutting down and takes no new deliveries."""


@dataclass(frozen=True, slots=True)
class Route:
    """One dossier a mail goes to, with the envelope recipients that chose it."""

    dossier_id: int
    recipients: tuple[str, ...]
    sender_allowed: bool = True


@dataclass(frozen=True, slots=True)
class Delivery:
    raw: BlobRef
    facts: MailFacts
    envelope_from: str
    peer_ip: str | None
    routes: tuple[Route, ...]


@dataclass(frozen=True, slots=True)
class Stored:
    """The mail documents of one delivery, one per dossier, and which are new."""

    document_ids: tuple[int, ...]
    created: tuple[bool, ...]
    to_split: tuple[int, ...]


_Item = tuple[Delivery, "Future[Stored]"]
_STOP = object()


class GroupCommitWriter:
    """A thread committing queued deliveries in batches."""

    def __init__(self, rt: Runtime, enqueue: Enqueue, *, max_batch: int = 256) -> None:
        self.rt = rt
        self._enqueue = enqueue
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="smtp-group-commit", daemon=True)
        self.batches = 0
        self.deliveries = 0

    def start(self) -> None:
        self._thread.start()

    def submit(self, delivery: Delivery) -> Future[Stored]:
        future: Future[Stored] = Future()
        with self._lock:
            if self._closed:
                raise WriterClosed("the SMTP server is shutting down")
            self._queue.put((delivery, future))
        return future

    def close(self, timeout: float | None = None) -> None:
        """Commit what is queued, then stop the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        if self._thread.is_alive():
            self._thread.join(timeout)

    # -- the writer thread -----------------------------------------------------------
    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is _STOP:
                break
            batch: list[_Item] = [first]  # type: ignore[list-item]
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)  # type: ignore[arg-type]
            for _, future in batch:
                # once running, a session that hangs up cannot cancel it: the mail
                # is stored anyway and a redelivery finds it
                future.set_running_or_notify_cancel()
            try:
                self._process(batch)
            except BaseException as exc:  # never leave a session waiting forever
                log.exception("group commit writer failed")
                _fail(batch, exc)

    def _process(self, batch: list[_Item]) -> None:
        try:
            results = self._commit([delivery for delivery, _ in batch])
        except StorageUnavailable as exc:
            log.warning("database unavailable, %d deliveries refused: %s", len(batch), exc)
            _fail(batch, exc)
            return
        except Exception as exc:
            if len(batch) == 1:
                log.exception("storing a delivery failed")
                _fail(batch, exc)
                return
            log.warning("a batch of %d failed (%s); one at a time", len(batch), exc)
            for item in batch:
                self._process([item])
            return
        self.batches += 1
        self.deliveries += len(batch)
        self._send([doc_id for r in results for doc_id in r.to_split])
        for (_, future), result in zip(batch, results, strict=True):
            if not future.cancelled():
                future.set_result(result)

    def _commit(self, deliveries: list[Delivery]) -> list[Stored]:
        items = [
            repo.MailIn(
                dossier_id=route.dossier_id,
                raw=d.raw,
                dedup_key=d.facts.dedup_key,
                envelope_from=d.envelope_from,
                envelope_to=tuple(route.recipients),
                message_id=d.facts.message_id,
                peer_ip=d.peer_ip,
                subject=d.facts.subject,
                from_header=d.facts.from_header,
                sender_allowed=route.sender_allowed,
            )
            for d in deliveries
            for route in d.routes
        ]
        with self.rt.tx() as s:
            stored = iter(repo.store_mails(s, items))
        results: list[Stored] = []
        for d in deliveries:
            mine = [next(stored) for _ in d.routes]
            results.append(
                Stored(
                    tuple(m.document_id for m in mine),
                    tuple(m.created for m in mine),
                    tuple(m.document_id for m in mine if m.state == DocumentState.RECEIVED.value),
                )
            )
        return results

    def _send(self, document_ids: list[int]) -> None:
        if not document_ids:
            return
        try:
            self._enqueue(document_ids)
        except Exception:  # committed already: the reconciler re-sends stuck mails
            log.warning(
                "could not enqueue the split step for %s; the reconciler will", document_ids,
                exc_info=True,
            )  # fmt: skip


def _fail(batch: list[_Item], exc: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)
