"""The directory's own count of its records, read from its listing page: a scored table.

Positives follow the wording of real directory software (Drupal Views' result summary
"Displaying @start - @end of @total", search pages' "Showing 1 to 10 of N results",
"N results found"); negatives are lines a listing page also prints (teasers, opening
times, ages, a pager's "Page 2 of 40"), which must never be read as a count.
"""

from __future__ import annotations

from localoffer_audit.crawl.sizes import sitemap_urls, stated_count, stated_count_in_text

COUNTS = [
    ("Displaying 1 - 10 of 400", 400),
    ("Displaying 21 - 23 of 23", 23),
    ("Showing 1 to 20 of 45 results", 45),
    ("Showing 31 - 40 of 1,250 entries", 1250),
    ("Results 1-10 of 87", 87),
    ("400 results", 400),
    ("400 results found", 400),
    ("12 services", 12),
    ("We found 1,204 results", 1204),
    ("Displaying 12 results", 12),
    ("Your search returned 35 services", 35),
    ("There are 18 services matching your search", 18),
]
NOT_COUNTS = [
    "2 services available at this venue",
    "3 services are run by the trust in Northford",
    "We support over 200 families every year",
    "Ages 5 to 11",
    "Open 9 to 5, Monday to Friday",
    "Page 2 of 40",
    "Call 0300 555 0100",
    "Showing 1 to 20 of 45 results " + "and a long sentence that goes on " * 4,
]


def test_count_wording_precision_and_recall():
    found = {line: stated_count_in_text(line) for line, _ in COUNTS} | {line: stated_count_in_text(line) for line in NOT_COUNTS}
    true_positive = sum(1 for line, count in COUNTS if found[line] == count)
    false_positive = sum(1 for line in NOT_COUNTS if found[line] is not None)
    precision = true_positive / (true_positive + false_positive)
    recall = true_positive / len(COUNTS)
    assert (precision, recall) == (1.0, 1.0), {k: v for k, v in found.items()}


def test_the_count_is_read_outside_site_chrome_and_links():
    page = """<html><body><header><p>12 results</p></header><nav><p>Showing 1 to 5 of 5 results</p></nav>
<main><h1>Short breaks</h1><div class="teaser"><a href="/x">40 services</a></div>
<div class="view-header">Displaying 1 - 10 of 137</div></main><footer><p>3 results</p></footer></body></html>"""
    assert stated_count(page) == (137, "Displaying 1 - 10 of 137")
    assert stated_count("<html><body><main><p>Holiday clubs near you</p></main></body></html>") is None


def test_sitemap_locations():
    xml = """<?xml version="1.0"?><urlset><url><loc> https://d.example/a </loc></url><url><loc>https://d.example/b</loc></url></urlset>"""
    assert sitemap_urls(xml) == ["https://d.example/a", "https://d.example/b"]


def test_a_sitemap_is_read_plain_or_gzipped_within_its_bound():
    import gzip

    import pytest

    from localoffer_audit.crawl.sizes import SitemapUnreadable, read_sitemap

    index = (b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
             b"<sitemap><loc>https://d.example/sitemap.xml?page=2&amp;lang=en</loc></sitemap></sitemapindex>")
    for body in (index, gzip.compress(index)):
        found = read_sitemap(body)
        assert found.is_index and found.locs == ["https://d.example/sitemap.xml?page=2&lang=en"]
    urlset = b"<urlset><url><loc>https://d.example/a</loc></url></urlset>"
    assert read_sitemap(gzip.compress(urlset)) == read_sitemap(urlset) and not read_sitemap(urlset).is_index
    # A gzip bomb is unpacked only to the bound; a broken one or an oversized plain file is refused.
    with pytest.raises(SitemapUnreadable, match="unpacks to more than 1,000 bytes"):
        read_sitemap(gzip.compress(b" " * 5_000_000), 1_000)
    with pytest.raises(SitemapUnreadable, match="gzip data is broken"):
        read_sitemap(b"\x1f\x8b" + b"not gzip at all")
    with pytest.raises(SitemapUnreadable, match="more than 100 bytes"):
        read_sitemap(b"<urlset>" + b" " * 200 + b"</urlset>", 100)
