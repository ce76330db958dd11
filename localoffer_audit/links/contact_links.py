"""mailto: and tel: links: checked by their syntax, not by sending anything.

The address or number is read out of the link here; whether it can be right is the one
contact vocabulary's answer (parsing/contact_values.py), the same the content rules and
``managers import`` give: email syntax by ``email-validator`` with the project's layer on
top, telephone numbers by the UK numbering plan through ``phonenumbers``.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from localoffer_audit.parsing import contact_values
from localoffer_audit.parsing.contact_values import UK_REGIONS, ContactCheck

__all__ = ["UK_REGIONS", "ContactCheck", "check_email", "check_phone", "email_from_mailto", "number_from_tel", "scheme_of"]


def email_from_mailto(url: str) -> str:
    """The address of a mailto: link (the first one; query such as ?subject= dropped)."""
    target = url.split(":", 1)[1] if ":" in url else url
    target = target.split("?", 1)[0]
    return unquote(target.split(",", 1)[0]).strip()


def check_email(address: str) -> ContactCheck:
    """Can this mailto: address be right? Valid unless the vocabulary finds a problem: a
    "no email" filler is well formed (its domain is still asked for mail with
    check_email_mx), and an address Cloudflare hid from the crawl is the crawl's blind
    spot, not the site's fault (``value`` then has no @: nothing to look up)."""
    if not address:
        return ContactCheck(False, address, "no address after mailto:")
    verdict = contact_values.check_email(address)
    if verdict.problem is not None:
        return ContactCheck(False, address, verdict.problem)
    if verdict.hidden:
        return ContactCheck(True, address, "hidden by Cloudflare's email protection: not checked")
    return ContactCheck(True, verdict.address)


def number_from_tel(url: str) -> str:
    target = url.split(":", 1)[1] if ":" in url else url
    return unquote(target.split(";", 1)[0]).strip()


def check_phone(number: str) -> ContactCheck:
    """Is this a valid number in the UK numbering plan?"""
    if not number:
        return ContactCheck(False, number, "no number after tel:")
    return contact_values.check_phone(number)


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def scheme_of(url: str) -> str:
    match = _SCHEME.match(url.strip())
    return match.group(1).lower() if match else ""
