"""Near-duplicates on HTML directories whose titles carry the provider: a held-out table.

Written for this test, not drawn from the demo's phrase pools: titles in the shapes
council Local Offer directories print ("Service (Provider)", "Service - Provider"),
descriptions written from one commissioning template, the council's switchboard given
as the contact on several providers' entries, the directory owner as "organisation" on
every entry. The traps are services of one kind run by different organisations with
their own contacts and venues; the real duplicates are one provider's entry keyed twice.
Scored for precision and recall over the whole table.
"""

from __future__ import annotations

from datetime import date

from localoffer_audit.config import ContentConfig
from localoffer_audit.content.duplicates import near_duplicate_pairs
from localoffer_audit.content.rules import RuleContext, find_near_duplicates
from localoffer_audit.models import Contact, ServiceItem

TEMPLATE = {
    "sensory": ("Specialist teachers visit children and young people with a hearing or vision impairment at home "
                "and in school, give advice to staff and families, and loan specialist equipment."),
    "nursery": ("Funded specialist nursery places for children aged two to four with complex needs, with small "
                "groups, a high staff ratio and therapy delivered in the setting."),
    "portage": ("A home visiting educational service for pre-school children with additional needs and their "
                "families, working on play and early learning goals agreed with parents."),
    "breaks": ("Short breaks for disabled children and young people aged 8 to 18: after-school clubs, weekend "
               "activities and holiday schemes, giving parent carers a break."),
}
SWITCHBOARD = "0300 555 0100"


def entry(sid: str, name: str, kind: str, *, phone: str | None = None, email: str | None = None,
          postcode: str | None = None, organisation: str | None = "Northshire Council", website: str | None = None,
          extra: str = "") -> ServiceItem:
    contacts = [Contact(phone=phone, email=email)] if phone or email else []
    return ServiceItem(sid, f"https://dir.example.gov.uk/{sid}", name, organisation=organisation,
                       description=TEMPLATE[kind] + extra, postcode=postcode, contacts=contacts, website=website)


# Traps: different providers of one kind of service, own contacts and venues.
TRAPS = [
    (entry("t1", "Sensory Support Team - Riverside Outreach", "sensory", phone=SWITCHBOARD,
           email="riverside.outreach@riversideoutreach.org.uk", postcode="NF1 2AB"),
     entry("t2", "Sensory Support Team - Hillview Outreach", "sensory", phone=SWITCHBOARD,
           email="office@hillviewoutreach.org.uk", postcode="NF7 9XY")),
    (entry("t3", "Specialist Nursery Places (Larkspur Family Trust)", "nursery", email="admissions@larkspur.org.uk",
           postcode="NF2 3CD", organisation=None),
     entry("t4", "Specialist Nursery Places (Oakfield Learning Trust)", "nursery", email="nursery@oakfield.org.uk",
           postcode="NF3 4EF", organisation=None)),
    # An HTML directory with no organisation field: the provider is only in the title.
    (entry("t5", "Portage Home Visiting - Little Acorns", "portage", phone="01632 960111", postcode="NF4 1AA",
           organisation=None),
     entry("t6", "Portage Home Visiting - Bright Beginnings", "portage", phone="01632 960222", postcode="NF5 2BB",
           organisation=None)),
    (entry("t7", "Short Breaks (Northfield Youth Project)", "breaks", phone=SWITCHBOARD, website="https://northfieldyouth.org.uk/",
           postcode="NF6 3CC"),
     entry("t8", "Short Breaks (Castle Adventure Playground)", "breaks", phone=SWITCHBOARD, website="https://castleplay.org.uk/",
           postcode="NF8 4DD")),
]
# Real duplicates: one provider's service keyed twice (same contacts, or same venue).
DUPLICATES = [
    (entry("d1", "Portage Home Visiting - Meadow Lane", "portage", phone="01632 960333", email="portage@meadowlane.org.uk",
           postcode="NF9 5EE"),
     entry("d2", "Portage Home Visiting (Meadow Lane)", "portage", phone="01632 960333", postcode="NF9 5EE",
           extra=" Referrals from health visitors.")),
    (entry("d3", "Short Breaks (Maple Tree Farm)", "breaks", phone=SWITCHBOARD, website="https://mapletreefarm.org.uk/"),
     entry("d4", "Short Breaks - Maple Tree Farm", "breaks", phone=SWITCHBOARD,
           website="https://www.mapletreefarm.org.uk/holidays", extra=" Booking is essential.")),
    # A copy for a second venue keeps its provider's email: still a copy.
    (entry("d5", "Sensory Support Team - Eastgate Centre", "sensory", email="sensory.team@northshire.gov.uk", postcode="NF1 1AA"),
     entry("d6", "Sensory Support Team - Westgate Centre", "sensory", email="sensory.team@northshire.gov.uk", postcode="NF2 2BB")),
]


def score(pairs_in_table: list[tuple[ServiceItem, ServiceItem]], expected: set[frozenset[str]]) -> tuple[float, float]:
    services = [s for pair in pairs_in_table for s in pair]
    found = {frozenset((p.first, p.second)) for p in near_duplicate_pairs(services)}
    true_positive = len(found & expected)
    precision = true_positive / len(found) if found else 1.0
    recall = true_positive / len(expected) if expected else 1.0
    return precision, recall


def test_held_out_table_precision_and_recall():
    table = TRAPS + DUPLICATES
    expected = {frozenset((a.directory_id, b.directory_id)) for a, b in DUPLICATES}
    precision, recall = score(table, expected)
    assert (precision, recall) == (1.0, 1.0)


def test_each_trap_with_contacts_of_its_own_is_not_a_duplicate_even_alone():
    # The switchboard traps (t1/t2, t7/t8) need the table: only there is the number seen
    # on many entries; alone, a shared number is evidence of one service.
    for first, second in TRAPS[1:3]:
        assert near_duplicate_pairs([first, second]) == [], (first.name, second.name)


def test_a_switchboard_shared_by_many_is_no_evidence_but_a_provider_email_is():
    # The council number on many entries is not what makes two entries one service.
    crowd = [entry(f"c{i}", f"Youth Club - Group {i}", "breaks", phone=SWITCHBOARD, postcode=f"NF{i} 1ZZ",
                   website=f"https://group{i}.example.org.uk/") for i in range(6)]
    assert near_duplicate_pairs(crowd) == []
    d5, d6 = DUPLICATES[2]
    assert [p.matched for p in near_duplicate_pairs([d5, d6, *crowd])] == [
        ("name", "description", "organisation", "email sensory.team@northshire.gov.uk")
    ]
    assert all("telephone 03005550100" not in p.matched for p in near_duplicate_pairs([*crowd, *DUPLICATES[1]]))


def test_one_finding_per_real_pair():
    findings = find_near_duplicates([s for pair in TRAPS + DUPLICATES for s in pair], RuleContext(date(2026, 1, 5), ContentConfig()))
    assert len(findings) == len(DUPLICATES)
    assert {f.evidence["action"] for f in findings} <= {"archive", "merge"}
