"""What a crawl process tells its parent: counters while it runs, a result at the end.

The child writes one JSON object per line on stdout (``{"type": "progress", ...}`` at
most a few times a second, ``{"type": "result", ...}`` once at the end); the parent
(``runner.run_crawl``) reads them. Keeping the protocol this small means a crash of
the child loses nothing the database does not already hold.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from typing import IO, Any

# Error messages kept in full; beyond this only the count grows.
MAX_MESSAGES = 50


@dataclass(slots=True)
class CrawlReport:
    pages: int = 0
    listing_pages: int = 0
    services_seen: int = 0
    new: int = 0
    changed: int = 0
    returned: int = 0
    page_missing: int = 0
    duplicates: int = 0
    errors: int = 0
    listing_errors: int = 0
    # Service pages asked for (one per listed id), and those that failed after retries
    # (5xx, timeout, unreadable, no name): tolerated up to [crawl] max_page_error_ratio.
    service_pages: int = 0
    service_page_errors: int = 0
    # Listed services whose page failed but whose earlier content was kept (seen, not re-read).
    kept_after_error: int = 0
    # Exceptions a spider callback did not catch: a bug, so the crawl is incomplete.
    callback_errors: int = 0
    listing_cap_reached: bool = False
    # "Next" links pointing back to a page already read; those that left the walk with
    # nowhere further to go (later listing pages may be unseen: the crawl is incomplete).
    pagination_loops: int = 0
    pagination_dead_ends: int = 0
    truncated_pages: int = 0
    # What the directory says about its own size ("Displaying 1 - 10 of 400", an API's
    # totalElements / total_items) and where it said so; 0 when it says nothing.
    stated_total: int = 0
    stated_total_source: str = ""
    # platform = "auto": what the start page turned out to be.
    detected_platform: str = ""
    messages: list[str] = field(default_factory=list)
    stream: IO[str] | None = field(default=None, repr=False)
    _last_emit: float = field(default=0.0, repr=False)

    def note(self, message: str) -> None:
        if len(self.messages) < MAX_MESSAGES:
            self.messages.append(message)
        elif len(self.messages) == MAX_MESSAGES:
            self.messages.append("(further messages left out)")

    def error(self, message: str, *, listing: bool = False, service_page: bool = False, callback: bool = False) -> None:
        self.errors += 1
        if listing:
            self.listing_errors += 1
        if service_page:
            self.service_page_errors += 1
        if callback:
            self.callback_errors += 1
        self.note(message)
        self.emit()

    def counts(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "listing_pages": self.listing_pages,
            "services_seen": self.services_seen,
            "new": self.new,
            "changed": self.changed,
            "returned": self.returned,
            "page_missing": self.page_missing,
            "duplicates": self.duplicates,
            "errors": self.errors,
            "listing_errors": self.listing_errors,
            "service_pages": self.service_pages,
            "service_page_errors": self.service_page_errors,
            "kept_after_error": self.kept_after_error,
            "callback_errors": self.callback_errors,
            "pagination_loops": self.pagination_loops,
            "pagination_dead_ends": self.pagination_dead_ends,
            "truncated_pages": self.truncated_pages,
            "listing_cap_reached": self.listing_cap_reached,
            "stated_total": self.stated_total,
            "stated_total_source": self.stated_total_source,
            "detected_platform": self.detected_platform,
        }

    def emit(self, *, force: bool = False) -> None:
        """A progress line, at most every 0.2 s unless forced."""
        now = time.monotonic()
        if not force and now - self._last_emit < 0.2:
            return
        self._last_emit = now
        self._write({"type": "progress", "counts": self.counts()})

    def finish(self, finish_reason: str) -> None:
        self._write({"type": "result", "finish_reason": finish_reason, "counts": self.counts(), "messages": self.messages})

    def _write(self, message: dict[str, Any]) -> None:
        stream = self.stream or sys.stdout
        stream.write(json.dumps(message) + "\n")
        stream.flush()
