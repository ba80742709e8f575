"""The intake guards behind the service: alerts, the per-dossier intake cap setting and
purging junk so it is no longer billed (real SQLite database, mails over real SMTP)."""

from __future__ import annotations

import pytest
from smtp_support import DUBOIS, JANSSENS, Start, deliver, invoice_mail, queued_ids
from sqlalchemy import select

from pipeline.runtime import Runtime
from pipeline.service.core import SYSTEM, AccessDenied, Refused, UserView
from pipeline.service.intake import IntakeService
from pipeline.steps import split_step
from storage import intake_guard, repo
from storage.models import AuditEvent, Document, DossierBlob, JournalEntry


def _user(rt: Runtime, name: str, role: str, dossier: str | None = None) -> UserView:
    with rt.tx() as s:
        u = repo.create_user(s, username=name, password_hash="x", role=role)
        if dossier is not None:
            repo.add_membership(s, u.id, repo.get_dossier(s, dossier).id, role)
        return UserView(u.id, u.username, u.role)


def _ids(rt: Runtime) -> tuple[int, int]:
    with rt.tx() as s:
        return repo.get_dossier(s, JANSSENS).id, repo.get_dossier(s, DUBOIS).id


def test_alerts_are_listed_per_dossier_and_only_to_its_members(janssens: Runtime) -> None:
    janssens_id, _ = _ids(janssens)
    with janssens.tx() as s:
        since = intake_guard.day_start()
        assert intake_guard.raise_alert(
            s, intake_guard.INTAKE_LIMIT_ALERT, dossier_id=janssens_id, since=since, message="m"
        )
        assert not intake_guard.raise_alert(  # once per day
            s, intake_guard.INTAKE_LIMIT_ALERT, dossier_id=janssens_id, since=since, message="m"
        )
        with pytest.raises(ValueError):
            intake_guard.raise_alert(s, "plain_event", dossier_id=janssens_id, since=since)
    svc = IntakeService(janssens)
    accountant = _user(janssens, "acc", "accountant", JANSSENS)
    outsider = _user(janssens, "other", "accountant", DUBOIS)
    (alert,) = svc.alerts(accountant)
    assert (alert.kind, alert.dossier_id, alert.message) == ("intake_limit", janssens_id, "m")
    assert svc.alerts(outsider) == []
    with pytest.raises(AccessDenied):
        svc.alerts(outsider, janssens_id)
    assert len(svc.alerts(SYSTEM)) == 1


def test_intake_limit_is_set_per_dossier_by_admins(janssens: Runtime, start_server: Start) -> None:
    janssens_id, _ = _ids(janssens)
    svc = IntakeService(janssens)
    accountant = _user(janssens, "acc", "accountant", JANSSENS)
    with pytest.raises(AccessDenied):
        svc.set_intake_limit(accountant, janssens_id, 1)
    view = svc.set_intake_limit(SYSTEM, janssens_id, 20_000)
    assert (view.limit_bytes, view.own_limit) == (20_000, True)
    default = svc.intake(accountant, janssens_id)
    assert default.today_bytes == 0
    srv = start_server(janssens)
    big = invoice_mail() + b"Q" * 25_000 + b"\r\n"
    code, text = deliver(srv, big, [JANSSENS])
    assert (code, text[:5]) == (452, b"4.2.2")
    assert deliver(srv, big, [DUBOIS])[0] == 250  # the default cap (500 MB) applies there
    back = svc.set_intake_limit(SYSTEM, janssens_id, None)
    assert (back.limit_bytes, back.own_limit) == (janssens.settings.intake_bytes_per_day, False)


def test_purge_junk_stops_billing_and_is_audited(janssens: Runtime, start_server: Start) -> None:
    janssens_id, _ = _ids(janssens)
    srv = start_server(janssens)
    junk = queued_ids(deliver(srv, invoice_mail(1), [JANSSENS])[1])[0]
    keep = queued_ids(deliver(srv, invoice_mail(2), [JANSSENS])[1])[0]
    for doc_id in (junk, keep):
        split_step(janssens, doc_id)
    with janssens.tx() as s:
        used_before = repo.get_dossier(s, janssens_id).used_bytes
        junk_docs = list(
            s.scalars(select(Document).where(Document.mail_id == s.get(Document, junk).mail_id))
        )  # type: ignore[union-attr]
        assert len(junk_docs) == 2  # the mail and its PDF
        junk_bytes = sum(
            s.scalar(select(DossierBlob.size).where(DossierBlob.sha256 == d.blob_sha256)) or 0
            for d in junk_docs
        )
    svc = IntakeService(janssens)
    portal = _user(janssens, "client", "client_portal", JANSSENS)
    with pytest.raises(AccessDenied):
        svc.purge_junk(portal, janssens_id, [junk])
    accountant = _user(janssens, "acc", "accountant", JANSSENS)
    child = next(d.id for d in junk_docs if d.kind != "mail")
    (done,) = svc.purge_junk(accountant, janssens_id, [child])  # any document of the mail
    assert done.mail_document_id == junk
    assert done.freed_bytes == junk_bytes > 0
    assert not done.already_purged
    with janssens.tx() as s:
        assert repo.get_dossier(s, janssens_id).used_bytes == used_before - junk_bytes
        for d in junk_docs:
            fresh = s.get(Document, d.id)
            assert fresh is not None
            assert fresh.reason_code == "purged"
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.action == "junk_purged"))
        assert event.user_id == accountant.id
        assert event.detail["freed_bytes"] == junk_bytes
    (again,) = svc.purge_junk(accountant, janssens_id, [junk])  # idempotent
    assert again.already_purged
    assert again.freed_bytes == 0
    with janssens.tx() as s:  # a booked document is never purged
        s.add(
            JournalEntry(
                dossier_id=janssens_id, document_id=keep, journal="AANK", bookyear="2026",
                period="2026-01", date=s.get(Document, keep).created_at.date(),  # type: ignore[union-attr]
                status="booked",
            )
        )  # fmt: skip
    with pytest.raises(Refused):
        svc.purge_junk(accountant, janssens_id, [keep])
    with janssens.tx() as s:
        assert repo.get_dossier(s, janssens_id).used_bytes == used_before - junk_bytes
