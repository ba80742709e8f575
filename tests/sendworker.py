"""A dramatiq worker for the invoice send actor, on a fresh stub broker made the process
broker (where ``Service.send`` enqueues) for as long as the generator runs; retry
backoff in milliseconds.  Used by the sending tests and the Invoices page test."""

from __future__ import annotations

from collections.abc import Iterator

import dramatiq
from dramatiq import Worker

from pipeline import broker as pipeline_broker
from pipeline import send_actor
from pipeline.broker import setup_broker
from pipeline.settings import Settings


def send_worker() -> Iterator[dramatiq.Broker]:
    actor = send_actor.send_invoice
    options = dict(actor.options)
    actor.options.update(min_backoff=20, max_backoff=100)
    before, global_before = actor.broker, dramatiq.get_broker()
    broker = setup_broker(Settings(broker="stub"))
    send_actor.bind(broker)
    worker = Worker(broker, queues={send_actor.SEND_QUEUE}, worker_threads=1, worker_timeout=20)
    worker.start()
    try:
        yield broker
    finally:
        worker.stop()
        worker.join()
        broker.close()
        actor.options.clear()
        actor.options.update(options)
        send_actor.bind(before)
        pipeline_broker._BROKER = global_before
        dramatiq.set_broker(global_before)
