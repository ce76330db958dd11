"""`history URL` finds a link however the user types its scheme and host, and the
commands end non-zero by one path (exit_with or an AuditError), never sys.exit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from click.testing import CliRunner

from localoffer_audit.cli import main
from localoffer_audit.store.db import open_db

from .support.worklists import add_link_place

COMMANDS_DIR = Path(__file__).resolve().parent.parent / "localoffer_audit" / "commands"
STORED = "https://example.org/x"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LOCALOFFER_AUDIT_CONFIG", raising=False)
    (tmp_path / "localoffer-audit.toml").write_text(
        '[directory]\nstart_urls = ["https://lo.example/"]\n'
        f'[database]\npath = "{tmp_path / "audit.db"}"\n'
    )
    db = open_db(tmp_path / "audit.db")
    now = "2026-11-24T00:00:00+00:00"
    db["services"].insert({"id": "s1", "url": "https://lo.example/s1", "name": "Holiday club",
                           "first_seen_at": now, "last_seen_at": now, "state": "live"})
    add_link_place(db, "s1", STORED, field="website", anchor_text="Our site")
    db["link_checks"].insert({"url": STORED, "checked_at": "2026-11-24T02:00:00+00:00", "verdict": "broken",
                              "status_code": 404, "confirmed": 1})
    db.close()
    return tmp_path


@pytest.mark.parametrize("typed", [STORED, "HTTPS://Example.org/x", "https://EXAMPLE.ORG:443/x", "  https://example.org/x "])
def test_history_finds_the_stored_link_as_typed(workdir: Path, typed: str) -> None:
    result = CliRunner().invoke(main, ["history", typed])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"Link {STORED}" and "Holiday club (s1, live)" in lines[1]
    assert "2026-11-24 02:00  broken HTTP 404, confirmed" in result.output


def test_history_of_an_unknown_link_is_one_line_and_exit_1(workdir: Path) -> None:
    # The path is case-sensitive: canonicalising must not make /X find /x.
    result = CliRunner().invoke(main, ["history", "https://example.org/X"])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "no link https://example.org/X in this database" in lines[0], result.output


def _exits_outside_exit_with(source: str) -> list[str]:
    """Calls of sys.exit/exit/quit and `raise SystemExit` in one module's source."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = (f"{func.value.id}.{func.attr}" if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                    else func.id if isinstance(func, ast.Name) else "")
            if name in {"sys.exit", "exit", "quit", "os._exit"}:
                found.append(f"line {node.lineno}: {name}()")
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name) and target.id == "SystemExit":
                found.append(f"line {node.lineno}: raise SystemExit")
    return found


def test_the_check_sees_a_sys_exit() -> None:
    assert _exits_outside_exit_with("import sys\ndef f():\n    sys.exit(3)\n") == ["line 3: sys.exit()"]
    assert _exits_outside_exit_with("def f():\n    raise SystemExit(2)\n") == ["line 2: raise SystemExit"]


def test_commands_end_non_zero_only_through_exit_with_or_an_audit_error() -> None:
    offenders = {
        path.name: found
        for path in sorted(COMMANDS_DIR.glob("*.py"))
        if (found := _exits_outside_exit_with(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
