"""Checks made before a writing command touches anything: the disk has room, the database,
its folder and the output paths can be written. Each failure is one line naming the path
and what to do (an AuditError, exit 1), instead of a traceback half-way through a stage.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

from localoffer_audit.errors import AuditError

# Below this much free space a night's writes (SQLite journal, worklists, report) may fail
# half-way; the default can be changed with the environment variable below (0 turns it off).
MIN_FREE_MB = 50
MIN_FREE_ENV_VAR = "LOCALOFFER_AUDIT_MIN_FREE_MB"


class PreflightError(AuditError):
    """A path cannot be written, or the disk is (nearly) full."""


def min_free_bytes() -> int:
    value = os.environ.get(MIN_FREE_ENV_VAR)
    if value is None or value.strip() == "":
        return MIN_FREE_MB * 1024 * 1024
    try:
        megabytes = float(value)
    except ValueError:
        raise PreflightError(f"${MIN_FREE_ENV_VAR} must be a number of megabytes, not {value!r}") from None
    if not 0 <= megabytes < 10**9:
        raise PreflightError(f"${MIN_FREE_ENV_VAR} must be between 0 and 1000000000 megabytes, not {value!r}")
    return int(megabytes * 1024 * 1024)


def describe_os_error(exc: OSError) -> str:
    """The reason, in words a person can act on."""
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return "a file is in the way of the folder"
    return exc.strerror or str(exc)


def check_folder_writable(folder: Path, what: str) -> None:
    """Create ``folder`` if needed and write (then remove) a file in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not folder.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(folder))
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".localoffer-audit-write-test-"):
            pass
    except OSError as exc:
        raise PreflightError(
            f"cannot write the {what} folder {folder} ({describe_os_error(exc)}): "
            "make it writable for this user, or point the config at another folder"
        ) from exc


def check_file_writable(path: Path, what: str) -> None:
    """An existing file must be writable, and its folder must be."""
    check_folder_writable(path.parent, what)
    if path.exists():
        if path.is_dir():
            raise PreflightError(f"the {what} {path} is a folder; it must be a file path")
        # Asked, not opened: closing any descriptor of an SQLite file drops every lock this
        # process holds on it (POSIX record locks belong to the process), so a connection
        # already open in the process could lose its read lock, and another process then
        # delete the shared WAL index under it ("file is not a database").
        if not os.access(path, os.W_OK):
            reason = "the file system is read-only" if _read_only_file_system(path) else "permission denied"
            raise PreflightError(f"cannot write the {what} {path} ({reason}): make it writable for this user")


def _read_only_file_system(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def check_free_space(path: Path, what: str, minimum: int | None = None) -> None:
    """The disk holding ``path`` (or its nearest existing folder) has ``minimum`` bytes free."""
    minimum = min_free_bytes() if minimum is None else minimum
    if minimum <= 0:
        return
    existing = path
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    try:
        free = shutil.disk_usage(existing).free
    except OSError:
        return  # the writability checks name the problem
    if free < minimum:
        raise PreflightError(
            f"only {free / 1048576:.1f} MB free on the disk holding the {what} {path} "
            f"(at least {minimum / 1048576:.0f} MB needed): free some space, or set ${MIN_FREE_ENV_VAR}"
        )


def preflight_for_writing(
    db_path: Path, *, output_folder: Path | None = None, log_file: Path | None = None,
    minimum_free: int | None = None,
) -> None:
    """Everything a writing command needs, checked before it starts."""
    if str(db_path) == ":memory:":
        return
    check_file_writable(db_path, "database")
    check_free_space(db_path, "database", minimum_free)
    if output_folder is not None:
        check_folder_writable(output_folder, "output")
        check_free_space(output_folder, "output folder", minimum_free)
    if log_file is not None:
        check_file_writable(log_file, "log file")
