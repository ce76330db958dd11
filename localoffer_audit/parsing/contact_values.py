"""Is this telephone number, email address or postcode one that can be right?

Telephone numbers are judged by the UK numbering plan through ``phonenumbers`` (region
GB), so 0800, 0300, 01xx, 02x and 07xx numbers pass and 01234 5 does not. Pure.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

# --- telephone -----------------------------------------------------------------------

# A number starts +44 / +44 (0) / 0 / (0; "(" is allowed only there, so "0800 123 4567 (24 hours)"
# ends at the number.
_PHONE_CANDIDATE = re.compile(r"(?:\+\d{1,3}\s?(?:\(0\)\s?)?|\(?0)\d[\d\s).-]{5,}\d")
_EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x)\s*\d{1,6}\s*$", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s*(?:/|;|,|\bor\b|\band\b|\|)\s*", re.IGNORECASE)


def phone_numbers_in(text: str | None) -> list[str]:
    """The telephone numbers written in a field ("01234 567890 or 07700 900123")."""
    if not text or not re.search(r"\d", text):
        return []
    numbers = []
    for part in _SEPARATORS.split(text):
        part = _EXTENSION.sub("", part.strip())
        match = _PHONE_CANDIDATE.search(part)
        if match:
            # Digits written just before the match belong to the same value: "+1 (555) 010-9661"
            # is one number as written, not "010-9661" (one value, one finding).
            lead = re.search(r"[+(]?[\d\s().+-]*$", part[: match.start()])
            if lead and re.search(r"\d", lead.group(0)):
                numbers.append(part[lead.start() : match.end()].strip())
                continue
            numbers.extend(_split_glued(match.group(0).strip()))
        elif sum(ch.isdigit() for ch in part) >= 3 and not re.search(r"[a-z]{4,}", part, re.IGNORECASE):
            # Digits that do not even look like a number ("123 45") are still a bad number.
            numbers.append(part.strip())
    return numbers


def _split_glued(candidate: str) -> list[str]:
    """Two numbers printed with only a space between them, read as two."""
    if len(_digits(candidate)) < 20 or undouble_phone(candidate) != candidate:
        return [candidate]
    gaps = [m.start() for m in re.finditer(r"\s+", candidate)]
    for gap in gaps:
        first, second = candidate[:gap].strip(), candidate[gap:].strip()
        if is_valid_uk_phone(first) and is_valid_uk_phone(second):
            return [first, second]
    return [candidate]


def phone_key(text: str) -> str:
    """The number's digits as dialled in the UK: "+44 113 496 0999", "0113 496 0999" and
    "tel:01134960999" give one key, so one value makes one finding."""
    digits = _digits(undouble_phone(text))
    written = text.strip().lstrip("(")
    if written.startswith("+44") or written.startswith("0044"):
        digits = "0" + digits[4 if written.startswith("0044") else 2 :].removeprefix("0")
    return digits


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def undouble_phone(text: str) -> str:
    """A number printed twice by the page ("01454 77211701454 772117") read once."""
    digits = _digits(text)
    half = len(digits) // 2
    if len(digits) >= 18 and len(digits) % 2 == 0 and digits[:half] == digits[half:]:
        return digits[:half]
    return text


# Regions of the UK numbering plan (+44): Great Britain and the Crown Dependencies.
UK_REGIONS = frozenset({"GB", "GG", "JE", "IM"})


@lru_cache(maxsize=4096)
def is_valid_uk_phone(text: str) -> bool:
    candidate = undouble_phone(text)
    try:
        number = phonenumbers.parse(candidate, "GB")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) and phonenumbers.region_code_for_number(number) in UK_REGIONS


def format_phone(text: str) -> str:
    try:
        number = phonenumbers.parse(undouble_phone(text), "GB")
    except phonenumbers.NumberParseException:
        return text
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return text


# --- email ---------------------------------------------------------------------------

_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
# Domains that mean "no address here" (RFC 2606 / 6761 names and common fillers).
_PLACEHOLDER_DOMAINS = re.compile(
    r"(?:^|\.)(?:example\.(?:com|org|net|co\.uk)|[\w-]*\.invalid|invalid|test|localhost|noemail\.[\w.]+|none\.[\w.]+|nomail\.[\w.]+)$",
    re.IGNORECASE,
)
# Frequent slips in the big webmail domains: a message to these never arrives.
_MISSPELT_DOMAINS = {
    "gmail.co", "gmail.con", "gmial.com", "gmai.com", "gmal.com", "gamil.com", "gmail.co.uk", "googlemail.co",
    "hotmail.con", "hotmial.com", "hotmal.com", "hotmail.co", "homail.com", "hotmail.c.uk",
    "yahoo.con", "yaho.com", "yahoo.co", "outlook.con", "outlok.com", "btinternet.co", "btinterent.com",
}
# What a page shows in place of an address Cloudflare hid: a crawl artefact, not the entry's fault.
_OBFUSCATED = re.compile(r"\[\s*email\s*(?:&#160;|\s)*protected\s*\]", re.IGNORECASE)


def clean_email(text: str) -> str:
    value = text.strip()
    if value.lower().startswith("mailto:"):
        value = value[7:]
    return value.split("?", 1)[0].strip()


def is_placeholder_email(text: str | None) -> bool:
    """An address that stands for "no email" (noemail@noemail.invalid, x@example.com)."""
    if not text or "@" not in text:
        return False
    return bool(_PLACEHOLDER_DOMAINS.search(clean_email(text).rsplit("@", 1)[1].lower()))


def email_problem(text: str | None) -> str | None:
    """Why an email address cannot be right, or None when it can."""
    if not text or not text.strip() or _OBFUSCATED.search(text):
        return None
    value = clean_email(text)
    if not value:
        return None
    if "@" not in value and re.search(r"\s(?:at|\[at\]|\(at\))\s", f" {value} ", re.IGNORECASE):
        return "it is written out ('at') instead of with an @, so it cannot be used to send an email"
    if " " in value:
        return "it contains a space"
    if value.endswith("."):
        return "it ends with a dot"
    if value.count("@") != 1:
        return "it does not have exactly one @"
    if not _EMAIL.match(value):
        return "it is not written as name@organisation.domain"
    domain = value.rsplit("@", 1)[1].lower()
    if _PLACEHOLDER_DOMAINS.search(domain):
        # Platforms fill "no email" with addresses such as noemail@noemail.invalid: that is
        # an absent address (no_contact_route counts it as none), not a mistyped one.
        return None
    if domain in _MISSPELT_DOMAINS:
        return f"{domain} looks like a misspelling of a webmail domain"
    return None


# --- postcode ------------------------------------------------------------------------

# The UK postcode format (the government's published pattern, with GIR 0AA).
_POSTCODE = re.compile(
    r"^(?:GIR ?0AA|(?:[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9][0-9ABEHMNPRV-Y]?|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9]))"
    r" ?[0-9][ABD-HJLNP-UW-Z]{2})$"
)
# Map-link text some platforms glue onto the postcode ("GL4 5BQGet directions").
_MAP_LINK_TEXT = re.compile(r"\s*(?:get\s+directions|directions|view\s+(?:on\s+)?map|show\s+map|map\s+it|map)\s*$", re.IGNORECASE)


def looks_like_postcode_attempt(text: str) -> bool:
    """A value with no digit ("Online", "Various venues") is not trying to be a postcode."""
    return any(ch.isdigit() for ch in text)


def clean_postcode(text: str) -> str:
    value = _MAP_LINK_TEXT.sub("", text.strip())
    value = re.sub(r"\s+", " ", value).strip().upper()
    return value


def is_valid_uk_postcode(text: str) -> bool:
    value = clean_postcode(text)
    if _POSTCODE.match(value):
        return True
    # "Leeds LS1 4AP": a town written before the postcode in the same field.
    last_two = " ".join(value.split()[-2:])
    if len(value.split()) > 2 and _POSTCODE.match(last_two):
        return True
    # "GL45BQ" without its space, or with two.
    compact = value.replace(" ", "")
    return bool(_POSTCODE.match(compact[:-3] + " " + compact[-3:])) if len(compact) >= 5 else False
