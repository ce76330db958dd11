"""The one HTML-to-text extractor (parsing/html_text.py), for the crawl and the link classifier.

The link classifier read pages with a regex stripper until issue 14 (kept verbatim in
tests/support/html_text_before.py). These show that the lxml extractor reads the same
title, headings and text from every kind of real-looking page and from the classifier's
own tables, that its fast path is the same reading as the crawl's walk, and that no
input (empty, truncated, malformed, NUL bytes, lone surrogates, nested thousands deep,
megabytes long, in odd encodings) raises; where the two readings differ, the page is broken markup and the
lxml one reads it as a browser does.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from parsel import Selector

from localoffer_audit.crawl.common import lines_of, text_of
from localoffer_audit.links.classify import page_text, soft_404_signal
from localoffer_audit.links.http import _decode
from localoffer_audit.parsing.html_text import MAX_PARSED_CHARS, collapse_space, element_text, page_parts, parse_page
from tests.support.pages import KINDS
from tests.support.html_text_before import recursive_element_text, regex_page_parts


REAL_LOOKING = [(kind, size) for kind in KINDS for size in (10_000, 60_000, 500_000)]


@pytest.mark.parametrize(("kind", "size"), REAL_LOOKING)
def test_reads_real_looking_pages_as_the_regex_stripper_did(kind: str, size: int) -> None:
    markup = KINDS[kind](size)
    page = page_text(markup)
    assert (page.title, page.headings, page.text) == regex_page_parts(markup)
    assert page.text and page.markup == markup.lower()


# Small pages in the shapes the classifier's tables use (tests/test_classify.py):
# entities, curly quotes, headings with markup in them, a title in the body.
SMALL = [
    "<html><head><title>Page not found | Leeds City Council</title></head><body><h1>Page not found</h1></body></html>",
    "<title>Sorry, we can&rsquo;t find that page | Barnardo&#8217;s</title><p>Try <a href='/'>our home page</a>.</p>",
    "<h1>Oops! <span class='x'>Page</span> not found</h1><h2></h2><h2>Try <em>searching</em></h2><p>&copy; 2026</p>",
    "<body><p>This domain may be for sale.<br>Make an offer&nbsp;today.</p><script>window.park='x'</script></body>",
    "<html><script src='https://www.google.com/adsense/domains/caf.js'></script></html>",
    "<p>Just a moment...</p><noscript><h1>Enable JavaScript</h1></noscript><template><h2>t</h2></template>",
    "<body><svg><title>icon</title></svg><h1>Short <b>breaks</b></h1><p>Sun<b>ny</b>side \u201cclub\u201d</p></body>",
    "<p>One</p><!-- a comment --><p>Two</p><?php echo 1; ?><p>Three</p>",
]


@pytest.mark.parametrize("markup", SMALL, ids=range(len(SMALL)))
def test_reads_small_pages_as_the_regex_stripper_did(markup: str) -> None:
    page = page_text(markup)
    assert (page.title, page.headings, page.text) == regex_page_parts(markup)


def test_the_pages_hold_what_the_classifier_looks_for() -> None:
    # The benchmark's pages are worth timing only if they read as their kind.
    assert page_text(KINDS["soft 404"](60_000)).title.startswith("page not found")
    assert "this domain may be for sale" in page_text(KINDS["parked"](60_000)).text
    council = page_text(KINDS["council"](60_000))
    assert "short breaks for disabled children" in council.headings and "gtag" not in council.text
    assert "inclusive play" in page_text(KINDS["provider"](60_000)).title


BROKEN = [
    "",
    "   \n\t",
    "<",
    "<!DOCTYPE html>",
    "<p>a\x00b</p><p>after the NUL</p>",
    "\x00" * 10,
    "<p>a\udc80b</p>",
    "\ufeff<title>T</title><p>x</p>",
    "<p>hi</p><!-- never closed <p>x</p>",
    "<p>hi</p><script>var a = '<p>x</p>",
    "<p>Age < 5 and > 3</p>",
    "<html><head><title>Page not found</title><h1>Not found</h1><p>Sorry, we can&rsquo;t",
    "<?xml version='1.0' encoding='iso-8859-1'?><html><title>Caf\u00e9</title></html>",
    "<frameset><frame src='x'></frameset>",
    "<table><tr><td>a<td>b</table></td></tr></p></div></body></html>garbage after",
    "<div>" * 3000 + "deep text" + "</div>" * 3000 + "<p>after</p>",
    "<p>&nbsp;&amp;lt; &pound;5 &nbsp &bogus; &#0; &#x110000;</p>",
    bytes(random.Random(1).getrandbits(8) for _ in range(20_000)).decode("latin-1"),
]


@pytest.mark.parametrize("markup", BROKEN, ids=range(len(BROKEN)))
def test_no_input_raises_and_the_fast_path_is_the_walk(markup: str) -> None:
    page = page_text(markup)
    assert isinstance(page.text, str) and isinstance(page.title, str)
    root = parse_page(markup)
    walked = collapse_space(element_text(root, inline_separator=" ", leave_out=frozenset({"title"}))) if root is not None else ""
    assert page_parts(markup).text == walked


@pytest.mark.parametrize(("kind", "size"), [(kind, 60_000) for kind in KINDS])
def test_the_fast_path_is_the_walk_on_real_looking_pages(kind: str, size: int) -> None:
    markup = KINDS[kind](size)
    root = parse_page(markup)
    assert root is not None
    assert page_parts(markup).text == collapse_space(element_text(root, inline_separator=" ", leave_out=frozenset({"title"})))


def test_broken_markup_reads_as_a_browser_shows_it() -> None:
    # The regex stripper read these wrongly: text after an unclosed comment, the code of a
    # script cut off by the body limit, and words after a "<" in the text were lost or shown.
    assert page_text("<p>hi</p><!-- never closed <p>x</p>").text == "hi"
    assert regex_page_parts("<p>hi</p><!-- never closed <p>x</p>")[2] == "hi x"
    assert page_text("<p>hi</p><script>var a = '<p>x</p>").text == "hi"
    assert "var a" in regex_page_parts("<p>hi</p><script>var a = '<p>x</p>")[2]
    assert page_text("<p>Age < 5 and > 3</p>").text == "age < 5 and > 3"
    assert regex_page_parts("<p>Age < 5 and > 3</p>")[2] == "age 3"
    # A heading whose closing tag the truncated body never reached is still a heading.
    truncated = "<html><head><title>Oops</title></head><body><h1>Page not found"
    assert page_text(truncated).headings == "page not found" and regex_page_parts(truncated)[1] == ""


def test_nul_bytes_and_odd_characters_keep_the_text_around_them() -> None:
    assert page_text("<p>a\x00b</p><p>after the NUL</p>").text == "a\ufffdb after the nul"
    assert page_text("<p>a\udc80b</p>").text == "a?b"
    assert page_text("\ufeff<title>T</title><p>x</p>").title == "t"


def test_a_decoded_page_is_not_decoded_again_by_its_meta_charset() -> None:
    markup = "<meta charset='iso-8859-1'><title>Caf\u00e9 \u2019s</title><p>na\u00efve</p>"
    page = page_text(markup)
    assert (page.title, page.text) == ("caf\u00e9 's", "na\u00efve")


def test_a_page_nested_thousands_deep_is_read_to_the_parser_limit() -> None:
    # libxml2 reads 2,048 levels (huge_tree); below that nothing is lost, beyond it the
    # text before the limit is kept. Neither raises.
    nested = "<p>before</p>" + "<div>" * 1500 + "deep text" + "</div>" * 1500 + "<p>after</p>"
    assert page_text(nested).text == "before deep text after"
    too_deep = "<p>before</p>" + "<div>" * 3000 + "deep text" + "</div>" * 3000
    assert page_text(too_deep).text.startswith("before")


CRAWL_FIXTURES = sorted((Path(__file__).parent / "files").glob("*.html"))


@pytest.mark.parametrize("path", CRAWL_FIXTURES, ids=[p.name for p in CRAWL_FIXTURES])
def test_the_crawl_reads_every_element_as_the_recursive_walk_did(path: Path) -> None:
    # parsel's tree, comments and processing instructions kept, as the crawl parses it.
    root = Selector(text=path.read_text(encoding="utf-8", errors="replace")).root
    elements = [element for element in root.iter() if isinstance(element.tag, str)]
    assert len(elements) > 10
    for element in elements:
        for separator in ("", " "):
            assert element_text(element, inline_separator=separator) == recursive_element_text(
                element, inline_separator=separator), (path.name, element.tag)


def test_the_crawl_reads_an_element_nested_deeper_than_python_recursion() -> None:
    # The walk before this one recursed: parsel reads 2,048 levels, Python stops at 1,000
    # (RecursionError in text_of on such a page; this test failed before).
    selector = Selector(text="<div>" * 1500 + "Sunny<b>side</b> club" + "</div>" * 1500)
    assert text_of(selector) == "Sunnyside club"
    assert lines_of(Selector(text="<div>" * 1200 + "line one<br>line two" + "</div>" * 1200)) == ["line one", "line two"]


def test_a_huge_body_is_read_whole_up_to_the_limit_and_no_further() -> None:
    # The checker's decoded-body limit (2 MB by default) is read whole...
    two_mb = "<title>Big</title><script>" + "x" * 1_500_000 + "</script><p>This domain may be for sale</p>"
    assert page_text(two_mb).text == "this domain may be for sale"
    # ...and a body beyond MAX_PARSED_CHARS is parsed to there only.
    words = "word " * (MAX_PARSED_CHARS // 5 + 100_000)
    page = page_text(f"<title>Big</title><p>{words}</p>")
    assert page.title == "big" and 1_000_000 < len(page.text) <= MAX_PARSED_CHARS


ODD_BODIES = [
    # (raw body, Content-Type): what the checker decodes (links/http.py, w3lib) and then reads.
    ("<title>Caf\u00e9</title><p>Sorry, we can\u2019t find that page</p>".encode("utf-16"), "text/html"),
    ("<title>\u30da\u30fc\u30b8</title><p>\u898b\u3064\u304b\u308a\u307e\u305b\u3093</p>".encode("shift_jis"), "text/html; charset=Shift_JIS"),
    (b"<title>x</title><p>\xff\xfe\xc3( broken utf-8 \xe2\x82</p>", "text/html; charset=utf-8"),
    (b"<p>label nobody knows</p>", "text/html; charset=x-unknown-9"),
    (b"<p>nul\x00in the\x00body</p>", "text/html"),
    (b"\xef\xbb\xbf<meta charset='iso-8859-1'><p>BOM says UTF-8 \xe2\x80\x99</p>", "text/html"),
    (bytes(range(256)) * 40, "application/octet-stream"),
]


@pytest.mark.parametrize(("raw", "content_type"), ODD_BODIES, ids=range(len(ODD_BODIES)))
def test_odd_encodings_decode_and_read_without_raising(raw: bytes, content_type: str) -> None:
    page = page_text(_decode(raw, content_type))
    assert isinstance(page.text, str)


def test_a_utf16_soft_404_reads_as_one() -> None:
    raw = "<html><title>Oops</title><body><p>Sorry, we can\u2019t find that page.</p></body></html>".encode("utf-16")
    assert soft_404_signal(page_text(_decode(raw, "text/html")))
