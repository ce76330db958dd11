"""The national commands' edges: the registry validated like the config, one-line errors
(no extra, no database URL, a bad registry), status and report on a real PostgreSQL,
and politeness groups."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from localoffer_audit.cli import main
from localoffer_audit.national.extra import missing_packages
from localoffer_audit.national.groups import politeness_group

try:
    from .support.national import pg_cluster  # noqa: F401  (a fixture)
except pytest.skip.Exception as missing:  # a plain install: the tests without PostgreSQL still run
    _why = str(missing)

    @pytest.fixture(scope="session")
    def pg_cluster():  # type: ignore[no-untyped-def]
        pytest.skip(_why)

# Without the extra every command stops first at "install the extra" (tested below).
needs_extra = pytest.mark.skipif(bool(missing_packages()), reason="the 'national' extra is not installed")

MINIMAL_CONFIG = """
[directory]
platform = "fsd"
start_urls = ["https://directory.example-council.gov.uk/"]
[database]
path = "{db}"
"""


def _council(folder: Path, slug: str, db: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.toml"
    path.write_text(MINIMAL_CONFIG.format(db=db or f"{slug}.db"), encoding="utf-8")
    return path


def _registry(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


def _run(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, args, env=env or {"LOCALOFFER_AUDIT_DATABASE_URL": ""})
    return result.exit_code, result.output


@needs_extra
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('[[council]]\nslug = "Leeds!"\nname = "Leeds"\nconfig = "a.toml"\n', "council.0.slug: use lower-case letters"),
        ('[[council]]\nslug = "a"\nname = "A"\nconfig = "a.toml"\ncolour = "red"\n', "unknown key 'council.0.colour'"),
        ('[national]\nbatch_size = 0\n[[council]]\nslug = "a"\nname = "A"\nconfig = "a.toml"\n', "national.batch_size"),
        ('[[council]]\nslug = "a"\nname = "A"\nconfig = "a.toml"\n[[council]]\nslug = "a"\nname = "B"\nconfig = "b.toml"\n',
         "council slug 'a' is listed twice"),
        ('[[council]]\nslug = "a"\nname = "A"\nconfig = "a.toml"\n[[council]]\nslug = "b"\nname = "B"\nconfig = "same.toml"\n',
         "use the same database"),
        ('[[council]]\nslug = "a"\nname = "A"\nconfig = "missing.toml"\n', "No configuration file at"),
        ("[national]\n", "council: required but missing"),
        ("[[council]\n", "is not valid TOML"),
    ],
)
def test_a_bad_registry_is_one_line_naming_what_to_fix(tmp_path: Path, body: str, expected: str) -> None:
    _council(tmp_path, "a")
    _council(tmp_path, "b")
    (tmp_path / "same.toml").write_text(MINIMAL_CONFIG.format(db="a.db"), encoding="utf-8")
    registry = _registry(tmp_path / "councils.toml", body.replace('config = "a.toml"', f'config = "{tmp_path / "a.toml"}"'))
    code, output = _run(["national", "enqueue", "--registry", str(registry)])
    assert code == 1
    assert expected in output, output
    assert "Traceback" not in output and len(output.strip().splitlines()) == 1


@needs_extra
def test_without_a_database_url_the_commands_say_how_to_set_one(tmp_path: Path) -> None:
    _council(tmp_path, "a")
    registry = _registry(tmp_path / "councils.toml", '[[council]]\nslug = "a"\nname = "A"\nconfig = "a.toml"\n')
    code, output = _run(["national", "enqueue", "--registry", str(registry)])
    assert code == 1 and "set $LOCALOFFER_AUDIT_DATABASE_URL" in output and "Traceback" not in output
    code, output = _run(["national", "status"])
    assert code == 1 and "set $LOCALOFFER_AUDIT_DATABASE_URL" in output


def test_without_the_extra_a_command_says_how_to_install_it_and_help_still_works(tmp_path: Path) -> None:
    # A fresh interpreter in which procrastinate cannot be imported (as on a plain install).
    script = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'procrastinate': raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import importlib.util\n"
        "importlib.util.find_spec = (lambda f: (lambda name, *a: None if name == 'procrastinate' else f(name, *a)))(importlib.util.find_spec)\n"
        "from localoffer_audit.cli import main\n"
        "main()\n"
    )
    env = {**os.environ, "LOCALOFFER_AUDIT_DATABASE_URL": "host=/nonexistent"}
    done = subprocess.run([sys.executable, "-c", script, "national", "status"], capture_output=True, text=True,
                          timeout=60, env=env, cwd=tmp_path)
    assert done.returncode == 1
    said = done.stderr.strip()
    assert said.startswith("Error: the national audit needs the 'national' extra (procrastinate")
    assert said.endswith("not installed): pip install -e '.[national]'") and len(said.splitlines()) == 1, said
    helped = subprocess.run([sys.executable, "-c", script, "national", "--help"], capture_output=True, text=True,
                            timeout=60, env=env, cwd=tmp_path)
    assert helped.returncode == 0 and "enqueue" in helped.stdout and "worker" in helped.stdout


@needs_extra
def test_a_bad_schedule_is_refused_before_the_worker_starts(tmp_path: Path) -> None:
    _council(tmp_path, "a")
    registry = _registry(tmp_path / "councils.toml", '[[council]]\nslug = "a"\nname = "A"\nconfig = "a.toml"\n')
    code, output = _run(["national", "worker", "--registry", str(registry), "--schedule", "nightly at one"],
                        {"LOCALOFFER_AUDIT_DATABASE_URL": "host=/nonexistent"})
    assert code == 2 and "'nightly at one' is not a cron schedule" in output, output


def test_help_gives_examples_for_every_command() -> None:
    for command in ("enqueue", "worker", "status", "report", "prune"):
        code, output = _run(["national", command, "--help"])
        assert code == 0
        assert "Example:" in output and f"localoffer-audit national {command}" in output, command


def test_politeness_groups_are_hosts_or_shared_platforms_domains() -> None:
    assert politeness_group("https://www.nhs.uk/conditions/autism/") == "host:www.nhs.uk:443"
    assert politeness_group("http://Example.org:8080/a") == "host:example.org:8080"
    shared = ["nhs.uk"]
    assert politeness_group("https://www.nhs.uk/a", shared) == politeness_group("https://services.nhs.uk/b", shared)
    assert politeness_group("https://www.nhs.uk/a", shared) == "domain:nhs.uk"
    assert politeness_group("mailto:Info@Charity.org.uk?subject=hi") == "mail:charity.org.uk"
    assert politeness_group("tel:01134960000") == "other"


def test_status_and_report_before_any_worker_ran(tmp_path: Path, pg_cluster) -> None:  # noqa: ANN001, F811
    conninfo = pg_cluster.new_database("national_cli")
    for slug in ("leeds", "york"):
        _council(tmp_path, slug)
    registry = _registry(tmp_path / "councils.toml", "".join(
        f'[[council]]\nslug = "{s}"\nname = "{s.title()} Council"\nconfig = "{s}.toml"\n' for s in ("leeds", "york")))
    env = {"LOCALOFFER_AUDIT_DATABASE_URL": conninfo}
    code, output = _run(["national", "status", "--night", "2026-12-03"], env)
    assert code == 0 and "No council is queued for this night" in output, output
    code, output = _run(["national", "enqueue", "--registry", str(registry), "--night", "2026-12-03"], env)
    assert code == 0 and "2 council(s) queued (leeds, york)" in output, output
    code, output = _run(["national", "enqueue", "--registry", str(registry), "--night", "2026-12-03"], env)
    assert code == 0 and "0 council(s) queued, 2 already queued" in output, output
    code, output = _run(["national", "enqueue", "--registry", str(registry), "--council", "hull"], env)
    assert code == 1 and "no council with slug 'hull'" in output
    code, output = _run(["national", "status", "--night", "2026-12-03"], env)
    assert code == 0, output
    assert "  leeds: queued" in output and "  york: queued" in output
    assert "crawl_council: todo 2" in output and "Nothing is stuck." in output
    out = tmp_path / "national.html"
    code, output = _run(["national", "report", "--registry", str(registry), "--out", str(out)], env)
    assert code == 0 and out.exists(), output
    page = out.read_text(encoding="utf-8")
    assert "Leeds Council" in page and "no store yet" in page and "No confirmed broken links" in page
    # Pruning keeps the nights asked for, and forgets older ones.
    code, output = _run(["national", "prune", "--keep-nights", "3650"], env)
    assert code == 0 and "Removed 0 demand, 0 queue, 0 batches, 0 check_log, 0 nights" in output, output
    code, output = _run(["national", "enqueue", "--registry", str(registry), "--night", "2020-01-01"], env)
    assert code == 0
    code, output = _run(["national", "prune", "--keep-nights", "30"], env)
    assert code == 0 and "2 nights" in output and "0 jobs" in output, output
    code, output = _run(["national", "status", "--night", "2020-01-01"], env)
    assert "No council is queued for this night" in output


@pytest.mark.slow
def test_workers_started_with_a_schedule_queue_the_night_themselves(tmp_path: Path, pg_cluster) -> None:  # noqa: ANN001, F811
    """procrastinate's periodic tasks instead of cron: no `enqueue` is run, yet the night is queued, once."""
    from datetime import UTC, datetime

    from .support.national import query, start_worker, stop_worker, wait_for

    conninfo = pg_cluster.new_database("national_schedule")
    for slug in ("leeds", "york"):
        _council(tmp_path, slug)
    registry = _registry(tmp_path / "councils.toml", "".join(
        f'[[council]]\nslug = "{s}"\nname = "{s.title()}"\nconfig = "{s}.toml"\n' for s in ("leeds", "york")))
    # Only the councils queue is left out: the workers enqueue, and nobody crawls.
    workers = [start_worker(conninfo, registry, tmp_path / f"w{n}.log", extra=("--queue", "links", "--schedule", "* * * * * */2"))
               for n in range(2)]
    try:
        rows = wait_for(lambda: query(conninfo, "SELECT night, slug, stage FROM national_nights ORDER BY slug"), 60,
                        "the scheduled enqueue")
        wait_for(lambda: len(query(conninfo, "SELECT 1 FROM procrastinate_jobs WHERE task_name = 'national.enqueue' "
                                             "AND status = 'succeeded'")) >= 2, 30, "a second scheduled enqueue")
    finally:
        for worker in workers:
            stop_worker(worker)
    today = datetime.now(UTC).date()
    assert [(night, slug) for night, slug, _ in rows] == [(today, "leeds"), (today, "york")]
    crawls = query(conninfo, "SELECT COUNT(*) FROM procrastinate_jobs WHERE task_name = 'national.crawl_council'")
    assert crawls == [(2,)], "every scheduled enqueue after the first queues nothing new"


@needs_extra
@pytest.mark.parametrize(
    "url",
    [
        "host=127.0.0.1 port={port} dbname=localoffer user=audit password=s3cret-pw",
        "postgresql://audit@127.0.0.1:{port}/localoffer?password=s3cret-pw",
        "postgresql://audit:s3cret-pw@127.0.0.1:{port}/localoffer",
    ],
    ids=["key=value", "query", "userinfo"],
)
def test_a_database_that_cannot_be_reached_is_named_without_its_password(url: str) -> None:
    import socket

    from localoffer_audit.national.database import NationalDatabaseError, connect

    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(NationalDatabaseError) as caught:
        with connect(url.format(port=port)):
            pass
    message = str(caught.value)
    assert "s3cret-pw" not in message
    assert f"127.0.0.1:{port}/localoffer" in message
