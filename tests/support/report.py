"""Shared test helpers (moved from test_report_figures.py)."""

from __future__ import annotations

from pathlib import Path
from sqlite_utils import Database
from localoffer_audit.findings.lifecycle import dismiss_finding
from localoffer_audit.findings.managers import import_mapping
from localoffer_audit.models import RunKind, RunStatus
from localoffer_audit.store.report import count_snapshot
from localoffer_audit.store.runs import finish_run, record_stage, start_run


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
