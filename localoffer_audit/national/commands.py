"""`localoffer-audit national ...`: the national run's commands, a thin Click layer.

This module imports nothing from the optional extra at import time, so `--help` works
everywhere and a command run without the extra says in one line how to install it.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import click

from localoffer_audit.national.extra import require_extra
from localoffer_audit.national import timing

REGISTRY_OPTION = click.option(
    "--registry", "registry_path", type=click.Path(path_type=Path, dir_okay=False), envvar="LOCALOFFER_AUDIT_REGISTRY",
    default="councils.toml", show_default=True,
    help="The council registry (TOML; also $LOCALOFFER_AUDIT_REGISTRY).",
)
NIGHT_OPTION = click.option(
    "--night", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
    help="The night (YYYY-MM-DD) to work on; default today.",
)


def _night(value: object) -> date:
    return value.date() if value is not None else date.today()  # type: ignore[attr-defined]


def _app(registry_path: Path, **options: object):  # type: ignore[no-untyped-def]
    require_extra()
    from localoffer_audit.national.database import database_url
    from localoffer_audit.national.jobs import NationalApp
    from localoffer_audit.national.registry import load_registry

    registry = load_registry(registry_path)  # a bad registry stops here, in one line
    return NationalApp(database_url(), registry_path, registry=registry, **options)  # type: ignore[arg-type]


@click.group()
def national() -> None:
    """Audit many councils at once on PostgreSQL and procrastinate workers.

    Needs the 'national' extra (pip install -e '.[national]') and
    $LOCALOFFER_AUDIT_DATABASE_URL. Each council keeps its own config and store;
    links are checked once nationally. See docs/national.md.

    \b
    Example:
        export LOCALOFFER_AUDIT_DATABASE_URL=postgresql://audit@db.example.org/localoffer
        localoffer-audit national enqueue --registry councils.toml
        localoffer-audit national worker --registry councils.toml   # on each machine
        localoffer-audit national status
        localoffer-audit national report --registry councils.toml --out national.html
    """


@national.command()
@REGISTRY_OPTION
@NIGHT_OPTION
@click.option("--council", "slugs", multiple=True, help="Only this council (repeat for several).")
def enqueue(registry_path: Path, night: object, slugs: tuple[str, ...]) -> None:
    """Queue tonight's jobs: one crawl per council (its link checks and finish follow).

    Idempotent: councils already queued for the night are not queued again.

    \b
    Example:
        localoffer-audit national enqueue --registry councils.toml
        localoffer-audit national enqueue --council leeds --night 2026-12-03
    """
    national_app = _app(registry_path)
    when = _night(night)

    async def run() -> list[str]:
        from localoffer_audit.national.worker import _prepare

        await asyncio.to_thread(_prepare, national_app.conninfo)
        async with national_app.app.open_async():
            return await national_app.enqueue(when, list(slugs) or None)

    added = asyncio.run(run())
    total = len(slugs) or len(national_app.registry.councils)
    click.echo(f"Night {when.isoformat()}: {len(added)} council(s) queued"
               + (f", {total - len(added)} already queued" if total - len(added) else "")
               + (f" ({', '.join(added)})" if added else "") + ".")


@national.command()
@REGISTRY_OPTION
@click.option("--queue", "queues", multiple=True, type=click.Choice(["councils", "links"]),
              help="Work only on this queue (repeat for both; default both).")
@click.option("--concurrency", type=click.IntRange(1, 200), default=8, show_default=True,
              help="Jobs this worker runs at once.")
@click.option("--heartbeat", "heartbeat_seconds", type=click.FloatRange(0.2, 300), default=timing.HEARTBEAT_SECONDS, show_default=True,
              help="Seconds between the worker's heartbeats.")
@click.option("--lease", "lease_seconds", type=click.FloatRange(1, 3600), default=timing.LEASE_SECONDS, show_default=True,
              help="A job whose worker sent no heartbeat for this long is retried by another worker.")
@click.option("--stalled-check", "stalled_check_seconds", type=click.IntRange(1, 60), default=timing.STALLED_CHECK_SECONDS, show_default=True,
              help="Seconds between looks for jobs left by a dead worker.")
@click.option("--poll", "poll_seconds", type=click.FloatRange(0.05, 60), default=0.5, show_default=True,
              help="Seconds between looks for work when none could be taken (a batch waiting for its host's "
                   "lock is not announced when the lock frees).")
@click.option("--schedule", default=None, metavar="CRON",
              help="Also queue every night on this cron schedule, e.g. '0 1 * * *' (once across all workers).")
@click.option("--burst", is_flag=True, help="Stop when no job is left (for tests and one-off runs).")
@click.option("--name", default=None, help="The worker's name in logs.")
def worker(registry_path: Path, queues: tuple[str, ...], concurrency: int, heartbeat_seconds: float,
           lease_seconds: float, stalled_check_seconds: int, poll_seconds: float, schedule: str | None, burst: bool,
           name: str | None) -> None:
    """Run a worker: crawls, link-check batches and finishes, as they are queued.

    Run several, on several machines, all pointed at one $LOCALOFFER_AUDIT_DATABASE_URL.
    A worker survives a PostgreSQL restart (it reconnects); jobs of a worker that died
    are retried by another once --lease has passed. SIGTERM stops it after its running jobs.

    \b
    Example:
        localoffer-audit national worker --registry councils.toml --concurrency 16
        localoffer-audit national worker --queue links --concurrency 32   # a link-only machine
    """
    require_extra()
    from croniter import croniter  # procrastinate's own cron parser

    if schedule is not None and not croniter.is_valid(schedule):
        raise click.BadParameter(f"{schedule!r} is not a cron schedule (e.g. '0 1 * * *': 01:00 every night)",
                                 param_hint="--schedule")
    national_app = _app(registry_path, lease_seconds=lease_seconds, stalled_check_seconds=stalled_check_seconds,
                        schedule=schedule)
    from localoffer_audit.national.worker import run_worker

    asyncio.run(run_worker(national_app, queues=list(queues) or None, concurrency=concurrency,
                           heartbeat_seconds=heartbeat_seconds, poll_seconds=poll_seconds, name=name, wait=not burst))


@national.command()
@NIGHT_OPTION
@click.option("--lease", "lease_seconds", type=click.FloatRange(1, 3600), default=timing.LEASE_SECONDS, show_default=True,
              help="The workers' lease: a running job without a heartbeat this long is reported stuck.")
def status(night: object, lease_seconds: float) -> None:
    """Per council: stage, progress, result; jobs per state; the largest host backlogs;
    jobs failed or retried; and what is stuck and why.

    \b
    Example:
        localoffer-audit national status
        localoffer-audit national status --night 2026-12-03
    """
    require_extra()
    from localoffer_audit.national.database import connect, ensure_schema
    from localoffer_audit.national.status import format_status, national_status

    with connect() as conn:
        ensure_schema(conn)
        click.echo(format_status(national_status(conn, _night(night), lease_seconds=lease_seconds)))


@national.command()
@REGISTRY_OPTION
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=Path("national-report.html"),
              show_default=True, help="Where to write the page.")
def report(registry_path: Path, out: Path) -> None:
    """Write one page across councils: open findings by severity, links by verdict,
    the trend, and the hosts that break most links nationally.

    \b
    Example:
        localoffer-audit national report --registry councils.toml --out national.html
    """
    require_extra()
    from localoffer_audit.national.database import connect, ensure_schema
    from localoffer_audit.national.registry import load_registry
    from localoffer_audit.national.report import write_report

    registry = load_registry(registry_path)
    with connect() as conn:
        ensure_schema(conn)
        click.echo(f"Wrote {write_report(conn, registry, out)}")




@national.command()
@click.option("--keep-nights", type=click.IntRange(1, 3650), default=30, show_default=True,
              help="Nights kept; older nights' plans, queues, check logs and finished jobs are deleted.")
def prune(keep_nights: int) -> None:
    """Delete old nights from the national database (the link cache is kept).

    Councils' own stores keep their whole history; this only forgets the national
    bookkeeping, which grows by every link carried every night.

    \b
    Example:
        localoffer-audit national prune --keep-nights 30
    """
    require_extra()
    from localoffer_audit.national.database import connect, ensure_schema
    from localoffer_audit.national.prune import prune as prune_nights

    with connect() as conn:
        ensure_schema(conn)
        removed = prune_nights(conn, keep_nights=keep_nights)
    click.echo("Removed " + ", ".join(f"{n} {name.removeprefix('national_')}" for name, n in removed.items()) + ".")
