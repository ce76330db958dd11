"""Rules about an entry's state and its links, as pure functions of the facts the
findings stage gathers: ``service_removed``, ``page_missing`` / ``oruk_detail_missing``,
the ``link_*`` messages and ``archive_candidate``.

The findings stage (findings/lifecycle.py) reads the facts from the database (service
states, confirmed link verdicts) and reconciles what these return; nothing here touches
the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from localoffer_audit.catalogue import LINK_RULE_SEVERITY, link_rule_id
from localoffer_audit.content.rules import (
    RuleContext,
    archive_for_closure,
    closure_evidence,
    make_finding,
    newest_entry_date,
)
from localoffer_audit.models import Finding, LinkVerdict, ServiceItem
from localoffer_audit.parsing.contact_values import phone_key
from localoffer_audit.parsing.dates import format_uk_date
# The facts only (a dataclass): nothing here reads the database.
from localoffer_audit.store.findings import LinkObservation

# Verdicts whose evidence is the entry's own website being gone (for archive candidates).
_WEBSITE_GONE = {LinkVerdict.BROKEN, LinkVerdict.PARKED}


def service_removed(context: RuleContext, service_id: str, name: str, url: str, removed_at: str | None) -> Finding:
    """The entry is no longer listed (the last complete crawl did not see it)."""
    when = _uk_day(removed_at) or "the last crawl"
    return make_finding(
        context, "service_removed", service_id, "directory listing",
        f'The entry "{name}" is no longer listed in the directory (missing since {when}).',
        "If the entry was archived on purpose, dismiss this as won't fix. If not, find out why it "
        "disappeared and restore it.",
        {"value": url},
    )


def _uk_day(timestamp: str | None) -> str | None:
    """"2025-06-01T02:00:00+00:00" -> "1 June 2025"."""
    try:
        return format_uk_date(date.fromisoformat((timestamp or "")[:10]))
    except ValueError:
        return None


def page_missing_findings(service: ServiceItem, context: RuleContext) -> list[Finding]:
    """The entry's own page has gone (answers 404/410): ``oruk_detail_missing`` for an
    ORUK record (``extra["oruk_detail_missing"]``), else ``page_missing``. The findings
    stage calls it only once the crawl has confirmed the page missing."""
    if service.extra.get("oruk_detail_missing"):
        return [make_finding(
            context, "oruk_detail_missing", service.directory_id, "service page",
            f'The directory lists "{service.name}", but its record at {service.url} answers '
            f"{service.http_status or 404} (not found).",
            "Ask the directory's administrator to restore the record or remove it from the list of services.",
            {"value": service.http_status},
        )]
    return [make_finding(
        context, "page_missing", service.directory_id, "service page",
        f'The directory still lists "{service.name}", but its page {service.url} answers '
        f"{service.http_status or 404} (not found).",
        "Restore the entry's page, or remove the entry from the directory's listings if the service has gone.",
        {"value": service.http_status},
    )]


_LINK_TEXT: dict[str, tuple[str, str]] = {
    # verdict -> (what is wrong, what to do); {url}, {final}, {status}, {where} are filled in.
    "redirected": ("The link to {url} {where} now moves on to {final}.",
                   "Update the link to {final}."),
    "moved_offsite": ("The link to {url} {where} now leads to a different website: {final}.",
                      "Check that {final} is still the provider's site. If not, find the right address or remove the link."),
    "broken": ("The link to {url} {where} is broken ({reason}).",
               "Find the right address on the provider's website and update the link, or remove it."),
    "server_error": ("The website at {url} {where} has been failing with an error ({reason}) on repeated checks.",
                     "Check the link in a browser. If the site is gone, ask the provider for the new address or remove the link."),
    "timeout": ("The website at {url} {where} did not answer on repeated checks.",
                "Check the link in a browser. If the site is gone, ask the provider for the new address or remove the link."),
    "soft_404": ("The link to {url} {where} leads to a 'page not found' or to the site's home page instead of the page meant.",
                 "Find the page on the provider's website and update the link, or link to their home page."),
    "parked": ("The link to {url} {where} goes to a domain that is parked, for sale or expired. Families could land on an unsafe site.",
               "Remove the link now, then ask the provider for their current website."),
    "tls_error": ("The website at {url} {where} has a security certificate problem ({reason}); browsers will warn visitors.",
                  "Tell the provider their certificate needs renewing; if they have moved, update the link."),
    "blocked": ("We could not check {url} {where} automatically: the site refused automated checks ({reason}).",
                "Open the link in a browser to check it works. This is not a broken link."),
    "insecure": ("The link to {url} {where} uses http://, but the secure https:// address works.",
                 "Change the link to start with https://."),
    "internal_address": ("The link to {url} {where} points to a private network address that families cannot reach.",
                         "Replace it with the provider's public website address, or remove it."),
    "invalid_email": ("The email link {url} {where} cannot be right ({reason}).",
                      "Check the email address with the provider and correct it."),
    "invalid_phone": ("The telephone link {url} {where} is not a valid UK number ({reason}).",
                      "Check the number with the provider and correct it."),
}


def _where(places: list[dict[str, Any]]) -> str:
    parts = []
    for place in places[:3]:
        name = str(place.get("field") or "entry").replace("_", " ")
        anchor = (place.get("anchor_text") or "").strip()
        parts.append(f'in the {name} (link text "{anchor}")' if anchor and anchor != place.get("url") else f"in the {name}")
    unique = list(dict.fromkeys(parts))
    return " and ".join(unique) if unique else ""


def link_findings(
    observations: Iterable[LinkObservation], context: RuleContext, content_findings: list[Finding]
) -> tuple[list[Finding], set[tuple[str, str]]]:
    """The ``link_*`` findings of confirmed failing verdicts, and the (service, URL) pairs
    whose failure is not confirmed yet (their findings are neither refreshed nor fixed)."""
    # A mailto:/tel: link whose address the content rules already report makes no second finding.
    reported_values = {
        (f.service_id, str(f.evidence.get("value") or "").lower().replace(" ", ""))
        for f in content_findings if f.rule in ("invalid_email", "invalid_phone")
    }
    reported_values |= {(f.service_id, phone_key(str(f.evidence.get("value") or "")))
                        for f in content_findings if f.rule == "invalid_phone"}
    findings: list[Finding] = []
    unsettled: set[tuple[str, str]] = set()
    for seen in observations:
        verdict = LinkVerdict.parse(seen.verdict)
        if verdict is None:
            # A verdict this version cannot read (stored by a newer one): nothing is known
            # about the link, so its finding is neither refreshed nor marked fixed.
            unsettled.add((seen.service_id, seen.url))
            continue
        if verdict not in LINK_RULE_SEVERITY:
            continue
        if not seen.confirmed:
            unsettled.add((seen.service_id, seen.url))
            continue
        if verdict in (LinkVerdict.INVALID_EMAIL, LinkVerdict.INVALID_PHONE):
            value = seen.url.split(":", 1)[-1].split("?", 1)[0].lower().replace(" ", "").replace("%20", "")
            if (seen.service_id, value) in reported_values or (
                verdict == LinkVerdict.INVALID_PHONE and (seen.service_id, phone_key(value)) in reported_values
            ):
                continue
        rule = link_rule_id(verdict)
        reason = plain_reason(seen.error or seen.detail or (f"HTTP {seen.status_code}" if seen.status_code else "no answer"))
        if seen.status_code and str(seen.status_code) not in reason:
            reason = f"HTTP {seen.status_code}, {reason}"
        values = {"url": seen.url, "final": seen.final_url or seen.url, "reason": reason, "where": _where(seen.places)}
        message, hint = _LINK_TEXT[verdict.value]
        findings.append(make_finding(
            context, rule, seen.service_id, seen.url,
            " ".join(message.format(**values).split()), hint.format(**values),
            {"verdict": verdict.value, "status_code": seen.status_code, "final_url": seen.final_url,
             "error": seen.error, "detail": seen.detail, "checked_at": seen.last_checked_at,
             "places": seen.places},
        ))
    return findings, unsettled


# Certificate problems as OpenSSL words them -> what a content manager can act on.
_TLS_REASONS = (
    ("certificate has expired", "the certificate has expired"),
    ("not yet valid", "the certificate is not valid yet"),
    ("self-signed certificate", "the certificate is self-signed, not issued by a trusted authority"),
    ("self signed certificate", "the certificate is self-signed, not issued by a trusted authority"),
    ("unable to get local issuer", "the certificate's issuer is not trusted (often a missing intermediate certificate)"),
    ("hostname mismatch", "the certificate is for a different website name"),
    ("doesn't match", "the certificate is for a different website name"),
    ("ip address mismatch", "the certificate is for a different website name"),
    ("certificate revoked", "the certificate has been revoked"),
    ("wrong version number", "the site does not speak https properly on this address"),
    ("handshake failure", "the site's secure connection settings are too old for browsers"),
)


def plain_reason(reason: str) -> str:
    """A checker's error as plain English for a fix list: no raw "[SSL: ...]" codes,
    no "(_ssl.c:1000)", and "1 attempt" in the singular."""
    text = re.sub(r"\bafter 1 attempts\b", "after 1 attempt", reason)
    if "SSL" in text or "certificate" in text.lower() or text.startswith("TLS error"):
        lowered = text.lower()
        for needle, plain in _TLS_REASONS:
            if needle in lowered:
                return plain
        if text.startswith("TLS error") or "[SSL" in text:
            return "the secure connection (https certificate) could not be verified"
    return text


def archive_candidates(
    services: list[ServiceItem], link_findings: list[Finding], context: RuleContext
) -> list[Finding]:
    """Entries to consider archiving: their website is gone (broken or parked, from
    ``link_findings``) and they were last reviewed longer ago than ``archive_after_days``.

    An entry whose text says the service closed is reported by ``closure_wording``, which
    carries the archive suggestion in its evidence (one problem, one finding); only with
    that rule switched off is it an archive candidate here."""
    if not context.enabled("archive_candidate"):
        return []
    website_gone: dict[str, Finding] = {}
    for finding in link_findings:
        verdict = finding.evidence.get("verdict")
        if verdict in _WEBSITE_GONE and any(p.get("field") == "website" for p in finding.evidence.get("places", [])):
            website_gone.setdefault(finding.service_id, finding)
    limit = context.config.archive_after_days
    result = []
    for service in services:
        if service.is_advice_page:
            continue  # the directory's own guidance page: only its links are checked
        closed = closure_evidence(service)
        if closed is not None:
            # Closed: archiving is the fix whatever the website says, so no website-gone
            # candidate either (its link finding stays a finding of its own).
            if not context.enabled("closure_wording"):
                result.append(archive_for_closure(service, context, *closed))
            continue
        gone = website_gone.get(service.directory_id)
        if gone is None:
            continue
        newest = newest_entry_date(service, context.today)
        if newest is None or newest.mention.end >= context.today - timedelta(days=limit):
            continue
        verdict = gone.evidence.get("verdict")
        hint = ("Try to reach the provider. If the service no longer runs, archive the entry; if it does, "
                "update the website and review the entry.")
        if verdict == LinkVerdict.PARKED:
            # The folded link finding's urgent fix stays first: families could land on an unsafe site.
            hint = "Remove the website link now: the domain is parked, for sale or expired. " + hint
        candidate = make_finding(
            context, "archive_candidate", service.directory_id, "entry",
            f"Consider archiving this entry: its website {gone.subject} is {verdict} and the entry was last "
            f"reviewed on {format_uk_date(newest.mention.start)}, over {limit // 365 or limit} "
            f"{'years' if limit >= 730 else 'year' if limit >= 365 else 'days'} ago.",
            hint,
            {"value": ["website_gone", gone.subject, verdict, newest.mention.start.isoformat()],
             "folded": [{"rule": gone.rule, "subject": gone.subject, "title": gone.title, "message": gone.message,
                         "places": gone.evidence.get("places", [])}]},
        )
        # One line for both problems, at the more serious of the two (a parked domain is critical).
        candidate.severity = min(candidate.severity, gone.severity, key=lambda s: s.rank)
        result.append(candidate)
    return result
