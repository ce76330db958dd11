"""What every command shares: the resolved config, the database, and output helpers.

Every command opens the database with ``app.database()`` (reading) or ``app.writing()``
(the run lock, then the database opened for writing), and ends with a non-zero code only
through ``exit_with`` or an ``AuditError``.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import click
from sqlite_utils import Database

from localoffer_audit.config import CONFIG_ENV_VAR, Config, find_config_path, load_config
from localoffer_audit.store.db import open_db
from localoffer_audit.errors import AuditError, StoreError
from localoffer_audit.store.lock import run_lock
from localoffer_audit.logfilters import quiet_lost_connection_writes
from localoffer_audit.preflight import describe_os_error, preflight_for_writing
from localoffer_audit.redact import CredentialMaskingFilter

DEFAULT_DB_NAME = "localoffer-audit.db"


@dataclass
class AppContext:
    """Global options, and the config and database opened lazily from them."""

    config_option: Path | None = None
    db_option: Path | None = None
    verbose: int = 0
    _config: Config | None = field(default=None, repr=False)
    _writing: bool = field(default=False, repr=False)

    @property
    def config_path(self) -> Path:
        return find_config_path(self.config_option)

    def config(self) -> Config:
        """The validated config; raises ConfigError (exit 1, one line) if absent or bad."""
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    @property
    def config_named(self) -> bool:
        """Whether the user named a config file (--config or the environment variable)."""
        return self.config_option is not None or bool(os.environ.get(CONFIG_ENV_VAR))

    def config_if_present(self) -> Config | None:
        """The config if a file exists at the default path. A file the user named must
        exist (a typo in --config is an error, not a silent run on defaults), and a bad
        file always errors."""
        if self.config_named or self.config_path.exists():
            return self.config()
        return None

    def database_path(self) -> Path:
        if self.db_option is not None:
            return self.db_option
        config = self.config_if_present()
        return config.database.path if config is not None else Path(DEFAULT_DB_NAME)

    def open_db(self, write: bool = False) -> Database:
        """The database; ``write`` (commands that change it) first checks that the disk has
        room and the file can be written, and runs ``PRAGMA quick_check``: a damaged or
        unwritable database is one line (exit 1) before anything is written."""
        path = self.database_path()
        write = write or self._writing
        if write:
            preflight_for_writing(path)
        elif not path.exists():
            # Opening creates the file: a command that only reads would leave an empty
            # database behind a mistyped --db and then report "nothing found".
            raise StoreError(
                f"No database at {path}: run `localoffer-audit nightly` (or `crawl`) first, "
                "or give the right file with --db"
            )
        return open_db(path, check=write)

    @contextmanager
    def database(self, write: bool = False) -> Iterator[Database]:
        """The one way a command opens the database: closed when the block ends, however
        it ends (as sqlite-utils' CLI closes what it opened)."""
        db = self.open_db(write=write)
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def writing(self) -> Iterator[Database]:
        """The run lock, then the database opened for writing: every command that changes
        the database writes inside this block, so none interleaves with the nightly job
        (exit 4, one line, if another run holds the lock)."""
        with self.locked(), self.database(write=True) as db:
            yield db

    def locked(self) -> AbstractContextManager[Path]:
        """Hold the database's run lock: commands that write take it, so a manual run
        never interleaves with the nightly job (LockedError, exit 4, if it is held).
        Databases opened while it is held are checked as for writing."""
        return self._locked()

    @contextmanager
    def _locked(self) -> Iterator[Path]:
        path = self.database_path()
        config = self.config_if_present()
        preflight_for_writing(path, output_folder=config.output.folder if config is not None else None)
        with run_lock(path) as lock:
            self._writing = True
            try:
                yield lock
            finally:
                self._writing = False


pass_app = click.make_pass_decorator(AppContext)


def exit_with(code: int) -> NoReturn:
    """The one way a command ends with a code other than 0 after printing its result
    (README "Exit codes"). Errors raise AuditError instead: cli.py turns those into one
    line and exit 1 (4 for LockedError). Commands never call sys.exit themselves."""
    raise click.exceptions.Exit(int(code))


def configure_logging(verbose: int) -> None:
    """Log to stderr at the chosen verbosity; the root logger passes INFO on so that a
    log file (nightly) can record more than the terminal shows."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "_localoffer_audit", False)]
    handler._localoffer_audit = True  # type: ignore[attr-defined]
    handler.addFilter(CredentialMaskingFilter())
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose >= 2 else logging.INFO)
    # Scrapy and aiohttp are chatty at INFO; their detail is for -vv.
    for noisy in ("scrapy", "aiohttp", "asyncio", "filelock"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose >= 2 else logging.WARNING)
    # asyncio's "socket.send() raised exception." flood (logfilters.py says why it is noise).
    quiet_lost_connection_writes(verbose)


def add_log_file(path: Path) -> None:
    """Also log INFO and above to ``path`` (the nightly job's log)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as exc:
        raise AuditError(
            f"cannot write the log file {path} ({describe_os_error(exc)}): make it writable for this user, "
            "or set [nightly] log_file to another path"
        ) from exc
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(CredentialMaskingFilter())  # no password in a URL reaches the log file
    logging.getLogger().addHandler(handler)


def progress_enabled() -> bool:
    """Progress output only for a person at a terminal; cron logs stay clean."""
    return sys.stderr.isatty()
