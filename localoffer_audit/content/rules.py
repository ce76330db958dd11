"""Content rules: pure checks over one stored service entry, each returning findings.

``check_service(service, context)`` runs every enabled rule on one entry;
``find_near_duplicates(services, context)`` compares entries with each other. No I/O, no
database, no clock: today's date comes in through ``RuleContext``, so each rule is a
table-driven unit test (tests/test_content*.py). docs/rules.md describes every rule.

Messages and fix hints are written for a content manager, not a developer: they name
the concrete value ("The last updated date on this entry is 3 March 2023, over 12 months
ago") and say what to do.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from localoffer_audit.config import ContentConfig
from localoffer_audit.models import Finding, ServiceItem, Severity
from localoffer_audit.content import wording
from localoffer_audit.parsing.contact_values import (
    email_problem,
    is_placeholder_email,
    is_valid_uk_phone,
    is_valid_uk_postcode,
    looks_like_postcode_attempt,
    phone_key,
    phone_numbers_in,
)
from localoffer_audit.parsing.dates import DateMention, find_dates, format_uk_date, parse_uk_date
from localoffer_audit.content.readability import readability
from localoffer_audit.catalogue import ALL_RULES


def site_key(url: str) -> str:
    """"host" or "host:port" (a port other than the scheme's default is another site)."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return ""
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return host if port is None or port == default else f"{host}:{port}"


@dataclass(slots=True)
class RuleContext:
    """What the rules need besides the entry: today's date, the settings, the directory's hosts."""

    today: date
    config: ContentConfig = field(default_factory=ContentConfig)
    # The directory's own sites (from [directory] start_urls): host names, lower case, with
    # ":port" when the URL names a port other than the scheme's default.
    own_hosts: frozenset[str] = frozenset()

    @classmethod
    def from_start_urls(cls, today: date, config: ContentConfig, start_urls: Iterable[str]) -> RuleContext:
        hosts = frozenset(site for url in start_urls if (site := site_key(url)))
        return cls(today=today, config=config, own_hosts=hosts)

    def enabled(self, rule_id: str) -> bool:
        setting = self.config.rules.get(rule_id)
        return setting is None or setting.enabled

    def severity(self, rule_id: str) -> Severity:
        setting = self.config.rules.get(rule_id)
        if setting is not None and setting.severity is not None:
            return Severity(setting.severity)
        return ALL_RULES[rule_id].severity


def make_finding(
    context: RuleContext,
    rule_id: str,
    service_id: str,
    subject: str,
    message: str,
    fix_hint: str,
    evidence: dict[str, Any],
) -> Finding:
    """A finding with the rule's title and its (possibly configured) severity."""
    return Finding(
        service_id=service_id,
        rule=rule_id,
        subject=subject,
        severity=context.severity(rule_id),
        title=ALL_RULES[rule_id].title,
        message=message,
        fix_hint=fix_hint,
        evidence=evidence,
    )


# --- reading the entry ---------------------------------------------------------------

# Labels of fields that hold contact details, addresses, dates or identifiers: not prose.
_NOT_PROSE_LABEL = re.compile(
    r"phone|tel\b|mobile|e-?mail|web|url|link|address|post\s?code|venue|urn|ofsted\s+(?:urn|number)|"
    r"\bage|categor|organi[sz]ation|^name$|position|job\s+title|contact|social|facebook|twitter|instagram|"
    r"charity|company|latitude|longitude|\bmap\b|updated|reviewed|review|added|modified|\bdate\b|assured|"
    r"verified|checked|\bid\b|\bcode\b",
    re.IGNORECASE,
)
_DATE_LABEL = re.compile(
    r"updated|reviewed|review\s+date|date\s+added|added|modified|last\s+checked|assured|verified", re.IGNORECASE
)
_PHONE_LABEL = re.compile(r"phone|\btel\b|mobile|telephone", re.IGNORECASE)
_EMAIL_LABEL = re.compile(r"e-?mail", re.IGNORECASE)
_SPELT_OUT_EMAIL = re.compile(r"^[\w.+-]+\s*(?:\bat\b|\[at\]|\(at\))\s*[\w-]+(?:\s*(?:\.|\bdot\b|\[dot\])\s*[\w-]+)+$", re.IGNORECASE)


def _clean(text: str | None) -> str:
    return re.sub(r"[ \t\r\f\v]+", " ", text or "").strip()


def prose_fields(service: ServiceItem) -> list[tuple[str, str]]:
    """(subject, text) for every field of free text: the description and labelled prose.

    Labelled fields that repeat the description are skipped, so one sentence makes one
    finding.
    """
    found: list[tuple[str, str]] = []
    description = _clean(service.description)
    if description:
        found.append(("description", description))
    seen = {description.lower()} if description else set()
    for label, value in service.fields.items():
        text = _clean(value)
        if not text or _NOT_PROSE_LABEL.search(label) or label.strip().lower() in {"description", "name", "title"}:
            continue
        lowered = text.lower()
        if lowered in seen or (description and lowered in description.lower()):
            continue
        seen.add(lowered)
        found.append((label.strip().rstrip(":").strip().lower(), text))
    return found


@dataclass(frozen=True, slots=True)
class EntryDate:
    label: str
    mention: DateMention


def entry_dates(service: ServiceItem) -> list[EntryDate]:
    """The review / last-updated dates the entry shows about itself.

    Only labelled dates count (what the crawl stored in ``dates``, or a field whose label
    is a date label): a dated PDF title or an event in the description is not the
    entry's date.
    """
    found: list[EntryDate] = []
    for shown in service.dates:
        parsed = parse_uk_date(shown.raw)
        if shown.value is not None and (parsed is None or parsed.start != shown.value):
            # The crawl's reading wins; our own only adds precision ("March 2022" is all of March).
            mention = DateMention(shown.raw or format_uk_date(shown.value), shown.value, shown.value, "day", 0, 0)
        elif parsed is not None:
            mention = parsed
        else:
            continue
        found.append(EntryDate(shown.label or "date", mention))
    if found:
        return found
    for label, value in service.fields.items():
        if _DATE_LABEL.search(label) and not re.search(r"next|due|expir|until|valid", label, re.IGNORECASE):
            parsed = parse_uk_date(value)
            if parsed is not None:
                found.append(EntryDate(label.strip().rstrip(":").strip(), parsed))
    for key in ("assured_date", "last_modified", "updated_at", "date_modified"):
        extra = service.extra.get(key)
        if isinstance(extra, str) and (parsed := parse_uk_date(extra)) is not None:
            found.append(EntryDate(key.replace("_", " "), parsed))
    return found


def newest_entry_date(service: ServiceItem, today: date) -> EntryDate | None:
    """The most recent date the entry shows (dates more than a day ahead are typos, ignored)."""
    candidates = [d for d in entry_dates(service) if d.mention.start <= today + timedelta(days=1)]
    if not candidates:
        return None
    return max(candidates, key=lambda d: d.mention.end)


def _date_phrase(label: str) -> str:
    """How a content manager calls the date: "Record last updated:" -> "last-updated date"."""
    lowered = label.lower()
    if "review" in lowered:
        return "review date"
    if "updat" in lowered or "modif" in lowered or "amend" in lowered:
        return "last-updated date"
    if "added" in lowered or "created" in lowered:
        return "date added"
    if "assur" in lowered or "verif" in lowered or "checked" in lowered:
        return "last-checked date"
    return "date"


def describe_days(days: int) -> str:
    """365 -> "12 months", 730 -> "2 years", 90 -> "3 months", 45 -> "45 days"."""
    if days % 365 == 0:
        years = days // 365
        return "12 months" if years == 1 else f"{years} years"
    months = days / 30.44
    if days >= 28 and abs(months - round(months)) < 0.1:
        return f"{round(months)} months" if round(months) != 1 else "1 month"
    return f"{days} days"


def _phones(service: ServiceItem) -> list[tuple[str, str]]:
    """(where, number as written) for every telephone number on the entry, each once."""
    found: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(where: str, text: str | None) -> None:
        for number in phone_numbers_in(text):
            digits = phone_key(number)
            if digits and digits not in seen:
                seen.add(digits)
                found.append((where, number))

    for contact in service.contacts:
        add("telephone", contact.phone)
    for label, value in service.fields.items():
        if _PHONE_LABEL.search(label):
            add("telephone", value)
    for place in service.links:
        if place.url.lower().startswith("tel:"):
            add("telephone", place.url[4:])
    return found


def _emails(service: ServiceItem) -> list[str]:
    """Every email address on the entry, each once (a value without an @ is not one)."""
    found: list[str] = []
    candidates = [c.email for c in service.contacts]
    candidates += [v for k, v in service.fields.items() if _EMAIL_LABEL.search(k)]
    candidates += [p.url[7:].split("?", 1)[0] for p in service.links if p.url.lower().startswith("mailto:")]
    for value in candidates:
        if value and _SPELT_OUT_EMAIL.match(value.strip()):
            # "name at domain.org.uk": readable, but no mail program can use it.
            if value.strip().lower() not in {e.lower() for e in found}:
                found.append(value.strip())
            continue
        for part in re.split(r"[\s,;]+", (value or "").strip()):
            part = part.strip().strip("()<>[]")
            if part.lower().startswith("mailto:"):
                part = part[7:].split("?", 1)[0]
            if "@" in part and part.lower() not in {e.lower() for e in found}:
                found.append(part)
    return found


def _websites(service: ServiceItem) -> list[str]:
    sites = [service.website] if service.website else []
    sites += [p.url for p in service.links if p.field == "website" and p.url not in sites]
    return [s for s in sites if s and s.strip()]


def _is_own_page(url: str, context: RuleContext) -> bool:
    site = site_key(url)
    return bool(site) and site in context.own_hosts


# --- the rules -----------------------------------------------------------------------

Rule = Callable[[ServiceItem, RuleContext], list[Finding]]


def rule_dates(service: ServiceItem, context: RuleContext) -> list[Finding]:
    """stale_date and missing_date."""
    newest = newest_entry_date(service, context.today)
    if newest is None:
        if not context.enabled("missing_date") or entry_dates(service):
            # Only dates in the future: a typo, not a missing date.
            return []
        return [make_finding(
            context, "missing_date", service.directory_id, "review date",
            "This entry does not show when it was last reviewed or updated.",
            "Check the details with the provider, then save the entry so it shows a review date.",
            {"value": None},
        )]
    if not context.enabled("stale_date"):
        return []
    limit = context.config.stale_after_days
    if newest.mention.end >= context.today - timedelta(days=limit):
        return []
    what = _date_phrase(newest.label)
    shown = newest.mention.shown
    age_days = (context.today - newest.mention.end).days
    return [make_finding(
        context, "stale_date", service.directory_id, "review date",
        f"The {what} on this entry is {shown}, over {describe_days(limit)} ago.",
        f"The {what} on this entry is {shown}, over {describe_days(limit)} ago. "
        "Check the details with the provider and update the review date.",
        {"value": newest.mention.start.isoformat(), "raw": newest.mention.raw, "label": newest.label,
         "age_days": age_days},
    )]


def rule_past_event(service: ServiceItem, context: RuleContext) -> list[Finding]:
    findings = []
    for subject, text in prose_fields(service):
        events = wording.past_events(text, context.today, grace_days=context.config.past_event_grace_days)
        if not events:
            continue
        phrases = [event.phrase for event in events]
        first = events[0]
        listed = "; ".join(f'"{p}"' for p in phrases)
        findings.append(make_finding(
            context, "past_event", service.directory_id, subject,
            f"{_the(subject)} mentions {listed}, which ended by {format_uk_date(first.ended)}.",
            f"{_the(subject)} still advertises {listed}. Remove it or replace it with the current dates.",
            {"value": phrases, "sentences": [e.sentence for e in events]},
        ))
    return findings


def rule_covid_notice(service: ServiceItem, context: RuleContext) -> list[Finding]:
    findings = []
    for subject, text in prose_fields(service):
        sentence = wording.covid_sentence(text)
        if sentence:
            findings.append(make_finding(
                context, "covid_notice", service.directory_id, subject,
                f'{_the(subject)} still has a COVID-19 notice: "{_short(sentence)}".',
                f'{_the(subject)} says "{_short(sentence)}". Ask the provider how the service runs now '
                "and remove the COVID-19 notice.",
                {"value": sentence},
            ))
    return findings


def closure_evidence(service: ServiceItem) -> tuple[str, str] | None:
    """(subject, evidence) when the entry says the service has closed for good."""
    if wording.name_says_closed(service.name):
        return ("name", service.name)
    status = str(service.extra.get("status") or "").strip().lower()
    if status in {"defunct", "inactive"}:
        return ("status", f"status: {status}")
    for subject, text in prose_fields(service):
        sentence = wording.closure_sentence(text)
        if sentence:
            return (subject, sentence)
    return None


def archive_for_closure(service: ServiceItem, context: RuleContext, subject: str, evidence: str) -> Finding:
    """The ``archive_candidate`` an entry that says it has closed would get. It is reported
    only with ``closure_wording`` switched off; otherwise it is folded into the closure
    finding (``rule_closure``), which asks for the same fix."""
    return make_finding(
        context, "archive_candidate", service.directory_id, "entry",
        f'Consider archiving this entry: its {subject} says the service has closed ("{evidence[:160]}").',
        "Confirm with the provider that the service has closed, then archive the entry.",
        {"value": ["closed", evidence]},
    )


def rule_closure(service: ServiceItem, context: RuleContext) -> list[Finding]:
    """One problem, one finding: the entry says it has closed, so the content manager must
    confirm and archive it. This finding carries that fix at its own severity (high:
    families are sent to a service that no longer runs) and the archive suggestion the
    same words would make is folded into its evidence (docs/rules.md)."""
    found = closure_evidence(service)
    if found is None:
        return []
    subject, evidence = found
    finding = make_finding(
        context, "closure_wording", service.directory_id, subject,
        f'{_the(subject)} says the service has closed: "{_short(evidence)}".',
        "Confirm with the provider that the service has closed. If it has, archive the entry; "
        "if not, remove the closure wording.",
        {"value": evidence},
    )
    if context.enabled("archive_candidate"):
        archive = archive_for_closure(service, context, subject, evidence)
        finding.evidence["archive"] = "closed"
        finding.evidence["folded"] = [folded_note(archive)]
        # A council that rates archive candidates higher keeps that rating for closures.
        finding.severity = min(finding.severity, archive.severity, key=lambda s: s.rank)
    return [finding]


def rule_contact_route(service: ServiceItem, context: RuleContext) -> list[Finding]:
    phones = _phones(service)
    emails = [e for e in _emails(service) if email_problem(e) is None and not is_placeholder_email(e)]
    websites = [w for w in _websites(service) if w.lower().startswith(("http://", "https://", "www."))
                and not _is_own_page(w, context)]
    if phones or emails or websites:
        return []
    return [make_finding(
        context, "no_contact_route", service.directory_id, "contact details",
        "This entry has no telephone number, email address or website, so families cannot contact the service.",
        "Ask the provider for at least one way to contact them (telephone, email or website) and add it to the entry.",
        {"value": None},
    )]


def rule_description(service: ServiceItem, context: RuleContext) -> list[Finding]:
    text = wording.substantive_text(_clean(service.description))
    minimum = context.config.min_description_chars
    if wording.is_placeholder_value(text):
        text = ""
    if text and len(text) >= minimum:
        return []
    if not text:
        message = "This entry has no description, so families cannot tell what the service offers."
    else:
        message = f'The description is only {len(text)} characters long: "{_short(text)}".'
    return [make_finding(
        context, "short_description", service.directory_id, "description",
        message,
        "Add a description saying what the service does, who it is for, and how to use it "
        f"(at least {minimum} characters).",
        {"value": text},
    )]


def rule_placeholder(service: ServiceItem, context: RuleContext) -> list[Finding]:
    findings = []
    candidates: list[tuple[str, str | None, bool]] = [
        ("name", service.name, True),
        ("description", wording.substantive_text(_clean(service.description)), True),
        ("description", service.description, False),
        ("cost", service.cost, True),
        ("age range", service.age_range, True),
        ("postcode", service.postcode, True),
    ]
    candidates += [(subject, text, False) for subject, text in prose_fields(service) if subject != "description"]
    for contact in service.contacts:
        candidates.append(("contact name", contact.name, True))
    seen_subjects: set[str] = set()
    for subject, text, whole in candidates:
        if subject in seen_subjects:
            continue
        phrase = wording.placeholder_phrase(_clean(text), whole_field_values=whole)
        if not phrase:
            continue
        seen_subjects.add(subject)
        findings.append(make_finding(
            context, "placeholder_text", service.directory_id, subject,
            f'{_the(subject)} contains placeholder text: "{_short(phrase)}".',
            f'Replace "{_short(phrase)}" in {_the(subject).lower()} with the real details, or remove it.',
            {"value": phrase},
        ))
    return findings


def rule_phones(service: ServiceItem, context: RuleContext) -> list[Finding]:
    findings = []
    for _where, number in _phones(service):
        if is_valid_uk_phone(number):
            continue
        findings.append(make_finding(
            context, "invalid_phone", service.directory_id, f"telephone {number}",
            f"The telephone number {number} is not a valid UK number.",
            f"Check the number {number} with the provider and correct it (UK numbers have 10 or 11 digits "
            "and start with 01, 02, 03, 05, 07, 08 or 09).",
            {"value": number},
        ))
    return findings


def rule_emails(service: ServiceItem, context: RuleContext) -> list[Finding]:
    findings = []
    for email in _emails(service):
        problem = email_problem(email)
        if problem is None:
            continue
        findings.append(make_finding(
            context, "invalid_email", service.directory_id, f"email {email}",
            f"The email address {email} cannot be right: {problem}.",
            f"Check the email address {email} with the provider and correct it.",
            {"value": email, "problem": problem},
        ))
    return findings


def rule_postcode(service: ServiceItem, context: RuleContext) -> list[Finding]:
    postcode = _clean(service.postcode)
    if not postcode or not looks_like_postcode_attempt(postcode) or is_valid_uk_postcode(postcode):
        return []
    return [make_finding(
        context, "invalid_postcode", service.directory_id, "postcode",
        f'The postcode "{postcode}" is not a valid UK postcode.',
        f'Correct the postcode "{postcode}" (for example "LS1 4AP"), or leave it empty if the service has no venue.',
        {"value": postcode},
    )]


def rule_website_is_directory(service: ServiceItem, context: RuleContext) -> list[Finding]:
    for site in _websites(service):
        if _is_own_page(site, context):
            return [make_finding(
                context, "website_is_directory_page", service.directory_id, "website",
                f"The website given for this service, {site}, is a page of this directory, not the provider's own site.",
                "Replace it with the provider's own website, or remove the website if they have none.",
                {"value": site},
            )]
    return []


def rule_plain_english(service: ServiceItem, context: RuleContext) -> list[Finding]:
    text = _clean(service.description)
    if len(text.split()) < context.config.plain_english_min_words:
        return []
    result = readability(text)
    if result is None or result.words < context.config.plain_english_min_words:
        return []
    too_hard = result.reading_age > context.config.reading_age_max
    long_sentences = [s for s in result.sentence_lengths if s > context.config.long_sentence_words]
    if not too_hard and not long_sentences:
        return []
    reasons = []
    if too_hard:
        reasons.append(f"it needs a reading age of about {result.reading_age:.0f}")
    if long_sentences:
        reasons.append(f"{len(long_sentences)} sentence(s) are over {context.config.long_sentence_words} words long")
    return [make_finding(
        context, "plain_english", service.directory_id, "description",
        "The description may be hard to read: " + " and ".join(reasons) + ".",
        "Use shorter sentences and everyday words, so a family can read it quickly "
        f"(aim for a reading age of {context.config.reading_age_max} or lower).",
        {"value": round(result.reading_age), "long_sentences": len(long_sentences), "words": result.words},
    )]


# Fields the entry always has read naturally ("the description"); others are named as fields.
_PLAIN_SUBJECTS = frozenset({"description", "name", "cost", "age range", "postcode", "contact name", "status", "website"})


def _the(subject: str) -> str:
    """"The description", or 'The "session information" field' for a labelled field."""
    return f"The {subject}" if subject in _PLAIN_SUBJECTS else f'The "{subject}" field'


def _short(text: str, limit: int = 160) -> str:
    text = _clean(text).rstrip(".")
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# Rule functions by the ids they can report (a function runs if any of its ids is enabled).
RULES: tuple[tuple[tuple[str, ...], Rule], ...] = (
    (("stale_date", "missing_date"), rule_dates),
    (("past_event",), rule_past_event),
    (("covid_notice",), rule_covid_notice),
    (("closure_wording",), rule_closure),
    (("no_contact_route",), rule_contact_route),
    (("short_description",), rule_description),
    (("placeholder_text",), rule_placeholder),
    (("invalid_phone",), rule_phones),
    (("invalid_email",), rule_emails),
    (("invalid_postcode",), rule_postcode),
    (("website_is_directory_page",), rule_website_is_directory),
    (("plain_english",), rule_plain_english),
)


def check_service(service: ServiceItem, context: RuleContext) -> list[Finding]:
    """Every enabled per-entry content rule over one service (near duplicates are separate)."""
    if service.is_advice_page:
        return []  # the directory's own guidance page: only its links are checked
    findings: list[Finding] = []
    for rule_ids, rule in RULES:
        if any(context.enabled(rule_id) for rule_id in rule_ids):
            findings.extend(f for f in rule(service, context) if context.enabled(f.rule))
    return fold_overlaps(findings)


def folded_note(finding: Finding) -> dict[str, Any]:
    """What a finding folded into another keeps: its rule, subject (with the service, the
    key of its stored row: the findings stage closes that row as folded, not fixed),
    title, message and offending value."""
    return {"rule": finding.rule, "subject": finding.subject, "title": finding.title,
            "message": finding.message, "value": finding.evidence.get("value")}


def fold_overlaps(findings: list[Finding]) -> list[Finding]:
    """One problem, one finding: a description that is filler or placeholder text and too
    short is one fix (write the description), so short_description carries it, naming the
    placeholder, and the placeholder_text finding on the description is folded into its
    evidence ("folded"). Instruction text long enough to pass the length check
    ("[Insert a description of the service here: ...]") stays a placeholder_text finding."""
    placeholder = next((f for f in findings if f.rule == "placeholder_text" and f.subject == "description"), None)
    short = next((f for f in findings if f.rule == "short_description"), None)
    if placeholder is None or short is None:
        return findings
    phrase = _short(str(placeholder.evidence.get("value") or ""))
    if short.message.startswith("This entry has no description"):
        short.message = f'This entry has no description: it reads only "{phrase}", so families cannot tell what the service offers.'
    short.fix_hint = f'Replace "{phrase}" with a real description. {short.fix_hint}'
    short.evidence = {**short.evidence, "folded": [folded_note(placeholder)]}
    return [f for f in findings if f is not placeholder]


def _keep_or_archive(a: ServiceItem, b: ServiceItem, context: RuleContext) -> tuple[ServiceItem, ServiceItem, str]:
    """(entry to keep, entry to archive or merge, why): the one reviewed more recently is
    kept; with no dates to tell, the fuller entry; then the one entered first (lower id)."""
    dates = {s.directory_id: newest_entry_date(s, context.today) for s in (a, b)}
    da, db_ = dates[a.directory_id], dates[b.directory_id]
    if da is not None and db_ is not None and da.mention.end != db_.mention.end:
        keep, drop = (a, b) if da.mention.end > db_.mention.end else (b, a)
        kept_on = dates[keep.directory_id]
        dropped_on = dates[drop.directory_id]
        assert kept_on is not None and dropped_on is not None
        return keep, drop, (f"it was last updated {format_uk_date(dropped_on.mention.end)}, the other "
                            f"{format_uk_date(kept_on.mention.end)}")
    if (da is None) != (db_ is None):
        keep, drop = (a, b) if da is not None else (b, a)
        return keep, drop, "it shows no review date and the other does"
    size = {s.directory_id: len(_clean(s.description)) for s in (a, b)}
    if size[a.directory_id] != size[b.directory_id]:
        keep, drop = (a, b) if size[a.directory_id] > size[b.directory_id] else (b, a)
        return keep, drop, "its description is shorter than the other's"
    keep, drop = sorted((a, b), key=lambda s: s.directory_id)
    return keep, drop, "it was entered after the other (nothing else tells them apart)"


def find_near_duplicates(services: Sequence[ServiceItem], context: RuleContext) -> list[Finding]:
    """Near-duplicate entries (see content/duplicates.py): one finding per pair, on the entry
    to archive or merge, naming the entry to keep, why, and what matched."""
    from localoffer_audit.content.duplicates import near_duplicate_pairs, qualifier

    if not context.enabled("near_duplicate"):
        return []
    by_id = {s.directory_id: s for s in services}
    findings: list[Finding] = []
    for pair in near_duplicate_pairs(
        services,
        name_similarity=context.config.near_duplicate_name_similarity,
        description_similarity=context.config.near_duplicate_description_similarity,
    ):
        keep, drop, why = _keep_or_archive(by_id[pair.first], by_id[pair.second], context)
        venues_differ = bool(
            (keep.postcode and drop.postcode and keep.postcode.replace(" ", "").upper() != drop.postcode.replace(" ", "").upper())
            or qualifier(keep.name) != qualifier(drop.name)
        )
        action = "merge" if venues_differ else "archive"
        matched = ", ".join(pair.matched)
        if action == "merge":
            hint = (f'Merge this entry into "{keep.name}" ({keep.url}): list this entry\'s venue on that one, then '
                    "archive this one. If they really are different services, make the names and descriptions say how.")
        else:
            hint = (f'Archive this entry and keep "{keep.name}" ({keep.url}) up to date. If they really are '
                    "different services, make the names and descriptions say how.")
        findings.append(make_finding(
            context, "near_duplicate", drop.directory_id, f"duplicate of {keep.directory_id}",
            f'This entry looks like a copy of "{keep.name}" ({keep.url}): the names are '
            f"{pair.name_score:.0f}% alike and the descriptions {pair.description_score:.0f}% alike "
            f"(matched: {matched}). Suggested: {action} this one, because {why}.",
            hint,
            {"value": keep.directory_id, "other_url": keep.url, "name_score": round(pair.name_score),
             "description_score": round(pair.description_score), "matched": list(pair.matched),
             "action": action, "why": why},
        ))
    return findings


__all__ = [
    "RuleContext",
    "check_service",
    "find_near_duplicates",
    "closure_evidence",
    "newest_entry_date",
    "entry_dates",
    "find_dates",
]
