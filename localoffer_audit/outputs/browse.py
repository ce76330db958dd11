"""Datasette set-up for `localoffer-audit browse`: metadata with our canned queries."""

from __future__ import annotations

import json
from pathlib import Path

from localoffer_audit.store.canned import CANNED_QUERIES


def datasette_metadata(db_path: Path) -> dict:
    return {
        "title": "localoffer-audit",
        "description": "Services, links, findings and history of the Local Offer audit.",
        "databases": {db_path.stem: {"queries": CANNED_QUERIES}},
    }


def datasette_metadata_path(db_path: Path) -> Path:
    """Write the metadata beside the database (refreshed each time) and return its path."""
    path = db_path.with_name(db_path.stem + ".datasette.json")
    path.write_text(json.dumps(datasette_metadata(db_path), indent=2), encoding="utf-8")
    return path


def datasette_missing_message() -> str:
    return "Datasette is not installed: pip install 'localoffer-audit[browse]' (or pip install datasette)"
