import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from localoffer_audit.outputs.browse import datasette_metadata
from localoffer_audit.errors import LockedError
from localoffer_audit.store.lock import lock_path_for, run_lock
from localoffer_audit.store.canned import CANNED_QUERIES


def test_second_holder_is_refused(tmp_path: Path) -> None:
    db_path = tmp_path / "audit.db"
    with run_lock(db_path):
        with pytest.raises(LockedError, match="in use by a run"):
            with run_lock(db_path):
                pass
    with run_lock(db_path):  # released on exit
        pass


def _hold_lock_forever(db_path: str) -> None:
    with run_lock(Path(db_path)):
        time.sleep(60)


def test_killed_holder_releases_the_lock(tmp_path: Path) -> None:
    db_path = tmp_path / "audit.db"
    child = multiprocessing.get_context("spawn").Process(target=_hold_lock_forever, args=(str(db_path),))
    child.start()
    deadline = time.monotonic() + 20
    while "pid" not in (lock_path_for(db_path).read_text() if lock_path_for(db_path).exists() else ""):
        assert time.monotonic() < deadline, "child never took the lock"
        time.sleep(0.05)
    with pytest.raises(LockedError):
        with run_lock(db_path):
            pass
    os.kill(child.pid, signal.SIGKILL)
    child.join(10)
    with run_lock(db_path):
        pass


@pytest.mark.parametrize("name", sorted(CANNED_QUERIES))
def test_canned_queries_run_against_the_schema(db, name: str) -> None:
    db.execute(CANNED_QUERIES[name]["sql"]).fetchall()


def test_metadata_names_the_database(tmp_path: Path) -> None:
    metadata = datasette_metadata(tmp_path / "council.db")
    assert set(metadata["databases"]["council"]["queries"]) == set(CANNED_QUERIES)


@pytest.mark.parametrize("command", [["crawl"], ["worklists"], ["email"], ["nightly"]])
def test_writing_commands_refuse_while_a_run_holds_the_lock(runner, tmp_path: Path, command: list[str]) -> None:
    from localoffer_audit.cli import main

    (tmp_path / "localoffer-audit.toml").write_text(
        '[directory]\nstart_urls = ["http://127.0.0.1:9/kb5/x/directory/results.page"]\n'
    )
    with run_lock(tmp_path / "localoffer-audit.db"):
        result = runner.invoke(main, command)
    assert result.exit_code == 4, result.output
    assert "in use by a run" in result.output


@pytest.mark.slow
def test_browse_serves_the_canned_queries(tmp_path: Path) -> None:
    import json
    import socket
    import subprocess
    import sys
    import urllib.request

    pytest.importorskip("datasette", reason="datasette is in the test extra; pip install -e '.[test]'")
    from localoffer_audit.store.db import open_db

    db_path = tmp_path / "council.db"
    open_db(db_path).close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "localoffer_audit.cli", "--db", str(db_path), "browse", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/council/stale_services.json", timeout=5) as answer:
                    body = json.load(answer)
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode()[-2000:]
                assert time.monotonic() < deadline, "datasette did not start"
                time.sleep(0.3)
        assert body["rows"] == [] and "name" in body["columns"]
    finally:
        process.terminate()
        process.wait(10)
    # Stopped with SIGTERM, `browse` stops its Datasette too (none is left serving).
    deadline = time.monotonic() + 10
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
        except OSError:
            break
        assert time.monotonic() < deadline, "Datasette outlived the browse command"
        time.sleep(0.2)
