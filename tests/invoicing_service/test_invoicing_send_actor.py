"""The send actor: ``Service.send`` stores the send and enqueues it; a dramatiq worker
delivers it over the real loopback access point (its document submission API) or the
aiosmtpd relay, retries a passing failure with backoff, stores a definite refusal with
its reason, and never sends a send twice (a duplicate message, a delivery under way)."""

from __future__ import annotations

import datetime as dt
import email
from collections.abc import Iterator
from email import policy
from pathlib import Path

import dramatiq
import pytest
from sendworker import send_worker
from sqlalchemy import update
from test_invoicing_sending import AccessPoint, _Relay, _rt, access_point, relay  # noqa: F401
from test_invoicing_service import CUSTOMER, setup, spec

from pipeline import send_actor
from pipeline.runtime import Runtime, reset_runtime
from pipeline.service import SYSTEM
from pipeline.service.sales_common import deliver_send
from storage.models import InvoiceSend


@pytest.fixture
def worker() -> Iterator[dramatiq.Broker]:
    yield from send_worker()


def _drain(broker: dramatiq.Broker) -> None:
    broker.join(send_actor.SEND_QUEUE, timeout=60_000)


def test_send_is_delivered_by_the_actor_with_retries_and_never_twice(
    runtime: Runtime,
    tmp_path: Path,
    access_point: AccessPoint,  # noqa: F811 (the fixture imported above)
    worker: dramatiq.Broker,
) -> None:
    rt = _rt(runtime, tmp_path, peppol_ap_url=access_point.url, peppol_ap_token="secret-key")
    reset_runtime(rt)  # the worker's actor reads the process runtime
    svc, did, cid = setup(rt)
    inv = svc.issue(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid)).id)
    access_point.fail_next = 2  # down twice: retried with backoff, then delivered
    queued = svc.send(SYSTEM, inv.id)
    assert queued.state in ("queued", "sending")  # stored, handed to the worker
    _drain(worker)
    (sent,) = svc.sends(SYSTEM, inv.id)
    assert (sent.state, sent.reason) == ("sent", None)
    with rt.tx() as s:
        from storage import invoicing as store

        assert store.get_send(s, sent.id).attempts == 3
    (body,) = access_point.received
    assert body["idempotencyGuid"] == sent.message_id
    # a duplicate message (redelivery, a second click's message): nothing sent again
    send_actor.send_invoice.send(sent.id)
    _drain(worker)
    assert len(access_point.received) == 1
    assert svc.retry_sends(SYSTEM) == 0  # the reconciler finds nothing left


def test_a_refusal_is_stored_with_its_reason_and_not_retried(
    runtime: Runtime,
    tmp_path: Path,
    access_point: AccessPoint,  # noqa: F811 (the fixture imported above)
    worker: dramatiq.Broker,
) -> None:
    rt = _rt(runtime, tmp_path, peppol_ap_url=access_point.url, peppol_ap_token="wrong-key")
    reset_runtime(rt)
    svc, did, cid = setup(rt)
    inv = svc.issue(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid)).id)
    svc.send(SYSTEM, inv.id)
    _drain(worker)
    (failed,) = svc.sends(SYSTEM, inv.id)
    assert failed.state == "failed"
    assert "401" in (failed.reason or "")
    with rt.tx() as s:
        from storage import invoicing as store

        assert store.get_send(s, failed.id).attempts == 1  # a 401 does not pass by retrying
    assert access_point.received == []


def test_mail_through_the_relay_by_the_actor_and_a_delivery_under_way_is_left_alone(
    runtime: Runtime,
    tmp_path: Path,
    relay: tuple[_Relay, int],  # noqa: F811 (the fixture imported above)
    worker: dramatiq.Broker,
) -> None:
    handler, port = relay
    url = f"smtp://u:p@127.0.0.1:{port}?starttls=1&verify=0"
    rt = _rt(runtime, tmp_path, outgoing_smtp_url=url)
    reset_runtime(rt)
    svc, did, cid = setup(rt)
    inv = svc.issue(SYSTEM, svc.create_draft(SYSTEM, did, spec(cid)).id)
    stored = svc.send(SYSTEM, inv.id, deliver=False)
    with rt.tx() as s:  # another worker took it a moment ago (state "sending", fresh)
        s.execute(update(InvoiceSend).where(InvoiceSend.id == stored.id).values(state="sending"))
    send_actor.send_invoice.send(stored.id)
    _drain(worker)
    assert deliver_send(svc, stored.id) == "sending"
    assert handler.messages == []  # never two deliveries at once
    with rt.tx() as s:  # that worker died: after the lease the send is taken up again
        s.execute(
            update(InvoiceSend)
            .where(InvoiceSend.id == stored.id)
            .values(updated_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6))
        )
    send_actor.send_invoice.send(stored.id)
    _drain(worker)
    (sent,) = svc.sends(SYSTEM, inv.id)
    assert sent.state == "sent", sent.reason
    (raw,) = handler.messages
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["To"] == CUSTOMER["email"]
    assert sent.message_id in msg["Message-ID"]
