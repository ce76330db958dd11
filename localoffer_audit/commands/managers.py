"""`managers import` and `managers list`: who owns which services."""

from __future__ import annotations

from pathlib import Path

import click

from localoffer_audit.errors import AuditError
from localoffer_audit.findings.managers import import_mapping, manager_overview
from localoffer_audit.commands.common import AppContext, pass_app


@click.group()
def managers() -> None:
    """Content managers: load the council's mapping and see who owns what.

    Example:

    \b
        localoffer-audit managers import managers.csv
        localoffer-audit managers list
    """


@managers.command(name="import")
@click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=False))
@pass_app
def import_command(app: AppContext, file: Path | None) -> None:
    """Load a mapping CSV of service id or organisation -> content manager.

    Columns: service_id, organisation, manager_name, manager_email (each row gives a
    service_id or an organisation, not both). The whole file is checked first; any bad
    line is reported with its line number and nothing is imported. A good file
    replaces the previous mapping. FILE defaults to [managers] mapping_file.

    Example:

    \b
        localoffer-audit managers import managers.csv
    """
    if file is None:
        file = app.config().managers.mapping_file
        if file is None:
            raise AuditError("Give the mapping CSV as FILE, or set [managers] mapping_file in the config")
    with app.writing() as db:
        result = import_mapping(db, file)
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(
        f"Imported {result.rows} rows from {result.path}: {result.managers} managers, "
        f"{result.by_service_id} by service id, {result.by_organisation} by organisation."
    )


@managers.command(name="list")
@pass_app
def list_command(app: AppContext) -> None:
    """List every content manager with the number of services they own.

    Services with no mapping row go to the service's own contact email (if
    [managers] fallback_to_service_email) or to the default owner.

    Example:

    \b
        localoffer-audit managers list
    """
    config = app.config()
    with app.database() as db:
        overview = manager_overview(db, config)
    if not overview:
        click.echo("No services stored yet.")
        return
    for entry in overview:
        manager = entry.manager
        click.echo(f"{entry.services:>5}  {manager.name} <{manager.email}>  ({manager.source})")


COMMANDS = [managers]
