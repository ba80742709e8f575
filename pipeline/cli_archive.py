"""CLI for the archive: ``boekbox verify``, ``boekbox dossier export|import|purge|hold|
delete|retention`` (registered on ``boekbox`` by :mod:`pipeline.cli`), and the sample
check the worker's reconciler runs."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger(__name__)


def _setup_errors(fn: F) -> F:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from pipeline import cli

        return cli._setup_errors(fn)(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _service() -> Any:
    from pipeline import cli

    return cli._service()


def _system() -> Any:
    from pipeline.service import SYSTEM

    return SYSTEM


def _dossier_id(ref: str) -> int:
    return int(_service().dossier(_system(), int(ref) if ref.isdigit() else ref).id)


def _print(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str, ensure_ascii=False))


@click.command("verify")
@click.option("--dossier", "dossier_ref", help="Only this dossier's blobs (id or address).")
@click.option("--sample", type=int, help="Check this many blobs chosen at random.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_setup_errors
def verify(dossier_ref: str | None, sample: int | None, as_json: bool) -> None:
    """Re-hash stored blobs against their content address; exit 1 when any is missing
    or damaged."""
    did = _dossier_id(dossier_ref) if dossier_ref else None
    report = _service().verify_blobs(_system(), dossier_id=did, sample=sample)
    if as_json:
        _print(report)
    else:
        click.echo(
            f"{report['store']}: {report['checked']} blobs checked ({report['bytes']:,} bytes),"
            f" {report['ok']} intact, {len(report['missing'])} missing,"
            f" {len(report['damaged'])} damaged, {len(report['unavailable'])} unreadable"
        )
        for what in ("missing", "damaged"):
            for row in report[what]:
                docs = ", ".join(str(d) for d in row["documents"]) or "no document"
                click.echo(f"  {what}: {row['sha256']} (documents {docs})")
    if report["missing"] or report["damaged"] or report["unavailable"]:
        raise SystemExit(1)


@click.command("export")
@click.argument("dossier_ref")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_setup_errors
def dossier_export(dossier_ref: str, target: Path, as_json: bool) -> None:
    """Write the dossier's archive (ZIP: originals, mails, sales invoices with their
    e-invoice XML, journals, ledger, bookings, manifest with SHA-256 per file) to TARGET;
    every original is checked against its content address on the way."""
    report = _service().export_dossier(_system(), _dossier_id(dossier_ref), target)
    if as_json:
        _print(report)
        return
    click.echo(
        f"{report['path']}: {report['documents']} documents, {report['mails']} mails,"
        f" {report['entries']} entries, {report['invoices']} sales invoices,"
        f" {report['bytes']:,} bytes; {report['verified']} originals checked"
    )


@click.command("import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_setup_errors
def dossier_import(source: Path, as_json: bool) -> None:
    """Create a dossier from an archive made by ``dossier export`` (refused when tampered)."""
    report = _service().import_dossier(_system(), source)
    if as_json:
        _print(report)
        return
    click.echo(
        f"dossier {report['dossier_id']} ({report['mailbox']}): {report['documents']}"
        f" documents, {report['mails']} mails, {report['entries']} entries,"
        f" {report['invoices']} sales invoices"
    )


@click.command("purge")
@click.argument("dossier_ref")
@click.option("--yes", is_flag=True, help="Delete for real (without it: a dry run).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_setup_errors
def dossier_purge(dossier_ref: str, yes: bool, as_json: bool) -> None:
    """Delete what of the dossier is past its retention date and not held (a dry run
    unless --yes); every deleted item is kept in the purge log."""
    report = _service().purge(_system(), _dossier_id(dossier_ref), dry_run=not yes)
    if as_json:
        _print(report)
        return
    verb = "deleted" if yes else "would delete"
    click.echo(
        f"{verb} {report['documents']} documents, {report['entries']} entries"
        f" ({report['freed_bytes']:,} bytes of quota); {report['retained']} retained,"
        f" {report['held']} under a legal hold"
    )
    for item in report["items"]:
        click.echo(
            f"  {item['kind']} {item['id']}: {item['label']} (kept until {item['retain_until']})"
        )


@click.command("hold")
@click.argument("dossier_ref")
@click.option("--document", "document_id", type=int, help="Hold one document only.")
@click.option("--release", is_flag=True, help="Lift the hold.")
@_setup_errors
def dossier_hold(dossier_ref: str, document_id: int | None, release: bool) -> None:
    """Put a legal hold on the dossier (or one document): nothing held is ever deleted."""
    did = _dossier_id(dossier_ref)
    _service().set_legal_hold(_system(), did, not release, document_id=document_id)
    what = f"document {document_id}" if document_id else f"dossier {did}"
    click.echo(f"{what}: legal hold {'lifted' if release else 'on'}")


@click.command("delete")
@click.argument("dossier_ref")
@click.option("--yes", is_flag=True, required=True, help="Confirm.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_setup_errors
def dossier_delete(dossier_ref: str, yes: bool, as_json: bool) -> None:
    """Delete a dossier and everything in it: refused while anything is retained or held."""
    report = _service().delete_dossier(_system(), _dossier_id(dossier_ref))
    if as_json:
        _print(report)
        return
    click.echo(f"dossier deleted: {report['documents']} documents, {report['entries']} entries")


@click.command("retention")
@click.argument("document_id", type=int)
@_setup_errors
def dossier_retention(document_id: int) -> None:
    """Show a document's retain-until date and legal hold."""
    view = _service().retention(_system(), document_id)
    hold = ", legal hold" if view.legal_hold else ""
    click.echo(f"document {document_id}: kept until {view.retain_until.isoformat()}{hold}")


def register(main: click.Group) -> None:
    main.add_command(verify)
    group = main.commands["dossier"]
    assert isinstance(group, click.Group)
    for command in (
        dossier_export,
        dossier_import,
        dossier_purge,
        dossier_hold,
        dossier_delete,
        dossier_retention,
    ):
        group.add_command(command)


# ----------------------------------------------------------------------------- worker

_next_verify: float | None = None


def verify_pass_if_due(now: float | None = None) -> dict[str, Any] | None:
    """A sample integrity check from the worker's reconciler loop, every
    BOEKBOX_BLOB_VERIFY_EVERY_SECONDS (0 = never); problems are logged and recorded
    on the documents."""
    global _next_verify
    from pipeline.runtime import get_runtime
    from storage.integrity import verify_blobs

    rt = get_runtime()
    every = float(rt.settings.blob_verify_every_seconds)
    if every <= 0:
        return None
    now = time.monotonic() if now is None else now
    if _next_verify is None:
        _next_verify = now + min(every, 600.0)
    if now < _next_verify:
        return None
    _next_verify = now + every
    report = verify_blobs(rt.tx, rt.blobs, sample=int(rt.settings.blob_verify_sample))
    if not report.clean:
        log.error(
            "blob check %s: %d missing, %d damaged, %d unreadable of %d sampled (%s)",
            report.store,
            len(report.missing),
            len(report.damaged),
            len(report.unavailable),
            report.checked,
            dt.datetime.now(dt.UTC).isoformat(),
        )
    return report.as_dict()
