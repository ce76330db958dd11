"""Safeguarding findings: a provider's link that now leads children and families somewhere else.

From the stored page fingerprints (store/fingerprints.py) and each live service's entry:

- ``link_harmful_content`` (critical): the page a link leads to now carries gambling,
  adult, payday-loan, pharmacy, crypto-scam or fake-download content (links/harmful.py).
  Any link of the entry, first sight included.
- ``link_repurposed`` (critical): the entry's *website* used to name the provider (its
  organisation, service name, the provider or service part of its title, phone or
  postcode) on its last good check and names them nowhere now, and the page changed
  wholesale: title and topic (links/fingerprint.py ``topic_change``) or the
  registrable domain it ends on. A page that says the
  organisation merged or changed its name is never called repurposed.
- ``link_provider_not_named``: on first sight (no good check that named them yet) the
  website's page names the provider nowhere: low, medium once seen on two checks.

Precision first: only confirmed results, only pages with enough text, never a
conclusion from a missing or stale snapshot. One problem, one finding: a link's own
finding (moved off-site, soft 404...) is folded into the safeguarding finding of the
same link. A latest snapshot judged good for every service carrying it becomes the
link's new baseline (``SafeguardingResult.good_pages``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from localoffer_audit.content.rules import RuleContext, make_finding
from localoffer_audit.links.fingerprint import (
    PageSnapshot,
    ProviderIdentity,
    moved_site,
    names_provider,
    topic_change,
)
from localoffer_audit.parsing.titles import split_title
from localoffer_audit.models import Finding, LinkVerdict, ServiceItem, Severity
from localoffer_audit.store.findings import LinkObservation
from localoffer_audit.store.fingerprints import StoredPages

# Verdicts of a page that answered and looked like a real page: only these are compared.
COMPARABLE = frozenset({LinkVerdict.OK, LinkVerdict.REDIRECTED, LinkVerdict.MOVED_OFFSITE, LinkVerdict.INSECURE})
# Harmful content is reported on these too (a drop-caught domain often answers every
# path with its casino page: a "soft 404" of the old deep link). Parked is critical already.
HARMFUL_VERDICTS = COMPARABLE | {LinkVerdict.SOFT_404}
HARMFUL = "link_harmful_content"
REPURPOSED = "link_repurposed"
NOT_NAMED = "link_provider_not_named"


@dataclass(slots=True)
class SafeguardingResult:
    findings: list[Finding] = field(default_factory=list)
    # (service id, URL) whose own link finding is folded into a safeguarding finding.
    folded: set[tuple[str, str]] = field(default_factory=set)
    # URLs whose latest snapshot may become the baseline (nothing wrong found with it).
    good_pages: list[str] = field(default_factory=list)


def identity_of(service: ServiceItem) -> ProviderIdentity:
    phones = [c.phone for c in service.contacts if c.phone]
    phones += [v for k, v in service.fields.items() if "phone" in k.lower() or "telephone" in k.lower()]
    # "SEN Support and Inclusion - Horizon Learning Centre" (organisation: the council):
    # the provider's own page names the title's provider, perhaps its service part, and
    # neither the council nor the whole title.
    title = split_title(service.name)
    return ProviderIdentity(
        organisation=service.organisation,
        service_name=service.name,
        title_names=(*title.qualifiers, title.service) if title.qualifiers else (),
        phones=tuple(dict.fromkeys(p for p in phones if p)),
        postcodes=(service.postcode,) if service.postcode else (),
    )


def _is_website(observation: LinkObservation) -> bool:
    return any(place.get("field") == "website" for place in observation.places)


def _where(observation: LinkObservation) -> str:
    fields = sorted({str(p.get("field") or "entry").replace("_", " ") for p in observation.places})
    return " and ".join(f"the {name}" for name in fields) or "the entry"


def _lower(severity: Severity) -> Severity:
    order = list(Severity)
    return order[min(order.index(severity) + 1, len(order) - 1)]


def safeguarding_findings(
    context: RuleContext,
    services: Iterable[ServiceItem],
    observations: Iterable[LinkObservation],
    pages: Mapping[str, StoredPages],
    link_findings: Iterable[Finding] = (),
) -> SafeguardingResult:
    """The safeguarding findings the stored fingerprints support (module docstring)."""
    by_id = {service.directory_id: service for service in services}
    own = {(f.service_id, f.subject): f for f in link_findings}
    result = SafeguardingResult()
    flagged: set[str] = set()
    judged: set[str] = set()
    held: set[str] = set()
    for seen in observations:
        stored = pages.get(seen.url)
        service = by_id.get(seen.service_id)
        verdict = LinkVerdict.parse(seen.verdict)
        if stored is None or stored.current is None or service is None or verdict is None or not seen.confirmed:
            continue
        judged.add(seen.url)
        finding, holds_baseline = _judge(
            context, service, seen, verdict, stored, has_own_finding=(seen.service_id, seen.url) in own
        )
        if finding is None:
            if holds_baseline:
                held.add(seen.url)
            continue
        flagged.add(seen.url)
        if not context.enabled(finding.rule):
            # Switched off: nothing carries the link's own finding, so it is not folded
            # (folded into a finding that is never reported, it would read as fixed).
            continue
        if finding.rule in (HARMFUL, REPURPOSED):
            folded = own.get((seen.service_id, seen.url))
            if folded is not None:
                result.folded.add((seen.service_id, seen.url))
                finding.evidence["folded"] = [{"rule": folded.rule, "subject": folded.subject, "title": folded.title,
                                                "message": folded.message}]
        result.findings.append(finding)
    result.good_pages = sorted(
        url for url in judged if url not in flagged and url not in held and not _harmful(pages[url].current)
    )
    return result


class _Judgement(NamedTuple):
    finding: Finding | None
    # A quiet page that must not replace the baseline: one that stopped naming the provider
    # the baseline named, or one too thin to say anything. Promoted, it would let a takeover
    # in two steps (first the name goes, then the content) compare against a page that was
    # already someone else's, and never be called repurposed.
    holds_baseline: bool = False


def _harmful(snapshot: PageSnapshot | None) -> bool:
    return bool(snapshot is not None and snapshot.harmful)


def _base_evidence(seen: LinkObservation, verdict: LinkVerdict, stored: StoredPages) -> dict[str, Any]:
    current = stored.current
    assert current is not None
    return {
        "verdict": verdict.value, "status_code": seen.status_code, "final_url": current.final_url,
        "checked_at": stored.current_at, "places": seen.places,
        "page": {"title": current.title, "heading": current.heading, "lang": current.lang,
                 "host": current.final_host, "certificate": current.cert_subject, "words": current.word_count},
    }


def _judge(
    context: RuleContext, service: ServiceItem, seen: LinkObservation, verdict: LinkVerdict, stored: StoredPages,
    *, has_own_finding: bool = False,
) -> _Judgement:
    current = stored.current
    assert current is not None
    where = _where(seen)
    if current.harmful and verdict in HARMFUL_VERDICTS:
        harmful = current.harmful
        markers = ", ".join(f"'{m}'" for m in list(harmful.get("markers") or [])[:4])
        evidence = _base_evidence(seen, verdict, stored)
        evidence["harmful"] = harmful
        evidence["value"] = [harmful.get("category"), current.final_url]
        return _Judgement(make_finding(
            context, HARMFUL, service.directory_id, seen.url,
            f"The link to {seen.url} in {where} now leads to a page with {harmful.get('label')} "
            f"({markers}) at {current.final_url}. Children and families could land on it from this entry.",
            "Remove the link now. Then ask the provider for their current website; the old address "
            "is no longer theirs.",
            evidence,
        ))
    # Whether the baseline and the current page name the provider: asked once, for the
    # findings below and for whether this page may become the baseline.
    identity = identity_of(service)
    baseline = stored.baseline
    comparable = baseline is not None and not baseline.thin
    named_before = names_provider(baseline, identity) if identity.usable and baseline is not None and comparable else None
    named_now = names_provider(current, identity) if identity.usable and not current.thin else None
    quiet = _Judgement(None, comparable and not current.merger and (current.thin or (bool(named_before) and not named_now)))
    if verdict not in COMPARABLE or not _is_website(seen) or current.thin:
        return quiet
    if not identity.usable:
        return quiet
    if named_now:
        return quiet
    if current.merger:
        return quiet  # "X has merged with Y": the trap of a merger or new name that says so
    if baseline is not None and named_before:
        changed = [why for why in (topic_change(baseline, current), moved_site(baseline, current)) if why]
        if not changed:
            return quiet  # lost the name but kept the page: not enough to say it is someone else's
        evidence = _base_evidence(seen, verdict, stored)
        evidence["before"] = {"title": baseline.title, "heading": baseline.heading, "host": baseline.final_host,
                              "lang": baseline.lang, "certificate": baseline.cert_subject,
                              "checked_at": stored.baseline_at, "named": named_before}
        evidence["changes"] = changed
        evidence["value"] = [current.site, current.title]
        return _Judgement(make_finding(
            context, REPURPOSED, service.directory_id, seen.url,
            f"The provider's website {seen.url} no longer looks like theirs: on {str(stored.baseline_at)[:10]} it "
            f"named them ({named_before}); now it names them nowhere and {'; '.join(changed)}.",
            "Remove the link now. Then ask the provider for their current website; if the service has "
            "closed, archive the entry.",
            evidence,
        ))
    if has_own_finding:
        return quiet  # the link's own finding (moved off-site, redirected...) already sends someone to look
    twice = stored.previous is not None and not stored.previous.thin and not names_provider(stored.previous, identity)
    evidence = _base_evidence(seen, verdict, stored)
    evidence["seen_twice"] = twice
    evidence["value"] = [current.site, current.title]
    finding = make_finding(
        context, NOT_NAMED, service.directory_id, seen.url,
        f"The website {seen.url} (page {current.title!r}) does not mention {service.organisation or service.name!r}, "
        + "".join(f"{name!r} from the service's title, " for name in identity.title_names_tried[:1])
        + "the service's name, phone number or postcode anywhere"
        + (" on two checks in a row." if twice else "."),
        "Open the link and check it is still the provider's own website. If it is, ignore this "
        "(dismiss it as a false alarm); if not, remove the link and ask the provider for the right one.",
        evidence,
    )
    return _Judgement(finding if twice else replace(finding, severity=_lower(finding.severity)))
