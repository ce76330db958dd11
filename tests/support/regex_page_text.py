"""The link classifier's page reading before issue 14 (links/classify.py at 58ab623): a
regex stripper, kept verbatim so that tests/test_html_text.py can show the one lxml
extractor reads the same title, headings and text from the same pages, and
benchmarks/bench_html_text.py can time the two side by side. Not used by the pipeline.
"""

from __future__ import annotations

import html
import re

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
