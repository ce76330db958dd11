"""The demo directory as a crawler sees it: FSD pages walkable page by page, ORUK v1/v3."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import aiohttp
import pytest
from bs4 import BeautifulSoup

from localoffer_audit.demo import DemoWorld, run_demo_in_thread, serve_demo
from localoffer_audit.demo.fsd import PAGE_SIZE

TODAY = date(2026, 11, 25)


async def get(session: aiohttp.ClientSession, url: str) -> tuple[int, bytes, str]:
    async with session.get(url, allow_redirects=False) as response:
        return response.status, await response.read(), response.headers.get("Content-Type", "")


async def walk_results(session: aiohttp.ClientSession, start_url: str) -> tuple[dict[str, set[str]], set[str], set[int]]:
    """Follow the results pages' numbered links from ``start_url``: service id -> hrefs, advice ids, offsets."""
    seen_pages: set[str] = set()
    queue = [start_url]
    services: dict[str, set[str]] = {}
    advice: set[str] = set()
    offsets: set[int] = set()
    while queue:
        url = queue.pop()
        if url in seen_pages:
            continue
        seen_pages.add(url)
        status, body, _ = await get(session, url)
        assert status == 200
        soup = BeautifulSoup(body, "html.parser")
        assert not soup.select('a[rel="next"]')
        for link in soup.select("a.flex-grow-1"):
            href = link["href"]
            query = parse_qs(urlsplit(href).query)
            if href.startswith("service.page"):
                services.setdefault(query["id"][0], set()).add(urljoin(url, href))
            else:
                assert href.startswith("advice.page")
                advice.add(query["id"][0])
        for link in soup.select(".pagination a"):
            target = urljoin(url, link["href"])
            offsets.add(int(parse_qs(urlsplit(target).query)["sr"][0]))
            queue.append(target)
    return services, advice, offsets


@pytest.mark.asyncio
async def test_results_paging_reaches_every_service_and_records_render(tmp_path: Path) -> None:
    world = DemoWorld(seed=1, services=150, today=TODAY)
    async with serve_demo(world, workdir=tmp_path) as demo, aiohttp.ClientSession() as session:
        manifest = demo.manifest()
        assert demo.fsd_start_url.startswith("http://127.0.0.1:") and "/kb5/northmoor/directory/results.page?" in demo.fsd_start_url
        services, advice, offsets = await walk_results(session, demo.fsd_start_url)
        assert set(services) == set(manifest["services"])
        assert advice == set(manifest["advice_ids"]) and advice
        # The same record under two channels, listed twice.
        doubled = {sid for sid, hrefs in services.items() if len(hrefs) > 1}
        assert doubled == {sid for sid, s in manifest["services"].items() if s["second_channel"]}
        assert all(re.fullmatch(r"[A-Za-z0-9_-]{11}", sid) for sid in services)
        assert max(offsets) == (manifest["results_entries"] - 1) // PAGE_SIZE * PAGE_SIZE

        # Record pages: banner <h1> first, record <h1> in #hit-header, title "Record | Portal".
        missing = 0
        for entry in manifest["services"].values():
            status, body, content_type = await get(session, entry["url"])
            if "page_missing" in entry["expected_rules"]:
                assert status == 404
                missing += 1
                continue
            assert status == 200
            charset = "windows-1252" if "windows_1252" in entry["quirks"] else "utf-8"
            assert charset in content_type
            text = body.decode(charset)
            soup = BeautifulSoup(text, "html.parser")
            h1s = soup.find_all("h1")
            assert h1s[0].get_text(strip=True) == "Northmoor Family Information Directory"
            assert soup.select_one("#hit-header h1").get_text(strip=True) == entry["name"]
            assert soup.title.get_text() == f"{entry['name']} | Northmoor Family Information Directory"
            assert soup.find("meta", attrs={"name": "application-name"})["content"]
            assert soup.select("section.field_section dl dt")
            for shown in entry["dates_shown"]:
                assert shown["text"] in soup.get_text(" ")
            if entry["website"]:
                assert soup.find("a", href=entry["website"]) is not None
            if "cf_email" in entry["quirks"] and entry["emails"]:
                span = soup.select_one("span.__cf_email__")
                assert cf_decode(span["data-cfemail"]) == entry["emails"][0]
            if "glued_postcode" in entry["quirks"] and entry["postcode"]:
                assert entry["postcode"] + "Get directions" in soup.select_one(".service_venue").get_text("")
            if "undefined_description" in entry["quirks"] and "short_description" in entry["expected_rules"]:
                assert soup.select_one(".service-description").get_text(strip=True) == "undefined"
        assert missing == manifest["counts"]["by_rule"].get("page_missing", 0)

        status, body, _ = await get(session, demo.origin + "/robots.txt")
        assert status == 200 and b"Disallow:" in body and b"Sitemap:" in body
        status, body, _ = await get(session, demo.origin + "/sitemap.xml")
        assert status == 200 and body.count(b"service.page?id=") == len(manifest["services"])


def cf_decode(code: str) -> str:
    """Cloudflare's email obfuscation undone: a key byte, then every byte XOR the key."""
    key = int(code[:2], 16)
    return "".join(chr(int(code[i:i + 2], 16) ^ key) for i in range(2, len(code), 2))


MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
DATE_SHAPES = {
    "dd/mm/yyyy": re.compile(r"\d\d/\d\d/\d{4}"),
    "dd.mm.yyyy": re.compile(r"\d\d\.\d\d\.\d{4}"),
    "yyyy-mm-dd": re.compile(r"\d{4}-\d\d-\d\d"),
    "d Month yyyy": re.compile(rf"\d{{1,2}} {MONTH} \d{{4}}"),
    "d Mon yyyy": re.compile(r"\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}"),
    "Weekday d Month yyyy": re.compile(rf"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day \d{{1,2}} {MONTH} \d{{4}}"),
}
DATE_LINE = re.compile(r"^(?P<label>[A-Za-z ]*\b(?:updated|reviewed|added):?)\s+(?P<value>\S.*)$", re.I)
LITERAL_TAG = re.compile(r"</?[a-z]+\s*/?>", re.I)


def page_quirks(soup: BeautifulSoup) -> tuple[set[str], list[tuple[str, str]], set[str], set[str]]:
    """What one served record page shows, read generically from its HTML.

    Returns (quirks seen, (date label, date text) pairs, contact phones with a doubled
    text undone, contact emails with Cloudflare's encoding undone).
    """
    seen: set[str] = set()
    phones: set[str] = set()
    emails: set[str] = set()
    contact = soup.select_one("section.contact_details")
    for dt in contact.find_all("dt") if contact else []:
        dd = dt.find_next_sibling("dd")
        text = dd.get_text(strip=True)
        if re.search(r"phone", dt.get_text(), re.I):
            half = len(text) // 2
            if len(text) % 2 == 0 and text[:half] == text[half:]:
                seen.add("doubled_phone")
                text = text[:half]
            phones.add(text)
        elif re.search(r"mail", dt.get_text(), re.I):
            span = dd.select_one("span.__cf_email__")
            emails.add(cf_decode(span["data-cfemail"]) if span else text)
        elif re.search(r"web", dt.get_text(), re.I):
            link = dd.find("a")
            shown = link.get_text(strip=True)
            if shown.endswith("...") and link["href"].startswith(shown[:-3]) and len(link["href"]) > len(shown) - 3:
                seen.add("short_link_text")
    description = soup.select_one(".service-description").get_text(" ", strip=True)
    if LITERAL_TAG.search(description):
        seen.add("raw_html")
    if description.lower() == "undefined":
        seen.add("undefined_description")
    venue = soup.select_one(".service_venue")
    if venue is not None and re.search(r"[A-Z0-9]Get directions", venue.get_text("")):
        seen.add("glued_postcode")
    dates = []
    for dt in soup.select("section.other_details dt"):
        if DATE_LINE.match(dt.get_text(strip=True) + " x"):
            dates.append((dt.get_text(strip=True), dt.find_next_sibling("dd").get_text(strip=True)))
    for line in soup.select("p.last-updated"):
        match = DATE_LINE.match(line.get_text(strip=True))
        assert match, line
        dates.append((match["label"], match["value"]))
    return seen, dates, phones, emails


@pytest.mark.asyncio
async def test_served_record_pages_show_the_real_world_quirks(tmp_path: Path) -> None:
    """Walk the served FSD site at the default size and count each PLATFORMS.md quirk on the pages.

    Quirks are read from the HTML alone; the manifest is only the ground truth they are
    compared with (a quirk seen where the manifest has none would be a fault of the demo).
    """
    world = DemoWorld(seed=1, services=400, today=TODAY)
    async with serve_demo(world, workdir=tmp_path) as demo, aiohttp.ClientSession() as session:
        manifest = demo.manifest()
        services, _, _ = await walk_results(session, demo.fsd_start_url)
        seen: dict[str, set[str]] = {}
        labels: Counter[str] = Counter()
        shapes: Counter[str] = Counter()
        contact_phones: dict[str, set[str]] = {}
        contact_emails: dict[str, set[str]] = {}
        footer_phone = footer_email = None
        for sid, hrefs in services.items():
            status, body, content_type = await get(session, min(hrefs))
            if status == 404:
                continue
            assert status == 200, sid
            soup = BeautifulSoup(body.decode(content_type.split("charset=")[1]), "html.parser")
            quirks, dates, contact_phones[sid], contact_emails[sid] = page_quirks(soup)
            for quirk in quirks:
                seen.setdefault(quirk, set()).add(sid)
            for label, value in dates:
                shape = [name for name, pattern in DATE_SHAPES.items() if pattern.fullmatch(value)]
                assert shape, (sid, value)  # "3 May 2023" fits two shapes: counted as the first
                if not label.lower().startswith("date added"):
                    labels[label] += 1
                    shapes[shape[0]] += 1
            assert [(d["label"], d["text"]) for d in manifest["services"][sid]["dates_shown"]] == dates, sid
            footer = soup.select_one("footer.site-footer")
            footer_phone = re.search(r"Telephone ([0-9 ]+[0-9])", footer.get_text()).group(1)
            footer_email = footer.select_one('a[href^="mailto:"]')["href"].removeprefix("mailto:")

    # The council's own switchboard or inbox (as its footer shows them) as a record's contact.
    for sid in services:
        if footer_phone in contact_phones.get(sid, ()) or footer_email in contact_emails.get(sid, ()):
            seen.setdefault("switchboard_contact", set()).add(sid)
    phone_use = Counter(phone for phones in contact_phones.values() for phone in phones)
    assert phone_use.most_common(1)[0][0] == footer_phone

    truth = {quirk: {sid for sid, s in manifest["services"].items() if quirk in s["quirks"]} for quirk in seen}
    counts = {quirk: len(sids) for quirk, sids in seen.items()}
    for quirk in ("doubled_phone", "short_link_text", "switchboard_contact", "raw_html", "undefined_description", "glued_postcode"):
        assert counts.get(quirk, 0) >= 4, counts
        assert seen[quirk] <= truth[quirk], (quirk, seen[quirk] - truth[quirk])
    assert counts["switchboard_contact"] >= 30, counts  # "dozens of records"
    # Date labels and formats vary between entries: several of each, each on several pages.
    assert len(labels) >= 6 and min(labels.values()) >= 5, labels
    assert len(shapes) == len(DATE_SHAPES) and min(shapes.values()) >= 5, shapes


@pytest.mark.asyncio
async def test_oruk_v1_and_v3_envelopes(tmp_path: Path) -> None:
    world = DemoWorld(seed=2, services=120, today=TODAY)
    async with serve_demo(world, workdir=tmp_path) as demo, aiohttp.ClientSession() as session:
        manifest = demo.manifest()
        by_oruk = {s["oruk_id"]: sid for sid, s in manifest["services"].items()}
        async with session.get(demo.oruk_v3_url + "/") as response:
            assert (await response.json())["version"] == "HSDS-UK-3.0"
        for version, items_key, last_key in ((1, "content", "last"), (3, "contents", "last_page")):
            base = demo.oruk_v1_url if version == 1 else demo.oruk_v3_url
            ids: list[str] = []
            page = 1
            while True:
                async with session.get(f"{base}/services", params={"page": page, "per_page": 25}) as response:
                    envelope = await response.json()
                if version == 1:
                    assert {"totalElements", "totalPages", "number", "size", "first", "last", "content"} <= set(envelope)
                else:
                    assert {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"} <= set(envelope)
                ids += [item["id"] for item in envelope[items_key]]
                if envelope[last_key]:
                    break
                page += 1
            assert set(ids) == set(by_oruk) and len(ids) == len(set(ids))
            missing = [i for i in ids if "oruk_detail_missing" in manifest["services"][by_oruk[i]]["expected_rules_oruk"]]
            assert missing
            saw_minus_one = saw_placeholder = False
            for oruk_id in ids:
                async with session.get(f"{base}/services/{oruk_id}") as response:
                    if oruk_id in missing:
                        assert response.status == 404
                        continue
                    assert response.status == 200
                    service = await response.json()
                entry = manifest["services"][by_oruk[oruk_id]]
                assert service["name"] == entry["name"]
                assert service["description"].startswith("<p>")
                if service["email"].endswith("@noemail.invalid"):
                    saw_placeholder = True
                if version == 1:
                    assert {"contacts", "service_at_locations", "eligibilitys", "service_taxonomys", "organization"} <= set(service)
                    saw_minus_one |= service["eligibilitys"][0]["minimum_age"] == -1
                else:
                    assert {"assured_date", "assurer_email", "last_modified", "schedules", "contacts", "cost_options", "attributes", "organization"} <= set(service)
                    if service["last_modified"]:
                        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", service["last_modified"])
                    saw_minus_one |= service["eligibility"]["minimum_age"] == -1
                assert service["assured_date"] == entry["last_updated"]
            assert saw_minus_one and saw_placeholder


def test_run_demo_in_thread_serves_and_switches_day() -> None:
    import urllib.request

    world = DemoWorld(seed=1, services=60, today=TODAY)
    with run_demo_in_thread(world, day=0) as demo:
        with urllib.request.urlopen(demo.fsd_start_url, timeout=5) as response:
            assert response.status == 200
        before = demo.manifest()
        demo.set_day(4)
        after = demo.manifest()
        assert after["world"]["day"] == 4 and before["world"]["day"] == 0
        removed = list(after["removed_services"])
        if removed:
            sid = removed[0]
            url = f"{demo.fsd_base_url}service.page?id={sid}"
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(url, timeout=5)
            assert caught.value.code == 404
    # Stopped cleanly: the port no longer answers.
    with pytest.raises(OSError):
        urllib.request.urlopen(demo.fsd_start_url, timeout=2)
