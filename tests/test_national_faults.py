"""The national run's faults: a worker killed (SIGKILL) mid-crawl and mid-link-check, and
PostgreSQL restarted mid-run. Each run still completes, with every council's findings
equal to its single-council nightly, every shared link stored once and nothing
duplicated; what a killed batch had stored is not checked again.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from click.testing import CliRunner

from localoffer_audit.cli import main

from .support.national import (
    World,
    council_config,
    all_done,
    enqueue,
    findings_of,
    night_stages,
    pg_cluster,  # noqa: F401  (a fixture)
    query,
    running_world,
    single_council_findings,
    start_worker,
    stop_worker,
    wait_for,
    write_registry,
)

COUNCILS = 3


@pytest.fixture(scope="module")
def world_and_reference(tmp_path_factory: pytest.TempPathFactory):
    """One world for both fault tests, with its single-council findings worked out once.
    Slow answers, so a batch is still running when its worker is killed."""
    folder = tmp_path_factory.mktemp("faults-world")
    with running_world(folder, COUNCILS, services=8, seed=11, delay=0.25) as world:
        yield world, single_council_findings(world, folder / "single")


def _start_night(world: World, folder: Path, conninfo: str, *, broken: bool = False) -> tuple[Path, dict[str, Path]]:
    configs = world.configs(folder / "national")
    listed = dict(configs)
    if broken:
        # A council whose directory is not there (its listing answers 404): only it is held back.
        listed["council-x"] = council_config(folder / "national" / "council-x", world.web, "council-x", world.hosts)
    registry = write_registry(folder / "councils.toml", listed, batch_size=6)
    done = enqueue(conninfo, registry)
    assert done.returncode == 0, done.stderr
    return registry, configs


def _assert_nothing_lost_or_duplicated(world: World, conninfo: str, configs: dict[str, Path], reference) -> None:  # noqa: ANN001
    for slug, config in configs.items():
        assert findings_of(config.parent / "audit.db") == reference[slug], slug
    carried = world.carried()
    assert {row[0] for row in query(conninfo, "SELECT url FROM national_link_cache")} == carried
    assert query(conninfo, "SELECT state, COUNT(*) FROM national_queue GROUP BY state") == [("done", len(carried))]
    results = dict(query(conninfo, "SELECT slug, result FROM national_nights"))
    assert [results[slug] for slug in configs] == ["complete"] * COUNCILS, results


@pytest.mark.slow
def test_workers_killed_mid_crawl_and_mid_link_check_leave_nothing_lost_or_duplicated(
    tmp_path: Path, pg_cluster, world_and_reference  # noqa: ANN001, F811
) -> None:
    world, reference = world_and_reference
    conninfo = pg_cluster.new_database("national_kill")
    registry, configs = _start_night(world, tmp_path, conninfo)

    first = start_worker(conninfo, registry, tmp_path / "first.log")
    # Killed only once every council's crawl is under way, so each one is run again.
    wait_for(lambda: list(night_stages(conninfo).values()).count("crawling") == COUNCILS, 60,
             "every council's crawl to start")
    first.send_signal(signal.SIGKILL)
    first.wait(10)

    second = start_worker(conninfo, registry, tmp_path / "second.log")
    wait_for(lambda: query(conninfo, "SELECT 1 FROM procrastinate_jobs WHERE task_name = 'national.check_batch' "
                                     "AND status = 'doing'") and query(conninfo, "SELECT 1 FROM national_check_log"),
             120, "a link-check batch to be under way")
    second.send_signal(signal.SIGKILL)
    second.wait(10)
    stored_before_kill = {row[0] for row in query(conninfo, "SELECT url FROM national_check_log")}

    # With no worker left, the status says exactly what is stuck and why.
    def stuck() -> str | None:
        result = CliRunner().invoke(main, ["national", "status", "--lease", "3"],
                                    env={"LOCALOFFER_AUDIT_DATABASE_URL": conninfo})
        return result.output if "national.check_batch batch_id=" in result.output and "stopped answering" in result.output else None

    said = wait_for(stuck, 30, "the status to name the stuck batch")
    assert "Stuck:" in said and "a running worker will retry it" in said

    workers = [start_worker(conninfo, registry, tmp_path / f"after-{n}.log") for n in range(2)]
    try:
        wait_for(lambda: all_done(conninfo, COUNCILS), 240, "every council's night to be done")
    finally:
        for worker in workers:
            stop_worker(worker)

    _assert_nothing_lost_or_duplicated(world, conninfo, configs, reference)
    # The killed crawls ran again; what the killed batch had stored was not checked again.
    assert query(conninfo, "SELECT MIN(attempts) FROM national_nights")[0][0] >= 2
    checked = query(conninfo, "SELECT url, COUNT(*) FROM national_check_log GROUP BY url")
    assert all(count == 1 for url, count in checked if url in stored_before_kill)
    assert query(conninfo, "SELECT COUNT(*) FROM national_batches WHERE attempts > 1")[0][0] >= 1


@pytest.mark.slow
def test_a_postgresql_restart_mid_run_is_survived_by_the_workers(
    tmp_path: Path, pg_cluster, world_and_reference  # noqa: ANN001, F811
) -> None:
    world, reference = world_and_reference
    conninfo = pg_cluster.new_database("national_restart")
    registry, configs = _start_night(world, tmp_path, conninfo, broken=True)
    workers = [start_worker(conninfo, registry, tmp_path / f"worker-{n}.log") for n in range(2)]
    try:
        wait_for(lambda: query(conninfo, "SELECT 1 FROM national_check_log"), 120, "link checks to be under way")
        pg_cluster.restart()
        wait_for(lambda: all_done(conninfo, COUNCILS + 1), 240, "every council's night to be done after the restart")
        assert all(worker.poll() is None for worker in workers), "a worker died with the database"
    finally:
        for worker in workers:
            stop_worker(worker)
    logs = "".join((tmp_path / f"worker-{n}.log").read_text(errors="replace") for n in range(2))
    assert "trying again" in logs or "starting again" in logs, "the workers never saw the database go"
    _assert_nothing_lost_or_duplicated(world, conninfo, configs, reference)
    # The council whose directory was not there finished without a crawl, as alone: only it
    # was held back, with no findings and the reason said.
    broken = query(conninfo, "SELECT crawl_status, result, message FROM national_nights WHERE slug = 'council-x'")
    assert broken[0][0] in ("failed", "incomplete") and broken[0][1] in ("failed", "incomplete"), broken
    assert broken[0][2]
    assert findings_of(tmp_path / "national" / "council-x" / "audit.db") == set()
