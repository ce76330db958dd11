"""Shared test helpers (moved from test_content_accuracy.py)."""

from __future__ import annotations

from collections import Counter
from typing import Any
from localoffer_audit.demo.manifest import CONTENT_RULES
from localoffer_audit.store.findings import open_findings


MIN_PRECISION = 0.97


MIN_RECALL = 0.95


def _open_rules(db) -> tuple[dict[str, set[str]], dict[tuple[str, str], str]]:
    found: dict[str, set[str]] = {}
    messages: dict[tuple[str, str], str] = {}
    for row in open_findings(db):
        found.setdefault(row.service_id, set()).add(row.rule)
        messages[(row.service_id, row.rule)] = row.detail
    return found, messages


def score(manifest: dict[str, Any], found: dict[str, set[str]],
          rules: tuple[str, ...] = CONTENT_RULES) -> dict[str, dict[str, Any]]:
    truth: dict[str, tuple[set[str], set[str]]] = {
        sid: (set(entry["expected_rules"]), set(entry["tolerated_rules"]))
        for sid, entry in manifest["services"].items()
    }
    for sid, entry in manifest.get("removed_services", {}).items():
        truth.setdefault(sid, (set(entry["expected_rules"]), set()))
    results: dict[str, dict[str, Any]] = {}
    for rule in rules:
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
