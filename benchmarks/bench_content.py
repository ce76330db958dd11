"""Benchmark the content rules and the findings lifecycle on a large synthetic directory.

Builds N services in a temporary SQLite file (varied names, templated descriptions, a
share of planted faults and copies), then times: the per-entry content rules alone, the
near-duplicate search alone, and two full `run_findings` passes (the first opens every
finding, the second finds them all unchanged).

Near-copies are planted at several similarity levels (the share of description words
kept; the rest replaced, the name sometimes re-cased or given a venue), and the
near-duplicate recall is printed per level: a planted copy counts as found when a
finding joins it to its original.

    python benchmarks/bench_content.py                  # 5,000 services
    python benchmarks/bench_content.py --services 400 5000 20000 --skip-lifecycle
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from rapidfuzz import fuzz

from localoffer_audit.content.rules import RuleContext, check_service, find_near_duplicates
from localoffer_audit.content.duplicates import _words
from localoffer_audit.config import config_from_dict
from localoffer_audit.store.db import open_db, utc_now
from localoffer_audit.findings.lifecycle import run_findings
from localoffer_audit.store.services import live_services

TODAY = date(2025, 6, 15)
WORDS = ("autism adhd sensory youth parent carer forum club group play stay music art sport swim dance drama "
         "speech language therapy support advice housing benefits transport respite short breaks holiday "
         "football cycling riding cooking gardening reading homework tuition mentoring befriending").split()
# A vocabulary the size of real descriptions' (made-up words, drawn Zipf-like), so that
# unrelated entries are not alike merely because they draw on a few dozen words.
_SYLLABLES = "ba be bi bo bu da de di do ka ke ki ko la le li lo ma me mi mo na ne ni no ra re ri ro sa se si so ta te ti to".split()
VOCAB = sorted({a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES[:6]})[:3000]
LEVELS = (1.0, 0.9, 0.85, 0.8, 0.7, 0.6)
BINS = (("95-100%", 95, 101), ("90-95%", 90, 95), ("80-90%", 80, 90), ("70-80%", 70, 80), ("<70%", 0, 70))
PLACES = "Northtown Southgate Riverside Hillcrest Oakwood Millbrook Ashford Kingsley Elmstead Brookfield".split()
FAULTS = [
    "Easter 2021 holiday club places available.",
    "Sessions suspended due to coronavirus.",
    "This service has now closed.",
    "Lorem ipsum dolor sit amet.",
]


def _text(rng: random.Random, words: int) -> str:
    return " ".join(WORDS[int(rng.paretovariate(1.2)) % len(WORDS)] if rng.random() < 0.3 else
                    VOCAB[int(rng.paretovariate(0.8)) % len(VOCAB)] for _ in range(words))


def build(db_path: Path, count: int, seed: int = 7) -> dict[float, list[tuple[str, str]]]:
    """The directory, and the planted (original, copy) pairs by similarity level."""
    rng = random.Random(seed)
    db = open_db(db_path)
    rows = []
    planted: dict[float, list[tuple[str, str]]] = {level: [] for level in LEVELS}
    for n in range(count):
        if len(rows) > 10 and rng.random() < 0.03:
            # A copy of an earlier entry, re-entered with a share of its words changed.
            level = LEVELS[len(sum(planted.values(), [])) % len(LEVELS)]
            original = rows[rng.randrange(len(rows))]
            if original["id"].startswith("c"):
                original = rows[0]
            words = original["description"].split()
            kept = [w if rng.random() < level or i < 12 else VOCAB[rng.randrange(len(VOCAB))] for i, w in enumerate(words)]
            name = original["name"]
            name = [name, name.upper(), f"{name} ({rng.choice(PLACES)})", name.replace(" ", "  ")][n % 4]
            sid = f"c{n:06d}"
            rows.append({**original, "id": sid, "url": f"https://directory.example.gov.uk/service.page?id={sid}",
                         "name": name, "description": " ".join(kept)})
            planted[level].append((original["id"], sid))
            continue
        sentences = [f"We support children and young people with SEND in {rng.choice(PLACES)}."]
        sentences += [_text(rng, 12).capitalize() + "." for _ in range(4)]
        if rng.random() < 0.1:
            sentences.append(rng.choice(FAULTS))
        updated = date(2019 + rng.randint(0, 6), rng.randint(1, 12), rng.randint(1, 28))
        rows.append({
            "id": f"s{n:06d}", "url": f"https://directory.example.gov.uk/service.page?id=s{n:06d}",
            "name": f"{rng.choice(PLACES)} {' '.join(rng.sample(WORDS, 3)).title()}",
            "organisation": f"Provider {rng.randint(1, count // 10 + 1)}", "description": " ".join(sentences),
            "contacts": json.dumps([{"phone": rng.choice(["0113 496 0999", "0300 123 1234", "01234 5"]),
                                     "email": rng.choice(["info@provider.org.uk", "info@@provider.org.uk"])}]),
            "website": "https://www.provider.org.uk/", "postcode": rng.choice(["LS1 4AP", "GL4 5BQ", "LS1"]),
            "dates": json.dumps([{"label": "Last updated", "raw": updated.strftime("%d/%m/%Y"),
                                  "value": updated.isoformat()}]),
            "fields": "{}", "extra": "{}", "categories": "[]", "http_status": 200, "state": "live",
            "first_seen_at": utc_now(), "last_seen_at": utc_now(),
        })
    db["services"].insert_all(rows, batch_size=1000)
    db.close()
    return planted


def run_size(count: int, lifecycle: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        planted = build(path, count)
        config = config_from_dict({"directory": {"start_urls": ["https://directory.example.gov.uk/"]}})
        db = open_db(path)
        services = live_services(db)
        context = RuleContext.from_start_urls(TODAY, config.content, config.directory.start_urls)
        started = time.perf_counter()
        per_entry = sum(len(check_service(s, context)) for s in services)
        rules_s = time.perf_counter() - started
        started = time.perf_counter()
        found = find_near_duplicates(services, context)
        dupes_s = time.perf_counter() - started
        joined = {frozenset((f.service_id, f.evidence["value"])) for f in found}
        timings = []
        for _ in range(2 if lifecycle else 0):
            started = time.perf_counter()
            summary = run_findings(db, config, today=TODAY, complete=True)
            timings.append((time.perf_counter() - started, summary.counts))
        db.close()
    print(f"services                 {len(services):>8,}")
    print(f"content rules            {rules_s:>8.2f} s  ({rules_s / count * 1000:.2f} ms per entry, {per_entry:,} findings)")
    print(f"near-duplicate search    {dupes_s:>8.2f} s  ({len(found):,} findings, one per pair; "
          f"{dupes_s / (count * math.log(count)) * 1e6:.2f} us per n log n)")
    # Recall by how alike each planted copy really is, measured as the rule measures it
    # (rapidfuzz token-sort ratio of the descriptions): the rule's threshold is 80.
    by_id = {s.directory_id: s for s in services}
    bins: dict[str, list[bool]] = {label: [] for label, _low, _high in BINS}
    for pair in sum(planted.values(), []):
        a, b = (by_id[i] for i in pair)
        alike = fuzz.token_sort_ratio(" ".join(_words(a.description)), " ".join(_words(b.description)))
        label = next(label for label, low, high in BINS if low <= alike < high)
        bins[label].append(frozenset(pair) in joined)
    for label, hits in bins.items():
        print(f"  copies {label:>9} alike  recall {sum(hits) / max(1, len(hits)):.2f}  ({sum(hits)} of {len(hits)})")
    for run, (seconds, counts) in enumerate(timings, 1):
        print(f"run_findings pass {run}      {seconds:>8.2f} s  (new {counts['new']:,}, seen {counts['seen']:,}, fixed {counts['fixed']:,})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, nargs="+", default=[5000])
    parser.add_argument("--skip-lifecycle", action="store_true", help="time the rules and the duplicate search only")
    args = parser.parse_args(argv)
    for count in args.services:
        run_size(count, not args.skip_lifecycle)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS                 {rss_mb:>8.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
