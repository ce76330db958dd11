"""The findings lifecycle over several runs, on a real SQLite file.

Services and link verdicts are written the way the crawl and the link checker store
them; ``run_findings`` is then run as ``content`` / ``nightly`` would.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from localoffer_audit.config import config_from_dict
from localoffer_audit.store.db import utc_now
from localoffer_audit.findings.lifecycle import (
    FindingsError,
    dismiss_finding,
    dismissals_report,
    evidence_key,
    import_dismissals,
    list_findings,
    run_findings,
)
from localoffer_audit.models import Finding, RunKind, RunStatus, ServiceItem, Severity
from localoffer_audit.store.services import record_crawled_service, settle_missing_pages
from localoffer_audit.store import findings as store
from localoffer_audit.store.runs import finish_run, start_run
from .support.lifecycle import DESCRIPTION, HOST, crawl, put_service

TODAY = date(2025, 6, 15)


@pytest.fixture
def config(tmp_path: Path):
    return config_from_dict({"directory": {"start_urls": [f"https://{HOST}/kb5/x/directory/results.page"]}})






def put_link(db, service_id: str, url: str, verdict: str, *, confirmed: bool = True, status_code: int | None = 404,
             final_url: str | None = None, field: str = "website") -> None:
    now = utc_now()
    db["links"].upsert({
        "url": url, "host": url.split("/")[2] if "//" in url else None, "first_seen_at": now, "last_seen_at": now, "last_checked_at": now,
        "verdict": verdict, "status_code": status_code, "final_url": final_url or url, "confirmed": int(confirmed),
    }, pk="url")
    if not list(db.query("SELECT 1 FROM link_places WHERE service_id = ? AND url = ?", [service_id, url])):
        db["link_places"].insert({"service_id": service_id, "url": url, "field": field, "element": "a",
                                  "attribute": "href", "anchor_text": "Our website"})


def crawl_missing_pages(db, items: list[ServiceItem]) -> None:
    """A complete crawl whose requests for these record pages answered as ``items`` say,
    stored as the crawl's pipeline and runner store them."""
    run_id = start_run(db, RunKind.CRAWL)
    with db.atomic():
        for item in items:
            record_crawled_service(db, run_id, item, utc_now())
    settle_missing_pages(db, run_id, complete=True)
    finish_run(db, run_id, RunStatus.COMPLETE)


def the_finding(db, rule: str, service_id: str = "s1") -> store.FindingRow:
    [row] = [r for r in store.open_findings(db, status="all", include_dismissed=True)
             if r.rule == rule and r.service_id == service_id]
    return row


def events(db, finding_id: int) -> list[str]:
    return [e["event"] for e in store.finding_events(db, finding_id)]


def test_open_fixed_reopened_across_runs_and_an_incomplete_run_changes_nothing(db, config) -> None:
    put_service(db, dates=[{"label": "Last updated", "raw": "3 March 2023", "value": "2023-03-03"}])
    crawl(db)
    first = run_findings(db, config, today=TODAY)
    assert first.status == RunStatus.COMPLETE
    assert first.counts["new"] == 1 and first.counts["fixed"] == 0
    finding = the_finding(db, "stale_date")
    assert finding.status == "open" and finding.fixed_at is None
    assert "3 March 2023, over 12 months ago" in finding.detail

    # The entry is reviewed, but the next crawl was incomplete: nothing may be marked fixed.
    put_service(db)
    crawl(db, RunStatus.INCOMPLETE)
    second = run_findings(db, config, today=TODAY)
    assert second.status == RunStatus.INCOMPLETE and second.counts["fixed"] == 0
    assert the_finding(db, "stale_date").status == "open"

    crawl(db)
    third = run_findings(db, config, today=TODAY)
    assert third.counts["fixed"] == 1
    fixed = the_finding(db, "stale_date")
    assert fixed.status == "fixed" and fixed.fixed_at is not None
    assert store.open_findings(db) == []

    put_service(db, dates=[{"label": "Last updated", "raw": "3 March 2023", "value": "2023-03-03"}])
    crawl(db)
    fourth = run_findings(db, config, today=TODAY)
    assert fourth.counts["reopened"] == 1 and fourth.counts["new"] == 0
    reopened = the_finding(db, "stale_date")
    assert reopened.status == "reopened" and reopened.times_reopened == 1 and reopened.reopened_at
    assert reopened.first_seen_at == finding.first_seen_at
    assert events(db, reopened.id) == ["opened", "fixed", "reopened"]
    runs = list(db.query("SELECT kind, status FROM runs WHERE kind = 'content' ORDER BY id"))
    assert [r["status"] for r in runs] == ["complete", "incomplete", "complete", "complete"]

    # Fixed and back once more: the reopenings are counted, not just flagged.
    put_service(db)
    crawl(db)
    assert run_findings(db, config, today=TODAY).counts["fixed"] == 1
    put_service(db, dates=[{"label": "Last updated", "raw": "3 March 2023", "value": "2023-03-03"}])
    crawl(db)
    assert run_findings(db, config, today=TODAY).counts["reopened"] == 1
    assert the_finding(db, "stale_date").times_reopened == 2


def test_complete_defaults_to_the_latest_crawl_and_can_be_forced(db, config) -> None:
    put_service(db, postcode="GL4")
    crawl(db, RunStatus.INCOMPLETE)
    assert run_findings(db, config, today=TODAY).status == RunStatus.INCOMPLETE
    assert run_findings(db, config, today=TODAY, complete=True).status == RunStatus.COMPLETE


def test_link_findings_only_once_confirmed(db, config) -> None:
    put_service(db)
    url = "https://www.northtown-trust.org.uk/"
    put_link(db, "s1", url, "broken", confirmed=False)
    crawl(db)
    run_findings(db, config, today=TODAY)
    assert [r.rule for r in store.open_findings(db)] == []

    put_link(db, "s1", url, "broken", confirmed=True)
    run_findings(db, config, today=TODAY)
    [finding] = store.open_findings(db)
    assert finding.rule == "link_broken" and finding.subject == url and finding.severity == "high"
    assert "in the website" in finding.detail

    # A later unconfirmed failure neither fixes nor refreshes it: a transient blip closes nothing.
    put_link(db, "s1", url, "timeout", confirmed=False, status_code=None)
    summary = run_findings(db, config, today=TODAY)
    assert summary.counts["fixed"] == 0 and the_finding(db, "link_broken").status == "open"

    put_link(db, "s1", url, "ok", status_code=200)
    run_findings(db, config, today=TODAY)
    assert the_finding(db, "link_broken").status == "fixed"


@pytest.mark.parametrize(
    ("verdict", "rule", "severity"),
    [
        ("ok", None, None),
        ("excluded", None, None),
        ("unsupported", None, None),
        ("blocked", "link_blocked", "info"),
        ("parked", "link_parked", "critical"),
        ("redirected", "link_redirected", "low"),
        ("soft_404", "link_soft_404", "high"),
    ],
)
def test_each_verdict_makes_the_right_finding(db, config, verdict, rule, severity) -> None:
    put_service(db)
    put_link(db, "s1", "https://www.northtown-trust.org.uk/", verdict, status_code=403 if verdict == "blocked" else 200)
    crawl(db)
    run_findings(db, config, today=TODAY)
    found = [(r.rule, r.severity) for r in store.open_findings(db)]
    assert found == ([] if rule is None else [(rule, severity)])
    if verdict == "blocked":
        detail = store.open_findings(db)[0].detail + store.open_findings(db)[0].fix_hint
        assert "not a broken link" in detail and "check" in detail.lower()


def test_one_finding_per_service_and_url_with_every_place(db, config) -> None:
    put_service(db)
    url = "https://old.example.org/timetable"
    put_link(db, "s1", url, "broken", field="description")
    db["link_places"].insert({"service_id": "s1", "url": url, "field": "related_links", "element": "a",
                              "attribute": "href", "anchor_text": "Timetable"})
    crawl(db)
    run_findings(db, config, today=TODAY)
    [finding] = store.open_findings(db)
    assert len(finding.evidence["places"]) == 2 and "related links" in finding.detail


WEBSITE = "https://www.northtown-trust.org.uk/"


def dismissed_broken_website(db, config, **link: Any) -> store.FindingRow:
    """s1's website confirmed broken (with ``link``'s status code / final URL), its finding dismissed."""
    put_service(db)
    put_link(db, "s1", WEBSITE, "broken", **link)
    crawl(db)
    run_findings(db, config, today=TODAY)
    finding = the_finding(db, "link_broken")
    dismiss_finding(db, finding.id, reason="Works in a browser", by="Jo Bloggs")
    assert store.open_findings(db) == []
    return finding


def test_dismissal_holds_until_the_evidence_changes(db, config) -> None:
    url = WEBSITE
    finding = dismissed_broken_website(db, config, status_code=404)
    assert [r.id for r in store.open_findings(db, include_dismissed=True)] == [finding.id]

    run_findings(db, config, today=TODAY)
    assert store.open_findings(db) == []  # same evidence: still dismissed

    put_link(db, "s1", url, "broken", status_code=410)  # different status: the evidence changed
    summary = run_findings(db, config, today=TODAY)
    assert summary.counts["dismissals_lapsed"] == 1
    [back] = store.open_findings(db)
    assert back.id == finding.id and not back.dismissed
    assert "dismissal_lapsed" in events(db, finding.id)


def test_dismissed_link_comes_back_when_only_its_final_url_changes(db, config) -> None:
    finding = dismissed_broken_website(db, config, status_code=404, final_url=WEBSITE + "home")

    # Same verdict, same status code; the link now ends somewhere else.
    put_link(db, "s1", WEBSITE, "broken", status_code=404, final_url=WEBSITE + "gone")
    summary = run_findings(db, config, today=TODAY)
    assert summary.counts["dismissals_lapsed"] == 1
    [back] = store.open_findings(db)
    assert back.id == finding.id and not back.dismissed
    assert "evidence_changed" in events(db, finding.id) and "dismissal_lapsed" in events(db, finding.id)


def test_dismissed_link_comes_back_when_only_its_verdict_changes(db, config) -> None:
    # No status code either time (a name that does not resolve, then no answer): only the
    # verdict differs, and the verdict names the rule, so the new verdict is a new finding
    # that no dismissal covers.
    dismissed_broken_website(db, config, status_code=None)

    put_link(db, "s1", WEBSITE, "timeout", status_code=None)
    run_findings(db, config, today=TODAY)
    [back] = store.open_findings(db)
    assert (back.rule, back.subject, back.dismissed) == ("link_timeout", WEBSITE, False)
    assert the_finding(db, "link_broken").status == "fixed"


def test_link_evidence_key_follows_verdict_status_and_final_url() -> None:
    def key(**changes: Any) -> str:
        evidence = {"verdict": "broken", "status_code": 404, "final_url": "https://a.example/x",
                    "places": [{"field": "website"}]}
        evidence.update(changes)
        return evidence_key(Finding(service_id="s1", rule="link_broken", subject="https://a.example/x",
                                    severity=Severity.HIGH, title="t", message="m", fix_hint="h", evidence=evidence))

    base = key()
    assert key(places=[{"field": "description"}]) == base  # where the link sits is not evidence
    assert len({base, key(verdict="timeout"), key(status_code=410), key(final_url="https://a.example/y")}) == 4


def test_dismissal_of_a_content_finding_follows_its_value(db, config) -> None:
    put_service(db, postcode="GL4")
    crawl(db)
    run_findings(db, config, today=TODAY)
    finding = the_finding(db, "invalid_postcode")
    dismiss_finding(db, finding.id, reason="Rural address without a full postcode", by="Ann", kind="wont_fix")
    run_findings(db, config, today=TODAY)
    assert store.open_findings(db) == []
    put_service(db, postcode="GL99")
    run_findings(db, config, today=TODAY)
    assert [r.rule for r in store.open_findings(db)] == ["invalid_postcode"]


def test_dismiss_unknown_finding_or_empty_reason_is_an_error(db, config) -> None:
    with pytest.raises(FindingsError, match="no finding with id 99"):
        dismiss_finding(db, 99, reason="x", by="y")
    put_service(db, postcode="GL4")
    crawl(db)
    run_findings(db, config, today=TODAY)
    finding = the_finding(db, "invalid_postcode")
    with pytest.raises(FindingsError, match="reason is required"):
        dismiss_finding(db, finding.id, reason="  ", by="y")


def test_csv_import_is_all_or_nothing_with_line_numbers(db, config, tmp_path: Path) -> None:
    put_service(db, "s1", postcode="GL4")
    put_service(db, "s2", postcode="GL5")
    crawl(db)
    run_findings(db, config, today=TODAY)
    ids = [the_finding(db, "invalid_postcode", sid).id for sid in ("s1", "s2")]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "finding_id,kind,reason,dismissed_by\n"
        f"{ids[0]},false_alarm,Checked with provider,Jo\n"
        "abc,false_alarm,x,Jo\n"
        f"{ids[1]},maybe,x,Jo\n"
        "9999,,x,Jo\n",
        encoding="utf-8",
    )
    with pytest.raises(FindingsError) as error:
        import_dismissals(db, bad)
    message = str(error.value)
    assert "nothing imported" in message and "line 3" in message and "line 4" in message and "line 5" in message
    assert db["dismissals"].count == 0

    good = tmp_path / "good.csv"
    good.write_text(
        "finding_id,kind,reason,dismissed_by\n"
        f"{ids[0]},false alarm,Checked with provider,Jo\n"
        f"{ids[1]},won't fix,Provider's choice,Jo\n",
        encoding="utf-8",
    )
    assert import_dismissals(db, good).imported == 2
    assert store.open_findings(db) == []
    report = dismissals_report(db)
    assert {(c.rule, c.kind, c.active) for c in report.counts} == {
        ("invalid_postcode", "false_alarm", 1), ("invalid_postcode", "wont_fix", 1)}
    assert report.share_dismissed("invalid_postcode") == 0.5


def test_service_states_become_findings_and_page_missing_skips_content_rules(db, config) -> None:
    put_service(db, "gone", state="removed", removed_at="2025-06-01T02:00:00+00:00")
    # A missing page is a finding once two complete crawls in a row found it missing: the
    # two crawls store what they saw through the crawl's own store functions.
    for _ in range(2):
        crawl_missing_pages(db, [ServiceItem(directory_id="missing", url=f"https://{HOST}/x?id=missing",
                                             name="Youth club missing", http_status=404),
                                 ServiceItem(directory_id="api", url=f"https://{HOST}/services/api",
                                             name="Youth club api", http_status=404,
                                             extra={"oruk_detail_missing": True})])
    run_findings(db, config, today=TODAY)
    found = {(r.service_id, r.rule) for r in store.open_findings(db)}
    assert found == {("gone", "service_removed"), ("missing", "page_missing"), ("api", "oruk_detail_missing")}
    assert "missing since 1 June 2025" in the_finding(db, "service_removed", "gone").detail
    assert the_finding(db, "page_missing", "missing").subject == "service page"

    # The removed entry comes back: its finding is fixed.
    put_service(db, "gone", state="live")
    run_findings(db, config, today=TODAY)
    assert the_finding(db, "service_removed", "gone").status == "fixed"


@pytest.mark.parametrize(
    ("description", "verdict", "last_updated", "expected"),
    [
        # Says it has closed: one closure_wording finding carries the archive suggestion
        # (tests/test_folded_findings.py), whatever its website says.
        (DESCRIPTION + " This service has now closed.", None, "2025-05-02", False),
        (DESCRIPTION + " This service has now closed.", "broken", "2022-01-10", False),
        (DESCRIPTION, "parked", "2022-01-10", True),
        (DESCRIPTION, "broken", "2022-01-10", True),
        (DESCRIPTION, "broken", "2024-01-10", False),  # website gone but reviewed within two years
        (DESCRIPTION, "timeout", "2022-01-10", False),  # a timeout is not "gone"
        (DESCRIPTION, None, "2022-01-10", False),
    ],
)
def test_archive_candidates(db, config, description, verdict, last_updated, expected) -> None:
    put_service(db, description=description,
                dates=[{"label": "Last updated", "raw": last_updated, "value": last_updated}])
    if verdict:
        put_link(db, "s1", "https://www.northtown-trust.org.uk/", verdict, status_code=404)
    crawl(db)
    run_findings(db, config, today=TODAY)
    rules = {r.rule for r in store.open_findings(db)}
    assert ("archive_candidate" in rules) is expected
    assert ("closure_wording" in rules) is ("closed" in description)
    if expected:
        assert "Consider archiving" in the_finding(db, "archive_candidate").detail


def test_broken_website_is_folded_into_the_archive_candidate_that_quotes_it(db, config) -> None:
    put_service(db, dates=[{"label": "Last updated", "raw": "10/01/2022", "value": "2022-01-10"}])
    put_link(db, "s1", "https://www.northtown-trust.org.uk/", "broken", status_code=404)
    put_link(db, "s1", "https://other.example.org/page", "broken", status_code=404, field="description")
    crawl(db)
    run_findings(db, config, today=TODAY)
    found = sorted((r.rule, r.subject) for r in store.open_findings(db))
    # The website's link_broken is folded into the candidate; another broken link stays its own finding.
    assert found == [("archive_candidate", "entry"), ("link_broken", "https://other.example.org/page"),
                     ("stale_date", "review date")]
    [folded] = the_finding(db, "archive_candidate").evidence["folded"]
    assert folded["rule"] == "link_broken" and folded["subject"] == "https://www.northtown-trust.org.uk/"
    assert "https://www.northtown-trust.org.uk/" in the_finding(db, "archive_candidate").detail


@pytest.mark.parametrize(("verdict", "severity"), [("parked", "critical"), ("broken", "high")])
def test_the_folded_website_finding_keeps_its_severity_and_urgent_fix(db, config, verdict, severity) -> None:
    put_service(db, dates=[{"label": "Last updated", "raw": "10/01/2022", "value": "2022-01-10"}])
    put_link(db, "s1", "https://www.northtown-trust.org.uk/", verdict, status_code=200 if verdict == "parked" else 404)
    crawl(db)
    run_findings(db, config, today=TODAY)
    candidate = the_finding(db, "archive_candidate")
    assert candidate.severity == severity
    assert candidate.fix_hint.startswith("Remove the website link now") is (verdict == "parked")


def test_split_phone_value_and_its_tel_link_make_one_finding(db, config) -> None:
    put_service(db, contacts=[{"phone": "+1 (555) 010-9661", "email": "club@northtown-trust.org.uk"}])
    put_link(db, "s1", "tel:+15550109661", "invalid_phone", status_code=None, field="contact_phone")
    crawl(db)
    run_findings(db, config, today=TODAY)
    [row] = store.open_findings(db)
    assert (row.rule, row.subject) == ("invalid_phone", "telephone +1 (555) 010-9661")


def test_invalid_mailto_link_is_not_reported_twice(db, config) -> None:
    put_service(db, contacts=[{"phone": "0113 496 0999", "email": "club@gmail.con"}])
    put_link(db, "s1", "mailto:club@gmail.con", "invalid_email", status_code=None, field="contact_email")
    crawl(db)
    run_findings(db, config, today=TODAY)
    assert [r.rule for r in store.open_findings(db)] == ["invalid_email"]


def test_near_duplicates_and_filters(db, config) -> None:
    put_service(db, "a1", name="Sunshine Stay and Play", description=DESCRIPTION)
    put_service(db, "a2", name="Sunshine Stay & Play", description=DESCRIPTION)
    put_service(db, "b1", name="Riverside Parent Forum", postcode="GL4")
    crawl(db)
    run_findings(db, config, today=TODAY)
    dupes = list_findings(db, config, rule="near_duplicate")
    # One finding per pair, on the entry to archive: same dates, same length, so the later id.
    assert {(r.service_id, r.subject) for r in dupes} == {("a2", "duplicate of a1")}
    assert [r.service_id for r in list_findings(db, config, service_id="b1")] == ["b1"]
    assert [r.rule for r in list_findings(db, config, severity="low", service_id="b1")] == ["invalid_postcode"]
    with pytest.raises(FindingsError, match="unknown rule"):
        list_findings(db, config, rule="nonsense")


def test_disabled_rule_makes_no_finding_and_closes_old_ones(db, tmp_path) -> None:
    base = {"directory": {"start_urls": [f"https://{HOST}/"]}}
    put_service(db, postcode="GL4")
    crawl(db)
    run_findings(db, config_from_dict(base), today=TODAY)
    assert [r.rule for r in store.open_findings(db)] == ["invalid_postcode"]
    off = config_from_dict({**base, "content": {"rules": {"invalid_postcode": {"enabled": False}}}})
    run_findings(db, off, today=TODAY)
    assert store.open_findings(db) == []


def test_listing_agrees_with_the_worklist_visibility_rule(db, config) -> None:
    from localoffer_audit.store.worklists import visible_findings

    put_service(db, "s1", postcode="GL4")
    put_service(db, "s2", dates=[{"label": "Last updated", "raw": "3 March 2023", "value": "2023-03-03"}])
    put_link(db, "s2", "https://www.northtown-trust.org.uk/", "broken")
    crawl(db)
    run_findings(db, config, today=TODAY)
    dismiss_finding(db, the_finding(db, "invalid_postcode").id, reason="Farm", by="Jo")
    put_service(db, "s2")
    run_findings(db, config, today=TODAY)  # stale_date fixed
    listed = {r.id for r in store.open_findings(db) if r.confirmed}
    assert listed == {r.id for r in visible_findings(db)}
    assert {r.rule for r in store.open_findings(db)} == {"link_broken"}


def test_manager_filter_follows_the_mapping(db, config, tmp_path: Path) -> None:
    from localoffer_audit.findings.managers import import_mapping

    put_service(db, "s1", postcode="GL4")
    put_service(db, "s2", postcode="GL5", organisation="Riverside Parents")
    crawl(db)
    run_findings(db, config, today=TODAY)
    mapping = tmp_path / "managers.csv"
    mapping.write_text(
        "service_id,organisation,manager_name,manager_email\n"
        "s1,,Jo Bloggs,jo@northtown.gov.uk\n"
        ",Riverside Parents,Ann Other,ann@northtown.gov.uk\n",
        encoding="utf-8",
    )
    import_mapping(db, mapping)
    assert [r.service_id for r in list_findings(db, config, manager="JO@northtown.gov.uk")] == ["s1"]
    assert [r.service_id for r in list_findings(db, config, manager="ann@northtown.gov.uk")] == ["s2"]
    assert list_findings(db, config, manager="nobody@northtown.gov.uk") == []
