"""The demo world's data model: deterministic from a seed, cheap per service.

``DemoWorld`` builds small global tables (organisations, hosts, one compact
``ServiceRecord`` per service with its outbound link slots and planted faults) and a
per-day state (which services are listed, which faults are live, what every URL does).
Pages are not stored: ``views.build_view`` derives a service's full text from its
record and a per-service seed when a page is asked for, so 20,000 services cost a few
tens of MB, not a copy of every page.
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from localoffer_audit.demo import vocab
from localoffer_audit.demo.behaviours import BEHAVIOURS, HOSTILE, WORKING_HOST_BEHAVIOURS

NEVER = 10**6
# In a region, the pages of a shared site that its worlds' links go to.
REGIONAL_PAGES_PER_SITE = 6
# Provider sites that change on a later night (demo/repurposed.py builds their pages):
# first the kinds that must be found, then the traps that must stay quiet.
PLANT_KINDS = ("casino", "unrelated_business", "rebrand_trap", "redesign_trap", "benefits_trap")
PLANT_DAY = 1

# Share of organisations' hosts with each host-level behaviour (the rest: "normal").
HOST_RATES: dict[str, float] = {
    "http_only": 0.04,
    "insecure": 0.015,
    "insecure_redirect": 0.012,
    "slow": 0.015,
    "head_405": 0.015,
    "head_404": 0.01,
    "bot_403": 0.012,
    "parked": 0.008,
    "parked_lander": 0.004,
    "unresolvable": 0.01,
    "refused": 0.006,
    "no_answer": 0.004,
    "self_signed": 0.003,
    "tls_mismatch": 0.003,
    "tls_expired": 0.003,
    "moved_offsite": 0.01,
}
# Share of http link slots on working hosts with each URL-level behaviour (rest: "ok").
URL_RATES: dict[str, float] = {
    "not_found": 0.035,
    "gone": 0.008,
    "server_error": 0.01,
    "soft_404_page": 0.012,
    "home_redirect": 0.01,
    "redirect_chain": 0.025,
    "temporary_redirect": 0.012,
    "redirect_loop": 0.004,
    "malformed": 0.006,
}
# Per-day transient failures among working URLs (a different set each day).
TRANSIENT_RATES = {"transient_503": 0.015, "rate_limited_429": 0.01}
# Share of services carrying each planted content fault on day 0.
FAULT_RATES: dict[str, float] = {
    "stale_date": 0.18,
    "missing_date": 0.05,
    "covid_notice": 0.04,
    "closure_wording": 0.02,
    "past_event": 0.06,
    "no_contact_route": 0.03,
    "short_description": 0.04,
    "placeholder_text": 0.03,
    "invalid_phone": 0.025,
    "invalid_email": 0.02,
    "invalid_postcode": 0.02,
    "website_is_directory_page": 0.02,
    "page_missing": 0.0075,
}
NEAR_DUPLICATE_PAIR_RATE = 0.02
TRAP_RATE = 0.22
QUIRK_RATES = {
    "doubled_phone": 0.03,
    "glued_postcode": 0.05,
    "cf_email": 0.04,
    "short_link_text": 0.08,
    "raw_html": 0.02,
    "windows_1252": 0.02,
    "switchboard_contact": 0.12,
    "second_channel": 0.03,
}
# Day-to-day change
# The organisation whose content manager fixes every problem on night 1 (demo/managers.py
# maps it, and only it, to one manager): the demo's all-clear email.
CLEANED_UP_ORG = "Northmoor College"
FAULT_FIX_PER_DAY = 0.06
NEW_FAULT_PER_DAY = 0.006
NEW_FAULT_KINDS = ("closure_wording", "placeholder_text", "invalid_phone", "short_description", "past_event")
LINK_FIX_PER_DAY = 0.05
LINK_BREAK_PER_DAY = 0.004
REMOVE_PER_DAY = 0.004
ADD_PER_DAY = 0.004
ADVICE_EVERY = 25
STALE_AFTER_DAYS = 365
ARCHIVE_AFTER_DAYS = 730


def stable_random(*parts: object) -> random.Random:
    """A Random seeded from the parts (str seeding is stable across processes)."""
    return random.Random("|".join(str(p) for p in parts))


def _digest(*parts: object) -> bytes:
    return hashlib.blake2b("|".join(str(p) for p in parts).encode(), digest_size=16).digest()


def opaque_id(*parts: object) -> str:
    """An FSD-style record id: 11 URL-safe characters, may contain '-' and '_'."""
    return base64.urlsafe_b64encode(_digest(*parts)[:9]).decode()[:11]


def geometric_day(rng: random.Random, p_per_day: float) -> int:
    """The first day (>= 1) on which an event with daily probability p happens."""
    if p_per_day <= 0:
        return NEVER
    u = 1.0 - rng.random()
    return 1 + int(math.log(u) / math.log(1.0 - p_per_day))


def slug(text: str) -> str:
    return "".join(c for c in text.lower().replace("&", "and") if c.isalnum() or c == " ").strip().replace(" ", "")


@dataclass(slots=True)
class Org:
    index: int
    name: str
    host: str
    kind: str
    behaviour: str = "normal"
    # For moved_offsite: the host it now redirects to.
    moved_to: str | None = None


@dataclass(frozen=True, slots=True)
class Plant:
    """A provider host whose ordinary pages change from ``from_day`` on (demo/repurposed.py)."""

    host: str
    kind: str
    org: str
    from_day: int


@dataclass(slots=True)
class HostSpec:
    name: str
    behaviour: str
    address: str | None  # None: not in the hosts file (unresolvable)
    latency_ms: tuple[int, int]
    moved_to: str | None = None
    https: bool = True


@dataclass(slots=True)
class LinkSlot:
    """One outbound http(s) link on a service page and how it behaves over the days."""

    field: str  # website | description | document | local_offer | related
    url: str
    behaviour: str  # on day 0, before transients
    anchor: str = ""
    fix_day: int = NEVER  # a faulty link is replaced/removed by the content manager
    break_day: int = NEVER  # a working link starts answering 404
    replacement: str | None = None  # the URL after fix (None: the link is removed)


@dataclass(slots=True)
class Fault:
    rule: str
    start_day: int
    end_day: int  # exclusive; NEVER = not fixed


@dataclass(slots=True)
class ServiceRecord:
    index: int
    sid: str
    oruk_id: str
    name: str
    org: int
    kind: str
    categories: tuple[str, ...]
    added_day: int
    removed_day: int
    faults: list[Fault]
    traps: tuple[str, ...]
    quirks: tuple[str, ...]
    # Days between the record's last update and day 0's date; None: no date shown.
    age_days: int | None
    date_added_age: int | None
    links: list[LinkSlot]
    # Near-duplicate partner index and the index whose text seed this record uses.
    twin: int | None = None
    text_seed: int = 0
    # The night its provider rewrote the description in plain words (CLEANED_UP_ORG's).
    plain_from_day: int = NEVER
    # Written from another provider's template (same text seed), with its own venue.
    template_of: int | None = None
    # The organisation the directory names, when not the provider (the council that
    # commissions the service); contacts and website stay the provider's.
    listed_org: int | None = None

    def fault_active(self, rule: str, day: int) -> bool:
        return any(f.rule == rule and f.start_day <= day < f.end_day for f in self.faults)

    def active_faults(self, day: int) -> set[str]:
        return {f.rule for f in self.faults if f.start_day <= day < f.end_day}

    def live_on(self, day: int) -> bool:
        return self.added_day <= day < self.removed_day


@dataclass(slots=True)
class UrlState:
    """What one URL does today (the outside web reads this)."""

    behaviour: str
    services: list[str] = field(default_factory=list)
    fields: set[str] = field(default_factory=set)


@dataclass(slots=True)
class DayState:
    day: int
    today: date
    listed: list[int]  # record indexes on the results pages, sorted by name
    entries: list[tuple[str, int, str]]  # (kind: service|advice, index, channel query)
    urls: dict[str, UrlState]
    paths: dict[tuple[str, str], str]  # (host, path?query) -> behaviour, incl. internal hops
    transient_hits: dict[str, int] = field(default_factory=dict)


class DemoWorld:
    """A deterministic Local Offer directory and outside web, built from a seed.

    ``services`` is the number of services listed on day 0; ``day`` selects the night;
    ``today`` is the date of day 0 (default: the real today, so the auditor's clock and
    the pages agree; pass a date for byte-identical output on any day). Worlds given
    the same ``region`` (a seed) are neighbouring councils: ``regional_share`` of their
    small organisations are the region's (the same in each), and links to shared sites
    go to a few pages the region links (demo/region.py serves them on one web).
    """

    def __init__(
        self,
        seed: int = 1,
        services: int = 400,
        day: int = 0,
        *,
        today: date | None = None,
        latency_ms: tuple[int, int] = (0, 20),
        slow_ms: tuple[int, int] = (1000, 2000),
        council: str = vocab.COUNCIL_SLUG,
        directory: str = "directory",
        channel: str = "localofferchannel",
        region: int | None = None,
        regional_share: float = 0.5,
    ) -> None:
        if services < 1:
            raise ValueError("a demo world needs at least one service")
        if not 0.0 <= regional_share <= 1.0:
            raise ValueError("regional_share is a share, 0 to 1")
        self.seed = seed
        # Worlds of one region (demo/region.py) share their first organisations: drawn from
        # the region's seed, the same names, sites and behaviours in every council's world.
        self.region = region
        self.regional_share = regional_share
        self.size = services
        self.base_today = today or date.today()
        self.latency_ms = latency_ms
        self.slow_ms = slow_ms
        self.council = council
        self.directory = directory
        self.channel = channel
        self.orgs: list[Org] = []
        self.hosts: dict[str, HostSpec] = {}
        self.records: list[ServiceRecord] = []
        self.by_sid: dict[str, int] = {}
        self.by_oruk: dict[str, int] = {}
        self.advice: list[tuple[str, str]] = []  # (id, title)
        self._hostile_links: list[tuple[int, str, str]] = []
        self.plants: dict[str, Plant] = {}
        # Mistyped hrefs planted on service pages -> the address the provider meant.
        self.mistyped: dict[str, str] = {}
        self._build()
        self.state: DayState = self._day_state(day)

    # ------------------------------------------------------------------ build
    @property
    def day(self) -> int:
        return self.state.day

    @property
    def today(self) -> date:
        return self.state.today

    def set_day(self, day: int) -> None:
        """Switch to night ``day`` (0 = the first). Safe while a server is running."""
        if day < 0:
            raise ValueError("day must be 0 or more")
        self.state = self._day_state(day)

    def _build(self) -> None:
        rng = stable_random(self.seed, "world")
        self._build_orgs(rng)
        self._shared_hosts = {o.host for o in self.orgs[: len(vocab.BIG_ORGS) + self._regional_orgs]}
        self._build_records(rng)
        self._build_hostile(rng)
        self._force_every_behaviour(rng)
        self._plant_mistyped_hrefs()
        self._clean_up_one_organisation()
        self.advice = [
            (opaque_id(self.seed, "advice", i), vocab.ADVICE_TOPICS[i % len(vocab.ADVICE_TOPICS)])
            for i in range(max(2, self.size // ADVICE_EVERY))
        ]
        self._build_hosts()
        self._plant_repurposed()

    def _clean_up_one_organisation(self) -> None:
        """CLEANED_UP_ORG's content manager fixes everything on night 1 and keeps it so:
        every fault ends, every faulty link is replaced or removed, no working link
        breaks, of a double entry the second is taken down, and every description is
        rewritten in plain words (vocab.PLAIN_*). So one manager's problems are all fixed
        on the second night, and the demo shows the all-clear email."""
        org = next(o.index for o in self.orgs if o.name == CLEANED_UP_ORG)
        for record in self.records:
            if record.org != org:
                continue
            fixed = max(1, record.added_day)
            record.plain_from_day = fixed
            for fault in record.faults:
                fault.end_day = min(fault.end_day, max(fixed, fault.start_day))
            for slot in record.links:
                slot.break_day = NEVER
                if BEHAVIOURS[slot.behaviour].verdict != "ok":
                    slot.fix_day = min(slot.fix_day, fixed)
            if record.twin is not None and record.twin < record.index:
                record.removed_day = min(record.removed_day, fixed)

    def _plant_repurposed(self) -> None:
        """Pick small providers' hosts to change on PLANT_DAY: each has a service live on
        nights 0-5 whose website is the host's home page, working and never edited, and
        no other service links to it (so what changes is one provider's site)."""
        linked_by: dict[str, set[int]] = {}
        for record in self.records:
            for slot in record.links:
                key = split_url(slot.url)
                if key is not None:
                    linked_by.setdefault(key[0], set()).add(record.org)
        records_by_org: dict[int, list[ServiceRecord]] = {}
        for record in self.records:
            records_by_org.setdefault(record.org, []).append(record)
        candidates = []
        for org in self.orgs[len(vocab.BIG_ORGS):]:
            # Not a school's .sch.uk name: the council manages those, nobody drop-catches them.
            if org.behaviour != "normal" or org.host.endswith(".sch.uk") or linked_by.get(org.host, set()) != {org.index}:
                continue
            home = f"https://{org.host}/"
            for record in records_by_org.get(org.index, []):
                if not all(record.live_on(d) for d in range(6)) or any(
                    f.rule in {"page_missing", "no_contact_route", "website_is_directory_page"} for f in record.faults
                ):
                    continue
                if any(s.field == "website" and s.url == home and s.behaviour == "ok"
                       and s.fix_day == NEVER and s.break_day == NEVER for s in record.links):
                    candidates.append(org)
                    break
        rng = stable_random(self.seed, "plants")
        rng.shuffle(candidates)
        for kind, org in zip(PLANT_KINDS, candidates, strict=False):
            self.plants[org.host] = Plant(org.host, kind, org.name, PLANT_DAY)

    def plant_on(self, host: str, day: int) -> Plant | None:
        """The plant active on ``host`` on night ``day``, if any."""
        plant = self.plants.get(host)
        return plant if plant is not None and day >= plant.from_day else None

    def _unique_host(self, wanted: str, used: set[str], rng: random.Random) -> str:
        """``wanted``, or a variant with a town in it (then a number) if that is taken."""
        head, _, rest = wanted.partition(".")
        prefix = "www." if head == "www" else ""
        first, _, tail = (rest if head == "www" else wanted).partition(".")
        candidates = [wanted]
        towns = rng.sample(vocab.TOWNS, len(vocab.TOWNS))
        candidates += [f"{prefix}{first}-{slug(town)}.{tail}" for town in towns]
        candidates += [f"{prefix}{first}{slug(town)}.{tail}" for town in towns]
        for host in candidates:
            if host not in used:
                used.add(host)
                return host
        number = 2
        while f"{prefix}{first}{number}.{tail}" in used:
            number += 1
        host = f"{prefix}{first}{number}.{tail}"
        used.add(host)
        return host

    def _build_orgs(self, rng: random.Random) -> None:
        used: set[str] = {vocab.COUNCIL_HOST}
        for name, host, kind in vocab.BIG_ORGS:
            used.add(host)
            self.orgs.append(Org(len(self.orgs), name, host, kind))
        small = max(12, int(self.size * 0.62))
        names: set[str] = set()
        kinds = [k for k in vocab.SERVICE_KINDS if k != "council"]
        regional = self._regional_orgs = int(small * self.regional_share) if self.region is not None else 0
        # The region's organisations first, each from its own seed (so every world of the
        # region draws the same ones, whatever else it draws); then the council's own.
        regional_rngs = [stable_random(self.region, "regional-org", i) for i in range(regional)]
        own_rngs = [rng] * (small - regional)
        for number, org_rng in enumerate([*regional_rngs, *own_rngs]):
            self._add_small_org(org_rng, kinds, names, used, regional=number < regional)
        # Host-level behaviours for small organisations' sites.
        for number, org in enumerate(self.orgs[len(vocab.BIG_ORGS):]):
            roll = (regional_rngs[number] if number < regional else rng).random()
            acc = 0.0
            for behaviour, rate in HOST_RATES.items():
                acc += rate
                if roll < acc:
                    org.behaviour = behaviour
                    break
        self._assign_moves(rng)

    def _add_small_org(self, rng: random.Random, kinds: list[str], names: set[str], used: set[str], *,
                       regional: bool) -> None:
        kind = rng.choice(kinds)
        for attempt in range(50):
            a = rng.choice(vocab.ORG_WORDS_A)
            pattern = rng.choice(vocab.SERVICE_KINDS[kind]["names"])
            town = rng.choice(vocab.TOWNS)
            name = pattern.format(a=a if attempt < 5 else f"{town} {a}", t=town)
            if attempt >= 20:
                name = f"{name} ({rng.choice(vocab.STREETS)})"
            if name not in names:
                break
        names.add(name)
        words = [w for w in name.replace("(", "").replace(")", "").split() if w.lower() not in {"the", "and", "of"}]
        core = slug(" ".join(words[:2]))
        style = rng.random()
        suffix = rng.choice(vocab.DOMAIN_SUFFIXES)
        if kind == "school" and rng.random() < 0.6 and not regional:  # a school is one council's
            wanted = f"www.{core}.{self.council}.sch.uk"
        elif style < 0.45:
            wanted = f"www.{core}{suffix}"
        elif style < 0.75:
            wanted = f"www.{slug(words[0])}-{slug(' '.join(words[1:3]))}{suffix}"
        else:
            wanted = f"{core}{suffix}"
        self.orgs.append(Org(len(self.orgs), name, self._unique_host(wanted, used, rng), kind))

    def _assign_moves(self, rng: random.Random) -> None:
        normal = [o for o in self.orgs if o.behaviour == "normal"]
        for org in self.orgs:
            if org.behaviour == "moved_offsite" and org.moved_to is None:
                org.moved_to = rng.choice(normal).host if normal else vocab.COUNCIL_HOST

    def _pick_org(self, rng: random.Random, next_small: list[int]) -> int:
        roll = rng.random()
        big_weights = [0.08, 0.05, 0.02, 0.04, 0.02, 0.02, 0.02, 0.03]
        acc = 0.0
        for i, weight in enumerate(big_weights):
            acc += weight
            if roll < acc:
                return i
        first_small = len(vocab.BIG_ORGS)
        if next_small[0] < len(self.orgs) and rng.random() < 0.85:
            chosen = next_small[0]
            next_small[0] += 1
            return chosen
        return rng.randrange(first_small, max(first_small + 1, min(next_small[0], len(self.orgs))))

    def _service_name(self, rng: random.Random, org: Org, kind: str, taken: set[str]) -> str:
        if org.index >= len(vocab.BIG_ORGS) and org.name not in taken:
            name = org.name
        else:
            name = ""
            for attempt in range(60):
                town = rng.choice(vocab.TOWNS)
                pattern = rng.choice(vocab.SERVICE_KINDS[kind]["names"])
                short = org.name.split(" NHS")[0].split(" Council")[0]
                name = pattern.format(a=rng.choice([short, town]), t=town)
                if attempt >= 10:
                    name = f"{name} - {town}"
                if attempt >= 30:
                    name = f"{name} ({rng.choice(vocab.STREETS)})"
                if name not in taken:
                    break
        taken.add(name)
        return name

    def _new_record(self, index: int, rng: random.Random, taken: set[str], next_small: list[int], added_day: int) -> ServiceRecord:
        org_index = self._pick_org(rng, next_small)
        org = self.orgs[org_index]
        kind = org.kind
        cats = list(vocab.SERVICE_KINDS[kind]["cats"])
        rng.shuffle(cats)
        categories = tuple(sorted(cats[: rng.choice([1, 1, 2, 2, 3])]))
        name = self._service_name(rng, org, kind, taken)
        srng = stable_random(self.seed, "record", index)
        faults = self._draw_faults(srng, added_day)
        rules = {f.rule for f in faults if f.start_day == added_day}
        age = self._draw_age(srng, rules)
        date_added_age = None
        traps: list[str] = []
        if "short_description" not in rules and srng.random() < TRAP_RATE:
            traps = srng.sample([t for t in vocab.TRAPS if t != "doubled_phone"], k=srng.choice([1, 1, 2]))
        if "old_added_recent_update" in traps:
            if age is None or age > 300:
                traps.remove("old_added_recent_update")
            else:
                date_added_age = srng.randint(900, 2400)
        quirks = tuple(q for q, rate in QUIRK_RATES.items() if srng.random() < rate)
        if "no_contact_route" in rules:
            quirks = tuple(q for q in quirks if q not in {"doubled_phone", "cf_email", "switchboard_contact"})
        if "doubled_phone" in quirks:
            traps.append("doubled_phone")
        if "undefined" not in quirks and "short_description" in rules and srng.random() < 0.25:
            quirks = (*quirks, "undefined_description")
        record = ServiceRecord(
            index=index,
            sid=opaque_id(self.seed, "service", index),
            oruk_id=str(uuid.UUID(bytes=_digest(self.seed, "oruk", index))),
            name=name,
            org=org_index,
            kind=kind,
            categories=categories,
            added_day=added_day,
            removed_day=added_day + geometric_day(srng, REMOVE_PER_DAY),
            faults=faults,
            traps=tuple(traps),
            quirks=quirks,
            age_days=age,
            date_added_age=date_added_age,
            links=[],
            text_seed=index,
        )
        record.links = self._draw_links(srng, record, org)
        return record

    def _draw_faults(self, rng: random.Random, added_day: int) -> list[Fault]:
        chosen: list[str] = []
        for rule, rate in FAULT_RATES.items():
            if rng.random() < rate:
                chosen.append(rule)
        # Keep planted faults unambiguous.
        if "stale_date" in chosen and "missing_date" in chosen:
            chosen.remove("missing_date")
        if "short_description" in chosen:
            chosen = [r for r in chosen if r not in {"covid_notice", "closure_wording", "past_event", "placeholder_text"}]
        if "no_contact_route" in chosen:
            chosen = [r for r in chosen if r not in {"invalid_phone", "invalid_email", "website_is_directory_page"}]
        if "page_missing" in chosen:
            chosen = ["page_missing"]
        faults = []
        for rule in chosen:
            # Closures and missing pages are not "fixed" by an edit; the rest can be.
            fixable = rule not in {"closure_wording", "page_missing"}
            end = added_day + geometric_day(rng, FAULT_FIX_PER_DAY) if fixable else NEVER
            faults.append(Fault(rule, added_day, end))
        new_day = added_day + geometric_day(rng, NEW_FAULT_PER_DAY)
        new_rule = rng.choice(NEW_FAULT_KINDS)
        if new_rule not in chosen and not ({"no_contact_route", "short_description", "page_missing"} & set(chosen)):
            faults.append(Fault(new_rule, new_day, NEVER))
        return faults

    def _draw_age(self, rng: random.Random, rules: set[str]) -> int | None:
        if "missing_date" in rules:
            return None
        if "stale_date" in rules or "closure_wording" in rules and rng.random() < 0.7:
            return rng.randint(420, 2600)
        # Fresh: far enough from the 365-day line that a month of nights does not cross it.
        return rng.randint(3, 300)

    def _url(self, scheme: str, host: str, path: str) -> str:
        return f"{scheme}://{host}{path}"

    def _path_rng(self, rng: random.Random, host: str) -> random.Random:
        """Where a link's path is drawn from: in a region, the pages of a shared site (the
        big organisations', the region's) are a few the whole region links to."""
        if self.region is None or host not in self._shared_hosts:
            return rng
        return stable_random(self.region, "page", host, rng.randrange(REGIONAL_PAGES_PER_SITE))

    def _page_path(self, rng: random.Random, old: bool = False) -> str:
        pattern = rng.choice(vocab.PATHS_OLD if old else vocab.PATHS_PAGES)
        return pattern.format(y=rng.randint(2015, self.base_today.year - 2), n=rng.randint(10, 9999))

    def _draw_links(self, rng: random.Random, record: ServiceRecord, org: Org) -> list[LinkSlot]:
        rules = record.active_faults(record.added_day)
        if "no_contact_route" in rules:
            return []
        slots: list[tuple[str, Org | None]] = []
        if "website_is_directory_page" not in rules and rng.random() < 0.87:
            slots.append(("website", org))
        for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
            slots.append(("description", org if rng.random() < 0.6 else None))
        if rng.random() < 0.3:
            slots.append(("document", org))
        if rng.random() < 0.25:
            slots.append(("local_offer", org if rng.random() < 0.5 else None))
        if rng.random() < 0.2:
            slots.append(("related", None))
        links = []
        for field_name, target in slots:
            if target is None:
                target = self.orgs[rng.randrange(len(self.orgs))]
            links.append(self._draw_slot(rng, record, field_name, target))
        return links

    def _draw_slot(self, rng: random.Random, record: ServiceRecord, field_name: str, target: Org) -> LinkSlot:
        host_behaviour = target.behaviour
        scheme = "http" if host_behaviour in {"http_only", "insecure", "insecure_redirect"} else "https"
        if host_behaviour in {"unresolvable", "parked", "parked_lander"} and rng.random() < 0.4:
            scheme = "http"
        behaviour = "ok"
        if host_behaviour in WORKING_HOST_BEHAVIOURS:
            roll = rng.random()
            acc = 0.0
            for name, rate in URL_RATES.items():
                acc += rate
                if roll < acc:
                    behaviour = name
                    break
        elif host_behaviour != "normal":
            behaviour = host_behaviour
        prng = self._path_rng(rng, target.host)
        if field_name == "website":
            path = "/" if rng.random() < 0.7 else self._page_path(prng)
        elif field_name == "document":
            path = prng.choice(vocab.PATHS_DOCS).format(y=prng.randint(2019, self.base_today.year), m=prng.randint(1, 9), n=prng.randint(100, 999))
        else:
            path = self._page_path(prng, old=behaviour not in {"ok"} and rng.random() < 0.6)
        if behaviour in URL_RATES and path in {"/"}:
            path = self._page_path(rng, old=True)
        if field_name == "document" and behaviour == "ok":
            behaviour = "document"
        url = self._url(scheme, target.host, path)
        if behaviour == "malformed":
            url = self._malform(rng, scheme, target.host, path)
        slot = LinkSlot(field_name, url, behaviour, anchor=rng.choice(vocab.ANCHORS_INLINE))
        verdict = BEHAVIOURS[behaviour].verdict
        if verdict != "ok":
            slot.fix_day = record.added_day + geometric_day(rng, LINK_FIX_PER_DAY)
            if field_name == "website" and target.behaviour in WORKING_HOST_BEHAVIOURS:
                slot.replacement = self._url(scheme, target.host, "/")
        elif behaviour in {"ok", "document"} and host_behaviour in WORKING_HOST_BEHAVIOURS and path != "/":
            slot.break_day = record.added_day + geometric_day(rng, LINK_BREAK_PER_DAY)
        return slot

    @staticmethod
    def _malform(rng: random.Random, scheme: str, host: str, path: str) -> str:
        shapes = [
            f"{scheme}://{host}:99999{path}",
            f"{scheme}:// {host}{path}",
            f"{scheme}://{host.replace('.', '..', 1)}{path}",
            f"{scheme}://{host.replace('.', ',')}{path}",
        ]
        return rng.choice(shapes)

    def _build_records(self, rng: random.Random) -> None:
        taken: set[str] = set()
        next_small = [len(vocab.BIG_ORGS)]
        for index in range(self.size):
            self.records.append(self._new_record(index, stable_random(self.seed, "svc", index), taken, next_small, 0))
        # Services added on later nights: a few per night, for 60 nights.
        per_day = max(1, round(self.size * ADD_PER_DAY))
        for day in range(1, 61):
            for _ in range(per_day):
                index = len(self.records)
                self.records.append(self._new_record(index, stable_random(self.seed, "svc", index), taken, next_small, day))
        self._plant_near_duplicates(rng)
        self._plant_provider_titles()
        for record in self.records:
            self.by_sid[record.sid] = record.index
            self.by_oruk[record.oruk_id] = record.index

    def _plant_near_duplicates(self, rng: random.Random) -> None:
        day0 = [r for r in self.records[: self.size] if not ({"short_description", "placeholder_text", "page_missing", "no_contact_route"} & r.active_faults(0))]
        pairs = max(1, round(self.size * NEAR_DUPLICATE_PAIR_RATE))
        rng.shuffle(day0)
        for first, second in zip(day0[0:pairs * 2:2], day0[1:pairs * 2:2], strict=False):
            self._make_twin(first, second, rng)

    def _make_twin(self, first: ServiceRecord, second: ServiceRecord, rng: random.Random, name: str | None = None) -> None:
        """``second`` becomes the same service keyed in again by its provider (named
        ``name``, else a variant of the first's name)."""
        second.org = first.org
        second.kind = first.kind
        second.categories = first.categories
        second.text_seed = first.text_seed
        second.twin, first.twin = first.index, second.index
        second.traps = first.traps
        # Text faults would make the pair less alike than a real double entry is.
        keep = {"stale_date", "missing_date", "invalid_postcode", "invalid_phone", "invalid_email"}
        second.faults = [f for f in second.faults if f.rule in keep]
        first.faults = [f for f in first.faults if f.rule in keep]
        org = self.orgs[first.org]
        town = rng.choice(vocab.TOWNS)
        base = first.name.split(" (")[0]
        variant = rng.choice([f"{base} ({town})", f"{base} - {town} sessions", base.replace(" and ", " & ") + " ", f"{base} Group"])
        second.name = variant.strip() if variant.strip() != first.name else f"{base} - {town}"
        if name is not None:
            second.name = name
        srng = stable_random(self.seed, "twinlinks", second.index)
        second.links = [self._draw_slot(srng, second, "website", org)] if first.links else []
        if second.links and first.links:
            second.links[0].url = first.links[0].url if first.links[0].field == "website" else second.links[0].url
            second.links[0].behaviour = first.links[0].behaviour if first.links[0].field == "website" else second.links[0].behaviour
            second.links[0].fix_day, second.links[0].break_day = first.links[0].fix_day, first.links[0].break_day
            second.links[0].replacement = first.links[0].replacement

    def _plant_provider_titles(self) -> None:
        """Titles that carry the provider ("Specialist Nursery Places (Larkspur Family
        Trust)"), as many directories write them. Traps: for two kinds, three small
        organisations each list the same kind of service under one title with their own
        name, the descriptions written from one template, each with its own contacts,
        website, venue and town (two services, never near-duplicates). In the first group
        the name is in brackets and each entry names its provider as organisation; in the
        second ("Title - Provider"), the directory names the council that commissions them
        as the organisation of all three. And one real double entry titled the first way:
        a provider that keyed its entry in twice."""
        rng = stable_random(self.seed, "provider-titles")
        text_faults = {"covid_notice", "closure_wording", "past_event", "short_description", "placeholder_text",
                       "page_missing", "no_contact_route", "website_is_directory_page"}
        by_kind: dict[str, list[ServiceRecord]] = {}
        for record in self.records[: self.size]:
            org = self.orgs[record.org]
            if (record.twin is None and org.index >= len(vocab.BIG_ORGS) and not record.traps
                    and not {f.rule for f in record.faults} & text_faults and "switchboard_contact" not in record.quirks
                    and all(record.live_on(d) for d in range(3))):
                by_kind.setdefault(record.kind, []).append(record)
        kinds = [kind for kind in vocab.PROVIDER_TITLES if len({r.org for r in by_kind.get(kind, [])}) >= 5]
        for number, kind in enumerate(kinds[:2]):
            commissioned = number == 1
            group: list[ServiceRecord] = []
            for record in rng.sample(by_kind[kind], k=len(by_kind[kind])):
                host = self.orgs[record.org].host
                own_site = any(s.field == "website" and (split_url(s.url) or ("", ""))[0] == host for s in record.links)
                if record.org not in {r.org for r in group} and (own_site or not commissioned):
                    group.append(record)
                if len(group) == 3:
                    break
            title = vocab.PROVIDER_TITLES[kind]
            for record in group:
                by_kind[kind].remove(record)
                provider = self.orgs[record.org].name
                record.name = f"{title} - {provider}" if commissioned else f"{title} ({provider})"
                if commissioned:
                    record.listed_org = 0  # vocab.BIG_ORGS[0], the council
                record.text_seed = group[0].text_seed
                record.categories = group[0].categories
                record.template_of = group[0].index
                record.traps = ("provider_title_other_provider",)
        if kinds:
            kind = kinds[-1] if len(kinds) > 2 else kinds[0]
            left = by_kind[kind]
            if len(left) >= 2:
                first, second = rng.sample(left, k=2)
                title = f"{vocab.PROVIDER_TITLES[kind]} ({self.orgs[first.org].name})"
                first.name = title
                self._make_twin(first, second, rng, name=f"{title} ")
                second.name = title

    def _build_hostile(self, rng: random.Random) -> None:
        """Hostile hosts: each linked from one or two services (related links)."""
        hostile_hosts = {
            "trickle": "www.slowdripevents.co.uk",
            "endless_body": "www.northmoor-streaming-radio.co.uk",
            "gzip_bomb": "www.freeholidayclubvouchers.co.uk",
            "private_redirect": "www.moorside-intranet-portal.org.uk",
        }
        second_private = "link.shortpath-redirect.co.uk"
        candidates = [r for r in self.records[: self.size] if "no_contact_route" not in r.active_faults(0) and r.twin is None]
        if not candidates:
            return
        for behaviour, host in [*hostile_hosts.items(), ("private_redirect", second_private)]:
            for record in rng.sample(candidates, k=min(len(candidates), 1 if behaviour == "private_redirect" else 2)):
                path = {"trickle": "/whats-on", "endless_body": "/listen-live", "gzip_bomb": "/claim",
                        "private_redirect": "/login" if host != second_private else "/r/8Jq2x"}[behaviour]
                url = f"https://{host}{path}"
                if any(s.url == url for s in record.links):
                    continue
                record.links.append(LinkSlot("related", url, behaviour, anchor=rng.choice(["more info", "details", "link"])))
                self._hostile_links.append((record.index, behaviour, url))

    def _force_every_behaviour(self, rng: random.Random) -> None:
        """Make sure every URL- and host-level behaviour occurs at least once on day 0."""
        candidates = [
            r for r in self.records[: self.size]
            if r.twin is None and r.links and "no_contact_route" not in r.active_faults(0)
        ]
        if not candidates:
            return

        def host_of(url: str) -> str:
            return url.split("://", 1)[-1].split("/", 1)[0]

        def seen() -> set[str]:
            found = set()
            for record in self.records[: self.size]:
                for slot in record.links:
                    org = self._org_by_host(host_of(slot.url))
                    found.add(org.behaviour if org is not None and slot.behaviour in {"ok", "document"} else slot.behaviour)
            return found

        present = seen()
        changed: set[str] = set()
        for behaviour in list(HOST_RATES):
            if behaviour in present:
                continue
            # Give the behaviour to a small organisation whose own site a service links to.
            for record in rng.sample(candidates, k=len(candidates)):
                org = self.orgs[record.org]
                # Not a regional organisation: its site is the same in every world of the region.
                if (org.host not in self._shared_hosts and org.behaviour == "normal" and org.host not in changed
                        and any(host_of(s.url) == org.host for s in record.links)):
                    org.behaviour = behaviour
                    changed.add(org.host)
                    self._assign_moves(rng)
                    break
        # Host behaviour changed: redraw the slots that point at re-assigned organisations.
        for record in self.records:
            srng = stable_random(self.seed, "reslot", record.index)
            for i, slot in enumerate(record.links):
                owner = self._org_by_host(host_of(slot.url))
                if owner is not None and owner.host in changed and slot.behaviour not in HOSTILE:
                    record.links[i] = self._draw_slot(srng, record, slot.field, owner)
        present = {s.behaviour for r in self.records[: self.size] for s in r.links}
        for behaviour in URL_RATES:
            if behaviour in present:
                continue
            for record in rng.sample(candidates, k=min(30, len(candidates))):
                org = self.orgs[record.org]
                if org.behaviour == "normal":
                    srng = stable_random(self.seed, "force", behaviour, record.index)
                    path = self._page_path(srng, old=True)
                    url = self._url("https", org.host, path)
                    if behaviour == "malformed":
                        url = self._malform(srng, "https", org.host, path)
                    slot = LinkSlot("description", url, behaviour, anchor="find out more",
                                    fix_day=geometric_day(srng, LINK_FIX_PER_DAY))
                    record.links.append(slot)
                    break

    def _plant_mistyped_hrefs(self) -> None:
        """A few description links typed wrongly by the provider, one shape each in turn:
        an extra letter in the scheme, a missing colon, a semicolon, no scheme at all. The
        content manager who fixes one types the address it meant."""
        shapes = (
            lambda url: "htttps" + url[len("https"):],
            lambda url: "hhtps" + url[len("https"):],
            lambda url: url.replace("://", "//", 1),
            lambda url: url.replace("://", ";//", 1),
            lambda url: url.split("://", 1)[1],
        )
        rng = stable_random(self.seed, "mistyped")
        candidates = [
            r for r in self.records[: self.size]
            if r.twin is None and r.links and not ({"page_missing", "no_contact_route"} & r.active_faults(0))
            and self.orgs[r.org].behaviour == "normal" and self.orgs[r.org].name != CLEANED_UP_ORG
        ]
        for number, record in enumerate(rng.sample(candidates, k=min(len(candidates), max(len(shapes), self.size // 80)))):
            org = self.orgs[record.org]
            meant = self._url("https", org.host, self._page_path(rng))
            if any(s.url == meant for s in record.links):
                continue
            written = shapes[number % len(shapes)](meant)
            behaviour = "no_scheme" if "://" not in written and "//" not in written else "mistyped_scheme"
            record.links.append(LinkSlot("description", written, behaviour, anchor=rng.choice(["our website", "find out more", "booking page"]),
                                         fix_day=record.added_day + geometric_day(rng, LINK_FIX_PER_DAY), replacement=meant))
            self.mistyped[written] = meant

    def advice_links(self, index: int) -> list[tuple[str, str, str]]:
        """(url, behaviour, anchor text) of the links on advice page ``index``: the council's
        SEND page, and on every third page a guide the council has since taken down."""
        _, title = self.advice[index]
        links = [(f"https://{vocab.COUNCIL_HOST}/send", "ok", "council website")]
        if index % 3 == 1:
            year = 2018 + index % 5
            links.append((f"https://{vocab.COUNCIL_HOST}/downloads/{slug(title.split('(')[0])}-guide-{year}.pdf", "not_found",
                          f"our {year} guide (PDF)"))
        return links

    def _org_by_host(self, host: str) -> Org | None:
        if not hasattr(self, "_org_host_index"):
            self._org_host_index = {o.host: o for o in self.orgs}
        return self._org_host_index.get(host)

    def org_by_host(self, host: str) -> Org | None:
        """The organisation whose site ``host`` is, if any."""
        return self._org_by_host(host)

    def _build_hosts(self) -> None:
        rng = stable_random(self.seed, "hosts")
        low, high = self.latency_ms
        addresses = {"refused": "127.0.0.2", "self_signed": "127.0.0.3", "unresolvable": None}
        for org in self.orgs:
            behaviour = org.behaviour
            latency = (low, high) if behaviour != "slow" else self.slow_ms
            spread = (rng.randint(low, max(low, (low + high) // 2)), high) if behaviour != "slow" else latency
            self.hosts[org.host] = HostSpec(
                org.host, behaviour, addresses.get(behaviour, "127.0.0.1"), spread, org.moved_to,
                https=behaviour != "http_only",
            )
        for _, behaviour, url in self._hostile_links:
            host = url.split("://", 1)[1].split("/", 1)[0]
            self.hosts[host] = HostSpec(host, behaviour, "127.0.0.1", (low, high))

    # ------------------------------------------------------------------ days
    def date_for(self, day: int) -> date:
        return self.base_today + timedelta(days=day)

    def _day_state(self, day: int) -> DayState:
        listed = [r.index for r in self.records if r.live_on(day)]
        listed.sort(key=lambda i: (self.records[i].name.lower(), i))
        entries: list[tuple[str, int, str]] = []
        advice_every = ADVICE_EVERY
        advice_i = 0
        for position, index in enumerate(listed):
            entries.append(("service", index, f"{self.channel}=0"))
            if "second_channel" in self.records[index].quirks:
                entries.append(("service", index, "familychannel=2_8"))
            if position % advice_every == advice_every // 2 and advice_i < len(self.advice):
                entries.append(("advice", advice_i, f"{self.channel}=0"))
                advice_i += 1
        urls: dict[str, UrlState] = {}
        paths: dict[tuple[str, str], str] = {}
        for index in listed:
            record = self.records[index]
            for slot in self.links_on(record, day):
                url, behaviour = slot
                state = urls.get(url)
                if state is None:
                    state = urls[url] = UrlState(behaviour)
                state.services.append(record.sid)
        for url, state in urls.items():
            if state.behaviour == "ok" and self._transient_candidate(url):
                roll = stable_random(self.seed, "transient", day, url).random()
                if roll < TRANSIENT_RATES["transient_503"]:
                    state.behaviour = "transient_503"
                elif roll < TRANSIENT_RATES["transient_503"] + TRANSIENT_RATES["rate_limited_429"]:
                    state.behaviour = "rate_limited_429"
            key = split_url(url)
            if key is not None:
                paths[key] = state.behaviour
        return DayState(day, self.date_for(day), listed, entries, urls, paths)

    def _transient_candidate(self, url: str) -> bool:
        key = split_url(url)
        if key is None:
            return False
        spec = self.hosts.get(key[0])
        # Not the council's own site: its pages are also the directory's chrome links.
        return spec is not None and spec.behaviour == "normal" and key[1] != "/" and key[0] != vocab.COUNCIL_HOST

    def links_on(self, record: ServiceRecord, day: int) -> list[tuple[str, str]]:
        """(url, behaviour) of the http links on the record's page on ``day``."""
        out = []
        for slot in record.links:
            if day >= slot.fix_day:
                if slot.replacement is None:
                    continue
                out.append((slot.replacement, "ok"))
            elif day >= slot.break_day:
                out.append((slot.url, "not_found"))
            else:
                out.append((slot.url, slot.behaviour))
        return out

    def last_fix_day(self, record: ServiceRecord, day: int) -> int | None:
        """The latest night (<= day) on which someone edited the record."""
        days = [f.end_day for f in record.faults if f.end_day <= day and f.start_day < f.end_day]
        days += [s.fix_day for s in record.links if s.fix_day <= day]
        days += [f.start_day for f in record.faults if 0 < f.start_day <= day and f.start_day > record.added_day]
        if record.added_day < record.plain_from_day <= day:
            days.append(record.plain_from_day)
        return max(days) if days else None

    def updated_on(self, record: ServiceRecord, day: int) -> date | None:
        """The "last updated" date the record shows on ``day`` (None: no date shown)."""
        edited = self.last_fix_day(record, day)
        if edited is not None:
            return self.date_for(edited)
        if record.age_days is None:
            return None
        return self.date_for(record.added_day) - timedelta(days=record.age_days)

    # ------------------------------------------------------------------ lookups
    def record_for(self, sid: str) -> ServiceRecord | None:
        index = self.by_sid.get(sid)
        return self.records[index] if index is not None else None

    def host_names(self) -> list[str]:
        return sorted(self.hosts)

    def stats(self) -> dict[str, Any]:
        return {"services": len(self.state.listed), "hosts": len(self.hosts), "urls": len(self.state.urls)}


def split_url(url: str) -> tuple[str, str] | None:
    """(host, path?query) of a well-formed absolute http(s) URL, else None."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in {"http", "https"} or " " in rest:
        return None
    host, slash, path = rest.partition("/")
    if not host or ":" in host or ".." in host or "," in host:
        return None
    return host.lower(), "/" + path if slash else "/"
