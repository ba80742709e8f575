"""Issue 17 item 4: quota alerts by mail (80 %, 100 %, the 30-day forecast), the firm's
own sales invoice from the monthly statement, and the dossier's retention setting.

Real database (SQLite and PostgreSQL), real SMTP: an aiosmtpd relay on loopback.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import socket
from collections.abc import Iterator
from email import policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from helpers import dossier

from pipeline import quota_alerts as qa
from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, AccessDenied, Refused, Service
from storage.models import AuditEvent, Dossier, QuotaAlert, SalesInvoiceLine, UsageDay, utcnow

GB = 1_000_000_000
MB = 1_000_000
SELLER = {
    "street": "Kerkstraat 1",
    "postal_code": "9000",
    "city": "Gent",
    "vat": "BE0403170701",
    "enterprise_number": "0403.170.701",
    "iban": "BE71 0961 2345 6769",
    "bic": "GKCCBEBB",
    "email": "facturen@kantoor.example",
}


class _Relay:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"


def _subject(msg: email.message.EmailMessage) -> str:
    return " ".join(str(msg["Subject"]).split())  # encoded words may unfold with two spaces


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def relay() -> Iterator[tuple[_Relay, int]]:
    handler = _Relay()
    port = _free_port()
    ctl = Controller(handler, hostname="127.0.0.1", port=port)
    ctl.start()
    yield handler, port
    ctl.stop()


def _with(runtime: Runtime, **settings: Any) -> Runtime:
    return dataclasses.replace(runtime, settings=dataclasses.replace(runtime.settings, **settings))


def _relay_url(port: int) -> str:
    return f"smtp://127.0.0.1:{port}?starttls=0"


def _set_use(rt: Runtime, did: int, used: int, *, created: dt.date | None = None) -> None:
    with rt.tx() as s:
        d = s.get(Dossier, did)
        assert d is not None
        d.used_bytes = used
        if created is not None:
            d.created_at = dt.datetime.combine(created, dt.time(), tzinfo=dt.UTC)


def _use(rt: Runtime, did: int, day: dt.date, used: int) -> None:
    with rt.tx() as s:
        s.merge(UsageDay(dossier_id=did, day=day, used_bytes=used))


def _members(svc: Service, did: int) -> None:
    svc.add_user(SYSTEM, "anna@kantoor.example", "probe-password", "accountant", [did])
    svc.add_user(SYSTEM, "jan@janssens.example", "probe-password", "entrepreneur", [did])
    svc.add_user(SYSTEM, "boss", "probe-password", "admin", [did])  # no address, no alert
    svc.add_user(SYSTEM, "piet", "probe-password", "accountant", [did])  # no address


def _alerts(rt: Runtime, did: int) -> set[tuple[str, str]]:
    with rt.tx() as s:
        rows = s.query(QuotaAlert).filter(QuotaAlert.dossier_id == did).all()
        return {(r.month, r.threshold) for r in rows}


# ----------------------------------------------------------------------------- the forecast


def test_forecast_is_a_linear_trend_over_the_recent_days() -> None:
    today = dt.date(2026, 12, 6)
    rising = [500 * MB + n * 10 * MB for n in range(10)]  # 10 MB a day, 590 MB today
    fc = qa.forecast(rising, today, GB)
    assert fc is not None
    assert fc.bytes_per_day == pytest.approx(10 * MB)
    assert fc.full_on == today + dt.timedelta(days=41)  # 410 MB left at 10 MB a day
    assert not fc.within(today)
    assert qa.forecast(rising[:6], today, GB) is None  # under a week: no trend
    flat = qa.forecast([700 * MB] * 10, today, GB)
    assert flat is not None
    assert flat.full_on is None
    fast = qa.forecast([n * 40 * MB for n in range(20)], today, GB)  # 760 MB, +40 MB a day
    assert fast is not None
    assert fast.within(today)
    assert qa.due_alerts(760 * MB, GB, fast, today, set()) == ["forecast"]
    assert qa.due_alerts(850 * MB, GB, fast, today, set()) == ["80", "forecast"]
    assert qa.due_alerts(GB, GB, fast, today, {"80"}) == ["100"]  # over: no forecast


def test_alert_text_is_in_the_dossier_language() -> None:
    fc = qa.Forecast(20 * MB, 14, dt.date(2026, 12, 20))
    fr = qa.alert_text("fr", ["80", "forecast"], dossier="Janssens", used=850 * MB, free=GB, fc=fc)
    assert "80 % du stockage gratuit" in fr.subject
    assert "vers le 2026-12-20" in fr.body
    de = qa.alert_text("de", ["100"], dossier="Janssens", used=2 * GB, free=GB, fc=None)
    assert "überschritten" in de.subject
    xx = qa.alert_text("xx", ["100"], dossier="A\r\nBcc: x@evil", used=2 * GB, free=GB, fc=None)
    assert "\n" not in xx.subject
    assert "gratis opslag overschreden" in xx.subject


# ----------------------------------------------------------------------------- the alerts


def test_alerts_are_mailed_once_per_threshold_and_month(
    runtime: Runtime, relay: tuple[_Relay, int]
) -> None:
    handler, port = relay
    rt = _with(runtime, outgoing_smtp_url=_relay_url(port))
    svc = Service(rt)
    did = dossier(rt)
    other = dossier(rt, "Garage Peeters", "BE0202239951", "garage-peeters")
    svc.update_dossier(SYSTEM, did, settings={"language": "fr"})
    _members(svc, did)
    today = dt.date(2026, 11, 10)
    _set_use(rt, did, 700 * MB, created=dt.date(2026, 11, 8))
    assert svc.quota_alerts_run(SYSTEM, today=today) == []  # 70 %, no trend yet
    _set_use(rt, did, 850 * MB)
    sent = svc.quota_alerts_run(SYSTEM, today=today)
    assert [(a.dossier_id, a.threshold) for a in sent] == [(did, "80")]
    assert sent[0].recipients == ("anna@kantoor.example", "jan@janssens.example")
    assert sorted(r[0] for r, _ in handler.messages) == [
        "anna@kantoor.example",
        "jan@janssens.example",
    ]
    msg = handler.messages[0][1]
    assert _subject(msg) == "Stockage du dossier Bakkerij Janssens : 80 % du stockage gratuit"
    assert "850.0 MB" in msg.get_content()
    # a replay (the reconciler, the next intake) sends nothing again
    assert svc.quota_alerts_run(SYSTEM, today=today) == []
    assert svc.quota_alerts_run(SYSTEM, dossier_id=did, today=today) == []
    assert len(handler.messages) == 2
    # over the free GB: the 100 % alert, once
    _set_use(rt, did, GB + 5 * MB)
    assert [a.threshold for a in svc.quota_alerts_run(SYSTEM, today=today)] == ["100"]
    assert svc.quota_alerts_run(SYSTEM, today=today) == []
    assert len(handler.messages) == 4
    assert "stockage gratuit dépassé" in _subject(handler.messages[-1][1])
    # next month both levels count again, once
    dec = dt.date(2026, 12, 1)
    assert [a.threshold for a in svc.quota_alerts_run(SYSTEM, today=dec)] == ["80", "100"]
    assert svc.quota_alerts_run(SYSTEM, today=dec) == []
    assert len(handler.messages) == 6
    assert _alerts(rt, did) == {
        ("2026-11", "80"),
        ("2026-11", "100"),
        ("2026-12", "80"),
        ("2026-12", "100"),
    }
    assert _alerts(rt, other) == set()
    with rt.tx() as s:
        audits = s.query(AuditEvent).filter(AuditEvent.action == "quota_alert").count()
    assert audits == 3
    anna = svc.user("anna@kantoor.example")
    assert anna is not None
    with pytest.raises(AccessDenied):
        svc.quota_alerts_run(anna, today=dec)


def test_forecast_alert_and_the_outlook(runtime: Runtime, relay: tuple[_Relay, int]) -> None:
    handler, port = relay
    rt = _with(runtime, outgoing_smtp_url=_relay_url(port))
    svc = Service(rt)
    did = dossier(rt)
    _members(svc, did)
    today = dt.date(2026, 11, 20)
    start = today - dt.timedelta(days=14)
    _set_use(rt, did, 0, created=start)
    for n in range(14):  # 30 MB a day: 420 MB yesterday
        _use(rt, did, start + dt.timedelta(days=n), 30 * MB * (n + 1))
    _set_use(rt, did, 450 * MB)
    (view,) = svc.quota_outlook(SYSTEM, today=today)
    assert view.bytes_per_day == pytest.approx(30 * MB, rel=0.05)
    assert view.full_on is not None
    assert 17 <= (view.full_on - today).days <= 20  # 550 MB left at ~30 MB a day
    assert view.alerts == ()
    sent = svc.quota_alerts_run(SYSTEM, today=today)
    assert [a.threshold for a in sent] == ["forecast"]
    body = handler.messages[0][1].get_content()
    assert f"vol rond {view.full_on.isoformat()}" in body  # Dutch by default
    (view,) = svc.quota_outlook(SYSTEM, today=today)
    assert [(a.threshold, a.month) for a in view.alerts] == [("forecast", "2026-11")]
    # an entrepreneur of another dossier sees nothing of this one
    other = dossier(rt, "Garage Peeters", "BE0202239951", "garage-peeters")
    piet = svc.add_user(SYSTEM, "piet@peeters.example", "probe-password", "entrepreneur", [other])
    assert [v.dossier_id for v in svc.quota_outlook(piet, today=today)] == [other]


def test_a_relay_that_fails_records_nothing_and_the_next_run_sends(runtime: Runtime) -> None:
    port = _free_port()  # nothing listens yet
    rt = _with(runtime, outgoing_smtp_url=_relay_url(port))
    svc = Service(rt)
    did = dossier(rt)
    _members(svc, did)
    _set_use(rt, did, 900 * MB)
    today = dt.date(2026, 11, 10)
    assert svc.quota_alerts_run(SYSTEM, today=today) == []
    assert _alerts(rt, did) == set()
    handler = _Relay()
    ctl = Controller(handler, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        assert [a.threshold for a in svc.quota_alerts_run(SYSTEM, today=today)] == ["80"]
    finally:
        ctl.stop()
    assert len(handler.messages) == 2
    assert _alerts(rt, did) == {("2026-11", "80")}
    # no relay configured: nothing is sent nor recorded
    assert Service(_with(runtime, outgoing_smtp_url=None)).quota_alerts_run(SYSTEM) == []


def test_two_workers_at_once_send_each_alert_once(
    runtime: Runtime, relay: tuple[_Relay, int]
) -> None:
    import threading

    handler, port = relay
    rt = _with(runtime, outgoing_smtp_url=_relay_url(port))
    svc = Service(rt)
    did = dossier(rt)
    _members(svc, did)
    _set_use(rt, did, 900 * MB)
    today = dt.date(2026, 11, 10)
    results: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def worker() -> None:
        try:
            start.wait()
            results.append(len(Service(rt).quota_alerts_run(SYSTEM, today=today)))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sorted(results) == [0, 0, 0, 1]
    assert len(handler.messages) == 2  # one per recipient, once
    assert _alerts(rt, did) == {("2026-11", "80")}


def test_intake_checks_the_dossier(runtime: Runtime, relay: tuple[_Relay, int]) -> None:
    handler, port = relay
    rt = _with(runtime, outgoing_smtp_url=_relay_url(port))
    svc = Service(rt)
    did = dossier(rt)
    _members(svc, did)
    _set_use(rt, did, 950 * MB)
    doc = svc.ingest(SYSTEM, did, b"%PDF-1.4\n% probe\n%%EOF\n", "probe.pdf")
    qa.after_intake(rt, doc.id)
    assert {t for _, t in _alerts(rt, did)} == {"80"}
    assert len(handler.messages) == 2
    qa.after_intake(rt, doc.id)  # the same document again: nothing new
    qa.after_intake(rt, 10**9)  # an unknown document never raises
    assert len(handler.messages) == 2


def test_the_intake_actors_check_the_dossier_after_their_step(
    runtime: Runtime, relay: tuple[_Relay, int]
) -> None:
    from pipeline import actors
    from pipeline.runtime import reset_runtime

    handler, port = relay
    rt = _with(runtime, outgoing_smtp_url=_relay_url(port))
    reset_runtime(rt)  # the actors run on the process's runtime
    svc = Service(rt)
    did = dossier(rt)
    _members(svc, did)
    doc = svc.ingest(SYSTEM, did, b"%PDF-1.4\n% probe\n%%EOF\n", "probe.pdf")
    _set_use(rt, did, 950 * MB)
    actors.run_step(lambda rt, i: [], "propose", doc.id)  # not an intake step
    assert handler.messages == []
    actors.run_step(lambda rt, i: [], "extract", doc.id)
    assert len(handler.messages) == 2
    assert _alerts(rt, did) == {(utcnow().strftime("%Y-%m"), "80")}


def test_the_reconciler_runs_the_alerts_at_its_interval(
    runtime: Runtime, relay: tuple[_Relay, int]
) -> None:
    handler, port = relay
    rt = _with(runtime, outgoing_smtp_url=_relay_url(port), quota_alert_every_seconds=600.0)
    svc = Service(rt)
    did = dossier(rt)
    _members(svc, did)
    _set_use(rt, did, GB + 1)
    qa._next_run = None
    assert qa.run_if_due(rt, now=1000.0) == 2  # 80 and 100, in one mail per recipient
    _set_use(rt, did, 0)
    assert qa.run_if_due(rt, now=1300.0) is None  # not due before 600 s
    assert qa.run_if_due(rt, now=1700.0) == 0
    assert qa.run_if_due(_with(rt, quota_alert_every_seconds=0.0), now=9e9) is None
    assert len(handler.messages) == 2
    assert "gratis opslag overschreden" in _subject(handler.messages[0][1])


# ----------------------------------------------------------------------------- the invoice


def test_quota_invoice_is_made_once_per_dossier_and_month(runtime: Runtime) -> None:
    svc = Service(runtime)
    firm = svc.create_dossier(SYSTEM, "Kantoor Claes", vat_number="BE0403170701").id
    svc.set_invoicing_settings(SYSTEM, firm, seller=SELLER, prefix="K")
    client = dossier(runtime)
    small = dossier(runtime, "Garage Peeters", "BE0202239951", "garage-peeters")
    for did in (client, small):
        _set_use(runtime, did, 0, created=dt.date(2026, 9, 1))
    _use(runtime, client, dt.date(2026, 11, 3), 3 * GB + 1)  # 2.000000001 GB over: 3 GB
    _use(runtime, small, dt.date(2026, 11, 3), 900 * MB)  # under the free GB: nothing
    today = dt.date(2026, 12, 6)
    rt = _with(runtime, firm_dossier=str(firm))
    svc = Service(rt)
    (made,) = svc.quota_invoice(SYSTEM, "2026-11", today=today)
    assert (made.dossier_id, made.billed_gb, made.state, made.created) == (
        client,
        3,
        "draft",
        True,
    )
    assert made.invoice_id is not None
    detail = svc.invoice(SYSTEM, made.invoice_id)
    assert detail.row.dossier_id == firm
    assert detail.row.customer_name == "Bakkerij Janssens"
    with rt.tx() as s:
        (line,) = s.query(SalesInvoiceLine).filter_by(invoice_id=made.invoice_id).all()
        assert line.description == "Storage above the free GB, 2026-11: 3 GB × EUR 1"
        assert (line.quantity, line.unit_price) == (3, 1)
    (customer,) = svc.customers(SYSTEM, firm)
    assert customer.vat == "BE0712345630"
    assert detail.draft["vat_case"] == "domestic"
    # never twice: again, and again issuing it
    (again,) = svc.quota_invoice(SYSTEM, "2026-11", today=today)
    assert (again.invoice_id, again.created) == (made.invoice_id, False)
    (issued,) = svc.quota_invoice(SYSTEM, "2026-11", issue=True, today=today)
    assert (issued.invoice_id, issued.state, issued.created) == (made.invoice_id, "issued", False)
    assert issued.number
    assert [r.id for r in svc.invoices(SYSTEM, firm)] == [made.invoice_id]
    assert len(svc.customers(SYSTEM, firm)) == 1
    # the month must have ended, the firm's dossier be set, the caller an admin
    # a client with a German VAT number: reverse charge (intra-EU services)
    gmbh = dossier(rt, "Bäckerei Schmidt GmbH", "DE136695976", "schmidt")
    _set_use(rt, gmbh, 0, created=dt.date(2026, 9, 1))
    _use(rt, gmbh, dt.date(2026, 11, 9), GB + 1)
    made_de = [v for v in svc.quota_invoice(SYSTEM, "2026-11", today=today) if v.created]
    assert [(v.dossier_id, v.billed_gb, v.refused) for v in made_de] == [(gmbh, 1, None)]
    assert made_de[0].invoice_id is not None
    de = svc.invoice(SYSTEM, made_de[0].invoice_id)
    assert de.draft["vat_case"] == "intra_eu_services"
    assert de.row.vat_total == 0
    with pytest.raises(Refused, match="not ended"):
        svc.quota_invoice(SYSTEM, "2026-12", today=today)
    with pytest.raises(Refused, match="BOEKBOX_FIRM_DOSSIER"):
        Service(runtime).quota_invoice(SYSTEM, "2026-11", today=today)
    with pytest.raises(Refused, match="names no dossier"):
        Service(_with(runtime, firm_dossier="nobody@x")).quota_invoice(SYSTEM, "2026-11")
    anna = svc.add_user(SYSTEM, "anna", "probe-password", "accountant", [firm])
    with pytest.raises(AccessDenied):
        svc.quota_invoice(anna, "2026-11", today=today)


# ----------------------------------------------------------------------------- retention


def test_retention_years_never_below_seven_audited_for_accountants(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    doc = svc.ingest(SYSTEM, did, b"%PDF-1.4\n% probe\n%%EOF\n", "probe.pdf")
    anna = svc.add_user(SYSTEM, "anna", "probe-password", "accountant", [did])
    jan = svc.add_user(SYSTEM, "jan", "probe-password", "entrepreneur", [did])
    assert svc.retention_years(jan, did) == 10
    before = svc.retention(anna, doc.id).retain_until
    with pytest.raises(Refused, match="below 7"):
        svc.set_retention_years(anna, did, 6)
    with pytest.raises(AccessDenied):
        svc.set_retention_years(jan, did, 12)
    assert svc.set_retention_years(anna, did, 12) == 12
    assert svc.retention_years(anna, did) == 12
    assert svc.retention(anna, doc.id).retain_until == before.replace(year=before.year + 2)
    with runtime.tx() as s:
        (audit,) = s.query(AuditEvent).filter(AuditEvent.action == "retention_years").all()
        assert (audit.detail["old"], audit.detail["new"]) == (10, 12)


def test_cli_quota_alerts_and_invoice(tmp_path: Any) -> None:
    from test_cli import boekbox

    boekbox(tmp_path, "init")
    boekbox(tmp_path, "dossier", "add", "Bakkerij Janssens", "--vat", "BE 0428.759.497")
    assert "0 alerts sent" in boekbox(tmp_path, "quota", "alerts").stdout  # no relay set
    bad = boekbox(tmp_path, "quota", "invoice", "--month", "2026-01", check=False)
    assert bad.returncode != 0
    assert "BOEKBOX_FIRM_DOSSIER" in bad.stderr
