"""Accuracy of the content rules on the demo world read through its ORUK API (v1 and v3).

The same world as tests/test_content_accuracy.py, crawled with platform "oruk": the
services are keyed by their ORUK ids, the rules see what the API serves (description,
schedules, fees and cost options, eligibility, locations), and the truth is the
manifest's ``expected_rules_oruk`` / ``tolerated_rules_oruk``. Same bar per content
class: precision at least 0.97 and recall at least 0.95.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from localoffer_audit.links.stage import run_link_checks
from localoffer_audit.config import config_from_dict
from localoffer_audit.crawl.runner import run_crawl
from localoffer_audit.store.db import open_db
from localoffer_audit.demo import DemoWorld, run_demo_in_thread
from localoffer_audit.findings.lifecycle import run_findings

from .support.accuracy import MIN_PRECISION, MIN_RECALL, _open_rules, score

# Classes whose faults the FSD pages carry in labelled fields ("Notes", "Session
# Information", "Opening Times", "Cost"): the ORUK feed must carry them too. (A closure
# is one closure_wording finding carrying the archive: archive_candidate is no longer
# made from free text.)
FREE_TEXT_CLASSES = ("past_event", "covid_notice", "closure_wording", "placeholder_text")


def oruk_truth(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest re-keyed by ORUK id, with the ORUK expectations as the expectations."""
    services = {
        str(entry["oruk_id"]): {
            "expected_rules": entry["expected_rules_oruk"],
            "tolerated_rules": entry["tolerated_rules_oruk"],
        }
        for entry in manifest["services"].values()
    }
    # Removed services are keyed by FSD id only; none is reported on the first night.
    return {"services": services, "removed_services": {}}


@pytest.fixture(scope="module", params=["oruk", "oruk3"])
def scored_oruk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Night 0 read through the v1 ("oruk") or the v3 ("oruk3") API, link-checked and scored."""
    tmp_path = tmp_path_factory.mktemp(f"accuracy_{request.param}")
    with run_demo_in_thread(DemoWorld(seed=1, services=400)) as running:
        manifest = running.manifest()
        config = config_from_dict(running.config_dict(tmp_path, platform=request.param))
        # Twice: a missing record is a finding once two crawls in a row found it missing.
        run_crawl(config, config.database.path)
        summary = run_crawl(config, config.database.path)
        db = open_db(config.database.path)
        try:
            run_link_checks(db, config)
            run_findings(db, config, today=date.fromisoformat(manifest["world"]["today"]))
            found, _ = _open_rules(db)
        finally:
            db.close()
    return {"manifest": manifest, "crawl": summary, "found": found}


@pytest.mark.slow
def test_oruk_precision_and_recall_per_content_class(scored_oruk: dict[str, Any]) -> None:
    results = score(oruk_truth(scored_oruk["manifest"]), scored_oruk["found"])
    report = "\n".join(
        f"{rule:<26} tp={r['tp']:<4} fp={r['fp']:<3} fn={r['fn']:<3} "
        f"precision={r['precision']:.3f} recall={r['recall']:.3f} fp:{r['false_alarms']} fn:{r['misses']}"
        for rule, r in results.items()
    )
    print(report)
    failing = [rule for rule, r in results.items() if r["precision"] < MIN_PRECISION or r["recall"] < MIN_RECALL]
    assert not failing, f"below precision {MIN_PRECISION} / recall {MIN_RECALL}:\n{report}"
    present = [rule for rule in FREE_TEXT_CLASSES if results[rule]["tp"] + results[rule]["fn"] > 0]
    assert present == list(FREE_TEXT_CLASSES), f"the demo planted too few free-text faults to score: {present}"
    both = sorted(sid for sid, rules in scored_oruk["found"].items() if {"closure_wording", "archive_candidate"} <= rules)
    assert not both, f"a closure reported twice (closure_wording and archive_candidate): {both}"
