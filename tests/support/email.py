"""Shared test helpers (moved from test_email.py)."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
import pytest
from aiosmtpd.controller import Controller
from localoffer_audit.findings.managers import import_mapping
from .worklists import add_finding, add_service, make_config


TODAY = date(2026, 11, 25)


OWNER = "localoffer@council.example"


class Inbox:
    """An aiosmtpd handler that keeps every message, and can refuse the next few."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.refuse_next = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        if self.refuse_next:
            self.refuse_next -= 1
            return "451 4.3.0 Mailbox temporarily unavailable, try again later"
        message = email.message_from_bytes(envelope.original_content, policy=default_policy)
        self.received.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK"

    def by_recipient(self) -> dict[str, EmailMessage]:
        found: dict[str, EmailMessage] = {}
        for recipients, message in self.received:
            for recipient in recipients:
                assert recipient not in found, f"{recipient} got two messages"
                found[recipient] = message
        return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_smtp(port: int, inbox: Inbox, **kwargs) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def smtp(port: int) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = start_smtp(port, inbox)
    yield inbox
    controller.stop()


def config_for(tmp_path: Path, port: int, **email_settings):
    settings = {"smtp_host": "127.0.0.1", "smtp_port": port, "security": "none", "pause_seconds": 0,
                "from_address": "audit@council.example"}
    settings.update(email_settings)
    return make_config(
        tmp_path,
        email=settings,
        managers={"default_owner_email": OWNER},
        directory={"name": "Testshire Local Offer"},
    )


def setup_world(db, tmp_path: Path) -> dict[str, int]:
    add_service(db, "a", "Sunny Days Club", organisation="Sunny Days CIC")
    add_service(db, "b", "Speech Drop-in", organisation="NHS Trust")
    add_service(db, "c", "Quiet Service", organisation="Quiet Org")
    mapping = tmp_path / "managers.csv"
    mapping.write_text(
        "service_id,organisation,manager_name,manager_email\n"
        ",Sunny Days CIC,Sam Smith,sam@sunny.example\n"
        "b,,Priya Patel,priya@nhs.example\n"
        "c,,Quinn Jones,quinn@quiet.example\n"
    )
    import_mapping(db, mapping)
    return {
        "sam_old": add_finding(db, "a", "link_broken", "https://sunny.example/old", severity="high",
                               first_seen_at="2026-09-01T02:00:00+00:00", title="Broken link to sunny"),
        "sam_new": add_finding(db, "a", "stale_date", "dates", severity="medium", title="Review date too old"),
        "priya": add_finding(db, "b", "link_parked", "https://expired.example/", severity="critical",
                             first_seen_at="2026-11-20T02:00:00+00:00", title="Parked domain linked"),
    }
