"""Reading dates the way British pages write them.

Numeric dates are always day first: 03/04/2022 is 3 April 2022, never March 4th.
Also read: ISO dates (2021-05-06, with or without a time), "3 March 2023",
"3rd of March 2023", "Friday 3 March 2023", "March 3, 2023" (unambiguous, so read as
written), and month-only dates ("March 2022"), which keep their precision: a month-only
date covers the whole month, so "updated March 2022" is not stale until March is over.

Pure functions; no clock.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

MONTHS: dict[str, int] = {}
for _number, _name in enumerate(calendar.month_name):
    if _name:
        MONTHS[_name.lower()] = _number
        MONTHS[_name[:3].lower()] = _number
MONTHS["sept"] = 9

# Any month name or its abbreviation; also used by the wording rules ("closed in March 2022").
MONTH_PATTERN = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR4 = r"(?P<year>(?:19|20)\d{2})"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(
        r"(?<![\d/.-])(?P<year>(?:19|20)\d{2})-(?P<month>[01]?\d)-(?P<day>[0-3]?\d)"
        r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\d-])"
    )),
    ("numeric", re.compile(
        r"(?<![\d/.-])(?P<day>[0-3]?\d)\s?[/.\-]\s?(?P<month>[01]?\d)\s?[/.\-]\s?(?P<year>(?:19|20)\d{2}|\d{2})(?![\d/.-]*\d)"
    )),
    ("text_dmy", re.compile(
        rf"\b{_WEEKDAY}?{_DAY}(?:\s+of)?[\s-]+(?P<month>{MONTH_PATTERN})\.?,?[\s-]+{_YEAR4}\b", re.IGNORECASE
    )),
    ("text_mdy", re.compile(
        rf"\b{_WEEKDAY}?(?P<month>{MONTH_PATTERN})\.?\s+{_DAY},?\s+{_YEAR4}\b", re.IGNORECASE
    )),
    ("text_my", re.compile(rf"\b(?P<month>{MONTH_PATTERN})\.?,?\s+{_YEAR4}\b", re.IGNORECASE)),
]


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date found in text: where it is, what it says, and the span of days it covers."""

    raw: str
    start: date
    end: date
    # "day" or "month": a month-only date covers the whole month.
    precision: str
    position: int
    length: int

    @property
    def shown(self) -> str:
        """The date as a person writes it: 3 March 2023, or March 2022."""
        if self.precision == "month":
            return f"{calendar.month_name[self.start.month]} {self.start.year}"
        return format_uk_date(self.start)


def format_uk_date(value: date) -> str:
    return f"{value.day} {calendar.month_name[value.month]} {value.year}"


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        # Pages from this century: 22 is 2022; 85 would be 1985.
        year += 2000 if year < 70 else 1900
    return year


def _month(text: str) -> int:
    if text.isdigit():
        return int(text)
    return MONTHS.get(text.lower().rstrip("."), MONTHS.get(text.lower()[:3], 0))


def find_dates(text: str) -> list[DateMention]:
    """Every date in ``text``, in order, without overlaps (the most precise reading wins)."""
    if not text:
        return []
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            span = match.span()
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue
            mention = _mention(kind, match)
            if mention is not None:
                found.append(mention)
                taken.append(span)
    return sorted(found, key=lambda m: m.position)


def _mention(kind: str, match: re.Match[str]) -> DateMention | None:
    groups = match.groupdict()
    try:
        year = _year(groups["year"])
        month = _month(groups["month"])
        if kind == "text_my":
            start = date(year, month, 1)
            end = date(year, month, calendar.monthrange(year, month)[1])
            precision = "month"
        else:
            start = end = date(year, month, int(groups["day"]))
            precision = "day"
    except (ValueError, TypeError):
        # 31/02/2022, month 13: not a date, whatever it looks like.
        return None
    return DateMention(
        raw=match.group(0).strip(),
        start=start,
        end=end,
        precision=precision,
        position=match.start(),
        length=len(match.group(0)),
    )


def parse_uk_date(text: str | None) -> DateMention | None:
    """The first date in ``text`` (e.g. "Last updated: 14/03/2022"), or None."""
    if not text:
        return None
    mentions = find_dates(text)
    return mentions[0] if mentions else None


def parse_whole_date(text: str | None) -> DateMention | None:
    """The date when the whole of ``text`` is one date ("14/03/2022", "March 2022."), else None.

    Strict on purpose: "14/03/2022 and 15/03/2022", "Maybe 2022" or "2022" give no date.
    """
    value = (text or "").strip().rstrip(".").strip()
    mentions = find_dates(value)
    if len(mentions) != 1:
        return None
    [mention] = mentions
    return mention if mention.position == 0 and mention.length == len(value) else None
