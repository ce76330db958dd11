"""A damaged or unwritable database, a full disk and unwritable output paths are one line
(exit 1) before any stage runs; a header-only managers file is an error (issue 13 items 6, 10).

Tests may run as root, which ignores file modes: every case has a variant that holds for
root too (a path whose parent is a regular file cannot be created by anyone); the chmod
cases are skipped for root only.
"""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from localoffer_audit.cli import main
from localoffer_audit.store.db import open_db
from localoffer_audit.errors import StoreError
from localoffer_audit.findings.managers import MappingFileError, import_mapping
from localoffer_audit.preflight import PreflightError, check_free_space, describe_os_error, preflight_for_writing
from localoffer_audit.store.managers import stored_assignments

from .support.cli_logging import restore_logging  # noqa: F401  (a fixture)
from .support.worklists import add_service

IS_ROOT = os.geteuid() == 0
START = "https://directory.example.gov.uk/kb5/x/directory/results.page"


def write_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "localoffer-audit.toml"
    path.write_text(f'[directory]\nstart_urls = ["{START}"]\n{extra}', encoding="utf-8")
    return path


def corrupt_database(path: Path) -> None:
    """A real database with a few pages of data, then garbage written over pages 3 to 5."""
    db = open_db(path)
    db["filler"].insert_all({"id": i, "text": "x" * 500} for i in range(200))
    db.close()
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    page = 4096
    with path.open("r+b") as handle:
        assert handle.seek(0, os.SEEK_END) > 8 * page
        handle.seek(2 * page)
        handle.write(b"\xde\xad\xbe\xef" * (3 * page // 4))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def test_a_damaged_database_is_found_before_nightly_writes_anything(runner: CliRunner, tmp_path: Path, restore_logging) -> None:  # noqa: F811
    db_path = tmp_path / "audit.db"
    corrupt_database(db_path)
    before = digest(db_path)
    config = write_config(tmp_path, f'[database]\npath = "{db_path}"\n')
    line = one_line_error(runner.invoke(main, ["--config", str(config), "nightly", "--no-send"]))
    assert f"{db_path} is damaged" in line and "restore it from a backup" in line
    assert digest(db_path) == before
    # The same for a writing command started by hand.
    line = one_line_error(runner.invoke(main, ["--config", str(config), "content"]))
    assert f"{db_path} is damaged" in line


def test_quick_check_only_for_writing(tmp_path: Path) -> None:
    db_path = tmp_path / "audit.db"
    corrupt_database(db_path)
    with pytest.raises(StoreError, match="is damaged"):
        open_db(db_path, check=True)


def test_a_full_disk_stops_nightly_before_it_starts(runner: CliRunner, tmp_path: Path, monkeypatch, restore_logging) -> None:  # noqa: F811
    # No test can fill a real disk: the threshold is raised above the free space instead.
    monkeypatch.setenv("LOCALOFFER_AUDIT_MIN_FREE_MB", str(10**8))
    config = write_config(tmp_path)
    line = one_line_error(runner.invoke(main, ["--config", str(config), "nightly", "--no-send"]))
    assert "MB free on the disk holding the database" in line and "LOCALOFFER_AUDIT_MIN_FREE_MB" in line
    assert not (tmp_path / "localoffer-audit.db").exists()


def test_free_space_threshold(tmp_path: Path) -> None:
    check_free_space(tmp_path / "not-yet" / "audit.db", "database", minimum=1)
    with pytest.raises(PreflightError, match=r"only [\d.]+ MB free .* \(at least \d+ MB needed\)"):
        check_free_space(tmp_path / "audit.db", "database", minimum=2**62)


def test_os_errors_are_named_in_words() -> None:
    assert describe_os_error(OSError(errno.ENOSPC, "No space left on device")) == "the disk is full"
    assert describe_os_error(OSError(errno.EROFS, "Read-only file system")) == "the file system is read-only"


def test_unwritable_output_folder_is_one_line(runner: CliRunner, tmp_path: Path, restore_logging) -> None:  # noqa: F811
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a regular file where a folder should be")
    config = write_config(tmp_path, f'[output]\nfolder = "{blocker}/out"\n')
    line = one_line_error(runner.invoke(main, ["--config", str(config), "nightly", "--no-send"]))
    assert f"cannot write the output folder {blocker}/out" in line
    assert not (tmp_path / "localoffer-audit.db").exists()
    line = one_line_error(runner.invoke(main, ["--config", str(config), "worklists"]))
    assert f"cannot write the output folder {blocker}/out" in line


def test_unwritable_log_file_is_one_line(runner: CliRunner, tmp_path: Path, restore_logging) -> None:  # noqa: F811
    blocker = tmp_path / "file"
    blocker.write_text("x")
    config = write_config(tmp_path, f'[nightly]\nlog_file = "{blocker}/nightly.log"\n')
    line = one_line_error(runner.invoke(main, ["--config", str(config), "nightly", "--no-send"]))
    assert f"cannot write the log file {blocker}/nightly.log" in line


def test_database_in_an_impossible_folder_is_one_line(runner: CliRunner, tmp_path: Path, restore_logging) -> None:  # noqa: F811
    blocker = tmp_path / "file"
    blocker.write_text("x")
    config = write_config(tmp_path)
    for command in (["nightly", "--no-send"], ["crawl"], ["content"], ["managers", "import", "m.csv"]):
        line = one_line_error(runner.invoke(main, ["--config", str(config), "--db", str(blocker / "audit.db"), *command]))
        assert f"cannot write the database folder {blocker}" in line, command
    with pytest.raises(StoreError, match="cannot create the database folder"):
        open_db(blocker / "audit.db")


@pytest.mark.skipif(IS_ROOT, reason="root ignores file modes; the regular-file-parent tests above cover root")
def test_read_only_database_and_folder_are_one_line(runner: CliRunner, tmp_path: Path, restore_logging) -> None:  # noqa: F811
    folder = tmp_path / "data"
    folder.mkdir()
    db_path = folder / "audit.db"
    open_db(db_path).close()
    config = write_config(tmp_path, f'[database]\npath = "{db_path}"\n')
    db_path.chmod(0o444)
    try:
        line = one_line_error(runner.invoke(main, ["--config", str(config), "nightly", "--no-send"]))
        assert f"cannot write the database {db_path} (permission denied)" in line
        folder.chmod(0o555)
        line = one_line_error(runner.invoke(main, ["--config", str(config), "nightly", "--no-send"]))
        assert f"cannot write the database folder {folder} (permission denied)" in line
    finally:
        folder.chmod(0o755)
        db_path.chmod(0o644)


def test_preflight_accepts_a_normal_setup(tmp_path: Path) -> None:
    preflight_for_writing(tmp_path / "db" / "audit.db", output_folder=tmp_path / "out", log_file=tmp_path / "out" / "n.log")
    assert (tmp_path / "out").is_dir() and not list((tmp_path / "out").iterdir())


HEADER = "service_id,organisation,manager_name,manager_email\n"


def test_header_only_managers_file_is_an_error_and_keeps_the_mapping(db, tmp_path: Path) -> None:
    add_service(db, "s1", "Service one")
    good = tmp_path / "managers.csv"
    good.write_text(HEADER + "s1,,Sam,sam@council.example\n", encoding="utf-8")
    import_mapping(db, good)
    before = stored_assignments(db)
    assert before
    header_only = tmp_path / "export.csv"
    header_only.write_text(HEADER + "\n", encoding="utf-8")
    with pytest.raises(MappingFileError, match="header but no mapping rows.*default owner"):
        import_mapping(db, header_only)
    assert stored_assignments(db) == before


def test_header_only_managers_file_via_cli(runner: CliRunner, tmp_path: Path) -> None:
    write_config(tmp_path)
    (tmp_path / "m.csv").write_text(HEADER, encoding="utf-8")
    line = one_line_error(runner.invoke(main, ["managers", "import", "m.csv"]))
    assert "header but no mapping rows" in line and "nothing imported" in line

