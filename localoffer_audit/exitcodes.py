"""Exit codes of every command (README "Exit codes" lists them for cron users)."""

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    # Something went wrong: bad config, unusable database, a failed stage. One line on stderr says what.
    ERROR = 1
    # Click's own code for a bad option or argument on the command line.
    USAGE = 2
    # `nightly` finished and opened new findings at or above [nightly] alert_severity.
    NEW_SERIOUS_FINDINGS = 3
    # Another run holds the lock on this database; nothing was done.
    LOCKED = 4
    # `nightly` (or `crawl`, `check` on their own) finished but saw too little to trust: nothing was marked fixed. An incomplete
    # crawl (site down, layout changed, blocked) marks no service removed either; after a link
    # check that failed far more than last time the crawl's results stand, but findings,
    # worklists and email wait for the next run.
    INCOMPLETE = 5
