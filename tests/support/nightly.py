"""Shared test helpers (moved from test_nightly.py)."""

from __future__ import annotations

from pathlib import Path
from localoffer_audit.config import Config
from localoffer_audit.demo import to_toml


def _write_config(config: Config, path: Path) -> Path:
    path.write_text(to_toml(config.model_dump(mode="json", exclude_none=True)), encoding="utf-8")
    return path
