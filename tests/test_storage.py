"""The SQLite store on real files: migrations, transactions, backups and each repository."""

from __future__ import annotations

import logging
import os
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from storage import Database, Storage, StorageError
from storage.db import migrations
from storage.models import ResidentStatus, Role, Session, SessionKey, Topic

NEWEST = migrations()[-1][0]
NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path):
    async with Database(tmp_path / "loaxa.db") as database:
        yield database


@pytest.fixture
async def store(tmp_path):
    opened = await Storage.open(tmp_path / "loaxa.db")
    yield opened
    await opened.close()


def tables(path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows}


# --- the database ---------------------------------------------------------------------------


async def test_migrate_on_a_fresh_file_reaches_the_newest_version_and_creates_tables(db):
    assert await db.migrate() == NEWEST
    assert await db.schema_version() == NEWEST
    assert {"residents", "subscriptions", "staff", "sessions", "schema_version"} <= tables(db.path)


async def test_migrate_twice_changes_nothing(db):
    await db.migrate()
    assert await db.migrate() == NEWEST
    assert await db.fetchval("SELECT COUNT(*) FROM schema_version") == len(migrations())


async def test_connection_uses_wal_and_foreign_keys(db):
    assert await db.fetchval("PRAGMA journal_mode") == "wal"
    assert await db.fetchval("PRAGMA foreign_keys") == 1
    assert await db.fetchval("PRAGMA synchronous") == 2  # FULL
    assert await db.fetchval("PRAGMA busy_timeout") == 5000


async def test_a_database_newer_than_the_code_is_refused(db):
    await db.migrate()
    await db.conn.execute("INSERT INTO schema_version VALUES (?, 'later')", (NEWEST + 1,))
    with pytest.raises(StorageError, match="newer"):
        await db.migrate()


async def test_storage_open_refuses_a_newer_database(tmp_path):
    path = tmp_path / "loaxa.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT)")
        conn.execute("INSERT INTO schema_version VALUES (999, 'later')")
    with pytest.raises(StorageError, match="newer"):
        await Storage.open(path)


async def test_a_failing_migration_rolls_back_entirely(db):
    await db.migrate()
    broken = (
        NEWEST + 1,
        f"{NEWEST + 1:04d}_broken.sql",
        "CREATE TABLE half_done (x);\nSELEC oops;",
    )
    with pytest.raises(StorageError, match="broken"):
        await db.migrate([*migrations(), broken])
    assert "half_done" not in tables(db.path)
    assert await db.schema_version() == NEWEST
    assert not db.conn.in_transaction


async def test_transaction_rolls_back_on_exception(store):
    with pytest.raises(RuntimeError):
        async with store.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO staff (channel, user_id, name, role, created_at)"
                " VALUES ('telegram', '1', 'Lan', 'official', 'now')"
            )
            raise RuntimeError("boom")
    assert await store.staff.get_by_identity("telegram", "1") is None
    await store.staff.upsert("telegram", "2", "Minh", Role.LEADER)  # the lock was released
    assert (await store.staff.get_by_identity("telegram", "2")).name == "Minh"


async def test_backup_copies_the_rows_into_a_usable_file(store, tmp_path):
    await store.staff.upsert("telegram", "42", "Nguyễn Văn A", Role.OFFICIAL)
    await store.residents.register("telegram", "7", "7", "Lan", "vi")
    target = await store.db.backup(tmp_path / "backups" / "copy.db")
    copy = await Storage.open(target)
    try:
        assert (await copy.staff.get_by_identity("telegram", "42")).name == "Nguyễn Văn A"
        assert (await copy.residents.get_by_identity("telegram", "7")).display_name == "Lan"
        assert await copy.db.schema_version() == NEWEST
    finally:
        await copy.close()


async def test_backup_refuses_an_existing_target(store, tmp_path):
    target = tmp_path / "copy.db"
    target.write_bytes(b"keep me")
    with pytest.raises(StorageError, match="already exists"):
        await store.db.backup(target)
    assert target.read_bytes() == b"keep me"


# --- residents -------------------------------------------------------------------------------


async def test_registered_resident_is_found_by_identity(store):
    lan = await store.residents.register("telegram", "7", "70", "Lan", "vi")
    found = await store.residents.get_by_identity("telegram", "7")
    assert found == lan
    assert (found.display_name, found.chat_id, found.status) == ("Lan", "70", ResidentStatus.ACTIVE)
    assert found.consent_at is not None


async def test_registering_again_updates_the_same_resident(store):
    first = await store.residents.register("telegram", "7", "70", "Lan", "vi")
    await store.residents.set_status(first.id, ResidentStatus.STOPPED)
    again = await store.residents.register("telegram", "7", "71", "Lan Nguyễn", "vi")
    assert again.id == first.id
    assert (again.display_name, again.chat_id, again.status) == (
        "Lan Nguyễn",
        "71",
        ResidentStatus.ACTIVE,
    )
    assert await store.db.fetchval("SELECT COUNT(*) FROM residents") == 1


async def test_set_hamlet_is_stored(store):
    lan = await store.residents.register("telegram", "7", "7", "Lan", "vi")
    await store.residents.set_hamlet(lan.id, "Xóm 3")
    assert (await store.residents.get(lan.id)).hamlet == "Xóm 3"


async def test_set_subscriptions_replaces_the_previous_ones(store):
    lan = await store.residents.register("telegram", "7", "7", "Lan", "vi")
    await store.residents.set_subscriptions(lan.id, [Topic.ANNOUNCEMENTS, Topic.SURVEYS])
    await store.residents.set_subscriptions(lan.id, [Topic.OUTREACH])
    assert await store.residents.subscriptions(lan.id) == {Topic.OUTREACH}
    await store.residents.set_subscriptions(lan.id, [])
    assert await store.residents.subscriptions(lan.id) == set()


async def test_erase_removes_personal_data_but_keeps_the_hamlet_for_counts(store):
    lan = await store.residents.register("telegram", "7", "70", "Lan", "vi")
    minh = await store.residents.register("telegram", "8", "80", "Minh", "vi")
    for person in (lan, minh):
        await store.residents.set_hamlet(person.id, "Xóm 3")
    await store.residents.set_subscriptions(lan.id, list(Topic))

    await store.residents.erase(lan.id)

    gone = await store.residents.get(lan.id)
    assert (gone.channel, gone.user_id, gone.chat_id, gone.display_name, gone.consent_at) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert gone.status is ResidentStatus.DELETED
    assert gone.hamlet == "Xóm 3"
    assert await store.residents.subscriptions(lan.id) == set()
    assert await store.residents.get_by_identity("telegram", "7") is None
    assert await store.residents.count_by_hamlet() == {"Xóm 3": 1}
    assert await store.residents.count_deleted() == 1


async def test_after_erase_the_same_person_can_register_afresh(store):
    lan = await store.residents.register("telegram", "7", "70", "Lan", "vi")
    await store.residents.erase(lan.id)
    back = await store.residents.register("telegram", "7", "70", "Lan", "vi")
    assert back.id != lan.id
    assert back.hamlet is None


async def test_get_many_reads_residents_by_id_in_one_go_and_leaves_out_unknown_ids(store):
    lan = await store.residents.register("telegram", "7", "70", "Lan", "vi")
    hoa = await store.residents.register("telegram", "8", "80", "Hoa", "en")

    found = await store.residents.get_many([hoa.id, lan.id, hoa.id, 999])

    assert sorted(found) == sorted([lan.id, hoa.id])
    assert (found[hoa.id].display_name, found[hoa.id].language) == ("Hoa", "en")
    assert await store.residents.get_many([]) == {}


# --- staff -----------------------------------------------------------------------------------


async def test_staff_upsert_get_and_change_role(store):
    added = await store.staff.upsert("telegram", "42", "Nguyễn Văn A", Role.OFFICIAL)
    assert await store.staff.get_by_identity("telegram", "42") == added
    assert (added.role, added.source) == (Role.OFFICIAL, "cli")
    changed = await store.staff.upsert("telegram", "42", "Nguyễn Văn A", Role.LEADER)
    assert changed.id == added.id
    assert changed.role is Role.LEADER


async def test_staff_list_by_role(store):
    await store.staff.upsert("telegram", "1", "Bình", Role.OFFICIAL)
    await store.staff.upsert("telegram", "2", "An", Role.OFFICIAL)
    await store.staff.upsert("zalo", "3", "Cường", Role.HAMLET_HEAD, hamlet="Xóm 1")
    officials = await store.staff.list_by_role(Role.OFFICIAL)
    assert [s.name for s in officials] == ["An", "Bình"]
    heads = await store.staff.list_by_role(Role.HAMLET_HEAD, Role.LEADER)
    assert [(s.name, s.hamlet) for s in heads] == [("Cường", "Xóm 1")]


async def test_staff_remove(store):
    await store.staff.upsert("telegram", "42", "Nguyễn Văn A", Role.OFFICIAL)
    assert await store.staff.remove("telegram", "42") is True
    assert await store.staff.get_by_identity("telegram", "42") is None
    assert await store.staff.remove("telegram", "42") is False


async def test_remove_config_staff_except_keeps_cli_staff_and_listed_ones(store):
    await store.staff.upsert("telegram", "1", "From CLI", Role.ADMIN)
    await store.staff.upsert("telegram", "2", "Still listed", Role.OFFICIAL, source="config")
    await store.staff.upsert("telegram", "3", "Dropped", Role.OFFICIAL, source="config")
    removed = await store.staff.remove_config_staff_except({("telegram", "2")})
    assert removed == 1
    assert {s.name for s in await store.staff.list_all()} == {"From CLI", "Still listed"}


# --- sessions --------------------------------------------------------------------------------

KEY = SessionKey("telegram", "70", "7")


async def test_session_round_trips_its_draft(store):
    draft = {"text": "Bãi rác tự phát cạnh đường liên xóm", "photos": ["a", "b"], "n": 3}
    await store.sessions.save(
        Session(KEY, "feedback", "feedback.describe", draft), NOW + timedelta(hours=1)
    )
    got = await store.sessions.get(KEY, NOW)
    assert (got.flow, got.step, got.draft) == ("feedback", "feedback.describe", draft)
    assert got.expires_at == NOW + timedelta(hours=1)
    stored = await store.db.fetchval("SELECT draft FROM sessions")
    assert "Bãi rác" in stored  # readable in the file, not \\u-escaped


async def test_saving_again_replaces_the_session(store):
    await store.sessions.save(Session(KEY, "onb", "onb.hamlet", {"a": 1}), NOW + timedelta(hours=1))
    await store.sessions.save(Session(KEY, "onb", "onb.subscribe", {}), NOW + timedelta(hours=2))
    got = await store.sessions.get(KEY, NOW)
    assert (got.step, got.draft) == ("onb.subscribe", {})


async def test_expired_session_is_only_returned_by_get_expired(store):
    await store.sessions.save(Session(KEY, "onb", "onb.hamlet", {}), NOW)
    assert await store.sessions.get(KEY, NOW + timedelta(seconds=1)) is None
    expired = await store.sessions.get_expired(KEY, NOW + timedelta(seconds=1))
    assert (expired.flow, expired.step) == ("onb", "onb.hamlet")
    assert await store.sessions.get_expired(KEY, NOW - timedelta(minutes=1)) is None


async def test_session_delete(store):
    await store.sessions.save(Session(KEY, "onb", "onb.hamlet", {}), NOW + timedelta(hours=1))
    await store.sessions.delete(KEY)
    assert await store.sessions.get(KEY, NOW) is None
    assert await store.sessions.get_expired(KEY, NOW + timedelta(days=1)) is None


async def test_purge_expired_removes_only_expired_sessions(store):
    other = SessionKey("telegram", "80", "8")
    await store.sessions.save(Session(KEY, "onb", "onb.hamlet", {}), NOW - timedelta(minutes=1))
    await store.sessions.save(Session(other, "onb", "onb.hamlet", {}), NOW + timedelta(minutes=1))
    assert await store.sessions.purge_expired(NOW) == 1
    assert await store.sessions.get_expired(KEY, NOW) is None
    assert await store.sessions.get(other, NOW) is not None


async def test_an_existing_database_open_to_others_is_made_private_on_open(tmp_path, caplog):
    """A file made 0644 before (by an older Loa Xã, a copy, a restore) is tightened to 0600."""
    path = tmp_path / "loaxa.db"
    previous = os.umask(0o022)
    try:
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE t (x)")
        path.chmod(0o644)
        with caplog.at_level(logging.INFO, logger="storage.db"):
            store = await Storage.open(path)
        try:
            await store.db.write("INSERT INTO t VALUES (1)")
            private = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
        finally:
            await store.close()
    finally:
        os.umask(previous)
    assert private == {"loaxa.db": 0o600, "loaxa.db-wal": 0o600, "loaxa.db-shm": 0o600}
    [said] = [r.getMessage() for r in caplog.records if "now 0600" in r.getMessage()]
    assert said.startswith(f"{path} was open to other accounts (mode 644)")


async def test_a_new_database_and_its_folders_are_private_whatever_the_umask(tmp_path):
    path = tmp_path / "a" / "b" / "loaxa.db"
    previous = os.umask(0o022)
    try:
        store = await Storage.open(path)
        await store.close()
    finally:
        os.umask(previous)
    assert [p.stat().st_mode & 0o777 for p in (tmp_path / "a", path.parent, path)] == [
        0o700,
        0o700,
        0o600,
    ]
