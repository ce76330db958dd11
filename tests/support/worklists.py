"""Helpers for the managers, worklists and email tests: rows inserted directly.

The findings stage fills these tables in real runs; these tests insert rows with
sqlite-utils so they depend only on the schema.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from localoffer_audit.config import Config, config_from_dict
from localoffer_audit.findings.managers import import_mapping

_ids = itertools.count(1)


def make_config(tmp_path: Path, **sections: dict[str, Any]) -> Config:
    data: dict[str, Any] = {"directory": {"start_urls": ["https://localoffer.example.gov.uk/"]}}
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    data.setdefault("output", {"folder": str(tmp_path / "output")})
    return config_from_dict(data)


def add_service(
    db: Database,
    service_id: str,
    name: str,
    *,
    organisation: str | None = None,
    contacts: list[dict[str, Any]] | None = None,
    state: str = "live",
) -> None:
    db["services"].insert(
        {
            "id": service_id,
            "url": f"https://localoffer.example.gov.uk/service/{service_id}",
            "name": name,
            "organisation": organisation,
            "contacts": json.dumps(contacts or []),
            "state": state,
            "first_seen_at": "2024-01-01T00:00:00+00:00",
            "last_seen_at": "2026-11-24T00:00:00+00:00",
        }
    )


def add_finding(
    db: Database,
    service_id: str,
    rule: str,
    subject: str,
    *,
    severity: str = "high",
    first_seen_at: str = "2026-10-01T02:00:00+00:00",
    status: str = "open",
    confirmed: int = 1,
    title: str | None = None,
    message: str | None = None,
    fix_hint: str = "Check the entry and correct it.",
    evidence_key: str | None = None,
) -> int:
    table = db["findings"]
    table.insert(
        {
            "service_id": service_id,
            "rule": rule,
            "subject": subject,
            "severity": severity,
            "title": title or rule.replace("_", " ").capitalize(),
            "message": message or f"{rule} on {subject}",
            "fix_hint": fix_hint,
            "evidence": "{}",
            "evidence_key": evidence_key or f"key-{next(_ids)}",
            "status": status,
            "confirmed": confirmed,
            "first_seen_at": first_seen_at,
            "last_seen_at": "2026-11-24T02:00:00+00:00",
            "reopened_at": "2026-11-01T02:00:00+00:00" if status == "reopened" else None,
        }
    )
    return int(table.last_pk)  # type: ignore[attr-defined]


def add_link_place(db: Database, service_id: str, url: str, *, field: str, anchor_text: str | None) -> None:
    now = "2026-11-24T00:00:00+00:00"
    db["links"].insert({"url": url, "first_seen_at": now, "last_seen_at": now}, ignore=True)
    db["link_places"].insert(
        {"service_id": service_id, "url": url, "field": field, "element": "a", "attribute": "href", "anchor_text": anchor_text}
    )


def set_status(db: Database, finding_id: int, status: str) -> None:
    db["findings"].update(finding_id, {"status": status})  # type: ignore[union-attr]


def dismiss(db: Database, finding_id: int, *, evidence_key: str | None = None, active: int = 1) -> None:
    key = evidence_key or db["findings"].get(finding_id)["evidence_key"]  # type: ignore[union-attr]
    db["dismissals"].insert(
        {
            "finding_id": finding_id,
            "kind": "false_alarm",
            "reason": "checked by hand",
            "dismissed_by": "tester",
            "at": "2026-11-20T00:00:00+00:00",
            "evidence_key": key,
            "active": active,
        }
    )



HEADER = "service_id,organisation,manager_name,manager_email\n"


def setup_world(db, tmp_path: Path) -> dict[str, int]:
    """Two managers (one by id, one by organisation) and the default owner."""
    add_service(db, "svc-a", "Sunny Days Club", organisation="Sunny Days CIC")
    add_service(db, "svc-b", "Holiday Play Scheme", organisation="Sunny Days CIC")
    add_service(db, "svc-c", "Speech and Language Drop-in", organisation="NHS Trust")
    add_service(db, "svc-d", "Orphan Service", organisation="Nobody")
    mapping = tmp_path / "managers.csv"
    mapping.write_text(HEADER + ",sunny days cic,Sam Smith,sam@sunny.example\nsvc-c,,Priya Patel,priya@nhs.example\n")
    import_mapping(db, mapping)
    add_link_place(db, "svc-a", "https://sunny.example/old", field="website", anchor_text="Visit our   website")
    add_link_place(db, "svc-a", "https://sunny.example/old", field="description", anchor_text="more info")
    ids = {
        "a_broken": add_finding(
            db, "svc-a", "link_broken", "https://sunny.example/old", severity="high",
            first_seen_at="2026-09-01T02:00:00+00:00", title="Broken link",
            message="The link answers 404 Not Found.", fix_hint="Replace the link with the page's new address.",
        ),
        "a_stale": add_finding(
            db, "svc-a", "stale_date", "dates", severity="medium", first_seen_at="2026-06-01T02:00:00+00:00",
            title="Not reviewed for over a year",
        ),
        "a_parked": add_finding(
            db, "svc-a", "link_parked", "https://expired.example/", severity="critical",
            first_seen_at="2026-11-20T02:00:00+00:00", title="Link to a parked domain",
        ),
        "b_old_high": add_finding(
            db, "svc-b", "link_broken", "https://gone.example/", severity="high",
            first_seen_at="2026-01-10T02:00:00+00:00",
        ),
        "c_low": add_finding(db, "svc-c", "link_insecure", "http://nhs.example/", severity="low"),
        "d_missing_contact": add_finding(db, "svc-d", "no_contact_route", "contacts", severity="high"),
        "unconfirmed": add_finding(db, "svc-a", "link_timeout", "https://slow.example/", confirmed=0),
        "fixed": add_finding(db, "svc-a", "link_broken", "https://fixed.example/", status="fixed"),
        "reopened": add_finding(db, "svc-b", "covid_notice", "description", status="reopened", severity="medium"),
        "dismissed": add_finding(db, "svc-b", "placeholder_text", "description", severity="low"),
    }
    dismiss(db, ids["dismissed"])
    return ids
