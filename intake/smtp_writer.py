"""Group commit: one flush and one database transaction for the mails of many SMTP sessions.

A session hands its received mail (:class:`Incoming`) to the
:class:`GroupCommitWriter` and awaits an asyncio future.  Two threads form a
pipeline.  The blob thread takes every mail waiting at that moment, reads the
header facts (Message-ID, redelivery key) and writes the raw blobs with ONE
group flush (``BlobStore.put_many``).  The commit thread takes every batch
whose blobs are durable, stores all mail rows in ONE transaction (one commit,
so one WAL fsync on SQLite), enqueues the split step for the new mail
documents in one queue commit, and then resolves every session's future with
one wake-up of the event loop.  Only then may a session answer ``250``.

A mail whose blob cannot be written fails alone (``StorageFull`` → 452,
otherwise 451).  A batch whose transaction fails for another reason than an
unavailable database is retried one mail at a time, so one bad mail never
fails its neighbours.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from intake.smtp_facts import MailFacts, mail_facts
from pipeline.runtime import Runtime
from pipeline.states import DocumentState
from storage import BlobRef, StorageError, StorageUnavailable, repo

__all__ = ["GroupCommitWriter", "Incoming", "Route", "Stored", "WriterClosed"]

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
class Incoming:
    """A mail as received, for the dossiers its envelope recipients route to."""

    raw: bytes
    envelope_from: str
    peer_ip: str | None
    routes: tuple[Route, ...]


@dataclass(frozen=True, slots=True)
class _Ready:
    """A mail whose blob is durable, waiting for its rows."""

    incoming: Incoming
    ref: BlobRef
    facts: MailFacts


@dataclass(frozen=True, slots=True)
class Stored:
    """The mail documents of one delivery, one per dossier, and which are new."""

    document_ids: tuple[int, ...]
    created: tuple[bool, ...]
    to_split: tuple[int, ...]


Outcome = Stored | BaseException


@dataclass(slots=True)
class _Item:
    incoming: Incoming
    future: asyncio.Future[Stored]
    loop: asyncio.AbstractEventLoop
    outcome: Outcome | None = None


_STOP = object()


class GroupCommitWriter:
    """Two threads storing queued mails in batches, as a pipeline.

    The blob thread reads the facts and writes the raw mails of everything
    waiting, with one flush; the commit thread stores the rows of everything
    the blob thread has finished, in one transaction.  So the flush of one
    batch overlaps the commit of the previous one, and a row is committed only
    after its blob is durable.
    """

    def __init__(self, rt: Runtime, enqueue: Enqueue, *, max_batch: int = 256) -> None:
        self.rt = rt
        self._enqueue = enqueue
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._blobs_done: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._threads = (
            threading.Thread(target=self._run_blobs, name="smtp-blobs", daemon=True),
            threading.Thread(target=self._run_commit, name="smtp-commit", daemon=True),
        )
        self.batches = 0
        self.deliveries = 0

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def submit(self, incoming: Incoming) -> asyncio.Future[Stored]:
        """Queue a mail (call on the event loop); the future resolves when it is stored."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Stored] = loop.create_future()
        with self._lock:
            if self._closed:
                raise WriterClosed("the SMTP server is shutting down")
            self._queue.put(_Item(incoming, future, loop))
        return future

    def close(self, timeout: float | None = None) -> None:
        """Store what is queued, then stop the threads."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout)

    # -- the blob thread -------------------------------------------------------------
    def _run_blobs(self) -> None:
        stop = False
        while not stop:
            batch, stop = _drain(self._queue, self.max_batch)
            if not batch:
                continue
            try:
                ready = self._write_blobs(batch)
            except BaseException as exc:  # never leave a session waiting forever
                log.exception("group commit writer failed writing blobs")
                ready = []
                for item in batch:
                    item.outcome = exc
            failed = [item for item in batch if item.outcome is not None]
            if failed:
                _resolve(failed)
            if ready:
                self._blobs_done.put(ready)
        self._blobs_done.put(_STOP)

    def _write_blobs(self, batch: list[_Item]) -> list[tuple[_Item, _Ready]]:
        """Facts and durable blobs for a batch; a mail whose blob failed gets its error."""
        raws = [item.incoming.raw for item in batch]
        facts = [mail_facts(raw) for raw in raws]
        refs = self.rt.blobs.put_many(raws)
        ready: list[tuple[_Item, _Ready]] = []
        for item, ref, fact in zip(batch, refs, facts, strict=True):
            if isinstance(ref, StorageError):
                item.outcome = ref
            else:
                ready.append((item, _Ready(item.incoming, ref, fact)))
        return ready

    # -- the commit thread -----------------------------------------------------------
    def _run_commit(self) -> None:
        stop = False
        while not stop:
            groups, stop = _drain(self._blobs_done, self.max_batch)
            ready = [pair for group in groups for pair in group]
            if not ready:
                continue
            try:
                self._store(ready)
            except BaseException as exc:  # never leave a session waiting forever
                log.exception("group commit writer failed storing rows")
                for item, _ in ready:
                    if item.outcome is None:
                        item.outcome = exc
            _resolve([item for item, _ in ready])
            _log_stored(ready)

    def _store(self, ready: list[tuple[_Item, _Ready]]) -> None:
        try:
            results = self._commit([r for _, r in ready])
        except StorageUnavailable as exc:
            log.warning("database unavailable, %d mails refused: %s", len(ready), exc)
            for item, _ in ready:
                item.outcome = exc
            return
        except Exception as exc:
            if len(ready) == 1:
                log.exception("storing a mail failed")
                ready[0][0].outcome = exc
                return
            log.warning("a batch of %d failed (%s); one at a time", len(ready), exc)
            for pair in ready:
                self._store([pair])
            return
        self.batches += 1
        self.deliveries += len(ready)
        self._send([doc_id for r in results for doc_id in r.to_split])
        for (item, _), result in zip(ready, results, strict=True):
            item.outcome = result

    def _commit(self, mails: list[_Ready]) -> list[Stored]:
        items = [
            repo.MailIn(
                dossier_id=route.dossier_id,
                raw=m.ref,
                dedup_key=m.facts.dedup_key,
                envelope_from=m.incoming.envelope_from,
                envelope_to=tuple(route.recipients),
                message_id=m.facts.message_id,
                peer_ip=m.incoming.peer_ip,
                subject=m.facts.subject,
                from_header=m.facts.from_header,
                sender_allowed=route.sender_allowed,
            )
            for m in mails
            for route in m.incoming.routes
        ]
        with self.rt.tx() as s:
            stored = iter(repo.store_mails(s, items))
        received = DocumentState.RECEIVED.value
        results: list[Stored] = []
        for m in mails:
            mine = [next(stored) for _ in m.incoming.routes]
            results.append(
                Stored(
                    tuple(x.document_id for x in mine),
                    tuple(x.created for x in mine),
                    tuple(x.document_id for x in mine if x.state == received),
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


def _drain(source: queue.SimpleQueue[object], most: int) -> tuple[list[Any], bool]:
    """Wait for one entry, then take all that are waiting (up to ``most``); and
    whether the stop marker came."""
    first = source.get()
    if first is _STOP:
        return [], True
    taken = [first]
    while len(taken) < most:
        try:
            entry = source.get_nowait()
        except queue.Empty:
            break
        if entry is _STOP:
            return taken, True
        taken.append(entry)
    return taken, False


def _resolve(batch: list[_Item]) -> None:
    """Hand every outcome to its event loop: one wake-up per loop and batch."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Item]] = {}
    for item in batch:
        by_loop.setdefault(item.loop, []).append(item)
    for loop, items in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, items)
        except RuntimeError:  # the loop is closed: nobody waits any more
            log.debug("event loop closed before %d outcomes were delivered", len(items))


def _log_stored(ready: list[tuple[_Item, _Ready]]) -> None:
    """One line per stored mail, written here rather than on the event loop."""
    if not log.isEnabledFor(logging.INFO):
        return
    for item, mail in ready:
        stored, incoming = item.outcome, mail.incoming
        if isinstance(stored, Stored):
            log.info(
                "mail <%s> from %s (%s), %d bytes: documents %s%s", mail.facts.message_id,
                incoming.envelope_from or "<>", incoming.peer_ip, mail.ref.size,
                ",".join(map(str, stored.document_ids)),
                "" if any(stored.created) else " (redelivery)",
            )  # fmt: skip


def _settle(items: list[_Item]) -> None:
    for item in items:
        if item.future.done():  # the session went away (cancelled)
            continue
        outcome = item.outcome
        if isinstance(outcome, Stored):
            item.future.set_result(outcome)
        else:
            item.future.set_exception(outcome or RuntimeError("mail was not processed"))
