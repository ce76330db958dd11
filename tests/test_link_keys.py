"""Links are keyed by their canonical URL (scheme and host case, default port, empty
path), with the href as written kept for the fix list: `HTTPS://Example.org/x` and
`https://example.org/x` are one link, stored once and checked once."""

from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from localoffer_audit.config import config_from_dict
from localoffer_audit.links.stage import run_link_checks
from localoffer_audit.models import LinkPlace
from localoffer_audit.parsing.urls import canonical_link_url
from localoffer_audit.store import db as store_db
from localoffer_audit.store.db import open_db
from localoffer_audit.store.services import replace_link_places


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("HTTPS://Example.org/x", "https://example.org/x"),
        ("https://example.org/x", "https://example.org/x"),
        ("https://EXAMPLE.org:443/x", "https://example.org/x"),
        ("http://example.org:80", "http://example.org/"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org?q=1", "https://example.org/?q=1"),
        ("http://example.org:8080/A/B?Q=Z#Top", "http://example.org:8080/A/B?Q=Z#Top"),  # path, query kept
        ("https://Jo:Secret@Example.org/", "https://Jo:Secret@example.org/"),
        ("MAILTO:Info@Sunnyside.org.uk", "mailto:Info@Sunnyside.org.uk"),
        ("tel:0113 496 0999", "tel:0113 496 0999"),
        ("not a url", "not a url"),
    ],
)
def test_canonical_link_url(written: str, key: str) -> None:
    assert canonical_link_url(written) == key


class _Counting(BaseHTTPRequestHandler):
    seen: Counter[str] = Counter()

    def _answer(self) -> None:
        self.seen[self.path] += 1
        body = b"<html><title>Holiday club</title><body><h1>Holiday club</h1><p>Open all summer.</p></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(body)

    do_GET = do_HEAD = _answer

    def log_message(self, *args: object) -> None:
        pass


def _add_service(db: Database, service_id: str) -> None:
    now = "2026-01-01T00:00:00+00:00"
    db["services"].insert({"id": service_id, "url": f"https://directory.test/{service_id}", "name": service_id,
                           "first_seen_at": now, "last_seen_at": now, "state": "live"})


def test_case_variant_urls_are_one_link_checked_once(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Counting.seen = Counter()
    try:
        hosts = tmp_path / "hosts"
        hosts.write_text("127.0.0.1 sunnyside.test\n")
        config = config_from_dict({
            "directory": {"start_urls": ["https://directory.test/"]},
            "links": {"hosts_file": str(hosts), "hosts_file_only": True, "port_map": {80: server.server_address[1]},
                      "retries": 0, "confirm_delay_seconds": 0, "check_https": False, "soft_404_probe": False},
        })
        db = open_db(tmp_path / "audit.db")
        _add_service(db, "a")
        _add_service(db, "b")
        at = "2026-01-02T00:00:00+00:00"
        db["runs"].insert({"id": 1, "kind": "crawl", "status": "complete", "started_at": at})
        replace_link_places(db, "a", 1, [LinkPlace("HTTP://Sunnyside.TEST/holiday-club", "website")], at)
        replace_link_places(db, "b", 1, [LinkPlace("http://sunnyside.test:80/holiday-club", "description")], at)
        assert [row["url"] for row in db["links"].rows] == ["http://sunnyside.test/holiday-club"]
        assert sorted(row["href"] for row in db["link_places"].rows) == [
            "HTTP://Sunnyside.TEST/holiday-club", "http://sunnyside.test:80/holiday-club",
        ]
        summary = run_link_checks(db, config)
        assert summary.counts["total"] == 1 and summary.counts["checked"] == 1, summary.counts
        assert sum(_Counting.seen.values()) >= 1 and set(_Counting.seen) == {"/holiday-club"}
        assert db.execute("SELECT COUNT(*) FROM link_checks").fetchone()[0] == 1
        db.close()
    finally:
        server.shutdown()


def test_upgrade_moves_links_stored_under_another_spelling(tmp_path: Path) -> None:
    """A database made before m260: its links keep their history under the canonical key."""
    path = tmp_path / "old.db"
    old = Database(path)
    before = Migrations(store_db.migrations.name)
    for migration in store_db.migrations._migrations:
        if migration.name.startswith("m260"):
            break
        before(name=migration.name)(migration.fn)
    before.apply(old)
    now = "2026-01-01T00:00:00+00:00"
    _add_service(old, "a")
    for url in ("HTTPS://Sunnyside.test/x", "https://sunnyside.test/x", "https://other.test"):
        old["links"].insert({"url": url, "host": url.split("/")[2].lower(), "first_seen_at": now, "last_seen_at": now})
        old["link_places"].insert({"service_id": "a", "url": url, "field": "website", "element": "a", "attribute": "href"})
        old["link_checks"].insert({"url": url, "checked_at": now, "verdict": "broken"})
    old.execute(
        "INSERT INTO findings (service_id, rule, subject, severity, title, message, fix_hint, status, first_seen_at, last_seen_at) "
        "VALUES ('a', 'link_broken', 'https://other.test', 'high', 't', 'm', 'h', 'open', ?, ?)", [now, now],
    )
    # One row per link, as issue 19's link_pages keeps (m220, applied before m260).
    assert old["link_pages"].exists()
    old.conn.executemany("INSERT INTO link_pages (url, current) VALUES (?, ?)",
                         [("HTTPS://Sunnyside.test/x", "old spelling"), ("https://sunnyside.test/x", "key"),
                          ("https://other.test", "bare host")])
    old.conn.commit()
    old.close()

    db = open_db(path)
    assert sorted(row["url"] for row in db["links"].rows) == ["https://other.test/", "https://sunnyside.test/x"]
    assert sorted((r["url"], r["href"]) for r in db["link_places"].rows) == [
        ("https://other.test/", "https://other.test"),
        ("https://sunnyside.test/x", "HTTPS://Sunnyside.test/x"),
        ("https://sunnyside.test/x", "https://sunnyside.test/x"),
    ]
    assert db.execute("SELECT COUNT(*) FROM link_checks WHERE url = 'https://sunnyside.test/x'").fetchone()[0] == 2
    assert [row["subject"] for row in db["findings"].rows] == ["https://other.test/"]
    assert sorted((r["url"], r["current"]) for r in db["link_pages"].rows) == [
        ("https://other.test/", "bare host"), ("https://sunnyside.test/x", "key"),
    ]
    db.close()
