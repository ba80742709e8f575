"""Handing an invoice or reminder send to the send actor (:mod:`pipeline.send_actor`).

The message is addressed by the actor's name, so the service enqueues it without
importing the actor (whose module imports the service); worker processes declare the
actor.  Kept free of the service: :mod:`pipeline.service.invoicing` imports this.
"""

from __future__ import annotations

import logging

import dramatiq

from pipeline import broker as _broker

__all__ = ["SEND_ACTOR", "SEND_QUEUE", "enqueue_send"]

log = logging.getLogger(__name__)

SEND_QUEUE = "send"
SEND_ACTOR = "send_invoice"


def enqueue_send(send_id: int) -> bool:
    """Enqueue the delivery of ``send_id``; False (logged) when the broker cannot take
    it: the send is stored already, and the reconciler delivers it later."""
    try:
        broker = _broker.get_broker()
        broker.declare_queue(SEND_QUEUE)
        broker.enqueue(
            dramatiq.Message(
                queue_name=SEND_QUEUE,
                actor_name=SEND_ACTOR,
                args=(send_id,),
                kwargs={},
                options={},
            )
        )
    except Exception as exc:
        log.warning(
            "send %s stored; queueing it failed (%s), the reconciler sends it", send_id, exc
        )
        return False
    return True
