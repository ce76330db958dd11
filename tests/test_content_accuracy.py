"""Accuracy of the content rules on the demo world, scored against its ground truth.

The demo (FSD shape) is crawled into a temporary database, its links are checked (for
archive candidates, whose evidence includes a dead website), and the findings are made
with the demo's own "today". For every content class in the manifest: precision at
least 0.97 and recall at least 0.95, counted per service. The rules know nothing of the
demo; only this test reads its manifest.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest

from localoffer_audit.checks.stage import run_link_checks
from localoffer_audit.config import config_from_dict
from localoffer_audit.crawl.runner import run_crawl
from localoffer_audit.db import open_db
from localoffer_audit.demo import DemoWorld, run_demo_in_thread
from localoffer_audit.demo.manifest import CONTENT_RULES
from localoffer_audit.findings import run_findings
from localoffer_audit.queries.findings import open_findings

MIN_PRECISION = 0.97
MIN_RECALL = 0.95


def _open_rules(db) -> tuple[dict[str, set[str]], dict[tuple[str, str], str]]:
    found: dict[str, set[str]] = {}
    messages: dict[tuple[str, str], str] = {}
    for row in open_findings(db):
        found.setdefault(row.service_id, set()).add(row.rule)
        messages[(row.service_id, row.rule)] = row.detail
    return found, messages


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Night 0 crawled, link-checked and scored; then night 2 (some faults fixed, some new,
    two entries removed) crawled and run through the lifecycle."""
    tmp_path = tmp_path_factory.mktemp("accuracy")
    with run_demo_in_thread(DemoWorld(seed=1, services=400)) as running:
        manifest = running.manifest()
        config = config_from_dict(running.config_dict(tmp_path))
        run_crawl(config, config.database.path)
        db = open_db(config.database.path)
        try:
            run_link_checks(db, config)
            summary = run_findings(db, config, today=date.fromisoformat(manifest["world"]["today"]))
            found, messages = _open_rules(db)
            statuses_before = {(r.service_id, r.rule): r.status for r in open_findings(db, status="all")}
        finally:
            db.close()
        running.set_day(2)
        manifest1 = running.manifest()
        run_crawl(config, config.database.path)
        db = open_db(config.database.path)
        try:
            summary1 = run_findings(db, config, today=date.fromisoformat(manifest1["world"]["today"]))
            found1, _ = _open_rules(db)
            statuses = {(r.service_id, r.rule): r.status for r in open_findings(db, status="all")}
        finally:
            db.close()
    return {"manifest": manifest, "found": found, "summary": summary, "messages": messages,
            "manifest1": manifest1, "found1": found1, "summary1": summary1, "statuses": statuses,
            "statuses_before": statuses_before}


def score(manifest: dict[str, Any], found: dict[str, set[str]]) -> dict[str, dict[str, Any]]:
    truth: dict[str, tuple[set[str], set[str]]] = {
        sid: (set(entry["expected_rules"]), set(entry["tolerated_rules"]))
        for sid, entry in manifest["services"].items()
    }
    for sid, entry in manifest.get("removed_services", {}).items():
        truth.setdefault(sid, (set(entry["expected_rules"]), set()))
    results: dict[str, dict[str, Any]] = {}
    for rule in CONTENT_RULES:
        counts: Counter[str] = Counter()
        false_alarms, misses = [], []
        for sid in set(truth) | set(found):
            expected, tolerated = truth.get(sid, (set(), set()))
            got = rule in found.get(sid, set())
            if rule in expected:
                counts["tp" if got else "fn"] += 1
                if not got:
                    misses.append(sid)
            elif got and rule not in tolerated:
                counts["fp"] += 1
                false_alarms.append(sid)
        tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
        results[rule] = {
            "tp": tp, "fp": fp, "fn": fn,
            "precision": tp / (tp + fp) if tp + fp else 1.0,
            "recall": tp / (tp + fn) if tp + fn else 1.0,
            "false_alarms": sorted(false_alarms)[:5], "misses": sorted(misses)[:5],
        }
    return results


@pytest.mark.slow
def test_precision_and_recall_per_content_class(scored: dict[str, Any]) -> None:
    results = score(scored["manifest"], scored["found"])
    report = "\n".join(
        f"{rule:<26} tp={r['tp']:<4} fp={r['fp']:<3} fn={r['fn']:<3} "
        f"precision={r['precision']:.3f} recall={r['recall']:.3f} fp:{r['false_alarms']} fn:{r['misses']}"
        for rule, r in results.items()
    )
    print(report)
    failing = [rule for rule, r in results.items() if r["precision"] < MIN_PRECISION or r["recall"] < MIN_RECALL]
    assert not failing, f"below precision {MIN_PRECISION} / recall {MIN_RECALL}:\n{report}"
    classes_present = [rule for rule, r in results.items() if r["tp"] + r["fn"] > 0]
    assert len(classes_present) >= 10, f"the demo planted too few classes to score: {classes_present}"


@pytest.mark.slow
def test_fix_hints_name_concrete_values(scored: dict[str, Any]) -> None:
    manifest, messages = scored["manifest"], scored["messages"]
    for (sid, rule), detail in messages.items():
        entry = manifest["services"].get(sid)
        if rule == "stale_date" and entry and entry["last_updated"]:
            shown = date.fromisoformat(entry["last_updated"])
            assert str(shown.year) in detail and "over 12 months ago" in detail, detail


@pytest.mark.slow
def test_the_next_night_fixes_opens_and_notices_removals(scored: dict[str, Any]) -> None:
    manifest0, manifest1 = scored["manifest"], scored["manifest1"]
    summary1, statuses = scored["summary1"], scored["statuses"]
    assert summary1.status == "complete"
    # Entries gone from the directory tonight are reported, and only those.
    removed = set(manifest1["removed_services"])
    reported = {sid for sid, rules in scored["found1"].items() if "service_removed" in rules}
    assert reported == removed
    # Content faults fixed overnight are marked fixed; faults new tonight are open.
    content = set(CONTENT_RULES) - {"archive_candidate", "service_removed", "near_duplicate"}
    fixed_expected, opened_expected = set(), set()
    for sid, entry in manifest1["services"].items():
        before = set(manifest0["services"].get(sid, {}).get("expected_rules", [])) & content
        after = set(entry["expected_rules"]) & content
        fixed_expected |= {(sid, rule) for rule in before - after}
        opened_expected |= {(sid, rule) for rule in after - before}
    print(f"night 2: removed {len(removed)}, faults fixed {len(fixed_expected)}, faults new {len(opened_expected)}, counts {summary1.counts}")
    assert removed and fixed_expected and opened_expected, "the demo changed too little to test the lifecycle"
    for key in fixed_expected:
        if key in scored["statuses_before"]:
            assert statuses.get(key) == "fixed", (key, statuses.get(key))
    for key in opened_expected:
        assert statuses.get(key) in ("open", "reopened"), (key, statuses.get(key))
    assert summary1.counts["fixed"] >= len(fixed_expected & set(scored["statuses_before"]))
