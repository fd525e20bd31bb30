"""Database locked, disk full: the person is told to try again, and nothing is half-written.

Both faults are real SQLite ones, on the bot's own database file, end to end over the
Telegram emulator:
- locked: a second connection (an operator's sqlite3 shell, another process) holds
  `BEGIN EXCLUSIVE` while a resident presses "Gửi phản ánh"; the bot waits its busy timeout
  (LOAXA_DB_BUSY_TIMEOUT_MS, short here) and gets SQLITE_BUSY;
- full: `PRAGMA max_page_count` caps the file at its current size, so the first write that
  needs a new page gets SQLITE_FULL ("database or disk is full"), exactly as on a full disk.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from storage import Database, is_transient
from storage.db import utcnow
from storage.models import Role, SessionKey
from tests.test_feedback_e2e import CODE, png, start_feedback
from tests.test_onboarding_e2e import onboard

BUSY = (
    "Hệ thống đang bận. Mời ông/bà thử lại sau ít phút. Những gì ông/bà gửi trước đó vẫn được giữ."
)
SEND = "Gửi phản ánh"
# Long enough that two descriptions do not fit in one 4 KiB page: the second needs a new one.
LONG = ("Mương thoát nước đầu xóm bị tắc, rác thải ứ đọng, bốc mùi hôi thối suốt tuần. " * 30)[
    :1990
]


async def _to_review(world, person, text: str) -> None:
    await start_feedback(person, text=text)
    await person.sends_photo(png(7))
    await person.taps("Xong, tiếp tục")
    await person.taps("Ở Xóm 3")
    await person.taps("Gửi có tên")
    assert person.last_text().startswith("Mời ông/bà xem lại trước khi gửi")


async def _session_step(world, person) -> str | None:
    key = SessionKey("telegram", str(person.id), str(person.id))
    session = await world.store.sessions.get(key, utcnow() + timedelta(seconds=1))
    return session.step if session else None


async def _written(world) -> dict[str, int]:
    db = world.store.db
    return {
        "feedback": await db.fetchval("SELECT COUNT(*) FROM feedback"),
        "events": await db.fetchval("SELECT COUNT(*) FROM feedback_events"),
        "outbox about feedback": await db.fetchval(
            "SELECT COUNT(*) FROM outbox WHERE source LIKE 'fb:%'"
        ),
        "photos linked": await db.fetchval(
            "SELECT COUNT(*) FROM media WHERE feedback_id IS NOT NULL"
        ),
        "photos waiting": await db.fetchval("SELECT COUNT(*) FROM media WHERE feedback_id IS NULL"),
    }


def _fails_softly(answer) -> None:
    texts = [m.text for m in answer]
    assert texts == [BUSY], texts
    assert not any(CODE.search(t) for t in texts)


async def _retry_succeeds(world, lan, before: dict[str, int]) -> None:
    """The keyboard was retired with the press: typing the button's label presses it."""
    answer = await lan.says(SEND)
    assert answer[0].text.startswith("Đã nhận phản ánh"), answer[0].text
    code = CODE.search(answer[0].text).group(0)
    item = await world.store.feedback.get_by_code(code)
    assert item is not None and item.description == LONG
    assert await world.store.media.count_for_feedback(item.id) == 1
    assert await _session_step(world, lan) is None
    after = await _written(world)
    assert after["feedback"] == before["feedback"] + 1
    assert after["photos linked"] == before["photos linked"] + 1


async def test_a_locked_database_asks_to_try_again_and_writes_nothing(world, monkeypatch):
    monkeypatch.setenv("LOAXA_DB_BUSY_TIMEOUT_MS", "150")
    await world.restart()
    assert await world.store.db.fetchval("PRAGMA busy_timeout") == 150
    await world.staff("Cán bộ Minh", Role.OFFICIAL)  # so that a new item notifies someone
    lan = world.resident("Lan")
    await onboard(lan)
    await _to_review(world, lan, LONG)
    before = await _written(world)

    other = sqlite3.connect(world.db_path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")  # e.g. an operator's sqlite3 shell in a transaction
        answer = await lan.taps(SEND)
        _fails_softly(answer)
        assert await _written(world) == before  # readers still read, in WAL mode
        assert await _session_step(world, lan) == "pa.review"
        answer = await lan.says(SEND)  # still locked: the same answer, still nothing written
        _fails_softly(answer)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert await _written(world) == before
    await _retry_succeeds(world, lan, before)


async def test_a_full_disk_asks_to_try_again_and_writes_nothing(world):
    db = world.store.db
    await world.staff("Cán bộ Minh", Role.OFFICIAL)
    hoa, lan = world.resident("Hoa"), world.resident("Lan")
    for person in (hoa, lan):
        await onboard(person)
    await _to_review(world, hoa, LONG)
    await hoa.taps(SEND)  # one long item already fills most of the feedback table's page
    await _to_review(world, lan, LONG)
    await world.drain()
    before = await _written(world)

    assert await db.fetchval("PRAGMA freelist_count") == 0  # no free page left to reuse
    pages = await db.fetchval("PRAGMA page_count")
    await db.conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full
    try:
        answer = await lan.taps(SEND)
        _fails_softly(answer)
        assert await _written(world) == before
        assert await _session_step(world, lan) == "pa.review"
        assert await db.fetchval("PRAGMA integrity_check") == "ok"
    finally:
        await db.conn.execute("PRAGMA max_page_count = 1073741823")  # space freed
    await _retry_succeeds(world, lan, before)


async def test_a_write_refused_for_lack_of_space_is_rolled_back_and_reported_as_full(tmp_path):
    """SQLite rolls the whole transaction back on SQLITE_FULL; the error must stay that one."""
    async with Database(tmp_path / "full.db") as db:
        async with db.transaction() as conn:
            await conn.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
            await conn.execute("INSERT INTO note (body) VALUES ('kept')")
        pages = await db.fetchval("PRAGMA page_count")
        await db.conn.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(sqlite3.OperationalError) as failure:
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO note (body) VALUES ('half')")
                await conn.execute("INSERT INTO note (body) VALUES (?)", ("ệ" * 5000,))
        assert "full" in str(failure.value) and is_transient(failure.value)
        assert [r[0] for r in await db.fetchall("SELECT body FROM note")] == ["kept"]
        await db.conn.execute("PRAGMA max_page_count = 1073741823")
        async with db.transaction() as conn:  # the lock and the connection are usable again
            await conn.execute("INSERT INTO note (body) VALUES ('later')")
        assert await db.fetchval("SELECT COUNT(*) FROM note") == 2
