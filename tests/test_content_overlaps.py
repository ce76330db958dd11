"""One problem, one finding: overlapping rules on the same field fold into one finding."""

from __future__ import annotations

from datetime import date

import pytest

from localoffer_audit.parsing.contact_values import phone_numbers_in
from localoffer_audit.content.rules import RuleContext, check_service
from localoffer_audit.config import ContentConfig
from localoffer_audit.models import Contact, LinkPlace, ServiceItem, ShownDate

TODAY = date(2025, 6, 15)
GOOD = ("A friendly youth club for young people aged 11 to 18 with additional needs, meeting every "
        "Tuesday evening in term time.")


def entry(description: str | None = GOOD, phone: str | None = "0113 496 0999", links: list[LinkPlace] | None = None) -> ServiceItem:
    return ServiceItem("s1", "https://d.example/s1", "Youth club", description=description,
                       contacts=[Contact(phone=phone, email="club@northtown.org.uk")], links=links or [],
                       dates=[ShownDate("Last updated", "1 May 2025", date(2025, 5, 1))])


def rules(service: ServiceItem, config: ContentConfig | None = None) -> list[tuple[str, str]]:
    return sorted((f.rule, f.subject) for f in check_service(service, RuleContext(TODAY, config or ContentConfig())))


@pytest.mark.parametrize("description", ["TBC", "undefined", "N/A", "Lorem ipsum dolor sit amet."])
def test_placeholder_description_is_one_finding_carrying_the_fix(description: str) -> None:
    [finding] = check_service(entry(description), RuleContext(TODAY, ContentConfig()))
    assert (finding.rule, finding.subject) == ("short_description", "description")
    assert "at least 60 characters" in finding.fix_hint and "Replace" in finding.fix_hint
    assert [f["rule"] for f in finding.evidence["folded"]] == ["placeholder_text"]


def test_placeholder_alone_when_short_description_is_switched_off() -> None:
    from localoffer_audit.config import config_from_dict

    config = config_from_dict({"directory": {"start_urls": ["https://d.example/"]},
                               "content": {"rules": {"short_description": {"enabled": False}}}}).content
    assert rules(entry("TBC"), config) == [("placeholder_text", "description")]


def test_long_instruction_text_stays_a_placeholder_finding() -> None:
    text = "[Insert a description of the service here: what it offers, who it is for and how to use it.]"
    assert rules(entry(text)) == [("placeholder_text", "description")]


def test_placeholder_in_another_field_is_not_folded() -> None:
    service = entry("Youth club.")
    service.cost = "TBC"
    assert rules(service) == [("placeholder_text", "cost"), ("short_description", "description")]


def test_short_description_without_a_placeholder_is_not_folded() -> None:
    [finding] = check_service(entry("Youth club."), RuleContext(TODAY, ContentConfig()))
    assert finding.rule == "short_description" and "folded" not in finding.evidence


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("+1 (555) 010-9661", ["+1 (555) 010-9661"]),
        ("+44 (0)113 496 0999", ["+44 (0)113 496 0999"]),
        ("Call 0113 496 0999 option 2", ["0113 496 0999"]),
        ("0800 123 4567 (24 hours)", ["0800 123 4567"]),
        ("01234 567890 or 07700 900123", ["01234 567890", "07700 900123"]),
    ],
)
def test_a_phone_value_is_parsed_once_as_written(written: str, expected: list[str]) -> None:
    assert phone_numbers_in(written) == expected


def test_split_phone_value_makes_one_finding_naming_the_value_as_written() -> None:
    service = entry(phone="+1 (555) 010-9661", links=[LinkPlace(url="tel:+15550109661", field="contact_phone")])
    findings = check_service(service, RuleContext(TODAY, ContentConfig()))
    assert [(f.rule, f.subject) for f in findings] == [("invalid_phone", "telephone +1 (555) 010-9661")]
    assert findings[0].evidence["value"] == "+1 (555) 010-9661"


def test_tel_link_in_international_form_is_the_written_number() -> None:
    service = entry(phone="01234 5", links=[LinkPlace(url="tel:+44 1234 5", field="contact_phone")])
    assert rules(service) == [("invalid_phone", "telephone 01234 5")]


CLOSED = GOOD + " This service has now closed."


def closure_and_archive(config: ContentConfig | None = None) -> list[tuple[str, str, str]]:
    """The closure and archive findings of a closed entry (content rules, then archive candidates)."""
    from localoffer_audit.content.entry_rules import archive_candidates

    context = RuleContext(TODAY, config or ContentConfig())
    service = entry(CLOSED)
    found = check_service(service, context) + archive_candidates([service], [], context)
    return [(f.rule, f.subject, str(f.severity)) for f in found]


def content_config(rules: dict) -> ContentConfig:
    from localoffer_audit.config import config_from_dict

    return config_from_dict({"directory": {"start_urls": ["https://d.example/"]}, "content": {"rules": rules}}).content


def test_closure_carries_the_archive_suggestion() -> None:
    assert closure_and_archive() == [("closure_wording", "description", "high")]
    [finding] = check_service(entry(CLOSED), RuleContext(TODAY, ContentConfig()))
    assert finding.evidence["archive"] == "closed"
    assert [(f["rule"], f["subject"]) for f in finding.evidence["folded"]] == [("archive_candidate", "entry")]


def test_archive_candidate_alone_when_closure_wording_is_switched_off() -> None:
    config = content_config({"closure_wording": {"enabled": False}})
    assert closure_and_archive(config) == [("archive_candidate", "entry", "medium")]


def test_closure_alone_when_archive_candidate_is_switched_off() -> None:
    config = content_config({"archive_candidate": {"enabled": False}})
    assert closure_and_archive(config) == [("closure_wording", "description", "high")]
    [finding] = check_service(entry(CLOSED), RuleContext(TODAY, config))
    assert "folded" not in finding.evidence and "archive" not in finding.evidence


def test_a_council_rating_archive_candidates_higher_keeps_that_rating_for_closures() -> None:
    assert closure_and_archive(content_config({"archive_candidate": {"severity": "critical"}})) == [
        ("closure_wording", "description", "critical")]
    # Rated lower, it lowers nothing: the closure keeps its own severity.
    assert closure_and_archive(content_config({"archive_candidate": {"severity": "low"}})) == [
        ("closure_wording", "description", "high")]
