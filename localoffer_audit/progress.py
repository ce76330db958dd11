"""One progress line on a terminal, rewritten in place and never wider than the terminal.

Commands draw it only when stderr is a terminal (``commands.common.progress_enabled``),
so cron logs stay clean. ``check`` and ``nightly``'s link stage share it.
"""

from __future__ import annotations

import shutil
import time
from typing import TextIO


def terminal_width(default: int = 80) -> int:
    """Columns of the terminal (``$COLUMNS`` first, as the shell sets it)."""
    return max(20, shutil.get_terminal_size((default, 24)).columns)


def eta_text(done: int, total: int, elapsed: float) -> str:
    """"ETA 2m05s" from the rate so far; empty until there is a rate to go on."""
    if done <= 0 or total <= done or elapsed <= 0:
        return ""
    seconds = int((total - done) * elapsed / done)
    if seconds >= 3600:
        return f"ETA {seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"ETA {seconds // 60}m{seconds % 60:02d}s"
    return f"ETA {seconds}s"


class ProgressLine:
    """Writes ``\\r`` + text cut to the terminal's width (one column spare, so the
    cursor never wraps), padded to clear what the previous, longer text left."""

    def __init__(self, stream: TextIO, prefix: str = "") -> None:
        self.stream = stream
        self.prefix = prefix
        self.drawn = False

    def draw(self, text: str) -> None:
        width = terminal_width() - 1
        line = (self.prefix + text)[:width]
        self.stream.write("\r" + line.ljust(width))
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


class Throttle:
    """True at most every ``every`` seconds (and always for the last item)."""

    def __init__(self, every: float = 0.25) -> None:
        self.every = every
        self.last = 0.0
        self.started = time.monotonic()

    def due(self, done: int, total: int) -> bool:
        now = time.monotonic()
        if done < total and now - self.last < self.every:
            return False
        self.last = now
        return True

    @property
    def elapsed(self) -> float:
        return max(time.monotonic() - self.started, 1e-6)
