"""The one contact vocabulary: is this telephone number, email address or postcode one
that can be right, and the repairs for how pages print them.

Every place that judges a contact value asks here: the link checker (``mailto:`` and
``tel:`` links), the content rules and ``managers import``, so an address gets one answer
wherever it appears. Email syntax is ``email-validator``'s (RFC 5321/6531, IDN domains,
``check_deliverability=False``: no DNS here) with this project's layer on top: "no email"
fillers, misspelt webmail domains, an address written out with "at", Cloudflare's hiding.
Telephone numbers are judged by the UK numbering plan through ``phonenumbers`` (region
GB), so 0800, 0300, 01xx, 02x and 07xx numbers pass and 01234 5 does not. The crawl's
repairs ("printed twice", map-link text glued on, postcode extraction) live here too, so
the crawl and the rules read a value the same way. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

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
    """A number printed twice by the page ("01454 77211701454 772117") read once. Only a
    doubled whole number (18 digits or more) is repaired, so a genuine number is never cut."""
    once = undouble(text, min_chars=18)
    if once != text:
        return once
    digits = _digits(text)
    half = len(digits) // 2
    if len(digits) >= 18 and len(digits) % 2 == 0 and digits[:half] == digits[half:]:
        return digits[:half]
    return text



def national_phone_key(text: str) -> str | None:
    """``phone_key`` when it is a UK national number (0 and nine or ten more digits), else
    None: the key a page's filter stores a number under (links/fingerprint.py)."""
    key = phone_key(text)
    return key if key.startswith("0") and len(key) in (10, 11) else None


# A UK number as printed in running text (a fetched page): 0114 273 4567, (01632) 960123,
# +44 (0)20 7946 0000, 07700 900123: "+44" or a "0" that starts a word, then nine or ten
# digits with at most two separators between each. Written as
# r"(?:\+44\s?(?:\(0\)\s?)?|\b0)(?:\d[\s\-.()]{0,2}){9,10}" with the first character as a set
# ("+" or "0", the "\b" checked behind it), so the engine skips to the few "+" and "0" of
# a page instead of trying every character (same matches; tests/test_fingerprint_speed.py).
# Unlike _PHONE_CANDIDATE (a field: "0114 496 0123 (24 hours)") it stops at eleven digits,
# so "call 0114 496 0123 10am to 4pm" is one number and a time.
_PHONE_IN_TEXT = re.compile(r"[+0](?:(?<=\+)44\s?(?:\(0\)\s?)?|(?<=0)(?<!\w0))(?:\d[\s\-.()]{0,2}){9,10}")


def phone_keys_in(text: str) -> set[str]:
    """The keys (``national_phone_key``) of the UK numbers printed in a page's text."""
    return {key for match in _PHONE_IN_TEXT.finditer(text) if (key := national_phone_key(match.group(0)))}


def phone_keys_of(field: str) -> set[str]:
    """The keys of the numbers in a telephone field ("0114 496 0123 or 07700 900123")."""
    return {key for number in phone_numbers_in(field) or [field] if (key := national_phone_key(number))}

# Regions of the UK numbering plan (+44): Great Britain and the Crown Dependencies.
UK_REGIONS = frozenset({"GB", "GG", "JE", "IM"})


@dataclass(frozen=True, slots=True)
class ContactCheck:
    """A telephone number's verdict: ``value`` is the number formatted when valid."""

    valid: bool
    value: str
    reason: str | None = None


@lru_cache(maxsize=4096)
def check_phone(number: str) -> ContactCheck:
    """Is this a valid number in the UK numbering plan? The one telephone verdict: the
    ``tel:`` link check and the invalid_phone rule both ask here."""
    if not number.strip():
        return ContactCheck(False, number, "there is no number")
    try:
        parsed = phonenumbers.parse(number, "GB")
    except phonenumbers.NumberParseException as exc:
        return ContactCheck(False, number, f"not a phone number ({exc._msg})")
    if not phonenumbers.is_valid_number(parsed):
        return ContactCheck(False, number, "not a valid number in the numbering plan")
    where = phonenumbers.region_code_for_number(parsed)
    if where not in UK_REGIONS:
        return ContactCheck(False, number, f"not a UK number (looks like {where or 'an international number'})")
    return ContactCheck(True, phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def is_valid_uk_phone(text: str) -> bool:
    """A telephone field's number (printed twice by the page or not) is a valid UK number."""
    return check_phone(undouble_phone(text)).valid


def format_phone(text: str) -> str:
    try:
        number = phonenumbers.parse(undouble_phone(text), "GB")
    except phonenumbers.NumberParseException:
        return text
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return text


# --- printed twice -------------------------------------------------------------------


def undouble(text: str, min_chars: int = 6) -> str:
    """Repair a value printed twice with nothing between: "01454 77211701454 772117".

    Only an exact doubling is repaired (the two halves identical once spaces are
    ignored, at least ``min_chars`` characters in all), so a genuine long number is
    never cut.
    """
    compact = text.replace(" ", "")
    if len(compact) >= min_chars and len(compact) % 2 == 0:
        half = len(compact) // 2
        if compact[:half] == compact[half:]:
            # Keep the spacing of the first copy.
            seen = 0
            for index, char in enumerate(text):
                if char != " ":
                    seen += 1
                if seen == half:
                    return text[: index + 1].strip()
    # "01454 772117 01454 772117": two copies with a space between.
    parts = text.split(" ")
    if len(parts) % 2 == 0 and len(parts) >= 2 and len(compact) >= min_chars:
        half = len(parts) // 2
        if parts[:half] == parts[half:]:
            return " ".join(parts[:half])
    return text


# --- email ---------------------------------------------------------------------------

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
_WRITTEN_AT = re.compile(r"\s(?:at|\[at\]|\(at\))\s", re.IGNORECASE)
# Stands in for a filler domain when the mailbox part of a placeholder is checked:
# email-validator refuses reserved names such as .invalid by design, and a filler is
# an absent address, not a wrong one, so only the part before the @ is judged.
_STAND_IN_DOMAIN = "placeholder.example"


@dataclass(frozen=True, slots=True)
class EmailCheck:
    """The one verdict on an email address, whichever place it came from."""

    # The address as read: "mailto:" and any "?subject=" dropped, trimmed.
    address: str
    # Why it cannot be right, in words for a content manager; None when it can be.
    problem: str | None = None
    # A platform's "no email" filler (noemail@noemail.invalid, x@example.com): an absent
    # address, not a wrong one.
    placeholder: bool = False
    # Cloudflare's "[email protected]": the page hid the address from the crawl.
    hidden: bool = False

    @property
    def usable(self) -> bool:
        """Mail can be addressed to it (a filler still counts: it is well formed)."""
        return self.problem is None and not self.hidden


def clean_email(text: str) -> str:
    value = text.strip()
    if value.lower().startswith("mailto:"):
        value = value[7:]
    return value.split("?", 1)[0].strip()


def _in_words(message: str) -> str:
    """email-validator's sentence as a clause: "cannot be right: an email address ..."."""
    message = message.strip().rstrip(".")
    return message[:1].lower() + message[1:]


@lru_cache(maxsize=8192)
def check_email(text: str) -> EmailCheck:
    """Can this email address be right? The mailto: link check, the invalid_email rule
    and ``managers import`` all ask here, so one address gets one answer."""
    value = clean_email(text)
    if not value:
        return EmailCheck(value, "there is no address")
    if _OBFUSCATED.search(text):
        return EmailCheck(value, hidden=True)
    if "@" not in value and _WRITTEN_AT.search(f" {value} "):
        return EmailCheck(value, "it is written out ('at') instead of with an @, so it cannot be used to send an email")
    local, _, domain = value.rpartition("@")
    placeholder = bool(local) and "@" not in local and bool(_PLACEHOLDER_DOMAINS.search(domain))
    checked = f"{local}@{_STAND_IN_DOMAIN}" if placeholder else value
    try:
        validate_email(checked, check_deliverability=False)
    except EmailNotValidError as exc:
        return EmailCheck(value, _in_words(str(exc)), placeholder=placeholder)
    if placeholder:
        return EmailCheck(value, placeholder=True)
    if domain.lower() in _MISSPELT_DOMAINS:
        return EmailCheck(value, f"{domain.lower()} looks like a misspelling of a webmail domain")
    return EmailCheck(value)


def is_placeholder_email(text: str | None) -> bool:
    """An address that stands for "no email" (noemail@noemail.invalid, x@example.com)."""
    return bool(text) and check_email(text or "").placeholder


def email_problem(text: str | None) -> str | None:
    """Why an email field's address cannot be right, or None when it can (an empty field,
    a filler and an address Cloudflare hid are not wrong addresses)."""
    if not text or not text.strip():
        return None
    return check_email(text).problem


# --- Cloudflare's email hiding -------------------------------------------------------


def decode_cloudflare_email(encoded: str) -> str | None:
    """Decode Cloudflare's email obfuscation (``data-cfemail`` / ``#hex`` in the href).

    The first byte is an XOR key for the rest. Returns None for anything malformed.
    """
    encoded = encoded.strip()
    if len(encoded) < 4 or len(encoded) % 2 or not re.fullmatch(r"[0-9a-fA-F]+", encoded):
        return None
    key = int(encoded[:2], 16)
    try:
        decoded = bytes(int(encoded[i : i + 2], 16) ^ key for i in range(2, len(encoded), 2)).decode("utf-8")
    except UnicodeDecodeError:
        return None
    return decoded if "@" in decoded else None


# --- postcode ------------------------------------------------------------------------

# The UK postcode format (the government's published pattern, with GIR 0AA).
_POSTCODE = re.compile(
    r"^(?:GIR ?0AA|(?:[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9][0-9ABEHMNPRV-Y]?|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9]))"
    r" ?[0-9][ABD-HJLNP-UW-Z]{2})$"
)
# The words of the map link a page's template puts by an address or postcode. One list:
# the crawl drops such an anchor, strips its text glued to an address line ("GL4
# 5BQGet directions"), and the postcode rule strips it from a postcode field.
_MAP_LINK_PHRASES = r"get\s+directions|view\s+(?:on\s+)?(?:a\s+)?map|show\s+(?:on\s+)?(?:a\s+)?map"
# A bare "Map" or "Directions" counts only as the whole anchor or after a postcode: at the
# end of an address line it may be the address ("The Old Map House" cut short is worse).
_MAP_LINK_WORDS = rf"{_MAP_LINK_PHRASES}|directions|map\s+it|map"
_MAP_LINK_ANCHOR = re.compile(rf"^\s*(?:{_MAP_LINK_WORDS})\s*$", re.IGNORECASE)
_MAP_LINK_SUFFIX = re.compile(rf"\s*(?:{_MAP_LINK_PHRASES})\s*$", re.IGNORECASE)
_POSTCODE_MAP_LINK_SUFFIX = re.compile(rf"\s*(?:{_MAP_LINK_WORDS})\s*$", re.IGNORECASE)
# A UK-shaped postcode inside a longer text (the crawl's extraction; the rule's strict
# pattern is _POSTCODE).
_POSTCODE_IN_TEXT = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})\b", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text.replace("\xa0", " ")).strip()


def is_map_link_text(anchor_text: str) -> bool:
    """The anchor is the template's map link ("Get directions", "View on a map", "Map")."""
    return bool(_MAP_LINK_ANCHOR.match(anchor_text))


def strip_map_text(text: str) -> str:
    """A line without the map-link text glued to its end ("GL4 5BQGet directions")."""
    return _MAP_LINK_SUFFIX.sub("", _clean(text)).strip()


def clean_postcode(text: str | None) -> str | None:
    """A postcode field as stored by the crawl: map-link text stripped, the UK-shaped
    postcode in it if there is one (upper case), else what is left as shown."""
    value = _clean(text or "")
    if not value:
        return None
    stripped = _MAP_LINK_SUFFIX.sub("", value).strip()
    match = _POSTCODE_IN_TEXT.search(stripped)
    if match:
        return match.group(1).upper()
    return stripped or None


def find_postcode(text: str | None) -> str | None:
    """The last UK-shaped postcode in a block of address text, if any."""
    if not text:
        return None
    matches = _POSTCODE_IN_TEXT.findall(_MAP_LINK_SUFFIX.sub("", _clean(text)))
    return matches[-1].upper() if matches else None



def postcode_key(text: str | None) -> str | None:
    """The first UK-shaped postcode in ``text`` as a key: upper case, no spaces ("s11  8ab"
    and "S11 8AB" are "S118AB"), or None."""
    match = _POSTCODE_IN_TEXT.search(text or "")
    return _SPACE.sub("", match.group(1)).upper() if match else None


# A postcode's second half ("8AB"), which every _POSTCODE_IN_TEXT match ends with: led by
# a digit, so the engine skips straight to the text's digits.
_INWARD = re.compile(r"\d[A-Z]{2}\b", re.IGNORECASE)


def postcode_keys_in(text: str) -> set[str]:
    """The keys (``postcode_key``) of every UK-shaped postcode in a page's text: the same as
    over ``_POSTCODE_IN_TEXT.finditer(text)``, with the regex run only just before each
    second half (its first half is at most four characters and some space before it), not
    tried at every character of the page."""
    ranges: list[list[int]] = []
    for inward in _INWARD.finditer(text):
        start = inward.start()
        while start > 0 and text[start - 1].isspace():  # the \s* (re's \s is str.isspace)
            start -= 1
        start = max(0, start - 4)
        if ranges and start <= ranges[-1][1]:
            ranges[-1][1] = inward.end()
        else:
            ranges.append([start, inward.end()])
    return {
        _SPACE.sub("", match.group(1)).upper()
        for start, end in ranges
        for match in _POSTCODE_IN_TEXT.finditer(text, start, end)
    }

def looks_like_postcode_attempt(text: str) -> bool:
    """A value with no digit ("Online", "Various venues") is not trying to be a postcode."""
    return any(ch.isdigit() for ch in text)


def _normalise_postcode(text: str) -> str:
    value = _POSTCODE_MAP_LINK_SUFFIX.sub("", text.strip())
    return _SPACE.sub(" ", value).strip().upper()


def is_valid_uk_postcode(text: str) -> bool:
    value = _normalise_postcode(text)
    if _POSTCODE.match(value):
        return True
    # "Leeds LS1 4AP": a town written before the postcode in the same field.
    last_two = " ".join(value.split()[-2:])
    if len(value.split()) > 2 and _POSTCODE.match(last_two):
        return True
    # "GL45BQ" without its space, or with two.
    compact = value.replace(" ", "")
    return bool(_POSTCODE.match(compact[:-3] + " " + compact[-3:])) if len(compact) >= 5 else False
