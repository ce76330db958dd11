"""Shared test helpers (moved from test_findings_lifecycle.py)."""

from __future__ import annotations

import json
from typing import Any
from localoffer_audit.models import RunKind, RunStatus
from localoffer_audit.store.db import utc_now
from localoffer_audit.store.runs import finish_run, start_run


HOST = "directory.example.gov.uk"


DESCRIPTION = (
    "A friendly youth club for young people aged 11 to 18 with additional needs. "
    "We meet every Tuesday evening in term time for games, cooking and trips."
)


# Different services need different descriptions, or they are near duplicates of each other.
OTHER_DESCRIPTIONS = [
    DESCRIPTION,
    "Free advice for parents on education, health and care plans, with a helpline and drop-in sessions at the library.",
    "Swimming lessons in a quiet pool for disabled children, with changing places toilets and trained instructors.",
    "Short breaks at weekends for teenagers with complex needs, giving families time to rest and recharge.",
    "Speech and language therapy for children under five, at home, in nurseries or at the health centre.",
]


def put_service(db, service_id: str = "s1", *, state: str = "live", **changes: Any) -> None:
    row = {
        "id": service_id,
        "url": f"https://{HOST}/kb5/x/directory/service.page?id={service_id}",
        "name": f"Youth club {service_id}",
        "organisation": "Northtown Youth Trust",
        "description": OTHER_DESCRIPTIONS[sum(map(ord, service_id)) % len(OTHER_DESCRIPTIONS)],
        "contacts": json.dumps([{"name": "Sam", "phone": "0113 496 0999", "email": "club@northtown-trust.org.uk"}]),
        "website": "https://www.northtown-trust.org.uk/",
        "postcode": "LS1 4AP",
        "dates": json.dumps([{"label": "Last updated", "raw": "02/05/2025", "value": "2025-05-02"}]),
        "fields": "{}",
        "extra": "{}",
        "categories": "[]",
        "http_status": 200,
        "state": state,
        "first_seen_at": utc_now(),
        "last_seen_at": utc_now(),
    }
    for key, value in changes.items():
        row[key] = json.dumps(value) if isinstance(value, list | dict) else value
    db["services"].upsert(row, pk="id")


def crawl(db, status: RunStatus = RunStatus.COMPLETE) -> None:
    """A crawl run that finished with ``status`` (the services are put in place apart)."""
    run_id = start_run(db, RunKind.CRAWL)
    finish_run(db, run_id, status)
