"""Every command that writes the database takes the run lock first, and the commands end
by one exit path: `crawl` and `check` exit 5 when their run was incomplete, as `nightly`.

The lock is held by another process (as the nightly job would hold it), not by this one.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from localoffer_audit.cli import main
from localoffer_audit.exitcodes import ExitCode
from localoffer_audit.store.db import open_db

WRITING_COMMANDS = [
    ["crawl"],
    ["check"],
    ["content"],
    ["sample", "--size", "1"],
    ["qa", "import", "reviews.csv"],
    ["managers", "import", "managers.csv"],
    ["findings", "dismiss", "1", "--reason", "Opens fine in a browser", "--by", "Jo Bloggs"],
    ["findings", "import-dismissals", "dismissals.csv"],
    ["worklists"],
    ["email"],
    ["nightly"],
]

HOLD = (
    "import sys, time\n"
    "from pathlib import Path\n"
    "from localoffer_audit.store.lock import run_lock\n"
    "with run_lock(Path(sys.argv[1])):\n"
    "    print('held', flush=True)\n"
    "    time.sleep(120)\n"
)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LOCALOFFER_AUDIT_CONFIG", raising=False)
    (tmp_path / "localoffer-audit.toml").write_text(
        '[directory]\nstart_urls = ["http://127.0.0.1:9/kb5/x/directory/results.page"]\n'
        f'[database]\npath = "{tmp_path / "audit.db"}"\n'
    )
    open_db(tmp_path / "audit.db").close()
    (tmp_path / "reviews.csv").write_text("sample_id,service_id,reviewer,outcome\n")
    (tmp_path / "managers.csv").write_text("service_id,organisation,manager_name,manager_email\nsvc-1,,Sam,sam@council.example\n")
    (tmp_path / "dismissals.csv").write_text("finding_id,kind,reason,dismissed_by\n1,,Checked,Jo\n")
    return tmp_path


@pytest.fixture
def lock_held_elsewhere(workdir: Path) -> Iterator[None]:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(workdir / "audit.db")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.terminate()
        holder.wait(10)


@pytest.mark.parametrize("command", WRITING_COMMANDS, ids=" ".join)
def test_each_writing_command_waits_for_no_one(lock_held_elsewhere: None, workdir: Path, command: list[str]) -> None:
    before = (workdir / "audit.db").read_bytes()
    result = CliRunner().invoke(main, command)
    assert result.exit_code == ExitCode.LOCKED, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "in use by a run" in lines[0], result.output
    assert (workdir / "audit.db").read_bytes() == before


def test_crawl_exits_5_when_incomplete(workdir: Path) -> None:
    # Nothing listens on port 9: the listing page fails, so the crawl saw too little to trust.
    (workdir / "localoffer-audit.toml").write_text(
        (workdir / "localoffer-audit.toml").read_text() + "[crawl]\nretries = 0\n"
    )
    result = CliRunner().invoke(main, ["crawl"])
    assert result.exit_code == ExitCode.INCOMPLETE, result.output
    assert "Crawl run #1: incomplete" in result.output and "nothing marked removed" in result.output


class _Site(BaseHTTPRequestHandler):
    broken: set[str] = set()

    def _answer(self) -> None:
        status = 404 if self.path in self.broken else 200
        body = f"<html><title>Page {self.path}</title><body><h1>Holiday club</h1><p>Real page {self.path}</p></body></html>"
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(body.encode())

    do_GET = do_HEAD = _answer

    def log_message(self, *args: object) -> None:
        pass


def test_check_exits_5_when_incomplete(workdir: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        (workdir / "hosts").write_text("127.0.0.1 provider.test\n")
        (workdir / "localoffer-audit.toml").write_text(
            (workdir / "localoffer-audit.toml").read_text()
            + f'[links]\nhosts_file = "{workdir / "hosts"}"\nhosts_file_only = true\n'
            + f"port_map = {{ 80 = {server.server_address[1]} }}\nretries = 0\nconfirm_delay_seconds = 0\n"
            + "check_https = false\nsoft_404_probe = false\nrecheck_ok_after_days = 0\n"
        )
        db = open_db(workdir / "audit.db")
        now = "2026-01-01T00:00:00+00:00"
        for i in range(30):
            url = f"http://provider.test/p{i}"
            db["services"].insert({"id": f"s{i}", "url": f"https://directory.test/s{i}", "name": f"s{i}",
                                   "first_seen_at": now, "last_seen_at": now, "state": "live"})
            db["links"].insert({"url": url, "host": "provider.test", "first_seen_at": now, "last_seen_at": now})
            db["link_places"].insert({"service_id": f"s{i}", "url": url, "field": "website", "element": "a", "attribute": "href"})
        db.close()
        first = CliRunner().invoke(main, ["check"])
        assert first.exit_code == ExitCode.OK, first.output
        # Half the links fail at once: a spike, so the run is incomplete (nothing confirmed).
        _Site.broken = {f"/p{i}" for i in range(15)}
        spiked = CliRunner().invoke(main, ["check"])
        assert spiked.exit_code == ExitCode.INCOMPLETE, spiked.output
        assert "Link check run #2: incomplete" in spiked.output
    finally:
        _Site.broken = set()
        server.shutdown()


@pytest.mark.parametrize(
    "args",
    [["history", "svc-1"], ["qa", "report"], ["qa", "pack", "1"], ["findings", "list"]],
    ids=lambda a: " ".join(a),
)
def test_a_reading_command_on_a_missing_database_says_so_and_creates_nothing(tmp_path: Path, args: list[str]) -> None:
    missing = tmp_path / "typo.db"
    result = CliRunner().invoke(main, ["--db", str(missing), *args])
    assert result.exit_code == 1, result.output
    assert f"No database at {missing}" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not missing.exists()
