"""The findings lifecycle: what is wrong now, and what changed since the last run.

``run_findings`` gathers every finding the stored state supports (content rules over live
services, service states, confirmed link verdicts, archive candidates, near duplicates)
and reconciles them with the ``findings`` table, one row per (service, rule, subject):

- a finding seen for the first time is ``open``;
- a finding no longer seen by a *complete* run becomes ``fixed`` (``fixed_at``);
- a fixed finding seen again is ``reopened`` (``reopened_at``, ``times_reopened``);
- a finding no longer seen because another finding of the entry now carries its fix
  and names it in ``evidence.folded`` becomes ``folded``, quietly: it is not fixed, so no
  worklist, email or report says so (seen on its own again, it is ``open`` again; once
  nothing carries it and it is not seen, it is ``fixed`` like any other);
- a finding of a rule the config switches off becomes ``switched_off``, not fixed;
- an *incomplete* run (the crawl saw too little to be trusted) adds and refreshes
  findings but never marks one fixed.

Every step is a ``finding_events`` row. ``evidence_key`` is a hash of the evidence that
matters (for a link: verdict, status code and final URL; for content: the offending
value), so a dismissal holds only while the evidence it was made on stays the same.
Everything is written in one transaction: an interrupted run changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from localoffer_audit.catalogue import ALL_RULES
from localoffer_audit.content.entry_rules import (
    archive_candidates,
    link_findings,
    page_missing_findings,
    service_removed,
)
from localoffer_audit.content.rules import RuleContext, check_service, find_near_duplicates
from localoffer_audit.config import Config
from localoffer_audit.parsing.csvimport import ImportFileError, ImportProblem, NotUtf8Error, is_ascii_number, read_csv_records
from localoffer_audit.parsing.csvsafe import escape_cell
from localoffer_audit.store.db import to_json, utc_now
from localoffer_audit.errors import AuditError
from localoffer_audit.models import Finding, FindingStatus, RunKind, RunStatus, ServiceItem, ServiceState, StageResult, StageStatus
from localoffer_audit.store import findings as store
from localoffer_audit.findings.safeguarding import safeguarding_findings
from localoffer_audit.store.fingerprints import promote_baselines, stored_pages
from localoffer_audit.store.runs import finish_run, start_run
from localoffer_audit.store.services import MIN_MISSING_WAVE, MISSING_CONFIRMATIONS, live_services

log = logging.getLogger(__name__)

@dataclass(slots=True)
class FindingsSummary:
    run_id: int
    status: RunStatus
    counts: dict[str, Any] = field(default_factory=dict)
    # The status of the latest finished crawl when the run started; None: no crawl yet.
    crawl_status: str | None = None
    # Why the run is incomplete (the crawl, or a wave of missing pages held for a person).
    note: str | None = None

    def stage_result(self) -> StageResult:
        # Incomplete here means a wave of missing pages held for a person: the note says so.
        return StageResult("findings", StageStatus(self.status), dict(self.counts), self.run_id,
                           self.note if self.status != RunStatus.COMPLETE else None)


@dataclass(slots=True)
class Collected:
    findings: list[Finding]
    # (service id, URL) whose link failed but is not confirmed yet: its findings are
    # neither refreshed nor fixed, so a transient failure cannot close a real one.
    unsettled_links: set[tuple[str, str]]
    # Services whose record page went missing but is not confirmed yet (or whose wave of
    # missing pages is held for a person): none of their findings is marked fixed.
    unsettled_services: set[str] = field(default_factory=set)
    # Links whose latest page may become their baseline (findings/safeguarding.py).
    good_pages: list[str] = field(default_factory=list)
    # Rules the config switches off: their open findings close as switched_off, not fixed.
    switched_off: frozenset[str] = frozenset()


def evidence_key(finding: Finding) -> str:
    """A short stable hash of the evidence that matters for this finding."""
    if finding.rule.startswith("link_"):
        material: Any = {k: finding.evidence.get(k) for k in ("verdict", "status_code", "final_url")}
    else:
        material = finding.evidence.get("value")
    digest = hashlib.sha256(to_json([finding.rule, material]).encode("utf-8")).hexdigest()
    return digest[:16]


# --- gathering ----------------------------------------------------------------------


def rule_context(config: Config, today: date) -> RuleContext:
    return RuleContext.from_start_urls(today, config.content, config.directory.start_urls)


def collect_findings(db: Database, config: Config, today: date) -> Collected:
    context = rule_context(config, today)
    index = store.service_index(db)
    findings: list[Finding] = []
    content_services: list[ServiceItem] = []
    unsettled_services: set[str] = set()
    for service in live_services(db):
        ref = index.get(service.directory_id)
        missing = (ref is not None and ref.state == ServiceState.PAGE_MISSING) or service.http_status in (404, 410)
        if missing and ref is not None and ref.missing_crawls >= MISSING_CONFIRMATIONS:
            findings.extend(page_missing_findings(service, context))
            continue
        if missing:
            # One crawl's 404 is not yet evidence that the page has gone (docs/crawl.md):
            # nothing of the entry is fixed, and its last known content stands meanwhile.
            unsettled_services.add(service.directory_id)
            if ref is None or not ref.read_before_missing:
                continue
        content_services.append(service)
        findings.extend(check_service(service, context))
    findings.extend(find_near_duplicates(content_services, context))
    for ref in index.values():
        if ref.state == ServiceState.REMOVED and context.enabled("service_removed"):
            findings.append(service_removed(context, ref.id, ref.name, ref.url, ref.removed_at))
    observations = store.link_observations(db)
    links, unsettled = link_findings(observations, context, findings)
    guard = safeguarding_findings(context, content_services, observations, stored_pages(db), links)
    links = [f for f in links if (f.service_id, f.subject) not in guard.folded]
    findings.extend(links)
    findings.extend(guard.findings)
    archive = archive_candidates(content_services, links, context)
    # A broken/parked website quoted by an archive candidate is one problem: the candidate
    # carries the fix and the link finding is folded into its evidence (docs/rules.md).
    folded = {(f.service_id, f.evidence["folded"][0]["subject"]) for f in archive if f.evidence.get("folded")}
    findings = [f for f in findings if not (f.rule.startswith("link_") and (f.service_id, f.subject) in folded)]
    findings.extend(archive)
    return Collected(findings=[f for f in findings if context.enabled(f.rule)], unsettled_links=unsettled,
                     unsettled_services=unsettled_services,
                     switched_off=frozenset(rule for rule, setting in context.config.rules.items() if not setting.enabled),
                     good_pages=guard.good_pages)


# --- reconciling --------------------------------------------------------------------



def reconcile(
    db: Database, collected: Collected, *, run_id: int, complete: bool, now: str | None = None
) -> dict[str, int]:
    """Write the run's findings into the lifecycle; returns counts of what changed."""
    now = now or utc_now()
    stored = store.stored_findings(db)
    counts = {"seen": 0, "new": 0, "reopened": 0, "fixed": 0, "folded": 0, "switched_off": 0, "changed": 0,
              "dismissals_lapsed": 0}
    events: list[dict[str, Any]] = []
    seen_keys: set[tuple[str, str, str]] = set()
    updates: list[tuple[int, dict[str, Any]]] = []
    reopened: list[int] = []
    with db.atomic():
        for finding in _unique(collected.findings):
            key = (finding.service_id, finding.rule, finding.subject)
            seen_keys.add(key)
            counts["seen"] += 1
            ev_key = evidence_key(finding)
            values = {
                "severity": str(finding.severity), "title": finding.title, "message": finding.message,
                "fix_hint": finding.fix_hint, "evidence": to_json(finding.evidence), "evidence_key": ev_key,
                "confirmed": int(finding.confirmed), "last_seen_at": now, "last_seen_run": run_id,
            }
            existing = stored.get(key)
            if existing is None:
                finding_id = store.insert_finding(db, {
                    "service_id": finding.service_id, "rule": finding.rule, "subject": finding.subject,
                    **values, "status": str(FindingStatus.OPEN), "first_seen_at": now, "first_seen_run": run_id,
                })
                counts["new"] += 1
                events.append(_event(finding_id, run_id, now, "opened"))
                continue
            if existing.status == FindingStatus.FIXED:
                values.update(status=str(FindingStatus.REOPENED), reopened_at=now, fixed_at=None)
                reopened.append(existing.id)
                counts["reopened"] += 1
                events.append(_event(existing.id, run_id, now, "reopened"))
            elif existing.status in (FindingStatus.FOLDED, FindingStatus.SWITCHED_OFF):
                # Reported on its own again (the finding that carried it went, or its rule
                # was switched off or back on): open, with its history; it was never fixed.
                values.update(status=str(FindingStatus.OPEN))
                again = "unfolded" if existing.status == FindingStatus.FOLDED else "switched_on"
                events.append(_event(existing.id, run_id, now, again))
            if existing.evidence_key != ev_key:
                counts["changed"] += 1
                events.append(_event(existing.id, run_id, now, "evidence_changed"))
                lapsed = store.deactivate_dismissals(db, existing.id, ev_key)
                if lapsed:
                    counts["dismissals_lapsed"] += lapsed
                    events.append(_event(existing.id, run_id, now, "dismissal_lapsed", "the evidence changed"))
            updates.append((existing.id, values))
        store.update_findings(db, updates)
        store.increment_reopened(db, reopened)
        updates = []
        if complete:
            carriers = folded_into(collected.findings)
            for key, existing in stored.items():
                # A folded row is looked at too: once nothing carries it and it is not seen
                # on its own, its problem has gone, and it is fixed like any other; left
                # folded, a return months later would be "listed on its own again", not
                # "back again", and raise no alert.
                if key in seen_keys or existing.status in (FindingStatus.FIXED, FindingStatus.SWITCHED_OFF):
                    continue
                service_id, rule, subject = key
                if rule in collected.switched_off:
                    # The council stopped checking this: the problem may still be there.
                    updates.append((existing.id, {"status": str(FindingStatus.SWITCHED_OFF)}))
                    counts["switched_off"] += 1
                    events.append(_event(existing.id, run_id, now, "switched_off", "its check is switched off in the config"))
                    continue
                if rule.startswith("link_") and (service_id, subject) in collected.unsettled_links:
                    continue
                if service_id in collected.unsettled_services:
                    continue
                carrier = carriers.get(key)
                if carrier is not None:
                    if existing.status == FindingStatus.FOLDED:
                        continue
                    # The problem is still there, on another line: not a fix to announce.
                    updates.append((existing.id, {"status": str(FindingStatus.FOLDED)}))
                    counts["folded"] += 1
                    events.append(_event(existing.id, run_id, now, "folded", f'now part of "{carrier}"'))
                    continue
                updates.append((existing.id, {"status": str(FindingStatus.FIXED), "fixed_at": now}))
                counts["fixed"] += 1
                events.append(_event(existing.id, run_id, now, "fixed"))
        store.update_findings(db, updates)
        if events:
            store.add_events(db, events)
    return counts


def folded_into(findings: Iterable[Finding]) -> dict[tuple[str, str, str], str]:
    """(service, rule, subject) of each finding folded into one of ``findings`` -> the
    title of the finding that carries it now (from ``evidence.folded``)."""
    carriers: dict[tuple[str, str, str], str] = {}
    for finding in findings:
        for note in finding.evidence.get("folded") or []:
            if note.get("rule") and note.get("subject"):
                carriers.setdefault((finding.service_id, str(note["rule"]), str(note["subject"])), finding.title)
    return carriers


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per (service, rule, subject): the first reported wins."""
    seen: dict[tuple[str, str, str], Finding] = {}
    for finding in findings:
        seen.setdefault((finding.service_id, finding.rule, finding.subject), finding)
    return list(seen.values())


def _event(finding_id: int, run_id: int, at: str, event: str, note: str | None = None) -> dict[str, Any]:
    return {"finding_id": finding_id, "run_id": run_id, "at": at, "event": event, "note": note}


def run_findings(
    db: Database,
    config: Config,
    *,
    today: date,
    parent_run_id: int | None = None,
    complete: bool | None = None,
    accept_missing: bool = False,
) -> FindingsSummary:
    """Run the content rules and bring the findings up to date (a run of kind "content").

    ``complete`` defaults to whether the latest crawl run finished complete; an
    incomplete run never marks a finding fixed. A wave of new "service page missing"
    findings is held for a person (the run is incomplete and says why) unless
    ``accept_missing``.
    """
    crawl_status = store.latest_crawl_status(db)
    if complete is None:
        complete = crawl_status == RunStatus.COMPLETE
    run_id = start_run(db, RunKind.CONTENT, parent_run_id=parent_run_id)
    try:
        collected = collect_findings(db, config, today)
        held = [] if accept_missing else hold_missing_wave(db, config, collected)
        counts: dict[str, Any] = dict(reconcile(db, collected, run_id=run_id, complete=complete))
        promote_baselines(db, collected.good_pages)
    except Exception:
        finish_run(db, run_id, RunStatus.FAILED, note="the content rules stopped with an error; findings unchanged")
        raise
    counts["open_by_severity"] = store.open_counts_by_severity(db)
    counts["by_rule"] = _count_by_rule(collected.findings)
    counts["held_missing_pages"] = len(held)
    status = RunStatus.COMPLETE if complete and not held else RunStatus.INCOMPLETE
    note = None
    if not complete:
        why = "no crawl has run yet" if crawl_status is None else "the latest crawl was incomplete"
        note = f"{why}: no finding was marked fixed"
    elif held:
        note = (
            f"{len(held)} service pages went missing at once (more than "
            f"{config.crawl.max_new_missing_findings_ratio:.0%} of the listed services, "
            "[crawl] max_new_missing_findings_ratio): held for a person to check before anyone is told. "
            "Open a few of the pages; if they really have gone, run `localoffer-audit nightly --accept-missing`"
        )
    finish_run(db, run_id, status, counts=counts, note=note)
    return FindingsSummary(run_id=run_id, status=status, counts=counts, crawl_status=crawl_status, note=note)


# The rules that say an entry's own page has gone.
MISSING_PAGE_RULES = ("page_missing", "oruk_detail_missing")


def hold_missing_wave(db: Database, config: Config, collected: Collected) -> list[Finding]:
    """Take a wave of new "service page missing" findings out of ``collected`` (and keep
    those services' findings as they are); returns the wave, or [] when it is small.

    Each of those findings would reach a content manager's inbox; hundreds at once is
    far more often the directory's fault than hundreds of services closing overnight.
    """
    stored = store.stored_findings(db)
    wave = [
        f for f in _unique(collected.findings)
        if f.rule in MISSING_PAGE_RULES
        and ((existing := stored.get((f.service_id, f.rule, f.subject))) is None or existing.status == FindingStatus.FIXED)
    ]
    listed = len(live_services(db, with_links=False))
    if len(wave) <= MIN_MISSING_WAVE or len(wave) <= config.crawl.max_new_missing_findings_ratio * listed:
        return []
    held = {f.service_id for f in wave}
    collected.findings = [f for f in collected.findings if not (f.rule in MISSING_PAGE_RULES and f.service_id in held)]
    collected.unsettled_services |= held
    log.warning("%d new 'service page missing' findings held for a person to check", len(wave))
    return wave


def _count_by_rule(findings: list[Finding]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for finding in _unique(findings):
        counts[finding.rule] = counts.get(finding.rule, 0) + 1
    return dict(sorted(counts.items()))


# --- dismissing ---------------------------------------------------------------------

# "false alarm": the tool is wrong about this; "won't fix": right, but left as it is on purpose.
DISMISSAL_KINDS = ("false_alarm", "wont_fix")
DISMISSAL_CSV_COLUMNS = ("finding_id", "kind", "reason", "dismissed_by")


def known_rule(rule: str) -> bool:
    return rule in ALL_RULES


class FindingsError(AuditError):
    """A dismissal that cannot be recorded (unknown finding, empty reason, bad CSV)."""


class DismissalFileError(ImportFileError, FindingsError):
    """The dismissals CSV has bad rows; ``problems`` lists every one with its line."""


@dataclass(slots=True)
class DismissalRequest:
    finding_id: int
    kind: str
    reason: str
    dismissed_by: str


def _validate_request(request: DismissalRequest) -> str | None:
    if request.kind not in DISMISSAL_KINDS:
        return f"kind must be one of {', '.join(DISMISSAL_KINDS)} (got {request.kind!r})"
    if not request.reason.strip():
        return "a reason is required"
    if not request.dismissed_by.strip():
        return "say who is dismissing it (dismissed_by)"
    return None


def dismiss_findings(db: Database, requests: list[DismissalRequest]) -> list[int]:
    """Record dismissals, all or none; each holds for its finding's current evidence."""
    problems = [f"finding {r.finding_id}: {p}" for r in requests if (p := _validate_request(r))]
    keys = store.evidence_keys(db, [r.finding_id for r in requests])
    problems += [f"no finding with id {r.finding_id}" for r in requests if r.finding_id not in keys]
    if problems:
        raise FindingsError("; ".join(problems))
    return store.insert_dismissals(db, [
        {"finding_id": r.finding_id, "kind": r.kind, "reason": r.reason.strip(),
         "dismissed_by": r.dismissed_by.strip(), "evidence_key": keys[r.finding_id]}
        for r in requests
    ])


def dismiss_finding(db: Database, finding_id: int, *, reason: str, by: str, kind: str = "false_alarm") -> int:
    """Dismiss one finding ("false_alarm" or "wont_fix"); returns the dismissal id."""
    return dismiss_findings(db, [DismissalRequest(finding_id, kind, reason, by)])[0]


@dataclass(slots=True)
class DismissalImport:
    imported: int
    dismissal_ids: list[int]


def _kind(text: str) -> str:
    value = text.strip().lower().replace("'", "").replace("-", "_").replace(" ", "_")
    return {"false_alarm": "false_alarm", "falsealarm": "false_alarm", "false_positive": "false_alarm",
            "wont_fix": "wont_fix", "wontfix": "wont_fix", "will_not_fix": "wont_fix"}.get(value, value)


def import_dismissals(db: Database, path: Path) -> DismissalImport:
    """Dismissals from a CSV (finding_id, kind, reason, dismissed_by): every row is checked
    first and problems are reported with their line numbers; nothing is stored unless all
    rows are good."""
    try:
        table = read_csv_records(path)
    except FileNotFoundError as exc:
        raise FindingsError(f"{path}: no such file") from exc
    except NotUtf8Error as exc:
        raise FindingsError(f"{path}: not UTF-8 text; save it from Excel as 'CSV UTF-8'") from exc
    missing = table.missing(("finding_id", "reason", "dismissed_by"))
    if missing:
        raise FindingsError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(DISMISSAL_CSV_COLUMNS)}")
    requests: list[tuple[int, DismissalRequest]] = []
    problems: list[ImportProblem] = []
    for record in table.records:
        line = record.line
        raw_id = table.cell(record, "finding_id")
        if not is_ascii_number(raw_id):
            problems.append(ImportProblem(line, f"finding_id {raw_id!r} is not a number"))
            continue
        request = DismissalRequest(int(raw_id), _kind(table.cell(record, "kind") or "false_alarm"),
                                   table.cell(record, "reason"), table.cell(record, "dismissed_by"))
        if problem := _validate_request(request):
            problems.append(ImportProblem(line, problem))
        requests.append((line, request))
    known = store.evidence_keys(db, [r.finding_id for _, r in requests])
    problems += [ImportProblem(line, f"no finding with id {r.finding_id}") for line, r in requests if r.finding_id not in known]
    if problems:
        raise DismissalFileError(path, sorted(problems, key=lambda p: p.line or 0))
    ids = dismiss_findings(db, [r for _, r in requests]) if requests else []
    return DismissalImport(imported=len(ids), dismissal_ids=ids)


@dataclass(slots=True)
class DismissalsReport:
    counts: list[store.DismissalCount]
    recent: list[store.DismissalRecord]
    findings_by_rule: dict[str, int]

    def share_dismissed(self, rule: str) -> float:
        """Share of a rule's findings ever dismissed as false alarms (high = the rule needs work)."""
        total = self.findings_by_rule.get(rule, 0)
        false_alarms = sum(c.active + c.lapsed for c in self.counts if c.rule == rule and c.kind == "false_alarm")
        return false_alarms / total if total else 0.0


def dismissals_report(db: Database, *, recent: int = 20) -> DismissalsReport:
    return DismissalsReport(
        counts=store.dismissal_counts(db),
        recent=store.recent_dismissals(db, recent),
        findings_by_rule=store.findings_per_rule(db),
    )


# --- export -------------------------------------------------------------------------

# The stable export format (docs/findings-export.md): add columns at the end, never rename.
EXPORT_COLUMNS = (
    "id", "service_id", "service_url", "service_name", "organisation", "rule", "severity", "subject",
    "title", "detail", "fix_hint", "status", "confirmed", "dismissed", "first_seen", "last_seen",
    "fixed_at", "reopened_at", "times_reopened", "content_manager",
)


def export_record(row: store.FindingRow, content_manager: str | None = None) -> dict[str, Any]:
    """One finding as an export row / JSON object (``content_manager``: "Name <email>"
    of the service's owner, as the worklists assign it)."""
    return {
        "id": row.id, "service_id": row.service_id, "service_url": row.service_url,
        "service_name": row.service_name, "organisation": row.organisation, "rule": row.rule,
        "severity": row.severity, "subject": row.subject, "title": row.title, "detail": row.detail,
        "fix_hint": row.fix_hint, "status": row.status, "confirmed": row.confirmed, "dismissed": row.dismissed,
        "first_seen": row.first_seen_at, "last_seen": row.last_seen_at, "fixed_at": row.fixed_at,
        "reopened_at": row.reopened_at, "times_reopened": row.times_reopened,
        "content_manager": content_manager,
    }


def write_findings_csv(
    rows: Iterable[store.FindingRow], handle: Any, managers: Mapping[str, str] | None = None, *, bom: bool = True
) -> int:
    """Findings as CSV on an open text stream, every cell escaped against spreadsheet formulas.

    Starts with a UTF-8 byte-order mark (as the worklist and QA CSVs do), so Excel reads
    accented names correctly. ``managers``: service id -> "Name <email>".
    """
    if bom:
        handle.write("\ufeff")
    writer = csv.DictWriter(handle, fieldnames=list(EXPORT_COLUMNS), lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        record = export_record(row, (managers or {}).get(row.service_id))
        record["confirmed"] = int(record["confirmed"])
        record["dismissed"] = int(record["dismissed"])
        writer.writerow({key: escape_cell(value) for key, value in record.items()})
        count += 1
    return count


def list_findings(
    db: Database,
    config: Config | None,
    *,
    rule: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    manager: str | None = None,
    service_id: str | None = None,
    include_dismissed: bool = False,
) -> list[store.FindingRow]:
    """Findings for `localoffer-audit findings list` and its exports.

    ``manager`` (an email address) keeps the services that manager owns, as assigned by
    managers.assign_managers (mapping file, organisation, fallbacks).
    """
    if rule and not known_rule(rule):
        raise FindingsError(f"unknown rule {rule!r}; `localoffer-audit rules` lists them")
    rows = store.open_findings(
        db, rule=rule, severity=severity, status=status, service_id=service_id, include_dismissed=include_dismissed
    )
    if manager:
        if config is None:
            raise FindingsError("--manager needs the config file (it says who owns unmapped services)")
        from localoffer_audit.findings.managers import assign_managers

        owners = assign_managers(db, config)
        wanted = manager.strip().lower()
        rows = [r for r in rows if (owner := owners.get(r.service_id)) is not None and owner.email.lower() == wanted]
    return rows
