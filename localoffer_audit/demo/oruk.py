"""The Open Referral UK API of the demo directory, in the v1 and the v3 envelope.

Same services, same night as the FSD pages, with the same free text: the pages' Opening
Times, Session Information and Notes are schedule descriptions (and v3 schedule notes),
their Cost is ``fees`` and ``cost_options``. Quirks as PLATFORMS.md lists them: HTML in
descriptions, ``minimum_age: -1``, placeholder emails at noemail.invalid, ``last_modified``
without a time zone, and listed ids whose ``/services/{id}`` answers 404 (the records
whose FSD page is missing too).
"""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web

from localoffer_audit.demo.views import ServiceView, build_view
from localoffer_audit.demo.world import DemoWorld, stable_random, opaque_id

V1_PATH = "/api/openreferral/v1"
V3_PATH = "/api/openreferral/v3"
PLACEHOLDER_EMAIL = "noemail@noemail.invalid"


def _ordered(world: DemoWorld) -> list[int]:
    return sorted(world.state.listed, key=lambda i: world.records[i].oruk_id)


def oruk_service(world: DemoWorld, view: ServiceView, version: int, full: bool = True) -> dict[str, Any]:
    rng = stable_random(world.seed, "oruk", view.sid)
    record = view.record
    updated = world.updated_on(record, world.day)
    description = "".join(f"<p>{p}</p>" for p in view.paragraphs)
    email = view.emails[0] if view.emails else PLACEHOLDER_EMAIL
    org_id = opaque_id(world.seed, "org", record.org)
    service: dict[str, Any] = {
        "id": view.oruk_id,
        "name": view.name,
        "description": description,
        "url": view.website or "",
        "email": email,
        "status": "active",
        "fees": view.cost or "",
        "organization": {"id": org_id, "name": view.organisation, "url": f"https://{view.org_host}/", "description": ""},
    }
    if version == 1:
        service["assured_date"] = updated.isoformat() if updated else None
    else:
        service["assured_date"] = updated.isoformat() if updated else None
        service["assurer_email"] = "fis@northmoor.gov.uk"
        service["last_modified"] = f"{updated.isoformat()}T{rng.randint(7, 18):02d}:{rng.randint(0, 59):02d}:00" if updated else None
    if not full:
        return service
    phones = [{"id": f"{view.oruk_id}-p{i}", "number": n} for i, n in enumerate(view.phones)]
    contacts = []
    if view.contact_name or phones:
        contacts.append({"id": f"{view.oruk_id}-c0", "name": view.contact_name or "", "title": view.contact_position or "", "phones": phones})
    minimum_age = -1 if view.min_age == 0 or rng.random() < 0.1 else view.min_age
    location = {
        "id": f"{view.oruk_id}-l0",
        "name": view.venue_name or "",
        "latitude": round(53.7 + rng.random() / 5, 5),
        "longitude": round(-1.9 + rng.random() / 5, 5),
        "physical_addresses": [{
            "id": f"{view.oruk_id}-a0",
            "address_1": ", ".join(view.address_lines[:2]),
            "city": view.address_lines[2] if len(view.address_lines) > 2 else "",
            "postal_code": view.postcode or "",
            "country": "GB",
        }] if view.postcode else [],
    }
    taxonomies = [{"id": opaque_id("taxonomy", c), "taxonomy": {"id": c.lower().replace(" ", "-"), "name": c, "vocabulary": "northmoor-local-offer"}} for c in view.categories]
    schedule = _schedules(view, version)
    service.update({
        "accreditations": "",
        "attending_type": "venue" if view.postcode else "phone",
        "deliverable_type": "",
        "contacts": contacts,
        "cost_options": [{"id": f"{view.oruk_id}-cost", "amount_description": view.cost}] if view.cost else [],
        "languages": [{"id": f"{view.oruk_id}-en", "language": "English"}],
        "reviews": [],
    })
    if version == 1:
        service["service_at_locations"] = [{"id": f"{view.oruk_id}-sal", "location": location}] if view.postcode else []
        service["eligibilitys"] = [{"id": f"{view.oruk_id}-e", "minimum_age": minimum_age, "maximum_age": view.max_age}]
        service["regular_schedules"] = schedule
        service["service_taxonomys"] = taxonomies
        service["pc_metadata"] = {"date_modified": service["assured_date"]}
    else:
        service["service_at_locations"] = [{"id": f"{view.oruk_id}-sal", "location": location}] if view.postcode else []
        service["eligibility"] = {"minimum_age": minimum_age, "maximum_age": view.max_age}
        service["schedules"] = schedule
        service["attributes"] = [{"id": f"{view.oruk_id}-at{i}", "taxonomy_term": t["taxonomy"]} for i, t in enumerate(taxonomies)]
    return service


def _schedules(view: ServiceView, version: int) -> list[dict[str, Any]]:
    """The FSD page's Opening Times, Session Information and Notes as schedules.

    Real feeds carry exactly this free text ("Tuesdays 10am-11.30am", "sessions suspended",
    "term-time only until July 2022") in schedule descriptions, so a fault planted in those
    FSD fields shows in both shapes. v1: one ``regular_schedules`` entry per text; v3: the
    notes go in the HSDS 3.0 schedule ``notes`` key.
    """
    texts = [t for t in (view.opening_times, view.session_info) if t]
    if version == 1 and view.notes:
        texts.append(view.notes)
    schedules: list[dict[str, Any]] = [
        {"id": f"{view.oruk_id}-s{i}", "description": text} for i, text in enumerate(texts)
    ]
    if version != 1 and view.notes:
        if not schedules:
            schedules.append({"id": f"{view.oruk_id}-s0", "description": ""})
        schedules[-1]["notes"] = view.notes
    return schedules


def page_of(world: DemoWorld, page: int, per_page: int, version: int, directory_base: str) -> dict[str, Any]:
    ids = _ordered(world)
    total = len(ids)
    pages = max(1, math.ceil(total / per_page))
    chunk = ids[(page - 1) * per_page: page * per_page] if page >= 1 else []
    items = [oruk_service(world, build_view(world, world.records[i], world.day, directory_base), version, full=False) for i in chunk]
    if version == 1:
        return {"totalElements": total, "totalPages": pages, "number": page, "size": per_page,
                "first": page == 1, "last": page >= pages, "content": items}
    return {"total_items": total, "total_pages": pages, "page_number": page, "size": per_page,
            "first_page": page == 1, "last_page": page >= pages, "empty": not items, "contents": items}


def add_routes(app: web.Application, world: DemoWorld) -> None:
    directory = f"/kb5/{world.council}/{world.directory}/"

    def params(request: web.Request) -> tuple[int, int]:
        try:
            page = int(request.query.get("page", "1"))
            per_page = int(request.query.get("per_page", "50"))
        except ValueError as exc:
            raise web.HTTPBadRequest(text="page and per_page must be integers") from exc
        return page, max(1, min(per_page, 200))

    def make(version: int):
        async def listing(request: web.Request) -> web.Response:
            page, per_page = params(request)
            base = f"{request.scheme}://{request.host}{directory}"
            return web.json_response(page_of(world, page, per_page, version, base))

        async def detail(request: web.Request) -> web.Response:
            index = world.by_oruk.get(request.match_info["id"])
            record = world.records[index] if index is not None else None
            if record is None or not record.live_on(world.day) or record.fault_active("page_missing", world.day):
                return web.json_response({"error": "Not Found", "status": 404}, status=404)
            base = f"{request.scheme}://{request.host}{directory}"
            return web.json_response(oruk_service(world, build_view(world, record, world.day, base), version))

        return listing, detail

    async def v3_root(request: web.Request) -> web.Response:
        return web.json_response({"version": "HSDS-UK-3.0", "profile": "https://openreferraluk.org/", "openapi_url": f"{V3_PATH}/openapi.json"})

    v1_list, v1_detail = make(1)
    v3_list, v3_detail = make(3)
    app.router.add_get(f"{V1_PATH}/services", v1_list)
    app.router.add_get(V1_PATH + "/services/{id}", v1_detail)
    app.router.add_get(f"{V3_PATH}/", v3_root)
    app.router.add_get(V3_PATH, v3_root)
    app.router.add_get(f"{V3_PATH}/services", v3_list)
    app.router.add_get(V3_PATH + "/services/{id}", v3_detail)
