"""link_pages in a real SQLite file: latest, previous and baseline snapshots (store/fingerprints.py)."""

from __future__ import annotations

from pathlib import Path

from localoffer_audit.links.classify import page_text
from localoffer_audit.links.fingerprint import snapshot_of
from localoffer_audit.models import LinkResult, LinkVerdict
from localoffer_audit.store.db import open_db
from localoffer_audit.store.fingerprints import promote_baselines, save_page_snapshots, stored_pages

URL = "https://www.example.org.uk/"


def _result(title: str | None) -> LinkResult:
    result = LinkResult(URL, LinkVerdict.OK if title else LinkVerdict.BROKEN)
    if title:
        result.page = snapshot_of(URL, page_text(f"<title>{title}</title><p>{title} text</p>"))
    return result


def test_snapshots_rotate_and_only_a_promoted_one_becomes_the_baseline(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    db = open_db(path)
    with db.atomic():
        save_page_snapshots(db, [(_result("First"), "2026-12-01T02:00:00+00:00")])
    pages = stored_pages(db)[URL]
    assert pages.current.title == "first" and pages.previous is None and pages.baseline is None
    promote_baselines(db, [URL])
    with db.atomic():
        save_page_snapshots(db, [(_result("Second"), "2026-12-02T02:00:00+00:00")])
    db.close()
    db = open_db(path)  # what was written survives a reopen
    pages = stored_pages(db)[URL]
    assert (pages.current.title, pages.previous.title, pages.baseline.title) == ("second", "first", "first")
    assert pages.baseline_at == "2026-12-01T02:00:00+00:00"
    # A check with no page (a failure) clears the latest snapshot: nothing stale is judged.
    with db.atomic():
        save_page_snapshots(db, [(_result(None), "2026-12-03T02:00:00+00:00")])
    assert URL not in stored_pages(db)
    promote_baselines(db, [URL])  # nothing to promote: the baseline stays the last good one
    row = next(db.query("SELECT current, previous, baseline FROM link_pages WHERE url = ?", [URL]))
    assert row["current"] is None and "second" in row["previous"] and "first" in row["baseline"]
    db.close()


def test_certificate_subject_is_read_from_the_certificate_dict() -> None:
    from localoffer_audit.links.certificates import CertificateRecorder, subject_for
    from localoffer_audit.links.fingerprint import subject_of

    cert = {"subject": ((("organizationName", "Little Acorns Ltd"),), (("commonName", "www.example.org.uk"),))}
    assert subject_of(cert) == "O=Little Acorns Ltd; CN=www.example.org.uk"
    assert subject_of({}) is None and subject_of(None) is None

    class Recorded(CertificateRecorder):
        pass

    connector = Recorded()
    connector.certificate_subjects[("www.example.org.uk", 443)] = "CN=www.example.org.uk"
    assert subject_for(connector, "https://WWW.example.org.uk/page") == "CN=www.example.org.uk"
    assert subject_for(connector, "http://www.example.org.uk/") is None
