"""Migration names sort in the order they run, and a database made under the old names
(m001, m101, m060) opens without running anything twice."""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from localoffer_audit.store.db import RENAMED_MIGRATIONS, applied_migrations, migrations, open_db


def test_names_sort_in_the_order_they_run() -> None:
    names = [m.name for m in migrations._migrations]
    assert names == sorted(names)
    assert len({name.split("_", 1)[0] for name in names}) == len(names)  # one number, one migration
    assert not set(RENAMED_MIGRATIONS) & set(names)  # an old name is never reused


def _old_database(path: Path) -> None:
    """The database as the code before the rename left it: the first three migrations
    applied under their old names, in their old order, with data in the tables they made."""
    old_names = {new: old for old, new in RENAMED_MIGRATIONS.items()}
    before = Migrations(migrations.name)
    for migration in migrations._migrations[:3]:
        before(name=old_names.get(migration.name, migration.name))(migration.fn)
    db = Database(path)
    before.apply(db)
    assert [m.name for m in before.applied(db)] == [
        "m001_initial_schema", "m101_qa_sample_item_findings", "m060_links_check_history",
    ]
    db["links"].insert({"url": "https://sunnyside.test/", "host": "sunnyside.test", "first_seen_at": "2026-01-01",
                        "last_seen_at": "2026-01-01", "service_count": 3})
    db.close()


def test_a_database_made_under_the_old_names_opens_and_upgrades(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _old_database(path)
    # The renamed migrations add columns: run again they would fail ("duplicate column").
    db = open_db(path)
    assert applied_migrations(db)[:3] == ["m001_initial_schema", "m002_qa_sample_item_findings", "m003_links_check_history"]
    assert sorted(applied_migrations(db)) == sorted(m.name for m in migrations._migrations)
    assert migrations.pending(db) == []
    assert db["links"].get("https://sunnyside.test/")["service_count"] == 3
    db.close()
    again = open_db(path)  # and again: nothing left to do
    assert migrations.pending(again) == []
    again.close()

