"""``boekbox``: the command line.

Exit codes: 0 success, 1 a command failed on the merits, 2 usage or setup
errors (missing file, unknown dossier, database not initialised), each with
one line on stderr.  Every listing command takes ``--json``.

Examples::

    boekbox init --demo
    boekbox dossier add "Bakkerij Janssens" --vat BE0428759497
    boekbox up
    boekbox ingest invoices/ --dossier "Bakkerij Janssens"
    boekbox extract invoice.pdf --json
    boekbox documents --state proposed --json
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from pipeline.settings import ConfigError, load_settings

F = TypeVar("F", bound=Callable[..., Any])

EXIT_USAGE = 2

DEMO_DOSSIER = "Demo Consult BV"
DEMO_VAT = "BE0743182920"
DEMO_USER = "demo"
DEMO_PASSWORD = "boekbox-demo"  # noqa: S105 - printed by `make run` on purpose


class UsageError(click.ClickException):
    exit_code = EXIT_USAGE


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, default=_json_default, ensure_ascii=False, indent=2))


def _setup_errors(fn: F) -> F:
    """Translate setup errors into one line and exit code 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from pipeline.service import AccessDenied, ServiceError
        from storage import NotFound, NotInitialised, StorageUnavailable

        try:
            return fn(*args, **kwargs)
        except (NotInitialised, NotFound, ConfigError, StorageUnavailable) as exc:
            raise UsageError(str(exc)) from None
        except AccessDenied as exc:
            raise UsageError(str(exc)) from None
        except ServiceError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def _service() -> Any:
    """The service on an initialised database (else exit 2)."""
    from pipeline.runtime import get_runtime
    from pipeline.service import Service
    from storage.db import check_initialised

    rt = get_runtime()
    check_initialised(rt.settings.database_url)
    return Service(rt)


def _system() -> Any:
    from pipeline.service import SYSTEM

    return SYSTEM


def _dossier_id(svc: Any, ref: str) -> int:
    from pipeline.service import ServiceError

    try:
        return int(svc.dossier(_system(), ref).id)
    except ServiceError:
        raise UsageError(f"unknown dossier: {ref}") from None


@click.group(epilog="Run `boekbox COMMAND --help` for the options of a command.")
@click.option("-v", "--verbose", is_flag=True, help="Log debug output.")
def main(verbose: bool) -> None:
    """boekbox: supplier invoices in, Belgian booking proposals out."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    level = logging.DEBUG if verbose else getattr(logging, settings.log_level.upper(), 20)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from pipeline import logsafe

    logsafe.install()  # outside text in log arguments never forges a line


# ----------------------------------------------------------------------------- init


@main.command()
@click.option("--demo", is_flag=True, help="Also create a demo dossier and a demo login.")
@click.option(
    "--demo-password",
    envvar="BOEKBOX_DEMO_PASSWORD",
    default=None,
    help="Password of the demo login (env BOEKBOX_DEMO_PASSWORD; default the published one);"
    " given for an existing demo login, it replaces its password.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Add the demo login even to a database that already holds other dossiers.",
)
@_setup_errors
def init(demo: bool, demo_password: str | None, force: bool) -> None:
    """Create or upgrade the database (idempotent)."""
    from pipeline.runtime import get_runtime
    from pipeline.service import Service, ServiceError
    from storage.db import migrate

    rt = get_runtime()
    migrate(rt.settings.database_url)
    click.echo(f"database ready: {rt.settings.database_url}")
    if not demo:
        return
    svc = Service(rt)
    dossiers = svc.dossiers(_system())
    others = [d for d in dossiers if d.name != DEMO_DOSSIER]
    if others and not force:
        raise UsageError(
            f"this database already has {len(others)} dossier(s): --demo would add an admin"
            " login with access to the demo dossier; add --force (and --demo-password) to do it"
        )
    existing = [d for d in dossiers if d.name == DEMO_DOSSIER]
    dossier = (
        existing[0]
        if existing
        else svc.create_dossier(_system(), DEMO_DOSSIER, vat_number=DEMO_VAT)
    )
    chosen = demo_password or DEMO_PASSWORD
    password: str | None = chosen
    try:
        if svc.user(DEMO_USER) is None:
            svc.add_user(_system(), DEMO_USER, chosen, "admin", dossiers=[dossier.id])
        elif demo_password:
            svc.reset_password(_system(), DEMO_USER, demo_password)
        elif svc.authenticate(DEMO_USER, DEMO_PASSWORD) is None:
            password = None  # changed since: not ours to print
    except ServiceError as exc:
        raise UsageError(f"demo login: {exc}") from None
    click.echo(f"demo dossier: {dossier.name} <{dossier.mailbox}>")
    click.echo(f"demo login: {DEMO_USER} / {password or '(password unchanged)'}")
    with contextlib.suppress(ServiceError):
        svc.add_member(_system(), dossier.id, DEMO_USER, "admin")


# ----------------------------------------------------------------------------- dossiers


@main.group()
def dossier() -> None:
    """Manage dossiers (one per client company)."""


@dossier.command("add")
@click.argument("name")
@click.option("--vat", help="Company VAT number, e.g. BE0123456749.")
@click.option("--address", "local", help="Mailbox local part (default: name + random token).")
@click.option("--allowed-sender", "senders", multiple=True, help="Only accept mail from these.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_setup_errors
def dossier_add(
    name: str, vat: str | None, local: str | None, senders: tuple[str, ...], as_json: bool
) -> None:
    """Create a dossier and print its mailbox address."""
    svc = _service()
    d = svc.create_dossier(
        _system(), name, vat_number=vat, allowed_senders=senders, mailbox_local=local
    )
    if as_json:
        _print_json({"id": d.id, "name": d.name, "vat": d.vat_number, "address": d.mailbox})
    else:
        click.echo(d.mailbox)


@dossier.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_setup_errors
def dossier_list(as_json: bool) -> None:
    """List dossiers with their addresses."""
    svc = _service()
    rows = svc.dossiers(_system())
    if as_json:
        _print_json(
            [
                {
                    "id": d.id,
                    "name": d.name,
                    "vat": d.vat_number,
                    "address": d.mailbox,
                    "enabled": d.enabled,
                    "allowed_senders": d.allowed_senders,
                    "used_bytes": d.used_bytes,
                    "documents": d.document_count,
                }
                for d in rows
            ]
        )
        return
    for d in rows:
        click.echo(f"{d.id:>4}  {d.name:<30} {d.vat_number or '-':<14} {d.mailbox}")


# ----------------------------------------------------------------------------- users


@main.group()
def user() -> None:
    """Manage users of the review UI."""


@user.command("add")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice(["admin", "accountant", "entrepreneur"]),
    default="accountant",
    show_default=True,
)
@click.option("--dossier", "dossiers", multiple=True, help="Dossier (id, name or address).")
@click.option("--password", envvar="BOEKBOX_NEW_PASSWORD", help="Password (or prompt).")
@click.option("--email", default=None, help="E-mail address for notices (quota alerts).")
@_setup_errors
def user_add(
    username: str, role: str, dossiers: tuple[str, ...], password: str | None, email: str | None
) -> None:
    """Create a login with access to some dossiers."""
    svc = _service()
    ids = [_dossier_id(svc, ref) for ref in dossiers]
    if password is None:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        u = svc.add_user(_system(), username, password, role, dossiers=ids, email=email)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"user {u.username} ({u.role}) created")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_setup_errors
def user_list(as_json: bool) -> None:
    """Every login: role, active or disabled, dossiers with the role held there."""
    rows = _service().list_users(_system())
    if as_json:
        _print_json(
            [
                {
                    "username": r.username,
                    "role": r.role,
                    "active": r.active,
                    "display_name": r.display_name,
                    "email": r.email,
                    "created_at": r.created_at.isoformat(),
                    "dossiers": [{"dossier_id": d, "role": role} for d, role in r.dossiers],
                }
                for r in rows
            ]
        )
        return
    for r in rows:
        where = ", ".join(f"#{d} {role}" for d, role in r.dossiers) or "-"
        state = "active" if r.active else "DISABLED"
        click.echo(f"{r.username:<24} {r.role:<13} {state:<9} {r.email or '-':<30} {where}")


@user.command("disable")
@click.argument("username")
@_setup_errors
def user_disable(username: str) -> None:
    """Disable a login; its open sessions end at once."""
    _service().set_user_active(_system(), username, False)
    click.echo(f"user {username} disabled")


@user.command("enable")
@click.argument("username")
@_setup_errors
def user_enable(username: str) -> None:
    """Enable a disabled login again."""
    _service().set_user_active(_system(), username, True)
    click.echo(f"user {username} enabled")


@user.command("reset-password")
@click.argument("username")
@click.option("--password", envvar="BOEKBOX_NEW_PASSWORD", help="New password (or prompt).")
@_setup_errors
def user_reset_password(username: str, password: str | None) -> None:
    """Set a new password; the user's open sessions end."""
    if password is None:
        password = click.prompt("new password", hide_input=True, confirmation_prompt=True)
    _service().reset_password(_system(), username, password)
    click.echo(f"password of {username} reset; open sessions ended")


@user.command("email")
@click.argument("username")
@click.argument("address")
@_setup_errors
def user_email(username: str, address: str) -> None:
    """Set a login's e-mail address for notices (quota alerts); '-' removes it."""
    stored = _service().set_email(_system(), username, None if address == "-" else address)
    click.echo(f"e-mail address of {username}: {stored or 'none'}")


@user.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice(["admin", "accountant", "entrepreneur"]))
@_setup_errors
def user_role(username: str, role: str) -> None:
    """Change a login's global role (counts at the user's next click)."""
    _service().set_user_role(_system(), username, role)
    click.echo(f"user {username} is now {role}")


# ----------------------------------------------------------------------------- suppliers


@main.group()
def supplier() -> None:
    """Suppliers of a dossier and their auto-booking policy."""


@supplier.command("list")
@click.option("--dossier", "dossier_ref", required=True, help="Dossier (id, name or address).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_setup_errors
def supplier_list(dossier_ref: str, as_json: bool) -> None:
    """List suppliers with their learned lines and auto-booking policy."""
    svc = _service()
    rows = svc.suppliers(_system(), _dossier_id(svc, dossier_ref))
    if as_json:
        _print_json(
            [
                {
                    "id": r.id,
                    "name": r.name,
                    "vat": r.vat_number,
                    "iban": r.iban,
                    "default_account": r.default_account,
                    "autobook": r.autobook_policy,
                    "autobook_after": r.autobook_after,
                    "confirmations_in_a_row": r.confirmations_in_a_row,
                    "learned_lines": r.learned_lines,
                }
                for r in rows
            ]
        )
        return
    for r in rows:
        click.echo(
            f"{r.id:>5} {(r.name or '-')[:30]:<30} {r.vat_number or '-':<14} "
            f"{r.autobook_policy:<8} n={r.autobook_after} streak={r.confirmations_in_a_row}"
        )


@supplier.command("policy")
@click.argument("supplier_id", type=int)
@click.option("--autobook", type=click.Choice(["never", "after_n", "always"]), required=True)
@click.option("--after", type=int, help="With after_n: unedited confirmations in a row.")
@click.option("--default-account", help="The supplier's default account.")
@_setup_errors
def supplier_policy(
    supplier_id: int, autobook: str, after: int | None, default_account: str | None
) -> None:
    """Set a supplier's auto-booking policy (never, after N confirmations, always)."""
    svc = _service()
    v = svc.set_supplier_policy(
        _system(), supplier_id, autobook=autobook, after=after, default_account=default_account
    )
    click.echo(f"supplier {v.id}: auto-booking {v.autobook_policy} (n={v.autobook_after})")


# ----------------------------------------------------------------------------- documents


def _doc_json(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "dossier": r.dossier_name,
        "dossier_id": r.dossier_id,
        "mail": r.mail_id,
        "parent": r.parent_id,
        "kind": r.kind,
        "filename": r.filename,
        "content_type": r.content_type,
        "sha256": r.sha256,
        "size": r.size,
        "state": r.state,
        "reason": r.reason,
        "duplicate_of": r.duplicate_of,
        "supplier": r.supplier_name,
        "invoice_number": r.invoice_number,
        "invoice_date": r.invoice_date,
        "total_incl_vat": r.total_incl_vat,
    }


@main.command()
@click.option("--dossier", "dossier_ref", help="Only this dossier.")
@click.option("--state", "states", multiple=True, help="Only these states.")
@click.option("--all-kinds", is_flag=True, help="Also list the mails themselves.")
@click.option("--limit", default=1000, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_setup_errors
def documents(
    dossier_ref: str | None, states: tuple[str, ...], all_kinds: bool, limit: int, as_json: bool
) -> None:
    """List documents: id, dossier, mail, filename, type, SHA-256, size, state, reason."""
    from pipeline.states import DocumentState

    for st in states:
        if st not in {s.value for s in DocumentState}:
            raise UsageError(f"unknown state {st!r}")
    svc = _service()
    did = _dossier_id(svc, dossier_ref) if dossier_ref else None
    rows = svc.documents(
        _system(),
        dossier_id=did,
        states=states or None,
        kind=None if all_kinds else "file",
        limit=limit,
    )
    if as_json:
        _print_json([_doc_json(r) for r in rows])
        return
    for r in rows:
        click.echo(
            f"{r.id:>6} {r.dossier_name[:20]:<20} {r.mail_id or '-':>5} "
            f"{(r.filename or '-')[:32]:<32} {r.content_type:<20} {r.sha256[:12]} "
            f"{r.size:>9} {r.state:<13} {r.reason or ''}"
        )


@main.command()
@click.argument("doc_id", type=int)
@_setup_errors
def reprocess(doc_id: int) -> None:
    """Run the pipeline again for a document."""
    svc = _service()
    row = svc.reprocess(_system(), doc_id)
    click.echo(f"document {row.id} queued again")


@main.group(invoke_without_command=True)
@click.option("--dossier", "dossier_ref", help="Only this dossier.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_setup_errors
def quota(ctx: click.Context, dossier_ref: str | None, as_json: bool) -> None:
    """Storage use per dossier: 1 GB free, then EUR 1 per started extra GB a month."""
    if ctx.invoked_subcommand is not None:
        return
    svc = _service()
    rows = svc.quotas(_system())
    if dossier_ref:
        did = _dossier_id(svc, dossier_ref)
        rows = [q for q in rows if q.dossier_id == did]
    if as_json:
        _print_json(
            [
                {
                    "dossier_id": q.dossier_id,
                    "dossier": q.dossier_name,
                    "used_bytes": q.used_bytes,
                    "free_bytes": q.free_bytes,
                    "documents": q.documents,
                    "extra_gb": q.extra_gb,
                    "monthly_cost_eur": q.monthly_cost_eur,
                }
                for q in rows
            ]
        )
        return
    for q in rows:
        click.echo(
            f"{q.dossier_name:<30} {q.used_bytes / 1e6:>10.1f} MB  {q.documents:>6} docs"
            f"  extra {q.extra_gb} GB  EUR {q.monthly_cost_eur}/month"
        )


@main.command()
@click.option("--dossier", "dossier_ref", help="Only this dossier.")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_setup_errors
def alerts(dossier_ref: str | None, limit: int, as_json: bool) -> None:
    """Alerts for the accountant (e.g. a dossier over its daily intake limit), newest first."""
    svc = _service()
    did = _dossier_id(svc, dossier_ref) if dossier_ref else None
    rows = svc.alerts(_system(), did, limit=limit)
    if as_json:
        _print_json([dataclasses.asdict(a) for a in rows])
        return
    for a in rows:
        click.echo(f"{a.at:%Y-%m-%d %H:%M}  dossier {a.dossier_id}  {a.kind}: {a.message}")


@main.command("intake-limit")
@click.argument("dossier_ref")
@click.argument("bytes_per_day", required=False)
@_setup_errors
def intake_limit(dossier_ref: str, bytes_per_day: str | None) -> None:
    """Show or set a dossier's daily intake cap in bytes (0: none; "default": the setting)."""
    svc = _service()
    did = _dossier_id(svc, dossier_ref)
    if bytes_per_day is None:
        view = svc.intake(_system(), did)
    elif bytes_per_day == "default":
        view = svc.set_intake_limit(_system(), did, None)
    elif bytes_per_day.isdigit():
        view = svc.set_intake_limit(_system(), did, int(bytes_per_day))
    else:
        raise UsageError("BYTES_PER_DAY is a number of bytes, 0 or default")
    source = "own" if view.own_limit else "default"
    cap = f"{view.limit_bytes} bytes/day ({source})" if view.limit_bytes else f"none ({source})"
    click.echo(f"dossier {did}: today {view.today_bytes} bytes; limit {cap}")


@main.command("purge-junk")
@click.option("--dossier", "dossier_ref", required=True, help="Dossier (id, name or address).")
@click.argument("doc_ids", nargs=-1, type=int, required=True)
@_setup_errors
def purge_junk(dossier_ref: str, doc_ids: tuple[int, ...]) -> None:
    """Purge junk mails (by any of their documents) so they are no longer billed; audited.
    Booked documents are never purged."""
    svc = _service()
    did = _dossier_id(svc, dossier_ref)
    for p in svc.purge_junk(_system(), did, list(doc_ids)):
        state = "already purged" if p.already_purged else f"freed {p.freed_bytes} bytes"
        click.echo(f"mail document {p.mail_document_id} ({len(p.document_ids)} documents): {state}")


def _iter_files(paths: Sequence[str]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise UsageError(f"no such file: {raw}")
        if path.is_dir():
            yield from sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and not p.name.startswith(".") and not p.name.endswith(".json")
            )
        else:
            yield path


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--dossier", "dossier_ref", required=True, help="Dossier (id, name or address).")
@click.option("--json", "as_json", is_flag=True, help="Print the created documents as JSON.")
@_setup_errors
def ingest(paths: tuple[str, ...], dossier_ref: str, as_json: bool) -> None:
    """Add files (eml, pdf, xml, images, or folders of them) without SMTP."""
    from tqdm import tqdm

    files = list(_iter_files(paths))
    svc = _service()
    did = _dossier_id(svc, dossier_ref)
    rows = []
    for path in tqdm(files, desc="ingest", unit="file", disable=as_json or not files):
        rows.append(svc.ingest(_system(), did, path.read_bytes(), path.name))
    if as_json:
        _print_json([_doc_json(r) for r in rows])
    else:
        click.echo(f"{len(rows)} file(s) queued for dossier {did}")


# ----------------------------------------------------------------------------- pure commands


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the SCHEMA.md JSON shape.")
@click.option("--no-embedded", is_flag=True, help="Ignore embedded XML: read the page.")
@click.option(
    "--customer-vat", default=None, help="The dossier's own VAT number (as the pipeline)."
)
@click.option("--customer-name", default=None, help="The dossier's own name (as the pipeline).")
def extract(
    file: str,
    as_json: bool,
    no_embedded: bool,
    customer_vat: str | None,
    customer_name: str | None,
) -> None:
    """Extract invoice fields from a file (no database)."""
    from extractors import ExtractionError, ExtractOptions, extract_document
    from extractors.model import Party

    path = Path(file)
    if not path.is_file():
        raise UsageError(f"no such file: {file}")
    known = None
    if customer_vat or customer_name:
        vat = "".join(ch for ch in customer_vat.upper() if ch.isalnum()) if customer_vat else None
        known = Party(name=customer_name or None, vat=vat)
    options = ExtractOptions(no_embedded=no_embedded, known_customer=known)
    try:
        invoice = extract_document(path.read_bytes(), filename=path.name, options=options)
    except ExtractionError as exc:
        raise click.ClickException(f"{path.name}: {exc}") from None
    data = invoice.to_schema_dict()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    for key, value in data.items():
        if key not in {"lines", "confidence", "vat_breakdown"}:
            click.echo(f"{key:<18} {value}")


@main.command("propose")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--dossier", "dossier_ref", help="Use this dossier's settings and history.")
def propose_cmd(file: str, dossier_ref: str | None) -> None:
    """Propose a journal entry for an invoice JSON (the extract shape, or a case)."""
    from booking import BookingError, load_case, proposal_to_json, propose

    path = Path(file)
    if not path.is_file():
        raise UsageError(f"no such file: {file}")
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{file} is not JSON: {exc}") from None
    try:
        invoice, context = load_case(obj)
        if context is None:
            context = _stored_context(invoice, dossier_ref)
        proposal = propose(invoice, context)
    except BookingError as exc:
        raise click.ClickException(str(exc)) from None
    _print_json(proposal_to_json(proposal))


def _stored_context(invoice: Any, dossier_ref: str | None) -> Any:
    from booking import BookingContext
    from pipeline import bookings
    from pipeline.runtime import get_runtime
    from storage import repo
    from storage.db import check_initialised

    if dossier_ref is None:
        return BookingContext()
    rt = get_runtime()
    try:
        check_initialised(rt.settings.database_url)
    except Exception as exc:
        raise UsageError(str(exc)) from None
    with rt.tx() as s:
        try:
            d = repo.get_dossier(s, dossier_ref)
        except Exception:
            raise UsageError(f"unknown dossier: {dossier_ref}") from None
        vat, iban, name = bookings.counterparty(invoice, d)
        supplier = repo.find_supplier(s, d.id, vat=vat, iban=iban, name=name)
        return bookings.context_for(d, supplier)


# ----------------------------------------------------------------------------- VAT


@main.group()
def vat() -> None:
    """VAT return and listings for Intervat."""


@vat.command("export")
@click.option("--dossier", "dossier_ref", required=True, help="Dossier (id, name or address).")
@click.option("--period", required=True, help="2026-Q1 or 2026-03 (clients: the year, 2026).")
@click.option(
    "--kind",
    type=click.Choice(["return", "clients", "intra"]),
    default="return",
    show_default=True,
    help="Periodic return, annual client listing or intra-EU listing.",
)
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@_setup_errors
def vat_export(dossier_ref: str, period: str, kind: str, out: str) -> None:
    """Write the Intervat XML of the dossier's booked entries to OUT."""
    svc = _service()
    data = svc.vat_export(_system(), _dossier_id(svc, dossier_ref), period, kind)
    Path(out).write_bytes(data)
    click.echo(f"{kind} {period}: {len(data)} bytes written to {out}")


@main.group()
def rates() -> None:
    """Exchange rates for foreign-currency invoices (ECB reference rates)."""


@rates.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@_setup_errors
def rates_import(file: str) -> None:
    """Load the ECB CSV (eurofxref-hist.csv or eurofxref.csv, unzipped) into the rate table."""
    svc = _service()
    count = svc.import_rates(_system(), Path(file).read_bytes())
    click.echo(f"{count} exchange rates stored")


# ----------------------------------------------------------------------------- invoicing


def _invoice_json(row: Any) -> dict[str, Any]:
    return dict(row.as_dict())


@main.group()
def invoice() -> None:
    """Sales invoices: create a draft, issue, send, credit, list."""


@invoice.command("create")
@click.argument("spec", type=click.Path(exists=True, dir_okay=False))
@click.option("--dossier", "dossier_ref", help="Dossier (id, name or address); else SPEC's.")
@click.option("--issue", "issue_now", is_flag=True, help="Issue the draft at once.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_setup_errors
def invoice_create(spec: str, dossier_ref: str | None, issue_now: bool, as_json: bool) -> None:
    """Create a draft invoice from SPEC.json (customer_id, lines, vat_case, ...)."""
    svc = _service()
    try:
        data = json.loads(Path(spec).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"{spec}: not a JSON object ({exc})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{spec}: not a JSON object")
    ref = dossier_ref or str(data.pop("dossier", "") or "")
    if not ref:
        raise UsageError('give --dossier or a "dossier" key in SPEC')
    data.pop("dossier", None)
    row = svc.create_draft(_system(), _dossier_id(svc, ref), data)
    if issue_now:
        row = svc.issue(_system(), row.id)
    if as_json:
        _print_json(_invoice_json(row))
    else:
        click.echo(f"invoice {row.id}: {row.state} {row.number or ''} {row.total} EUR".rstrip())


@invoice.command("settings")
@click.option("--dossier", "dossier_ref", required=True, help="Dossier (id, name or address).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False), required=False)
@_setup_errors
def invoice_settings(dossier_ref: str, file: str | None) -> None:
    """Show, or set from FILE.json, the dossier's invoicing settings: seller (street,
    postal_code, city, enterprise_number, iban, bic, email...), prefix, auto_book, reminders."""
    svc = _service()
    did = _dossier_id(svc, dossier_ref)
    if file is None:
        _print_json(svc.invoicing_settings(_system(), did))
        return
    try:
        data = json.loads(Path(file).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"{file}: not a JSON object ({exc})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{file}: not a JSON object")
    allowed = {"seller", "prefix", "auto_book", "reminders", "peppol_sender_ref"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise UsageError(f"{file}: unknown keys {', '.join(unknown)}")
    _print_json(svc.set_invoicing_settings(_system(), did, **data))


@invoice.command("pdf")
@click.argument("invoice_id", type=int)
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option("--ubl", is_flag=True, help="Write the UBL (XML) instead of the PDF.")
@_setup_errors
def invoice_pdf(invoice_id: int, out: str, ubl: bool) -> None:
    """Write an invoice's PDF (a preview for a draft) or its UBL to OUT."""
    svc = _service()
    data, _ = (svc.invoice_ubl if ubl else svc.invoice_pdf)(_system(), invoice_id)
    Path(out).write_bytes(data)
    click.echo(f"{len(data)} bytes written to {out}")


@invoice.command("issue")
@click.argument("invoice_id", type=int)
@_setup_errors
def invoice_issue(invoice_id: int) -> None:
    """Issue a draft: gapless number, PDF and validated UBL."""
    row = _service().issue(_system(), invoice_id)
    click.echo(f"invoice {row.id} issued as {row.number}: {row.total} EUR, due {row.due_date}")


@invoice.command("send")
@click.argument("invoice_id", type=int)
@click.option("--channel", type=click.Choice(["peppol", "email"]), help="Default: the best one.")
@click.option("--to", help="Recipient (Peppol id or e-mail) instead of the customer's.")
@_setup_errors
def invoice_send(invoice_id: int, channel: str | None, to: str | None) -> None:
    """Send an issued invoice over Peppol or by mail (queued and retried on failure)."""
    # delivered now (the result is printed); a failure that can pass is retried by a worker
    sent = _service().send(_system(), invoice_id, channel=channel, to=to, now=True)
    for warning in sent.warnings:
        click.echo(f"warning: {warning}", err=True)
    reason = f" ({sent.reason})" if sent.reason else ""
    click.echo(
        f"invoice {invoice_id} by {sent.channel} to {sent.destination}: {sent.state}{reason}"
    )


@invoice.command("credit")
@click.argument("invoice_id", type=int)
@click.option("--note", help="Reason printed on the credit note.")
@click.option("--issue", "issue_now", is_flag=True, help="Issue the credit note at once.")
@_setup_errors
def invoice_credit(invoice_id: int, note: str | None, issue_now: bool) -> None:
    """A credit note for all of an issued invoice (a draft unless --issue)."""
    svc = _service()
    row = svc.credit_note(_system(), invoice_id, note=note)
    if issue_now:
        row = svc.issue(_system(), row.id)
    click.echo(f"credit note {row.id}: {row.state} {row.number or ''} {row.total} EUR".rstrip())


@invoice.command("list")
@click.option("--dossier", "dossier_ref", help="Dossier (id, name or address).")
@click.option("--state", type=click.Choice(["draft", "issued"]))
@click.option("--paid/--unpaid", default=None, help="Only paid or only unpaid invoices.")
@click.option("--overdue", is_flag=True, help="Only unpaid invoices past their due date.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_setup_errors
def invoice_list(
    dossier_ref: str | None, state: str | None, paid: bool | None, overdue: bool, as_json: bool
) -> None:
    """Invoices and credit notes, newest first."""
    svc = _service()
    did = _dossier_id(svc, dossier_ref) if dossier_ref else None
    rows = svc.invoices(_system(), did, state=state, paid=paid, overdue=overdue, limit=1000)
    if as_json:
        _print_json([_invoice_json(r) for r in rows])
        return
    for r in rows:
        click.echo(
            f"{r.id:>6}  {r.number or '(draft)':<14} {r.kind:<11} {r.customer_name[:30]:<30} "
            f"{r.total:>10} {r.payment_state}"
        )


@main.group()
def customer() -> None:
    """Customers of a dossier (for invoicing)."""


@customer.command("import")
@click.option("--dossier", "dossier_ref", required=True, help="Dossier (id, name or address).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@_setup_errors
def customer_import(dossier_ref: str, file: str) -> None:
    """Import customers from a CSV (name, country, VAT, ...); bad rows listed by line."""
    svc = _service()
    added, errors = svc.import_customers(
        _system(), _dossier_id(svc, dossier_ref), Path(file).read_bytes()
    )
    for line, reason in errors:
        click.echo(f"line {line}: {reason}", err=True)
    click.echo(f"{len(added)} customers imported, {len(errors)} rows refused")


@main.group()
def coda() -> None:
    """Bank statements (CODA)."""


@coda.command("import")
@click.option("--dossier", "dossier_ref", required=True, help="Dossier (id, name or address).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_setup_errors
def coda_import(dossier_ref: str, file: str, as_json: bool) -> None:
    """Import a CODA file: payments matched to sales and purchase invoices (all or nothing)."""
    svc = _service()
    path = Path(file)
    rep = svc.import_coda(
        _system(), _dossier_id(svc, dossier_ref), path.read_bytes(), filename=path.name
    )
    if as_json:
        _print_json(
            {
                "import_id": rep.import_id,
                "movements": rep.movements,
                "matched": rep.matched,
                "booked": rep.booked,
                "already_imported": rep.already_imported,
                "matches": list(rep.matches),
                "unmatched": [
                    {"id": m.id, "line": m.line, "amount": m.amount, "name": m.counterparty_name}
                    for m in rep.unmatched
                ],
            }
        )
        return
    click.echo(
        f"{rep.movements} movements, {rep.matched} matched, {len(rep.unmatched)} to match;"
        f" {rep.booked} booked in the bank journal"
        + (f", {rep.already_imported} imported before (skipped)" if rep.already_imported else "")
    )
    for m in rep.unmatched:
        click.echo(f"  id {m.id} line {m.line}: {m.amount} {m.counterparty_name or ''}".rstrip())


@coda.command("book")
@click.argument("movement_id", type=int)
@click.argument("account")
@click.option("--description", default="", help="Text of the entry's lines.")
@_setup_errors
def coda_book(movement_id: int, account: str, description: str) -> None:
    """Book an unmatched bank line (its id, see coda import) in the bank journal against ACCOUNT."""
    entry = _service().book_movement(_system(), movement_id, account, description=description)
    click.echo(f"booked as {entry.label} on {account}")


@main.command()
@click.option("--dossier", "dossier_ref", help="Only this dossier (id, name or address).")
@click.option("--dry-run", is_flag=True, help="List the reminders due, record and send nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_setup_errors
def remind(dossier_ref: str | None, dry_run: bool, as_json: bool) -> None:
    """The daily reminder run (idempotent: a reminder level is sent once per invoice)."""
    svc = _service()
    did = _dossier_id(svc, dossier_ref) if dossier_ref else None
    due = svc.run_reminders(_system(), did, dry_run=dry_run)
    if as_json:
        _print_json(
            [
                {
                    "invoice_id": r.invoice_id,
                    "number": r.number,
                    "level": r.level,
                    "amount_due": r.amount_due,
                    "fee": r.fee,
                    "interest": r.interest,
                }
                for r in due
            ]
        )
        return
    for r in due:
        click.echo(f"{r.number}: level {r.level}, {r.amount_due} EUR due")
    click.echo(f"{len(due)} reminders {'due (dry run)' if dry_run else 'recorded'}")


# ----------------------------------------------------------------------------- services


@main.command()
@_setup_errors
def smtp() -> None:
    """Run the SMTP intake server (BOEKBOX_SMTP_HOST:BOEKBOX_SMTP_PORT)."""
    from intake.server import run_server
    from pipeline.runtime import get_runtime
    from storage.db import check_initialised

    rt = get_runtime()
    check_initialised(rt.settings.database_url)
    run_server(rt)


def _reconcile_loop(stop: threading.Event, every: float, gc_every: float = 0.0) -> None:
    from pipeline.actors import reconcile

    next_gc = time.monotonic() + min(gc_every, 300.0) if gc_every > 0 else None
    while not stop.wait(every):
        try:
            reconcile()
        except Exception:
            logging.getLogger(__name__).exception("reconciler pass failed")
        try:
            _retry_sends()
        except Exception:
            logging.getLogger(__name__).exception("retrying invoice sends failed")
        if next_gc is not None and time.monotonic() >= next_gc:
            next_gc = time.monotonic() + gc_every
            try:
                _blob_gc_pass()
            except Exception:
                logging.getLogger(__name__).exception("blob garbage collection failed")
        try:
            from pipeline.cli_archive import verify_pass_if_due

            verify_pass_if_due()
        except Exception:
            logging.getLogger(__name__).exception("blob integrity check failed")
        try:
            from pipeline.quota_alerts import run_if_due

            run_if_due()
        except Exception:
            logging.getLogger(__name__).exception("quota alert check failed")


@main.command()
@click.option("--processes", type=int, help="Worker processes (default BOEKBOX_WORKER_PROCESSES).")
@click.option("--threads", type=int, help="Threads per process (default BOEKBOX_WORKER_THREADS).")
@click.option(
    "--ocr-processes",
    type=int,
    help="OCR worker processes (default BOEKBOX_OCR_PROCESSES; 0: one per core, at most 4).",
)
@_setup_errors
def worker(processes: int | None, threads: int | None, ocr_processes: int | None) -> None:
    """Run pipeline workers (dramatiq), their OCR processes and the reconciler."""
    from pipeline.runtime import get_runtime
    from storage.db import check_initialised

    rt = get_runtime()
    check_initialised(rt.settings.database_url)
    settings = rt.settings
    from pipeline.actors import LIGHT_QUEUES, OCR_QUEUE
    from pipeline.supervisor import Supervisor, worker_commands
    from pipeline.supervisor import ocr_processes as n_ocr

    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    commands = worker_commands(
        processes or settings.worker_processes, threads or settings.worker_threads, LIGHT_QUEUES
    )
    # OCR in processes of its own, one document each (its pages in parallel), claiming
    # no document ahead: mails, e-invoices and text PDFs never wait behind a scan
    ocr_count = n_ocr(settings.ocr_processes if ocr_processes is None else ocr_processes)
    commands += worker_commands(ocr_count, 1, [OCR_QUEUE], prefetch=1)
    from pipeline.send_queue import SEND_QUEUE

    # invoice and reminder sends in a process of their own: a slow relay or access point
    # never holds up a document
    commands += worker_commands(1, 2, [SEND_QUEUE])
    supervisor = Supervisor(commands, env=env)
    stop = threading.Event()
    every = max(5.0, min(60.0, settings.reconcile_after_seconds / 5))
    gc_every = settings.blob_gc_every_seconds
    thread = threading.Thread(target=_reconcile_loop, args=(stop, every, gc_every), daemon=True)
    thread.start()

    def handler(_signum: int, _frame: Any) -> None:
        supervisor.request_stop()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    supervisor.start()
    supervisor.run()  # a worker process that dies is replaced; returns on SIGTERM
    stop.set()
    sys.exit(supervisor.stop())


def _ui_command(settings: Any) -> list[str]:
    # the ASGI app: Streamlit's pages plus the routes that set the HttpOnly session cookie
    app = Path(__file__).resolve().parent.parent / "review_ui" / "server.py"
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.address",
        settings.ui_host,
        "--server.port",
        str(settings.ui_port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        # production: no developer menu, no "Deploy" button
        "--client.toolbarMode",
        "developer" if settings.ui_developer_mode else "viewer",
    ]


@main.command()
@_setup_errors
def ui() -> None:
    """Run the Streamlit review UI (BOEKBOX_UI_HOST:BOEKBOX_UI_PORT)."""
    settings = load_settings()
    proc = subprocess.Popen(_ui_command(settings))
    _forward_signals([proc])
    sys.exit(proc.wait())


def _forward_signals(procs: list[subprocess.Popen[bytes]]) -> None:
    def handler(signum: int, _frame: Any) -> None:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM if signum == signal.SIGINT else signum)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


@main.command()
@_setup_errors
def up() -> None:
    """Run SMTP, workers and the UI together, each restarted if it dies; Ctrl-C stops all."""
    from pipeline.runtime import get_runtime
    from pipeline.supervisor import Supervisor
    from storage.db import check_initialised

    settings = get_runtime().settings
    check_initialised(settings.database_url)
    me = [sys.executable, "-m", "pipeline.cli"]
    # one supervisor for the three services: a killed SMTP server, worker service or
    # UI is started again (with a back-off when it keeps dying), the others stay up
    supervisor = Supervisor(
        [[*me, "smtp"], [*me, "worker"], _ui_command(settings)],
        names=["SMTP server", "worker service", "UI"],
    )

    def handler(_signum: int, _frame: Any) -> None:
        supervisor.request_stop()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    supervisor.start()
    click.echo(
        f"SMTP on {settings.smtp_host}:{settings.smtp_port}, "
        f"UI on http://{settings.ui_host}:{settings.ui_port}"
    )
    supervisor.run()  # returns on SIGTERM / Ctrl-C
    code = supervisor.stop()
    click.echo("boekbox stopped" if code == 0 else "boekbox stopped (a service was killed)")
    sys.exit(code)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_setup_errors
def stats(as_json: bool) -> None:
    """Pipeline timings: p50/p95 per step and document type."""
    svc = _service()
    rows = svc.stats(_system())
    if as_json:
        _print_json(
            [
                {
                    "step": r.step,
                    "type": r.doc_type,
                    "count": r.count,
                    "p50_s": round(r.p50_s, 3),
                    "p95_s": round(r.p95_s, 3),
                    "max_s": round(r.max_s, 3),
                }
                for r in rows
            ]
        )
        return
    click.echo(f"{'step':<8} {'type':<11} {'count':>6} {'p50 s':>8} {'p95 s':>8} {'max s':>8}")
    for r in rows:
        click.echo(
            f"{r.step:<8} {r.doc_type:<11} {r.count:>6} {r.p50_s:>8.2f} {r.p95_s:>8.2f}"
            f" {r.max_s:>8.2f}"
        )


@main.command("reconcile")
@click.option("--older-than", type=int, default=None, help="Seconds (default from settings).")
@_setup_errors
def reconcile_cmd(older_than: int | None) -> None:
    """Re-send documents stuck in a working state (one pass)."""
    from pipeline.actors import reconcile

    _service()
    n = reconcile(older_than_seconds=older_than)
    click.echo(f"{n} document(s) re-sent")


# ----------------------------------------------------------------------------- blobs


@main.group()
def blobs() -> None:
    """Maintain the blob store."""


@blobs.command("gc")
@click.option("--dry-run", is_flag=True, help="List what would be deleted; delete nothing.")
@click.option(
    "--grace-seconds",
    type=float,
    default=None,
    help="Keep unreferenced blobs younger than this (default BOEKBOX_BLOB_GC_GRACE_SECONDS).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_setup_errors
def blobs_gc(dry_run: bool, grace_seconds: float | None, as_json: bool) -> None:
    """Delete blobs that no row refers to and that are older than the grace period."""
    from pipeline.runtime import get_runtime
    from storage.blobgc import collect_garbage
    from storage.db import check_initialised

    rt = get_runtime()
    check_initialised(rt.settings.database_url)
    grace = rt.settings.blob_gc_grace_seconds if grace_seconds is None else grace_seconds
    try:
        report = collect_garbage(rt.tx, rt.blobs, grace_seconds=grace, dry_run=dry_run)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if as_json:
        _print_json(report.as_dict())
        return
    verb = "would delete" if dry_run else "deleted"
    click.echo(
        f"{report.store}: {report.scanned} blobs, {report.referenced} referenced,"
        f" {report.young} younger than {grace:.0f} s; {verb} {report.deleted}"
        f" ({report.deleted_bytes:,} bytes)"
    )
    for sha in report.deleted_sha256:
        click.echo(f"  {sha}")


def _retry_sends() -> None:
    """Deliver invoice sends still queued after a minute (the pipeline's retry)."""
    from pipeline.runtime import get_runtime
    from pipeline.service import SYSTEM, Service

    Service(get_runtime()).retry_sends(SYSTEM, older_than_seconds=60.0)


def _blob_gc_pass() -> None:
    """One garbage collection of the blob store (from the worker's reconciler loop)."""
    from pipeline.runtime import get_runtime
    from storage.blobgc import collect_garbage

    rt = get_runtime()
    collect_garbage(rt.tx, rt.blobs, grace_seconds=rt.settings.blob_gc_grace_seconds)


# ----------------------------------------------------------------------------- rights


@main.group()
def rights() -> None:
    """Who may do what in a dossier (rights per dossier, audited)."""


@rights.command("show")
@click.argument("dossier_ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_setup_errors
def rights_show(dossier_ref: str, as_json: bool) -> None:
    """Each member's role (preset) and permissions in DOSSIER."""
    svc = _service()
    rows = svc.rights(_system(), _dossier_id(svc, dossier_ref))
    if as_json:
        _print_json(
            [
                {
                    "username": r.username,
                    "role": r.role,
                    "permissions": list(r.permissions),
                    "custom": r.custom,
                    "active": r.active,
                }
                for r in rows
            ]
        )
        return
    for r in rows:
        mark = " (set one by one)" if r.custom else ""
        click.echo(f"{r.username:<24} {r.role:<18} {', '.join(r.permissions)}{mark}")


@rights.command("set")
@click.argument("dossier_ref")
@click.argument("username")
@click.option("--role", type=click.Choice(["accountant", "client_bookkeeper", "client_portal"]))
@click.option("--grant", multiple=True, help="Permission to add (repeatable).")
@click.option("--revoke", multiple=True, help="Permission to take away (repeatable).")
@_setup_errors
def rights_set(
    dossier_ref: str,
    username: str,
    role: str | None,
    grant: tuple[str, ...],
    revoke: tuple[str, ...],
) -> None:
    """Add USERNAME to the dossier or change their rights there (audited)."""
    svc = _service()
    got = svc.set_rights(
        _system(), _dossier_id(svc, dossier_ref), username, role=role, grant=grant, revoke=revoke
    )
    click.echo(f"{got.username} in {dossier_ref}: {got.role}: {', '.join(got.permissions)}")


@rights.command("remove")
@click.argument("dossier_ref")
@click.argument("username")
@_setup_errors
def rights_remove(dossier_ref: str, username: str) -> None:
    """Take USERNAME out of the dossier (audited)."""
    svc = _service()
    svc.remove_member(_system(), _dossier_id(svc, dossier_ref), username)
    click.echo(f"{username} removed from {dossier_ref}")


# journals by hand, approvals, bookyears, period locks, opening balances (pipeline/cli_entries.py)
from pipeline.cli_entries import register as _register_entries  # noqa: E402

_register_entries(main)


@quota.command("statements")
@click.option("--month", required=True, help="The month, e.g. 2026-11.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Write CSV to FILE.")
@_setup_errors
def quota_statements(month: str, csv_path: str | None) -> None:
    """The monthly usage statement per dossier (peak use, started GB above the free GB)."""
    svc = _service()
    if csv_path:
        text = svc.quota_statements_csv(_system(), month)
        Path(csv_path).write_text(text, encoding="utf-8")
        click.echo(f"{max(text.count(chr(10)) - 1, 0)} statements written to {csv_path}")
        return
    for v in svc.quota_statements(_system(), month):
        click.echo(
            f"{v.month}  {v.dossier_name:<30} peak {v.peak_bytes / 1e6:>10.1f} MB"
            f"  billed {v.billed_gb} GB  EUR {v.amount_eur}"
        )


@quota.command("alerts")
@_setup_errors
def quota_alerts_cmd() -> None:
    """Mail the quota alerts due now (80 %, 100 %, full within 30 days), once a month each."""
    sent = _service().quota_alerts_run(_system())
    for a in sent:
        to = ", ".join(a.recipients)
        click.echo(f"{a.month}  dossier {a.dossier_id}  {a.threshold}  to {to}")
    click.echo(f"{len(sent)} alerts sent")


@quota.command("invoice")
@click.option("--month", required=True, help="The ended month, e.g. 2026-11.")
@click.option("--issue", is_flag=True, help="Issue the invoices (default: drafts).")
@_setup_errors
def quota_invoice_cmd(month: str, issue: bool) -> None:
    """The firm's sales invoices for the storage above the free GB (BOEKBOX_FIRM_DOSSIER)."""
    for v in _service().quota_invoice(_system(), month, issue=issue):
        what = "made" if v.created else "exists"
        tail = f"  ({v.refused})" if v.refused else ""
        click.echo(
            f"{v.month}  {v.dossier_name:<30} {v.billed_gb} GB  invoice {v.invoice_id or '-'}"
            f" {v.state or ''} {v.number or ''} {what}{tail}"
        )


# the archive: verify, dossier export/import/purge/hold/delete (pipeline/cli_archive.py)
from pipeline.cli_archive import register as _register_archive  # noqa: E402

_register_archive(main)


# analytical accounting: dimensions, distributions, the report (pipeline/cli_analytics.py)
from pipeline.cli_analytics import register as _register_analytics  # noqa: E402

_register_analytics(main)


if __name__ == "__main__":
    main()
