"""Log filters for third-party noise that says nothing a reader can act on.

asyncio's socket transport logs ``WARNING asyncio: socket.send() raised exception.``
once for every write after the 5th to a connection it already knows is lost, without
saying which connection or why (CPython ``selector_events``, ``LOG_THRESHOLD_FOR_CONNLOST_WRITES``).
The write is dropped either way and the side that owns the connection sees the loss
itself (the link checker as a failed or cut-short request, a server as a client that
went away), so the warning repeats what is already handled: a link check against
many servers that drop connections mid-transfer printed hundreds of these lines.
The filter drops them unless ``-vv`` asks for debug detail, and counts them.
"""

from __future__ import annotations

import logging

LOST_CONNECTION_WRITE = "socket.send() raised exception."


class LostConnectionWrites(logging.Filter):
    """Drops asyncio's repeated "socket.send() raised exception." records (counted)."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "asyncio" and record.msg == LOST_CONNECTION_WRITE:
            self.dropped += 1
            return False
        return True


def quiet_lost_connection_writes(verbose: int = 0) -> LostConnectionWrites | None:
    """Install the filter on the ``asyncio`` logger (once), unless ``verbose >= 2``."""
    logger = logging.getLogger("asyncio")
    for existing in logger.filters:
        if isinstance(existing, LostConnectionWrites):
            if verbose >= 2:
                logger.removeFilter(existing)
                return None
            return existing
    if verbose >= 2:
        return None
    installed = LostConnectionWrites()
    logger.addFilter(installed)
    return installed
