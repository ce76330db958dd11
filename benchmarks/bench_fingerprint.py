"""Benchmark the page fingerprint the link checker now keeps for every answered page.

For pages of several sizes (visible words, with ordinary markup around them) it times
``classify.page_text`` (which the checker ran before), ``fingerprint.snapshot_of``
(the fingerprint, harmful-content markers included) on top of it, and the same
fingerprint as computed before the speed-up (``fingerprint_before.py``, a frozen copy,
checked to give the same stored snapshot but for the term filter, which format 2 keys by
parsing/contact_values.py), and measures the stored JSON size; then it
times the safeguarding judgement for N services on stored snapshots. Each figure line
prints figure, bound and ratio (figure / bound; <= 1 is within); the speed-up line
prints before / after.

    python benchmarks/bench_fingerprint.py
    python benchmarks/bench_fingerprint.py --words 800 3000 20000 --services 5000
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import date
from pathlib import Path

from localoffer_audit.content.rules import RuleContext
from localoffer_audit.findings.safeguarding import safeguarding_findings
from localoffer_audit.links.classify import page_text
from localoffer_audit.links.fingerprint import snapshot_of
from localoffer_audit.models import Contact, ServiceItem
from localoffer_audit.store.findings import LinkObservation
from localoffer_audit.store.fingerprints import StoredPages

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.support.fingerprint_v1
import fingerprint_before  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

VOCAB = ("children young people families sessions support autism adhd sensory play music swim club parent carer "
         "forum holiday term school local council referral booking volunteer safeguarding inclusive friendly "
         "staff garden timetable contact email phone address north south town village park library").split()
# A checker's page budget: the fingerprint should cost no more than a few milliseconds a page.
BOUND_MS_PER_3000_WORDS = 15.0
# The speed-up asked for (issue 19 follow-up): the new fingerprint at most this share of
# the old one's CPU on a 3,000-word page.
BOUND_AFTER_OVER_BEFORE = 0.5
BOUND_STORED_BYTES = 6000
BOUND_JUDGE_MS_PER_SERVICE = 1.0


def make_page(words: int, rng: random.Random) -> str:
    paragraphs = []
    for start in range(0, words, 60):
        text = " ".join(rng.choice(VOCAB) for _ in range(min(60, words - start)))
        paragraphs.append(f"<div class='row'><p class='text'>{text}.</p><img src='/i/{start}.jpg' alt='photo {start}'></div>")
    return ("<!DOCTYPE html><html lang='en-GB'><head><title>Little Acorns Childminding</title>"
            "<script>var x = 1;</script><style>p{margin:0}</style></head><body><nav><a href='/'>Home</a></nav>"
            f"<h1>Welcome</h1>{''.join(paragraphs)}<footer>Call 0114 496 0123, S11 8AB</footer></body></html>")


def _but_terms(stored: dict) -> dict:
    return {key: value for key, value in stored.items() if key not in ("terms", "format")}


def time_per_call(fn, repeat: int) -> float:
    """CPU milliseconds a call (process time: the machine is shared, wall time is noise)."""
    started = time.process_time()
    for _ in range(repeat):
        fn()
    return (time.process_time() - started) * 1000 / repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--words", type=int, nargs="+", default=[800, 3000, 20000])
    parser.add_argument("--services", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(1)
    print(f"{'page words':>10}  {'page_text ms':>12}  {'before ms':>10}  {'after ms':>9}  {'before/after':>12}  {'stored bytes':>12}")
    url = "https://www.example.org.uk/"
    for words in args.words:
        markup = make_page(words, rng)
        repeat = max(3, 30000 // max(words, 1))
        text_ms = time_per_call(lambda markup=markup: page_text(markup), repeat)
        page = page_text(markup)
        stored_now = snapshot_of(url, page).to_json()
        # Format 2 keys the term filter by contact_values (issue 14): every other field must match.
        if _but_terms(stored_now) != _but_terms(fingerprint_before.snapshot_of(url, page).to_json()):
            raise SystemExit(f"the new fingerprint differs from the old one on a {words}-word page")
        before_ms = time_per_call(lambda page=page: fingerprint_before.snapshot_of(url, page), repeat)
        snap_ms = time_per_call(lambda page=page: snapshot_of(url, page), repeat)
        stored = len(json.dumps(stored_now))
        print(f"{words:>10}  {text_ms:>12.2f}  {before_ms:>10.2f}  {snap_ms:>9.2f}  {before_ms / snap_ms:>11.1f}x  {stored:>12}")
        if words == 3000:
            print(f"figure {snap_ms:.2f} ms fingerprint per 3,000-word page (before {before_ms:.2f} ms); "
                  f"bound {BOUND_MS_PER_3000_WORDS} ms; ratio {snap_ms / BOUND_MS_PER_3000_WORDS:.2f}")
            print(f"figure {snap_ms / before_ms:.2f} after/before CPU on a 3,000-word page ({before_ms / snap_ms:.1f}x cheaper); "
                  f"bound {BOUND_AFTER_OVER_BEFORE}; ratio {snap_ms / before_ms / BOUND_AFTER_OVER_BEFORE:.2f}")
            print(f"figure {stored} bytes stored per page; bound {BOUND_STORED_BYTES}; ratio {stored / BOUND_STORED_BYTES:.2f}")
    # The findings-stage judgement on stored snapshots, one website link per service.
    page = page_text(make_page(600, rng))
    services, observations, pages = [], [], {}
    for i in range(args.services):
        url = f"https://www.provider{i}.org.uk/"
        services.append(ServiceItem(f"s{i}", f"https://d/{i}", f"Service {i}", organisation=f"Provider {i} Trust",
                                    contacts=[Contact(phone="0114 496 0123")]))
        observations.append(LinkObservation(f"s{i}", url, "ok", 200, url, True, "t", None, None, [{"field": "website"}]))
        snapshot = snapshot_of(url, page)
        pages[url] = StoredPages(url, snapshot, "t2", snapshot, "t1", snapshot, "t0")
    context = RuleContext(today=date(2026, 12, 3))
    started = time.process_time()
    safeguarding_findings(context, services, observations, pages)
    per = (time.process_time() - started) * 1000 / args.services
    print(f"figure {per:.3f} ms judgement per service ({args.services} services); bound {BOUND_JUDGE_MS_PER_SERVICE} ms; "
          f"ratio {per / BOUND_JUDGE_MS_PER_SERVICE:.2f}")


if __name__ == "__main__":
    main()
