"""Safeguarding accuracy on the demo world across two nights.

On night 1 (the second) the world plants changed provider sites (demo/repurposed.py):
a casino page, an unrelated business, and three traps (a rebrand that says so, a
redesign, a benefits-advice page mentioning payday loans and National Lottery funding).
Only this test reads the manifest; the auditor knows nothing of the demo. The link
check re-checks every link each night here (recheck_ok_after_days = 0), as a council
would set it to catch a takeover the next morning.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from localoffer_audit.config import Config, config_from_dict
from localoffer_audit.demo import DemoWorld, run_demo_in_thread
from localoffer_audit.nightly import run_nightly
from localoffer_audit.findings.managers import import_mapping
from localoffer_audit.outputs.worklists import escalation_items
from localoffer_audit.store.db import open_db

SAFEGUARDING = ("link_harmful_content", "link_repurposed", "link_provider_not_named")


@dataclass
class Nights:
    config: Config
    night0: list[dict]
    night1: list[dict]
    manifest_day0: dict
    manifest_day1: dict
    escalated: list[tuple[str, str, str]]
    certificates: list[str | None]


def _safeguarding_findings(config: Config) -> list[dict]:
    db = open_db(config.database.path)
    try:
        marks = ", ".join("?" for _ in SAFEGUARDING)
        return list(db.query(
            f"SELECT service_id, rule, subject, severity, status FROM findings WHERE rule IN ({marks})", list(SAFEGUARDING)))
    finally:
        db.close()


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nights]:
    out = tmp_path_factory.mktemp("safeguarding")
    world = DemoWorld(seed=7, services=150)
    assert {p.kind for p in world.plants.values()} >= {"casino", "unrelated_business", "rebrand_trap", "redesign_trap"}
    with run_demo_in_thread(world, workdir=out / "demo-web") as demo:
        data = demo.config_dict(out)
        data["links"]["recheck_ok_after_days"] = 0
        config = config_from_dict(data)
        db = open_db(config.database.path)
        import_mapping(db, demo.write_managers_csv(out / "managers.csv"))
        db.close()
        day0 = demo.manifest()
        today = date.fromisoformat(day0["world"]["day0_date"])
        run_nightly(config, today=today)
        night0 = _safeguarding_findings(config)
        demo.set_day(1)
        day1 = demo.manifest()
        run_nightly(config, today=today + timedelta(days=1))
        night1 = _safeguarding_findings(config)
        db = open_db(config.database.path)
        try:
            escalated = [(i.line.service_id, i.line.rule, i.line.subject)
                         for i in escalation_items(db, config, today=today + timedelta(days=1))]
            certificates = [row[0] for row in db.execute(
                "SELECT json_extract(current, '$.cert_subject') FROM link_pages "
                "WHERE json_extract(current, '$.final_url') LIKE 'https://%'")]
        finally:
            db.close()
        yield Nights(config, night0, night1, day0, day1, escalated, certificates)


def _expected(manifest: dict) -> dict[tuple[str, str], str | None]:
    return {
        (sid, url): rule
        for url, entry in manifest["safeguarding"].items()
        for sid, rule in entry["expected"].items()
    }


@pytest.mark.slow
def test_night_one_has_no_plant_and_no_safeguarding_flag(nights: Nights) -> None:
    assert not any(p["active"] for p in nights.manifest_day0["plants"].values())
    # First sight of every link: the count reported in docs/verdicts.md.
    print(f"first-sight safeguarding flags on night 1: {len(nights.night0)}")
    assert nights.night0 == [], nights.night0


@pytest.mark.slow
def test_every_planted_site_is_found_on_night_two_and_no_trap_is_flagged(nights: Nights) -> None:
    expected = _expected(nights.manifest_day1)
    wanted = {key: rule for key, rule in expected.items() if rule}
    kinds = {entry["kind"] for entry in nights.manifest_day1["safeguarding"].values()}
    assert {"casino", "unrelated_business", "rebrand_trap", "redesign_trap"} <= kinds
    found = {(f["service_id"], f["subject"]): f for f in nights.night1 if f["status"] in ("open", "reopened")}
    for key, rule in wanted.items():
        assert key in found, f"missed {rule} on {key}"
        assert found[key]["rule"] == rule, (key, found[key])
        assert found[key]["severity"] == "critical"
    false_flags = {key: f["rule"] for key, f in found.items() if expected.get(key) is None}
    assert false_flags == {}, false_flags
    print(f"planted: {len(wanted)} links to find, {len(expected) - len(wanted)} trap links; found {len(wanted)}; false flags 0")


@pytest.mark.slow
def test_planted_findings_go_to_the_local_offer_team_at_once(nights: Nights) -> None:
    wanted = {(sid, url) for (sid, url), rule in _expected(nights.manifest_day1).items() if rule}
    escalated = {(sid, subject) for sid, rule, subject in nights.escalated if rule in SAFEGUARDING}
    assert wanted <= escalated, wanted - escalated


@pytest.mark.slow
def test_https_pages_keep_the_certificate_subject_they_came_over(nights: Nights) -> None:
    # The demo's CA issues its certificates with the organisation "trustme ...".
    assert nights.certificates and all(c and c.startswith("O=trustme") for c in nights.certificates), nights.certificates[:5]
