"""The one HTML-to-text extractor, for the crawl's parsers (crawl/common.py) and the link
classifier (links/classify.py). Pure.

``element_text`` gives an element's visible text with its block boundaries marked;
``page_parts`` parses a whole fetched page (any string: truncated, malformed, with NUL
bytes) once and gives its title, h1/h2 headings and text. Scripts, styles,
templates, <noscript>, comments and processing instructions are not text.

Where the time goes (benchmarks/bench_html_text.py): libxml2's parse is C, about 7 ns a
byte of markup, the floor; a walk in Python costs about as much again, so the
classifier's ``page_parts`` cuts scripts out and reads text in C (``strip_elements``,
``itertext``) on the tree it owns. The classifier kept a regex stripper until issue 14
because lxml was measured about 2x slower on a 60 KB page; most of the regex's own time
was stripping tags, ``html.unescape`` and ``str.translate`` on the text, and most of
lxml's then was a Python walk and that same translate.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

BLOCK_TAGS = frozenset(
    "p div li ul ol dd dt dl h1 h2 h3 h4 h5 h6 tr td th table section article address blockquote br hr".split()
)
_SKIP_TAGS = frozenset(("script", "style", "template", "noscript"))
# The headings the link classifier reads ("Page not found" is an h1 or h2 on error pages).
HEADING_TAGS = frozenset(("h1", "h2"))
# A page's text can sit anywhere in its markup (after a megabyte of inline script, say),
# so the whole decoded body is parsed: the link checker caps it at max_decoded_bytes
# (2 MB by default: tens of milliseconds, less than the regex stripper took on
# text-heavy pages, up to about 1.6x its time on pages that are nearly all tags). Only a
# body limit raised far beyond that is cut here, so a page cannot cost seconds; text past
# the cut is not read.
MAX_PARSED_CHARS = 4_000_000

_local = threading.local()


def _parser() -> etree.HTMLParser:
    """One parser per thread (an lxml parser must not be shared between threads).
    UTF-8 is forced because the page is already decoded: a <meta charset> in it must
    not make libxml2 read it again in another encoding. huge_tree lets a tree nest
    2,048 elements deep, not 256 (libxml2 stops reading at that depth; the walk below
    keeps no call stack, so any depth is safe for it)."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.HTMLParser(
            encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, recover=True, huge_tree=True
        )
    return parser


def parse_page(markup: str) -> etree._Element | None:
    """The page's element tree, or None when there is nothing to parse. Never raises:
    libxml2 recovers from any markup; NUL bytes and lone surrogates become U+FFFD and
    "?"; only the first MAX_PARSED_CHARS characters are read."""
    data = markup[:MAX_PARSED_CHARS].encode("utf-8", "replace")
    if not data.strip():
        return None
    try:
        return etree.fromstring(data, _parser())
    except (etree.LxmlError, ValueError):  # not seen with recover=True; a page is never worth a traceback
        return None


def _texts(element: etree._Element, inline: str, skip: frozenset[str]) -> list[str]:
    """The text pieces of ``element`` in document order, separators included.

    A loop with its own stack, not recursion: a broken page can nest thousands of
    unclosed tags (parsel's parser reads 2,048 levels deep), deeper than Python's
    recursion limit; the recursive walk before this raised RecursionError there."""
    parts: list[str] = []
    if element.text:
        parts.append(element.text)
    # Each entry: an open element, its block/inline separator, its children still to read.
    # Comments and processing instructions are children too (their tails are text).
    stack: list[tuple[etree._Element, str, Iterator[etree._Element]]] = [(element, "", iter(element))]
    while stack:
        node, separator, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if stack:  # not the element itself: its separator and tail close it
                parts.append(separator)
                if node.tail:
                    parts.append(node.tail)
            continue
        tag = child.tag
        if not isinstance(tag, str) or tag in skip:
            # Comments, processing instructions, scripts...: skipped, their tails kept.
            if child.tail:
                parts.append(child.tail)
            continue
        separator = "\n" if tag in BLOCK_TAGS else inline
        parts.append(separator)
        if child.text:
            parts.append(child.text)
        stack.append((child, separator, iter(child)))
    return parts


def element_text(
    element: etree._Element, *, inline_separator: str = "", leave_out: frozenset[str] = frozenset()
) -> str:
    """The element's text, not cleaned: a newline at each block boundary (and <br>);
    ``inline_separator`` at each inline one ("" keeps "Sun<b>ny</b>" one word, as a
    page shows it; " " reads every tag as a break, as the link classifier always has).
    Elements named in ``leave_out`` are skipped like scripts (their tails kept)."""
    return "".join(_texts(element, inline_separator, _SKIP_TAGS | leave_out))


def collapse_space(text: str) -> str:
    """Runs of whitespace (no-break spaces included) as one space, trimmed."""
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class PageParts:
    """What a page says, whitespace collapsed, case kept: the first <title>, every h1/h2
    heading in document order, and the visible text (titles left out)."""

    title: str
    headings: tuple[str, ...]
    text: str


_NO_PARTS = PageParts("", (), "")


def page_parts(markup: str) -> PageParts:
    """Title, h1/h2 headings and visible text of a (possibly truncated) HTML page, every
    tag read as a word break, as the link classifier needs.

    The same reading as ``element_text(parse_page(markup), inline_separator=" ",
    leave_out={"title"})`` with its whitespace collapsed (tests/test_html_text.py checks
    it on every kind of page), done in C: the tree is this call's own, so scripts and
    titles are cut out of it by ``strip_elements`` (their tails kept) and the text read
    by ``itertext``; that halves the walk's cost, which is about half of the whole."""
    root = parse_page(markup)
    if root is None:
        return _NO_PARTS
    etree.strip_elements(root, *_SKIP_TAGS, with_tail=False)
    # libxml2 parses <noscript> content as elements, so a title or heading in one was
    # cut out just now with the rest of it, as a browser running scripts never shows it.
    first_title = next(root.iter("title"), None)
    title = collapse_space(" ".join(first_title.itertext())) if first_title is not None else ""
    headings = tuple(collapse_space(" ".join(heading.itertext())) for heading in root.iter(*HEADING_TAGS))
    etree.strip_elements(root, "title", with_tail=False)
    return PageParts(title=title, headings=headings, text=collapse_space(" ".join(root.itertext())))
