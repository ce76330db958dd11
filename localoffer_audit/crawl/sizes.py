"""What a directory says about its own size: "400 results", API totals, sitemap entries.

A first crawl has no earlier crawl to compare with; the directory itself usually says
how many records it holds. The crawl compares what it found with that number.
"""

from __future__ import annotations

import re

from parsel import Selector

from localoffer_audit.crawl.common import is_chrome, lines_of

# "Showing 1 to 10 of 400 results", "Displaying 1 - 10 of 400", "Results 1-10 of 400".
_RANGE_OF = re.compile(
    r"\b(?:showing|displaying|viewing|results?)\s+(?:results?\s+)?\d[\d,]*\s*(?:-|–|to)\s*\d[\d,]*\s+of\s+(?:about\s+)?(\d[\d,]*)\b",
    re.I,
)
_NOUNS = r"(?:results?|services?|records?|entries|organisations|providers|listings|matches)"
# "400 results", "400 services found", "45 matches": the whole line is the count.
_N_RESULTS = re.compile(rf"^\s*(\d[\d,]*)\s+(?:matching\s+)?{_NOUNS}(?:\s+(?:found|match(?:ed)?|returned))?\s*[.:]?\s*$", re.I)
# "We found 1,204 results", "Your search returned 35 services", "Displaying 12 results",
# "There are 18 services matching your search": a search's own words before the number.
_FOUND_N = re.compile(
    rf"\b(?:found|showing|displaying|returned|there (?:are|were))\s+(\d[\d,]*)\s+(?:matching\s+)?{_NOUNS}"
    r"(?:\s*$|\s*[.:]|\s+(?:found|match|matching|that match|for your search|in your search))",
    re.I,
)
# A count line is short; a sentence in a description mentioning "20 services" is not one.
MAX_LINE_CHARS = 120


def stated_count_in_text(line: str) -> int | None:
    """The total a results-count line states, else None."""
    text = line.strip()
    if not text or len(text) > MAX_LINE_CHARS:
        return None
    for pattern in (_RANGE_OF, _N_RESULTS, _FOUND_N):
        match = pattern.search(text)
        if match:
            return int(match.group(1).replace(",", ""))
    return None


def stated_count(html: str) -> tuple[int, str] | None:
    """(count, the line that says it) from a listing page, outside site chrome."""
    sel = Selector(text=html)
    for block in sel.xpath("//body//*[self::p or self::div or self::span or self::h1 or self::h2 or self::h3 or self::li]"):
        if is_chrome(block) or block.xpath(".//a"):
            continue
        for line in lines_of(block):
            count = stated_count_in_text(line)
            if count is not None:
                return count, line
    return None


def sitemap_urls(xml: str) -> list[str]:
    """The <loc> entries of a sitemap (or the sitemaps of a sitemap index)."""
    return re.findall(r"<loc>\s*([^<\s]+)\s*</loc>", xml or "", re.I)
