"""Every finding rule the auditor can report: id, title and default severity.

This is plain data with no imports beyond the shared vocabulary, so the config file's
validator, the `rules` command and the docs test can all read it without pulling in
the rules themselves. docs/rules.md describes each rule in full.
"""

from __future__ import annotations

from dataclasses import dataclass

from localoffer_audit.models import LinkVerdict, Severity


@dataclass(frozen=True, slots=True)
class RuleInfo:
    id: str
    title: str
    severity: Severity
    # One line for `localoffer-audit rules`: what makes the rule fire.
    summary: str


CONTENT_RULES: tuple[RuleInfo, ...] = (
    RuleInfo("stale_date", "Entry not reviewed recently", Severity.MEDIUM,
             "the newest review / last-updated date shown is older than stale_after_days"),
    RuleInfo("missing_date", "No review date shown", Severity.LOW,
             "the entry shows no review, last-updated or date-added date that can be read"),
    RuleInfo("past_event", "Mentions an event that has passed", Severity.MEDIUM,
             "sessions, clubs or holidays dated in the past ('Easter 2021 holiday club', 'sessions until July 2022')"),
    RuleInfo("covid_notice", "Out-of-date COVID-19 notice", Severity.MEDIUM,
             "a notice about coronavirus restrictions ('sessions suspended due to coronavirus')"),
    RuleInfo("closure_wording", "Says the service has closed", Severity.HIGH,
             "wording that the service has closed for good ('this service has now closed'), or an ORUK status of defunct/inactive; "
             "asks for the entry to be archived (the archive suggestion is folded into it)"),
    RuleInfo("no_contact_route", "No way to contact the service", Severity.HIGH,
             "no usable telephone number, email address or website"),
    RuleInfo("short_description", "Description missing or too short", Severity.MEDIUM,
             "the description is empty or shorter than min_description_chars"),
    RuleInfo("placeholder_text", "Placeholder text left in", Severity.MEDIUM,
             "TBC, lorem ipsum, 'insert text here', or a field that reads 'undefined' / 'null'"),
    RuleInfo("invalid_phone", "Telephone number cannot be right", Severity.MEDIUM,
             "a telephone number that is not a valid number in the UK numbering plan"),
    RuleInfo("invalid_email", "Email address cannot be right", Severity.MEDIUM,
             "an email address with broken syntax or a placeholder domain"),
    RuleInfo("invalid_postcode", "Postcode is not a UK postcode", Severity.LOW,
             "the postcode field does not have the shape of a UK postcode"),
    RuleInfo("website_is_directory_page", "Website is the directory's own page", Severity.LOW,
             "the 'website' of the service points back into the directory itself"),
    RuleInfo("near_duplicate", "Possible duplicate entry", Severity.LOW,
             "another entry has a near-identical name and description from the same provider (one finding per pair, on the entry to archive or merge)"),
    RuleInfo("plain_english", "Hard to read", Severity.INFO,
             "the description needs a reading age above reading_age_max, or has very long sentences"),
    RuleInfo("page_missing", "Service page no longer exists", Severity.HIGH,
             "the entry is still listed but its own page answers 404 / 410"),
    RuleInfo("service_removed", "Entry disappeared from the directory", Severity.LOW,
             "the entry was listed before and a complete crawl no longer finds it"),
    RuleInfo("oruk_detail_missing", "Listed in the API but its record is missing", Severity.HIGH,
             "an Open Referral UK /services list shows the id but /services/{id} answers 404"),
    RuleInfo("archive_candidate", "Consider archiving this entry", Severity.MEDIUM,
             "its website is gone and the entry is not reviewed for archive_after_days (an entry that says it has closed "
             "is a closure_wording finding instead)"),
)

# Link verdicts that make a finding, and how serious each is (DESIGN.md's table).
LINK_RULE_SEVERITY: dict[LinkVerdict, Severity] = {
    LinkVerdict.REDIRECTED: Severity.LOW,
    LinkVerdict.MOVED_OFFSITE: Severity.MEDIUM,
    LinkVerdict.BROKEN: Severity.HIGH,
    LinkVerdict.SERVER_ERROR: Severity.HIGH,
    LinkVerdict.TIMEOUT: Severity.HIGH,
    LinkVerdict.SOFT_404: Severity.HIGH,
    LinkVerdict.PARKED: Severity.CRITICAL,
    LinkVerdict.TLS_ERROR: Severity.MEDIUM,
    LinkVerdict.BLOCKED: Severity.INFO,
    LinkVerdict.INSECURE: Severity.LOW,
    LinkVerdict.INTERNAL_ADDRESS: Severity.HIGH,
    LinkVerdict.INVALID_EMAIL: Severity.MEDIUM,
    LinkVerdict.INVALID_PHONE: Severity.MEDIUM,
}

_LINK_TITLES: dict[LinkVerdict, tuple[str, str]] = {
    LinkVerdict.REDIRECTED: ("Link has moved", "the link redirects for good to another working address"),
    LinkVerdict.MOVED_OFFSITE: ("Link now leads to another website", "the link redirects to a different website"),
    LinkVerdict.BROKEN: ("Broken link", "the page does not exist (404/410), the site name does not exist, or the address is malformed"),
    LinkVerdict.SERVER_ERROR: ("Link's website is failing", "the site answered with a server error on repeated tries"),
    LinkVerdict.TIMEOUT: ("Link does not answer", "the site did not answer in time on repeated tries"),
    LinkVerdict.SOFT_404: ("Link leads to a 'page not found'", "the site answers, but with a not-found page or only its home page"),
    LinkVerdict.PARKED: ("Link goes to a parked or for-sale domain", "the domain is parked, for sale or expired"),
    LinkVerdict.TLS_ERROR: ("Link's website has a security certificate problem", "the https certificate is expired or invalid"),
    LinkVerdict.BLOCKED: ("Link could not be checked automatically", "the site blocks automated checks (401/403/429); check it by hand"),
    LinkVerdict.INSECURE: ("Link uses http:// where https:// works", "the secure version of the address works"),
    LinkVerdict.INTERNAL_ADDRESS: ("Link points to a private network address", "the address resolves to a private or local network"),
    LinkVerdict.INVALID_EMAIL: ("Email link cannot be right", "a mailto: link whose address is not valid"),
    LinkVerdict.INVALID_PHONE: ("Telephone link cannot be right", "a tel: link that is not a valid UK number"),
}

LINK_RULES: tuple[RuleInfo, ...] = tuple(
    RuleInfo(f"link_{verdict}", _LINK_TITLES[verdict][0], severity, _LINK_TITLES[verdict][1])
    for verdict, severity in LINK_RULE_SEVERITY.items()
)

# Safeguarding: judged per service from the page fingerprints (findings/safeguarding.py).
SAFEGUARDING_RULES: tuple[RuleInfo, ...] = (
    RuleInfo("link_harmful_content", "Link leads to harmful content", Severity.CRITICAL,
             "the page now carries gambling, adult, payday-loan, pharmacy, crypto-scam or fake-download content"),
    RuleInfo("link_repurposed", "Provider's link now leads somewhere else", Severity.CRITICAL,
             "the provider's website used to name them and no longer does, with its title and topic changed wholesale or moved to another site"),
    RuleInfo("link_provider_not_named", "Provider's website does not name them", Severity.MEDIUM,
             "the website field's page names neither the organisation, the service, its phone nor its postcode (low until seen on two checks)"),
)
# Sent to the content manager and to the Local Offer team's escalation digest at once,
# not after escalate_after_days: a children's directory linking to these is a safeguarding risk.
ESCALATE_AT_ONCE: frozenset[str] = frozenset({"link_harmful_content", "link_repurposed"})

ALL_RULES: dict[str, RuleInfo] = {rule.id: rule for rule in (*CONTENT_RULES, *LINK_RULES, *SAFEGUARDING_RULES)}
CONTENT_RULE_IDS: tuple[str, ...] = tuple(rule.id for rule in CONTENT_RULES)


def link_rule_id(verdict: LinkVerdict | str) -> str:
    return f"link_{verdict}"


def unknown_rule_ids(ids: list[str] | set[str] | tuple[str, ...]) -> list[str]:
    """The ids in ``ids`` that name no rule (for the config file's validator)."""
    return sorted(rule_id for rule_id in ids if rule_id not in ALL_RULES)
