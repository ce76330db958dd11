"""Free text an ORUK record carries outside its description (schedules, cost, eligibility,
accreditations, location notes) is kept in labelled fields the content rules read."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from scrapy.http import TextResponse

from localoffer_audit.content.rules import RuleContext, check_service, prose_fields
from localoffer_audit.crawl.oruk import (
    ACCREDITATIONS_LABEL,
    COST_LABEL,
    ELIGIBILITY_LABEL,
    LOCATION_LABEL,
    SESSION_LABEL,
    oruk_service_from_json,
    parse_oruk_service,
)

FILES = Path(__file__).parent / "files"
API = "https://api.example-council.gov.uk/openreferral"


def answer(name: str, url: str) -> TextResponse:
    return TextResponse(url=url, body=(FILES / name).read_bytes(), headers={"Content-Type": "application/json"})


@pytest.fixture(scope="module")
def v1():
    return parse_oruk_service(answer("oruk_v1_service_text.json", f"{API}/v1/services/7d1e"), version="v1")


@pytest.fixture(scope="module")
def v3():
    return parse_oruk_service(answer("oruk_v3_service_text.json", f"{API}/v3/services/svc-b2"), version="v3")


def test_v1_regular_schedule_descriptions_are_session_information(v1):
    assert v1.fields[SESSION_LABEL] == (
        "First Tuesday of the month, term-time only until July 2022.\n"
        "Sessions suspended due to the coronavirus outbreak."
    )


def test_v1_fees_and_cost_options_are_the_cost(v1):
    assert v1.fields[COST_LABEL] == "Free to members; £2 Non-members per session, TBC from September"


def test_v1_fees_not_kept_twice(v1):
    assert "fees" not in v1.fields


def test_v1_eligibility_text(v1):
    assert v1.fields[ELIGIBILITY_LABEL] == "Parents and carers of children with a diagnosis or on the pathway"


def test_v1_accreditations_text(v1):
    assert v1.fields[ACCREDITATIONS_LABEL] == "Investing in Volunteers"


def test_v1_service_at_location_and_location_descriptions(v1):
    assert v1.fields[LOCATION_LABEL] == (
        "Use the side entrance on Mill Street.\nThe library is closed for refurbishment until further notice."
    )


def test_v3_schedule_description_and_notes_are_session_information(v3):
    assert v3.fields[SESSION_LABEL] == "Easter 2022 holiday club, 11 to 14 April.\nBookings via the online form."


def test_v3_cost_options(v3):
    assert v3.fields[COST_LABEL] == "£15 per day Funded places available"


def test_v3_eligibility_description(v3):
    assert v3.fields[ELIGIBILITY_LABEL] == "Children aged 5 to 16 with an EHCP"


def test_v3_accreditations_list(v3):
    assert v3.fields[ACCREDITATIONS_LABEL] == "Ofsted registered"


def test_v3_location_description(v3):
    assert v3.fields[LOCATION_LABEL] == "Step-free access from the car park."


def test_record_without_free_text_gets_no_empty_labels():
    item = oruk_service_from_json({"id": "1", "name": "Bare", "regular_schedules": [{"opens_at": "09:00"}],
                                   "eligibilitys": [{"minimum_age": 3}], "accreditations": ""}, f"{API}/v1/services/1")
    assert not {SESSION_LABEL, COST_LABEL, ELIGIBILITY_LABEL, ACCREDITATIONS_LABEL, LOCATION_LABEL} & set(item.fields)


def test_the_content_rules_read_the_labelled_text(v1):
    assert ("session information", v1.fields[SESSION_LABEL]) in prose_fields(v1)


@pytest.mark.parametrize(
    ("rule", "subject"),
    [("past_event", "session information"), ("covid_notice", "session information"), ("placeholder_text", "cost")],
)
def test_faults_in_the_free_text_are_found(v1, rule, subject):
    findings = check_service(v1, RuleContext(today=date(2024, 3, 1)))
    assert (rule, subject) in {(f.rule, f.subject) for f in findings}


def test_past_event_in_a_v3_schedule_is_found(v3):
    findings = check_service(v3, RuleContext(today=date(2024, 3, 1)))
    assert ("past_event", "session information") in {(f.rule, f.subject) for f in findings}


def test_assurer_email_is_not_a_contact_route(v3):
    assert "assurer_email" not in v3.fields
    assert v3.extra["assurer_email"] == "dataquality@example-council.gov.uk"
