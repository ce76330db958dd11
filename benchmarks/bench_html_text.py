"""Benchmark the one HTML-to-text extractor against the regex stripper it replaced.

The link classifier reads every answered page's title, h1/h2 headings and text
(``classify.page_text``) in the checker's event loop. Until issue 14 it stripped tags with
regexes (tests/support/html_text_before.py, a frozen copy); now it asks the lxml
extractor the crawl uses (parsing/html_text.py). For real-looking pages of each kind
(tests/support/pages.py: a council service page, a provider's WordPress page, a
council soft 404, a parked domain's lander) and size, this prints CPU milliseconds per
page for both, the ratio new / regex and the bound, and where the time goes:

- regex: removing comments, removing scripts and styles, finding the title and
  headings, stripping the remaining tags;
- lxml: the parse (``etree.HTMLParser`` with comments dropped while parsing), the walk
  (``page_parts`` less the parse: scripts cut out, title, headings and text read), and for comparison ``lxml.html.fromstring`` (the parse measured last time, with its
  Python element classes);
- ``markup.lower()``, which both keep for the markup searches.

It also checks that both read the same title, headings and text from every page.

    python benchmarks/bench_html_text.py
    python benchmarks/bench_html_text.py --sizes 10000 60000 500000 2000000 --rounds 7
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lxml import html as lxml_html  # noqa: E402

from localoffer_audit.links.classify import page_text  # noqa: E402
from localoffer_audit.parsing import html_text  # noqa: E402
from tests.support import html_text_before as before  # noqa: E402  (the same frozen copy the tests use)
from tests.support.pages import KINDS  # noqa: E402

# The new reading may cost at most this multiple of the regex stripper's on a page, or
# (where the regex is cheaper still: pages of markup with little text) at most this many
# milliseconds per 100 KB of markup; a page is read in the checker's event loop and holds
# up every other answer in flight meanwhile.
BOUND_RATIO = 1.3
BOUND_MS_PER_100_KB = 2.0


def cpu_ms(fn: Callable[[], object], rounds: int, budget_s: float = 0.3) -> float:
    """The least CPU milliseconds a call over ``rounds`` rounds (process time: the machine
    is shared, and the least is the one least disturbed)."""
    started = time.process_time()
    fn()
    once = max(time.process_time() - started, 1e-5)
    repeat = max(1, int(budget_s / rounds / once))
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(repeat):
            fn()
        best = min(best, (time.process_time() - started) * 1000 / repeat)
    return best


def regex_parts(markup: str) -> dict[str, Callable[[], object]]:
    no_comments = before._COMMENT.sub(" ", markup)
    visible = before._SCRIPT_STYLE.sub(" ", no_comments)
    body = before._TITLE.sub(" ", visible)
    return {
        "comments": lambda: before._COMMENT.sub(" ", markup),
        "scripts": lambda: before._SCRIPT_STYLE.sub(" ", no_comments),
        "title+h": lambda: (before._TITLE.search(visible), [m.group(2) for m in before._HEADING.finditer(visible)]),
        "tags": lambda: before._clean(body),
    }


def lxml_parts(markup: str) -> dict[str, Callable[[], object]]:
    return {
        "parse": lambda: html_text.parse_page(markup),
        "parse+walk": lambda: html_text.page_parts(markup),
        "lxml.html": lambda: lxml_html.fromstring(markup),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 60_000, 500_000])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"{'page':>8} {'bytes':>8} {'regex ms':>9} {'new ms':>7} {'new/regex':>9}  "
          f"{'regex: comments scripts title+h tags':>37}  {'lxml: parse walk (lxml.html)':>29}  {'lower':>5}")
    missed, differ = [], []
    for kind, make in KINDS.items():
        for size in args.sizes:
            markup = make(size)
            page = page_text(markup)
            if (page.title, page.headings, page.text) != before.regex_page_parts(markup):
                differ.append(f"{kind} {size}")
            old_ms = cpu_ms(lambda markup=markup: before.regex_page_parts(markup), args.rounds)
            new_ms = cpu_ms(lambda markup=markup: page_text(markup), args.rounds)
            old_split = [cpu_ms(fn, args.rounds, 0.1) for fn in regex_parts(markup).values()]
            new_split = [cpu_ms(fn, args.rounds, 0.1) for fn in lxml_parts(markup).values()]
            lower_ms = cpu_ms(markup.lower, args.rounds, 0.05)
            print(f"{kind:>8} {len(markup):>8} {old_ms:>9.2f} {new_ms:>7.2f} {new_ms / old_ms:>8.2f}x  "
                  f"{' '.join(f'{v:.2f}' for v in old_split):>37}  "
                  f"{new_split[0]:.2f} {new_split[1] - new_split[0]:.2f} ({new_split[2]:.2f}){'':>12}  {lower_ms:>5.2f}")
            bound = max(BOUND_RATIO * old_ms, BOUND_MS_PER_100_KB * len(markup) / 100_000)
            if new_ms > bound:
                missed.append(f"{kind} {len(markup)} bytes: {new_ms:.2f} ms > {bound:.2f} ms")
            if size == 60_000 and kind == "council":
                print(f"figure {new_ms:.2f} ms per 60 KB council page (regex {old_ms:.2f} ms); bound "
                      f"{BOUND_RATIO} x regex = {BOUND_RATIO * old_ms:.2f} ms; ratio {new_ms / (BOUND_RATIO * old_ms):.2f}")
    print(f"bound on every page: new <= {BOUND_RATIO} x regex or <= {BOUND_MS_PER_100_KB} ms per 100 KB; "
          f"{'all within' if not missed else 'missed: ' + '; '.join(missed)}")
    print("same title, headings and text as the regex stripper on every page" if not differ
          else f"read differently from the regex stripper: {', '.join(differ)}")
    return 1 if missed or differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
