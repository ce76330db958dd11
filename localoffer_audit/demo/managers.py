"""Content managers of the demo directory and the mapping CSV the council keeps.

About a dozen managers. Organisations running many services are mapped by
organisation; most other services by service id; roughly one in ten services has no
row at all (the audit falls back to the default owner for those).
"""

from __future__ import annotations

from pathlib import Path

from localoffer_audit.parsing.csvsafe import write_csv
from localoffer_audit.demo import vocab
from localoffer_audit.demo.world import DemoWorld, ServiceRecord, stable_random

MANAGERS: list[tuple[str, str]] = [
    ("Sarah Hartley", "sarah.hartley@northmoor.gov.uk"),
    ("Imran Hussain", "imran.hussain@northmoor.gov.uk"),
    ("Gemma Sutcliffe", "gemma.sutcliffe@northmoor.gov.uk"),
    ("Owen Metcalfe", "owen.metcalfe@northmoor.gov.uk"),
    ("Priya Patel", "priya.patel@northmoor.gov.uk"),
    ("Rachel Firth", "rachel.firth@northmoor.gov.uk"),
    ("Daniel Crowther", "daniel.crowther@northmoor.gov.uk"),
    ("Yasmin Begum", "yasmin.begum@northmoor.gov.uk"),
    ("Helen Ashworth", "helen.ashworth@northmoorcalder.nhs.uk"),
    ("Tom Lister", "tom.lister@brightpathfamilies.org.uk"),
    ("Niamh Walsh", "niamh.walsh@northmoor.gov.uk"),
    ("Chris Noble", "chris.noble@northmoor-college.ac.uk"),
    ("Zara Khan", "zara.khan@northmoor.gov.uk"),
]
# Organisation -> manager index (the big organisations are mapped as a whole).
ORG_MANAGERS = {0: 0, 1: 8, 2: 8, 3: 9, 4: 9, 5: 1, 6: 11, 7: 2}
UNMAPPED_SHARE = 0.1


def manager_for(world: DemoWorld, record: ServiceRecord) -> tuple[str, str, str] | None:
    """(name, email, 'organisation'|'service_id') of the record's manager, or None."""
    if listed_org(record) in ORG_MANAGERS:
        name, email = MANAGERS[ORG_MANAGERS[listed_org(record)]]
        return name, email, "organisation"
    rng = stable_random(world.seed, "manager", record.index)
    if rng.random() < UNMAPPED_SHARE:
        return None
    # Local officers each look after an area of the directory (by category).
    local = [3, 4, 5, 6, 7, 10, 12, 1, 2]
    name, email = MANAGERS[local[(vocab.CATEGORIES.index(record.categories[0]) + rng.randint(0, 1)) % len(local)]]
    return name, email, "service_id"


def listed_org(record: ServiceRecord) -> int:
    """The organisation the directory names for the record (what a mapping by organisation matches)."""
    return record.listed_org if record.listed_org is not None else record.org


def manager_rows(world: DemoWorld) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for org_index, manager in sorted(ORG_MANAGERS.items()):
        name, email = MANAGERS[manager]
        rows.append({"service_id": "", "organisation": world.orgs[org_index].name, "manager_name": name, "manager_email": email})
    for record in world.records:
        if listed_org(record) in ORG_MANAGERS:
            continue
        found = manager_for(world, record)
        if found is not None:
            rows.append({"service_id": record.sid, "organisation": "", "manager_name": found[0], "manager_email": found[1]})
    return rows


def write_managers_csv(world: DemoWorld, path: Path) -> Path:
    rows = manager_rows(world)
    # Ids starting with '-' come out as "'-..." (csvsafe's formula escape); csvsafe.unescape_cell undoes it.
    write_csv(path, ["service_id", "organisation", "manager_name", "manager_email"], rows)
    return path
