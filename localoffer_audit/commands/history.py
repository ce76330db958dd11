"""`history`: every check of one link, or every finding of one service, with who was told."""

from __future__ import annotations

import click

from localoffer_audit.outputs.history import format_history, history_of
from localoffer_audit.commands.common import AppContext, pass_app


@click.command()
@click.argument("what", metavar="URL|SERVICE_ID")
@pass_app
def history(app: AppContext, what: str) -> None:
    """The history of one link (a URL) or one service (its directory id).

    For a link: every check with its verdict and evidence, the services it is on, and
    every finding about it. For a service: every finding. Each finding's lifecycle is
    listed in date order: opened, fixed, reopened, dismissed, and every email that
    listed it, so you can answer "since when has this been broken and who was told?".
    A URL's scheme and host may be typed in any case (HTTPS://Example.org/x finds
    https://example.org/x); its path must match.

    The same history, as HTML pages (one per entry that has had a problem and one per
    link a problem is about), is written by `nightly` and `worklists` into the
    worklists folder's history/ folder; each worklist card links its entry's page.

    Example:

    \b
        localoffer-audit history https://sunny.example/old-page
        localoffer-audit history 12345
    """
    db = app.open_db()
    try:
        found = history_of(db, what)
    finally:
        db.close()
    click.echo(format_history(found))


COMMANDS = [history]
