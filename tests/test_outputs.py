"""Outputs for the people who read them (issue 17): baselines, starter config, exports."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bs4 import BeautifulSoup
from click.testing import CliRunner

from localoffer_audit.cli import main
from localoffer_audit.db import open_db
from localoffer_audit.worklists import build_worklists

from .test_worklists_support import add_finding, add_service, make_config, set_status

TODAY = date(2026, 11, 25)


def _cli_world(tmp_path: Path) -> dict[str, int]:
    (tmp_path / "localoffer-audit.toml").write_text('[directory]\nstart_urls = ["https://lo.example/"]\n')
    db = open_db(tmp_path / "localoffer-audit.db")
    add_service(db, "s1", "Sunny Club")
    ids = {
        "broken": add_finding(db, "s1", "link_broken", "https://x.example/old", severity="high", title="Broken link"),
        "stale": add_finding(db, "s1", "stale_date", "dates", severity="medium", title="Review date too old"),
    }
    db.close()
    return ids


def test_a_preview_worklists_run_changes_no_managers_baseline(runner: CliRunner, tmp_path: Path) -> None:
    ids = _cli_world(tmp_path)
    config = make_config(tmp_path, output={"folder": str(tmp_path / "output")})
    db = open_db(tmp_path / "localoffer-audit.db")
    try:
        build_worklists(db, config, out_dir=tmp_path / "output" / "worklists", today=TODAY)  # as nightly does
        set_status(db, ids["broken"], "fixed")
    finally:
        db.close()
    # A preview into another folder, twice: the manager's "fixed since your last list" survives.
    for _ in range(2):
        preview = runner.invoke(main, ["worklists", "--out", "elsewhere"])
        assert preview.exit_code == 0, preview.output
        assert "0 new, 1 fixed" in preview.output, preview.output
    db = open_db(tmp_path / "localoffer-audit.db")
    try:
        assert db.execute("SELECT COUNT(*) FROM worklists").fetchone()[0] == 1
        (nightly,) = build_worklists(db, config, out_dir=tmp_path / "output" / "worklists", today=TODAY)
    finally:
        db.close()
    assert nightly.fixed == 1
    soup = BeautifulSoup(nightly.html_path.read_text(), "html.parser")
    assert [int(li["data-finding-id"]) for li in soup.select("ul.fixed-list li")] == [ids["broken"]]


def test_email_and_worklist_share_the_baseline(db, tmp_path: Path) -> None:
    """A list written by the nightly run is what the manager saw last: the email preview
    of the next night does not say "first list" while the worklist says "since your last"."""
    from localoffer_audit.mail import prepare_emails

    add_service(db, "s1", "Sunny Club")
    broken = add_finding(db, "s1", "link_broken", "https://x.example/old", severity="high", title="Broken link")
    add_finding(db, "s1", "stale_date", "dates", severity="medium", title="Review date too old")
    config = make_config(tmp_path)
    build_worklists(db, config, out_dir=tmp_path / "lists", today=TODAY)
    set_status(db, broken, "fixed")
    (prepared,) = [p for p in prepare_emails(db, config, today=TODAY) if p.kind == "worklist"]
    assert "first list" not in prepared.text.lower()
    assert "Broken link" in prepared.text  # named under "fixed since your last list"
