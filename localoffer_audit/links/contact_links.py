"""mailto: and tel: links: checked by their syntax, not by sending anything.

Email: the address part must be a plausible mailbox (RFC 5321 shape, a domain with a
dot and a real-looking top-level label). Phone: the UK numbering plan through
``phonenumbers`` (region GB), so 0800/0300/0345 numbers are valid and a 07 number with
a digit missing is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

import phonenumbers

_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_TOP_LEVEL = re.compile(r"^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{2,59})$")

# Regions whose numbers belong on a UK directory: the UK and the Crown Dependencies,
# which share the +44 numbering plan.
UK_REGIONS = frozenset({"GB", "GG", "JE", "IM"})


@dataclass(frozen=True, slots=True)
class ContactCheck:
    valid: bool
    value: str
    reason: str | None = None


def email_from_mailto(url: str) -> str:
    """The address of a mailto: link (the first one; query such as ?subject= dropped)."""
    target = url.split(":", 1)[1] if ":" in url else url
    target = target.split("?", 1)[0]
    return unquote(target.split(",", 1)[0]).strip()


def check_email(address: str) -> ContactCheck:
    """Is this a syntactically possible email address?"""
    if not address:
        return ContactCheck(False, address, "no address after mailto:")
    if address.count("@") != 1:
        return ContactCheck(False, address, "an address has exactly one @")
    local, domain = address.split("@")
    if not local or len(local) > 64 or not _LOCAL_PART.match(local):
        return ContactCheck(False, address, f"{local!r} is not a valid mailbox name")
    if domain.endswith("."):
        return ContactCheck(False, address, f"{domain!r} ends with a dot")
    if len(domain) > 253 or "." not in domain:
        return ContactCheck(False, address, f"{domain!r} is not a full domain (no dot)")
    labels = domain.split(".")
    try:
        ascii_labels = [label.encode("idna").decode("ascii") if not label.isascii() else label for label in labels]
    except UnicodeError:
        return ContactCheck(False, address, f"{domain!r} is not a valid domain")
    if not all(_DOMAIN_LABEL.match(label) for label in ascii_labels):
        return ContactCheck(False, address, f"{domain!r} is not a valid domain")
    if not _TOP_LEVEL.match(ascii_labels[-1]):
        return ContactCheck(False, address, f"{ascii_labels[-1]!r} is not a top-level domain")
    return ContactCheck(True, address)


def number_from_tel(url: str) -> str:
    target = url.split(":", 1)[1] if ":" in url else url
    return unquote(target.split(";", 1)[0]).strip()


def check_phone(number: str, region: str = "GB") -> ContactCheck:
    """Is this a valid number in the UK numbering plan?"""
    if not number:
        return ContactCheck(False, number, "no number after tel:")
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException as exc:
        return ContactCheck(False, number, f"not a phone number ({exc._msg})")
    if not phonenumbers.is_valid_number(parsed):
        return ContactCheck(False, number, "not a valid number in the numbering plan")
    where = phonenumbers.region_code_for_number(parsed)
    if where not in UK_REGIONS:
        return ContactCheck(False, number, f"not a UK number (looks like {where or 'an international number'})")
    return ContactCheck(True, phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def scheme_of(url: str) -> str:
    match = _SCHEME.match(url.strip())
    return match.group(1).lower() if match else ""
