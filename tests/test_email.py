"""Emailing worklists through a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import csv
import email
import io
import socket
import threading
import time
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from bs4 import BeautifulSoup
from click.testing import CliRunner

from localoffer_audit.cli import main
from localoffer_audit.errors import AuditError
from localoffer_audit.outputs.mail import prepare_and_send

from .support.worklists import add_finding, add_service, set_status
from .support.email import Inbox, OWNER, TODAY, config_for, free_port, setup_world, start_smtp
from .support.email import port, smtp  # noqa: F401 - pytest fixtures, named as parameters

















def parts(message: EmailMessage) -> tuple[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def finding_ids_in(html: str) -> list[int]:
    soup = BeautifulSoup(html, "html.parser")
    return [int(li["data-finding-id"]) for li in soup.select("li.item")]


def statuses(db) -> list[tuple[str, str, str, int]]:
    return [
        (row["kind"], row["manager_email"], row["status"], row["attempts"])
        for row in db.query("SELECT * FROM emails ORDER BY id")
    ]


def test_preview_writes_eml_files_and_sends_nothing(db, tmp_path: Path, smtp: Inbox, port: int) -> None:
    setup_world(db, tmp_path)
    summary = prepare_and_send(db, config_for(tmp_path, port), send=False, out_dir=tmp_path / "out", today=TODAY)
    assert smtp.received == []
    assert summary.counts == {"preview": 3}
    files = sorted(p.name for p in (tmp_path / "out").glob("*.eml"))
    assert len(files) == 3 and any(name.startswith("escalation-") for name in files)
    for outcome in summary.outcomes:
        message = email.message_from_bytes(outcome.eml_path.read_bytes(), policy=default_policy)
        assert message["To"].addresses[0].addr_spec == outcome.manager_email
        parts(message)
    assert {row[2] for row in statuses(db)} == {"preview"}


def test_send_delivers_the_right_list_to_each_manager(db, tmp_path: Path, smtp: Inbox, port: int) -> None:
    ids = setup_world(db, tmp_path)
    config = config_for(tmp_path, port, reply_to="localoffer@council.example")
    summary = prepare_and_send(db, config, send=True, out_dir=tmp_path / "out", today=TODAY)
    assert summary.counts == {"sent": 3}
    inbox = smtp.by_recipient()
    # Quinn has nothing to fix and gets nothing.
    assert set(inbox) == {"sam@sunny.example", "priya@nhs.example", OWNER}

    sam = inbox["sam@sunny.example"]
    assert sam["Subject"] == "Testshire Local Offer: 2 problems to fix in your services"
    assert sam["From"] == "audit@council.example" and sam["Reply-To"] == "localoffer@council.example"
    assert str(sam["To"]) == "Sam Smith <sam@sunny.example>"
    assert sam["Auto-Submitted"] == "auto-generated"
    text, html = parts(sam)
    assert finding_ids_in(html) == [ids["sam_old"], ids["sam_new"]]
    assert "Broken link to sunny" in text and "Review date too old" in text
    assert "https://sunny.example/old" in text and "Since: 1 September 2026 (85 days)" in text
    assert "Parked domain linked" not in text + html

    priya = inbox["priya@nhs.example"]
    assert priya["Subject"] == "Testshire Local Offer: 1 problem to fix in your services"
    assert finding_ids_in(parts(priya)[1]) == [ids["priya"]]

    # Escalation: serious and open 28+ days is only Sam's broken link; it names Sam as owner.
    digest = inbox[OWNER]
    assert digest["Subject"] == "Testshire Local Offer: 1 serious problem open 28 days or more"
    digest_text, digest_html = parts(digest)
    rows = BeautifulSoup(digest_html, "html.parser").select("table.escalations tbody tr")
    assert [int(r["data-finding-id"]) for r in rows] == [ids["sam_old"]]
    assert "sam@sunny.example" in rows[0].select_one(".owner").get_text()
    # The digest goes last, from this run's final states: tonight's list to Sam is a reminder sent.
    assert rows[0].select_one(".reminders").get_text(strip=True) == "1"
    assert "reminders sent: 1" in digest_text

    assert sorted(statuses(db)) == sorted(
        [("worklist", "sam@sunny.example", "sent", 1), ("worklist", "priya@nhs.example", "sent", 1),
         ("escalation", OWNER, "sent", 1)]
    )

    # A second run with nothing changed sends nothing.
    again = prepare_and_send(db, config, send=True, out_dir=tmp_path / "out", today=TODAY)
    assert again.counts == {"unchanged": 3}
    assert len(smtp.received) == 3

    # A change is sent: Sam gets the new list, with what is new and what was fixed.
    set_status(db, ids["sam_new"], "fixed")
    newer = add_finding(db, "a", "link_soft_404", "https://sunny.example/events", severity="high",
                        first_seen_at="2026-11-24T02:00:00+00:00", title="Events page gone")
    third = prepare_and_send(db, config, send=True, out_dir=tmp_path / "out", today=TODAY)
    assert third.counts == {"sent": 1, "unchanged": 2}
    latest = smtp.received[-1][1]
    assert latest["Subject"] == "Testshire Local Offer: 2 problems to fix in your services (1 new)"
    soup = BeautifulSoup(parts(latest)[1], "html.parser")
    assert [int(li["data-finding-id"]) for li in soup.select("ul.new-list li")] == [newer]
    assert [int(li["data-finding-id"]) for li in soup.select("ul.fixed-list li")] == [ids["sam_new"]]

    # The escalation digest now counts the reminders Sam was sent about the old link,
    # once it is due again.
    db.execute("UPDATE emails SET sent_at = '2026-01-01T00:00:00+00:00' WHERE kind = 'escalation'")
    fourth = prepare_and_send(db, config, send=True, out_dir=tmp_path / "out", today=TODAY)
    assert fourth.counts == {"sent": 1, "unchanged": 2}
    digest = BeautifulSoup(parts(smtp.received[-1][1])[1], "html.parser")
    assert digest.select_one(".reminders").get_text(strip=True) == "2"


def test_unchanged_list_is_sent_again_after_resend_days(db, tmp_path: Path, smtp: Inbox, port: int) -> None:
    setup_world(db, tmp_path)
    config = config_for(tmp_path, port, resend_after_days=7)
    prepare_and_send(db, config, send=True, out_dir=tmp_path, manager="sam@sunny.example", today=TODAY)
    db.execute("UPDATE emails SET sent_at = '2026-11-01T00:00:00+00:00'")
    summary = prepare_and_send(db, config, send=True, out_dir=tmp_path, manager="SAM@sunny.example", today=TODAY)
    assert summary.counts == {"sent": 1}
    assert [recipients for recipients, _ in smtp.received] == [["sam@sunny.example"], ["sam@sunny.example"]]


def test_refused_connection_leaves_messages_queued_and_the_next_run_sends_them(db, tmp_path: Path, port: int) -> None:
    setup_world(db, tmp_path)
    config = config_for(tmp_path, port)  # nothing listens on this port yet
    started = time.monotonic()
    failed = prepare_and_send(db, config, send=True, out_dir=tmp_path, today=TODAY)
    assert time.monotonic() - started < 5
    assert failed.counts == {"queued": 3}
    assert all("could not connect to 127.0.0.1" in (o.error or "") for o in failed.outcomes)
    rows = list(db.query("SELECT * FROM emails"))
    assert {r["status"] for r in rows} == {"queued"} and all(r["last_error"] for r in rows)

    inbox = Inbox()
    controller = start_smtp(port, inbox)
    try:
        summary = prepare_and_send(db, config, send=True, out_dir=tmp_path, today=TODAY)
    finally:
        controller.stop()
    assert summary.counts == {"sent": 3}
    assert len(inbox.received) == 3 and len(inbox.by_recipient()) == 3
    # The same rows were retried, not new ones added: nothing lost, nothing doubled. A
    # relay that could not be reached is not an attempt of the message: one attempt each.
    assert sorted(statuses(db)) == sorted(
        [("worklist", "sam@sunny.example", "sent", 1), ("worklist", "priya@nhs.example", "sent", 1),
         ("escalation", OWNER, "sent", 1)]
    )


class DroppingServer:
    """Accepts TCP connections and closes them at once, like a crashed or overloaded relay."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen()
        # A blocked accept() would keep the port bound after close(); poll instead.
        self.sock.settimeout(0.05)
        self.accepted = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            conn.close()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        self.sock.close()


def test_dropped_connection_leaves_messages_queued(db, tmp_path: Path, port: int) -> None:
    setup_world(db, tmp_path)
    config = config_for(tmp_path, port)
    dropper = DroppingServer(port)
    try:
        failed = prepare_and_send(db, config, send=True, out_dir=tmp_path, today=TODAY)
    finally:
        dropper.stop()
    assert dropper.accepted == 1  # one attempt, then the rest wait for the next run
    assert failed.counts == {"queued": 3}
    assert "SMTPServerDisconnected" in failed.outcomes[0].error

    inbox = Inbox()
    controller = start_smtp(port, inbox)
    try:
        assert prepare_and_send(db, config, send=True, out_dir=tmp_path, today=TODAY).counts == {"sent": 3}
    finally:
        controller.stop()
    assert len(inbox.by_recipient()) == 3


def test_a_temporary_rejection_mid_run_is_retried_next_run(db, tmp_path: Path, smtp: Inbox, port: int) -> None:
    setup_world(db, tmp_path)
    config = config_for(tmp_path, port)
    smtp.refuse_next = 1
    first = prepare_and_send(db, config, send=True, out_dir=tmp_path, today=TODAY)
    assert first.counts == {"queued": 1, "sent": 2}
    (queued,) = [o for o in first.outcomes if o.status == "queued"]
    assert "451" in queued.error
    second = prepare_and_send(db, config, send=True, out_dir=tmp_path, today=TODAY)
    assert second.counts == {"sent": 1, "unchanged": 2}
    assert [o.manager_email for o in second.outcomes if o.status == "sent"] == [queued.manager_email]
    assert len(smtp.by_recipient()) == 3


def test_a_queued_list_that_changed_is_superseded_by_the_new_one(db, tmp_path: Path, smtp: Inbox, port: int) -> None:
    ids = setup_world(db, tmp_path)
    config = config_for(tmp_path, port)
    closed = config_for(tmp_path, free_port())
    prepare_and_send(db, closed, send=True, out_dir=tmp_path, manager="sam@sunny.example", today=TODAY)
    set_status(db, ids["sam_new"], "fixed")
    summary = prepare_and_send(db, config, send=True, out_dir=tmp_path, manager="sam@sunny.example", today=TODAY)
    assert summary.counts == {"sent": 1, "superseded": 1}
    assert [row[2] for row in statuses(db)] == ["superseded", "sent"]
    assert finding_ids_in(parts(smtp.received[0][1])[1]) == [ids["sam_old"]]


def test_all_clear_only_when_configured(db, tmp_path: Path, smtp: Inbox, port: int) -> None:
    setup_world(db, tmp_path)
    summary = prepare_and_send(db, config_for(tmp_path, port, send_all_clear=True), send=True, out_dir=tmp_path,
                               manager="quinn@quiet.example", today=TODAY)
    assert summary.counts == {"sent": 1}
    message = smtp.by_recipient()["quinn@quiet.example"]
    assert message["Subject"] == "Testshire Local Offer: nothing to fix in your services"
    assert "Good news" in parts(message)[0]
    nothing = prepare_and_send(db, config_for(tmp_path, port), send=True, out_dir=tmp_path,
                               manager="quinn@quiet.example", today=TODAY)
    assert nothing.outcomes == []


def test_login_uses_the_password_from_the_environment_only(
    db, db_path: Path, tmp_path: Path, port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup_world(db, tmp_path)
    seen: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret-pa55", handled=False)

    inbox = Inbox()
    controller = start_smtp(port, inbox, authenticator=authenticator, auth_require_tls=False)
    try:
        config = config_for(tmp_path, port, username="audit-bot", password_env="TEST_SMTP_PASSWORD")
        monkeypatch.delenv("TEST_SMTP_PASSWORD", raising=False)
        with pytest.raises(AuditError, match="TEST_SMTP_PASSWORD"):
            prepare_and_send(db, config, send=True, out_dir=tmp_path, today=TODAY)
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "bad-pa55-xyz")
        refused = prepare_and_send(db, config, send=True, out_dir=tmp_path, today=TODAY)
        assert refused.counts == {"queued": 3} and "535" in refused.outcomes[0].error
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret-pa55")
        assert prepare_and_send(db, config, send=True, out_dir=tmp_path, today=TODAY).counts == {"sent": 3}
    finally:
        controller.stop()
    assert (b"audit-bot", b"s3cret-pa55") in seen
    db.execute("PRAGMA wal_checkpoint(FULL)")
    stored = db_path.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.rglob("*.eml"))
    assert b"s3cret-pa55" not in stored and b"bad-pa55-xyz" not in stored


def test_pause_between_messages(db, tmp_path: Path, smtp: Inbox, port: int) -> None:
    setup_world(db, tmp_path)
    started = time.monotonic()
    prepare_and_send(db, config_for(tmp_path, port, pause_seconds=0.3), send=True, out_dir=tmp_path, today=TODAY)
    assert len(smtp.received) == 3
    assert time.monotonic() - started >= 0.6  # two pauses between three messages


def test_cli_email_preview_and_send(runner: CliRunner, tmp_path: Path, smtp: Inbox, port: int) -> None:
    (tmp_path / "localoffer-audit.toml").write_text(
        '[directory]\nstart_urls = ["https://lo.example/"]\n'
        f'[email]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\nsecurity = "none"\npause_seconds = 0\n'
    )
    from localoffer_audit.store.db import open_db

    db = open_db(tmp_path / "localoffer-audit.db")
    add_service(db, "s1", "Club")
    add_finding(db, "s1", "link_insecure", "http://x.example/", severity="low")
    db.close()
    preview = runner.invoke(main, ["email"])
    assert preview.exit_code == 0, preview.output
    assert "Emails: preview 1." in preview.output and "output/emails" in preview.output
    assert len(list((tmp_path / "output" / "emails").glob("worklist-*.eml"))) == 1
    assert smtp.received == []
    sent = runner.invoke(main, ["email", "--send"])
    assert sent.exit_code == 0, sent.output
    assert "Emails: sent 1." in sent.output
    assert len(smtp.received) == 1
    again = runner.invoke(main, ["email", "--send"])
    assert "Emails: unchanged 1." in again.output and len(smtp.received) == 1


class PickyInbox(Inbox):
    """Refuses one address for good, as a relay does for a mailbox that no longer exists."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        if address == self.refused:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_list_that_keeps_failing_is_reported_to_the_local_offer_team(db, tmp_path: Path, port: int) -> None:
    setup_world(db, tmp_path)
    inbox = PickyInbox("priya@nhs.example")
    controller = start_smtp(port, inbox)
    try:
        config = config_for(tmp_path, port)
        for _ in range(3):
            summary = prepare_and_send(db, config, send=True, out_dir=tmp_path, today=TODAY)
            (failed,) = [o for o in summary.outcomes if o.status == "queued"]
            assert failed.manager_email == "priya@nhs.example" and "550" in failed.error
        fourth = prepare_and_send(db, config, send=True, out_dir=tmp_path, today=TODAY)
    finally:
        controller.stop()
    # Never lost: still one queued row for Priya, with every attempt counted.
    assert [(r["status"], r["attempts"]) for r in db.query("SELECT * FROM emails WHERE manager_email = 'priya@nhs.example'")] == [
        ("queued", 4)
    ]
    # The digest is written after the night's lists were tried: the third night's failure
    # makes the message stuck, and that night's digest names it; the fourth has nothing new.
    assert [o.status for o in fourth.outcomes if o.kind == "escalation"] == ["unchanged"]
    digests = [m for recipients, m in inbox.received if recipients == [OWNER]]
    assert len(digests) == 2  # the first one, and the one that now names the stuck message
    assert digests[-1]["Subject"] == "Testshire Local Offer: 1 serious problem open 28 days or more, 1 email not delivered"
    text, html = parts(digests[-1])
    stuck = BeautifulSoup(html, "html.parser").select("table.stuck-emails tbody tr")
    assert [row.select("td")[0].get_text() for row in stuck] == ["priya@nhs.example"]
    assert "550" in stuck[0].get_text() and "priya@nhs.example" in text


def test_a_long_list_is_cut_to_the_most_serious_with_the_whole_list_attached(
    db, tmp_path: Path, smtp: Inbox, port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from localoffer_audit.outputs import mail

    monkeypatch.setattr(mail, "MAX_EMAIL_LINES", 3)
    ids = setup_world(db, tmp_path)
    extra = [add_finding(db, "a", "link_insecure", f"http://sunny.example/{n}", severity="low") for n in range(3)]
    prepare_and_send(db, config_for(tmp_path, port), send=True, out_dir=tmp_path, manager="sam@sunny.example", today=TODAY)
    message = smtp.by_recipient()["sam@sunny.example"]
    assert message["Subject"] == "Testshire Local Offer: 5 problems to fix in your services"
    text, html = (message.get_body(preferencelist=(kind,)).get_content() for kind in ("plain", "html"))
    assert finding_ids_in(html) == [ids["sam_old"], ids["sam_new"], extra[0]]
    assert "The other 2 are in the attached spreadsheet" in text
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "fix-list.csv"
    rows = list(csv.DictReader(io.StringIO(attachment.get_content().lstrip("\ufeff"))))
    assert [int(r["finding_id"]) for r in rows] == [ids["sam_old"], ids["sam_new"], *extra]


def test_a_long_escalation_digest_is_cut_with_the_whole_list_attached(
    db, tmp_path: Path, smtp: Inbox, port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from localoffer_audit.outputs import mail

    monkeypatch.setattr(mail, "MAX_EMAIL_LINES", 1)
    ids = setup_world(db, tmp_path)
    older = add_finding(db, "b", "link_broken", "https://nhs.example/old", severity="critical",
                        first_seen_at="2026-02-01T02:00:00+00:00")
    prepare_and_send(db, config_for(tmp_path, port), send=True, out_dir=tmp_path, manager=OWNER, today=TODAY)
    digest = smtp.by_recipient()[OWNER]
    assert digest["Subject"] == "Testshire Local Offer: 2 serious problems open 28 days or more"
    html = digest.get_body(preferencelist=("html",)).get_content()
    assert [int(r["data-finding-id"]) for r in BeautifulSoup(html, "html.parser").select("table.escalations tbody tr")] == [older]
    assert "And 1 more" in html
    (attachment,) = list(digest.iter_attachments())
    rows = list(csv.DictReader(io.StringIO(attachment.get_content().lstrip("\ufeff"))))
    assert [int(r["finding_id"]) for r in rows] == [older, ids["sam_old"]]


def test_the_digest_is_written_from_this_runs_final_delivery_states(db, tmp_path: Path, port: int) -> None:
    """A list stuck for three nights that gets through tonight is not "not delivered" in
    tonight's digest (it said "10 emails not delivered" half a second after 9 went out)."""
    setup_world(db, tmp_path)
    config = config_for(tmp_path, port)
    picky = PickyInbox("priya@nhs.example")
    controller = start_smtp(port, picky)
    try:
        for _ in range(3):
            prepare_and_send(db, config, send=True, out_dir=tmp_path, today=TODAY)
    finally:
        controller.stop()
    assert [r["attempts"] for r in db.query("SELECT * FROM emails WHERE manager_email = 'priya@nhs.example'")] == [3]
    inbox = Inbox()  # the mailbox is fixed: tonight everything gets through
    controller = start_smtp(port, inbox)
    try:
        tonight = prepare_and_send(db, config, send=True, out_dir=tmp_path, today=TODAY)
    finally:
        controller.stop()
    assert [o.status for o in tonight.outcomes if o.manager_email == "priya@nhs.example"] == ["sent"]
    digests = [m for recipients, m in inbox.received if recipients == [OWNER]]
    assert len(digests) == 1, [m["Subject"] for _, m in inbox.received]
    assert "not delivered" not in digests[0]["Subject"]
    text, html = parts(digests[0])
    assert "priya@nhs.example" not in text
    assert BeautifulSoup(html, "html.parser").select("table.stuck-emails tbody tr") == []


def test_a_relay_outage_is_not_an_attempt_and_makes_no_list_stuck(db, tmp_path: Path, port: int) -> None:
    setup_world(db, tmp_path)
    config = config_for(tmp_path, port)  # nothing listens: the relay is down for three nights
    for _ in range(3):
        night = prepare_and_send(db, config, send=True, out_dir=tmp_path, today=TODAY)
        assert night.counts == {"queued": 3} and night.unreachable and "could not connect" in night.unreachable
    rows = list(db.query("SELECT * FROM emails ORDER BY id"))
    assert [(r["status"], r["attempts"]) for r in rows] == [("queued", 0)] * 3
    assert all(r["last_error"] for r in rows)  # the reason is kept for the team
    inbox = Inbox()
    controller = start_smtp(port, inbox)
    try:
        back = prepare_and_send(db, config, send=True, out_dir=tmp_path, today=TODAY)
    finally:
        controller.stop()
    assert back.counts == {"sent": 3}
    assert all("not delivered" not in m["Subject"] for _, m in inbox.received)


def test_nightly_email_stage_is_incomplete_when_the_relay_is_down(db, tmp_path: Path, port: int) -> None:
    from localoffer_audit.nightly import _email

    setup_world(db, tmp_path)
    config = config_for(tmp_path, port)
    result = _email(db, config, tmp_path, True, TODAY)
    status, counts, message = result.status, result.counts, result.message
    assert status == "incomplete" and counts == {"queued": 3}
    assert message and "mail server could not be reached" in message and "could not connect to 127.0.0.1" in message
    assert "3 messages stay queued" in message

    # One address refused while the others are delivered: that address's problem, not the night's.
    picky = PickyInbox("priya@nhs.example")
    controller = start_smtp(port, picky)
    try:
        result = _email(db, config, tmp_path, True, TODAY)
    finally:
        controller.stop()
    status, counts, message = result.status, result.counts, result.message
    assert status == "complete" and counts == {"sent": 2, "queued": 1}
    assert message == "1 message(s) could not be sent and stay queued for the next run"


def test_history_of_a_link_and_a_service_says_since_when_and_who_was_told(
    runner: CliRunner, tmp_path: Path, smtp: Inbox, port: int
) -> None:
    from localoffer_audit.store.db import open_db

    from .support.worklists import add_link_place

    (tmp_path / "localoffer-audit.toml").write_text(
        '[directory]\nstart_urls = ["https://lo.example/"]\n'
        f'[email]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\nsecurity = "none"\npause_seconds = 0\n'
        f'[managers]\ndefault_owner_email = "{OWNER}"\n'
    )
    db = open_db(tmp_path / "localoffer-audit.db")
    ids = setup_world(db, tmp_path)
    url = "https://sunny.example/old"
    add_link_place(db, "a", url, field="website", anchor_text="Our site")
    for day, verdict, status in (("2026-09-01", "broken", 404), ("2026-09-02", "broken", 404)):
        db["link_checks"].insert({"url": url, "checked_at": f"{day}T02:00:00+00:00", "verdict": verdict,
                                  "status_code": status, "confirmed": int(day.endswith("02"))})
    db["finding_events"].insert({"finding_id": ids["sam_old"], "at": "2026-09-02T02:05:00+00:00", "event": "opened"})
    db.close()
    assert runner.invoke(main, ["email", "--send"]).exit_code == 0

    link = runner.invoke(main, ["history", url])
    assert link.exit_code == 0, link.output
    lines = link.output.splitlines()
    assert lines[0] == f"Link {url}" and "Sunny Days Club (a, live)" in lines[1]
    assert "2026-09-01 02:00  broken HTTP 404" in link.output and "2026-09-02 02:00  broken HTTP 404, confirmed" in link.output
    assert f"#{ids['sam_old']} high Broken link to sunny [open]" in link.output
    assert "2026-09-02 02:05  opened" in link.output
    assert "emailed  to sam@sunny.example" in link.output
    assert f"listed in the escalation digest  to {OWNER}" in link.output

    service = runner.invoke(main, ["history", "a"])
    assert service.exit_code == 0, service.output
    assert service.output.startswith("Service Sunny Days Club (a), live")
    assert "Findings (2):" in service.output and "Review date too old" in service.output

    missing = runner.invoke(main, ["history", "no-such-id"])
    assert missing.exit_code == 1 and "no service with id no-such-id" in missing.output and "Traceback" not in missing.output
