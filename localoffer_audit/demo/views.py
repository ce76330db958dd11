"""A service as it looks on a given night: every field, derived on demand.

``build_view`` turns a compact ``ServiceRecord`` into the full entry (text, contacts,
venue, dates, links) using a per-service seed, plants the faults live that night, and
records exactly where each one was planted. The FSD pages, the ORUK API and the
manifest are all rendered from this one view, so they always agree.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date, timedelta

from localoffer_audit.demo import vocab
from localoffer_audit.demo.world import DemoWorld, ServiceRecord, stable_random

GENERIC_SENTENCES = [
    "Sessions take place at {venue} in {town}.",
    "We welcome children and young people with a wide range of needs, including autism, ADHD and physical disabilities.",
    "Staff are trained in Makaton, first aid and safeguarding.",
    "Parking is available on site and the building has level access and an accessible toilet.",
    "Siblings are welcome at most of our sessions.",
    "You can refer yourself, or ask a professional such as your health visitor or school to refer you.",
    "There is a small charge of {cost} per session to cover refreshments.",
    "We have a quiet room for children who need a break from the noise.",
    "Places are limited, so please get in touch before your first visit.",
    "Our volunteers include parents who have children with SEND themselves.",
    "We work closely with {partner} to make sure families get joined-up support.",
    "Information is available in other languages and formats on request.",
    "The {day} group is aimed at children aged {lo} to {hi}.",
    "We run a {day} evening session for teenagers and a {day2} morning session for younger children.",
    "Transport can sometimes be arranged for families who live in {town2} or {town}.",
    "Funding from the {funder} means most activities are free for families.",
    "A member of staff will call you to talk about your child's needs before they start.",
    "We are a member of the {town} Inclusion Network.",
    "Our sensory room and soft play area can be booked by families at weekends.",
    "Young people help plan the programme each term.",
    "Our named lead for SEND is {person}, who is happy to talk to families before a first visit.",
    "Referrals are discussed at a weekly panel and we aim to reply within ten working days.",
]
OPENERS = [
    "{name} is run by {org} and supports families across {area}.",
    "{name} offers help and activities for children and young people in {area}.",
    "Welcome to {name}, based in {town}.",
    "{name} provides support for disabled children, young people and their families.",
    "At {name} we believe every child should be able to join in.",
    "{name} has been part of the {town} community for many years.",
    "{name} is open to families living in {area}.",
    "{name}: friendly, local and inclusive.",
]
PARTNERS = ["the Northmoor SEND Team", "local schools", "the Children's Therapy Service", "Portage", "health visitors", "Brightpath Families"]
FUNDERS = ["National Lottery Community Fund", "Northmoor Short Breaks Fund", "Holiday Activities and Food programme", "a local trust"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
DATE_LABELS = ["Last updated:", "Last Updated", "Record last updated:", "Date updated", "Reviewed:", "Record reviewed:", "Last reviewed"]
DATE_FORMATS = ["%d/%m/%Y", "{day} %B %Y", "%Y-%m-%d", "{day} %b %Y", "%A {day} %B %Y", "%d.%m.%Y"]


@dataclass(slots=True)
class ShownLink:
    url: str
    field: str
    text: str
    behaviour: str


@dataclass(slots=True)
class ServiceView:
    record: ServiceRecord
    day: int
    sid: str
    oruk_id: str
    name: str
    organisation: str
    org_host: str
    categories: list[str]
    paragraphs: list[str]  # HTML fragments
    description_text: str
    contact_name: str | None
    contact_position: str | None
    phones: list[str]
    emails: list[str]
    website: str | None
    website_text: str | None
    venue_name: str | None
    address_lines: list[str]
    postcode: str | None
    min_age: int
    max_age: int
    age_text: str
    cost: str | None
    opening_times: str | None
    session_info: str | None
    notes: str | None
    area_served: str
    documents: list[ShownLink]
    local_offer: dict[str, str] | None
    related: list[ShownLink]
    inline_links: list[ShownLink]
    dates: list[tuple[str, str, date]]  # (label, text as shown, value)
    date_in_list: bool
    quirks: set[str]
    faults: set[str]
    # rule -> where and how it was planted (manifest evidence)
    planted: dict[str, str] = field(default_factory=dict)
    traps: list[str] = field(default_factory=list)
    website_behaviour: str | None = None

    @property
    def http_links(self) -> list[ShownLink]:
        links = list(self.inline_links) + list(self.documents) + list(self.related)
        if self.website and self.website_behaviour is not None:
            links.insert(0, ShownLink(self.website, "website", self.website_text or self.website, self.website_behaviour))
        if self.local_offer and self.local_offer.get("link"):
            links.append(ShownLink(self.local_offer["link"], "local_offer", self.local_offer.get("link_text", ""), self.local_offer["link_behaviour"]))
        return links


def _fmt_date(value: date, pattern: str) -> str:
    return value.strftime(pattern.replace("{day}", str(value.day)))


def _phone(rng, kind: str = "geo") -> str:
    n = rng.randint(0, 999)
    if kind == "mobile":
        return f"07{rng.choice(['712', '823', '754', '460', '967'])} {rng.randint(100000, 999999)}"
    return rng.choice([f"0113 496 0{n:03d}", f"0161 496 0{n:03d}", f"020 7946 0{n:03d}", f"03069 990{n:03d}"])


INVALID_PHONES = ["01632 9601{n}", "0161 496 0{n:03d}5", "+1 212 555 0{n:03d}", "+33 1 23 45 {n:03d}", "0113 49", "01234 5678 90{n}"]
INVALID_EMAILS = ["info@{core}", "enquiries@@{host}", "office@{host}.", "admin@{hostc}", "{core} at gmail.com", "bookings@{core}.co.uk@",
                  "hello @{host}"]
INVALID_POSTCODES = ["{area}{d}", "{area}{d} {d}", "{area}{d} {d}{l}{l}{l}", "{area}{d}{d}{d} 1AA", "0113 4960", "{area}{d} 9ZZ9"]


def build_view(world: DemoWorld, record: ServiceRecord, day: int, directory_base: str = "") -> ServiceView:
    """The full entry of ``record`` on night ``day``; ``directory_base`` ends with '/'."""
    rng = stable_random(world.seed, "text", record.text_seed)
    own = stable_random(world.seed, "own", record.index)
    org = world.orgs[record.org]
    faults = record.active_faults(day)
    kind = vocab.SERVICE_KINDS[record.kind]
    town, town2 = rng.sample(vocab.TOWNS, 2)
    lo, hi = kind["ages"]
    min_age, max_age = lo + rng.randint(0, 2), max(lo + 3, hi - rng.randint(0, 3))
    venue = f"{rng.choice(['St Mary', 'Moor Lane', 'Victoria', 'Greenside', 'Oakfield', 'Hollins'])} {rng.choice(['Community Centre', 'Children’s Centre', 'Church Hall', 'Primary School', 'Youth Centre', 'Library'])}"
    if record.template_of is not None:
        # Another provider's service written from the same template: its own town and venue.
        place = stable_random(world.seed, "venue", record.index)
        town, town2 = place.sample(vocab.TOWNS, 2)
        venue = f"{place.choice(['St Mary', 'Moor Lane', 'Victoria', 'Greenside', 'Oakfield', 'Hollins'])} {place.choice(['Community Centre', 'Church Hall', 'Youth Centre', 'Library'])}"
    planted: dict[str, str] = {}
    traps: list[str] = list(record.traps)
    fy = world.date_for(day).year + 1
    past_y = world.date_for(day).year - rng.randint(2, 5)

    # ---- description
    opener = rng.choice(OPENERS).format(name=record.name if record.twin is None else world.records[record.text_seed].name,
                                        org=org.name, town=town, area=rng.choice(["Northmoor", f"{town} and {town2}", f"north {town}"]))
    sentences = [opener, rng.choice(kind["about"])]
    fill = {
        "venue": venue, "town": town, "town2": town2, "cost": f"£{rng.randint(1, 6)}", "partner": rng.choice(PARTNERS),
        "day": rng.choice(DAYS), "day2": rng.choice(DAYS), "lo": min_age, "hi": max_age, "funder": rng.choice(FUNDERS),
        "person": f"{rng.choice(vocab.FIRST_NAMES)} {rng.choice(vocab.SURNAMES)}",
    }
    extra = rng.sample(GENERIC_SENTENCES, rng.randint(2, 4))
    sentences += [s.format(**fill) for s in extra]
    if record.twin is not None and record.index > record.twin:
        # The same entry keyed in again by its provider: a word changed, a line added.
        sentences.append(own.choice(["Please call before visiting.", "New families welcome.", "Booking is essential."]))
    if day >= record.plain_from_day:
        # The provider rewrote the entry in plain words (world.CLEANED_UP_ORG): the stock
        # sentences and the trap wording are gone with the old text. Its own random
        # stream, so the rest of the entry (contacts, venue, dates) reads as before.
        plain = stable_random(world.seed, "plain", record.index)
        sentences = [plain.choice(vocab.PLAIN_OPENERS).format(name=record.name, org=org.name, town=town, lo=min_age, hi=max_age),
                     plain.choice(vocab.PLAIN_ABOUT[record.kind])]
        sentences += [s.format(**fill) for s in plain.sample(vocab.PLAIN_SENTENCES, plain.randint(2, 3))]
        traps = []
    trap_sentences = []
    for trap in traps:
        options = vocab.TRAPS.get(trap) or []
        if options:
            # Chosen with the text seed, so a near-duplicate pair carries the same wording.
            trap_sentences.append(rng.choice(options).format(n=rng.randint(0, 999), fy=fy))
    notes = None
    session_info = None
    fault_lead: list[str] = []
    fault_tail: list[str] = []
    if "covid_notice" in faults:
        text = own.choice(vocab.COVID_NOTICES)
        where = own.choice(["description start", "description end", "notes"])
        if where == "notes":
            notes = text
        elif where == "description start":
            fault_lead.append(text)
        else:
            fault_tail.append(text)
        planted["covid_notice"] = f"{where}: {text}"
    if "closure_wording" in faults:
        text = own.choice(vocab.CLOSURE_NOTICES).format(month=own.choice(MONTHS), y=past_y)
        where = own.choice(["description start", "description start", "notes"])
        if where == "notes" and notes is None:
            notes = text
        else:
            where = "description start"
            fault_lead.insert(0, text)
        planted["closure_wording"] = f"{where}: {text}"
    if "past_event" in faults:
        text = own.choice(vocab.PAST_EVENTS).format(y=past_y)
        where = own.choice(["description end", "session information"])
        if where == "session information":
            session_info = text
        else:
            fault_tail.append(text)
        planted["past_event"] = f"{where}: {text}"
    paragraphs_text: list[str]
    if "short_description" in faults:
        if "undefined_description" in record.quirks:
            short = "undefined"
        else:
            short = own.choice(vocab.SHORT_DESCRIPTIONS)
        paragraphs_text = [short]
        planted["short_description"] = f"description is {short!r} ({len(short)} characters)"
    elif "placeholder_text" in faults and own.random() < 0.5 and not fault_lead and not fault_tail and not trap_sentences:
        text = own.choice(vocab.PLACEHOLDERS_DESC)
        paragraphs_text = [text]
        planted["placeholder_text"] = f"description: {text}"
    else:
        body = fault_lead + sentences + trap_sentences + fault_tail
        split = max(1, len(body) // 2)
        paragraphs_text = [" ".join(body[:split]), " ".join(body[split:])] if len(body) > 3 else [" ".join(body)]
        paragraphs_text = [p for p in paragraphs_text if p]
    # ---- links (http) on this night
    live = []
    for slot, (url, behaviour) in zip(record.links, links_today_aligned(record, day, world), strict=True):
        if url is None:
            continue
        live.append((slot, url, behaviour))
    website = website_text = website_behaviour = None
    inline: list[ShownLink] = []
    documents: list[ShownLink] = []
    related: list[ShownLink] = []
    lo_link = None
    for slot, url, behaviour in live:
        if slot.field == "website" and website is None:
            website, website_behaviour = url, behaviour
            host = url.split("://", 1)[-1].split("/", 1)[0]
            website_text = url
            if "short_link_text" in record.quirks and len(url) > 30:
                website_text = url[:28] + "..."
            elif own.random() < 0.3:
                website_text = own.choice(["Visit website", "Website", host])
        elif slot.field == "document":
            title = url.rsplit("/", 1)[-1].replace("-", " ").replace(".pdf", "").strip() or "Document"
            documents.append(ShownLink(url, "document", f"{title} (PDF)", behaviour))
        elif slot.field == "related":
            related.append(ShownLink(url, "related", slot.anchor.capitalize() if slot.anchor else url, behaviour))
        elif slot.field == "local_offer" and lo_link is None:
            lo_link = ShownLink(url, "local_offer", "Our SEND offer", behaviour)
        elif "short_description" in faults or "placeholder_text" in planted:
            # No prose to put it in: the link goes under "Related links".
            related.append(ShownLink(url, "related", slot.anchor.capitalize() if slot.anchor else url, behaviour))
        else:
            inline.append(ShownLink(url, "description", slot.anchor, behaviour))
    if "website_is_directory_page" in faults and directory_base:
        website = f"{directory_base}service.page?id={record.sid}"
        website_text, website_behaviour = website, "directory_page"
        planted["website_is_directory_page"] = "website field links to the record's own service.page"
    # Inline links go into the last paragraph (or the first when only one).
    paragraphs_html = [html.escape(p) for p in paragraphs_text]
    for link in inline:
        paragraphs_html[-1] += f' More details on <a href="{html.escape(link.url)}">{html.escape(link.text)}</a>.'
    if "raw_html" in record.quirks and "short_description" not in faults:
        paragraphs_html[0] = paragraphs_html[0].replace("&lt;", "<").replace("&gt;", ">") + " &lt;br /&gt;&lt;strong&gt;&lt;/strong&gt;"
    description_text = " ".join(paragraphs_text + [f"More details on {link.text}." for link in inline])

    # ---- contacts
    no_contact = "no_contact_route" in faults
    core = org.host.split(".")[1] if org.host.startswith("www.") else org.host.split(".")[0]
    contact_name = contact_position = None
    phones: list[str] = []
    emails: list[str] = []
    if no_contact:
        planted["no_contact_route"] = "no telephone, no email, no website on the record"
    else:
        if own.random() < 0.8:
            contact_name = f"{own.choice(vocab.FIRST_NAMES)} {own.choice(vocab.SURNAMES)}"
            contact_position = own.choice(vocab.POSITIONS)
        if "switchboard_contact" in record.quirks:
            phones.append(vocab.SWITCHBOARD)
            emails.append(vocab.FIS_EMAIL)
        else:
            if own.random() < 0.9:
                phones.append(_phone(own))
            if own.random() < 0.25:
                phones.append(_phone(own, "mobile"))
            if own.random() < 0.85:
                local = own.choice(["info", "enquiries", "admin", "office", "hello", "bookings"])
                emails.append(f"{local}@{org.host.removeprefix('www.')}")
        if "invalid_phone" in faults:
            bad = own.choice(INVALID_PHONES).format(n=own.randint(0, 9) if "{n}" in INVALID_PHONES[0] else own.randint(0, 999))
            phones = [bad] + phones[1:]
            planted["invalid_phone"] = f"telephone shown as {bad!r}"
        if "invalid_email" in faults:
            host = org.host.removeprefix("www.")
            bad = own.choice(INVALID_EMAILS).format(core=core, host=host, hostc=host.replace(".", ","))
            emails = [bad] + emails[1:]
            planted["invalid_email"] = f"email shown as {bad!r}"
        if not phones and not emails and website is None:
            phones.append(_phone(own))
    # ---- venue
    area = own.choice(vocab.POSTCODE_AREAS)
    district = own.randint(1, 22)
    postcode = f"{area}{district} {own.randint(1, 9)}{own.choice(vocab.POSTCODE_INWARD_LETTERS)}{own.choice(vocab.POSTCODE_INWARD_LETTERS)}"
    if "invalid_postcode" in faults:
        letters = vocab.POSTCODE_INWARD_LETTERS
        postcode = own.choice(INVALID_POSTCODES).format(area=area, d=own.randint(1, 9), l=own.choice(letters))
        planted["invalid_postcode"] = f"postcode shown as {postcode!r}"
    address_lines = [venue, f"{own.randint(1, 180)} {own.choice(vocab.STREETS)}", town]
    has_venue = record.kind not in {"council"} or own.random() < 0.3
    if "invalid_postcode" in faults:
        has_venue = True
    # ---- other fields
    cost = own.choice(["Free", "£3 per session", "Free for families with an EHCP", "£25 per day; funded places available", "Please contact us for prices", None])
    opening = own.choice(["Monday to Friday 9am - 3pm term time", "Tuesdays 10am-11.30am", "Saturdays 10:00 - 12:00", "Weekdays 8.30am to 5pm", None])
    if "placeholder_text" in faults and "placeholder_text" not in planted:
        value = own.choice(vocab.PLACEHOLDER_FIELDS)
        if own.random() < 0.5:
            opening = value
            planted["placeholder_text"] = f"Opening times: {value}"
        else:
            cost = value
            planted["placeholder_text"] = f"Cost: {value}"
    # ---- dates
    dates: list[tuple[str, str, date]] = []
    updated = world.updated_on(record, day)
    if updated is not None:
        label = own.choice(DATE_LABELS)
        dates.append((label, _fmt_date(updated, own.choice(DATE_FORMATS)), updated))
    if record.date_added_age is not None and updated is not None:
        added = updated - timedelta(days=record.date_added_age)
        dates.append(("Date added", _fmt_date(added, "%Y-%m-%d"), added))
    if "missing_date" in faults:
        planted["missing_date"] = "no date on the record"
    if "stale_date" in faults and updated is not None:
        planted["stale_date"] = f"last update shown {dates[0][1]!r} ({(world.date_for(day) - updated).days} days before today)"
    local_offer = None
    if lo_link is not None or own.random() < 0.4:
        local_offer = {
            "details": own.choice([
                "We make reasonable adjustments so that children with SEND can take part.",
                "Staff complete training in autism awareness every year.",
                "Each child has a one-page profile agreed with their family.",
            ]),
            "needs_level": own.choice(["Universal", "Targeted", "Specialist", "Universal; Targeted"]),
            "provision": own.choice(["Communication and interaction", "Cognition and learning", "Social, emotional and mental health", "Sensory and/or physical"]),
            "age_bands": own.choice(["0-5", "5-11", "11-16", "16-25", "0-25"]),
        }
        if lo_link is not None:
            local_offer.update({"link": lo_link.url, "link_text": lo_link.text, "link_behaviour": lo_link.behaviour})
    return ServiceView(
        record=record, day=day, sid=record.sid, oruk_id=record.oruk_id, name=record.name,
        organisation=world.orgs[record.listed_org].name if record.listed_org is not None else org.name,
        org_host=org.host, categories=list(record.categories),
        paragraphs=paragraphs_html, description_text=description_text,
        contact_name=contact_name, contact_position=contact_position, phones=phones, emails=emails,
        website=website, website_text=website_text,
        venue_name=venue if has_venue else None, address_lines=address_lines if has_venue else [],
        postcode=postcode if has_venue else None, min_age=min_age, max_age=max_age,
        age_text=own.choice([f"{min_age} - {max_age} years", f"{min_age} to {max_age}", f"Ages {min_age}-{max_age}"]),
        cost=cost, opening_times=opening, session_info=session_info, notes=notes,
        area_served=own.choice(["Northmoor", "Northmoor and Calderbrook", town, "North Northmoor"]),
        documents=documents, local_offer=local_offer, related=related, inline_links=inline,
        dates=dates, date_in_list=own.random() < 0.6, quirks=set(record.quirks), faults=faults,
        planted=planted, traps=traps, website_behaviour=website_behaviour,
    )


def links_today_aligned(record: ServiceRecord, day: int, world: DemoWorld) -> list[tuple[str | None, str]]:
    """Like ``world.links_on`` but one entry per slot (None for a removed link)."""
    out: list[tuple[str | None, str]] = []
    for slot in record.links:
        if day >= slot.fix_day:
            out.append((slot.replacement, "ok") if slot.replacement else (None, "removed"))
        elif day >= slot.break_day:
            out.append((slot.url, "not_found"))
        else:
            out.append((slot.url, slot.behaviour))
    return out
