"""A stored link verdict is read back by one function, LinkVerdict.parse, with one behaviour:
a verdict this version does not know is left out by every rule, and the store says so once."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from localoffer_audit.content.entry_rules import link_findings
from localoffer_audit.content.rules import RuleContext
from localoffer_audit.findings.safeguarding import safeguarding_findings
from localoffer_audit.models import LinkVerdict
from localoffer_audit.store.db import open_db
from localoffer_audit.store.findings import link_observations
from localoffer_audit.store.services import live_services

from .support.worklists import add_link_place, add_service


@pytest.mark.parametrize(
    ("text", "expected"),
    [("broken", LinkVerdict.BROKEN), ("ok", LinkVerdict.OK), (None, None), ("", None), ("zombie", None), ("BROKEN", None)],
)
def test_parse(text: str | None, expected: LinkVerdict | None) -> None:
    assert LinkVerdict.parse(text) is expected


def test_an_unknown_stored_verdict_makes_no_finding_and_one_warning(tmp_path: Path, caplog) -> None:
    db = open_db(tmp_path / "audit.db")
    try:
        for service_id in ("s1", "s2"):
            add_service(db, service_id, f"Club {service_id}", organisation="Little Acorns")
            add_link_place(db, service_id, "https://gone.example/", field="website", anchor_text=None)
            add_link_place(db, service_id, "https://future.example/", field="website", anchor_text=None)
        db.execute("UPDATE links SET verdict = 'broken', confirmed = 1 WHERE url = 'https://gone.example/'")
        # A verdict a newer version wrote, on a link two services carry.
        db.execute("UPDATE links SET verdict = 'quantum_flux', confirmed = 1 WHERE url = 'https://future.example/'")
        db.conn.commit()
        with caplog.at_level(logging.WARNING, logger="localoffer_audit.store.findings"):
            observations = link_observations(db)
        services = live_services(db)
    finally:
        db.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "link https://future.example/ has a stored verdict 'quantum_flux' this version does not know; "
        "no finding is made from it"
    ]
    context = RuleContext(today=date(2026, 12, 3))
    findings, unsettled = link_findings(observations, context, [])
    assert sorted((f.service_id, f.subject) for f in findings) == [
        ("s1", "https://gone.example/"), ("s2", "https://gone.example/"),
    ]
    # Nothing is known of it: a finding it already has is kept, neither refreshed nor fixed.
    assert unsettled == {("s1", "https://future.example/"), ("s2", "https://future.example/")}
    # Safeguarding reads the same text the same way: left out, no error.
    assert safeguarding_findings(context, services, observations, {}).findings == []
