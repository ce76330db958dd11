"""Dates as British directories print them, parsed strictly.

"14/03/2022" is 14 March (day first, never American); "3 March 2023", "3rd Mar 2023",
"Friday 3 March 2023", "2021-05-06" (ISO, optionally with a time), "March 2022" (read as
the 1st of that month, the conservative choice for staleness). Anything else gives no
value: a wrong date is worse than none, and the raw text is always kept.

The reading itself is ``parsing.dates`` (one parser for the crawl and the content rules);
here a stored date must be the whole text and a plausible year.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from datetime import date

from localoffer_audit.parsing.dates import parse_whole_date
from localoffer_audit.models import ShownDate
from localoffer_audit.crawl.text import clean, normalise_label

_DIGIT = re.compile(r"\d")

# Plausible years for a date shown on a directory record.
MIN_YEAR, MAX_YEAR = 1990, 2100


def parse_uk_date(text: str | None) -> date | None:
    """The date in ``text`` if the whole text is one date in a known British format."""
    mention = parse_whole_date(clean(text))
    if mention is None or not MIN_YEAR <= mention.start.year <= MAX_YEAR:
        return None
    return mention.start


@lru_cache(maxsize=64)
def _prepared(date_labels: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...], re.Pattern[str]]:
    """Normalised labels, and one regex for "<up to two words> <label> <date>" lines."""
    labels = tuple(sorted({normalise_label(label) for label in date_labels if normalise_label(label)}, key=len, reverse=True))
    alternatives = "|".join(re.escape(label) for label in labels) or "(?!)"
    line = re.compile(rf"((?:[a-z]+\s+){{0,2}}?(?:{alternatives}))\s+[-\u2013]?\s*(.+)$", re.I)
    return frozenset(labels), labels, line


def match_date_label(label: str, date_labels: Iterable[str]) -> str | None:
    """The label as shown (normalised) if it names a configured date label, else None.

    Case and trailing colons are ignored. A configured label may be preceded by up to
    two words ("Record reviewed" for "reviewed", "Record last updated" for "last
    updated"), because sites prefix the same wording differently.
    """
    wanted = normalise_label(label)
    if not wanted or len(wanted) > 60:
        return None
    exact, labels, _ = _prepared(tuple(date_labels))
    if wanted in exact:
        return wanted
    for configured in labels:
        if wanted.endswith(" " + configured) and len(wanted[: -len(configured)].split()) <= 2:
            return wanted
    return None


def shown_date(label: str, raw: str) -> ShownDate:
    return ShownDate(label=normalise_label(label), raw=clean(raw), value=parse_uk_date(raw))


def find_labelled_dates(text: str, date_labels: Iterable[str]) -> list[ShownDate]:
    """A date printed as a line of text: "Last updated: 14/03/2022", "Date added 2021-05-06".

    The line must start with a date label (see ``match_date_label``); the rest of the
    line, at most 40 characters, is the raw date (kept even when it does not parse).
    """
    line = clean(text)
    if not line or len(line) > 120:
        return []
    head, colon, rest = line.partition(":")
    if colon and match_date_label(head, date_labels):
        rest = rest.strip()
        if rest and len(rest) <= 40:
            return [shown_date(head, rest)]
        return []
    # No colon: up to two words and a label, then something that parses as a date.
    if not _DIGIT.search(line):  # every line of every record page comes here: keep it cheap
        return []
    match = _prepared(tuple(date_labels))[2].match(line)
    if match and (value := parse_uk_date(match.group(2))):
        return [ShownDate(label=normalise_label(match.group(1)), raw=clean(match.group(2)), value=value)]
    return []
