"""A demo region: neighbouring councils' worlds sharing organisations and pages, served
on one outside web that logs every request."""

from __future__ import annotations

import asyncio
from datetime import date

import aiohttp
import pytest

from localoffer_audit.demo import DemoWorld, serve_region
from localoffer_audit.demo.region import SharedWeb
from localoffer_audit.demo.world import split_url

TODAY = date(2026, 11, 25)
NAMES = ["eastshire", "westmoor", "southdale"]


def _region(region: int | None) -> list[DemoWorld]:
    return [DemoWorld(seed=100 + n, services=20, council=name, region=region, today=TODAY)
            for n, name in enumerate(NAMES)]


def test_worlds_of_one_region_share_organisations_and_pages_and_others_do_not() -> None:
    together, apart = _region(7), _region(None)
    firsts = [{(o.name, o.host, o.behaviour) for o in w.orgs[8:14]} for w in together]
    assert firsts[0] == firsts[1] == firsts[2]
    assert not ({o.host for o in apart[0].orgs[8:]} & {o.host for o in apart[1].orgs[8:]})

    def shared(worlds: list[DemoWorld]) -> int:
        first, *others = [set(w.state.urls) for w in worlds]
        return len(first & set().union(*others))

    assert shared(together) >= 2 * shared(apart)  # 12 against 6 here
    # A school is one council's: a regional organisation never gets a council's .sch.uk name.
    assert not any(o.host.endswith(".sch.uk") for o in together[0].orgs[8:14])


def test_the_first_world_says_what_a_site_shared_with_different_behaviours_does() -> None:
    worlds = _region(7)
    web = SharedWeb(worlds)
    for host, spec in web.hosts.items():
        owner = next(w for w in worlds if host in w.hosts)
        assert spec is owner.hosts[host]
    for key, behaviour in web.state.paths.items():
        owner = next(w for w in worlds if key in w.state.paths)
        assert behaviour == owner.state.paths[key]
    with pytest.raises(ValueError, match="own council name"):
        asyncio.run(_serve_twice_named())


async def _serve_twice_named() -> None:
    worlds = [DemoWorld(seed=1, services=5, council="same", today=TODAY),
              DemoWorld(seed=2, services=5, council="same", today=TODAY)]
    async with serve_region(worlds):
        pass


@pytest.mark.asyncio
async def test_the_shared_web_logs_each_request_by_site_path_and_agent(tmp_path) -> None:  # noqa: ANN001
    worlds = _region(7)
    async with serve_region(worlds, workdir=tmp_path) as region:
        assert len({c.directory_port for c in region.councils}) == 3
        assert len({(c.http_port, c.https_port) for c in region.councils}) == 1
        url = next(u for u, s in worlds[1].state.urls.items() if u.startswith("http://") and s.behaviour == "ok")
        host, path = split_url(url)  # type: ignore[misc]
        port = region.councils[0].http_port
        async with aiohttp.ClientSession() as session:
            for agent in ("checker (westmoor)", "checker (westmoor)", "checker (eastshire)"):
                async with session.get(f"http://127.0.0.1:{port}{path}", headers={"Host": host, "User-Agent": agent}) as r:
                    assert r.status == 200
            # Each council's directory is its own, on its own port.
            for council in region.councils:
                async with session.get(council.fsd_start_url) as r:
                    assert r.status == 200 and council.world.council in str(r.url)
        requests, peak = region.request_log.snapshot()
        assert requests[(f"http://{host}", path, "checker (westmoor)")] == 2
        assert requests[(f"http://{host}", path, "checker (eastshire)")] == 1
        assert peak[f"http://{host}"] == 1
        assert all(site.startswith(("http://", "https://")) for site, _, _ in requests)
