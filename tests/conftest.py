"""Shared fixtures: tiny real databases and a CLI runner in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from localoffer_audit.store.db import open_db



@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.db"


@pytest.fixture
def db(db_path: Path):
    database = open_db(db_path)
    yield database
    database.close()


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI runner whose working folder is an empty temporary folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LOCALOFFER_AUDIT_CONFIG", raising=False)
    return CliRunner()
