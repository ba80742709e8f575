"""Per-process resources: settings, database sessions, blob store.

Built lazily once per process (and rebuilt after a fork), so actors, the
SMTP server, the CLI and the UI service share one way to reach storage.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from pipeline.settings import Settings, load_settings
from storage import BlobStore, open_blob_store
from storage.db import DbSession, SessionFactory, session_factory, session_scope

__all__ = ["Runtime", "get_runtime", "reset_runtime"]


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    sessions: SessionFactory
    blobs: BlobStore

    @contextlib.contextmanager
    def tx(self) -> Iterator[DbSession]:
        """One short transaction."""
        with session_scope(self.sessions) as session:
            yield session


_RUNTIME: Runtime | None = None
_PID = 0
_LOCK = threading.Lock()


def build_runtime(settings: Settings) -> Runtime:
    blobs = open_blob_store(
        settings.blob_store,
        s3_endpoint_url=settings.s3_endpoint_url,
        s3_access_key=settings.s3_access_key,
        s3_secret_key=settings.s3_secret_key,
    )
    return Runtime(settings=settings, sessions=session_factory(settings.database_url), blobs=blobs)


def get_runtime() -> Runtime:
    global _RUNTIME, _PID
    with _LOCK:
        if _RUNTIME is None or os.getpid() != _PID:
            if _RUNTIME is not None:
                from storage.db import dispose_engines

                dispose_engines()
            _RUNTIME = build_runtime(load_settings())
            _PID = os.getpid()
        return _RUNTIME


def reset_runtime(runtime: Runtime | None = None) -> None:
    """Forget (or replace) the process runtime; tests use this."""
    global _RUNTIME, _PID
    with _LOCK:
        _RUNTIME = runtime
        _PID = os.getpid()
