"""The two HTML-to-text readings before issue 14 (main at 58ab623), kept verbatim so that
tests/test_html_text.py can show the one extractor reads the same, and
benchmarks/bench_html_text.py can time them side by side. Not used by the pipeline.

- ``regex_page_parts``: the link classifier's regex stripper (links/classify.py);
- ``recursive_element_text``: the crawl's recursive lxml walk (parsing/html_text.py).
"""

from __future__ import annotations

import html
import re

from lxml import etree

_SCRIPT_STYLE = re.compile(r"<(script|style|noscript|template)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.I | re.S)
_HEADING = re.compile(r"<h([12])\b[^>]*>(.*?)</h\1\s*>", re.I | re.S)
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"', "\xa0": " "})


def _clean(fragment: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", fragment)).translate(_QUOTES)).strip()


def regex_page_parts(markup: str) -> tuple[str, str, str]:
    """(title, headings joined by " | ", text), lower-cased, as classify.page_text read them."""
    without_comments = _COMMENT.sub(" ", markup)
    visible = _SCRIPT_STYLE.sub(" ", without_comments)
    title_match = _TITLE.search(visible)
    title = _clean(title_match.group(1)) if title_match else ""
    headings = " | ".join(_clean(m.group(2)) for m in _HEADING.finditer(visible))
    body = _TITLE.sub(" ", visible)
    return title.lower(), headings.lower(), _clean(body).lower()


_BLOCK_TAGS = frozenset(
    "p div li ul ol dd dt dl h1 h2 h3 h4 h5 h6 tr td th table section article address blockquote br hr".split()
)
_SKIP_TAGS = frozenset(("script", "style", "template", "noscript"))


def _walk(element: etree._Element, parts: list[str], inline: str, skip: frozenset[str]) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in skip or not tag:
        if element.tail:
            parts.append(element.tail)
        return
    block = tag in _BLOCK_TAGS
    parts.append("\n" if block else inline)
    if element.text:
        parts.append(element.text)
    for child in element:
        _walk(child, parts, inline, skip)
    parts.append("\n" if block else inline)
    if element.tail:
        parts.append(element.tail)


def recursive_element_text(element: etree._Element, *, inline_separator: str = "") -> str:
    parts: list[str] = []
    if element.text:
        parts.append(element.text)
    for child in element:
        _walk(child, parts, inline_separator, _SKIP_TAGS)
    return "".join(parts)
