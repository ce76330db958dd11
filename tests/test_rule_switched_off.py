"""A rule the council switches off closes its findings as `switched_off`, never `fixed`.

Switching a check off fixes nothing on the entry: the content manager must not be thanked
for a fix (run counts, the report's changes, the next worklist email, sent here through a
real SMTP server on loopback), and when the check is switched back on the finding is open
again, with its history, not "back again".
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bs4 import BeautifulSoup

from localoffer_audit.config import Config, RuleSetting
from localoffer_audit.findings.lifecycle import run_findings
from localoffer_audit.outputs.history import _EVENT_WORDING
from localoffer_audit.outputs.mail import prepare_and_send
from localoffer_audit.store import findings as store
from localoffer_audit.store.report import finding_changes_in_run

from .support.email import Inbox, config_for
from .support.email import port, smtp  # noqa: F401 - pytest fixtures, named as parameters
from .support.lifecycle import DESCRIPTION, crawl, put_service

TODAY = date(2025, 6, 15)
COVID = "Sessions are suspended due to coronavirus until further notice."


def statuses(db) -> dict[str, str]:
    return {r.rule: r.status for r in store.open_findings(db, status="all", include_dismissed=True)}


def events(db, rule: str) -> list[str]:
    [row] = [r for r in store.open_findings(db, status="all", include_dismissed=True) if r.rule == rule]
    return [e["event"] for e in store.finding_events(db, row.id)]


def test_switching_a_rule_off_closes_its_findings_without_calling_them_fixed(
    db, tmp_path: Path, smtp: Inbox, port: int
) -> None:
    put_service(db, description=f"{DESCRIPTION} {COVID}", fields='{"cost": "TBC"}')
    crawl(db)
    config = config_for(tmp_path, port)
    run_findings(db, config, today=TODAY)
    assert statuses(db) == {"covid_notice": "open", "placeholder_text": "open"}
    assert prepare_and_send(db, config, send=True, out_dir=tmp_path / "out1", today=TODAY).counts == {"sent": 1}

    # The council switches the COVID-19 check off: nothing on the entry changed.
    off = with_rule_off(config, "covid_notice")
    crawl(db)
    summary = run_findings(db, off, today=TODAY)
    assert summary.counts["fixed"] == 0 and summary.counts["switched_off"] == 1
    assert statuses(db) == {"covid_notice": "switched_off", "placeholder_text": "open"}
    assert events(db, "covid_notice") == ["opened", "switched_off"]
    assert finding_changes_in_run(db, summary.run_id)["fixed"] == []

    # The next list has the one problem still checked, and nothing "fixed".
    assert prepare_and_send(db, off, send=True, out_dir=tmp_path / "out2", today=TODAY).counts == {"sent": 1}
    message = smtp.received[-1][1]
    assert message["Subject"].endswith("1 problem to fix in your services")
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert "FIXED SINCE YOUR LAST LIST\n  Nothing fixed yet." in text
    assert "coronavirus" not in text.lower()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert BeautifulSoup(html, "html.parser").select("ul.fixed-list li") == []

    # Switched back on: the same finding, open again with its history; not "back again".
    crawl(db)
    again = run_findings(db, config, today=TODAY)
    assert again.counts["reopened"] == 0 and again.counts["new"] == 0
    assert statuses(db) == {"covid_notice": "open", "placeholder_text": "open"}
    assert events(db, "covid_notice") == ["opened", "switched_off", "switched_on"]
    # The history page says what happened in words.
    assert {"switched_off", "switched_on"} <= set(_EVENT_WORDING)


def with_rule_off(config: Config, rule_id: str) -> Config:
    """``config`` with ``[content.rules.<rule_id>] enabled = false``, as a council writes it."""
    rules = {**config.content.rules, rule_id: RuleSetting(enabled=False)}
    return config.model_copy(update={"content": config.content.model_copy(update={"rules": rules})})
