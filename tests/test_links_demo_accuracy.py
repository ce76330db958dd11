"""Accuracy of the link checker on the demo world's ground truth (manifest).

The checker knows nothing of the demo: it gets the demo's hosts file, port map and CA
through ordinary settings, exactly as a council would configure a test rig. Only this
test reads the manifest.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from localoffer_audit.checks.links import check_urls
from localoffer_audit.checks.stage import settings_for
from localoffer_audit.config import config_from_dict
from localoffer_audit.models import LinkVerdict

demo = pytest.importorskip("localoffer_audit.demo")
if not hasattr(demo, "serve_demo"):
    pytest.skip("the demo world is not built yet", allow_module_level=True)

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

# Verdicts that put a link on a fix list (docs/verdicts.md).
NEEDS_FIXING = {
    LinkVerdict.REDIRECTED, LinkVerdict.MOVED_OFFSITE, LinkVerdict.BROKEN, LinkVerdict.SERVER_ERROR,
    LinkVerdict.TIMEOUT, LinkVerdict.SOFT_404, LinkVerdict.PARKED, LinkVerdict.TLS_ERROR, LinkVerdict.INSECURE,
    LinkVerdict.INTERNAL_ADDRESS, LinkVerdict.INVALID_EMAIL, LinkVerdict.INVALID_PHONE,
}
NEVER_BROKEN_BEHAVIOURS = {"bot_403", "slow", "transient_503", "rate_limited_429"}
FAILURES = {LinkVerdict.BROKEN, LinkVerdict.SERVER_ERROR, LinkVerdict.TIMEOUT}


def score(manifest_links: dict, verdicts: dict[str, LinkVerdict]) -> dict:
    """Precision and recall over the verdicts that need fixing; a tolerated verdict counts as right."""
    true_positive = false_positive = false_negative = 0
    mistakes: list[tuple[str, str, str, str]] = []
    for url, expected in manifest_links.items():
        got = verdicts[url]
        want = LinkVerdict(expected["verdict"])
        acceptable = {want, *(LinkVerdict(v) for v in expected["tolerated"])}
        right = got in acceptable
        if got in NEEDS_FIXING:
            if right:
                true_positive += 1
            else:
                false_positive += 1
        if want in NEEDS_FIXING and not right:
            false_negative += 1
        if not right:
            mistakes.append((expected["behaviour"], str(want), str(got), url))
    precision = true_positive / max(true_positive + false_positive, 1)
    recall = true_positive / max(true_positive + false_negative, 1)
    return {"precision": precision, "recall": recall, "mistakes": mistakes, "tp": true_positive}


async def test_checker_matches_the_demo_manifest(tmp_path: Path) -> None:
    world = demo.DemoWorld(seed=1, services=400)
    async with demo.serve_demo(world, workdir=tmp_path / "demo") as running:
        manifest = running.manifest()
        config = config_from_dict(running.config_dict(tmp_path / "out"))
        settings = settings_for(config)
        # Short timeouts keep the test quick; the demo's slow sites answer within 2.5 s.
        settings = replace(
            settings, connect_timeout=1.0, read_timeout=3.0, total_timeout=4.0, confirm_delay=1.0,
        )
        # Links back to the directory's own pages are included: the demo serves the
        # directory on a loopback address its config allows the crawl to fetch.
        links = manifest["links"]
        results = await check_urls(list(links), settings)
    verdicts = {result.url: result.verdict for result in results}
    assert set(verdicts) == set(links)
    scored = score(links, verdicts)
    summary = Counter((b, w, g) for b, w, g, _ in scored["mistakes"])
    print(f"precision {scored['precision']:.4f} recall {scored['recall']:.4f} over {len(links)} links; misses: {dict(summary)}")
    assert scored["tp"] > 50, "the manifest should hold plenty of links needing a fix"
    assert scored["precision"] >= 0.99, summary
    assert scored["recall"] >= 0.98, summary
    called_broken = [
        (entry["behaviour"], url, verdicts[url]) for url, entry in links.items()
        if entry["behaviour"] in NEVER_BROKEN_BEHAVIOURS and verdicts[url] in FAILURES
    ]
    assert not called_broken
