"""What a directory says about its own size: "400 results", API totals, sitemap entries.

A first crawl has no earlier crawl to compare with; the directory itself usually says
how many records it holds. The crawl compares what it found with that number.
"""

from __future__ import annotations

import html
import re
import zlib
from dataclasses import dataclass

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
    """The <loc> entries of a sitemap (or the sitemaps of a sitemap index), unescaped
    (``?page=2&amp;type=x`` is ``?page=2&type=x``)."""
    return [html.unescape(loc) for loc in re.findall(r"<loc>\s*([^<\s]+)\s*</loc>", xml or "", re.I)]


# The sitemap protocol's limit for one file, uncompressed (sitemaps.org: 50 MB, 50,000 URLs).
SITEMAP_FILE_MAX_BYTES = 50_000_000
_GZIP_MAGIC = b"\x1f\x8b"


class SitemapUnreadable(ValueError):
    """A sitemap that cannot be read within bounds (too big once unpacked, broken gzip)."""


@dataclass(frozen=True, slots=True)
class Sitemap:
    # A <sitemapindex>: its entries are further sitemaps, not pages.
    is_index: bool
    locs: list[str]


def read_sitemap(body: bytes, max_bytes: int = SITEMAP_FILE_MAX_BYTES) -> Sitemap:
    """A sitemap file as fetched: plain XML or gzipped (``sitemap.xml.gz``), unpacked to
    at most ``max_bytes`` (a gzip bomb stops there, it is never unpacked whole)."""
    if body[:2] == _GZIP_MAGIC:
        unpack = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            unpacked = unpack.decompress(body, max_bytes + 1)
        except zlib.error as exc:
            raise SitemapUnreadable(f"its gzip data is broken ({exc})") from None
        if len(unpacked) > max_bytes:
            raise SitemapUnreadable(f"it unpacks to more than {max_bytes:,} bytes")
        body = unpacked
    elif len(body) > max_bytes:
        raise SitemapUnreadable(f"it is more than {max_bytes:,} bytes")
    text = body.decode("utf-8", errors="replace")
    return Sitemap("<sitemapindex" in text[:4000].lower(), sitemap_urls(text))
