"""One problem, one finding, across runs on a real SQLite file.

An entry that says it has closed is one `closure_wording` finding (high), whose evidence
carries the archive suggestion; a database written before that fold still holds an open
`archive_candidate` for the same closure, which must close quietly: not "fixed" in the
run's counts, the report's changes, a worklist or an email (sent here through a real
SMTP server on loopback).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from localoffer_audit.content.rules import archive_for_closure
from localoffer_audit.findings.lifecycle import Collected, collect_findings, reconcile, rule_context, run_findings
from localoffer_audit.models import Finding, RunKind, RunStatus, ServiceItem
from localoffer_audit.outputs.mail import prepare_and_send
from localoffer_audit.store import findings as store
from localoffer_audit.store.report import finding_changes_in_run
from localoffer_audit.store.runs import finish_run, start_run

from .support.email import OWNER, Inbox, config_for
from .support.email import port, smtp  # noqa: F401 - pytest fixtures, named as parameters
from .support.lifecycle import DESCRIPTION, crawl, put_service
from .support.worklists import make_config

TODAY = date(2025, 6, 15)
CLOSED = "This service has now closed."


def rows(db) -> list[tuple[str, str, str]]:
    return sorted((r.rule, r.subject, r.status) for r in store.open_findings(db, status="all", include_dismissed=True))


def events(db, rule: str) -> list[str]:
    [row] = [r for r in store.open_findings(db, status="all", include_dismissed=True) if r.rule == rule]
    return [e["event"] for e in store.finding_events(db, row.id)]


@pytest.mark.parametrize(
    ("changes", "subject", "wording"),
    [
        ({"description": f"{DESCRIPTION} {CLOSED}"}, "description", CLOSED),
        ({"description": f"{DESCRIPTION} Sadly the group is no longer running."}, "description",
         "Sadly the group is no longer running."),
        ({"name": "CLOSED - Youth club s1"}, "name", "CLOSED - Youth club s1"),
        ({"extra": {"status": "defunct"}}, "status", "status: defunct"),
    ],
)
def test_a_closed_entry_gets_one_finding_naming_the_wording_and_the_archive(db, tmp_path: Path, changes, subject,
                                                                             wording) -> None:
    put_service(db, **changes)
    crawl(db)
    run_findings(db, make_config(tmp_path), today=TODAY)
    [row] = store.open_findings(db)
    assert (row.rule, row.subject, row.severity) == ("closure_wording", subject, "high")
    assert "archive the entry" in row.fix_hint
    # The evidence names the wording and the archive reason the same words would give.
    assert row.evidence["value"] == wording and row.evidence["archive"] == "closed"
    [folded] = row.evidence["folded"]
    assert (folded["rule"], folded["subject"], folded["value"]) == ("archive_candidate", "entry", ["closed", wording])
    assert folded["message"].startswith("Consider archiving this entry")


def _as_the_version_before_wrote_it(db, tmp_path: Path) -> None:
    """Run 1, by the version before the fold: the same findings stage, but the closure's
    evidence without the archive, and the "closed" archive candidate beside it."""
    config = make_config(tmp_path)
    collected = collect_findings(db, config, TODAY)
    closure = next(f for f in collected.findings if f.rule == "closure_wording")
    closure.evidence = {"value": closure.evidence["value"]}
    service = ServiceItem(directory_id="s1", url="", name="")
    old_archive: Finding = archive_for_closure(service, rule_context(config, TODAY), "description", CLOSED)
    collected.findings.append(old_archive)
    run_id = start_run(db, RunKind.CONTENT)
    reconcile(db, collected, run_id=run_id, complete=True)
    finish_run(db, run_id, RunStatus.COMPLETE)


def test_an_archive_candidate_stored_before_the_fold_closes_quietly(db, tmp_path: Path, smtp: Inbox, port: int) -> None:
    config = config_for(tmp_path, port)
    put_service(db, description=f"{DESCRIPTION} {CLOSED}")
    crawl(db)
    _as_the_version_before_wrote_it(db, tmp_path)
    assert rows(db) == [("archive_candidate", "entry", "open"), ("closure_wording", "description", "open")]
    closure_id = next(r.id for r in store.open_findings(db) if r.rule == "closure_wording")
    first = prepare_and_send(db, config, send=True, out_dir=tmp_path / "out1", today=TODAY)
    assert first.counts == {"sent": 1}
    assert "2 problems to fix" in smtp.received[-1][1]["Subject"]

    # Run 2, this version: the candidate is folded into the closure finding.
    crawl(db)
    summary = run_findings(db, config, today=TODAY)
    assert summary.counts["fixed"] == 0 and summary.counts["folded"] == 1 and summary.counts["new"] == 0
    assert rows(db) == [("archive_candidate", "entry", "folded"), ("closure_wording", "description", "open")]
    assert events(db, "archive_candidate") == ["opened", "folded"]
    assert events(db, "closure_wording") == ["opened"]  # same row, evidence key unchanged
    assert finding_changes_in_run(db, summary.run_id) == {"opened": [], "reopened": [], "fixed": []}

    # The manager's next list has one line, the same closure, and nothing "fixed".
    second = prepare_and_send(db, config, send=True, out_dir=tmp_path / "out2", today=TODAY)
    assert second.counts == {"sent": 1}
    [recipients, message] = smtp.received[-1]
    assert recipients == [OWNER]
    assert message["Subject"].endswith("1 problem to fix in your services")
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "FIXED SINCE YOUR LAST LIST\n  Nothing fixed yet." in text.replace("\r\n", "\n")
    assert "Consider archiving" not in text
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select("ul.fixed-list li") == []
    assert [int(li["data-finding-id"]) for li in soup.select("li.item")] == [closure_id]


def test_a_folded_finding_reported_on_its_own_again_is_open_again(db, tmp_path: Path) -> None:
    put_service(db, description=f"{DESCRIPTION} {CLOSED}")
    crawl(db)
    _as_the_version_before_wrote_it(db, tmp_path)
    crawl(db)
    run_findings(db, make_config(tmp_path), today=TODAY)
    [archive_id] = [r.id for r in store.open_findings(db, status="folded")]

    # closure_wording switched off: the archive candidate carries the closure itself.
    crawl(db)
    off = make_config(tmp_path, content={"rules": {"closure_wording": {"enabled": False}}})
    summary = run_findings(db, off, today=TODAY)
    assert [(r.id, r.rule, r.status) for r in store.open_findings(db)] == [(archive_id, "archive_candidate", "open")]
    assert events(db, "archive_candidate") == ["opened", "folded", "unfolded"]
    assert summary.counts["new"] == 0 and summary.counts["reopened"] == 0


def _placeholder_as_the_version_before_wrote_it(db, config) -> None:
    """A description "TBC": run 1 stores the placeholder beside the short description, as
    before that fold existed; then the next crawl."""
    put_service(db, description="TBC")
    crawl(db)
    collected = collect_findings(db, config, TODAY)
    [short] = [f for f in collected.findings if f.rule == "short_description"]
    old_placeholder = Finding("s1", "placeholder_text", "description", short.severity, "Placeholder text left in",
                              'The description still says "TBC".', "Replace it.", {"value": "TBC"})
    run_id = start_run(db, RunKind.CONTENT)
    reconcile(db, Collected(findings=[short, old_placeholder], unsettled_links=set()), run_id=run_id, complete=True)
    finish_run(db, run_id, RunStatus.COMPLETE)
    crawl(db)


def test_a_placeholder_stored_before_its_fold_closes_quietly_too(db, tmp_path: Path) -> None:
    """The same rule for every fold: here the placeholder folded into short_description."""
    config = make_config(tmp_path)
    _placeholder_as_the_version_before_wrote_it(db, config)
    summary = run_findings(db, config, today=TODAY)
    assert summary.counts["fixed"] == 0 and summary.counts["folded"] == 1
    assert ("placeholder_text", "description", "folded") in rows(db)


def test_a_folded_finding_whose_problem_went_is_fixed_and_its_return_is_back_again(db, tmp_path: Path) -> None:
    """The carrier goes and the folded problem is not seen on its own: fixed, like any
    other. Left folded, its return months later would be "listed on its own again", with
    no reopened event, so the nightly alert for new serious problems would miss it."""
    config = make_config(tmp_path)
    _placeholder_as_the_version_before_wrote_it(db, config)
    run_findings(db, config, today=TODAY)
    assert ("placeholder_text", "description", "folded") in rows(db)

    # The provider writes a real description: both problems have gone.
    put_service(db, description=DESCRIPTION)
    crawl(db)
    gone = run_findings(db, config, today=TODAY)
    assert rows(db) == [("placeholder_text", "description", "fixed"), ("short_description", "description", "fixed")]
    assert gone.counts["fixed"] == 2

    # Later the placeholder comes back inside a real description: back again, on its own.
    put_service(db, description=f"{DESCRIPTION} Sessions cost TBC.")
    crawl(db)
    back = run_findings(db, config, today=TODAY)
    assert back.counts["reopened"] == 1
    assert ("placeholder_text", "description", "reopened") in rows(db)
    assert events(db, "placeholder_text")[-2:] == ["fixed", "reopened"]
