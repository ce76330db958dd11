"""Content managers: who is told about each service's problems.

A council keeps a mapping CSV (service id or organisation -> manager name and email),
loaded with ``localoffer-audit managers import``. Every service then gets exactly one
manager, in this order:

1. a mapping row for the service's id;
2. a mapping row for its organisation (compared ignoring case and spacing);
3. the service's own contact email, if ``[managers] fallback_to_service_email``;
4. the default owner (the Local Offer team), so nothing falls through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from localoffer_audit.config import Config
from localoffer_audit.parsing.csvimport import (
    CsvRecord,
    ImportFileError,
    ImportProblem,
    NotUtf8Error,
    read_csv_records,
)
from localoffer_audit.errors import AuditError
from localoffer_audit.models import StageResult, StageStatus
from localoffer_audit.parsing.contact_values import check_email
from localoffer_audit.store.totals import open_problem_services
from localoffer_audit.store.managers import (
    MATCH_ORGANISATION,
    MATCH_SERVICE_ID,
    SOURCE_MAPPING,
    ServiceForAssignment,
    replace_mapping,
    services_for_assignment,
    stored_assignments,
)

SOURCE_SERVICE_FIELD = "service_field"
SOURCE_DEFAULT = "default"

REQUIRED_COLUMNS = ("manager_name", "manager_email")
KEY_COLUMNS = (MATCH_SERVICE_ID, MATCH_ORGANISATION)



class MappingFileError(ImportFileError):
    """The mapping CSV cannot be imported; ``problems`` lists every bad line."""


@dataclass(frozen=True, slots=True)
class Manager:
    name: str
    email: str
    # mapping | service_field | default
    source: str


@dataclass(frozen=True, slots=True)
class MappingRow:
    line: int
    match_type: str
    match_value: str
    manager_name: str
    manager_email: str


@dataclass(slots=True)
class ImportResult:
    path: Path
    rows: int
    managers: int
    by_service_id: int
    by_organisation: int
    warnings: list[ImportProblem] = field(default_factory=list)


def is_plausible_email(text: str) -> bool:
    """Mail can be addressed to it: the one contact vocabulary's answer (the content
    rules and the mailto: link check give the same), so no address is refused here that
    the content rules accept, or the other way round."""
    return check_email(text).usable


def normalise_email(text: str) -> str:
    return text.strip().lower()


def normalise_organisation(text: str) -> str:
    """'  Sunny  Days CIC ' and 'sunny days cic' are the same organisation."""
    return " ".join(text.split()).casefold()


def read_mapping_csv(path: Path) -> tuple[list[MappingRow], list[ImportProblem]]:
    """Parse and validate a mapping CSV; raise MappingFileError listing every bad line.

    Returns the rows and warnings (a manager email given two different names).
    """
    try:
        table = read_csv_records(path)
    except FileNotFoundError:
        raise AuditError(f"No mapping file at {path}") from None
    except NotUtf8Error as exc:
        raise MappingFileError(path, [ImportProblem(None, f"{exc}; save it from Excel as 'CSV UTF-8'")]) from exc
    if table.header is None:
        raise MappingFileError(path, [ImportProblem(1, "the file is empty; it needs a header row")])
    missing = table.missing(REQUIRED_COLUMNS)
    if not any(key in table.columns for key in KEY_COLUMNS):
        missing.append("service_id or organisation")
    if missing:
        raise MappingFileError(
            path,
            [ImportProblem(1, f"missing column(s) {', '.join(missing)} in the header (found: {table.header_text()})")],
        )

    problems: list[ImportProblem] = []
    warnings: list[ImportProblem] = []
    rows: list[MappingRow] = []
    seen_keys: dict[tuple[str, str], int] = {}
    names_by_email: dict[str, tuple[str, int]] = {}
    for record in table.records:
        start_line = record.line

        def cell(name: str, record: CsvRecord = record) -> str:
            return table.cell(record, name)

        service_id, organisation = cell(MATCH_SERVICE_ID), cell(MATCH_ORGANISATION)
        name, email = cell("manager_name"), cell("manager_email")
        row_problems = []
        if service_id and organisation:
            row_problems.append("give a service_id or an organisation, not both")
        elif not service_id and not organisation:
            row_problems.append("needs a service_id or an organisation")
        if not name:
            row_problems.append("manager_name is empty")
        if not email:
            row_problems.append("manager_email is empty")
        elif not is_plausible_email(email):
            row_problems.append(f"manager_email {email!r} is not an email address")
        if row_problems:
            problems.extend(ImportProblem(start_line, message) for message in row_problems)
            continue

        match_type = MATCH_SERVICE_ID if service_id else MATCH_ORGANISATION
        match_value = service_id if service_id else normalise_organisation(organisation)
        shown = service_id if service_id else organisation
        earlier = seen_keys.get((match_type, match_value))
        if earlier is not None:
            what = "service id" if match_type == MATCH_SERVICE_ID else "organisation"
            problems.append(ImportProblem(start_line, f"{what} {shown!r} is already mapped on line {earlier}"))
            continue
        seen_keys[(match_type, match_value)] = start_line
        email = normalise_email(email)
        first = names_by_email.setdefault(email, (name, start_line))
        if first[0] != name:
            warnings.append(
                ImportProblem(start_line, f"{email} is called {name!r} here but {first[0]!r} on line {first[1]}; using {first[0]!r}")
            )
        rows.append(MappingRow(start_line, match_type, match_value, names_by_email[email][0], email))
    if problems:
        raise MappingFileError(path, problems)
    if not rows:
        # Importing it would silently move every service to the default owner.
        raise MappingFileError(path, [ImportProblem(
            None, "the file has a header but no mapping rows; importing it would send every service's list to "
            "the default owner ([managers] default_owner_email): add the rows (export the whole sheet), or remove "
            "[managers] mapping_file if the default owner should really get everything")])
    return rows, warnings


def import_mapping(db: Database, path: Path) -> ImportResult:
    """Validate the whole file, then replace the stored mapping in one transaction.

    A file with any bad line imports nothing (MappingFileError lists the lines).
    """
    rows, warnings = read_mapping_csv(path)
    known = {service.id for service in services_for_assignment(db)}
    if known:
        for row in rows:
            if row.match_type == MATCH_SERVICE_ID and row.match_value not in known:
                warnings.append(ImportProblem(row.line, f"service id {row.match_value!r} is not in the database (yet)"))
    managers = {row.manager_email: row.manager_name for row in rows}
    replace_mapping(db, managers, [(r.match_type, r.match_value, r.manager_email, r.line) for r in rows])
    return ImportResult(
        path=path,
        rows=len(rows),
        managers=len(managers),
        by_service_id=sum(1 for r in rows if r.match_type == MATCH_SERVICE_ID),
        by_organisation=sum(1 for r in rows if r.match_type == MATCH_ORGANISATION),
        warnings=sorted(warnings, key=lambda w: w.line or 0),
    )


def refresh_mapping(db: Database, path: Path) -> StageResult:
    """Re-read the council's mapping file, so edits to it reach tonight's worklists.

    A file with bad rows imports nothing (all or nothing) and the previous mapping stays
    in force: the fix lists still go out, and the stage's message says what to correct.
    """
    if not path.exists():
        return StageResult("managers", StageStatus.COMPLETE,
                           message=f"No managers mapping file at {path}: the previous mapping is kept.")
    try:
        result = import_mapping(db, path)
    except AuditError as exc:
        return StageResult("managers", StageStatus.COMPLETE,
                           message=f"The managers mapping was not imported ({exc}); the previous mapping is kept.")
    return StageResult("managers", StageStatus.COMPLETE, {"rows": result.rows, "managers": result.managers})


def default_owner(config: Config) -> Manager:
    return Manager(
        name=config.managers.default_owner_name,
        email=normalise_email(config.managers.default_owner_email),
        source=SOURCE_DEFAULT,
    )


def _manager_from_contacts(service: ServiceForAssignment) -> Manager | None:
    for contact in service.contacts:
        email = (contact.get("email") or "").strip()
        if email.lower().startswith("mailto:"):
            email = email[len("mailto:") :]
        if email and is_plausible_email(email):
            name = (contact.get("name") or "").strip() or service.organisation or service.name
            return Manager(name=name, email=normalise_email(email), source=SOURCE_SERVICE_FIELD)
    return None


def assign_managers(db: Database, config: Config) -> dict[str, Manager]:
    """Service id -> its content manager, for every stored service (see the module doc)."""
    by_service_id: dict[str, Manager] = {}
    by_organisation: dict[str, Manager] = {}
    for assignment in stored_assignments(db):
        manager = Manager(assignment.manager_name, assignment.manager_email, SOURCE_MAPPING)
        if assignment.match_type == MATCH_SERVICE_ID:
            by_service_id[assignment.match_value] = manager
        else:
            by_organisation[normalise_organisation(assignment.match_value)] = manager
    fallback = default_owner(config)
    assigned: dict[str, Manager] = {}
    for service in services_for_assignment(db):
        owner = by_service_id.get(service.id)
        if owner is None and service.organisation:
            owner = by_organisation.get(normalise_organisation(service.organisation))
        if owner is None and config.managers.fallback_to_service_email:
            owner = _manager_from_contacts(service)
        assigned[service.id] = owner or fallback
    return assigned


@dataclass(slots=True)
class ManagerOverview:
    manager: Manager
    services: int


def manager_overview(db: Database, config: Config) -> list[ManagerOverview]:
    """Every manager who owns at least one service, with how many, most services first."""
    counts: dict[str, ManagerOverview] = {}
    for manager in assign_managers(db, config).values():
        entry = counts.setdefault(manager.email, ManagerOverview(manager, 0))
        entry.services += 1
    return sorted(counts.values(), key=lambda o: (-o.services, o.manager.email))


def problem_owners(db: Database, config: Config) -> dict[str, int]:
    """Each content manager with something to fix: email -> open problems on their list.

    The one count of "content managers with something to fix" (the report, the worklist
    index, the emails and the demo print it): the owners of the open problems, the
    default owner included for services nobody else owns.
    """
    assigned = assign_managers(db, config)
    fallback = default_owner(config)
    counts: dict[str, int] = {}
    for service_id in open_problem_services(db):
        email = assigned.get(service_id, fallback).email
        counts[email] = counts.get(email, 0) + 1
    return counts


def content_managers(db: Database, config: Config | None) -> dict[str, str]:
    """Service id -> "Name <email>" of its content manager, as the worklists assign them
    (without a config file only the imported mapping is known, so nothing is guessed)."""
    if config is None:
        return {}
    return {service_id: f"{owner.name} <{owner.email}>" for service_id, owner in assign_managers(db, config).items()}
