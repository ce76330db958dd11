"""Shared test helpers (moved from test_demo_links.py)."""

from __future__ import annotations

from pathlib import Path


def read_hosts_file(path: Path) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            address, *names = line.split()
            for name in names:
                mapping[name.lower()] = address
    return mapping
