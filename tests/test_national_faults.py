"""The national run's faults: a worker killed (SIGKILL) mid-crawl and mid-link-check, and
PostgreSQL restarted mid-run. Each run still completes, with every council's findings
equal to its single-council nightly, every shared link stored once and nothing
duplicated; what a killed batch had stored is not checked again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .test_national_support import (
    LoopbackWeb,
    council_config,
    findings_of,
    hosts_file,
    make_directories,
    night_stages,
    pg_cluster,  # noqa: F401  (a fixture)
    psycopg,
    resolve_ports,
    start_worker,
    stop_worker,
    wait_for,
    write_registry,
)

COUNCILS = 3


@pytest.fixture
def world(tmp_path: Path):
    directories = make_directories(COUNCILS, services=8, seed=11)
    # Slow answers, so a batch is still running when its worker is killed.
    web = LoopbackWeb(directories, delay=0.25)
    resolve_ports(directories, web.outside_port)
    hosts = hosts_file(tmp_path / "hosts", directories)
    try:
        yield web, directories, hosts
    finally:
        web.close()


def _reference(tmp_path: Path, web: LoopbackWeb, directories, hosts: Path) -> dict[str, set]:  # noqa: ANN001
    found = {}
    for directory in directories:
        config = council_config(tmp_path / "single" / directory.slug, web, directory.slug, hosts)
        done = subprocess.run([sys.executable, "-m", "localoffer_audit.cli", "--config", str(config), "nightly"],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode in (0, 3), done.stdout[-2000:] + done.stderr[-2000:]
        found[directory.slug] = findings_of(config.parent / "audit.db")
    return found


def _start_night(tmp_path: Path, conninfo: str, web: LoopbackWeb, directories, hosts: Path) -> tuple[Path, dict]:  # noqa: ANN001
    configs = {d.slug: council_config(tmp_path / "national" / d.slug, web, d.slug, hosts) for d in directories}
    registry = write_registry(tmp_path / "councils.toml", configs, batch_size=6)
    done = subprocess.run(
        [sys.executable, "-m", "localoffer_audit.cli", "national", "enqueue", "--registry", str(registry)],
        env={**os.environ, "LOCALOFFER_AUDIT_DATABASE_URL": conninfo}, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return registry, configs


def _query(conninfo: str, sql: str) -> list[tuple]:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        try:
            return conn.execute(sql).fetchall()
        except psycopg.errors.UndefinedTable:
            return []


def _all_done(conninfo: str) -> bool:
    stages = night_stages(conninfo)
    return len(stages) == COUNCILS and all(stage == "done" for stage in stages.values())


def _assert_nothing_lost_or_duplicated(conninfo: str, directories, configs, reference) -> None:  # noqa: ANN001
    for directory in directories:
        assert findings_of(configs[directory.slug].parent / "audit.db") == reference[directory.slug], directory.slug
    carried = {url for d in directories for s in d.services for url in s["links"]}
    cached = {row[0] for row in _query(conninfo, "SELECT url FROM national_link_cache")}
    assert cached == carried
    assert _query(conninfo, "SELECT state, COUNT(*) FROM national_queue GROUP BY state") == [("done", len(carried))]
    # Councils' runs: one finished nightly each (a killed attempt is never counted twice).
    results = _query(conninfo, "SELECT slug, result FROM national_nights ORDER BY slug")
    assert [r for _, r in results] == ["complete"] * COUNCILS, results


@pytest.mark.slow
def test_workers_killed_mid_crawl_and_mid_link_check_leave_nothing_lost_or_duplicated(
    tmp_path: Path, pg_cluster, world  # noqa: ANN001, F811
) -> None:
    web, directories, hosts = world
    reference = _reference(tmp_path, web, directories, hosts)
    conninfo = pg_cluster.new_database("national_kill")
    registry, configs = _start_night(tmp_path, conninfo, web, directories, hosts)

    first = start_worker(conninfo, registry, tmp_path / "first.log")
    wait_for(lambda: "crawling" in night_stages(conninfo).values(), 60, "a crawl to start")
    first.send_signal(signal.SIGKILL)
    first.wait(10)

    second = start_worker(conninfo, registry, tmp_path / "second.log")
    wait_for(lambda: _query(conninfo, "SELECT 1 FROM procrastinate_jobs WHERE task_name = 'national.check_batch' "
                                      "AND status = 'doing'") and _query(conninfo, "SELECT 1 FROM national_check_log"),
             120, "a link-check batch to be under way")
    second.send_signal(signal.SIGKILL)
    second.wait(10)
    stored_before_kill = {row[0] for row in _query(conninfo, "SELECT url FROM national_check_log")}

    workers = [start_worker(conninfo, registry, tmp_path / f"after-{n}.log") for n in range(2)]
    try:
        wait_for(lambda: _all_done(conninfo), 240, "every council's night to be done")
    finally:
        for worker in workers:
            stop_worker(worker)

    _assert_nothing_lost_or_duplicated(conninfo, directories, configs, reference)
    # The killed crawls were run again; what the killed batch had stored was not checked again.
    attempts = _query(conninfo, "SELECT MIN(attempts) FROM national_nights")[0][0]
    assert attempts >= 2
    checked = _query(conninfo, "SELECT url, COUNT(*) FROM national_check_log GROUP BY url")
    assert all(count == 1 for url, count in checked if url in stored_before_kill)
    retried = _query(conninfo, "SELECT COUNT(*) FROM national_batches WHERE attempts > 1")[0][0]
    assert retried >= 1


@pytest.mark.slow
def test_a_postgresql_restart_mid_run_is_survived_by_the_workers(
    tmp_path: Path, pg_cluster, world  # noqa: ANN001, F811
) -> None:
    web, directories, hosts = world
    reference = _reference(tmp_path, web, directories, hosts)
    conninfo = pg_cluster.new_database("national_restart")
    registry, configs = _start_night(tmp_path, conninfo, web, directories, hosts)
    workers = [start_worker(conninfo, registry, tmp_path / f"worker-{n}.log") for n in range(2)]
    try:
        wait_for(lambda: _query(conninfo, "SELECT 1 FROM national_check_log"), 120, "link checks to be under way")
        pg_cluster.restart()
        wait_for(lambda: _all_done(conninfo), 240, "every council's night to be done after the restart")
        assert all(worker.poll() is None for worker in workers), "a worker died with the database"
    finally:
        for worker in workers:
            stop_worker(worker)
    logs = "".join((tmp_path / f"worker-{n}.log").read_text(errors="replace") for n in range(2))
    assert "trying again" in logs or "starting again" in logs, "the workers never saw the database go"
    _assert_nothing_lost_or_duplicated(conninfo, directories, configs, reference)
