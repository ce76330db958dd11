"""End to end on the demo world: crawl it, run the content rules, draw a QA sample,
fill the reviewers' CSV as a reviewer would (deciding from the demo's ground truth),
import it, and check the report's figures against figures computed here.

Only this test reads the manifest; the QA code never does. Link checks are not run
(they take most of a minute on the demo's hanging hosts), so the tool's flags are its
content findings and link problems are ones reviewers find and the tool "missed".
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from localoffer_audit.config import config_from_dict
from localoffer_audit.crawl.runner import run_crawl
from localoffer_audit.parsing.csvsafe import unescape_cell
from localoffer_audit.store.db import open_db
from localoffer_audit.demo import DemoWorld, run_demo_in_thread
from localoffer_audit.findings.lifecycle import run_findings
from localoffer_audit.findings.managers import import_mapping
from localoffer_audit.models import RunStatus
from localoffer_audit.outputs.qa import ReviewOutcome, SampleRequest, draw_sample, import_reviews, qa_report
from localoffer_audit.store.qa import sample_items
from localoffer_audit.outputs.sampling import ReviewedUnit, estimate_share, wilson_interval

pytestmark = pytest.mark.slow

# Link verdicts a reviewer clicking the link would see as a problem with the entry.
PROBLEM_VERDICTS = {
    "broken", "server_error", "timeout", "soft_404", "parked", "tls_error", "moved_offsite",
    "internal_address", "invalid_email", "invalid_phone",
}


def reviewer_verdict(manifest: dict, service_id: str) -> ReviewOutcome:
    """What a careful reviewer would decide, from the demo's ground truth (only services
    are sampled: the advice pages read with [directory] read_advice_pages never are)."""
    entry = manifest["services"][service_id]
    rules = set(entry.get("expected_rules", []))
    if rules & {"archive_candidate", "closure_wording"}:
        return ReviewOutcome.SHOULD_BE_ARCHIVED
    bad_links = any(
        service_id in link["services"] and link["verdict"] in PROBLEM_VERDICTS and link["platform"] in ("both", "fsd")
        for link in manifest["links"].values()
    )
    return ReviewOutcome.NEEDS_FIXING if rules or bad_links else ReviewOutcome.ACCURATE


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    folder = tmp_path_factory.mktemp("qa-demo")
    with run_demo_in_thread(DemoWorld(seed=1, services=400)) as demo:
        config = config_from_dict(demo.config_dict(folder))
        summary = run_crawl(config, config.database.path)
        assert summary.status == RunStatus.COMPLETE
        manifest = demo.manifest()
        today = demo.world.today
        demo.write_managers_csv(config.managers.mapping_file)
    db = open_db(config.database.path)
    run_findings(db, config, today=today)
    yield db, config, manifest, folder
    db.close()


def fill(path: Path, manifest: dict) -> dict[str, ReviewOutcome]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    decided: dict[str, ReviewOutcome] = {}
    for row in rows:
        service_id = unescape_cell(row["service_id"])
        outcome = reviewer_verdict(manifest, service_id)
        decided[service_id] = outcome
        row.update(reviewer="QA group", outcome=str(outcome), what_was_wrong="" if outcome is ReviewOutcome.ACCURATE else "see notes")
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return decided


def test_a_qa_round_on_the_demo(audited) -> None:
    db, config, manifest, folder = audited
    # The population is the live service entries, never the advice pages the crawl read.
    live = {row[0] for row in db.execute("SELECT id FROM services WHERE state = 'live'")} - set(manifest["advice_pages"])
    assert live and len(live) < db.execute("SELECT COUNT(*) FROM services WHERE state = 'live'").fetchone()[0]
    drawn = draw_sample(db, config, SampleRequest(seed=20261125), folder / "qa")
    assert drawn.population == len(live) and drawn.sample_size == drawn.size_calculation.n
    assert {u.service_id for u in drawn.units} <= live
    # The pack shows each sampled service with the links stored for it.
    soup = BeautifulSoup(drawn.pack_html.read_text(encoding="utf-8"), "html.parser")
    sections = {section["id"].removeprefix("service-"): section for section in soup.select("section.service")}
    assert set(sections) == {u.service_id for u in drawn.units}
    for service_id, section in sections.items():
        hrefs = {a["href"] for a in section.find_all("a")}
        stored = {row[0] for row in db.execute("SELECT url FROM link_places WHERE service_id = ?", [service_id])}
        assert {url for url in stored if url.startswith(("http://", "https://"))} <= hrefs
    decided = fill(drawn.pack_csv, manifest)
    result = import_reviews(db, drawn.pack_csv, folder / "qa")
    assert result.imported == drawn.sample_size
    report = result.report

    # The weighted estimate, computed here from the stored strata and the verdicts.
    items = sample_items(db, drawn.sample_id)
    strata: dict[str, tuple[int, list[bool]]] = {}
    for item in items:
        size, verdicts = strata.setdefault(item.stratum, (item.stratum_population, []))
        verdicts.append(decided[item.service_id].needs_action)
    total = sum(size for size, _ in strata.values())
    assert total == len(live)
    expected_share = sum(size / total * sum(v) / len(v) for size, v in strata.values())
    assert report.estimate.share == pytest.approx(expected_share)
    inverse_n_eff = sum((size / total) ** 2 * (1 - len(v) / size) / len(v) for size, v in strata.values())
    assert (report.estimate.low, report.estimate.high) == pytest.approx(
        wilson_interval(expected_share / inverse_n_eff, 1 / inverse_n_eff)
    )
    # The demo's true share of live services needing action is not far off: within the
    # 99.9% interval (a 95% one misses 1 time in 20 by design; tests/test_sampling.py
    # checks that coverage over many draws).
    truth = sum(reviewer_verdict(manifest, sid).needs_action for sid in live) / len(live)
    assert_close_to_truth(items, decided, truth)

    # Agreement, counted from the findings table and the verdicts.
    flagged = {
        sid
        for (sid,) in db.execute(
            "SELECT DISTINCT service_id FROM findings WHERE status IN ('open', 'reopened') AND confirmed = 1 "
            "AND severity != 'info'"
        )
    }
    problems = {sid for sid, outcome in decided.items() if outcome.needs_action}
    agreement = report.agreement
    assert agreement.reviewer_found_problems == len(problems) > 0
    assert agreement.tool_flagged == len(flagged & set(decided))
    assert agreement.both_found == len(problems & flagged) > 0
    # The content rules are precise: what they flag, reviewers confirm.
    assert agreement.precision is not None and agreement.precision >= 0.9

    # A second round by content manager, leaving out the services just reviewed.
    import_mapping(db, config.managers.mapping_file)
    second = draw_sample(db, config, SampleRequest(strata="manager", seed=2, exclude_reviewed_within_days=30), folder / "qa")
    assert second.excluded == drawn.sample_size
    assert not {u.service_id for u in second.units} & set(decided)
    # Strata are the content managers the demo's mapping names (the default owner for
    # unmapped services), with as many services each as the ground truth says.
    default = f"{config.managers.default_owner_name} <{config.managers.default_owner_email}>"
    expected_sizes = Counter(
        f"{entry['manager']['name']} <{entry['manager']['email']}>" if entry["manager"] else default
        for sid, entry in manifest["services"].items()
        if sid in live and sid not in decided
    )
    assert not second.pooled_strata
    assert {a.stratum: a.population for a in second.allocation} == dict(expected_sizes)
    fill(second.pack_csv, manifest)
    import_reviews(db, second.pack_csv, folder / "qa")
    trend = qa_report(db).trend
    assert [r.sample_id for r in trend] == [drawn.sample_id, second.sample_id]
    # The second round speaks for the services that were eligible for it.
    eligible = live - set(decided)
    truth_eligible = sum(reviewer_verdict(manifest, sid).needs_action for sid in eligible) / len(eligible)
    assert trend[1].estimate.population == len(eligible)
    second_verdicts = {sid: reviewer_verdict(manifest, sid) for sid in (u.service_id for u in second.units)}
    assert_close_to_truth(sample_items(db, second.sample_id), second_verdicts, truth_eligible)


def assert_close_to_truth(items, verdicts: dict[str, ReviewOutcome], truth: float) -> None:
    populations = {item.stratum: item.stratum_population for item in items}
    units = [ReviewedUnit(item.stratum, verdicts[item.service_id].needs_action) for item in items]
    wide = estimate_share(units, populations, confidence=0.999)
    assert wide.low <= truth <= wide.high, (truth, wide.share, wide.low, wide.high)
