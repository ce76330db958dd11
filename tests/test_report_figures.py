"""The run summary's figures: each table counts what the database holds, no more.

A small directory is written into a real SQLite file with findings of every kind the
report must leave out (unconfirmed, fixed, dismissed), links of several verdicts and a
managers mapping, then the report's tables are parsed and compared with the counts
worked out here from the rows put in.
"""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup
from sqlite_utils import Database

from localoffer_audit.config import config_from_dict
from localoffer_audit.findings.lifecycle import dismiss_finding
from localoffer_audit.findings.managers import import_mapping
from localoffer_audit.models import RunKind, RunStatus
from localoffer_audit.store.canned import CANNED_QUERIES
from localoffer_audit.store.report import count_snapshot
from localoffer_audit.store.runs import finish_run, record_stage, start_run
from localoffer_audit.outputs.report import write_run_report

CONFIG = {
    "directory": {"start_urls": ["https://directory.example.gov.uk/kb5/x/directory/results.page"]},
    "managers": {"default_owner_name": "Local Offer team", "default_owner_email": "localoffer@council.example"},
}
SEEN = "2026-11-01T02:00:00+00:00"

SERVICES = [
    # id, name, first category, state
    ("s1", "Sunny Days Playgroup", '["Play", "Early years"]', "live"),
    ("s2", "Riverside Speech Therapy", '["Health"]', "live"),
    ("s3", "Parent Carer Forum", "[]", "live"),
    ("s4", "Old Youth Club", '["Play"]', "removed"),
]
# id, service, rule, severity, status, confirmed
FINDINGS = [
    (1, "s1", "link_broken", "high", "open", 1),
    (2, "s1", "stale_date", "medium", "open", 1),
    (3, "s1", "link_parked", "critical", "reopened", 1),
    (4, "s2", "link_broken", "high", "open", 1),
    (5, "s2", "placeholder_text", "low", "open", 1),
    (6, "s3", "stale_date", "medium", "open", 1),
    (7, "s3", "reading_age", "info", "open", 1),
    # Left out of every table: awaiting confirmation, fixed, dismissed below.
    (8, "s2", "link_timeout", "high", "open", 0),
    (9, "s3", "link_broken", "high", "fixed", 1),
    (10, "s1", "closure_wording", "high", "open", 1),
]
DISMISSED = 10
# url, verdict, services carrying it
LINKS = [
    ("https://sunny.example/", "ok", ["s1"]),
    ("https://sunny.example/old", "broken", ["s1", "s2"]),
    ("https://parked.example/", "parked", ["s1"]),
    ("https://speech.example/", "ok", ["s2"]),
    ("https://speech.example/team", "ok", ["s2", "s3"]),
    ("https://forum.example/", "blocked", ["s3"]),
    ("https://gone.example/", "broken", ["s4"]),  # on a removed service only: not counted
]


def build_directory(db: Database, tmp_path: Path) -> int:
    nightly = start_run(db, RunKind.NIGHTLY)
    content = start_run(db, RunKind.CONTENT, parent_run_id=nightly)
    with db.atomic():
        for sid, name, categories, state in SERVICES:
            db["services"].insert({"id": sid, "url": f"https://directory.example.gov.uk/service.page?id={sid}", "name": name,
                                   "organisation": name, "categories": categories, "state": state,
                                   "first_seen_at": SEEN, "last_seen_at": SEEN})
        for fid, sid, rule, severity, status, confirmed in FINDINGS:
            db["findings"].insert({"id": fid, "service_id": sid, "rule": rule, "subject": f"subject {fid}", "severity": severity,
                                   "title": rule, "message": "m", "fix_hint": "h", "status": status, "confirmed": confirmed,
                                   "first_seen_at": SEEN, "last_seen_at": SEEN, "evidence_key": f"k{fid}"})
            db["finding_events"].insert({"finding_id": fid, "run_id": content, "at": SEEN, "event": "fixed" if status == "fixed" else "opened"})
        for url, verdict, carriers in LINKS:
            db["links"].insert({"url": url, "host": url.split("/")[2], "verdict": verdict, "confirmed": 1,
                                "first_seen_at": SEEN, "last_seen_at": SEEN})
            for sid in carriers:
                db["link_places"].insert({"service_id": sid, "url": url, "field": "website", "element": "a", "attribute": "href"})
    dismiss_finding(db, DISMISSED, reason="The closure notice is about a different venue", by="sam@sunny.example")
    mapping = tmp_path / "managers.csv"
    mapping.write_text(
        "service_id,organisation,manager_name,manager_email\n"
        "s1,,Sam Smith,sam@sunny.example\n"
        ",Riverside Speech Therapy,Priya Patel,priya@nhs.example\n",
        encoding="utf-8",
    )
    import_mapping(db, mapping)
    record_stage(db, nightly, {"stage": "crawl", "status": "complete", "counts": {"pages": 12, "listing_cap_reached": False}, "seconds": 2})
    record_stage(db, nightly, {"stage": "findings", "status": "complete", "run_id": content, "counts": {}, "seconds": 1})
    finish_run(db, nightly, RunStatus.COMPLETE, counts={"snapshot": count_snapshot(db)})
    return nightly


def table(soup: BeautifulSoup, table_id: str) -> list[list[str]]:
    return [[cell.get_text(strip=True) for cell in row.find_all("td")] for row in soup.select(f"#{table_id} tbody tr")]


def test_report_tables_count_what_the_database_holds(db: Database, tmp_path: Path) -> None:
    build_directory(db, tmp_path)
    html = write_run_report(db, config_from_dict(CONFIG), tmp_path / "out").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")

    # Stage counts are the numbers; a yes/no flag is not a count.
    assert table(soup, "stages")[0] == ["crawl", "complete", "2", "pages 12"]
    # Open, confirmed, not dismissed: findings 1-7.
    assert table(soup, "by-severity") == [["1", "2", "2", "1", "1"]]  # critical, high, medium, low, info
    assert dict(table(soup, "by-rule")) == {
        "link_broken": "2", "stale_date": "2", "link_parked": "1", "placeholder_text": "1", "reading_age": "1",
    }
    # A service's first category; none given is "Uncategorised". Columns: critical..info, total.
    assert {row[0]: row[1:] for row in table(soup, "by-category")} == {
        "Play": ["1", "1", "1", "0", "0", "3"],
        "Health": ["0", "1", "0", "1", "0", "2"],
        "Uncategorised": ["0", "0", "1", "0", "1", "2"],
    }
    # s1 by its service id, s2 by its organisation, s3 falls to the default owner.
    assert {row[0]: row[-1] for row in table(soup, "by-manager")} == {
        "Sam Smith <sam@sunny.example>": "3",
        "Priya Patel <priya@nhs.example>": "2",
        "Local Offer team <localoffer@council.example>": "2",
    }
    # Distinct links on live services: the removed service's link is not counted.
    assert dict(table(soup, "by-verdict")) == {"ok": "3", "broken": "1", "parked": "1", "blocked": "1"}
    assert table(soup, "changes-fixed") and len(table(soup, "changes-fixed")) == 1


def canned(db: Database, name: str) -> list[tuple]:
    return [tuple(row) for row in db.execute(CANNED_QUERIES[name]["sql"]).fetchall()]


def test_canned_queries_answer_what_the_worklists_would_show(db: Database, tmp_path: Path) -> None:
    build_directory(db, tmp_path)
    # The dismissed finding (10) and the unconfirmed (8) and fixed (9) ones are left out.
    assert canned(db, "open_findings_by_manager") == [
        ("default owner", "medium", 1), ("default owner", "info", 1),
        ("priya@nhs.example", "high", 1), ("priya@nhs.example", "low", 1),
        ("sam@sunny.example", "critical", 1), ("sam@sunny.example", "high", 1), ("sam@sunny.example", "medium", 1),
    ]
    assert sorted(canned(db, "broken_links_by_host")) == [
        ("forum.example", "blocked", 1), ("gone.example", "broken", 1),
        ("parked.example", "parked", 1), ("sunny.example", "broken", 1),
    ]
    assert [(row[0], row[4]) for row in canned(db, "stale_services")] == [("s3", "stale_date"), ("s1", "stale_date")]
