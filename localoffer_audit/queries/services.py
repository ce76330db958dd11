"""Services as stored: turning rows back into ServiceItem for the checks and reports."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlite_utils import Database

from ..db import from_json
from ..models import Contact, LinkPlace, ServiceItem, ServiceState, ShownDate


def service_from_row(row: dict[str, Any], links: list[LinkPlace] | None = None) -> ServiceItem:
    return ServiceItem(
        directory_id=row["id"],
        url=row["url"],
        name=row["name"],
        organisation=row["organisation"],
        description=row["description"],
        categories=from_json(row["categories"], []),
        age_range=row["age_range"],
        cost=row["cost"],
        contacts=[Contact(**c) for c in from_json(row["contacts"], [])],
        website=row["website"],
        address=row["address"],
        postcode=row["postcode"],
        dates=[
            ShownDate(label=d["label"], raw=d["raw"], value=date.fromisoformat(d["value"]) if d.get("value") else None)
            for d in from_json(row["dates"], [])
        ],
        links=links or [],
        fields=from_json(row["fields"], {}),
        http_status=row["http_status"] or 200,
        platform=row["platform"] or "",
        extra=from_json(row["extra"], {}),
        content_hash=row["content_hash"] or "",
    )


def live_services(db: Database, *, with_links: bool = True) -> list[ServiceItem]:
    """Every service currently listed (live or with a missing page), links included."""
    places: dict[str, list[LinkPlace]] = {}
    if with_links:
        for place in db.query(
            "SELECT service_id, url, field, element, attribute, anchor_text FROM link_places ORDER BY id"
        ):
            places.setdefault(place["service_id"], []).append(
                LinkPlace(
                    url=place["url"],
                    field=place["field"],
                    element=place["element"],
                    attribute=place["attribute"],
                    anchor_text=place["anchor_text"],
                )
            )
    rows = db.query(
        "SELECT * FROM services WHERE state IN (?, ?) ORDER BY id",
        [str(ServiceState.LIVE), str(ServiceState.PAGE_MISSING)],
    )
    return [service_from_row(row, places.get(row["id"], [])) for row in rows]
