"""The dramatiq actor that delivers invoice and reminder sends.

``Service.send`` stores the send (queued, with its message id) and commits before it
enqueues :data:`send_invoice` by name (:func:`pipeline.send_queue.enqueue_send`; worker
processes import this module to declare the actor); a worker then delivers it through
:func:`pipeline.service.invoicing.deliver_send`, which is idempotent: a send already
``sent`` or ``failed`` is left alone, and a delivery again (a duplicate message, a retry
after a crash in the middle) reuses the stored message id, which the access point and
the mail's Message-ID deduplicate on.

A failure that can pass (relay or access point unreachable, 5xx, not configured yet)
leaves the send queued with the reason and raises :class:`SendPending`, so dramatiq's
Retries middleware enqueues it again with exponential backoff (:data:`MIN_BACKOFF_MS` to
:data:`MAX_BACKOFF_MS`, :data:`MAX_RETRIES` times); a definite refusal, or the last
attempt, stores ``failed`` with the reason.  The reconciler's pass over queued sends
(``boekbox worker``) stays the safety net for a lost message or a broker outage.
"""

from __future__ import annotations

import logging

import dramatiq

from pipeline import broker as _broker
from pipeline.send_queue import SEND_ACTOR, SEND_QUEUE

__all__ = ["MAX_BACKOFF_MS", "MAX_RETRIES", "MIN_BACKOFF_MS", "SEND_QUEUE", "SendPending", "bind"]

log = logging.getLogger(__name__)

#: dramatiq retries of one send message; the send itself fails after
#: ``pipeline.service.invoicing.MAX_SEND_ATTEMPTS`` deliveries in all
MAX_RETRIES = 8
MIN_BACKOFF_MS = 15_000
MAX_BACKOFF_MS = 30 * 60_000

# the configured broker must exist before the actor below is declared
_broker.get_broker()


class SendPending(Exception):
    """The send is still queued after this attempt (the reason is stored on it)."""


@dramatiq.actor(
    actor_name=SEND_ACTOR,
    queue_name=SEND_QUEUE,
    max_retries=MAX_RETRIES,
    min_backoff=MIN_BACKOFF_MS,
    max_backoff=MAX_BACKOFF_MS,
)
def send_invoice(send_id: int) -> None:
    """Deliver send ``send_id``; raise to be retried while it stays queued."""
    from pipeline.runtime import get_runtime
    from pipeline.service import Service
    from pipeline.service.sales_common import deliver_send

    state = deliver_send(Service(get_runtime()), send_id)
    if state == "queued":
        raise SendPending(f"send {send_id} still queued; retried with backoff")
    log.info("send %s: %s", send_id, state)


def bind(broker: dramatiq.Broker) -> None:
    """Declare the send actor on another broker (tests switch brokers)."""
    send_invoice.broker = broker
    broker.declare_actor(send_invoice)
