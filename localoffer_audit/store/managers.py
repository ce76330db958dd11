"""Content managers as stored: the imported mapping and what assignment reads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from localoffer_audit.store.db import from_json, utc_now

MATCH_SERVICE_ID = "service_id"
MATCH_ORGANISATION = "organisation"
SOURCE_MAPPING = "mapping"


@dataclass(frozen=True, slots=True)
class StoredAssignment:
    match_type: str
    match_value: str
    manager_name: str
    manager_email: str


@dataclass(frozen=True, slots=True)
class ServiceForAssignment:
    id: str
    name: str
    organisation: str | None
    contacts: list[dict[str, Any]] = field(default_factory=list)


def replace_mapping(db: Database, managers: dict[str, str], assignments: Iterable[tuple[str, str, str, int]]) -> None:
    """Replace the whole imported mapping in one transaction.

    ``managers`` is email -> name; ``assignments`` are (match_type, match_value,
    manager_email, source_line). The mapping file is the council's source of truth, so
    an import replaces the previous one rather than merging into it.
    """
    now = utc_now()
    with db.atomic():
        db.execute("DELETE FROM manager_assignments")
        db.execute("DELETE FROM managers WHERE source = ?", [SOURCE_MAPPING])
        for email, name in managers.items():
            db.execute(
                "INSERT INTO managers (email, name, source, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(email) DO UPDATE SET name = excluded.name, source = excluded.source, "
                "updated_at = excluded.updated_at",
                [email, name, SOURCE_MAPPING, now],
            )
        for match_type, match_value, manager_email, source_line in assignments:
            db.execute(
                "INSERT INTO manager_assignments (match_type, match_value, manager_email, source_line, imported_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [match_type, match_value, manager_email, source_line, now],
            )


def stored_assignments(db: Database) -> list[StoredAssignment]:
    rows = db.query(
        "SELECT a.match_type, a.match_value, m.name, m.email FROM manager_assignments a "
        "JOIN managers m ON m.email = a.manager_email ORDER BY a.id"
    )
    return [
        StoredAssignment(
            match_type=row["match_type"],
            match_value=row["match_value"],
            manager_name=row["name"],
            manager_email=row["email"],
        )
        for row in rows
    ]


def services_for_assignment(db: Database) -> list[ServiceForAssignment]:
    """Every stored service, removed ones included: a 'service removed' finding needs an owner too."""
    rows = db.query("SELECT id, name, organisation, contacts FROM services ORDER BY id")
    return [
        ServiceForAssignment(
            id=row["id"],
            name=row["name"],
            organisation=row["organisation"],
            contacts=from_json(row["contacts"], []),
        )
        for row in rows
    ]
