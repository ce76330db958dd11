"""Worklists: each content manager's fix list, as HTML (printable, phone-readable) and CSV.

A worklist holds the manager's visible findings (store/worklists.py says which are
visible) grouped by service, most serious and then oldest first. Each line says where
to edit, the exact link or field, what is wrong, since when and what to do. Compared
with the manager's previous list it also says what is new and what has been fixed.

The escalation digest for the Local Offer team (serious findings open too long, with
their owner and how many reminders went out) is built here too; outputs/mail.py sends it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

from sqlite_utils import Database

from localoffer_audit.config import Config
from localoffer_audit.catalogue import ESCALATE_AT_ONCE
from localoffer_audit.parsing.csvsafe import write_csv
from localoffer_audit.outputs.history import HISTORY_FOLDER, HistoryPages, service_page_name, write_history_pages
from localoffer_audit.findings.managers import Manager, assign_managers, default_owner, normalise_email
from localoffer_audit.models import Severity, StageResult, StageStatus
from localoffer_audit.store.emails import EmailRecord, last_sent_by_manager, reminder_counts, stuck_emails
from localoffer_audit.store.totals import entries_and_advice_pages, totals
from localoffer_audit.store.worklists import (
    FindingRow,
    PlaceRow,
    findings_by_ids,
    latest_worklists,
    manager_names,
    places_of_visible_links,
    record_worklist,
    visible_findings,
)
from localoffer_audit.outputs.templates import render

SERIOUS = (Severity.CRITICAL, Severity.HIGH)
# A message still queued after this many failed attempts is reported in the escalation digest.
STUCK_AFTER_ATTEMPTS = 3

# How an entry's fields are named to a content manager (others: "contact_phone" -> "Contact phone").
FIELD_LABELS = {
    "website": "Website",
    "description": "Description",
    "contact_email": "Contact email",
    "contact_phone": "Contact phone",
    "email": "Email",
    "phone": "Telephone",
    "documents": "Documents",
    "dates": "Dates shown on the page",
    "postcode": "Postcode",
    "address": "Address",
    "name": "Service name",
}

CSV_COLUMNS = [
    "manager_name",
    "manager_email",
    "service_id",
    "service_name",
    "organisation",
    "service_page",
    "edit_page",
    "severity",
    "problem",
    "what_is_wrong",
    "link_or_field",
    "where_on_the_page",
    "open_since",
    "days_open",
    "new_since_last_list",
    "what_to_do",
    "finding_id",
]


ESCALATION_CSV_COLUMNS = [
    "severity",
    "service_id",
    "service_name",
    "service_page",
    "problem",
    "link_or_field",
    "open_since",
    "days_open",
    "owner_name",
    "owner_email",
    "reminders_sent",
    "finding_id",
]


@dataclass(frozen=True, slots=True)
class Baseline:
    """The list a manager saw last (a recorded worklist or the last email sent)."""

    at: str
    finding_ids: frozenset[int]


@dataclass(slots=True)
class WorklistLine:
    finding_id: int
    service_id: str
    service_name: str
    severity: Severity
    rule: str
    title: str
    message: str
    fix_hint: str
    is_link: bool
    # The URL for a link finding; the field (or other thing) concerned otherwise.
    subject: str
    # Human wording of where the link or field sits: "Website field, link text 'Our site'".
    places: list[str]
    open_since: date
    days_open: int
    reopened: bool
    is_new: bool = False

    @property
    def age_text(self) -> str:
        """How long it has been open, as a person says it: "today", "1 day", "85 days"."""
        if self.days_open == 0:
            return "today"
        return f"{self.days_open} day{'' if self.days_open == 1 else 's'}"

    @property
    def subject_label(self) -> str:
        """The subject as a content manager reads it: the URL as it is; a field capitalised
        ("review date" -> "Review date", "contact_email" -> "Contact email")."""
        if self.is_link:
            return self.subject
        if self.subject in FIELD_LABELS or re.fullmatch(r"[a-z_]+", self.subject):
            return _field_label(self.subject)
        return self.subject[:1].upper() + self.subject[1:]


@dataclass(slots=True)
class ServiceGroup:
    service_id: str
    service_name: str
    service_url: str
    edit_url: str | None
    organisation: str | None
    service_state: str
    lines: list[WorklistLine] = field(default_factory=list)
    # The service's history page, relative to the worklist page (files only, not email).
    history_page: str | None = None

    @property
    def organisation_shown(self) -> str | None:
        """The organisation, unless it only repeats the service's name."""
        if not self.organisation or " ".join(self.organisation.split()).casefold() == " ".join(
            self.service_name.split()
        ).casefold():
            return None
        return self.organisation

    @property
    def worst(self) -> Severity:
        return min((line.severity for line in self.lines), key=lambda s: s.rank)


@dataclass(slots=True)
class FixedLine:
    finding_id: int
    service_name: str
    title: str
    subject: str
    fixed_at: str | None


@dataclass(slots=True)
class Worklist:
    manager: Manager
    today: date
    groups: list[ServiceGroup]
    new_lines: list[WorklistLine]
    fixed: list[FixedLine]
    # When the manager's previous list was made; None for a first list.
    previous_at: str | None

    @property
    def lines(self) -> list[WorklistLine]:
        return [line for group in self.groups for line in group.lines]

    @property
    def finding_ids(self) -> list[int]:
        return sorted(line.finding_id for line in self.lines)

    @property
    def has_problems(self) -> bool:
        return bool(self.groups)

    @property
    def severity_counts(self) -> dict[str, int]:
        counts = {str(s): 0 for s in Severity}
        for line in self.lines:
            counts[str(line.severity)] += 1
        return {key: value for key, value in counts.items() if value}

    @property
    def busiest_groups(self) -> list[ServiceGroup]:
        """Services with the most problems first (for the summary at the top of a long list)."""
        return sorted(self.groups, key=lambda group: (-len(group.lines), group.worst.rank, group.service_name))

    @property
    def content_hash(self) -> str:
        """Identifies what the list asks the manager to do; days-open counts are left out
        so the same list on another day hashes the same."""
        payload = [
            [line.finding_id, str(line.severity), line.rule, line.subject, line.title, line.message, line.fix_hint]
            for line in sorted(self.lines, key=lambda item: item.finding_id)
        ]
        text = json.dumps([self.manager.email, payload], ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class WorklistResult:
    manager: Manager
    html_path: Path
    csv_path: Path
    open: int
    new: int
    fixed: int
    services: int


@dataclass(slots=True)
class EscalationItem:
    line: WorklistLine
    service_url: str
    owner: Manager
    reminders: int


def _to_date(timestamp: str) -> date:
    return datetime.fromisoformat(timestamp).date()


def _field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name.replace("_", " ").strip().capitalize() or "Field")


def _describe_place(place: PlaceRow, url: str) -> str:
    where = f"{_field_label(place.field)} field"
    if place.element == "img":
        where += ", an image"
    if place.anchor_text and place.anchor_text.strip():
        where += f", link text \u201c{' '.join(place.anchor_text.split())}\u201d"
    if place.href and place.href != url:
        # What to search for in the entry: the link as written, not its canonical form.
        where += f", written as \u201c{place.href}\u201d"
    return where


def edit_url_for(config: Config, service_id: str) -> str | None:
    template = config.directory.edit_url_template
    return template.replace("{id}", quote(service_id, safe="")) if template else None


def _line(row: FindingRow, places: Mapping[tuple[str, str], list[PlaceRow]], today: date) -> WorklistLine:
    is_link = row.rule.startswith("link_")
    reopened = row.status == "reopened"
    since = _to_date(row.reopened_at if reopened and row.reopened_at else row.first_seen_at)
    described = [_describe_place(p, row.subject) for p in places.get((row.service_id, row.subject), [])] if is_link else []
    try:
        severity = Severity(row.severity)
    except ValueError:
        severity = Severity.MEDIUM
    return WorklistLine(
        finding_id=row.id,
        service_id=row.service_id,
        service_name=row.service_name,
        severity=severity,
        rule=row.rule,
        title=row.title,
        message=row.message,
        fix_hint=row.fix_hint,
        is_link=is_link,
        subject=row.subject,
        places=list(dict.fromkeys(described)),
        open_since=since,
        days_open=max(0, (today - since).days),
        reopened=reopened,
    )


def _line_order(line: WorklistLine) -> tuple[int, date, int]:
    return (line.severity.rank, line.open_since, line.finding_id)


def compute_worklists(
    db: Database,
    config: Config,
    *,
    today: date,
    baselines: Mapping[str, Baseline],
    manager: str | None = None,
    include_idle: bool = False,
) -> list[Worklist]:
    """Every manager's current worklist, compared with their baseline.

    A manager appears when they have something to fix, or something fixed since their
    baseline, or (``include_idle``) when they own any service at all. ``manager``
    limits the answer to one email address.
    """
    wanted = normalise_email(manager) if manager else None
    assigned = assign_managers(db, config)
    places = places_of_visible_links(db)
    known_names = manager_names(db)
    owner = default_owner(config)

    lines_by_manager: dict[str, list[tuple[FindingRow, WorklistLine]]] = {}
    managers: dict[str, Manager] = {}
    for row in visible_findings(db):
        who = assigned.get(row.service_id, owner)
        managers.setdefault(who.email, who)
        lines_by_manager.setdefault(who.email, []).append((row, _line(row, places, today)))
    if include_idle:
        for who in assigned.values():
            managers.setdefault(who.email, who)
    for email in baselines:
        if email not in managers and baselines[email].finding_ids:
            managers[email] = Manager(known_names.get(email, email), email, "previous list")

    previously_listed = {fid for b in baselines.values() for fid in b.finding_ids}
    fixed_rows = {row.id: row for row in findings_by_ids(db, previously_listed) if row.status == "fixed"}

    worklists = []
    for email, who in sorted(managers.items()):
        if wanted is not None and email != wanted:
            continue
        baseline = baselines.get(email)
        groups: dict[str, ServiceGroup] = {}
        for row, line in lines_by_manager.get(email, []):
            line.is_new = baseline is not None and line.finding_id not in baseline.finding_ids
            group = groups.get(row.service_id)
            if group is None:
                group = groups[row.service_id] = ServiceGroup(
                    service_id=row.service_id,
                    service_name=row.service_name,
                    service_url=row.service_url,
                    edit_url=edit_url_for(config, row.service_id),
                    organisation=row.organisation,
                    service_state=row.service_state,
                )
            group.lines.append(line)
        for group in groups.values():
            group.lines.sort(key=_line_order)
        ordered = sorted(
            groups.values(),
            key=lambda g: (g.worst.rank, min(line.open_since for line in g.lines), g.service_name.casefold()),
        )
        current_ids = {line.finding_id for group in ordered for line in group.lines}
        fixed = []
        if baseline is not None:
            for fid in sorted(baseline.finding_ids - current_ids):
                if fid in fixed_rows:
                    row = fixed_rows[fid]
                    fixed.append(FixedLine(fid, row.service_name, row.title, row.subject, row.fixed_at))
        new_lines = sorted((line for group in ordered for line in group.lines if line.is_new), key=_line_order)
        worklists.append(
            Worklist(
                manager=who,
                today=today,
                groups=ordered,
                new_lines=new_lines,
                fixed=fixed,
                previous_at=baseline.at if baseline else None,
            )
        )
    return worklists


def shortened(worklist: Worklist, max_lines: int) -> Worklist:
    """The same list showing only its ``max_lines`` most serious (then oldest) lines.

    For email: a list of hundreds of problems is unreadable in an inbox and too big for
    some mail relays. "New" and "fixed" stay complete.
    """
    if len(worklist.lines) <= max_lines:
        return worklist
    keep = {line.finding_id for line in sorted(worklist.lines, key=_line_order)[:max_lines]}
    groups = []
    for group in worklist.groups:
        lines = [line for line in group.lines if line.finding_id in keep]
        if lines:
            groups.append(dataclasses.replace(group, lines=lines))
    return dataclasses.replace(worklist, groups=groups)


def escalation_items(db: Database, config: Config, *, today: date) -> list[EscalationItem]:
    """Serious findings open at least ``escalate_after_days``, with owner and reminders sent."""
    assigned = assign_managers(db, config)
    owner = default_owner(config)
    places = places_of_visible_links(db)
    reminders = reminder_counts(db)
    items = []
    for row in visible_findings(db):
        line = _line(row, places, today)
        if line.severity in SERIOUS and (line.days_open >= config.email.escalate_after_days or line.rule in ESCALATE_AT_ONCE):
            items.append(
                EscalationItem(line, row.service_url, assigned.get(row.service_id, owner), reminders.get(row.id, 0))
            )
    return sorted(items, key=lambda item: _line_order(item.line))


def file_stem(email: str) -> str:
    """A safe, stable file name for a manager: readable part plus a short hash (no clashes)."""
    readable = re.sub(r"[^a-z0-9]+", "-", email.lower()).strip("-")[:60] or "manager"
    return f"{readable}-{hashlib.sha256(email.encode('utf-8')).hexdigest()[:6]}"


def csv_rows(worklist: Worklist, config: Config) -> list[dict[str, object]]:
    rows = []
    for group in worklist.groups:
        for line in group.lines:
            rows.append(
                {
                    "manager_name": worklist.manager.name,
                    "manager_email": worklist.manager.email,
                    "service_id": group.service_id,
                    "service_name": group.service_name,
                    "organisation": group.organisation or "",
                    "service_page": group.service_url,
                    "edit_page": group.edit_url or "",
                    "severity": str(line.severity),
                    "problem": line.title,
                    "what_is_wrong": line.message,
                    "link_or_field": line.subject_label,
                    "where_on_the_page": "; ".join(line.places),
                    "open_since": line.open_since.isoformat(),
                    "days_open": line.days_open,
                    "new_since_last_list": "yes" if line.is_new else "",
                    "what_to_do": line.fix_hint,
                    "finding_id": line.finding_id,
                }
            )
    return rows


def escalation_csv_rows(items: Sequence[EscalationItem]) -> list[dict[str, object]]:
    return [
        {
            "severity": str(item.line.severity),
            "service_id": item.line.service_id,
            "service_name": item.line.service_name,
            "service_page": item.service_url,
            "problem": item.line.title,
            "link_or_field": item.line.subject_label,
            "open_since": item.line.open_since.isoformat(),
            "days_open": item.line.days_open,
            "owner_name": item.owner.name,
            "owner_email": item.owner.email,
            "reminders_sent": item.reminders,
            "finding_id": item.line.finding_id,
        }
        for item in items
    ]


def render_worklist_html(worklist: Worklist, config: Config) -> str:
    return render(
        "worklist.html",
        worklist=worklist,
        directory_name=config.directory.name,
        generated_at=_stamp(),
    )


def _stamp() -> str:
    return datetime.now(UTC).strftime("%-d %B %Y %H:%M UTC")


def manager_baselines(db: Database, *, exclude_run_id: int | None = None) -> dict[str, Baseline]:
    """The list each manager saw last: the later of their last recorded worklist (written
    by a nightly run) and the last worklist or all-clear email sent to them.

    Worklists and emails use the same baseline, so an email and a worklist of the same
    night never disagree about "since your last list".
    """
    baselines = {
        email: Baseline(stored.created_at, frozenset(stored.finding_ids))
        for email, stored in latest_worklists(db, exclude_run_id=exclude_run_id).items()
    }
    for email, record in last_sent_by_manager(db, ("worklist", "all_clear")).items():
        at = record.sent_at or record.created_at
        current = baselines.get(email)
        if current is None or datetime.fromisoformat(at) >= datetime.fromisoformat(current.at):
            baselines[email] = Baseline(at, frozenset(record.finding_ids))
    return baselines


def worklists_stage_result(results: list[WorklistResult]) -> StageResult:
    """Lists written (a manager whose problems were all fixed still gets one) and, of
    those, the managers with something to fix: the figure the report and demo print."""
    return StageResult("worklists", StageStatus.COMPLETE,
                       {"lists": len(results), "managers_with_problems": sum(1 for r in results if r.open)})


def build_worklists(
    db: Database,
    config: Config,
    *,
    out_dir: Path,
    manager: str | None = None,
    today: date | None = None,
    run_id: int | None = None,
    record: bool = True,
) -> list[WorklistResult]:
    """Write each manager's worklist (HTML and CSV) into ``out_dir`` and record it, so
    the next list can say what is new and what was fixed.

    ``record=False`` (the ``worklists`` command: a preview) writes the files and moves
    no manager's baseline: only lists written by the nightly run, or sent by email,
    change what "since your last list" means.

    Also writes ``index.html`` (every list, for the Local Offer team) and, when
    serious findings have been open too long, ``escalation.html``.
    """
    today = today or datetime.now(UTC).date()
    folder = out_dir
    folder.mkdir(parents=True, exist_ok=True)
    baselines = manager_baselines(db)
    results = []
    # Each card links its service's history page ("since when, who was told"); the
    # pages are written with the full set of lists, so a one-manager preview links
    # only pages already there.
    history: HistoryPages | None = write_history_pages(db, config, folder / HISTORY_FOLDER) if manager is None else None
    for worklist in compute_worklists(db, config, today=today, baselines=baselines, manager=manager):
        for group in worklist.groups:
            page = folder / HISTORY_FOLDER / service_page_name(group.service_id)
            if history is not None or page.exists():
                group.history_page = f"{HISTORY_FOLDER}/{page.name}"
        stem = file_stem(worklist.manager.email)
        html_path = folder / f"{stem}.html"
        csv_path = folder / f"{stem}.csv"
        html_path.write_text(render_worklist_html(worklist, config), encoding="utf-8")
        write_csv(csv_path, CSV_COLUMNS, csv_rows(worklist, config))
        if record:
            record_worklist(db, worklist.manager.email, worklist.finding_ids, worklist.content_hash, run_id)
        results.append(
            WorklistResult(
                manager=worklist.manager,
                html_path=html_path,
                csv_path=csv_path,
                open=len(worklist.lines),
                new=len(worklist.new_lines),
                fixed=len(worklist.fixed),
                services=len(worklist.groups),
            )
        )
    if manager is None:
        escalations = escalation_items(db, config, today=today)
        stuck = stuck_emails(db, STUCK_AFTER_ATTEMPTS)
        counted = totals(db)  # the live entries in the same figures and words as the report
        (folder / "index.html").write_text(
            render(
                "worklist_index.html",
                results=results,
                checked=entries_and_advice_pages(counted.live_services, counted.advice_pages),
                escalations=escalations,
                history_index=f"{HISTORY_FOLDER}/index.html" if history is not None else None,
                directory_name=config.directory.name,
                generated_at=_stamp(),
            ),
            encoding="utf-8",
        )
        digest, digest_csv = folder / "escalation.html", folder / "escalation.csv"
        if escalations or stuck:
            digest.write_text(render_escalation_html(escalations, config, today, stuck), encoding="utf-8")
            write_csv(digest_csv, ESCALATION_CSV_COLUMNS, escalation_csv_rows(escalations))
        else:
            # An old digest must not suggest problems that have since been dealt with.
            digest.unlink(missing_ok=True)
            digest_csv.unlink(missing_ok=True)
    return results


def render_escalation_html(
    items: Sequence[EscalationItem], config: Config, today: date, stuck: Sequence[EmailRecord] = ()
) -> str:
    return render(
        "escalation_email.html",
        items=list(items),
        hidden_items=0,
        stuck=list(stuck),
        today=today,
        escalate_after_days=config.email.escalate_after_days,
        directory_name=config.directory.name,
        generated_at=_stamp(),
    )
