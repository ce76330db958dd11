"""Page tools: the print, share, shortlist and "report a problem" links a directory's
template puts on every record. They are not links a content manager wrote or can fix,
so they are never recorded as the service's outbound links.

Each signal is one that real directory and council templates share, not one site's
markup:

- **where the link sits**: inside an element whose class or id names a sharing widget or
  a page toolbar, word by word (``share``, ``sharing``, ``sharethis``, ``addthis``,
  ``a2a`` (AddToAny), ``toolbar``, ``shortlist``, ``feedback``, ``pagetools``, or the
  pair ``page tools``). Words, not substrings: ``shared_care`` or ``social_media`` (a
  record's own social links) are not page tools, and ``no-print`` is not either;
- **where it goes**: a social network's share intent (``facebook.com/sharer``,
  ``twitter.com/intent/tweet``, ``linkedin.com/shareArticle``, ``wa.me/?text=``...), or
  a ``mailto:`` with no recipient ("email this page to a friend");
- **what it is about**: a link whose query carries this record's own URL or id (a
  feedback form pre-filled with the record, a share button): written by the template
  for this page, never by the provider;
- **what it says**, the whole link text only: "Print this page", "Share on Facebook",
  "Email a friend", "Add to shortlist", "Report a problem with this page" (GOV.UK's own
  wording, copied by many council sites), "Suggest an update to this record", "Is this
  information correct?", "Back to top".
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

from parsel import Selector

# Class or id words naming a sharing widget or a toolbar of page tools.
_TOOL_WORDS = frozenset({"share", "sharing", "sharethis", "addthis", "addtoany", "a2a", "toolbar", "shortlist", "feedback", "pagetools"})
_TOOL_PAIRS = (("page", "tools"), ("page", "tool"))
_WORD = re.compile(r"[a-z0-9]+")

# Share intents of social networks: (host ending, path prefix, required query key or "").
_SHARE_INTENTS = (
    ("facebook.com", "/sharer", ""),
    ("facebook.com", "/share.php", ""),
    ("facebook.com", "/dialog/share", ""),
    ("twitter.com", "/intent/", ""),
    ("twitter.com", "/share", ""),
    ("x.com", "/intent/", ""),
    ("linkedin.com", "/sharearticle", ""),
    ("linkedin.com", "/sharing/", ""),
    ("api.whatsapp.com", "/send", "text"),
    ("wa.me", "/", "text"),
    ("pinterest.com", "/pin/create", ""),
    ("pinterest.co.uk", "/pin/create", ""),
    ("reddit.com", "/submit", ""),
    ("bsky.app", "/intent/compose", ""),
    ("addthis.com", "/bookmark", ""),
    ("addtoany.com", "/add_to/", ""),
    ("addtoany.com", "/share", ""),
)

_THIS = r"(this|the)\s+(page|record|entry|listing|service|information|details|organisation)"
_TOOL_TEXT = re.compile(
    r"^\s*("
    rf"print(\s+{_THIS})?"
    rf"|share(\s+{_THIS})?(\s+(on|via|by)\s+[a-z() ]{{1,20}})?"
    r"|(email|send)\s+(this(\s+page)?|a\s+friend|this\s+to\s+a\s+friend)"
    r"|(add\s+to|remove\s+from|save\s+to)\s+(my\s+|your\s+)?(shortlist|favourites|saved\s+services|basket)"
    rf"|report\s+(a|an)\s+(problem|error|issue|mistake|inaccuracy)\s+(with|on|in|about)\s+{_THIS}"
    rf"|suggest\s+(an?\s+)?(update|edit|change|correction|amendment)(\s+(to|for)\s+{_THIS})?"
    rf"|(is|was|are)\s+{_THIS}\s+(correct|accurate|wrong|incorrect|out\s+of\s+date|useful|helpful)"
    rf"|tell\s+us\s+(about\s+a\s+change|if\s+{_THIS}\s+(is|are)\s+(wrong|incorrect|out\s+of\s+date))"
    r"|back\s+to\s+(the\s+)?top"
    r")\s*[?.!]?\s*$",
    re.I,
)

# Record ids and URLs shorter than this are not looked for in queries ("0", "true").
_MIN_MARK = 6


def _words(value: str) -> list[str]:
    return _WORD.findall(value.lower())


def names_page_tools(class_or_id: str) -> bool:
    """True when a class attribute or id names a sharing widget or page toolbar."""
    for token in class_or_id.split():
        words = _words(token)
        if _TOOL_WORDS.intersection(words):
            return True
        if any(a in words and b in words for a, b in _TOOL_PAIRS):
            return True
    return False


def in_page_tools(selector: Selector) -> bool:
    """The element, or an element around it (below <body>), is a block of page tools."""
    root = selector.root
    if not hasattr(root, "iterancestors"):
        return False
    for element in [root, *root.iterancestors()]:
        if not isinstance(element.tag, str) or element.tag in ("body", "html"):
            break
        if names_page_tools(element.get("class") or "") or names_page_tools(element.get("id") or ""):
            return True
    return False


def is_share_intent(url: str) -> bool:
    """A social network's "share this page" address, or a mailto: with no recipient."""
    lowered = url.strip().lower()
    if lowered.startswith("mailto:"):
        return not unquote(lowered[len("mailto:"):].split("?", 1)[0]).strip()
    try:
        parts = urlsplit(lowered)
    except ValueError:
        return False
    host = (parts.hostname or "").removeprefix("www.").removeprefix("m.")
    keys = {key for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    for suffix, path, key in _SHARE_INTENTS:
        if (host == suffix or host.endswith("." + suffix)) and parts.path.startswith(path) and (not key or key in keys):
            return True
    return False


def _page_marks(page_url: str) -> set[str]:
    """What identifies the record page: its URL (with and without the query) and the
    values of its query (the record id; not short values like a channel's "0")."""
    try:
        parts = urlsplit(page_url)
    except ValueError:
        return set()
    marks = {page_url, page_url.split("#", 1)[0]}
    if parts.query:
        marks.add(f"{parts.netloc}{parts.path}?{parts.query}")
    marks.update(value for _, value in parse_qsl(parts.query) if len(value) >= _MIN_MARK)
    return {mark for mark in marks if len(mark) >= _MIN_MARK}


def refers_to_page(url: str, page_url: str) -> bool:
    """A link to another site whose query names this very record (its URL or id):
    written by the template for this page, e.g. a feedback form pre-filled with the
    record. (A link to the directory's own host is navigation, or the Website field
    pointing at the directory itself, which is recorded on purpose.)"""
    try:
        parts, page = urlsplit(url), urlsplit(page_url)
    except ValueError:
        return False
    query = parts.query
    if not query or (parts.hostname or "").lower() == (page.hostname or "").lower():
        return False
    marks = _page_marks(page_url)
    for _, value in parse_qsl(query, keep_blank_values=True):
        value = value.strip()
        if value in marks or any(len(mark) > 20 and mark in value for mark in marks):
            return True
    return False


def is_tool_text(anchor_text: str) -> bool:
    return bool(_TOOL_TEXT.match(anchor_text or ""))


def page_tool_reason(anchor: Selector, anchor_text: str, url: str | None, page_url: str) -> str | None:
    """Why this link is a page tool, or None when it may be the record's own link."""
    if is_tool_text(anchor_text):
        return "page-tool wording"
    if url and is_share_intent(url):
        return "share link"
    if url and refers_to_page(url, page_url):
        return "names this record"
    if in_page_tools(anchor):
        return "inside page tools"
    return None
