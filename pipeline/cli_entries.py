"""CLI for the journals: entries by hand, approvals of client bookings, bookyears, period
locks, opening balances and accounts (registered on ``boekbox`` by :mod:`pipeline.cli`)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


# pipeline.cli imports this module to register its commands: its helpers are looked up
# when a command runs (also under ``python -m pipeline.cli``, where it is loaded twice).
def _setup_errors(fn: F) -> F:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from pipeline import cli

        return cli._setup_errors(fn)(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def UsageError(message: str) -> click.ClickException:
    from pipeline import cli

    return cli.UsageError(message)


def _service() -> Any:
    from pipeline import cli

    return cli._service()


def _system() -> Any:
    from pipeline import cli

    return cli._system()


def _dossier_id(svc: Any, ref: str) -> int:
    from pipeline import cli

    return cli._dossier_id(svc, ref)


def _print_json(data: Any) -> None:
    from pipeline import cli

    cli._print_json(data)


MAX_SPEC_BYTES = 1_000_000


def _parse_line(text: str) -> dict[str, str]:
    """``ACCOUNT:DEBIT:CREDIT[:description]`` (the description may hold colons)."""
    parts = text.split(":", 3)
    if len(parts) < 3:
        raise UsageError(f"--line {text!r}: expected ACCOUNT:DEBIT:CREDIT[:description]")
    return {
        "account": parts[0].strip(),
        "debit": parts[1].strip(),
        "credit": parts[2].strip(),
        "description": parts[3].strip() if len(parts) == 4 else "",
    }


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"date {text!r} is not YYYY-MM-DD") from None


def _entry_json(e: Any) -> dict[str, Any]:
    return {
        "id": e.id,
        "journal": e.journal,
        "bookyear": e.bookyear,
        "number": e.number,
        "date": e.date,
        "period": e.period,
        "status": e.status,
        "origin": e.origin,
        "by_client": e.by_client,
        "approval": e.approval,
        "approval_comment": e.approval_comment,
        "document_id": e.document_id,
        "lines": [
            {
                "account": ln.account,
                "debit": ln.debit,
                "credit": ln.credit,
                "vat_grids": list(ln.vat_grids),
                "description": ln.description,
            }
            for ln in e.lines
        ],
    }


def _echo_entry(e: Any, as_json: bool) -> None:
    if as_json:
        _print_json(_entry_json(e))
        return
    click.echo(f"booked {e.journal} {e.bookyear}/{e.number} on {e.date} (entry {e.id})")
    for ln in e.lines:
        click.echo(f"  {ln.account:<12} {ln.debit:>12} {ln.credit:>12}  {ln.description}")


@click.group()
def entry() -> None:
    """Entries by hand in any journal, and the approval of client bookings."""


@entry.command("add")
@click.option("--dossier", "dossier_ref", required=True)
@click.option(
    "--journal",
    type=click.Choice(["purchase", "sales", "bank", "misc"]),
    default=None,
    help="Journal (default misc, or the spec's).",
)
@click.option("--date", "date_text", default=None, help="Entry date YYYY-MM-DD.")
@click.option(
    "--line",
    "lines",
    multiple=True,
    help="ACCOUNT:DEBIT:CREDIT[:description] (repeatable; decimal comma allowed).",
)
@click.option(
    "--spec",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help='JSON {"journal", "date", "description", "lines": [{"account", "debit", '
    '"credit", "vat_grids", "description"}]}.',
)
@click.option("--description", default="", help="What the entry is for.")
@click.option("--json", "as_json", is_flag=True)
@_setup_errors
def entry_add(
    dossier_ref: str,
    journal: str | None,
    date_text: str | None,
    lines: tuple[str, ...],
    spec: str | None,
    description: str,
    as_json: bool,
) -> None:
    """Book an entry by hand (balanced, accounts in the chart, period open; else refused
    with every reason and nothing saved)."""
    data: dict[str, Any] = {}
    if spec is not None:
        raw = Path(spec).read_bytes()
        if len(raw) > MAX_SPEC_BYTES:
            raise UsageError("the spec file is larger than 1 MB")
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise UsageError(f"the spec is not JSON: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("lines", []), list):
            raise UsageError('the spec is a JSON object with a "lines" list')
    rows = [dict(r) for r in data.get("lines", []) if isinstance(r, dict)]
    rows += [_parse_line(t) for t in lines]
    when = date_text or data.get("date")
    if not when:
        raise UsageError("give --date (or a date in the spec)")
    svc = _service()
    got = svc.add_manual_entry(
        _system(),
        _dossier_id(svc, dossier_ref),
        journal or str(data.get("journal") or "misc"),
        _date(str(when)),
        rows,
        description=description or str(data.get("description") or ""),
    )
    _echo_entry(got, as_json)


@entry.command("waiting")
@click.option("--dossier", "dossier_ref", required=True)
@click.option("--json", "as_json", is_flag=True)
@_setup_errors
def entry_waiting(dossier_ref: str, as_json: bool) -> None:
    """Client bookings waiting for the accountant's approval."""
    svc = _service()
    rows = svc.client_bookings(_system(), _dossier_id(svc, dossier_ref))
    if as_json:
        _print_json([_entry_json(e) for e in rows])
        return
    for e in rows:
        click.echo(
            f"{e.id}\t{e.journal} {e.bookyear}/{e.number}\t{e.date}\tdocument {e.document_id}"
        )
    click.echo(f"{len(rows)} waiting for approval")


@entry.command("approve")
@click.argument("entry_id", type=int)
@_setup_errors
def entry_approve(entry_id: int) -> None:
    """Approve a client's booking (audited)."""
    got = _service().approve_booking(_system(), entry_id)
    click.echo(f"approved {got.journal} {got.bookyear}/{got.number}")


@entry.command("return")
@click.argument("entry_id", type=int)
@click.option("--comment", required=True, help="Why it goes back (the client sees it).")
@_setup_errors
def entry_return(entry_id: int, comment: str) -> None:
    """Send a client's booking back to review with a comment (audited)."""
    got = _service().return_booking(_system(), entry_id, comment)
    click.echo(f"sent back to review: document {got.document_id}")


@click.group()
def bookyear() -> None:
    """Bookyears of a dossier."""


@bookyear.command("list")
@click.option("--dossier", "dossier_ref", required=True)
@click.option("--json", "as_json", is_flag=True)
@_setup_errors
def bookyear_list(dossier_ref: str, as_json: bool) -> None:
    """The bookyears with their periods and entries."""
    svc = _service()
    rows = svc.bookyears(_system(), _dossier_id(svc, dossier_ref))
    if as_json:
        _print_json([vars_of(y) for y in rows])
        return
    for y in rows:
        opening = "opening balances" if y.has_opening else "no opening balances"
        click.echo(f"{y.name}\t{y.first_period}..{y.last_period}\t{y.entries} entries\t{opening}")


def vars_of(view: Any) -> dict[str, Any]:
    return {name: getattr(view, name) for name in view.__slots__}


@bookyear.command("create")
@click.option("--dossier", "dossier_ref", required=True)
@_setup_errors
def bookyear_create(dossier_ref: str) -> None:
    """Open the next bookyear and carry the balances (classes 1-5, the result on
    140000/141000) as its opening entry (audited)."""
    svc = _service()
    got = svc.create_bookyear(_system(), _dossier_id(svc, dossier_ref))
    click.echo(f"bookyear {got.name} ({got.first_period}..{got.last_period}) created")


@click.group()
def period() -> None:
    """Period locks: a locked period refuses new and changed entries."""


@period.command("lock")
@click.option("--dossier", "dossier_ref", required=True)
@click.option("--through", required=True, help="Lock every period up to YYYY-MM.")
@_setup_errors
def period_lock(dossier_ref: str, through: str) -> None:
    """Lock every period up to and including --through (audited)."""
    svc = _service()
    got = svc.lock_periods(_system(), _dossier_id(svc, dossier_ref), through)
    click.echo(f"locked through {got.locked_through}")


@period.command("unlock")
@click.option("--dossier", "dossier_ref", required=True)
@click.option("--period", "period_text", required=True, help="Reopen YYYY-MM and later.")
@_setup_errors
def period_unlock(dossier_ref: str, period_text: str) -> None:
    """Reopen a period and every later one (audited)."""
    svc = _service()
    got = svc.unlock_period(_system(), _dossier_id(svc, dossier_ref), period_text)
    click.echo(f"locked through {got.locked_through or 'nothing'}")


@click.group()
def opening() -> None:
    """Opening balances of a bookyear."""


@opening.command("import")
@click.option("--dossier", "dossier_ref", required=True)
@click.option("--bookyear", "year", required=True, help="e.g. 2026")
@click.option("--replace", is_flag=True, help="Replace earlier opening balances.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@_setup_errors
def opening_import(dossier_ref: str, year: str, replace: bool, file: str) -> None:
    """Import a trial balance CSV (account;debit;credit) as opening balances: all or
    nothing, every bad line refused with its number."""
    path = Path(file)
    if path.stat().st_size > 2_000_000:
        raise UsageError("the file is larger than 2 MB")
    svc = _service()
    got = svc.import_opening(
        _system(), _dossier_id(svc, dossier_ref), year, path.read_bytes(), replace=replace
    )
    _echo_entry(got, False)


@click.group()
def account() -> None:
    """The dossier's chart of accounts."""


@account.command("add")
@click.option("--dossier", "dossier_ref", required=True)
@click.argument("number")
@click.argument("name")
@_setup_errors
def account_add(dossier_ref: str, number: str, name: str) -> None:
    """Add an account (e.g. 550000 bank) to the chart."""
    svc = _service()
    added = svc.add_account(_system(), _dossier_id(svc, dossier_ref), number, name)
    click.echo(f"{number} {'added' if added else 'is in the chart already'}")


def register(main: click.Group) -> None:
    for group in (entry, bookyear, period, opening, account):
        main.add_command(group)
