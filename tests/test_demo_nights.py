"""What the plain `localoffer-audit demo` shows on its second night, with the demo's own
config (demo/runner.py): the planted safeguarding sites are found, because the demo
re-reads every link each night, and one content manager whose problems were all fixed
gets the all-clear email (send_all_clear is on in the demo's config).

Only this test reads the ground truth (the manifest); the auditor knows nothing of it.
"""

from __future__ import annotations

import email
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from localoffer_audit.demo.audit import DemoAudit, audit_demo
from localoffer_audit.demo.managers import MANAGERS, ORG_MANAGERS
from localoffer_audit.demo.manifest import build_manifest
from localoffer_audit.demo.world import CLEANED_UP_ORG, DemoWorld
from localoffer_audit.demo import vocab
from localoffer_audit.store.db import open_db

SEED, SERVICES = 7, 150
CLEANED_UP_MANAGER = MANAGERS[ORG_MANAGERS[[name for name, _, _ in vocab.BIG_ORGS].index(CLEANED_UP_ORG)]][1]


def _problems(manifest: dict, manager_email: str) -> dict[str, list[str]]:
    """The ground truth's problems on the manager's live services: rules and bad links."""
    problems: dict[str, list[str]] = {}
    for sid, entry in manifest["services"].items():
        if (entry["manager"] or {}).get("email") != manager_email:
            continue
        bad = [f"{url} {link['verdict']}" for url, link in manifest["links"].items()
               if sid in link["services"] and link["verdict"] != "ok"]
        if entry["expected_rules"] or bad:
            problems[sid] = entry["expected_rules"] + bad
    return problems


def test_the_cleaned_up_managers_problems_are_all_fixed_on_night_two() -> None:
    world = DemoWorld(seed=SEED, services=SERVICES)
    # The organisation is this manager's alone, so no other manager's entries are involved.
    assert list(ORG_MANAGERS.values()).count(MANAGERS.index(next(m for m in MANAGERS if m[1] == CLEANED_UP_MANAGER))) == 1
    night0 = _problems(build_manifest(world), CLEANED_UP_MANAGER)
    assert night0, "the manager must have something to fix on night 1, or the all-clear shows nothing"
    for day in (1, 2, 5):
        world.set_day(day)
        manifest = build_manifest(world)
        assert any(e["manager"] and e["manager"]["email"] == CLEANED_UP_MANAGER for e in manifest["services"].values())
        assert _problems(manifest, CLEANED_UP_MANAGER) == {}, day
    # Every other manager still has work: the world did not get tidied as a whole.
    others = {m[1] for m in MANAGERS} - {CLEANED_UP_MANAGER}
    world.set_day(1)
    manifest = build_manifest(world)
    assert sum(1 for manager in others if _problems(manifest, manager)) >= len(others) - 2


@dataclass
class Demo:
    audit: DemoAudit
    out: Path
    manifest_day1: dict


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    out = tmp_path_factory.mktemp("demo-nights")
    result = audit_demo(out, services=SERVICES, seed=SEED)
    assert result.stopped_at is None, result.stopped_night
    yield Demo(result, out, build_manifest(DemoWorld(seed=SEED, services=SERVICES, day=1)))


@pytest.mark.slow
def test_the_demo_config_rechecks_every_link_each_night(demo: Demo) -> None:
    config = tomllib.loads((demo.out / "localoffer-audit.toml").read_text(encoding="utf-8"))
    assert config["links"]["recheck_ok_after_days"] == 0


@pytest.mark.slow
def test_night_two_of_the_demo_finds_the_planted_sites(demo: Demo) -> None:
    wanted = {(sid, url): rule for url, entry in demo.manifest_day1["safeguarding"].items()
              for sid, rule in entry["expected"].items() if rule}
    assert {"link_repurposed", "link_harmful_content"} <= set(wanted.values())
    night2 = demo.audit.nights[1].run_id
    db = open_db(demo.out / "localoffer-audit.db")
    try:
        found = {(row["service_id"], row["subject"]): row["rule"] for row in db.query(
            "SELECT service_id, subject, rule FROM findings WHERE rule IN ('link_repurposed', 'link_harmful_content') "
            "AND status IN ('open', 'reopened')")}
        nights = [row["id"] for row in db.query("SELECT id FROM runs WHERE kind = 'nightly' ORDER BY id")]
    finally:
        db.close()
    assert nights[-1] == night2
    assert {key: found.get(key) for key in wanted} == wanted


@pytest.mark.slow
def test_the_demo_writes_an_all_clear_email_for_the_manager_with_nothing_left(demo: Demo) -> None:
    previews = {}
    for path in sorted((demo.out / "output" / "emails").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes())
        previews.setdefault(message["To"], []).append(message["Subject"])
    clear = {to: subjects for to, subjects in previews.items() if any("nothing to fix" in s for s in subjects)}
    assert [to for to in clear if CLEANED_UP_MANAGER in to] and len(clear) == 1, previews
