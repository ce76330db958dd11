"""The shared vocabulary: what a crawled service, a link check and a finding are.

Every stage speaks these types; the store turns them into rows and back. Enums are
``StrEnum`` so their values are what the database, CSV files and templates show.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the type only: models imports nothing of the pipeline at run time
    from localoffer_audit.snapshots import PageSnapshot


class RunKind(enum.StrEnum):
    NIGHTLY = "nightly"
    CRAWL = "crawl"
    LINKS = "links"
    CONTENT = "content"


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    COMPLETE = "complete"
    # Finished, but saw too little to be trusted (site down, layout changed, blocked):
    # nothing is marked removed or fixed from an incomplete run.
    INCOMPLETE = "incomplete"
    FAILED = "failed"


class StageStatus(enum.StrEnum):
    """How one stage of a run ended (a run's own status is a RunStatus)."""

    COMPLETE = "complete"
    # Ran, but what it saw is not trusted or not all done: the stages that change
    # findings do not run after an incomplete crawl or link check.
    INCOMPLETE = "incomplete"
    FAILED = "failed"
    # Not run, because an earlier stage failed or was incomplete, or it is switched off.
    SKIPPED = "skipped"
    # A run of a stage on its own (`crawl`, `check`) that has not finished, shown by the
    # run report as that run's one stage.
    RUNNING = "running"


@dataclass(frozen=True, slots=True)
class StageResult:
    """What one stage of a run did: the one shape every stage reports (crawl, links,
    findings, managers, worklists, email), nightly records, and the run report reads.

    Stored in ``runs.stages`` as ``as_record()``; ``from_record`` reads it back.
    """

    name: str
    status: StageStatus
    counts: Mapping[str, Any] = field(default_factory=dict)
    # The stage's own row in ``runs``, when it records one (crawl, links, findings).
    run_id: int | None = None
    # Plain English for the run summary and report: why the stage is incomplete, failed
    # or was skipped, or a note worth reading when it completed.
    message: str | None = None
    # Wall-clock seconds, set by whoever timed the stage (None: not timed).
    seconds: float | None = None

    @property
    def complete(self) -> bool:
        return self.status == StageStatus.COMPLETE

    def timed(self, seconds: float) -> StageResult:
        return replace(self, seconds=seconds)

    def as_record(self) -> dict[str, Any]:
        """The stored row (its keys are the ones runs.stages has always had)."""
        return {
            "stage": self.name,
            "status": str(self.status),
            "seconds": self.seconds,
            "run_id": self.run_id,
            "counts": dict(self.counts),
            "message": self.message,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> StageResult:
        """A stored row read back. A status this version does not know is read as
        failed: a stage is never taken for complete on a row we cannot read."""
        try:
            status = StageStatus(str(record.get("status")))
        except ValueError:
            status = StageStatus.FAILED
        return cls(
            name=str(record.get("stage") or ""),
            status=status,
            counts=dict(record.get("counts") or {}),
            run_id=record.get("run_id"),
            message=record.get("message"),
            # As stored (the report prints it as written: 2, 1.25).
            seconds=record.get("seconds"),
        )


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for the most serious; sort by this to put the worst first."""
        return list(Severity).index(self)


class LinkVerdict(enum.StrEnum):
    """The closed vocabulary of link verdicts (docs/verdicts.md says what each means)."""

    OK = "ok"
    REDIRECTED = "redirected"
    MOVED_OFFSITE = "moved_offsite"
    BROKEN = "broken"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    SOFT_404 = "soft_404"
    PARKED = "parked"
    TLS_ERROR = "tls_error"
    BLOCKED = "blocked"
    INSECURE = "insecure"
    INTERNAL_ADDRESS = "internal_address"
    INVALID_EMAIL = "invalid_email"
    INVALID_PHONE = "invalid_phone"
    # Not checked on purpose (config exclusion) or a scheme we do not check (ftp:, javascript:).
    EXCLUDED = "excluded"
    UNSUPPORTED = "unsupported"

    @classmethod
    def parse(cls, text: str | None) -> LinkVerdict | None:
        """A stored verdict read back; None for a link not checked yet, or for a verdict
        this version does not know (the store warns when it reads one): no rule judges it."""
        try:
            return cls(text) if text else None
        except ValueError:
            return None


class FindingStatus(enum.StrEnum):
    OPEN = "open"
    FIXED = "fixed"
    REOPENED = "reopened"
    # Closed because another finding of the same entry now carries its fix and names it
    # in its evidence (docs/rules.md, "One problem, one finding"): not fixed, never
    # reported as fixed.
    FOLDED = "folded"
    # Closed because the council switched its rule off ([content.rules.<id>] enabled = false):
    # nothing was fixed, so no list or email may say so.
    SWITCHED_OFF = "switched_off"


class ServiceState(enum.StrEnum):
    LIVE = "live"
    # Listed before, not seen by the latest *complete* crawl.
    REMOVED = "removed"
    # Listed, but its own page answered 404/410 (itself a finding).
    PAGE_MISSING = "page_missing"


@dataclass(slots=True)
class Contact:
    name: str | None = None
    position: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(slots=True)
class LinkPlace:
    """One outbound link and exactly where it sits in a service entry.

    ``field`` is the entry's field (``website``, ``description``, ``contact_email``...),
    ``element``/``attribute`` the HTML (or JSON) place it was read from, so a fix list
    can say precisely what to edit.
    """

    url: str
    field: str
    element: str = "a"
    attribute: str = "href"
    anchor_text: str | None = None


@dataclass(slots=True)
class ShownDate:
    """A date printed on a service page, with its label and the text as shown."""

    label: str
    raw: str
    value: date | None = None


# ``ServiceItem.extra["page_kind"]`` of the directory's own information and advice pages
# (crawl/advice.py): stored beside the services, read as pages, never as services.
ADVICE_PAGE_KIND = "advice"


@dataclass(slots=True)
class ServiceItem:
    """One service entry as the crawl saw it (or one of the directory's advice pages)."""

    directory_id: str
    url: str
    name: str
    organisation: str | None = None
    description: str | None = None
    categories: list[str] = field(default_factory=list)
    age_range: str | None = None
    cost: str | None = None
    contacts: list[Contact] = field(default_factory=list)
    website: str | None = None
    address: str | None = None
    postcode: str | None = None
    dates: list[ShownDate] = field(default_factory=list)
    links: list[LinkPlace] = field(default_factory=list)
    # Every labelled field as read, including labels we do not model (kept, not lost).
    fields: dict[str, str] = field(default_factory=dict)
    # HTTP status of the service page itself: 404/410 means the entry vanished.
    http_status: int = 200
    platform: str = ""
    # Platform-specific extras worth keeping (ORUK status, assured_date...).
    extra: dict[str, Any] = field(default_factory=dict)
    content_hash: str = ""

    @property
    def is_advice_page(self) -> bool:
        """The directory's own guidance page, not a service: its links are checked, no
        content rule reads it, its findings go to the Local Offer team."""
        return self.extra.get("page_kind") == ADVICE_PAGE_KIND


@dataclass(slots=True)
class LinkResult:
    """What checking one URL found, with the evidence for the verdict."""

    url: str
    verdict: LinkVerdict
    status_code: int | None = None
    final_url: str | None = None
    redirect_chain: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    elapsed_ms: int | None = None
    attempts: int = 1
    method: str | None = None
    # Hard evidence (404/410/NXDOMAIN) or a failure repeated after a delay.
    confirmed: bool = False
    checked_at: datetime | None = None
    detail: str | None = None
    # Not checked this run (its host was paused after a spike of failures): the verdict
    # is a placeholder and the link keeps its previous state.
    unverified: bool = False
    # The fingerprint of the page answered (2xx pages only), for the safeguarding checks.
    page: PageSnapshot | None = None


@dataclass(slots=True)
class Finding:
    """One problem with one service, as a rule or a link check reports it.

    A finding is identified by (service_id, rule, subject); ``subject`` is the URL or
    the field concerned, so the same rule can report two different links separately.
    """

    service_id: str
    rule: str
    subject: str
    severity: Severity
    title: str
    message: str
    fix_hint: str
    evidence: dict[str, Any] = field(default_factory=dict)
    confirmed: bool = True
