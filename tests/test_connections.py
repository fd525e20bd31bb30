"""The database's connections on real files: grouped commits, reads of committed data only."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from storage import Database, is_transient


@pytest.fixture
async def db(tmp_path):
    async with Database(tmp_path / "loaxa.db", busy_timeout_ms=100) as database:
        async with database.transaction() as conn:
            await conn.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT UNIQUE)")
        yield database


def bodies(db: Database) -> list[str]:
    """Read the table from another connection, as another process would: committed rows."""
    with sqlite3.connect(db.path) as conn:
        return [body for (body,) in conn.execute("SELECT body FROM note ORDER BY id")]


async def insert(db: Database, body: str) -> int:
    return await db.write("INSERT INTO note (body) VALUES (?)", (body,))


async def test_writes_at_the_same_moment_are_committed_together_and_each_is_durable(db):
    done = await asyncio.gather(*(insert(db, f"n{n}") for n in range(50)))

    assert done == [1] * 50
    assert sorted(bodies(db)) == sorted(f"n{n}" for n in range(50))
    assert db.write_groups < 50  # one commit, one fsync, for many statements


async def test_a_statement_that_fails_fails_alone_and_the_rest_of_its_group_commits(db):
    await insert(db, "taken")

    done = await asyncio.gather(
        insert(db, "a"), insert(db, "taken"), insert(db, "b"), return_exceptions=True
    )

    assert done[0] == 1 and done[2] == 1
    assert isinstance(done[1], sqlite3.IntegrityError)
    assert bodies(db) == ["taken", "a", "b"]


async def test_a_locked_database_fails_the_whole_group_as_transient_and_writes_nothing(db):
    other = sqlite3.connect(db.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # an operator's shell holding the write lock
    try:
        writes = (insert(db, f"n{n}") for n in range(5))
        done = await asyncio.gather(*writes, return_exceptions=True)
    finally:
        other.execute("ROLLBACK")
        other.close()

    assert all(isinstance(e, sqlite3.OperationalError) and is_transient(e) for e in done)
    assert bodies(db) == []
    assert await insert(db, "later") == 1  # the lock and the connection are usable again
    assert bodies(db) == ["later"]


async def test_reads_outside_a_transaction_see_committed_rows_only(db):
    inserted, committed = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO note (body) VALUES ('pending')")
            assert await db.fetchval("SELECT COUNT(*) FROM note") == 1  # its own write
            inserted.set()
            await committed.wait()

    task = asyncio.create_task(writer())
    await inserted.wait()
    query = "SELECT body FROM note WHERE id = 1"
    assert await db.lookup(query) is None
    assert await db.fetchone(query) is None
    committed.set()
    await task
    assert (await db.lookup(query))["body"] == "pending"
    assert [row["body"] for row in await db.fetchall("SELECT body FROM note")] == ["pending"]
