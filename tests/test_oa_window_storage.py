"""The Zalo OA window's storage and rule on real SQLite files: migration 0021 keeps every
outbox row, held rows are neither due nor outstanding, and the window's edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.messages import Reply
from bot.oa_window import OaWindow
from storage import Storage
from storage.db import Database, migrations
from storage.outbox import Push

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


def oa_push(chat: str, source: str = "notify:1") -> Push:
    return Push("zalo_oa", chat, Reply(f"tin {source}"), "notify", source)


@pytest.fixture
async def store(tmp_path):
    opened = await Storage.open(tmp_path / "loaxa.db")
    yield opened
    await opened.close()


async def test_migration_0021_keeps_every_outbox_row(tmp_path):
    db = Database(tmp_path / "old.db")
    await db.connect()
    await db.migrate([step for step in migrations() if step[0] < 21])
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO outbox (channel, chat_id, kind, source, payload, status, attempts,"
            " created_at) VALUES ('zalo_oa', 'u1', 'notify', 's:1', '{\"text\": \"x\"}',"
            " 'failed', 3, '2026-12-01T00:00:00.000+00:00')"
        )
    await db.migrate()
    row = await db.fetchone("SELECT chat_id, status, attempts, billing FROM outbox")
    assert tuple(row) == ("u1", "failed", 3, None)
    await db.close()


async def test_a_held_row_is_not_due_not_outstanding_and_comes_back_oldest_first(store):
    await store.outbox.enqueue([oa_push("u1", f"notify:{n}") for n in range(3)])
    claimed = await store.outbox.claim("zalo_oa", 10, NOW)
    for item in claimed:
        await store.oa_window.hold(item.id, "outside the window")
    assert await store.outbox.claim("zalo_oa", 10, NOW + timedelta(days=30)) == []
    assert await store.outbox.outstanding(["zalo_oa"], NOW + timedelta(days=30)) == 0
    taken = await store.oa_window.take_held("zalo_oa", "u1", 2)
    assert [i.reply.text for i in taken] == ["tin notify:0", "tin notify:1"]
    assert [i.attempts for i in taken] == [1, 1]  # holding gave the try back
    assert await store.oa_window.count_held("zalo_oa", "u1") == 1


async def test_the_window_free_then_billable_then_closed(store):
    moment = [NOW]
    window = OaWindow(store, window_days=7, free_hours=48, clock=lambda: moment[0])
    assert await window.billing("u1") is None  # never interacted: nothing may be sent
    await window.interacted("u1", NOW)
    for after, expected in [(47, "free"), (49, "paid"), (7 * 24, "paid"), (7 * 24 + 1, None)]:
        moment[0] = NOW + timedelta(hours=after)
        assert await window.billing("u1") == expected, after
    await window.interacted("u1", NOW + timedelta(days=30))  # a clock ahead: capped at now
    assert await store.oa_window.last("u1") == moment[0]
