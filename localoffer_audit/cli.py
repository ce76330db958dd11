"""The `localoffer-audit` command: a thin Click layer over the library.

Each command lives in ``localoffer_audit/commands/`` and is registered below. Domain
errors (``AuditError``) become one line on stderr and exit code 1, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from . import __version__
from .commands import core
from .commands.common import AppContext, configure_logging
from .errors import AuditError
from .exitcodes import ExitCode


class AuditGroup(click.Group):
    """A group that reports domain errors as one line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AuditError as exc:
            error = click.ClickException(str(exc))
            error.exit_code = ExitCode.ERROR
            raise error from exc


@click.group(cls=AuditGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_option",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="LOCALOFFER_AUDIT_CONFIG",
    help="Config file (default ./localoffer-audit.toml; also $LOCALOFFER_AUDIT_CONFIG).",
)
@click.option(
    "--db",
    "db_option",
    type=click.Path(path_type=Path),
    help="SQLite database file (default: [database] path in the config).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(__version__, prog_name="localoffer-audit")
@click.pass_context
def main(ctx: click.Context, config_option: Path | None, db_option: Path | None, verbose: int) -> None:
    """Audit a council's SEND Local Offer directory: crawl every service, check every
    link and entry, and tell each content manager what to fix.

    Example:

    \b
        localoffer-audit init
        localoffer-audit status
    """
    configure_logging(verbose)
    ctx.obj = AppContext(config_option=config_option, db_option=db_option, verbose=verbose)


for command in (core.init, core.status):
    main.add_command(command)
