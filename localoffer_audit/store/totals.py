"""Every total the outputs print, each defined once.

The report, the worklist index, the emails, ``status`` and ``demo`` all print these,
from these queries, with these words (``LABELS``), so the same total never shows as two
numbers (the link total once read 1380, 1020 and 1012 in three places):

- live services: service entries listed in the directory now (``state = 'live'``), not
  its information and advice pages (``extra.page_kind = "advice"``, docs/crawl.md): those
  have no contact, no organisation and no content rules, so counting them as services
  would overstate the directory ("414 live services" for 398 records and 16 guidance
  pages) and put guidance pages into the QA group's sample of service entries;
- information and advice pages: the directory's own guidance pages the crawl read, live
  now, counted apart;
- links: distinct addresses (web links, email addresses, phone numbers) on live entries
  of both kinds (a guidance page's links are checked like a record's), each counted once
  however many entries carry it;
- links needing a fix: distinct addresses a problem on a fix list is about;
- open problems: findings on fix lists now (open or back again, confirmed, not
  dismissed: ``VISIBLE_FINDING``), on any entry still in the store;
- content managers: people in the managers mapping file (``managers`` table). How many
  of them have something to fix is counted from the fix lists themselves
  (findings/managers.py assigns an owner, the default owner included).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlite_utils import Database

from localoffer_audit.store.findings import VISIBLE_FINDING
from localoffer_audit.store.services import ADVICE_PAGE

# Any live entry: a service or an information and advice page.
LIVE = "s.state = 'live'"
LIVE_SERVICE = f"{LIVE} AND NOT {ADVICE_PAGE.format(s='s')}"
LIVE_ADVICE_PAGE = f"{LIVE} AND {ADVICE_PAGE.format(s='s')}"
_LINK_FINDING = "f.rule LIKE 'link\\_%' ESCAPE '\\'"

LABELS = {
    "live_services": "live services",
    "advice_pages": "information and advice pages",
    "links": "links on live services and information and advice pages (distinct web, email and phone addresses)",
    "links_to_fix": "links needing a fix (on a fix list)",
    "open_problems": "open problems (on fix lists)",
    "managers_mapped": "content managers in the mapping file",
}


@dataclass(frozen=True, slots=True)
class Totals:
    live_services: int
    advice_pages: int
    links: int
    links_to_fix: int
    open_problems: int
    managers_mapped: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _one(db: Database, sql: str) -> int:
    return int(db.execute(sql).fetchone()[0] or 0)


def live_service_ids(db: Database) -> set[str]:
    """The live service entries (what the QA group samples and the review counts read),
    without the directory's information and advice pages."""
    return {row[0] for row in db.execute("SELECT s.id FROM services s WHERE " + LIVE_SERVICE).fetchall()}


def entries_and_advice_pages(live_services: int, advice_pages: int) -> str:
    """The live entries in the words every output uses: "398 live services and 16
    information and advice pages" (the pages left unsaid when there are none)."""
    said = f"{live_services:,} live service{'' if live_services == 1 else 's'}"
    if advice_pages:
        said += f" and {advice_pages:,} information and advice page{'' if advice_pages == 1 else 's'}"
    return said


LINKS_ON_LIVE_SERVICES = (
    f"SELECT DISTINCT p.url FROM link_places p JOIN services s ON s.id = p.service_id WHERE {LIVE}"
)


def links_by_verdict(db: Database) -> dict[str, int]:
    """The links total, by the latest verdict of each (``unchecked`` when never checked)."""
    return {
        str(verdict): int(count)
        for verdict, count in db.execute(
            f"SELECT COALESCE(l.verdict, 'unchecked'), COUNT(*) FROM ({LINKS_ON_LIVE_SERVICES}) u "
            "LEFT JOIN links l ON l.url = u.url GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall()
    }


def open_problems_by_severity(db: Database) -> dict[str, int]:
    return {
        str(severity): int(count)
        for severity, count in db.execute(
            f"SELECT f.severity, COUNT(*) FROM findings f WHERE {VISIBLE_FINDING} GROUP BY 1 "
            "ORDER BY CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 "
            "WHEN 'low' THEN 3 ELSE 4 END"
        ).fetchall()
    }


def open_problem_services(db: Database) -> list[str]:
    """The service of each open problem, one row per problem (findings/managers.py counts
    them by owner: the content managers with something to fix)."""
    return [row[0] for row in db.execute(f"SELECT f.service_id FROM findings f WHERE {VISIBLE_FINDING}").fetchall()]


def totals(db: Database) -> Totals:
    return Totals(
        live_services=_one(db, f"SELECT COUNT(*) FROM services s WHERE {LIVE_SERVICE}"),
        advice_pages=_one(db, f"SELECT COUNT(*) FROM services s WHERE {LIVE_ADVICE_PAGE}"),
        links=_one(db, f"SELECT COUNT(*) FROM ({LINKS_ON_LIVE_SERVICES})"),
        links_to_fix=_one(
            db,
            f"SELECT COUNT(DISTINCT f.subject) FROM findings f JOIN services s ON s.id = f.service_id "
            f"WHERE {LIVE} AND {_LINK_FINDING} AND {VISIBLE_FINDING}",
        ),
        open_problems=_one(db, f"SELECT COUNT(*) FROM findings f WHERE {VISIBLE_FINDING}"),
        managers_mapped=_one(db, "SELECT COUNT(*) FROM managers"),
    )
