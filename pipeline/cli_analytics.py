"""CLI for analytical accounting: dimensions and codes, line distributions, the report
(registered on ``boekbox`` by :mod:`pipeline.cli`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


def _cli() -> Any:
    # looked up when a command runs: pipeline.cli imports this module to register it
    from pipeline import cli

    return cli


def _share(raw: str) -> tuple[str, str]:
    code, sep, pct = raw.partition("=")
    if not sep or not code.strip() or not pct.strip():
        raise _cli().UsageError(f"{raw[:60]!r}: write CODE=PERCENT, e.g. WINKEL=60")
    return code.strip(), pct.strip()


@click.group()
def analytics() -> None:
    """Analytical accounting: dimensions, distributions per booking line, the report."""


@analytics.group()
def dimension() -> None:
    """Analytical dimensions (cost centre, project, ...) and their codes."""


@dimension.command("add")
@click.option("--dossier", "dossier_ref", required=True, help="dossier id, mailbox or name")
@click.argument("name")
@click.argument("codes", nargs=-1)
def dimension_add(dossier_ref: str, name: str, codes: tuple[str, ...]) -> None:
    """Add dimension NAME with CODES (CODE or CODE:label); an existing one is extended."""

    def run() -> None:
        cli = _cli()
        svc = cli._service()
        did = cli._dossier_id(svc, dossier_ref)
        dim = svc.add_dimension(cli._system(), did, name, list(codes))
        click.echo(f"{dim.name}: {', '.join(c.code for c in dim.codes if c.active) or '-'}")

    _cli()._setup_errors(run)()


@dimension.command("list")
@click.option("--dossier", "dossier_ref", required=True, help="dossier id, mailbox or name")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def dimension_list(dossier_ref: str, as_json: bool) -> None:
    """The dimensions of a dossier with their codes."""

    def run() -> None:
        cli = _cli()
        svc = cli._service()
        dims = svc.analytic_dimensions(cli._system(), cli._dossier_id(svc, dossier_ref))
        if as_json:
            cli._print_json(
                [
                    {
                        "name": d.name,
                        "active": d.active,
                        "codes": [
                            {"code": c.code, "label": c.label, "active": c.active} for c in d.codes
                        ],
                    }
                    for d in dims
                ]
            )
            return
        for d in dims:
            codes = ", ".join(c.code + ("" if c.active else " (inactive)") for c in d.codes)
            click.echo(f"{d.name}{'' if d.active else ' (inactive)'}: {codes or '-'}")

    _cli()._setup_errors(run)()


@dimension.command("deactivate")
@click.option("--dossier", "dossier_ref", required=True, help="dossier id, mailbox or name")
@click.argument("name")
@click.argument("code", required=False)
def dimension_deactivate(dossier_ref: str, name: str, code: str | None) -> None:
    """Deactivate dimension NAME, or only its CODE (reports keep what was distributed)."""

    def run() -> None:
        cli = _cli()
        svc = cli._service()
        svc.deactivate_analytic(cli._system(), cli._dossier_id(svc, dossier_ref), name, code)
        click.echo(f"{name}{' ' + code if code else ''} deactivated")

    _cli()._setup_errors(run)()


@analytics.command("distribute")
@click.option("--entry", "entry_id", type=int, required=True, help="journal entry id")
@click.option("--line", "line", type=int, required=True, help="line number (1 = first)")
@click.option("--dimension", "dimension_name", default=None, help="when codes are ambiguous")
@click.argument("shares", nargs=-1, required=True)
def distribute(
    entry_id: int, line: int, dimension_name: str | None, shares: tuple[str, ...]
) -> None:
    """Distribute a cost or revenue line: CODE=PERCENT ..., adding up to 100."""

    def run() -> None:
        cli = _cli()
        pairs = [_share(s) for s in shares]
        parts = cli._service().distribute(
            cli._system(), entry_id, line, pairs, dimension=dimension_name
        )
        for p in parts:
            click.echo(f"{p.code}\t{p.pct}%\t{p.amount}")

    _cli()._setup_errors(run)()


@analytics.command("report")
@click.option("--dossier", "dossier_ref", required=True, help="dossier id, mailbox or name")
@click.option("--dimension", "dimension_name", required=True, help="e.g. 'cost centre'")
@click.option("--year", type=int, default=None, help="calendar year (default: all)")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path))
def report(
    dossier_ref: str,
    dimension_name: str,
    year: int | None,
    as_json: bool,
    csv_path: Path | None,
    xlsx_path: Path | None,
) -> None:
    """Result (revenue class 7 minus costs class 6) per code per month."""

    def run() -> None:
        cli = _cli()
        svc = cli._service()
        user = cli._system()
        did = cli._dossier_id(svc, dossier_ref)
        rep = svc.analytic_report(user, did, dimension_name, year)
        if csv_path is not None:
            csv_path.write_bytes(svc.analytic_report_csv(user, did, dimension_name, year))
        if xlsx_path is not None:
            xlsx_path.write_bytes(svc.analytic_report_xlsx(user, did, dimension_name, year))
        if as_json:
            cli._print_json(rep.as_json())
            return
        click.echo(f"{'code':<16}{'month':<9}{'revenue':>14}{'costs':>14}{'result':>14}")
        for r in rep.rows:
            click.echo(f"{r.code:<16}{r.month:<9}{r.revenue:>14}{r.costs:>14}{r.result:>14}")
        click.echo(f"{'total':<25}{'':>28}{rep.total:>14}")

    _cli()._setup_errors(run)()


def register(main: click.Group) -> None:
    main.add_command(analytics)
