"""The lxml HTML-to-text extractor: the visible text of an element, with block
boundaries marked, for the crawl's parsers (crawl/common.py). The link classifier
(links/classify.py) keeps its regex stripper: on a 60 KB page lxml's parse and this walk
took about twice its time, in the link checker's hot path. Scripts, styles, templates,
<noscript> and comments are not text. Pure.
"""

from __future__ import annotations

from lxml import etree

BLOCK_TAGS = frozenset(
    "p div li ul ol dd dt dl h1 h2 h3 h4 h5 h6 tr td th table section article address blockquote br hr".split()
)
_SKIP_TAGS = frozenset(("script", "style", "template", "noscript"))


def _walk(element: etree._Element, parts: list[str], inline: str, skip: frozenset[str]) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in skip or not tag:
        # Comments and processing instructions: skip, keep the tail.
        if element.tail:
            parts.append(element.tail)
        return
    block = tag in BLOCK_TAGS
    parts.append("\n" if block else inline)
    if element.text:
        parts.append(element.text)
    for child in element:
        _walk(child, parts, inline, skip)
    parts.append("\n" if block else inline)
    if element.tail:
        parts.append(element.tail)


def element_text(
    element: etree._Element, *, inline_separator: str = "", leave_out: frozenset[str] = frozenset()
) -> str:
    """The element's text, not cleaned: a newline at each block boundary (and <br>);
    ``inline_separator`` at each inline one ("" keeps "Sun<b>ny</b>" one word, as a
    page shows it; " " reads every tag as a break, as the link classifier always has).
    Elements named in ``leave_out`` are skipped like scripts (their tails kept)."""
    skip = _SKIP_TAGS | leave_out
    parts: list[str] = []
    if element.text:
        parts.append(element.text)
    for child in element:
        _walk(child, parts, inline_separator, skip)
    return "".join(parts)
