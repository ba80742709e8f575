"""Issues 13 and 17: a user's e-mail address (validated, audited), set by an admin or the
user, shown in the account list and the CLI, and used first by the quota alerts.

Real database (SQLite and PostgreSQL), real SMTP: an aiosmtpd relay on loopback.
"""

from __future__ import annotations

import dataclasses
import email
import json
import socket
from collections.abc import Iterator
from email import policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from helpers import dossier

from pipeline import quota_alerts as qa
from pipeline.email_address import InvalidEmail, is_email, normalise_email
from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, AccessDenied, Service, ServiceError
from storage.models import AuditEvent, Dossier

MB = 1_000_000


# ----------------------------------------------------------------------------- the check


def test_the_address_check_is_strict_and_normalises_the_domain() -> None:
    assert normalise_email("  Jan.Peeters+boek@Kantoor.BE ") == "Jan.Peeters+boek@kantoor.be"
    assert normalise_email("x@xn--bcher-kva.example") == "x@xn--bcher-kva.example"
    assert normalise_email("o'neil@sub.firm.co.uk") == "o'neil@sub.firm.co.uk"
    for bad in [
        "",
        "anna",
        "anna@kantoor",  # no dotless hosts
        "anna@@kantoor.be",
        "anna@kantoor.be,boss@evil.example",  # a second recipient
        "anna@kantoor.be\r\nBcc: boss@evil.example",  # a header
        "Anna <anna@kantoor.be>",
        "an na@kantoor.be",
        "anna..b@kantoor.be",
        ".anna@kantoor.be",
        "anna.@kantoor.be",
        "anna@-kantoor.be",
        "anna@kantoor..be",
        "anna@kantoor.b3",
        "anna@[127.0.0.1]",
        '"anna"@kantoor.be',
        "jé@kantoor.be",  # non-ASCII: the xn-- form of a domain is asked
        "a" * 65 + "@kantoor.be",
        "a@" + "b" * 250 + ".be",
    ]:
        assert not is_email(bad), bad
    with pytest.raises(InvalidEmail, match="exactly one @"):
        normalise_email("anna.kantoor.be")


# ----------------------------------------------------------------------------- the service


def _audits(rt: Runtime, action: str) -> list[dict[str, Any]]:
    with rt.tx() as s:
        rows = s.query(AuditEvent).filter(AuditEvent.action == action).order_by(AuditEvent.id)
        return [dict(r.detail or {}) for r in rows]


def test_add_user_and_set_email_validate_audit_and_show_it(runtime: Runtime) -> None:
    svc = Service(runtime)
    anna = svc.add_user(SYSTEM, "anna", "probe-password", "accountant", email="Anna@Kantoor.BE")
    assert anna.email == "Anna@kantoor.be"
    piet = svc.add_user(SYSTEM, "piet", "probe-password", "accountant")
    assert piet.email is None
    with pytest.raises(ServiceError, match="not a valid domain"):
        svc.add_user(SYSTEM, "bert", "probe-password", "accountant", email="bert@localhost")
    assert svc.user("bert") is None  # refused before anything was stored
    assert _audits(runtime, "user_added")[0]["email"] == "Anna@kantoor.be"

    # an admin sets anyone's address; a refusal keeps the old one
    assert svc.set_email(SYSTEM, "piet", " piet@Kantoor.be ") == "piet@kantoor.be"
    with pytest.raises(ServiceError, match="exactly one @"):
        svc.set_email(SYSTEM, "piet", "piet at kantoor.be")
    rows = {r.username: r for r in svc.list_users(SYSTEM)}
    assert rows["piet"].email == "piet@kantoor.be"
    assert rows["anna"].email == "Anna@kantoor.be"
    # the user for their own account (the view they hold as logged in shows it)
    piet_view = svc.user("piet")
    assert piet_view is not None
    assert piet_view.email == "piet@kantoor.be"
    assert svc.set_email(piet_view, "piet", "p.peeters@kantoor.be") == "p.peeters@kantoor.be"
    refreshed = svc.refresh_user(piet_view)
    assert refreshed is not None
    assert refreshed.email == "p.peeters@kantoor.be"
    # ... but not for another's, nor by guessing names
    with pytest.raises(AccessDenied, match="only admins"):
        svc.set_email(piet_view, "anna", "evil@evil.example")
    with pytest.raises(AccessDenied):
        svc.set_email(piet_view, "nobody", "evil@evil.example")
    with pytest.raises(ServiceError, match="unknown user"):
        svc.set_email(SYSTEM, "nobody", "x@kantoor.be")
    assert svc.user("anna") == anna
    # blank or None removes it; setting the same address again is no new audit event
    assert svc.set_email(SYSTEM, "anna", "  ") is None
    assert svc.set_email(SYSTEM, "anna", None) is None
    assert svc.set_email(SYSTEM, "anna", "anna@kantoor.be") == "anna@kantoor.be"
    assert svc.set_email(SYSTEM, "anna", "anna@kantoor.be") == "anna@kantoor.be"
    assert [(e["username"], e["before"], e["email"]) for e in _audits(runtime, "user_email")] == [
        ("piet", None, "piet@kantoor.be"),
        ("piet", "piet@kantoor.be", "p.peeters@kantoor.be"),
        ("anna", "Anna@kantoor.be", None),
        ("anna", None, "anna@kantoor.be"),
    ]


# ----------------------------------------------------------------------------- the alerts


class _Relay:
    def __init__(self) -> None:
        self.rcpts: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        email.message_from_bytes(envelope.content, policy=policy.default)
        self.rcpts.extend(envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture
def relay() -> Iterator[tuple[_Relay, int]]:
    handler = _Relay()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    ctl = Controller(handler, hostname="127.0.0.1", port=port)
    ctl.start()
    yield handler, port
    ctl.stop()


def test_quota_alerts_go_to_the_email_first_the_user_name_only_when_an_address(
    runtime: Runtime, relay: tuple[_Relay, int]
) -> None:
    handler, port = relay
    rt = dataclasses.replace(
        runtime,
        settings=dataclasses.replace(
            runtime.settings, outgoing_smtp_url=f"smtp://127.0.0.1:{port}?starttls=0"
        ),
    )
    svc = Service(rt)
    did = dossier(rt)
    # e-mail field wins over an address-like user name
    svc.add_user(SYSTEM, "anna@oud.example", "probe-password", "accountant", [did],
                 email="anna@kantoor.example")  # fmt: skip
    # no field: the user name, being an address
    svc.add_user(SYSTEM, "jan@janssens.example", "probe-password", "entrepreneur", [did])
    # a plain user name with an address: now reached (issue 13)
    svc.add_user(SYSTEM, "piet", "probe-password", "accountant", [did])
    svc.set_email(SYSTEM, "piet", "Piet@Kantoor.example")
    # the same address twice: one mail
    svc.add_user(SYSTEM, "piet2", "probe-password", "accountant", [did],
                 email="piet@kantoor.example")  # fmt: skip
    svc.add_user(SYSTEM, "karel", "probe-password", "accountant", [did])  # neither: skipped
    svc.add_user(SYSTEM, "boss", "probe-password", "admin", [did], email="boss@kantoor.example")
    svc.add_user(SYSTEM, "gone", "probe-password", "accountant", [did], email="gone@k.example")
    svc.set_user_active(SYSTEM, "gone", False)
    with rt.tx() as s:
        d = s.get(Dossier, did)
        assert d is not None
        d.used_bytes = 850 * MB
        d.free_bytes = 1000 * MB
    sent = svc.quota_alerts_run(SYSTEM)
    want = ["Piet@kantoor.example", "anna@kantoor.example", "jan@janssens.example"]
    assert [a.threshold for a in sent] == ["80"]
    assert sorted(sent[0].recipients) == want
    assert sorted(handler.rcpts) == want


def test_recipients_pick_the_field_then_an_address_user_name() -> None:
    rows: list[tuple[str, str, str | None]] = [
        ("anna", "accountant", "anna@kantoor.example"),
        ("jan@janssens.example", "entrepreneur", None),
        ("piet", "accountant", None),
        ("Anna2", "accountant", "ANNA@kantoor.example"),
    ]
    assert qa.recipients(rows) == ["anna@kantoor.example", "jan@janssens.example"]


# ----------------------------------------------------------------------------- the CLI


def test_cli_user_add_with_email_and_user_email(tmp_path: Path) -> None:
    from test_cli import boekbox

    boekbox(tmp_path, "init")
    boekbox(tmp_path, "user", "add", "anna", "--password", "probe-password",
            "--email", "anna@Kantoor.be")  # fmt: skip
    boekbox(tmp_path, "user", "add", "piet", "--password", "probe-password")
    out = boekbox(tmp_path, "user", "email", "piet", "piet@kantoor.be").stdout
    assert "e-mail address of piet: piet@kantoor.be" in out
    bad = boekbox(tmp_path, "user", "email", "piet", "piet@kantoor", check=False)
    assert bad.returncode != 0
    assert "not a valid domain" in bad.stderr
    listed = boekbox(tmp_path, "user", "list").stdout
    assert "anna@kantoor.be" in listed
    assert "piet@kantoor.be" in listed
    assert "e-mail address of anna: none" in boekbox(tmp_path, "user", "email", "anna", "-").stdout
    rows = {
        r["username"]: r for r in json.loads(boekbox(tmp_path, "user", "list", "--json").stdout)
    }
    assert (rows["anna"]["email"], rows["piet"]["email"]) == (None, "piet@kantoor.be")
