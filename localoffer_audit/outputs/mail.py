"""Emailing worklists: one multipart (text + HTML) message per content manager.

Preview by default: each message is written as an .eml file into ``out_dir`` and logged
as ``preview``;
nothing is sent. With ``send=True`` messages go out over SMTP, with a pause between
them, and every message is logged in the ``emails`` table:

- a message is logged as ``queued`` *before* it is sent and marked ``sent`` after the
  server accepted it, so a failure (refused connection, dropped connection, a 4xx/5xx
  answer) leaves it queued with the error, and the next run retries it;
- if the manager's list changed in the meantime, the queued message is marked
  ``superseded`` and the newer list is sent instead (it holds everything still open);
- a list identical to the last one sent (same content hash) is not sent again until
  ``[email] resend_after_days`` have passed;
- a manager with nothing to fix gets nothing, or an "all clear" with
  ``send_all_clear = true``;
- the default owner (the Local Offer team) also gets an escalation digest of serious
  findings open ``escalate_after_days`` or more, with owner and reminders sent, and of
  messages still queued after several failed attempts (a wrong address, say); it is
  sent last, from the delivery states this run ended with. A message that never reached
  a server (the relay down: "not tried") is not an attempt.

The SMTP password comes only from the environment variable named by
``[email] password_env``; it is never logged or stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import smtplib
import ssl
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from localoffer_audit.config import Config, EmailConfig
from localoffer_audit.errors import AuditError
from localoffer_audit.models import StageResult, StageStatus
from localoffer_audit.findings.managers import Manager, default_owner, normalise_email
from localoffer_audit.store import emails as log
from localoffer_audit.parsing.csvsafe import write_csv
from localoffer_audit.outputs.worklists import (
    CSV_COLUMNS,
    ESCALATION_CSV_COLUMNS,
    STUCK_AFTER_ATTEMPTS,
    EscalationItem,
    Worklist,
    compute_worklists,
    csv_rows,
    escalation_csv_rows,
    escalation_items,
    file_stem,
    manager_baselines,
    shortened,
)
from localoffer_audit.outputs.templates import render

logger = logging.getLogger(__name__)

WORKLIST = "worklist"
ALL_CLEAR = "all_clear"
ESCALATION = "escalation"

# A longer list is cut to its most serious lines in the message, with the whole list
# attached as a CSV spreadsheet.
MAX_EMAIL_LINES = 200

# A list with more problems than this starts with a short summary (counts, the services
# with the most to fix), in both the text and the HTML part.
SUMMARY_AFTER_LINES = 10
SUMMARY_SERVICES = 5

# Per SMTP operation; a server that accepts the connection and then says nothing costs this once.
SMTP_TIMEOUT_SECONDS = 30.0

# Outcome statuses beyond the logged ones: a list not re-sent because nothing changed.
UNCHANGED = "unchanged"


class SendError(Exception):
    """One message could not be handed to the SMTP server.

    ``tried`` is False when the message never reached a server (the relay could not be
    reached, or was already known to be unreachable this run): that is not an attempt
    of this message, so a relay outage never makes a list look "stuck".
    """

    def __init__(self, message: str, *, tried: bool = True) -> None:
        super().__init__(message)
        self.tried = tried


@dataclass(slots=True)
class PreparedEmail:
    kind: str
    to: Manager
    subject: str
    text: str
    html: str
    content_hash: str
    finding_ids: list[int]
    # (file name, CSV bytes) attached to the message.
    attachments: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass(slots=True)
class EmailOutcome:
    kind: str
    manager_email: str
    subject: str
    # preview | sent | queued (attempt failed, will be retried) | unchanged
    status: str
    eml_path: Path | None = None
    error: str | None = None
    # In preview: --send would not send this now (same list sent recently).
    unchanged_since_last_sent: bool = False


@dataclass(slots=True)
class EmailRunSummary:
    send: bool
    outcomes: list[EmailOutcome] = field(default_factory=list)
    superseded: int = 0
    # Why the mail server could not be reached this run (None: it could, or was not needed).
    unreachable: str | None = None
    # Things the admin should fix in the config (addresses that cannot receive mail).
    warnings: list[str] = field(default_factory=list)

    @property
    def not_delivered(self) -> int:
        """Messages this run should have delivered and did not (they stay queued)."""
        return sum(1 for outcome in self.outcomes if outcome.status == log.QUEUED)

    @property
    def delivered(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == log.SENT)

    def problem(self) -> str | None:
        """Why this run's email cannot be called complete, in one sentence (None: it can).

        The relay could not be reached, or nothing this run tried to deliver got through.
        One refused address among delivered lists is that address's problem: it stays
        queued, and the escalation digest names it after repeated failures.
        """
        if not self.send or not self.not_delivered:
            return None
        waiting = _plural(self.not_delivered, "message")
        if self.unreachable:
            return f"the mail server could not be reached ({self.unreachable}); {waiting} stay queued for the next run"
        if not self.delivered:
            return f"no message could be delivered; {waiting} stay queued for the next run"
        return None

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        if self.superseded:
            counts["superseded"] = self.superseded
        return counts

    def stage_result(self) -> StageResult:
        """A night whose email could not go out (the relay down, or nothing delivered) is
        not complete; messages left queued and config warnings are its note."""
        problem = self.problem()
        if problem is not None:
            return StageResult("email", StageStatus.INCOMPLETE, self.counts, message=f"Email not delivered: {problem}")
        queued = self.not_delivered if self.send else 0
        notes = [f"{queued} message(s) could not be sent and stay queued for the next run"] if queued else []
        return StageResult("email", StageStatus.COMPLETE, self.counts, message="; ".join([*notes, *self.warnings]) or None)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _hash(payload: object) -> str:
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()


def _one_line(text: str) -> str:
    # Names come from CSV cells and web pages; a line break in a header would break the message.
    return " ".join(text.split())


def worklist_email(worklist: Worklist, config: Config) -> PreparedEmail:
    directory = config.directory.name
    subject = f"{directory}: {_plural(len(worklist.lines), 'problem')} to fix in your services"
    if worklist.new_lines:
        subject += f" ({len(worklist.new_lines)} new)"
    shown = shortened(worklist, MAX_EMAIL_LINES)
    context: dict[str, Any] = {
        "worklist": shown,
        "full": worklist,
        "hidden_lines": len(worklist.lines) - len(shown.lines),
        "directory_name": directory,
        "subject": subject,
        "summary_services": worklist.busiest_groups[:SUMMARY_SERVICES] if len(worklist.lines) > SUMMARY_AFTER_LINES else [],
    }
    attachments = []
    if shown is not worklist:
        attachments.append(("fix-list.csv", _csv_bytes(CSV_COLUMNS, csv_rows(worklist, config))))
    return PreparedEmail(
        kind=WORKLIST,
        to=worklist.manager,
        subject=subject,
        text=render("worklist_email.txt", **context),
        html=render("worklist_email.html", **context),
        content_hash=worklist.content_hash,
        finding_ids=worklist.finding_ids,
        attachments=attachments,
    )


def _csv_bytes(columns: list[str], rows: list[dict[str, object]]) -> bytes:
    """A CSV attachment, written through csvsafe like every CSV we make."""
    with tempfile.TemporaryDirectory(prefix="localoffer-audit-") as folder:
        path = Path(folder) / "attachment.csv"
        write_csv(path, columns, rows)
        return path.read_bytes()


def all_clear_email(worklist: Worklist, config: Config) -> PreparedEmail:
    directory = config.directory.name
    subject = f"{directory}: nothing to fix in your services"
    context: dict[str, Any] = {"worklist": worklist, "directory_name": directory, "subject": subject}
    return PreparedEmail(
        kind=ALL_CLEAR,
        to=worklist.manager,
        subject=subject,
        text=render("worklist_all_clear_email.txt", **context),
        html=render("worklist_all_clear_email.html", **context),
        content_hash=_hash([ALL_CLEAR, worklist.manager.email]),
        finding_ids=[],
    )


def escalation_email(
    items: list[EscalationItem], stuck: list[log.EmailRecord], config: Config, today: date
) -> PreparedEmail:
    directory = config.directory.name
    days = config.email.escalate_after_days
    parts = []
    if items:
        parts.append(f"{_plural(len(items), 'serious problem')} open {days} days or more")
    if stuck:
        parts.append(f"{_plural(len(stuck), 'email')} not delivered")
    subject = f"{directory}: " + ", ".join(parts)
    context: dict[str, Any] = {
        "items": items[:MAX_EMAIL_LINES],
        "hidden_items": max(0, len(items) - MAX_EMAIL_LINES),
        "stuck": stuck,
        "today": today,
        "escalate_after_days": days,
        "directory_name": directory,
        "subject": subject,
    }
    # Reminder counts grow with every send, so they are left out: the digest is "the
    # same" while the same findings with the same owners are on it.
    payload = [[item.line.finding_id, str(item.line.severity), item.owner.email] for item in items]
    payload.append([record.id for record in stuck])
    attachments = []
    if len(items) > MAX_EMAIL_LINES:
        attachments.append(("escalations.csv", _csv_bytes(ESCALATION_CSV_COLUMNS, escalation_csv_rows(items))))
    return PreparedEmail(
        kind=ESCALATION,
        to=default_owner(config),
        subject=subject,
        text=render("escalation_email.txt", **context),
        html=render("escalation_email.html", **context),
        content_hash=_hash([ESCALATION, payload]),
        finding_ids=[item.line.finding_id for item in items],
        attachments=attachments,
    )


def prepare_emails(
    db: Database,
    config: Config,
    *,
    today: date,
    manager: str | None = None,
    escalation: bool = True,
    run_id: int | None = None,
) -> list[PreparedEmail]:
    """The messages this run would send, newest state of every list.

    "New since your last list" is measured from the list the manager saw last (the last
    message actually sent, or a worklist written by an earlier nightly run; not tonight's,
    ``run_id``), so previews and failed attempts do not hide anything.
    """
    baselines = manager_baselines(db, exclude_run_id=run_id)
    prepared = []
    for worklist in compute_worklists(
        db, config, today=today, baselines=baselines, manager=manager, include_idle=config.email.send_all_clear
    ):
        if worklist.has_problems:
            prepared.append(worklist_email(worklist, config))
        elif config.email.send_all_clear:
            prepared.append(all_clear_email(worklist, config))
    if escalation:
        prepared.extend(prepare_escalation(db, config, today=today, manager=manager))
    return prepared


def prepare_escalation(db: Database, config: Config, *, today: date, manager: str | None = None) -> list[PreparedEmail]:
    """The Local Offer team's digest, from the email log as it stands now.

    When sending, this is called after every worklist of the run was tried, so the
    "not delivered" part says what is still undelivered at the end of this run.
    """
    owner = default_owner(config)
    if manager is not None and normalise_email(manager) != owner.email:
        return []
    items = escalation_items(db, config, today=today)
    stuck = log.stuck_emails(db, STUCK_AFTER_ATTEMPTS)
    return [escalation_email(items, stuck, config, today)] if items or stuck else []


def build_message(prepared: PreparedEmail, config: EmailConfig) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = _one_line(prepared.subject)
    message["From"] = config.from_address
    message["To"] = formataddr((_one_line(prepared.to.name), prepared.to.email))
    if config.reply_to:
        message["Reply-To"] = config.reply_to
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=config.from_address.rpartition("@")[2] or None)
    # Automatic mail: out-of-office replies and auto-responders should stay quiet.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(prepared.text)
    message.add_alternative(prepared.html, subtype="html")
    for filename, data in prepared.attachments:
        message.add_attachment(data, maintype="text", subtype="csv", filename=filename)
    return message


class SmtpSender:
    """One SMTP connection for the run, opened on first use and reopened after a failure.

    If the server cannot be reached at all, later messages are not tried this run (so
    a dead server costs one timeout, not one per manager); they stay queued.
    """

    def __init__(
        self, config: EmailConfig, timeout: float = SMTP_TIMEOUT_SECONDS, context: ssl.SSLContext | None = None
    ) -> None:
        self.config = config
        self.timeout = timeout
        # Certificates are checked against the system's authorities (tests pass their own).
        self.context = context or ssl.create_default_context()
        self._smtp: smtplib.SMTP | None = None
        self._unreachable: str | None = None

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        context = self.context
        smtp: smtplib.SMTP
        if config.security == "ssl":
            smtp = smtplib.SMTP_SSL(config.smtp_host, config.smtp_port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=self.timeout)
        try:
            if config.security == "starttls":
                smtp.ehlo()
                smtp.starttls(context=context)
            smtp.ehlo()
            if config.username:
                smtp.login(config.username, config.password() or "")
        except BaseException:
            smtp.close()  # a refused STARTTLS or login must not leak the connection
            raise
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self._unreachable is not None:
            raise SendError(f"not tried: {self._unreachable}", tried=False)
        if self._smtp is None:
            try:
                self._smtp = self._connect()
            except (smtplib.SMTPException, OSError) as exc:
                self._unreachable = f"could not connect to {self.config.smtp_host}:{self.config.smtp_port}: {_describe(exc)}"
                raise SendError(self._unreachable, tried=False) from exc
        try:
            self._smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise SendError(_describe(exc)) from exc

    @property
    def unreachable(self) -> str | None:
        return self._unreachable

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip().rstrip(":")


def _undeliverable(address: str | None) -> bool:
    """An address in the reserved .invalid domain (the starter config's examples) can
    never receive mail: replies and lists sent there are lost."""
    if not address:
        return False
    return address.strip().rstrip(">").lower().rpartition("@")[2].rstrip(".").endswith(".invalid")


def address_warnings(config: Config, recipients: list[str]) -> list[str]:
    """One line per configured or recipient address that cannot receive mail."""
    email_config = config.email
    warnings = []
    for key, address in (("[email] from_address", email_config.from_address), ("[email] reply_to", email_config.reply_to)):
        if _undeliverable(address):
            warnings.append(f"{key} is {address}, which cannot receive mail: set it to a real address")
    owner = config.managers.default_owner_email
    if _undeliverable(owner):
        warnings.append(
            f"[managers] default_owner_email is {owner}, which cannot receive mail: unowned services' lists "
            "and the escalation digest go nowhere; set it to the Local Offer team's address"
        )
    others = sorted({r for r in recipients if _undeliverable(r) and r != normalise_email(owner)})
    if others:
        warnings.append(f"{_plural(len(others), 'recipient')} cannot receive mail (.invalid): {', '.join(others)}")
    return warnings


def _recently_sent(record: log.EmailRecord | None, content_hash: str, config: EmailConfig, now: datetime) -> bool:
    if record is None or record.content_hash != content_hash or record.sent_at is None:
        return False
    return now - datetime.fromisoformat(record.sent_at) < timedelta(days=config.resend_after_days)


def _write_eml(out_dir: Path, prepared: PreparedEmail, message: EmailMessage) -> Path:
    folder = out_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{prepared.kind}-{file_stem(prepared.to.email)}.eml"
    path.write_bytes(message.as_bytes())
    return path


def prepare_and_send(
    db: Database,
    config: Config,
    *,
    send: bool,
    out_dir: Path,
    manager: str | None = None,
    today: date | None = None,
    sender_factory: Callable[[EmailConfig], SmtpSender] | None = None,
    run_id: int | None = None,
) -> EmailRunSummary:
    """Prepare every manager's message; write .eml previews, or send (see the module doc)."""
    now = datetime.now(UTC)
    today = today or now.date()
    email_config = config.email
    if send and email_config.username and not email_config.password():
        raise AuditError(
            f"[email] username is set but the environment variable {email_config.password_env} holding "
            "the SMTP password is empty; set it, or remove username for a server without login"
        )
    prepared_list = prepare_emails(db, config, today=today, manager=manager, escalation=not send, run_id=run_id)
    summary = EmailRunSummary(send=send)
    if prepared_list:
        summary.warnings = address_warnings(config, [p.to.email for p in prepared_list])
        for warning in summary.warnings:
            logger.warning("%s", warning)
    last_sent = {kind: log.last_sent_by_manager(db, (kind,)) for kind in (WORKLIST, ALL_CLEAR, ESCALATION)}
    if not send:
        for prepared in prepared_list:
            message = build_message(prepared, email_config)
            path = _write_eml(out_dir, prepared, message)
            log.add_email(
                db, kind=prepared.kind, manager_email=prepared.to.email, subject=prepared.subject,
                content_hash=prepared.content_hash, status=log.PREVIEW, finding_ids=prepared.finding_ids,
                eml_path=str(path),
            )
            recent = _recently_sent(last_sent[prepared.kind].get(prepared.to.email), prepared.content_hash, email_config, now)
            summary.outcomes.append(
                EmailOutcome(prepared.kind, prepared.to.email, prepared.subject, log.PREVIEW, path, None, recent)
            )
        return summary

    wanted = normalise_email(manager) if manager else None
    queued = [q for q in log.queued_emails(db) if wanted is None or q.manager_email == wanted]
    sender = (sender_factory or SmtpSender)(email_config)
    attempted = 0
    handled: set[tuple[str, str]] = set()

    def deliver(prepared: PreparedEmail) -> None:
        nonlocal attempted
        key = (prepared.kind, prepared.to.email)
        handled.add(key)
        waiting = [q for q in queued if (q.kind, q.manager_email) == key]
        if _recently_sent(last_sent[prepared.kind].get(prepared.to.email), prepared.content_hash, email_config, now):
            for stale in waiting:
                log.mark_superseded(db, stale.id, "the same list was sent meanwhile")
                summary.superseded += 1
            summary.outcomes.append(EmailOutcome(prepared.kind, prepared.to.email, prepared.subject, UNCHANGED))
            return
        retry = next((q for q in waiting if q.content_hash == prepared.content_hash), None)
        for stale in waiting:
            if stale is not retry:
                log.mark_superseded(db, stale.id, "replaced by a newer list")
                summary.superseded += 1
        message = build_message(prepared, email_config)
        path = _write_eml(out_dir, prepared, message)
        if retry is not None:
            email_id = retry.id
            log.refresh_queued(db, email_id, subject=prepared.subject, eml_path=str(path))
        else:
            email_id = log.add_email(
                db, kind=prepared.kind, manager_email=prepared.to.email, subject=prepared.subject,
                content_hash=prepared.content_hash, status=log.QUEUED, finding_ids=prepared.finding_ids,
                eml_path=str(path),
            )
        if attempted and email_config.pause_seconds:
            time.sleep(email_config.pause_seconds)
        attempted += 1
        try:
            sender.send(message)
        except SendError as exc:
            log.mark_attempt_failed(db, email_id, str(exc), counted=exc.tried)
            logger.warning("Could not send %s to %s (kept queued for the next run): %s", prepared.kind, prepared.to.email, exc)
            summary.outcomes.append(
                EmailOutcome(prepared.kind, prepared.to.email, prepared.subject, log.QUEUED, path, str(exc))
            )
            return
        log.mark_sent(db, email_id)
        logger.info("Sent %s to %s: %s", prepared.kind, prepared.to.email, prepared.subject)
        summary.outcomes.append(EmailOutcome(prepared.kind, prepared.to.email, prepared.subject, log.SENT, path))

    try:
        for prepared in prepared_list:
            deliver(prepared)
        # The digest last, from the delivery states this run ended with.
        for prepared in prepare_escalation(db, config, today=today, manager=manager):
            deliver(prepared)
        summary.unreachable = getattr(sender, "unreachable", None)
    finally:
        sender.close()
    # Queued messages for lists that no longer exist (everything fixed): nothing left to say.
    for stale in queued:
        if (stale.kind, stale.manager_email) not in handled:
            log.mark_superseded(db, stale.id, "nothing left to send: the list is empty now")
            summary.superseded += 1
    return summary
