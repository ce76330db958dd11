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
