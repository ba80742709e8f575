"""Fixtures for the SMTP server tests: a real SQLite database and blob directory in
tmp_path, and a real aiosmtpd server on a loopback port (in-process, on its own
event loop thread).  Nothing here is autouse: the splitter tests do not see it.
Plain helpers live in smtp_support.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from smtp_support import Enqueued, RunningServer, ServerThread, add_dossier, smtp_settings

from pipeline.runtime import Runtime, build_runtime, reset_runtime
from storage.db import dispose_engines, migrate


@pytest.fixture
def make_rt(tmp_path: Path) -> Iterator[Callable[..., Runtime]]:
    """``make_rt(**settings)`` -> a migrated runtime on tmp_path."""

    def build(**overrides: Any) -> Runtime:
        settings = smtp_settings(tmp_path, **overrides)
        if settings.database_url.startswith("sqlite"):
            migrate(settings.database_url)
        rt = build_runtime(settings)
        reset_runtime(rt)
        return rt

    yield build
    reset_runtime(None)
    dispose_engines()


@pytest.fixture
def smtp_rt(make_rt: Callable[..., Runtime]) -> Runtime:
    return make_rt()


@pytest.fixture
def start_server() -> Iterator[Callable[..., RunningServer]]:
    """``start_server(rt, **IntakeServer kwargs)`` -> a running server; stopped at teardown."""
    running: list[RunningServer] = []

    def start(rt: Runtime, **kwargs: Any) -> RunningServer:
        enqueued = Enqueued()
        kwargs.setdefault("enqueue", enqueued)
        kwargs.setdefault("hostname", "mx.boekbox.test")
        thread = ServerThread(rt, **kwargs)
        srv = RunningServer(thread.start(), thread, enqueued)
        running.append(srv)
        return srv

    yield start
    for srv in running:
        srv.thread.stop()


@pytest.fixture
def janssens(smtp_rt: Runtime) -> Runtime:
    add_dossier(smtp_rt, "bakkerij-janssens")
    add_dossier(smtp_rt, "atelier-dubois")
    return smtp_rt
