"""The `localoffer-audit` command: a thin Click layer over the library.

Each command lives in ``localoffer_audit/commands/`` and is registered below. Domain
errors (``AuditError``) become one line on stderr and exit code 1, never a traceback.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

import click

from localoffer_audit import __version__, commands
from localoffer_audit.commands.common import AppContext, configure_logging
from localoffer_audit.errors import AuditError, LockedError
from localoffer_audit.exitcodes import ExitCode
from localoffer_audit.malloc import hold_mmap_threshold
from localoffer_audit.national.commands import national


class _LockedError(click.ClickException):
    """One line, and the exit code cron users look for when another run holds the lock."""

    exit_code = ExitCode.LOCKED


class AuditGroup(click.Group):
    """A group that reports domain errors as one line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AuditError as exc:
            raise (_LockedError if isinstance(exc, LockedError) else click.ClickException)(str(exc)) from exc


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
    hold_mmap_threshold()  # large freed buffers go back to the system (malloc.py)
    ctx.obj = AppContext(config_option=config_option, db_option=db_option, verbose=verbose)


def _register_commands() -> None:
    """Add the commands every module in ``commands/`` lists in its ``COMMANDS``."""
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_") or module_info.name == "common":
            continue
        module = importlib.import_module(f"{commands.__name__}.{module_info.name}")
        for command in getattr(module, "COMMANDS", ()):
            main.add_command(command)


_register_commands()
# The national run is an optional extra: its commands load it only when run, and say in
# one line how to install it when it is missing (nothing else here imports it).
main.add_command(national)


if __name__ == "__main__":  # `python -m localoffer_audit.cli`, as tests and cron wrappers may call it
    main()
