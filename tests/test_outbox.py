"""The outbox repository on real SQLite files: enqueue, claim order, outcomes, recovery."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from bot.messages import Choice, Media, Reply
from storage import Storage
from storage.outbox import Push

NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path):
    opened = await Storage.open(tmp_path / "loaxa.db")
    yield opened
    await opened.close()


def push(chat: str, source: str = "broadcast:1", priority: int = 5, **fields) -> Push:
    return Push(
        "telegram", chat, Reply(f"hello {chat}"), "broadcast", source, priority=priority, **fields
    )


def statuses(path) -> dict[str, str]:
    """Read (chat_id -> status) straight from the file, as another process would."""
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT chat_id, status FROM outbox").fetchall())


async def test_enqueue_commits_rows_and_ignores_duplicates(store, tmp_path):
    assert await store.outbox.enqueue([push("1"), push("2"), push("3")]) == 3
    store.outbox.changed.clear()

    again = await store.outbox.enqueue([push("2"), push("3"), push("4")])

    assert again == 1
    assert store.outbox.changed.is_set()
    assert statuses(tmp_path / "loaxa.db") == {c: "pending" for c in "1234"}
    other_source = await store.outbox.enqueue([push("1", source="broadcast:2")])
    assert other_source == 1
    assert (await store.outbox.stats())["pending"] == 5


async def test_enqueue_nothing_inserts_nothing(store):
    assert await store.outbox.enqueue([]) == 0
    assert sum((await store.outbox.stats()).values()) == 0


async def test_enqueue_joins_the_callers_transaction_and_rolls_back_with_it(store):
    with pytest.raises(RuntimeError):
        async with store.db.transaction():
            await store.outbox.enqueue([push("1")])
            raise RuntimeError("the broadcast row could not be written")
    assert sum((await store.outbox.stats()).values()) == 0


async def test_a_push_with_an_unknown_kind_or_priority_is_refused():
    with pytest.raises(ValueError):
        Push("telegram", "1", Reply("x"), "spam", "s:1")
    with pytest.raises(ValueError):
        Push("telegram", "1", Reply("x"), "notify", "s:1", priority=10)


async def test_claim_takes_due_rows_by_priority_then_id_and_marks_them_sending(store, tmp_path):
    await store.outbox.enqueue([push(str(n)) for n in range(1, 6)])
    await store.outbox.enqueue([push("urgent", source="fb:1:answer", priority=0)])
    later = NOW + timedelta(minutes=5)
    await store.outbox.enqueue([push("later", source="fb:2:answer", priority=0, not_before=later)])
    await store.outbox.enqueue([Push("zalo", "z", Reply("x"), "notify", "fb:3", priority=0)])

    first = await store.outbox.claim("telegram", 3, NOW)

    assert [item.chat_id for item in first] == ["urgent", "1", "2"]
    assert all(item.status == "sending" and item.attempts == 1 for item in first)
    rows = statuses(tmp_path / "loaxa.db")
    assert [c for c, s in sorted(rows.items()) if s == "sending"] == ["1", "2", "urgent"]
    rest = await store.outbox.claim("telegram", 10, NOW)
    assert [item.chat_id for item in rest] == ["3", "4", "5"]
    assert await store.outbox.claim("telegram", 10, NOW) == []
    assert [i.chat_id for i in await store.outbox.claim("telegram", 10, later)] == ["later"]


async def test_claim_and_next_due_leave_the_rows_of_chats_the_worker_is_holding(store):
    await store.outbox.enqueue([push("busy", source=f"fb:{n}:answer") for n in range(3)])
    await store.outbox.enqueue([push("free"), push("late", not_before=NOW)])

    claimed = await store.outbox.claim("telegram", 10, NOW, skip_chats={"busy", "late"})

    assert [item.chat_id for item in claimed] == ["free"]
    assert await store.outbox.next_due("telegram", {"late"}) is None
    assert await store.outbox.next_due("telegram") == NOW
    assert [i.chat_id for i in await store.outbox.claim("telegram", 10, NOW)] == [
        "busy", "busy", "busy", "late"
    ]  # fmt: skip


async def test_claim_returns_the_reply_as_it_was_enqueued(store):
    reply = Reply(
        "Lịch tiếp dân",
        (Choice("a", "Có"), Choice("b", "Không")),
        title="Thông báo",
        columns=2,
        media=Media("photo", "x.png", b"\x89PNG"),
    )
    await store.outbox.enqueue(
        [Push("telegram", "7", reply, "notify", "fb:9:answer", priority=0, resident_id=None)]
    )
    [item] = await store.outbox.claim("telegram", 1, NOW)
    assert item.reply == reply
    assert (item.kind, item.source, item.priority) == ("notify", "fb:9:answer", 0)


async def test_mark_sent_records_only_claimed_rows(store, tmp_path):
    await store.outbox.enqueue([push("1"), push("2"), push("3")])
    claimed = await store.outbox.claim("telegram", 2, NOW)

    assert await store.outbox.mark_sent([i.id for i in claimed], NOW) == 2
    assert await store.outbox.mark_sent([i.id for i in claimed], NOW) == 0

    assert statuses(tmp_path / "loaxa.db") == {"1": "sent", "2": "sent", "3": "pending"}
    [row] = [i for i in await store.outbox.list_by_source("broadcast:1") if i.chat_id == "1"]
    assert row.sent_at == NOW


async def test_retry_waits_until_not_before_and_can_give_the_attempt_back(store):
    await store.outbox.enqueue([push("1"), push("2")])
    one, two = await store.outbox.claim("telegram", 2, NOW)
    soon = NOW + timedelta(seconds=1.5)

    await store.outbox.retry(one.id, soon, "Internal Server Error")
    await store.outbox.retry(two.id, soon, "Too Many Requests", attempt=False)

    assert await store.outbox.claim("telegram", 5, NOW + timedelta(seconds=1)) == []
    again = await store.outbox.claim("telegram", 5, soon)
    assert [(i.chat_id, i.attempts) for i in again] == [("1", 2), ("2", 1)]
    errors = {i.chat_id: i.last_error for i in await store.outbox.list_by_source("broadcast:1")}
    assert errors == {"1": "Internal Server Error", "2": "Too Many Requests"}


async def test_fail_and_unreachable_are_final(store, tmp_path):
    await store.outbox.enqueue([push("1"), push("2")])
    one, two = await store.outbox.claim("telegram", 2, NOW)

    await store.outbox.fail(one.id, "rejected: message is too long")
    await store.outbox.unreachable(two.id, "Forbidden: bot was blocked by the user")

    assert statuses(tmp_path / "loaxa.db") == {"1": "failed", "2": "unreachable"}
    assert await store.outbox.claim("telegram", 5, NOW + timedelta(days=1)) == []
    await store.outbox.recover_in_flight()
    assert statuses(tmp_path / "loaxa.db") == {"1": "failed", "2": "unreachable"}


async def test_recover_in_flight_returns_sending_rows_after_a_crash(tmp_path):
    path = tmp_path / "loaxa.db"
    store = await Storage.open(path)
    await store.outbox.enqueue([push(str(n)) for n in range(5)])
    claimed = await store.outbox.claim("telegram", 3, NOW)
    await store.outbox.mark_sent([claimed[0].id], NOW)
    await store.db.conn.close()  # no clean shutdown: as if the process died here
    store.db._conn = None

    reopened = await Storage.open(path)
    try:
        assert await reopened.outbox.recover_in_flight() == 2
        assert await reopened.outbox.stats() == {
            "pending": 4,
            "sending": 0,
            "sent": 1,
            "failed": 0,
            "unreachable": 0,
            "cancelled": 0,
            "held": 0,
        }
        again = await reopened.outbox.claim("telegram", 10, NOW)
        assert [i.chat_id for i in again] == ["1", "2", "3", "4"]
        assert [i.attempts for i in again] == [2, 2, 1, 1]
    finally:
        await reopened.close()


async def test_release_gives_claimed_rows_back_untried(store):
    await store.outbox.enqueue([push("1")])
    [item] = await store.outbox.claim("telegram", 1, NOW)
    await store.outbox.release([item.id])
    [again] = await store.outbox.claim("telegram", 1, NOW)
    assert (again.id, again.attempts) == (item.id, 1)


async def test_cancel_stops_pending_rows_of_one_source_only(store, tmp_path):
    await store.outbox.enqueue([push("1"), push("2"), push("3")])
    await store.outbox.enqueue([push("4", source="broadcast:12")])
    [first] = await store.outbox.claim("telegram", 1, NOW)

    assert await store.outbox.cancel("broadcast:1") == 2

    assert statuses(tmp_path / "loaxa.db") == {
        "1": "sending",
        "2": "cancelled",
        "3": "cancelled",
        "4": "pending",
    }
    assert first.chat_id == "1"


async def test_progress_counts_statuses_under_a_source_prefix(store):
    await store.outbox.enqueue([push(str(n), source="campaign:3:day1") for n in range(4)])
    await store.outbox.enqueue([push("9", source="campaign:3:day2")])
    await store.outbox.enqueue([push("9", source="campaign:30:day1")])
    claimed = await store.outbox.claim("telegram", 2, NOW)
    await store.outbox.mark_sent([claimed[0].id])
    await store.outbox.fail(claimed[1].id, "rejected")

    progress = await store.outbox.progress("campaign:3:")

    assert progress == {
        "pending": 3,
        "sending": 0,
        "sent": 1,
        "failed": 1,
        "unreachable": 0,
        "cancelled": 0,
        "held": 0,
    }
    assert (await store.outbox.progress("campaign:3:day2"))["pending"] == 1


async def test_next_due_and_outstanding(store):
    later = NOW + timedelta(minutes=10)
    await store.outbox.enqueue([push("1", not_before=later), push("2", not_before=NOW)])
    assert await store.outbox.next_due("telegram") == NOW
    assert await store.outbox.outstanding(["telegram"], NOW) == 1
    assert await store.outbox.outstanding(["telegram"], later) == 2
    assert await store.outbox.outstanding(["zalo"], later) == 0


async def test_a_row_keeps_its_history_when_the_resident_row_goes(store, tmp_path):
    resident = await store.residents.register("telegram", "55", "55", "Lan", "vi")
    await store.outbox.enqueue([push("55", resident_id=resident.id)])
    async with store.db.transaction() as conn:
        await conn.execute("DELETE FROM residents WHERE id = ?", (resident.id,))
    [row] = await store.outbox.list_by_source("broadcast:1")
    assert row.resident_id is None
