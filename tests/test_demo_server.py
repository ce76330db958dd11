"""The demo directory as a crawler sees it: FSD pages walkable page by page, ORUK v1/v3."""

from __future__ import annotations

import re
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


@pytest.mark.asyncio
async def test_results_paging_reaches_every_service_and_records_render(tmp_path: Path) -> None:
    world = DemoWorld(seed=1, services=150, today=TODAY)
    async with serve_demo(world, workdir=tmp_path) as demo, aiohttp.ClientSession() as session:
        manifest = demo.manifest()
        assert demo.fsd_start_url.startswith("http://127.0.0.1:") and "/kb5/northmoor/directory/results.page?" in demo.fsd_start_url
        seen_pages: set[str] = set()
        queue = [demo.fsd_start_url]
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
                    services.setdefault(query["id"][0], set()).add(href)
                else:
                    assert href.startswith("advice.page")
                    advice.add(query["id"][0])
            for link in soup.select(".pagination a"):
                target = urljoin(url, link["href"])
                offsets.add(int(parse_qs(urlsplit(target).query)["sr"][0]))
                queue.append(target)
        assert set(services) == set(manifest["services"])
        assert advice == set(manifest["advice_ids"]) and advice
        # The same record under two channels, listed twice.
        doubled = {sid for sid, hrefs in services.items() if len(hrefs) > 1}
        assert doubled == {sid for sid, s in manifest["services"].items() if s["second_channel"]}
        assert all(re.fullmatch(r"[A-Za-z0-9_-]{11}", sid) for sid in services)
        assert max(offsets) == (manifest["results_entries"] - 1) // PAGE_SIZE * PAGE_SIZE

        # Record pages: banner <h1> first, record <h1> in #hit-header, title "Record | Portal".
        missing = 0
        for sid, entry in manifest["services"].items():
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
                code = span["data-cfemail"]
                key = int(code[:2], 16)
                decoded = "".join(chr(int(code[i:i + 2], 16) ^ key) for i in range(2, len(code), 2))
                assert decoded == entry["emails"][0]
            if "glued_postcode" in entry["quirks"] and entry["postcode"]:
                assert entry["postcode"] + "Get directions" in soup.select_one(".service_venue").get_text("")
            if "undefined_description" in entry["quirks"] and "short_description" in entry["expected_rules"]:
                assert soup.select_one(".service-description").get_text(strip=True) == "undefined"
        assert missing == manifest["counts"]["by_rule"].get("page_missing", 0)

        status, body, _ = await get(session, demo.origin + "/robots.txt")
        assert status == 200 and b"Disallow:" in body and b"Sitemap:" in body
        status, body, _ = await get(session, demo.origin + "/sitemap.xml")
        assert status == 200 and body.count(b"service.page?id=") == len(manifest["services"])


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
