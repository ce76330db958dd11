"""Ground truth for one night of the demo world: what each link and service should get.

``build_manifest`` returns a JSON-serialisable dict; docs/demo.md documents every key.
Verdicts are ``models.LinkVerdict`` values; rule ids are those of docs/architecture.md.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from localoffer_audit.models import LinkVerdict
from localoffer_audit.demo.behaviours import BEHAVIOURS, WORKING_HOST_BEHAVIOURS
from localoffer_audit.demo.managers import manager_for
from localoffer_audit.demo.outside import PRIVATE_DEFAULT, PRIVATE_TARGETS
from localoffer_audit.demo.repurposed import EXPECTED_RULE
from localoffer_audit.demo.views import INVALID_EMAILS, ServiceView, build_view
from localoffer_audit.demo.world import ARCHIVE_AFTER_DAYS, STALE_AFTER_DAYS, DemoWorld, ServiceRecord, split_url

DEAD_WEBSITE = {LinkVerdict.BROKEN, LinkVerdict.PARKED}
CONTENT_RULES = (
    "stale_date", "missing_date", "past_event", "covid_notice", "closure_wording", "no_contact_route",
    "short_description", "placeholder_text", "invalid_phone", "invalid_email", "invalid_postcode",
    "website_is_directory_page", "near_duplicate", "page_missing", "service_removed",
    "oruk_detail_missing", "archive_candidate",
)


def effective_behaviour(world: DemoWorld, url: str, url_behaviour: str) -> str:
    """The behaviour a fetch sees: the host's own when it overrides the URL's."""
    key = split_url(url)
    spec = world.hosts.get(key[0]) if key else None
    if spec is not None and url_behaviour in {"ok", "document"} and spec.behaviour in WORKING_HOST_BEHAVIOURS - {"normal"}:
        return spec.behaviour
    return url_behaviour


def expectation(world: DemoWorld, url: str, behaviour: str) -> dict[str, Any]:
    """What a plain client sees fetching ``url`` with GET (after one retry for transients)."""
    key = split_url(url)
    scheme = url.split("://", 1)[0]
    if behaviour == "directory_page":
        return {"status": 200, "final_url": url}
    if key is None:
        return {"error": "malformed"}
    host, path = key
    spec = world.hosts.get(host)
    bare = path.split("?")[0]
    simple = {
        "not_found": 404, "gone": 410, "server_error": 500, "bot_403": 403,
    }
    if behaviour in simple:
        return {"status": simple[behaviour], "final_url": url}
    if behaviour == "unresolvable":
        return {"error": "unresolvable"}
    if behaviour == "refused":
        return {"error": "refused"}
    if behaviour in {"no_answer", "trickle"}:
        return {"error": "timeout"}
    if behaviour in {"self_signed", "tls_mismatch", "tls_expired"}:
        return {"error": "tls"}
    if behaviour == "redirect_loop":
        return {"error": "too_many_redirects"}
    if behaviour == "private_redirect":
        return {"status": 302, "location": PRIVATE_TARGETS.get(host, PRIVATE_DEFAULT)}
    if behaviour == "insecure_redirect":
        return {"status": 200, "final_url": f"https://{host}{path}"}
    if behaviour == "home_redirect":
        return {"status": 200, "final_url": f"{scheme}://{host}/"}
    if behaviour == "redirect_chain":
        return {"status": 200, "final_url": f"{scheme}://{host}/moved{bare}", "redirects": 2}
    if behaviour == "temporary_redirect":
        return {"status": 200, "final_url": f"{scheme}://{host}/new{bare}", "redirects": 1}
    if behaviour == "parked_lander":
        return {"status": 200, "final_url": f"{scheme}://{host}/lander"}
    if behaviour == "moved_offsite":
        return {"status": 200, "final_url": f"https://{spec.moved_to}/" if spec else None}
    if behaviour in {"transient_503", "rate_limited_429"}:
        return {"status": 200, "final_url": url, "first_status": 503 if behaviour == "transient_503" else 429}
    return {"status": 200, "final_url": url}


def expected_rules(world: DemoWorld, view: ServiceView) -> tuple[list[str], list[str]]:
    """(expected content rule ids, tolerated extra rule ids) for one live record."""
    record = view.record
    day = view.day
    if record.fault_active("page_missing", day):
        return ["page_missing"], []
    planted = set(view.planted)
    rules = planted & {
        "past_event", "covid_notice", "closure_wording", "no_contact_route", "short_description",
        "placeholder_text", "invalid_phone", "invalid_email", "invalid_postcode", "website_is_directory_page",
    }
    tolerated: set[str] = set()
    updated = world.updated_on(record, day)
    age = (world.date_for(day) - updated).days if updated else None
    if updated is None:
        rules.add("missing_date")
    elif age is not None and age > STALE_AFTER_DAYS:
        rules.add("stale_date")
    if record.twin is not None:
        twin = world.records[record.twin]
        if twin.live_on(day) and not twin.fault_active("page_missing", day):
            # One finding per pair, on the entry to archive: expected on the entry reviewed
            # less recently, allowed on either (the auditor may weigh other things first).
            tolerated.add("near_duplicate")
            twin_updated = world.updated_on(twin, day)
            if updated is not None and twin_updated is not None and updated < twin_updated:
                rules.add("near_duplicate")
    website_verdict = BEHAVIOURS[view.website_behaviour].verdict if view.website_behaviour else None
    # An entry that says it has closed is one closure_wording finding, carrying the archive.
    if "closure_wording" not in rules and website_verdict in DEAD_WEBSITE and age is not None and age > ARCHIVE_AFTER_DAYS:
        rules.add("archive_candidate")
    if "undefined_description" in record.quirks and "short_description" in rules:
        tolerated.add("placeholder_text")
    if record.twin is None and _same_org_namesake(world, record, day):
        # Two services of one provider whose names contain one another ("X" and "X Saturday
        # Club") with similar stock wording: a reviewer could fairly call them duplicates.
        tolerated.add("near_duplicate")
    if "short_description" in rules or view.planted.get("placeholder_text", "").startswith("description"):
        # Stock text ("See website.", "Lorem ipsum...") is shared by unrelated entries.
        tolerated.add("near_duplicate")
    return sorted(rules), sorted(tolerated)


def _same_org_namesake(world: DemoWorld, record: ServiceRecord, day: int) -> bool:
    """Another live service of the same organisation has a name containing this one's."""
    cached = getattr(world, "_live_by_org", None)
    if cached is None or cached[0] != day:
        by_org: dict[int, list[ServiceRecord]] = {}
        for other in world.records:
            if other.live_on(day):
                by_org.setdefault(other.org, []).append(other)
        cached = (day, by_org)
        world._live_by_org = cached  # type: ignore[attr-defined]
    name = record.name.lower().split(" (")[0]
    for other in cached[1].get(record.org, []):
        other_name = other.name.lower().split(" (")[0]
        if other.index != record.index and (name in other_name or other_name in name):
            return True
    return False


def _service_entry(world: DemoWorld, view: ServiceView, directory_base: str) -> dict[str, Any]:
    record = view.record
    rules, tolerated = expected_rules(world, view)
    manager = manager_for(world, record)
    updated = world.updated_on(record, view.day)
    return {
        "name": view.name,
        "url": f"{directory_base}service.page?id={record.sid}",
        "oruk_id": record.oruk_id,
        "organisation": view.organisation,
        "categories": view.categories,
        "manager": {"name": manager[0], "email": manager[1], "mapped_by": manager[2]} if manager else None,
        "expected_rules": rules,
        "expected_rules_oruk": sorted({"oruk_detail_missing" if r == "page_missing" else r for r in rules} - {"website_is_directory_page"} if "page_missing" not in rules else {"oruk_detail_missing"}),
        "tolerated_rules": tolerated,
        # The ORUK url field of these records points at the FSD site's own record page.
        "tolerated_rules_oruk": sorted(set(tolerated) | ({"website_is_directory_page"} & set(rules))),
        "planted": view.planted,
        "traps": sorted(view.traps),
        "quirks": sorted(view.quirks),
        "last_updated": updated.isoformat() if updated else None,
        "dates_shown": [{"label": label, "text": text, "date": value.isoformat()} for label, text, value in view.dates],
        "website": view.website,
        "phones": view.phones,
        "emails": view.emails,
        "postcode": view.postcode,
        "twin": world.records[record.twin].sid if record.twin is not None else None,
        "added_day": record.added_day,
        "second_channel": "second_channel" in view.quirks,
    }


def build_manifest(world: DemoWorld, directory_base: str = "") -> dict[str, Any]:
    """Ground truth for the world's current night; ``directory_base`` ends with '/'."""
    day = world.day
    state = world.state
    services: dict[str, Any] = {}
    links: dict[str, dict[str, Any]] = {}
    services_links: dict[tuple[str, str], set[str]] = {}

    def add_link(url: str, behaviour: str, kind: str, sid: str, field: str, platform: str = "both") -> None:
        entry = links.get(url)
        if entry is None:
            spec = BEHAVIOURS[behaviour]
            entry = links[url] = {
                "kind": kind, "behaviour": behaviour, "verdict": str(spec.verdict),
                "tolerated": [str(v) for v in spec.tolerated], "services": [], "fields": [],
                "platform": platform,
            }
            if kind == "http":
                key = split_url(url)
                entry["host"] = key[0] if key else None
                entry["expect"] = expectation(world, url, behaviour)
                if url in world.mistyped:
                    # A plain client cannot fetch it; the auditor should say what it meant.
                    entry["expect"]["fix"] = f"change it to {world.mistyped[url]}"
        services_links.setdefault((sid, url), set()).add(field)
        if sid not in entry["services"]:
            entry["services"].append(sid)
        if field not in entry["fields"]:
            entry["fields"].append(field)

    for index in state.listed:
        record = world.records[index]
        view = build_view(world, record, day, directory_base)
        services[record.sid] = _service_entry(world, view, directory_base)
        if record.fault_active("page_missing", day):
            continue
        for link in view.http_links:
            if link.behaviour == "directory_page":
                add_link(link.url, "directory_page", "http", record.sid, link.field)
                continue
            today = state.urls.get(link.url)
            behaviour = today.behaviour if today else link.behaviour
            add_link(link.url, effective_behaviour(world, link.url, behaviour), "http", record.sid, link.field)
        for email in view.emails:
            bad = "invalid_email" in view.planted and email == view.emails[0]
            add_link(f"mailto:{email}", "email_invalid" if bad else "email_ok", "email", record.sid, "contact_email")
        if not view.emails:
            add_link("mailto:noemail@noemail.invalid", "email_placeholder", "email", record.sid, "contact_email", platform="oruk")
        for phone in view.phones:
            bad = "invalid_phone" in view.planted and phone == view.phones[0]
            add_link(f"tel:{phone}", "phone_invalid" if bad else "phone_ok", "phone", record.sid, "contact_phone")
    # The directory's own guidance pages listed tonight, keyed as the auditor stores them
    # (crawl/fsd.py: "advice:<id>", read with [directory] read_advice_pages): no provider,
    # so their findings are the Local Offer team's (the default owner).
    advice_pages: dict[str, Any] = {}
    for kind, index, channel in state.entries:
        if kind != "advice":
            continue
        aid, title = world.advice[index]
        key = f"advice:{aid}"
        advice_pages[key] = {"title": title, "url": f"{directory_base}advice.page?id={aid}&{channel}",
                             "manager": None, "links": []}
        for url, behaviour, _ in world.advice_links(index):
            add_link(url, behaviour, "http", key, "description", platform="fsd")
            advice_pages[key]["links"].append(url)
    removed_total = [r for r in world.records if r.added_day <= day and r.removed_day <= day]
    previous = day - 1
    removed_today = [r.sid for r in world.records if r.removed_day == day and r.added_day < day] if day > 0 else []
    added_today = [r.sid for r in world.records if r.added_day == day and day > 0 and r.live_on(day)]
    manifest: dict[str, Any] = {
        "world": {
            "seed": world.seed, "size": world.size, "day": day, "today": world.today.isoformat(),
            "day0_date": world.base_today.isoformat(), "council": world.council, "directory": world.directory,
            "directory_base": directory_base, "stale_after_days": STALE_AFTER_DAYS,
            "archive_after_days": ARCHIVE_AFTER_DAYS, "previous_day": previous if day > 0 else None,
        },
        "services": services,
        "links": links,
        # advice.page items listed among the results tonight (guidance, not services)
        "advice_ids": [world.advice[i][0] for kind, i, _ in state.entries if kind == "advice"],
        "advice_pages": advice_pages,
        "added_today": added_today,
        "removed_today": removed_today,
        "removed_services": {
            r.sid: {"name": r.name, "removed_day": r.removed_day, "expected_rules": ["service_removed"]} for r in removed_total
        },
        "results_entries": len(state.entries),
    }
    manifest["plants"], manifest["safeguarding"] = _safeguarding(world, links, services_links)
    manifest["counts"] = count_manifest(manifest)
    return manifest


def _safeguarding(
    world: DemoWorld, links: dict[str, dict[str, Any]], services_links: dict[tuple[str, str], set[str]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The planted provider sites (demo/repurposed.py) and, per link to one of them that
    answers its planted page tonight, the safeguarding rule each service should get
    (None: a trap that must stay quiet). Found when the link is next checked."""
    plants = {
        host: {"kind": plant.kind, "organisation": plant.org, "from_day": plant.from_day,
               "active": world.plant_on(host, world.day) is not None}
        for host, plant in sorted(world.plants.items())
    }
    expected: dict[str, Any] = {}
    for url, link in links.items():
        plant = world.plant_on(link.get("host") or "", world.day)
        if plant is None or link["behaviour"] not in {"ok"}:
            continue
        rule, website_only = EXPECTED_RULE[plant.kind]
        per_service = {}
        for sid in link["services"]:
            fields = services_links.get((sid, url), set())
            per_service[sid] = rule if (not website_only or "website" in fields) else None
        expected[url] = {"host": plant.host, "kind": plant.kind, "expected": per_service}
    return plants, expected


def count_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    links = manifest["links"].values()
    services = manifest["services"].values()
    return {
        "services": len(manifest["services"]),
        "links": len(manifest["links"]),
        "http_links": sum(1 for link in links if link["kind"] == "http"),
        "hosts": len({link.get("host") for link in links if link.get("host")}),
        "by_behaviour": dict(Counter(link["behaviour"] for link in links).most_common()),
        "by_verdict": dict(Counter(link["verdict"] for link in links).most_common()),
        "by_rule": dict(Counter(rule for s in services for rule in s["expected_rules"]).most_common()),
        "by_trap": dict(Counter(trap for s in services for trap in s["traps"]).most_common()),
        "clean_services": sum(1 for s in services if not s["expected_rules"]),
    }


def write_manifest(world: DemoWorld, path: Path, directory_base: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(build_manifest(world, directory_base), indent=1, sort_keys=True), encoding="utf-8")
    return path


__all__ = ["CONTENT_RULES", "INVALID_EMAILS", "build_manifest", "write_manifest"]
