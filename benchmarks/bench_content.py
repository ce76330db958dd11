"""Benchmark the content rules and the findings lifecycle on a large synthetic directory.

Builds N services in a temporary SQLite file (varied names, templated descriptions, a
share of planted faults and copies), then times: the per-entry content rules alone, the
near-duplicate search alone, and two full `run_findings` passes (the first opens every
finding, the second finds them all unchanged).

    python benchmarks/bench_content.py                  # 5,000 services
    python benchmarks/bench_content.py --services 20000
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from localoffer_audit.checks.content import RuleContext, check_service, find_near_duplicates
from localoffer_audit.config import config_from_dict
from localoffer_audit.db import open_db, utc_now
from localoffer_audit.findings import run_findings
from localoffer_audit.queries.services import live_services

TODAY = date(2025, 6, 15)
WORDS = ("autism adhd sensory youth parent carer forum club group play stay music art sport swim dance drama "
         "speech language therapy support advice housing benefits transport respite short breaks holiday "
         "football cycling riding cooking gardening reading homework tuition mentoring befriending").split()
PLACES = "Northtown Southgate Riverside Hillcrest Oakwood Millbrook Ashford Kingsley Elmstead Brookfield".split()
FAULTS = [
    "Easter 2021 holiday club places available.",
    "Sessions suspended due to coronavirus.",
    "This service has now closed.",
    "Lorem ipsum dolor sit amet.",
]


def build(db_path: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    db = open_db(db_path)
    rows = []
    for n in range(count):
        if rows and rng.random() < 0.02:
            # A copy of an earlier entry, re-entered with a word changed: a near duplicate.
            original = rows[rng.randrange(len(rows))]
            rows.append({**original, "id": f"s{n:06d}", "url": f"https://directory.example.gov.uk/service.page?id=s{n:06d}",
                         "description": original["description"].replace("We support", "We help", 1)})
            continue
        sentences = [f"We support children and young people with SEND in {rng.choice(PLACES)}."]
        sentences += [" ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + "." for _ in range(4)]
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=5000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        build(path, args.services)
        config = config_from_dict({"directory": {"start_urls": ["https://directory.example.gov.uk/"]}})
        db = open_db(path)
        services = live_services(db)
        context = RuleContext.from_start_urls(TODAY, config.content, config.directory.start_urls)
        started = time.perf_counter()
        per_entry = sum(len(check_service(s, context)) for s in services)
        rules_s = time.perf_counter() - started
        started = time.perf_counter()
        duplicates = len(find_near_duplicates(services, context))
        dupes_s = time.perf_counter() - started
        timings = []
        for _ in range(2):
            started = time.perf_counter()
            summary = run_findings(db, config, today=TODAY, complete=True)
            timings.append((time.perf_counter() - started, summary.counts))
        db.close()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"services                 {args.services:>8,}")
    print(f"content rules            {rules_s:>8.2f} s  ({rules_s / args.services * 1000:.2f} ms per entry, {per_entry:,} findings)")
    print(f"near-duplicate search    {dupes_s:>8.2f} s  ({duplicates:,} findings)")
    for run, (seconds, counts) in enumerate(timings, 1):
        print(f"run_findings pass {run}      {seconds:>8.2f} s  (new {counts['new']:,}, seen {counts['seen']:,}, fixed {counts['fixed']:,})")
    print(f"peak RSS                 {rss_mb:>8.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
