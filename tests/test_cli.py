"""The command-line surface: help texts, README coverage, and one-line errors."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from localoffer_audit import __version__
from localoffer_audit.cli import main

from .support.paths import REPO_ROOT


def walk_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        found.append((full, command))
        if isinstance(command, click.Group):
            found.extend(walk_commands(command, prefix=f"{full} "))
    return found


ALL_COMMANDS = walk_commands(main)


@pytest.mark.parametrize(("name", "command"), ALL_COMMANDS, ids=[name for name, _ in ALL_COMMANDS])
def test_every_command_has_help_with_an_example(name: str, command: click.Command) -> None:
    assert command.help and command.help.strip(), f"{name} has no help text"
    result = CliRunner().invoke(main, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    if not isinstance(command, click.Group) or not command.invoke_without_command:
        assert "Example" in result.output, f"`{name} --help` shows no example"


@pytest.mark.parametrize(("name", "command"), ALL_COMMANDS, ids=[name for name, _ in ALL_COMMANDS])
def test_every_command_is_in_the_readme(name: str, command: click.Command) -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"localoffer-audit {re.escape(name)}\b", readme), f"`localoffer-audit {name}` missing from README"


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_init_then_status(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "localoffer-audit.toml").exists()
    again = runner.invoke(main, ["init"])
    assert again.exit_code == 1 and "--force" in again.output
    assert runner.invoke(main, ["init", "--force"]).exit_code == 0
    status = runner.invoke(main, ["status"])
    assert status.exit_code == 0 and "nothing has run" in status.output


def test_status_of_a_new_database(runner: CliRunner, tmp_path: Path) -> None:
    from localoffer_audit.store.db import open_db

    open_db(tmp_path / "a.db").close()
    result = runner.invoke(main, ["--db", "a.db", "status"])
    assert result.exit_code == 0, result.output
    assert "Recent runs: none yet" in result.output
    as_json = runner.invoke(main, ["--db", "a.db", "status", "--json"])
    assert as_json.exit_code == 0 and '"runs": []' in as_json.output


def test_config_from_environment_variable(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "elsewhere" / "council.toml"
    monkeypatch.setenv("LOCALOFFER_AUDIT_CONFIG", str(target))
    assert runner.invoke(main, ["init"]).exit_code == 0
    assert target.exists()


def _assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    error_lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(error_lines) == 1, result.output
    for fragment in fragments:
        assert fragment in error_lines[0]


@pytest.mark.parametrize(
    ("config_text", "fragments"),
    [
        ("this is [not toml", ("not valid TOML",)),
        ('[directory]\nstart_urls = ["https://x.example"]\n[links]\nspeed = 3\n', ("unknown key 'speed' in [links]",)),
        ('[directory]\nplatform = "fsd"\n', ("directory.start_urls: required but missing",)),
    ],
)
def test_bad_config_is_one_line_and_exit_1(runner: CliRunner, tmp_path: Path, config_text: str, fragments) -> None:
    (tmp_path / "localoffer-audit.toml").write_text(config_text)
    _assert_one_line_error(runner.invoke(main, ["status"]), *fragments)


@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_named_config_that_does_not_exist_is_one_line_and_exit_1(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    # A typo in --config must not quietly run on the defaults (status would say "nothing has run").
    args = ["status"]
    if how == "option":
        args = ["--config", "councl.toml", *args]
    else:
        monkeypatch.setenv("LOCALOFFER_AUDIT_CONFIG", str(tmp_path / "councl.toml"))
    _assert_one_line_error(runner.invoke(main, args), "No configuration file at", "councl.toml")


def test_without_a_config_status_reads_the_default_database(runner: CliRunner, tmp_path: Path) -> None:
    # No file named and none at the default path: status still answers (a config is optional there).
    result = runner.invoke(main, ["status"])
    assert result.exit_code == 0, result.output


def test_database_that_is_not_sqlite_is_one_line_and_exit_1(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "broken.db").write_bytes(b"PK\x03\x04 a zip file, not a database" * 100)
    _assert_one_line_error(runner.invoke(main, ["--db", "broken.db", "status"]), "not a usable SQLite database")
