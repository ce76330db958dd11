"""Page fingerprints and the safeguarding judgement (links/fingerprint.py, findings/safeguarding.py).

Pure tables: a service entry, the page its website showed on its last good check, the
page it shows now, and what should be said. The wording of the traps (rebrand, redesign,
CMS move, merger that says so) follows real announcements, cited beside each; the demo's
planted pages are scored separately (tests/test_safeguarding_demo.py).
"""

from __future__ import annotations

from datetime import date

import pytest

from localoffer_audit.content.rules import RuleContext
from localoffer_audit.findings.safeguarding import safeguarding_findings
from localoffer_audit.links.classify import page_text
from localoffer_audit.links.fingerprint import (
    PageSnapshot,
    ProviderIdentity,
    TermFilter,
    names_provider,
    sketch_similarity,
    snapshot_of,
)
from localoffer_audit.models import Contact, Finding, ServiceItem, Severity
from localoffer_audit.store.findings import LinkObservation
from localoffer_audit.store.fingerprints import StoredPages

FILLER = (
    "We run friendly sessions every week during term time and in the school holidays. Parents and carers are "
    "welcome to stay. Our staff are trained in first aid and safeguarding, and we follow the local authority's "
    "policies. Please get in touch to book a place or to ask about support for your child. "
)


def _page(title: str, body: str, *, lang: str = "en-GB") -> str:
    return (f"<!DOCTYPE html><html lang='{lang}'><head><title>{title}</title></head><body>"
            f"<header><img src='/logo.png' alt='logo'></header><main><h1>{title}</h1>{body}</main></body></html>")


def snap(url: str, html: str) -> PageSnapshot:
    return snapshot_of(url, page_text(html))


ACORNS = ServiceItem(
    directory_id="svc-1", url="https://directory.example.gov.uk/service.page?id=1", name="Little Acorns Stay and Play",
    organisation="Little Acorns Childminding", contacts=[Contact(phone="0114 496 0123")], postcode="S11 8AB",
    website="https://www.littleacornschildminding.co.uk/",
)
ACORNS_PAGE = _page(
    "Little Acorns Childminding | Ofsted registered childminder in Sheffield",
    f"<p>Little Acorns Childminding offers a stay and play for under fives. {FILLER}</p>"
    "<footer>Call 0114 496 0123. 12 Elm Road, Sheffield S11 8AB.</footer>",
)


def test_a_page_names_its_provider_by_name_phone_or_postcode() -> None:
    page = snap("https://www.littleacornschildminding.co.uk/", ACORNS_PAGE)
    identity = ProviderIdentity(organisation="Little Acorns Childminding")
    assert names_provider(page, identity) == "organisation name 'Little Acorns Childminding'"
    assert names_provider(page, ProviderIdentity(organisation="Oak Tree Nursery", phones=("+44 114 496 0123",)))
    assert names_provider(page, ProviderIdentity(organisation="Oak Tree Nursery", postcodes=("s118ab",)))
    assert names_provider(page, ProviderIdentity(organisation="Oak Tree Nursery", phones=("0113 496 0000",))) is None
    # Generic words alone never identify anyone: "Family Support Service" is not named
    # by a page that merely says "family" and "support" somewhere.
    assert names_provider(page, ProviderIdentity(service_name="Family Support Service")) is None


def test_the_term_filter_and_the_sketch_survive_a_round_trip() -> None:
    page = snap("https://www.littleacornschildminding.co.uk/", ACORNS_PAGE)
    again = PageSnapshot.from_json(page.to_json())
    assert again == page
    # Format 2 (issue 14) keeps postcodes as contact_values' key, "pc:S118AB"; format 1 kept "pc:s118ab".
    assert "acorns" in again.terms and "tel:01144960123" in again.terms and "pc:S118AB" in again.terms
    assert "casino" not in again.terms
    assert sketch_similarity(page.sketch, again.sketch) == 1.0
    assert len(page.terms.encode()) < 4000  # about 2 KB a page
    assert TermFilter.of([]).bits  # an empty page still has a (tiny) filter


CONTEXT = RuleContext(today=date(2026, 12, 3))


def _observe(service: ServiceItem, url: str, verdict: str = "ok", field: str = "website") -> LinkObservation:
    return LinkObservation(service.directory_id, url, verdict, 200, url, True, "2026-12-02T02:00:00+00:00",
                           None, None, [{"field": field, "element": "a", "attribute": "href", "anchor_text": None}])


def judge(service: ServiceItem, before: str | None, after: str, *, url: str = "https://www.littleacornschildminding.co.uk/",
          final_url: str | None = None, verdict: str = "ok", previous: str | None = None, field: str = "website",
          link_findings: list[Finding] = ()) -> list[Finding]:  # type: ignore[assignment]
    current = snap(final_url or url, after)
    stored = StoredPages(
        url, current, "2026-12-02T02:00:00+00:00",
        snap(url, previous) if previous else (snap(url, before) if before else None), "2026-12-01T02:00:00+00:00",
        snap(url, before) if before else None, "2026-11-01T02:00:00+00:00",
    )
    result = safeguarding_findings(CONTEXT, [service], [_observe(service, url, verdict, field)], {url: stored}, link_findings)
    return result.findings


CASINO = _page(
    "Best Non GamStop Casinos UK 2026",
    "<p>Compare the best casinos not on GamStop. Claim 375 free spins and a 100% welcome bonus up to £500 with "
    "low wagering requirements. No deposit bonus codes updated daily. Play now.</p>" + "<p>Slot games and live dealer tables.</p>" * 5,
)
# The commonest fate of a lapsed small-business domain (https://dn.org/the-morality-of-drop-catching-charity-domains-that-expired):
# an unrelated business, no parking wording, nothing harmful.
ROOFING = _page(
    "Acorn Roofing Leeds | Flat roofs, guttering and repairs",
    "<p>Family-run roofing contractor covering Leeds and Wakefield. Free quotes for flat roofs, slate and tile "
    "repairs, fascias, soffits and guttering. Fully insured, with a ten-year guarantee on every new roof. "
    "Emergency call-outs seven days a week. Read our reviews and request a callback today for a survey and "
    "a written quotation with no obligation.</p><footer>Call 0113 496 0777</footer>",
)


def test_a_casino_on_the_providers_domain_is_harmful_and_critical() -> None:
    findings = judge(ACORNS, ACORNS_PAGE, CASINO)
    assert [f.rule for f in findings] == ["link_harmful_content"]
    finding = findings[0]
    assert finding.severity is Severity.CRITICAL
    assert finding.evidence["harmful"]["category"] == "gambling"
    assert "Remove the link now" in finding.fix_hint


def test_harmful_content_counts_on_first_sight_and_on_any_link() -> None:
    findings = judge(ACORNS, None, CASINO, field="description")
    assert [f.rule for f in findings] == ["link_harmful_content"]


def test_an_unrelated_business_on_the_providers_domain_is_repurposed() -> None:
    findings = judge(ACORNS, ACORNS_PAGE, ROOFING)
    assert [f.rule for f in findings] == ["link_repurposed"]
    finding = findings[0]
    assert finding.severity is Severity.CRITICAL
    assert finding.evidence["before"]["named"].startswith("organisation name")
    assert any(change.startswith("title") for change in finding.evidence["changes"])
    assert "Remove the link now" in finding.fix_hint


def test_a_move_to_another_site_that_no_longer_names_the_provider_is_repurposed() -> None:
    elsewhere = ROOFING.replace("Acorn Roofing Leeds", "Locksmiths of Leeds")
    findings = judge(ACORNS, ACORNS_PAGE, elsewhere, final_url="https://www.leedslocksmiths.co.uk/", verdict="moved_offsite")
    assert [f.rule for f in findings] == ["link_repurposed"]
    assert any("now ends on www.leedslocksmiths.co.uk" in c for c in findings[0].evidence["changes"])


# Changes that must stay quiet: the provider is still there, named or contactable.
TRAPS = [
    (
        "rebrand keeping the name (https://newhope.org.uk/news/2015/5/11/brand-new)",
        ServiceItem("svc-2", "https://d/2", "Tenancy support", organisation="Watford New Hope Trust",
                    contacts=[Contact(phone="01923 210 680")]),
        _page("Watford New Hope Trust | Hope for the Homeless", f"<p>Watford New Hope Trust supports people. {FILLER}</p>"),
        _page("New Hope | Preventing Homelessness",
              "<p>We are thrilled to announce that we have simplified our name from four words to two! From today "
              "Watford New Hope Trust will be known as New Hope. Our tenancy sustainment team supports people across "
              "Dacorum, Hertsmere and Three Rivers, and our strapline is now Preventing Homelessness. Call us on "
              "01923 210 680 to talk about housing, advice or volunteering with the team this year.</p>"),
    ),
    (
        "rebrand to a new name, same phone (https://www.independent.co.uk/news/uk/childrens-charity-in-drive-for-recognition-mary-braid-examines-how-national-childrens-home-plans-to-1391197.html)",
        ServiceItem("svc-3", "https://d/3", "Family centre", organisation="NCH", contacts=[Contact(phone="020 7704 7000")]),
        _page("NCH | The children's charity", f"<p>NCH runs community projects for families. {FILLER}</p>"),
        _page("Action For Children | Community projects",
              "<p>Action For Children runs 200 community projects supporting children and families, young people who "
              "have been abused or are homeless, and parents who need a hand. Find a project near you, volunteer, "
              "donate or fundraise with us. Telephone 020 7704 7000 for information about a project near you.</p>"),
    ),
    (
        "redesign: new title and text, name kept",
        ACORNS,
        ACORNS_PAGE,
        _page("Welcome to our setting",
              "<p>Spaces available from September for two, three and four year olds, funded hours accepted. Our "
              "garden has a mud kitchen, sandpit and a covered area for rainy days. Meet the team, read our latest "
              "inspection report, and see our menus and daily routine before you visit.</p>"
              "<footer>© 2026 Little Acorns Childminding</footer>"),
    ),
    (
        "CMS move on the same domain (old page answers a redirect to the new one)",
        ACORNS,
        ACORNS_PAGE,
        _page("Home - littleacornschildminding.co.uk",
              "<div class='wp-block-group'><p>Ofsted registered. We look after children from birth to eight in a "
              "home setting with a large garden, a quiet room and plenty of outings to parks and the library. "
              "Find us at S11 8AB; parking is on the road outside the house.</p></div>"),
    ),
    (
        "merger that says so, on the new organisation's site (https://newtonnews.co.uk/humankind-and-blenheim-cdp-confirm-merger)",
        ServiceItem("svc-4", "https://d/4", "Young people's drug and alcohol service", organisation="Blenheim CDP"),
        _page("Blenheim CDP | Alcohol and drug charity", f"<p>Blenheim CDP is a London charity. {FILLER}</p>"),
        _page("Humankind | Health and social care charity",
              "<p>Blenheim has merged with Humankind, and our London services are now part of Humankind. We offer "
              "safe homes, health provision and services which develop the skills needed to live independent and "
              "fulfilling lives, working with partners of every size across the country.</p>"),
    ),
    (
        "same page, footer with the name removed (not wholesale)",
        ACORNS,
        ACORNS_PAGE,
        ACORNS_PAGE.replace("Little Acorns Childminding | Ofsted", "Ofsted").replace("Little Acorns Childminding offers", "We offer")
        .replace("Call 0114 496 0123. 12 Elm Road, Sheffield S11 8AB.", ""),
    ),
    (
        "maintenance page (too thin to judge)",
        ACORNS,
        ACORNS_PAGE,
        _page("Under maintenance", "<p>We'll be back soon.</p>"),
    ),
]


@pytest.mark.parametrize("name, service, before, after", TRAPS, ids=[t[0].split(" (")[0] for t in TRAPS])
def test_rebrands_redesigns_moves_and_mergers_stay_quiet(name: str, service: ServiceItem, before: str, after: str) -> None:
    url = "https://www.littleacornschildminding.co.uk/"
    final = "https://humankind.org.uk/" if "merger" in name else None
    verdict = "moved_offsite" if final else "ok"
    assert judge(service, before, after, url=url, final_url=final, verdict=verdict) == [], name


def test_first_sight_of_a_page_not_naming_the_provider_is_low_then_medium_when_seen_twice() -> None:
    once = judge(ACORNS, None, ROOFING)
    assert [(f.rule, f.severity) for f in once] == [("link_provider_not_named", Severity.LOW)]
    twice = judge(ACORNS, None, ROOFING, previous=ROOFING)
    assert [(f.rule, f.severity) for f in twice] == [("link_provider_not_named", Severity.MEDIUM)]
    assert twice[0].evidence["seen_twice"] is True


def test_naming_is_only_asked_of_the_website_field() -> None:
    # A description link to NHS guidance need not name the provider of the service.
    assert judge(ACORNS, None, ROOFING, field="description") == []


def test_the_link_finding_of_the_same_link_is_folded_into_the_safeguarding_one() -> None:
    moved = Finding("svc-1", "link_moved_offsite", "https://www.littleacornschildminding.co.uk/", Severity.MEDIUM,
                    "Link now leads to another website", "m", "h", {})
    current = snap("https://www.leedslocksmiths.co.uk/", ROOFING)
    url = "https://www.littleacornschildminding.co.uk/"
    stored = StoredPages(url, current, "t2", None, None, snap(url, ACORNS_PAGE), "t1")
    result = safeguarding_findings(CONTEXT, [ACORNS], [_observe(ACORNS, url, "moved_offsite")], {url: stored}, [moved])
    assert [f.rule for f in result.findings] == ["link_repurposed"]
    assert result.folded == {("svc-1", url)}
    assert result.findings[0].evidence["folded"][0]["rule"] == "link_moved_offsite"
    assert result.good_pages == []


def test_with_the_safeguarding_rule_switched_off_the_link_keeps_its_own_finding() -> None:
    """Folded into a finding that is never reported, the link's own finding would be
    dropped and its stored row marked fixed: the manager thanked for a fix nobody made."""
    from localoffer_audit.config import ContentConfig, RuleSetting

    moved = Finding("svc-1", "link_moved_offsite", "https://www.littleacornschildminding.co.uk/", Severity.MEDIUM,
                    "Link now leads to another website", "m", "h", {})
    url = "https://www.littleacornschildminding.co.uk/"
    stored = StoredPages(url, snap("https://www.leedslocksmiths.co.uk/", ROOFING), "t2", None, None,
                         snap(url, ACORNS_PAGE), "t1")
    off = RuleContext(today=CONTEXT.today, config=ContentConfig(rules={"link_repurposed": RuleSetting(enabled=False)}),
                      own_hosts=CONTEXT.own_hosts)
    result = safeguarding_findings(off, [ACORNS], [_observe(ACORNS, url, "moved_offsite")], {url: stored}, [moved])
    assert result.findings == [] and result.folded == set()
    assert result.good_pages == []  # still not a page to learn from


def test_a_page_judged_good_may_become_the_baseline_and_an_unconfirmed_one_is_not_judged() -> None:
    url = "https://www.littleacornschildminding.co.uk/"
    stored = StoredPages(url, snap(url, ACORNS_PAGE), "t2", None, None, None, None)
    assert safeguarding_findings(CONTEXT, [ACORNS], [_observe(ACORNS, url)], {url: stored}).good_pages == [url]
    unconfirmed = _observe(ACORNS, url)
    unconfirmed.confirmed = False
    result = safeguarding_findings(CONTEXT, [ACORNS], [unconfirmed], {url: StoredPages(url, snap(url, CASINO), "t", None, None, None, None)})
    assert result.findings == [] and result.good_pages == []


def test_a_takeover_in_two_steps_keeps_the_old_baseline_and_is_repurposed() -> None:
    """Night 1 the provider's name goes but the page stays alike (quiet, and not the new
    baseline); night 2 the content goes too: compared with the page that named them."""
    url = "https://www.littleacornschildminding.co.uk/"
    nameless = ACORNS_PAGE.replace("Little Acorns Childminding", "Our setting").replace("0114 496 0123", "").replace("S11 8AB", "")
    baseline = snap(url, ACORNS_PAGE)
    step_one = StoredPages(url, snap(url, nameless), "t2", baseline, "t1", baseline, "t1")
    result = safeguarding_findings(CONTEXT, [ACORNS], [_observe(ACORNS, url)], {url: step_one})
    assert [f.rule for f in result.findings] == []
    assert result.good_pages == []  # the nameless page does not become the baseline
    step_two = StoredPages(url, snap(url, ROOFING), "t3", snap(url, nameless), "t2", baseline, "t1")
    result = safeguarding_findings(CONTEXT, [ACORNS], [_observe(ACORNS, url)], {url: step_two})
    assert [f.rule for f in result.findings] == ["link_repurposed"]


def test_a_thin_page_does_not_replace_a_baseline() -> None:
    url = "https://www.littleacornschildminding.co.uk/"
    baseline = snap(url, ACORNS_PAGE)
    maintenance = _page("Down for maintenance", "<p>Back soon.</p>")
    stored = StoredPages(url, snap(url, maintenance), "t2", baseline, "t1", baseline, "t1")
    assert safeguarding_findings(CONTEXT, [ACORNS], [_observe(ACORNS, url)], {url: stored}).good_pages == []
