"""A durable dramatiq broker on one SQLite file, shared by local processes.

Why our own: the ``dramatiq-sqlite`` 0.1.0 package marks a message
"consumed" with no lease, so a worker killed mid-step loses it for good, its
``requeue`` uses an invalid ``IN ?`` query, and delayed messages wait in
memory.  Here every claimed message carries a *lease* that the consumer
renews while it works; a killed worker's messages come back once the lease
runs out.  Delays are an ``eta`` column, so retries with backoff survive a
restart too.

The queue lives in its own database file (WAL mode), apart from the
application database, so queue traffic never blocks the SMTP commits.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dramatiq.broker import Broker, Consumer, MessageProxy
from dramatiq.common import current_millis
from dramatiq.message import Message
from dramatiq.middleware import Middleware

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queue_message (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue_name TEXT NOT NULL,
    message_id TEXT NOT NULL,
    body BLOB NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    eta INTEGER NOT NULL,
    lease_until INTEGER NOT NULL DEFAULT 0,
    owner TEXT,
    deliveries INTEGER NOT NULL DEFAULT 0,
    dead INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_queue_ready ON queue_message (queue_name, dead, eta, lease_until);
"""

#: how long a claimed message stays invisible to others without a renewal
LEASE_MS = 60_000
#: renew leases this often while a message is being processed
RENEW_EVERY_MS = 10_000

_HOST = socket.gethostname()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reclaim_dead_leases(conn: sqlite3.Connection) -> int:
    """Release messages leased by processes of this host that no longer exist.

    A worker killed with SIGKILL cannot give its messages back; instead of
    waiting for the lease to run out, the next consumer on the same host
    notices the dead owner and makes them visible again.
    """
    now = current_millis()
    rows = conn.execute(
        "SELECT id, owner FROM queue_message WHERE lease_until > ? AND owner LIKE ?",
        (now, f"{_HOST}:%"),
    ).fetchall()
    dead = [row_id for row_id, owner in rows if not _pid_alive(int(owner.split(":")[1]))]
    if dead:
        marks = ",".join("?" * len(dead))
        conn.execute(f"UPDATE queue_message SET lease_until = 0 WHERE id IN ({marks})", dead)
        log.warning("released %d message(s) of dead workers", len(dead))
    return len(dead)


class SQLiteBroker(Broker):
    """dramatiq broker backed by a SQLite file."""

    def __init__(
        self, path: str | os.PathLike[str], *, middleware: list[Middleware] | None = None
    ) -> None:
        super().__init__(middleware=middleware)
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.queues: set[str] = set()
        self._local = threading.local()
        self.connection().executescript(_SCHEMA)

    # -- connections ---------------------------------------------------------------
    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    def _tx(self) -> _Transaction:
        return _Transaction(self.connection())

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- Broker API ----------------------------------------------------------------
    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 30000) -> Consumer:
        return _SQLiteConsumer(self, queue_name, prefetch, timeout)

    def declare_queue(self, queue_name: str) -> None:
        if queue_name not in self.queues:
            self.emit_before("declare_queue", queue_name)
            self.queues.add(queue_name)
            self.emit_after("declare_queue", queue_name)

    def enqueue(self, message: Message, *, delay: int | None = None) -> Message:
        return self.enqueue_many([message], delay=delay)[0]

    def enqueue_many(self, messages: list[Message], *, delay: int | None = None) -> list[Message]:
        """Enqueue several messages in one transaction (one commit for a batch)."""
        eta = current_millis() + (delay or 0)
        prepared = []
        for message in messages:
            if message.queue_name not in self.queues:
                self.declare_queue(message.queue_name)
            options = {k: v for k, v in message.options.items() if k not in {"_row", "eta"}}
            message = message.copy(options=options)
            self.emit_before("enqueue", message, delay)
            actor = self.actors.get(message.actor_name)
            priority = int(actor.priority) if actor is not None else 0
            prepared.append((message, priority))
        with self._tx() as db:
            db.executemany(
                "INSERT INTO queue_message (queue_name, message_id, body, priority, eta, created)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (m.queue_name, m.message_id, m.encode(), prio, eta, current_millis())
                    for m, prio in prepared
                ],
            )
        for message, _ in prepared:
            self.emit_after("enqueue", message, delay)
        return [m for m, _ in prepared]

    def get_declared_queues(self) -> set[str]:
        return set(self.queues)

    def get_declared_delay_queues(self) -> set[str]:
        return set()

    def flush(self, queue_name: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM queue_message WHERE queue_name = ?", (queue_name,))

    def flush_all(self) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM queue_message")

    def pending(self, queue_name: str | None = None) -> int:
        """Messages not yet acknowledged (ready, delayed or in flight)."""
        sql = "SELECT COUNT(*) FROM queue_message WHERE dead = 0"
        args: tuple[Any, ...] = ()
        if queue_name is not None:
            sql += " AND queue_name = ?"
            args = (queue_name,)
        row = self.connection().execute(sql, args).fetchone()
        return int(row[0])

    def dead_letters(self) -> int:
        row = (
            self.connection()
            .execute("SELECT COUNT(*) FROM queue_message WHERE dead = 1")
            .fetchone()
        )
        return int(row[0])

    def join(self, queue_name: str, *, timeout: int | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout / 1000
        while self.pending(queue_name):
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"queue {queue_name} still has work after {timeout} ms")
            time.sleep(0.05)


class _Transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")


class _SQLiteConsumer(Consumer):
    def __init__(self, broker: SQLiteBroker, queue_name: str, prefetch: int, timeout: int) -> None:
        self.broker = broker
        self.queue_name = queue_name
        self.prefetch = max(1, prefetch)
        self.timeout_s = max(0.01, min(timeout, 1000) / 1000)
        self.owner = f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.in_flight: set[int] = set()
        # guards in_flight; signalled when a worker thread finishes a message: a full
        # consumer waits on it (it polled every millisecond before: 3 % of a core per
        # busy consumer in a bare loop)
        self._room = threading.Condition()
        self._last_renew = 0
        self._idle = 0.0

    def _renew(self) -> None:
        now = current_millis()
        if now - self._last_renew < RENEW_EVERY_MS:
            return
        self._last_renew = now
        reclaim_dead_leases(self.broker.connection())
        with self._room:
            ids = list(self.in_flight)
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        with self.broker._tx() as db:
            db.execute(
                f"UPDATE queue_message SET lease_until = ? WHERE id IN ({marks}) AND owner = ?",
                (now + LEASE_MS, *ids, self.owner),
            )

    def _claim(self) -> tuple[int, bytes] | None:
        now = current_millis()
        with self.broker._tx() as db:
            row = db.execute(
                "SELECT id, body FROM queue_message WHERE queue_name = ? AND dead = 0"
                " AND eta <= ? AND lease_until <= ? ORDER BY priority, eta, id LIMIT 1",
                (self.queue_name, now, now),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE queue_message SET lease_until = ?, owner = ?, deliveries = deliveries + 1"
                " WHERE id = ?",
                (now + LEASE_MS, self.owner, row[0]),
            )
        return int(row[0]), bytes(row[1])

    def __next__(self) -> MessageProxy | None:
        self._renew()
        with self._room:
            if len(self.in_flight) >= self.prefetch:
                # until a worker thread finishes one; back to dramatiq's loop at least
                # every 250 ms (shutdown, delayed messages, lease renewal)
                self._room.wait(timeout=min(self.timeout_s, 0.25))
            busy = len(self.in_flight) >= self.prefetch
        if busy:
            return None
        claimed = self._claim()
        if claimed is None:
            # empty queue: back off up to 250 ms (or the worker's timeout)
            self._idle = min(self.timeout_s, 0.25, max(0.01, self._idle * 2))
            time.sleep(self._idle)
            return None
        self._idle = 0.0
        row_id, body = claimed
        with self._room:
            self.in_flight.add(row_id)
        message = Message.decode(body)
        message = message.copy(options={**message.options, "_row": row_id})
        return MessageProxy(message)

    def _finish(self, message: MessageProxy, sql: str) -> None:
        row_id = int(message.options["_row"])
        with self.broker._tx() as db:
            db.execute(sql, (row_id,))
        with self._room:
            self.in_flight.discard(row_id)
            self._room.notify_all()

    def ack(self, message: MessageProxy) -> None:
        self._finish(message, "DELETE FROM queue_message WHERE id = ?")

    def nack(self, message: MessageProxy) -> None:
        self._finish(message, "UPDATE queue_message SET dead = 1, lease_until = 0 WHERE id = ?")

    def requeue(self, messages: Iterable[MessageProxy]) -> None:
        for message in messages:
            self._finish(message, "UPDATE queue_message SET lease_until = 0 WHERE id = ?")

    def close(self) -> None:
        with self._room:
            ids = list(self.in_flight)
            self.in_flight.clear()
            self._room.notify_all()
        if ids:
            marks = ",".join("?" * len(ids))
            with self.broker._tx() as db:
                db.execute(f"UPDATE queue_message SET lease_until = 0 WHERE id IN ({marks})", ids)
