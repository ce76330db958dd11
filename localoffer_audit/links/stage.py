"""The link-check stage: pick the links to check, check them, store verdicts with history.

``run_link_checks(db, config)`` records its own run (kind ``links``). It checks every
URL a live service carries, except OK results younger than ``recheck_ok_after_days``
(failures are always checked again), and decides what is *confirmed*:
``links.confirmed = 1`` means the current verdict may go on a fix list.

- Hard evidence (404/410, NXDOMAIN, malformed URL) and deterministic verdicts
  (parked, soft 404, redirected, TLS errors...) are confirmed at once.
- Timeouts, 5xx, resets and refusals are confirmed when they failed again the same way
  (same verdict) on a delayed recheck in this run, or when the previous check failed too (two runs in a row: such
  links get no recheck in the run, nothing would be learnt from it).
- Links whose last check timed out or was slow are checked first (their waits overlap
  the rest of the run).
- A run whose failure share jumps far above the previous run's is treated as a fault of
  the checker or the network first: its *new* failures stay unconfirmed and the run is
  recorded as incomplete, saying why.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlite_utils import Database

from localoffer_audit.config import Config
from localoffer_audit.models import LinkResult, LinkVerdict, RunKind, RunStatus, StageResult, StageStatus
from localoffer_audit.store.links import (
    LinkUpdate,
    StoredLink,
    confirm_link_results,
    host_failure_shares,
    links_of_live_services,
    previous_failure_share,
    resume_checked_since,
    save_link_results,
    set_service_counts,
    slow_or_hanging_urls,
)
from localoffer_audit.store.runs import finish_run, start_run
from localoffer_audit.links.checker import FAILURE_VERDICTS, ProgressCallback, check_urls, is_checker_error, is_time_limited
from localoffer_audit.links.settings import LinkCheckSettings, directory_hosts_to_trust, directory_ports_to_trust, user_agent_for

log = logging.getLogger(__name__)

# Below this many checked web links a failure share says too little to call a spike.
SPIKE_MIN_LINKS = 20
# More links than this left unverified by the checker's own faults make the run incomplete.
CHECKER_ERROR_TOLERANCE = 5
# Results are stored in batches of this many as they come, so a killed run keeps them.
SAVE_BATCH = 100
# A link whose last check took this long (or timed out) is started first.
SLOW_LINK_MS = 1000

class Checker(Protocol):
    """What checks the selected links: ``check_urls`` or a stand-in with its signature (the
    national run answers from its shared cache); typed so that a stand-in that falls behind
    the checker's keywords fails the type check, not a night."""

    def __call__(
        self,
        urls: Sequence[str],
        settings: LinkCheckSettings,
        *,
        progress: ProgressCallback | None = None,
        host_failure_baseline: Mapping[str, float] | None = None,
        on_result: Callable[[LinkResult], None] | None = None,
        first: Collection[str] = (),
        failed_last_time: Collection[str] = (),
    ) -> Awaitable[list[LinkResult]]: ...


@dataclass(slots=True)
class LinkCheckSummary:
    run_id: int
    status: str
    counts: dict[str, Any] = field(default_factory=dict)
    note: str | None = None

    def stage_result(self) -> StageResult:
        # The note says why a check is incomplete (a failure spike) or what was left unverified.
        return StageResult("links", StageStatus(self.status), dict(self.counts), self.run_id, self.note)


def run_link_checks(
    db: Database,
    config: Config,
    *,
    parent_run_id: int | None = None,
    only_failed: bool = False,
    max_age_days: int | None = None,
    progress: Callable[[int, int, LinkResult], None] | None = None,
    settings: LinkCheckSettings | None = None,
    checker: Checker | None = None,
) -> LinkCheckSummary:
    """Check the live services' links and store the results (see the module docstring).

    ``settings`` overrides what the config gives (the command's --concurrency/--per-host).
    ``checker`` replaces ``check_urls`` (same signature): the national run answers from its
    shared link cache, and everything else here stays the same.
    """
    return asyncio.run(
        run_link_checks_async(
            db, config, parent_run_id=parent_run_id, only_failed=only_failed,
            max_age_days=max_age_days, progress=progress, settings=settings, checker=checker,
        )
    )


def settings_for(config: Config) -> LinkCheckSettings:
    return LinkCheckSettings.from_config(
        config.links, user_agent=user_agent_for(config), trusted_hosts=directory_hosts_to_trust(config),
        trusted_ports=directory_ports_to_trust(config),
    )


async def run_link_checks_async(
    db: Database,
    config: Config,
    *,
    parent_run_id: int | None = None,
    only_failed: bool = False,
    max_age_days: int | None = None,
    progress: Callable[[int, int, LinkResult], None] | None = None,
    settings: LinkCheckSettings | None = None,
    now: datetime | None = None,
    checker: Checker | None = None,
) -> LinkCheckSummary:
    """The same as ``run_link_checks``, for callers already inside an event loop."""
    run_id = start_run(db, RunKind.LINKS, parent_run_id=parent_run_id)
    pending: list[LinkUpdate] = []
    try:
        settings = settings or settings_for(config)
        now = now or datetime.now(UTC)
        stored = links_of_live_services(db)
        set_service_counts(db, [(link.url, link.service_count) for link in stored])
        recheck_days = config.links.recheck_ok_after_days if max_age_days is None else max_age_days
        resume_since = None if only_failed else resume_checked_since(db, run_id, now=now)
        to_check, reused = _select(
            stored, only_failed=only_failed, recheck_after=timedelta(days=recheck_days), now=now,
            resume_since=resume_since,
        )
        by_url = {link.url: link for link in to_check}
        stamp = now.isoformat(timespec="seconds")
        checked: list[LinkResult] = []
        updates: list[LinkUpdate] = []
        # New failures are stored unconfirmed until the run ends without a failure spike;
        # then the ones the evidence confirms are confirmed (a killed run confirms none).
        provisional: list[str] = []

        def on_result(result: LinkResult) -> None:
            # Unverified links (a paused site, the checker's own fault, the time limit) are
            # not stored: they keep their previous state, so a checker fault never reaches
            # a fix list.
            if result.unverified:
                return
            link = by_url[result.url]
            update = _update(link, result, stamp, spike=True)
            if not update.confirmed and _update(link, result, stamp, spike=False).confirmed:
                provisional.append(result.url)
            checked.append(result)
            updates.append(update)
            pending.append(update)
            if len(pending) >= SAVE_BATCH:
                save_link_results(db, run_id, pending)
                pending.clear()

        results = await (checker or check_urls)(
            [link.url for link in to_check], settings, progress=progress,
            host_failure_baseline=host_failure_shares(db), on_result=on_result,
            first=slow_or_hanging_urls(db, SLOW_LINK_MS) & set(by_url),
            failed_last_time={link.url for link in to_check if _was_failing(link)},
        )
        save_link_results(db, run_id, pending)
        pending.clear()
        unverified = len(results) - len(checked)
        checker_errors = [r for r in results if is_checker_error(r)]
        time_limited = sum(1 for r in results if is_time_limited(r))
        for result in checker_errors:
            log.warning("link %s left unverified: %s", result.url, result.detail)
        previous = previous_failure_share(db, run_id)
        share, spike_note = _spike(stored, checked, previous, config)
        if spike_note is None and provisional:
            confirm_link_results(db, run_id, provisional)
            confirmed_now = set(provisional)
            updates = [replace(u, confirmed=True) if u.result.url in confirmed_now else u for u in updates]
        counts: dict[str, Any] = dict(sorted(Counter(str(r.verdict) for r in checked).items()))
        counts.update(
            total=len(stored),
            checked=len(checked),
            reused=reused,
            unverified=unverified,
            checker_errors=len(checker_errors),
            time_limited=time_limited,
            confirmed_failures=sum(1 for u in updates if u.confirmed and u.result.verdict in FAILURE_VERDICTS),
            unconfirmed_failures=sum(1 for u in updates if not u.confirmed and u.result.verdict in FAILURE_VERDICTS),
            failure_share=round(share, 4),
        )
        notes = []
        if spike_note:
            notes.append(spike_note)
        paused = unverified - len(checker_errors) - time_limited
        if paused:
            notes.append(f"{paused} links left unverified: their sites were paused after a sudden run of failures")
        if checker_errors:
            notes.append(
                f"{len(checker_errors)} links left unverified because the checker itself failed on them "
                "(a fault of the checker, not of the sites; see the log)"
            )
        if time_limited:
            notes.append(
                f"{time_limited} links not checked: the stage's time limit ([links] max_stage_minutes = "
                f"{config.links.max_stage_minutes:g}) ran out; they keep their previous state"
            )
        if resume_since and reused:
            notes.append(f"resumed an interrupted run: links it already checked since {resume_since} were not checked again")
        note = "; ".join(notes) or None
        incomplete = spike_note or time_limited or len(checker_errors) > CHECKER_ERROR_TOLERANCE
        status = RunStatus.INCOMPLETE if incomplete else RunStatus.COMPLETE
        finish_run(db, run_id, status, counts=counts, note=note)
        return LinkCheckSummary(run_id=run_id, status=str(status), counts=counts, note=note)
    except BaseException as exc:
        # Keep what was checked before the interruption (Ctrl-C, SIGTERM, a checker crash).
        try:
            if pending:
                save_link_results(db, run_id, pending)
        except Exception:  # noqa: BLE001 - the original error is the one to report
            log.exception("could not save the last link results before stopping")
        finish_run(db, run_id, RunStatus.FAILED, note=f"link check failed: {type(exc).__name__}: {exc}")
        raise


def due_links(db: Database, config: Config, now: datetime) -> list[tuple[str, bool]]:
    """The links a link stage starting ``now`` would check, each with whether its previous
    check failed: links/early.py feeds them to the checker while the crawl runs."""
    to_check, _reused = _select(
        links_of_live_services(db), only_failed=False,
        recheck_after=timedelta(days=config.links.recheck_ok_after_days), now=now,
    )
    return [(link.url, _was_failing(link)) for link in to_check]


def _select(
    stored: list[StoredLink], *, only_failed: bool, recheck_after: timedelta, now: datetime,
    resume_since: str | None = None,
) -> tuple[list[StoredLink], int]:
    """The links to check now, and how many recent results are reused instead: OK
    results younger than ``recheck_after``, and any result other than a failure stored
    since ``resume_since`` (by an interrupted run this one resumes)."""
    to_check: list[StoredLink] = []
    reused = 0
    for link in stored:
        is_ok = link.verdict == LinkVerdict.OK
        if only_failed:
            if link.verdict is not None and not is_ok:
                to_check.append(link)
            continue
        if is_ok and link.last_checked_at and _age(link.last_checked_at, now) < recheck_after:
            reused += 1
            continue
        if (
            resume_since
            and link.last_checked_at
            and link.verdict is not None
            and link.verdict not in FAILURE_VERDICTS
            and _after(link.last_checked_at, resume_since)
        ):
            reused += 1
            continue
        to_check.append(link)
    return to_check, reused


def _age(stamp: str, now: datetime) -> timedelta:
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return timedelta.max
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return now - when


def _after(stamp: str, since: str) -> bool:
    try:
        when, start = datetime.fromisoformat(stamp), datetime.fromisoformat(since)
    except ValueError:
        return False
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    return when >= start


def _is_web(url: str) -> bool:
    return urlsplit(url.strip()).scheme.lower() in ("http", "https") if "://" in url else False


def _spike(
    stored: list[StoredLink], checked: list[LinkResult], previous: float | None, config: Config
) -> tuple[float, str | None]:
    """The failure share among all web links of live services after this run (a link not
    checked now keeps its stored verdict), and a note when it is a suspicious jump."""
    now_verdict = {r.url: str(r.verdict) for r in checked}
    web = [link for link in stored if _is_web(link.url)]
    verdicts = [now_verdict.get(link.url, link.verdict) for link in web]
    known = [v for v in verdicts if v is not None]
    failures = sum(1 for v in known if v in FAILURE_VERDICTS)
    share = failures / len(known) if known else 0.0
    if previous is None or len(known) < SPIKE_MIN_LINKS:
        return share, None
    jump = share - previous
    if share > previous * config.links.spike_ratio and jump >= config.links.spike_min_increase:
        return share, (
            f"failure share jumped from {previous:.0%} to {share:.0%}: treated as a checker or network "
            "fault first, so this run's new failures stay unconfirmed (a second run will tell)"
        )
    return share, None


def _was_failing(link: StoredLink) -> bool:
    """Its previous check failed: failing again now confirms it (two runs in a row)."""
    return link.consecutive_failures > 0 and link.verdict in FAILURE_VERDICTS


def _update(link: StoredLink, result: LinkResult, stamp: str, *, spike: bool) -> LinkUpdate:
    failing = result.verdict in FAILURE_VERDICTS
    was_failing = _was_failing(link)
    if failing:
        # Confirmed by hard evidence, a delayed recheck, or the previous run failing too;
        # in a spike run a *new* failure waits for the next run whatever the evidence.
        confirmed = was_failing or (result.confirmed and not spike)
    else:
        confirmed = result.confirmed
    changed = link.verdict != str(result.verdict)
    return LinkUpdate(
        result=result,
        confirmed=confirmed,
        consecutive_failures=link.consecutive_failures + 1 if failing else 0,
        first_failed_at=(link.first_failed_at or stamp) if failing and was_failing else (stamp if failing else None),
        verdict_changed_at=stamp if changed or link.verdict_changed_at is None else link.verdict_changed_at,
        last_ok_at=stamp if result.verdict == LinkVerdict.OK else link.last_ok_at,
        checked_at=stamp,
    )
