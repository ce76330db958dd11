"""One run at a time per database: an exclusive advisory lock on a file beside it.

``flock`` locks belong to the open file, so the kernel releases them when the process
ends, however it ends: a killed run never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from localoffer_audit.errors import LockedError, StoreError


def lock_path_for(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


@contextmanager
def run_lock(db_path: Path) -> Iterator[Path]:
    path = lock_path_for(db_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+")
    except OSError as exc:  # a read-only or missing folder: one line, not a traceback
        raise StoreError(
            f"cannot create the lock file {path} ({exc.strerror}): make its folder writable for this user"
        ) from exc
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise LockedError(
                f"{db_path} is in use by a run ({holder}); wait for it to finish, or check it is still running"
            ) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield path
    finally:
        handle.close()
