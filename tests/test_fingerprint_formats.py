"""A page fingerprint stored in format 1 (before issue 14) compared with one made today (format 2).

Format 2 keeps phones and postcodes by parsing/contact_values.py: postcodes as "pc:S118AB",
where format 1 kept "pc:s118ab". A baseline written by the earlier code stays in
link_pages until a good check replaces it, so the first nights after an upgrade compare a
format-1 baseline (or an unrechecked format-1 latest snapshot) with entries and format-2
pages. Each snapshot is asked in its own format's spelling (fingerprint.names_provider),
so none of these nights may raise a false ``link_repurposed``, ``link_provider_not_named``
or ``link_harmful_content``; a real takeover is still found. The format-1 snapshots are
the bytes the earlier code wrote (tests/files/fingerprint_v1_*.json), stored through the
real store into a real SQLite file.
"""

from __future__ import annotations

import json
import random
import re
from datetime import date
from pathlib import Path

import pytest

from localoffer_audit.content.rules import RuleContext
from localoffer_audit.findings.safeguarding import safeguarding_findings
from localoffer_audit.links.classify import page_text
from localoffer_audit.links.fingerprint import ProviderIdentity, names_provider, snapshot_of
from localoffer_audit.models import Contact, LinkResult, LinkVerdict, ServiceItem
from localoffer_audit.parsing import contact_values
from localoffer_audit.snapshots import PageSnapshot
from localoffer_audit.store.db import open_db
from localoffer_audit.store.findings import LinkObservation
from localoffer_audit.store.fingerprints import promote_baselines, save_page_snapshots, stored_pages
from tests.support import fingerprint_v1

FILES = Path(__file__).parent / "files"
URL = "https://www.example.org.uk/a"
V1 = json.loads((FILES / "fingerprint_v1_golden.json").read_text(encoding="utf-8"))
V1_PLAIN = json.loads((FILES / "fingerprint_v1_provider_plain.json").read_text(encoding="utf-8"))
# The provider's page (no merger wording), as the earlier code stored it and as it is made now.
PLAIN_MARKUP = V1_PLAIN["pages"]["provider_plain"]
PLAIN_V1 = V1_PLAIN["snapshots"]["provider_plain"]
CONTEXT = RuleContext(today=date(2026, 12, 3))


def _v2(markup: str, url: str = URL) -> PageSnapshot:
    return snapshot_of(url, page_text(markup), cert_subject="CN=www.example.org.uk")


def _service(**identity: object) -> ServiceItem:
    # The organisation's name is nowhere on the page: only its phone or postcode names it.
    return ServiceItem(directory_id="svc-1", url="https://directory.example.gov.uk/service.page?id=1",
                       name="Oak Tree Stay and Play", organisation="Oak Tree Nursery", website=URL, **identity)  # type: ignore[arg-type]


BY_POSTCODE = _service(postcode="S11 8AB")
BY_PHONE = _service(contacts=[Contact(phone="0114 496 0123")])
BY_BOTH = _service(postcode="sw1a 1aa", contacts=[Contact(phone="+44 (0)114 496 0999")])

# What replaced the page in a takeover: another business, another domain, naming nobody.
TAKEOVER = (
    "<!DOCTYPE html><html lang='en'><head><title>Acorn Roofing Leeds | Flat roofs and guttering</title></head><body>"
    "<h1>Roofing contractor</h1><p>Family-run roofing contractor covering Leeds and Wakefield. Free quotes for flat "
    "roofs, slate and tile repairs, fascias, soffits and guttering. Fully insured, with a ten-year guarantee on every "
    "new roof. Emergency call-outs seven days a week. Read our reviews and request a callback today for a survey and "
    "a written quotation with no obligation.</p><footer>Call 0113 496 0777</footer></body></html>"
)


def _night(db_path: Path, service: ServiceItem, *, baseline: PageSnapshot, current: PageSnapshot,
           url: str = URL) -> tuple[list[str], list[str]]:
    """Store a baseline, then a night's latest snapshot, in a real SQLite file; judge the
    night from what the store reads back: (finding rules, URLs whose latest page may
    become the baseline)."""
    db = open_db(db_path)
    with db.atomic():
        save_page_snapshots(db, [(LinkResult(url, LinkVerdict.OK, page=baseline), "2026-11-01T02:00:00+00:00")])
    promote_baselines(db, [url])
    with db.atomic():
        save_page_snapshots(db, [(LinkResult(url, LinkVerdict.OK, page=current), "2026-12-02T02:00:00+00:00")])
    db.close()
    db = open_db(db_path)
    pages = stored_pages(db)
    db.close()
    seen = LinkObservation(service.directory_id, url, "ok", 200, current.final_url, True, "2026-12-02T02:00:00+00:00",
                           None, None, [{"field": "website", "element": "a", "attribute": "href", "anchor_text": None}])
    result = safeguarding_findings(CONTEXT, [service], [seen], pages)
    return [f.rule for f in result.findings], result.good_pages


def test_the_store_keeps_a_format_1_snapshot_as_the_earlier_code_wrote_it(tmp_path: Path) -> None:
    db = open_db(tmp_path / "audit.db")
    with db.atomic():
        save_page_snapshots(db, [(LinkResult(URL, LinkVerdict.OK, page=PageSnapshot.from_json(PLAIN_V1)), "t")])
    row = next(db.query("SELECT current FROM link_pages WHERE url = ?", [URL]))
    assert json.loads(row["current"]) == PLAIN_V1 and "format" not in json.loads(row["current"])
    assert stored_pages(db)[URL].current.format == 1  # type: ignore[union-attr]
    db.close()


@pytest.mark.parametrize("service", [BY_POSTCODE, BY_PHONE, BY_BOTH], ids=["postcode", "phone", "both"])
def test_an_unrechecked_format_1_page_that_names_the_provider_raises_nothing(tmp_path: Path, service: ServiceItem) -> None:
    # The night after an upgrade, before the link is checked again: baseline and latest are format 1.
    stored = PageSnapshot.from_json(PLAIN_V1)
    assert _night(tmp_path / "audit.db", service, baseline=stored, current=stored) == ([], [URL])


@pytest.mark.parametrize("service", [BY_POSTCODE, BY_PHONE, BY_BOTH], ids=["postcode", "phone", "both"])
def test_a_format_1_baseline_and_todays_page_of_the_same_site_raise_nothing(tmp_path: Path, service: ServiceItem) -> None:
    rules, good = _night(tmp_path / "audit.db", service, baseline=PageSnapshot.from_json(PLAIN_V1), current=_v2(PLAIN_MARKUP))
    assert rules == [] and good == [URL]  # and today's page becomes the baseline


def test_a_page_that_dropped_the_postcode_but_kept_its_topic_raises_nothing(tmp_path: Path) -> None:
    # Named before (format 1, by postcode), not now, nothing else changed: "not enough to
    # say it is someone else's". Asked in format 2's spelling, the baseline would seem never
    # to have named them, and this night would raise link_provider_not_named.
    dropped = PLAIN_MARKUP.replace("S11 8AB", "").replace("S1 2AB", "").replace("sw1a1aa", "")
    rules, good = _night(tmp_path / "audit.db", BY_POSTCODE, baseline=PageSnapshot.from_json(PLAIN_V1), current=_v2(dropped))
    assert rules == [] and good == []  # the baseline that named them is kept


def test_a_provider_that_moved_to_a_new_domain_keeping_its_page_raises_nothing(tmp_path: Path) -> None:
    moved = _v2(PLAIN_MARKUP, url="https://www.oaktreenursery.org.uk/")
    assert _night(tmp_path / "audit.db", BY_POSTCODE, baseline=PageSnapshot.from_json(PLAIN_V1), current=moved)[0] == []


def test_a_takeover_after_a_format_1_baseline_is_still_found(tmp_path: Path) -> None:
    taken = _v2(TAKEOVER, url="https://www.acornroofing.co.uk/")
    for service in (BY_POSTCODE, BY_PHONE):
        path = tmp_path / f"{service.postcode or 'phone'}.db"
        assert _night(path, service, baseline=PageSnapshot.from_json(PLAIN_V1), current=taken)[0] == ["link_repurposed"]


def test_harmful_content_is_judged_from_the_page_as_stored_in_either_format(tmp_path: Path) -> None:
    casino_v1 = PageSnapshot.from_json(V1["snapshots"]["casino"])
    casino_v2 = _v2(V1["pages"]["casino"])
    assert casino_v1.harmful == casino_v2.harmful and casino_v1.harmful
    plain_v1 = PageSnapshot.from_json(PLAIN_V1)
    assert _night(tmp_path / "a.db", BY_POSTCODE, baseline=plain_v1, current=casino_v2)[0] == ["link_harmful_content"]
    assert _night(tmp_path / "b.db", BY_POSTCODE, baseline=plain_v1, current=casino_v1)[0] == ["link_harmful_content"]
    assert _night(tmp_path / "c.db", BY_POSTCODE, baseline=casino_v1, current=_v2(PLAIN_MARKUP))[0] == []


IDENTITIES = [
    ProviderIdentity(organisation="Little Acorns"),
    ProviderIdentity(organisation="Oak Tree Nursery"),
    ProviderIdentity(organisation="Oak Tree Nursery", phones=("0114 496 0123",)),
    ProviderIdentity(organisation="Oak Tree Nursery", phones=("+44 114 496 0999",)),
    ProviderIdentity(organisation="Oak Tree Nursery", phones=("0114-496-0555 or 0800 123 4567",)),
    ProviderIdentity(organisation="Oak Tree Nursery", phones=("0113 496 0000",)),
    ProviderIdentity(organisation="Oak Tree Nursery", postcodes=("S11 8AB",)),
    ProviderIdentity(organisation="Oak Tree Nursery", postcodes=("s1 2ab",)),
    ProviderIdentity(organisation="Oak Tree Nursery", postcodes=("SW1A 1AA",)),
    ProviderIdentity(organisation="Oak Tree Nursery", postcodes=("LS1 4AP",)),
]


@pytest.mark.parametrize("identity", IDENTITIES, ids=range(len(IDENTITIES)))
def test_both_formats_of_one_page_name_the_provider_alike(identity: ProviderIdentity) -> None:
    for name in ("provider", "provider_plain"):
        stored = V1["snapshots"].get(name) or PLAIN_V1
        markup = V1["pages"].get(name) or PLAIN_MARKUP
        assert names_provider(PageSnapshot.from_json(stored), identity) == names_provider(_v2(markup), identity), name


def test_a_number_on_a_page_keeps_its_key_except_where_format_1_misread_it() -> None:
    # Format 2's key (contact_values.phone_key) is format 1's for every number read from a
    # page, but two: "0044 ..." (format 1 kept the first ten digits, "0044114496", a number
    # nobody dials) and "+44" with nine digits (format 1 dropped it: +44 16977 2345 is
    # 016977 2345). Neither was ever a key an entry's phone asked for, so a format-1 filter
    # answers every format-2 question it could answer before.
    rng = random.Random(7)
    pieces = ["+44", "(0)", "0114", " 496 ", "0123", "-", ".", "a0", "07700 900123", "(01632) 960123", "+44 (0)", "0044", " "]
    changed = {"0044": 0, "+44 nine digits": 0}
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) if rng.random() < 0.5 else rng.choice("0123456789 +-.()a") for _ in range(30))
        for match in contact_values._PHONE_IN_TEXT.finditer(text):
            old, new = fingerprint_v1.phone_digits(match.group(0)), contact_values.national_phone_key(match.group(0))
            if old == new:
                continue
            digits = re.sub(r"\D", "", match.group(0))
            if match.group(0).startswith("0044") and new is None:
                changed["0044"] += 1
            else:
                assert old is None and match.group(0).startswith("+44") and new == "0" + digits[2:].removeprefix("0"), match.group(0)
                changed["+44 nine digits"] += 1
    assert all(changed.values())  # both kinds were generated, so the test can tell
