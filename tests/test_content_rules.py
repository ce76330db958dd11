"""Content rules, table by table: British wording in, the rule ids expected out.

Each case builds an otherwise healthy entry (fresh review date, a real description, a
valid phone number) and changes one thing, so a case fails only for its own rule.
"""

from __future__ import annotations

from datetime import date

import pytest

from localoffer_audit.content.rules import RuleContext, check_service, describe_days
from localoffer_audit.content.wording import is_placeholder_value, placeholder_phrase
from localoffer_audit.config import ContentConfig, RuleSetting, config_from_dict
from localoffer_audit.errors import ConfigError
from localoffer_audit.models import Contact, LinkPlace, ServiceItem, Severity, ShownDate

TODAY = date(2025, 6, 15)
OWN_HOST = "directory.example.gov.uk"
HEALTHY_DESCRIPTION = (
    "A friendly youth club for young people aged 11 to 18 with additional needs. "
    "We meet every Tuesday evening in term time for games, cooking and trips."
)


def make_service(**changes) -> ServiceItem:
    values = dict(
        directory_id="abc123",
        url=f"https://{OWN_HOST}/kb5/x/directory/service.page?id=abc123",
        name="Northtown Youth Club",
        organisation="Northtown Youth Trust",
        description=HEALTHY_DESCRIPTION,
        contacts=[Contact(name="Sam Jones", phone="0113 496 0999", email="youthclub@northtown-trust.org.uk")],
        website="https://www.northtown-trust.org.uk/",
        postcode="LS1 4AP",
        dates=[ShownDate("Last updated", "02/05/2025")],
    )
    values.update(changes)
    return ServiceItem(**values)


def context(**config) -> RuleContext:
    return RuleContext.from_start_urls(
        TODAY, ContentConfig(**config), [f"https://{OWN_HOST}/kb5/x/directory/results.page"]
    )


def rules_for(service: ServiceItem, **config) -> set[str]:
    return {f.rule for f in check_service(service, context(**config))}


def findings_for(service: ServiceItem, rule: str):
    return [f for f in check_service(service, context()) if f.rule == rule]


def test_a_healthy_entry_has_no_findings() -> None:
    assert check_service(make_service(), context()) == []


# --- review dates -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("dates", "fields", "extra", "expected"),
    [
        ([ShownDate("Last updated", "3 March 2023")], {}, {}, {"stale_date"}),
        ([ShownDate("Last updated", "14/03/2025")], {}, {}, set()),
        # Day first: 12/05/2024 is 12 May 2024 (stale); read the American way it would be 5 December.
        ([ShownDate("Reviewed", "12/05/2024")], {}, {}, {"stale_date"}),
        # 10/07/2024 is 10 July 2024: 340 days, not stale.
        ([ShownDate("Reviewed", "10/07/2024")], {}, {}, set()),
        # 03/07/2024 is 3 July 2024 (not stale), never 7 March; 07/03/2024 is 7 March (stale).
        ([ShownDate("Last updated", "03/07/2024")], {}, {}, set()),
        ([ShownDate("Last updated", "07/03/2024")], {}, {}, {"stale_date"}),
        ([ShownDate("Date updated", "2021-05-06")], {}, {}, {"stale_date"}),
        ([ShownDate("Last updated", "2024-06-20T09:30:00Z")], {}, {}, set()),
        # "March 2024" covers all of March: over a year ago. "June 2024" runs to 30 June: not yet.
        ([ShownDate("Record last updated", "March 2024")], {}, {}, {"stale_date"}),
        ([ShownDate("Record last updated", "June 2024")], {}, {}, set()),
        ([ShownDate("Last updated", "14/03/2022", date(2022, 3, 14))], {}, {}, {"stale_date"}),
        # The newest of several dates counts.
        ([ShownDate("Date added", "01/02/2019"), ShownDate("Last updated", "1st May 2025")], {}, {}, set()),
        # Nothing readable: missing, never stale.
        ([], {"Opening times": "open Monday to Friday"}, {}, {"missing_date"}),
        ([ShownDate("Last updated", "unknown")], {}, {}, {"missing_date"}),
        # A typo far in the future is neither stale nor missing.
        ([ShownDate("Last updated", "01/01/2062")], {}, {}, set()),
        # No crawled dates, but a labelled field or an ORUK assured date.
        ([], {"Last Updated:": "14/03/2022"}, {}, {"stale_date"}),
        ([], {}, {"assured_date": "2021-05-06"}, {"stale_date"}),
    ],
)
def test_review_dates(dates, fields, extra, expected) -> None:
    service = make_service(dates=dates, fields=fields, extra=extra)
    assert rules_for(service) & {"stale_date", "missing_date"} == expected


def test_a_dated_pdf_title_is_not_the_entrys_date() -> None:
    service = make_service(
        dates=[],
        description=HEALTHY_DESCRIPTION + " Read our Annual report March 2019 (PDF).",
        links=[LinkPlace("https://www.northtown-trust.org.uk/report-2019.pdf", "description",
                         anchor_text="Annual report 14/03/2019")],
    )
    assert rules_for(service) & {"stale_date", "missing_date", "past_event"} == {"missing_date"}


def test_a_numeric_date_is_named_day_first() -> None:
    [finding] = findings_for(make_service(dates=[ShownDate("Last updated", "03/04/2022")]), "stale_date")
    assert finding.message == "The last-updated date on this entry is 3 April 2022, over 12 months ago."


def test_stale_message_names_the_date_and_the_policy() -> None:
    [finding] = findings_for(make_service(dates=[ShownDate("Review date", "3 March 2023")]), "stale_date")
    assert finding.message == "The review date on this entry is 3 March 2023, over 12 months ago."
    assert finding.fix_hint.endswith("Check the details with the provider and update the review date.")
    assert finding.severity == Severity.MEDIUM


@pytest.mark.parametrize(
    ("label", "phrase"),
    [("Record last updated:", "last-updated date"), ("Reviewed", "review date"), ("Date added", "date added"),
     ("assured date", "last-checked date"), ("Record reviewed", "review date")],
)
def test_stale_message_names_the_date_as_people_do(label: str, phrase: str) -> None:
    [finding] = findings_for(make_service(dates=[ShownDate(label, "3 March 2023")]), "stale_date")
    assert finding.message == f"The {phrase} on this entry is 3 March 2023, over 12 months ago."


def test_stale_policy_is_configurable() -> None:
    service = make_service(dates=[ShownDate("Last updated", "01/01/2025")])
    assert "stale_date" not in rules_for(service)
    assert "stale_date" in rules_for(service, stale_after_days=90)
    [finding] = [f for f in check_service(service, context(stale_after_days=90)) if f.rule == "stale_date"]
    assert "over 3 months ago" in finding.message


@pytest.mark.parametrize(("days", "text"), [(365, "12 months"), (730, "2 years"), (90, "3 months"), (45, "45 days")])
def test_describe_days(days: int, text: str) -> None:
    assert describe_days(days) == text


# --- past events ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Easter 2021 holiday club for children aged 5 to 11.", True),
        ("Sessions until July 2022.", True),
        ("Join our coffee morning on Saturday 12 March 2022 at the library.", True),
        ("Holiday club 2023 places are limited, book early.", True),
        ("Term dates 2022/23 are on our website.", True),
        ("Our Easter 2025 holiday club was a great success.", True),
        ("We were founded in 2019 and support families across the borough.", False),
        ("Since summer 2019 we have run a weekly youth club.", False),
        ("Ofsted report published March 2019: rated good.", False),
        ("Registered charity since 12 March 2001.", False),
        ("Sessions run every Tuesday in term time.", False),
        ("Open Monday to Friday, 9am to 5pm.", False),
        ("Summer 2025 holiday club now booking.", False),
        ("The next session is on 2 July 2025.", False),
        ("Timetable 2024/25 available from reception.", False),
        ("Information correct as of March 2021; sessions run weekly.", False),
        ("We offer a hearing test service for children.", False),
        ("Sessions until July 2025.", False),
        # A closure's date is history, reported as a closure.
        ("Sadly the playgroup closed in March 2021 when the hall was sold.", False),
        ("Applications closed on 12 March 2022, book early next year.", True),
    ],
)
def test_past_events(text: str, expected: bool) -> None:
    service = make_service(description=HEALTHY_DESCRIPTION + " " + text)
    assert ("past_event" in rules_for(service)) is expected


def test_past_event_in_a_labelled_field_names_the_field() -> None:
    service = make_service(fields={"Session Information": "Sessions until July 2022, every Saturday."})
    [finding] = findings_for(service, "past_event")
    assert finding.subject == "session information"
    assert finding.message.startswith('The "session information" field mentions "July 2022"')


# --- COVID-era notices ------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sessions suspended due to coronavirus.", True),
        ("Due to COVID-19 restrictions, the group now meets online.", True),
        ("During lockdown we moved our sessions online.", True),
        ("Please follow social distancing guidance when visiting.", True),
        ("All groups are cancelled until further notice because of the Covid-19 outbreak.", True),
        ("If you have symptoms of coronavirus, please do not attend.", True),
        ("Please do not attend if you or anyone in your household has COVID-19 symptoms.", True),
        ("Masks must be worn at all times in the building.", True),
        ("Face coverings must be worn in the waiting room.", True),
        ("Social distancing measures are in place.", True),
        ("Please keep 2 metres apart from other families.", True),
        ("We take part in NHS Test and Trace, so please give your details on arrival.", True),
        ("Families in a support bubble can attend together.", True),
        ("Children who are clinically extremely vulnerable should stay at home.", True),
        ("Children who are shielding because of coronavirus can join online.", True),
        ("The group closed due to coronavirus.", True),
        ("Children with cold symptoms are welcome.", False),
        ("We help with symptoms of anxiety and low mood.", False),
        ("Masks and costumes are welcome at our Halloween party.", False),
        ("Mask making workshop for families.", False),
        ("Free school meals and the Household Support Fund.", False),
        ("We offer support to families bereaved during the pandemic.", False),
        ("The group was set up after the pandemic to help isolated parents.", False),
        ("COVID vaccination clinic for children aged 5 and over.", False),
        ("COVID-19 booster clinics run every Tuesday.", False),
        ("Long COVID support for young people and their families.", False),
        ("We help families with forms, benefits and housing.", False),
    ],
)
def test_covid_notices(text: str, expected: bool) -> None:
    service = make_service(description=HEALTHY_DESCRIPTION + " " + text)
    assert ("covid_notice" in rules_for(service)) is expected


# --- closure wording --------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("This service has now closed.", True),
        ("This service has closed permanently.", True),
        ("Sadly the group closed down in 2023.", True),
        ("This service is no longer running.", True),
        ("The service has ceased operating.", True),
        ("Sadly the project ended in March 2024 when funding stopped, so we are not accepting referrals.", True),
        ("Referrals have now closed for this year.", False),
        ("This service has closed to new referrals.", False),
        ("Please note the club has now closed and will not reopen.", True),
        ("The club has closed while the hall is repaired and will reopen in May.", False),
        # Decided: not taking referrals is a referral route, not a closure (docs/rules.md).
        ("We are no longer taking referrals.", False),
        ("Closed on bank holidays.", False),
        ("The club is closed during the summer holidays.", False),
        ("The centre is temporarily closed for refurbishment.", False),
        ("Lost property is kept at reception.", False),
        ("Please join our closed Facebook group for parents.", False),
        ("If your child no longer needs support, let us know.", False),
        ("The waiting list has now closed for this year.", False),
        ("The Tuesday session is no longer running; come on Thursdays instead.", False),
        # Headline wording, alone or before a dash.
        ("Service discontinued - please contact the Family Information Service for alternatives.", True),
        ("Service discontinued", True),
        ("SERVICE CLOSED.", True),
        ("Group no longer running.", True),
        ("This service has been discontinued.", True),
        # Past tense with when it happened.
        ("The service closed in 2022.", True),
        ("The service closed in March 2022 and referrals are no longer accepted.", True),
        ("Sadly our playgroup closed at the end of July 2021.", True),
        ("Unfortunately the café closed down in 2019.", True),
        ("The group shut down last year.", True),
        ("We closed our doors in 2021.", True),
        ("We closed our doors for the last time in July 2021.", True),
        ("Sadly, the nursery has closed its doors for good.", True),
        ("The service was decommissioned in April 2023.", True),
        ("The charity was wound up in 2020.", True),
        ("The charity has been dissolved.", True),
        ("The nursery went into administration in 2023.", True),
        ("The company has ceased trading.", True),
        # Not running any more.
        ("This group is no longer operating.", True),
        ("The service has ceased.", True),
        ("Sessions have ceased.", True),
        ("Permanently closed.", True),
        ("This service is permanently closed.", True),
        ("This service is no longer commissioned by the council.", True),
        ("The group no longer meets.", True),
        ("The group is not running anymore.", True),
        ("This provision has now finished.", True),
        ("This service will close permanently on 31 March 2024.", True),
        ("Sadly the group closed permanently during the pandemic.", True),
        # Opening hours, a day off, works, a route into the service: not a closure.
        ("Closed for the summer holidays.", False),
        ("Closed Mondays.", False),
        ("The car park closes at 6pm.", False),
        ("The office is closed at weekends.", False),
        ("Doors close at 7pm.", False),
        ("The gates are closed at 3.15pm for safety.", False),
        ("Closed between Christmas and New Year.", False),
        ("The centre will be closed on Good Friday.", False),
        ("The centre is closed from 24 December to 2 January.", False),
        ("The group is closed for half term.", False),
        ("We are closed for staff training on 5 July.", False),
        ("The library closed early on Friday due to staff illness.", False),
        ("The pool is shut for maintenance until further notice.", False),
        ("The centre closed in 2021 for refurbishment and reopened in 2022.", False),
        ("Our shop has closed its doors for the winter.", False),
        ("We closed our doors early on Friday.", False),
        ("Closed to new referrals until September.", False),
        ("We have stopped taking referrals while we clear our waiting list.", False),
        ("We have stopped accepting new referrals.", False),
        ("Places are limited and the list has closed.", False),
        ("We closed the waiting list in 2023 because demand was so high.", False),
        ("Applications for the 2024 scheme closed in March 2024.", False),
        ("The consultation closed in 2023.", False),
        # Part of the service, another service, a channel or a venue closed; the service goes on.
        ("The Tuesday group has now closed; the Thursday group carries on as usual.", False),
        ("Our Saturday club closed in 2022 but the after-school club runs every week.", False),
        ("The hall closed in 2019 so we now meet at St Mary's Church.", False),
        ("Our previous service closed in 2019 and this new service replaces it.", False),
        ("Our old website has closed; visit our new one.", False),
        ("The service no longer meets on Mondays; it now meets on Wednesdays.", False),
        ("This service is no longer commissioned by the council but continues as a charity.", False),
        ("The service no longer offers home visits.", False),
        ("Tickets are no longer available for this event.", False),
        ("If the service closes we will let families know.", False),
        ("The Facebook group is closed to new members.", False),
        # A COVID-19 closure was mostly a pause: the COVID rule reports it.
        ("The group closed due to coronavirus.", False),
        ("Sessions were closed in March 2020 due to COVID-19 but restarted in September 2021.", False),
    ],
)
def test_closure_wording(text: str, expected: bool) -> None:
    service = make_service(description=HEALTHY_DESCRIPTION + " " + text)
    assert ("closure_wording" in rules_for(service)) is expected


@pytest.mark.parametrize(
    ("name", "extra", "expected"),
    [
        ("CLOSED - Sunshine Club", {}, True),
        ("Sunshine Club (closed)", {}, True),
        ("Sunshine Club", {"status": "defunct"}, True),
        ("Sunshine Club", {"status": "temporarily closed"}, False),
        ("Closed Captioning Cinema Club", {}, False),
        ("Sunshine Club - SERVICE DISCONTINUED", {}, True),
        ("Sunshine Club (no longer running)", {}, True),
        ("Ceased trading: Little Acorns Nursery", {}, True),
        ("Discontinued Products Sale", {}, False),
    ],
)
def test_closure_from_name_and_status(name: str, extra: dict, expected: bool) -> None:
    assert ("closure_wording" in rules_for(make_service(name=name, extra=extra))) is expected


# --- placeholders and descriptions -------------------------------------------------

@pytest.mark.parametrize(
    ("changes", "expected_subjects"),
    [
        # A description that is only filler is one finding: short_description carries the fix
        # and this placeholder is folded into its evidence (tests/test_content_overlaps.py).
        ({"description": "TBC"}, set()),
        ({"description": "undefined"}, set()),
        ({"description": "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor."}, {"description"}),
        ({"description": HEALTHY_DESCRIPTION + " Insert text here."}, {"description"}),
        ({"description": HEALTHY_DESCRIPTION + " Venue to be confirmed."}, {"description"}),
        ({"cost": "TBC"}, {"cost"}),
        ({"cost": "Insert cost details"}, {"cost"}),
        # An instruction left in a labelled field; "None" there can be a real answer.
        ({"fields": {"Opening Times": "Insert opening times"}}, {"opening times"}),
        ({"fields": {"Waiting list": "None"}}, set()),
        ({"description": "Enter a short description of the club here. Say who it is for."}, {"description"}),
        ({"description": HEALTHY_DESCRIPTION + " You can add your name to the waiting list here."}, set()),
        ({"description": HEALTHY_DESCRIPTION + " We can arrange a Text Relay call."}, set()),
        ({"description": HEALTHY_DESCRIPTION + " XXL sizes of the club T-shirt are available."}, set()),
        ({"cost": "Free"}, set()),
        ({"postcode": "TBC"}, {"postcode"}),
        ({"description": HEALTHY_DESCRIPTION + " We offer a hearing test service."}, set()),
    ],
)
def test_placeholder_text(changes: dict, expected_subjects: set[str]) -> None:
    found = {f.subject for f in findings_for(make_service(**changes), "placeholder_text")}
    assert found == expected_subjects


@pytest.mark.parametrize(
    ("value", "filler", "placeholder"),
    [
        # Filler values: in effect empty, and a placeholder too.
        ("N/A", True, "N/A"), (" undefined ", True, "undefined"), ("--", True, "--"), ("TBC", True, "TBC"),
        ("[object Object]", True, "[object Object]"),
        # An editor's instruction filling the whole field: a placeholder, not an empty field.
        ("Insert address", False, "Insert address"), ("[Insert contact name]", False, "[Insert contact name]"),
        # ... or starting a sentence.
        ("Type your description here.", False, "Type your description here"),
        ("Weekly sessions. Add details of session times here.", False, "Add details of session times here"),
        # Real values.
        ("Free", False, None), ("Nantwich", False, None), ("0-25", False, None),
        ("Insertion of grommets: ask your GP.", False, None),
    ],
)
def test_filler_and_placeholder_values(value: str, filler: bool, placeholder: str | None) -> None:
    assert is_placeholder_value(value) is filler
    assert placeholder_phrase(value) == placeholder
    if filler:
        assert placeholder_phrase(value) == value.strip()


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        (None, True),
        ("", True),
        ("Youth club.", True),
        # Sentences that only point elsewhere describe nothing.
        ("Drop-in sessions. More details on our website. For more information click here.", True),
        ("Stay and play. Please visit our website for more information about times.", True),
        ("undefined", True),
        (HEALTHY_DESCRIPTION, False),
        # Instruction text is reported as a placeholder, not also as a missing description.
        ("[Insert a description of the service here: what it offers, who it is for and how to use it.]", False),
    ],
)
def test_short_description(description, expected: bool) -> None:
    assert ("short_description" in rules_for(make_service(description=description))) is expected


def test_minimum_description_length_is_configurable() -> None:
    assert "short_description" in rules_for(make_service(), min_description_chars=500)


# --- contact details --------------------------------------------------------------

@pytest.mark.parametrize(
    ("phone", "valid"),
    [
        ("0800 123 4567", True),
        ("0800 1111", True),
        ("0300 123 1234", True),
        ("03000 123 456", True),
        ("01454 772117", True),
        ("020 7946 0958", True),
        ("0161 496 0000", True),
        ("07911 123456", True),
        ("+44 (0)1454 772117", True),
        ("01454 772117 ext. 204", True),
        ("01454 772117 or 07911 123456", True),
        ("Freephone 0800 123 4567 (24 hours)", True),
        ("0113 496 0999 07911 123456", True),  # two numbers with only a space between
        ("(01454) 772117", True),
        # Printed twice by the page: read once, never a crash.
        ("01454 77211701454 772117", True),
        ("Ask at reception", True),  # no number at all is not a wrong number
        ("01234 5", False),
        ("0123 456", False),
        ("12345", False),
        # Not in the UK numbering plan.
        ("+1 212 555 0123", False),
        ("+353 1 234 5678", False),
    ],
)
def test_phone_numbers(phone: str, valid: bool) -> None:
    service = make_service(contacts=[Contact(phone=phone, email="youthclub@northtown-trust.org.uk")])
    assert ("invalid_phone" not in rules_for(service)) is valid


def test_invalid_phone_names_the_number() -> None:
    service = make_service(contacts=[Contact(phone="01234 5")])
    [finding] = findings_for(service, "invalid_phone")
    assert "01234 5" in finding.message and finding.subject == "telephone 01234 5"


@pytest.mark.parametrize(
    ("email", "valid"),
    [
        ("info@northtown-trust.org.uk", True),
        ("mailto:info@northtown-trust.org.uk", True),
        ("Jo.Bloggs+send@council.gov.uk", True),
        ("[email protected]", True),  # Cloudflare hid it: a crawl matter, not the entry's
        ("info@@northtown.org.uk", False),
        ("info@northtown", False),
        ("jo.bloggs@northtown..org.uk", False),
        # A platform's "no email" filler is an absent address, not a wrong one (no_contact_route
        # counts it as none).
        ("nobody@noemail.invalid", True),
        ("info@example.com", True),
        ("someone@gmail.con", False),
        ("office@school.org.uk.", False),  # the trailing dot breaks the address
        ("info at northtown-trust.org.uk", False),
    ],
)
def test_email_addresses(email: str, valid: bool) -> None:
    service = make_service(contacts=[Contact(phone="0113 496 0999", email=email)])
    assert ("invalid_email" not in rules_for(service)) is valid


@pytest.mark.parametrize(
    ("postcode", "valid"),
    [
        ("GL4 5BQ", True),
        ("GL4 5BQGet directions", True),
        ("gl45bq", True),
        ("SW1A 1AA", True),
        ("M1 1AE", True),
        ("DN55 1PT", True),
        ("Leeds LS1 4AP", True),
        ("Online", True),  # not a postcode at all: nothing to correct

        ("", True),
        (None, True),
        ("GL4", False),
        ("12345", False),
        ("LS1 4A", False),
        ("Q1 1AA", False),
    ],
)
def test_postcodes(postcode, valid: bool) -> None:
    assert ("invalid_postcode" not in rules_for(make_service(postcode=postcode))) is valid


@pytest.mark.parametrize(
    ("contacts", "website", "expected"),
    [
        ([], None, True),
        ([Contact(name="Sam Jones")], None, True),
        ([], "https://www.northtown-trust.org.uk/", False),
        ([Contact(phone="0113 496 0999")], None, False),
        ([Contact(email="info@northtown-trust.org.uk")], None, False),
        # A placeholder address or the directory's own page is no way to reach the provider.
        ([Contact(email="nobody@noemail.invalid")], None, True),
        ([], f"https://{OWN_HOST}/kb5/x/directory/service.page?id=abc123", True),
    ],
)
def test_no_contact_route(contacts, website, expected: bool) -> None:
    service = make_service(contacts=contacts, website=website)
    assert ("no_contact_route" in rules_for(service)) is expected


@pytest.mark.parametrize(
    ("website", "expected"),
    [
        (f"https://{OWN_HOST}/kb5/x/directory/service.page?id=zzz", True),
        ("https://www.northtown-trust.org.uk/", False),
        (None, False),
        # Same machine, another port: another site.
        (f"https://{OWN_HOST}:8443/services/1", False),
        (f"https://{OWN_HOST}:443/kb5/x/directory/service.page?id=zzz", True),
    ],
)
def test_website_is_directory_page(website, expected: bool) -> None:
    assert ("website_is_directory_page" in rules_for(make_service(website=website))) is expected


# --- plain English ----------------------------------------------------------------

def test_plain_english_is_information_about_hard_text() -> None:
    hard = (
        "The organisation facilitates multidisciplinary interventions, incorporating therapeutic "
        "methodologies, psychoeducational consultation and individualised developmental assessment, "
        "notwithstanding considerable organisational complexity. Additionally, comprehensive "
        "safeguarding considerations necessitate collaborative interprofessional documentation, "
        "accountability and continuous reflective supervision arrangements. "
    ) * 2
    [finding] = findings_for(make_service(description=hard), "plain_english")
    assert finding.severity == Severity.INFO and "reading age" in finding.message
    simple = " ".join(["We run a club for kids. It is fun and it is free."] * 6)
    assert findings_for(make_service(description=simple), "plain_english") == []


# --- configuration ----------------------------------------------------------------

def test_rules_can_be_switched_off_and_reweighted() -> None:
    service = make_service(dates=[], postcode="GL4")
    assert {"missing_date", "invalid_postcode"} <= rules_for(service)
    off = ContentConfig(rules={"missing_date": RuleSetting(enabled=False)})
    assert "missing_date" not in {f.rule for f in check_service(service, RuleContext(TODAY, off))}
    louder = ContentConfig(rules={"invalid_postcode": RuleSetting(severity=Severity.HIGH)})
    [finding] = [f for f in check_service(service, RuleContext(TODAY, louder)) if f.rule == "invalid_postcode"]
    assert finding.severity == Severity.HIGH


def test_unknown_rule_id_in_config_is_rejected_listing_the_valid_ids() -> None:
    with pytest.raises(ConfigError) as error:
        config_from_dict({"directory": {"start_urls": ["https://x.example"]},
                          "content": {"rules": {"stale": {"enabled": False}}}})
    message = str(error.value)
    assert "unknown rule id(s) stale" in message and "stale_date" in message and "link_broken" in message


def test_odd_input_never_crashes() -> None:
    service = make_service(
        name="", description="\x00\ufffd" * 50, contacts=[Contact(phone="☎☎☎", email="@")],
        postcode="💥", dates=[ShownDate("", "31/02/2022"), ShownDate("Last updated", "")],
        fields={"": "", "Notes": "x" * 100_000},
    )
    check_service(service, context())
