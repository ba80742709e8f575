"""Broker set-up: import this before any actor is declared.

``dramatiq.get_broker()`` silently builds a RabbitMQ broker when none is set,
so :func:`setup_broker` runs at import time of :mod:`pipeline.actors`, from
the settings: ``sqlite`` (embedded, durable, shared by local processes) or
``redis`` (scale-out).  Tests may call :func:`setup_broker` again with
another configuration before importing the actors.
"""

from __future__ import annotations

import logging

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    CurrentMessage,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from pipeline.settings import Settings, load_settings

log = logging.getLogger(__name__)

_BROKER: dramatiq.Broker | None = None


def _middleware(settings: Settings) -> list[dramatiq.Middleware]:
    return [
        AgeLimit(),
        TimeLimit(time_limit=settings.step_time_limit_seconds * 1000),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(max_retries=settings.max_retries, min_backoff=1000, max_backoff=60_000),
        CurrentMessage(),
    ]


def setup_broker(settings: Settings | None = None) -> dramatiq.Broker:
    """Build the configured broker and make it dramatiq's global broker."""
    global _BROKER
    settings = settings or load_settings()
    broker: dramatiq.Broker
    if settings.broker == "redis":
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(url=settings.broker_url, middleware=_middleware(settings))
    elif settings.broker == "stub":
        broker = StubBroker(middleware=_middleware(settings))
    else:
        from pipeline.sqlite_broker import SQLiteBroker

        broker = SQLiteBroker(settings.broker_url, middleware=_middleware(settings))
    dramatiq.set_broker(broker)
    _BROKER = broker
    log.debug("broker %s configured", settings.broker)
    return broker


def get_broker() -> dramatiq.Broker:
    return _BROKER if _BROKER is not None else setup_broker()
