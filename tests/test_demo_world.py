"""The demo world's data model: deterministic, scalable, with the faults it claims."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from localoffer_audit.config import config_from_dict
from localoffer_audit.parsing.csvsafe import unescape_cell
from localoffer_audit.demo import DemoWorld, to_toml, write_hosts_file
from localoffer_audit.demo.managers import write_managers_csv
from localoffer_audit.demo.manifest import CONTENT_RULES, build_manifest
from localoffer_audit.demo.views import build_view

from .support.demo import read_hosts_file

TODAY = date(2026, 11, 25)
BASE = "http://127.0.0.1:9/kb5/northmoor/directory/"


def test_same_seed_same_world_and_manifest() -> None:
    first = build_manifest(DemoWorld(seed=11, services=300, today=TODAY), BASE)
    second = build_manifest(DemoWorld(seed=11, services=300, today=TODAY), BASE)
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    other = build_manifest(DemoWorld(seed=12, services=300, today=TODAY), BASE)
    assert set(other["services"]) != set(first["services"])
    assert set(other["links"]) != set(first["links"])


def test_same_seed_same_manifest_in_another_process() -> None:
    """No use of Python's per-process hash randomisation anywhere."""
    code = (
        "import json,datetime;from localoffer_audit.demo import DemoWorld, build_manifest;"
        "m=build_manifest(DemoWorld(seed=4,services=120,today=datetime.date(2026,11,25)),'http://h/');"
        "print(json.dumps(m,sort_keys=True))"
    )
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout for seed in ("1", "2")]
    assert runs[0] == runs[1]


def test_manifest_uses_only_known_rule_ids_and_verdicts() -> None:
    from localoffer_audit.models import LinkVerdict

    manifest = build_manifest(DemoWorld(seed=1, services=400, today=TODAY), BASE)
    rules = {rule for s in manifest["services"].values() for rule in s["expected_rules"] + s["expected_rules_oruk"] + s["tolerated_rules"]}
    assert rules <= set(CONTENT_RULES)
    assert "plain_english" not in rules
    for entry in manifest["links"].values():
        assert entry["verdict"] in {v.value for v in LinkVerdict}
        assert set(entry["tolerated"]) <= {v.value for v in LinkVerdict}
    # Every content fault class is planted at the default size, on a minority of services.
    counts = manifest["counts"]["by_rule"]
    for rule in ("stale_date", "missing_date", "past_event", "covid_notice", "closure_wording", "no_contact_route",
                 "short_description", "placeholder_text", "invalid_phone", "invalid_email", "invalid_postcode",
                 "website_is_directory_page", "near_duplicate", "page_missing", "archive_candidate"):
        assert 0 < counts.get(rule, 0) < 0.3 * 400, (rule, counts.get(rule))
    traps = manifest["counts"]["by_trap"]
    for trap in ("covid_vaccination", "founded_year", "lost_property", "freephone_0800", "nongeo_0300", "open_mon_fri"):
        assert traps.get(trap, 0) > 0, trap


def test_planted_faults_and_traps_are_on_the_page_text() -> None:
    world = DemoWorld(seed=2, services=400, today=TODAY)
    for index in world.state.listed:
        record = world.records[index]
        view = build_view(world, record, world.day, BASE)
        text = " ".join([view.description_text, view.notes or "", view.session_info or "", view.opening_times or "", view.cost or ""])
        for rule in ("covid_notice", "closure_wording", "past_event"):
            if rule in view.planted:
                planted = view.planted[rule].split(": ", 1)[1]
                assert planted in text, (record.sid, rule)
        if "short_description" in view.planted:
            assert len(view.description_text) < 40
        elif "page_missing" not in record.active_faults(0):
            assert len(view.description_text) >= 60, (record.sid, view.description_text)
        if "no_contact_route" in view.planted:
            assert not view.phones and not view.emails and view.website is None
        if "founded_year" in view.traps:
            assert re.search(r"(founded|established) in \d{4}|since \d{4}", text, re.I)
        # A clean entry's past years appear only in trap wording (founded/established/since).
        if "past_event" not in view.planted:
            for year in re.findall(r"\b(20[12]\d)\b", view.description_text):
                assert re.search(rf"(founded in|established in|since|summer|september) {year}", view.description_text, re.I), (record.sid, year)


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {tuple(words[i:i + 4]) for i in range(max(0, len(words) - 3))}


def test_only_planted_pairs_are_near_duplicates() -> None:
    world = DemoWorld(seed=1, services=400, today=TODAY)
    views = {i: build_view(world, world.records[i], 0, BASE) for i in world.state.listed}
    shingles = {i: _shingles(v.description_text) for i, v in views.items()}
    planted = {(r.index, r.twin) for r in world.records if r.twin is not None}
    assert planted
    for a, b in planted:
        if a in shingles and b in shingles:
            inter = len(shingles[a] & shingles[b]) / max(1, len(shingles[a] | shingles[b]))
            assert inter > 0.5, (world.records[a].name, world.records[b].name, inter)
    # Traps planted alike on purpose: other providers' services written from one template
    # (world._plant_provider_titles), alike in text, two services all the same.
    templated: dict[int, list[int]] = {}
    for i in views:
        if world.records[i].template_of is not None:
            templated.setdefault(world.records[i].template_of, []).append(i)
    assert len(templated) >= 2 and all(len(group) == 3 for group in templated.values())
    for group in templated.values():
        for pos, a in enumerate(group):
            for b in group[pos + 1:]:
                assert world.records[a].org != world.records[b].org
                jaccard = len(shingles[a] & shingles[b]) / len(shingles[a] | shingles[b])
                assert jaccard > 0.5, (views[a].name, views[b].name, jaccard)
    same_template = {(a, b) for group in templated.values() for a in group for b in group}
    stock = {i for i, v in views.items() if "short_description" in v.planted or v.planted.get("placeholder_text", "").startswith("description")}
    indexes = sorted(set(shingles) - stock)
    for pos, a in enumerate(indexes):
        for b in indexes[pos + 1:]:
            if (a, b) in planted or (b, a) in planted or (a, b) in same_template or not shingles[a] or not shingles[b]:
                continue
            jaccard = len(shingles[a] & shingles[b]) / len(shingles[a] | shingles[b])
            assert jaccard < 0.5, (views[a].name, views[b].name, jaccard)


def test_days_change_faults_services_and_transients() -> None:
    world = DemoWorld(seed=1, services=400, today=TODAY)
    day0 = build_manifest(world, BASE)
    world.set_day(5)
    day5 = build_manifest(world, BASE)
    assert day5["world"]["today"] == "2026-11-30"
    assert day5["added_today"] and all(sid in day5["services"] for sid in day5["added_today"])
    assert day5["removed_services"]
    assert all(sid not in day5["services"] for sid in day5["removed_services"])
    fixed = [sid for sid, s in day0["services"].items() if sid in day5["services"] and set(s["expected_rules"]) - set(day5["services"][sid]["expected_rules"])]
    new = [sid for sid, s in day5["services"].items() if sid in day0["services"] and set(s["expected_rules"]) - set(day0["services"][sid]["expected_rules"])]
    assert fixed and new
    transient = lambda m: {u for u, e in m["links"].items() if e["behaviour"] in {"transient_503", "rate_limited_429"}}  # noqa: E731
    assert transient(day0) and transient(day5) and transient(day0) != transient(day5)
    broken = lambda m: {u for u, e in m["links"].items() if e["verdict"] == "broken"}  # noqa: E731
    assert broken(day0) - broken(day5), "some broken links are fixed by night 5"
    # A fixed record shows a fresh "last updated" date.
    for sid in fixed:
        if "stale_date" in day0["services"][sid]["expected_rules"] and "stale_date" not in day5["services"][sid]["expected_rules"]:
            assert day5["services"][sid]["last_updated"] > day0["services"][sid]["last_updated"]
    # Same (seed, day) gives the same night, whichever way it was reached.
    direct = build_manifest(DemoWorld(seed=1, services=400, day=5, today=TODAY), BASE)
    assert json.dumps(direct, sort_keys=True) == json.dumps(day5, sort_keys=True)


def test_managers_csv(tmp_path: Path) -> None:
    world = DemoWorld(seed=1, services=400, today=TODAY)
    path = write_managers_csv(world, tmp_path / "managers.csv")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert set(rows[0]) == {"service_id", "organisation", "manager_name", "manager_email"}
    managers = {r["manager_email"] for r in rows}
    assert 10 <= len(managers) <= 15
    by_org = [r for r in rows if r["organisation"]]
    by_id = {unescape_cell(r["service_id"]) for r in rows if r["service_id"]}
    assert by_org and by_id
    manifest = build_manifest(world, BASE)
    for sid, service in manifest["services"].items():
        manager = service["manager"]
        if manager is None:
            assert sid not in by_id and service["organisation"] not in {r["organisation"] for r in by_org}
        elif manager["mapped_by"] == "service_id":
            assert sid in by_id
        else:
            assert service["organisation"] in {r["organisation"] for r in by_org}
    unmapped = sum(1 for s in manifest["services"].values() if s["manager"] is None)
    assert 0 < unmapped < 0.2 * len(manifest["services"])


@pytest.mark.parametrize(("services", "least"), [(400, 200), (5000, 1000)])
def test_outside_web_has_hundreds_of_distinct_hosts(services: int, least: int, tmp_path: Path) -> None:
    """The issue asks for 200+ distinct hosts at the default size and 1,000+ at 5,000 services.

    Counted as the manifest's links name them, "www." folded (www.x.org.uk and x.org.uk are
    one site); every one is a host the outside web serves, and all but the unresolvable
    ones are in the hosts file. About 0.1 s at 400 services, 1.3 s at 5,000.
    """
    world = DemoWorld(seed=1, services=services, today=TODAY)
    links = build_manifest(world, BASE)["links"].values()
    linked = {entry["host"] for entry in links if entry["kind"] == "http" and entry["host"]}
    assert linked <= set(world.hosts)
    assert len({host.removeprefix("www.") for host in linked}) >= least
    named = set(read_hosts_file(write_hosts_file(world, tmp_path / "hosts")))
    unresolvable = {host for host in linked if world.hosts[host].behaviour == "unresolvable"}
    assert unresolvable and linked - unresolvable <= named and not unresolvable & named


@pytest.mark.slow
def test_twenty_thousand_services_start_in_seconds_and_serve_with_bounded_memory() -> None:
    """benchmarks/bench_demo.py in a fresh process: build, start the servers, fetch over HTTP.

    2,400 requests spread over the whole world (1,500 record pages, 300 result pages up to
    the last, 120 ORUK v1/v3 list pages, 300 v1/v3 details), each checked for its record's
    name or its item count; resident memory (VmRSS) read from /proc before the build, once
    the servers listen, and after each half of the (shuffled) requests.
    """
    bench = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_demo.py"
    out = subprocess.run([sys.executable, str(bench), "--services", "20000", "--pages", "1500"],
                         capture_output=True, text=True, check=True, timeout=180)
    figures = json.loads(out.stdout)
    assert figures["requests"] == 2401 and figures["wrong"] == 0, figures
    assert figures["status_404"] > 0, figures  # the page_missing records, sampled too
    # Time to a listening server (about 2.5 s on an idle core) is a benchmark figure, printed
    # by benchmarks/bench_demo.py, not asserted here: a test run shares the machine's cores.
    assert figures["hosts"] > 10_000, figures
    # About 70 MB for the world and its servers, and a few MB of warm-up while serving.
    assert figures["rss_ready_mb"] - figures["rss_start_mb"] < 200, figures
    assert figures["rss_after_all_mb"] - figures["rss_ready_mb"] < 15, figures
    # Flat once warm: keeping the views of the second half's 600 record pages would add ~8 MB.
    assert figures["rss_after_all_mb"] - figures["rss_after_half_mb"] < 3, figures


def test_config_dict_is_accepted_and_round_trips_as_toml(tmp_path: Path) -> None:
    import tomllib

    from localoffer_audit.demo import run_demo_in_thread

    world = DemoWorld(seed=1, services=30, today=TODAY)
    with run_demo_in_thread(world) as demo:
        data = demo.config_dict(tmp_path)
        config = config_from_dict(data)
        assert config.directory.start_urls == [demo.fsd_start_url]
        assert config.links.hosts_file_only and config.links.port_map == demo.port_map
        assert config.crawl.allow_private_addresses and not config.links.allow_private_addresses
        path = demo.write_config(tmp_path)
        assert config_from_dict(tomllib.loads(path.read_text()), source=path).links.ca_file == demo.ca_file
        assert to_toml(data) == path.read_text()
        hosts = demo.hosts_file.read_text()
        assert "127.0.0.2 " in hosts and "127.0.0.3 " in hosts and "0.0.0.0" not in hosts
        assert demo.ca_file.read_text().startswith("-----BEGIN CERTIFICATE-----")


def test_serving_writes_config_manifest_and_managers(tmp_path: Path) -> None:
    """What `demo --serve` does: serve, write the demo folder, keep serving until stopped."""
    import threading
    import urllib.request

    from localoffer_audit.config import load_config
    from localoffer_audit.demo.runner import serve_until_stopped

    stop = threading.Event()
    seen: dict[str, object] = {}

    def on_ready(demo, output) -> None:
        with urllib.request.urlopen(demo.fsd_start_url, timeout=5) as response:
            seen["status"] = response.status
        seen["output"] = output
        stop.set()

    serve_until_stopped(tmp_path / "out", services=40, seed=3, on_ready=on_ready, stop=stop)
    assert seen["status"] == 200
    out = tmp_path / "out"
    for name in ("localoffer-audit.toml", "demo-manifest.json", "managers.csv"):
        assert (out / name).exists()
    config = load_config(out / "localoffer-audit.toml")
    assert config.directory.platform == "fsd" and config.links.hosts_file.exists() and config.links.ca_file.exists()
    manifest = json.loads((out / "demo-manifest.json").read_text())
    assert manifest["world"]["seed"] == 3 and len(manifest["services"]) == 40
