"""The database's extra connections, each on a thread of its own (or none): see `Database`.

On a small machine a hand-off to a thread and back costs more than an indexed read and
about as much as a short write (system calls and wake-ups; benchmarks/inbound.py measured
it), and every hand-off also waits for a turn of the event loop. So:

- `Reader` serves reads outside transactions without ever waiting for the writer: one
  connection on its own thread, one trip per query; and one used on the event loop's own
  thread for the indexed single-row reads of every update.
- `Writer` commits single statements in groups: whatever conversations wrote while the
  previous group was being committed goes in the next one, in one trip and one fsync.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

Statement = tuple[str, Sequence[Any]]


def pragmas(busy_timeout_ms: int) -> tuple[str, ...]:
    """The settings of every connection (the journal mode belongs to the file)."""
    return (
        "PRAGMA foreign_keys=ON",
        f"PRAGMA busy_timeout={busy_timeout_ms}",
        "PRAGMA synchronous=FULL",
        # Deleted and overwritten content is zeroed in the file (residents' erasure): the
        # default of Debian's SQLite, said here so that no other build changes it.
        "PRAGMA secure_delete=ON",
    )


def is_transient(exc: BaseException) -> bool:
    """Tell whether a storage error will likely pass (database locked or busy, disk full)."""
    if not isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
        return False
    text = str(exc).lower()
    return any(word in text for word in ("locked", "busy", "full", "disk i/o"))


class _Threaded:
    """A sqlite3 connection used only from one thread of its own."""

    def __init__(self, path: Path, busy_timeout_ms: int, name: str, *extra: str) -> None:
        self._path, self._busy_timeout_ms, self._extra = path, busy_timeout_ms, extra
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=f"loaxa-db-{name}")
        self._conn: sqlite3.Connection | None = None

    def _call(self, function: Callable[..., Any], *args: Any) -> asyncio.Future:
        return asyncio.get_running_loop().run_in_executor(self._thread, function, *args)

    def _connect(self, busy_timeout_ms: int) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        for pragma in (*pragmas(busy_timeout_ms), *self._extra):
            conn.execute(pragma)
        return conn

    async def open(self) -> None:
        self._conn = await self._call(self._connect, self._busy_timeout_ms)

    async def close(self) -> None:
        if self._conn is not None:
            await self._call(self._conn.close)
            self._conn = None
        self._thread.shutdown(wait=False)

    def connections(self) -> list[sqlite3.Connection]:
        return [self._conn] if self._conn is not None else []


class Reader(_Threaded):
    """Read-only connections: committed data only, never behind the writer's lock or fsync.

    `lookup` runs on the event loop's thread and never waits for a lock (busy timeout 0):
    when the file is busy it hands the read to the thread, which does wait.
    """

    def __init__(self, path: Path, busy_timeout_ms: int) -> None:
        super().__init__(path, busy_timeout_ms, "read", "PRAGMA query_only=ON")
        self._inline: sqlite3.Connection | None = None

    async def open(self) -> None:
        await super().open()
        self._inline = self._connect(0)

    async def close(self) -> None:
        if self._inline is not None:
            self._inline.close()
            self._inline = None
        await super().close()

    def connections(self) -> list[sqlite3.Connection]:
        return [*super().connections(), *([self._inline] if self._inline is not None else [])]

    async def fetch(self, sql: str, params: Sequence[Any], first: bool) -> Any:
        return await self._call(_fetch, self._conn, sql, params, first)

    async def lookup(self, sql: str, params: Sequence[Any]) -> sqlite3.Row | None:
        try:
            return _fetch(self._inline, sql, params, True)
        except sqlite3.OperationalError as exc:
            if not is_transient(exc):
                raise
            return await self.fetch(sql, params, first=True)


class Writer(_Threaded):
    """Commits single statements in groups, under the database's write lock.

    Each statement runs in a savepoint of the group's transaction, so one that fails (a
    constraint) fails alone; a failure of the transaction itself (busy, full disk) fails
    every statement of the group, and nothing of it is written.
    """

    def __init__(self, path: Path, busy_timeout_ms: int, lock: asyncio.Lock) -> None:
        super().__init__(path, busy_timeout_ms, "write")
        self._lock = lock
        self._waiting: list[tuple[Statement, asyncio.Future]] = []
        self._committer: asyncio.Task | None = None
        self.groups = 0  # transactions committed (or tried): fewer than statements under load

    async def write(self, sql: str, params: Sequence[Any]) -> int:
        """Return the rows the statement changed, once it is committed."""
        done = asyncio.get_running_loop().create_future()
        self._waiting.append(((sql, params), done))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_waiting())
        return await done

    async def close(self) -> None:
        if self._committer is not None:
            await asyncio.wait([self._committer])
        await super().close()

    async def _commit_waiting(self) -> None:
        while self._waiting:
            async with self._lock:
                group, self._waiting = self._waiting, []
                self.groups += 1
                try:
                    results = await self._call(_commit, self._conn, [s for s, _ in group])
                except asyncio.CancelledError:  # shutting down: nobody is told it was written
                    for _, done in group:
                        done.cancel()
                    raise
                except Exception as exc:  # every statement of the group gets the error
                    results = [exc] * len(group)
            for (_, done), result in zip(group, results, strict=True):
                if done.cancelled():
                    continue
                if isinstance(result, BaseException):
                    done.set_exception(result)
                else:
                    done.set_result(result)


def _fetch(conn: sqlite3.Connection, sql: str, params: Sequence[Any], first: bool) -> Any:
    cursor = conn.execute(sql, params)
    try:
        return cursor.fetchone() if first else cursor.fetchall()
    finally:
        cursor.close()  # ends the statement, and with it the read snapshot


def _commit(conn: sqlite3.Connection, group: list[Statement]) -> list[int | Exception]:
    """Run the statements in one transaction; return each one's row count or error."""
    if len(group) == 1:  # autocommit: SQLite commits the statement by itself
        sql, params = group[0]
        return [conn.execute(sql, params).rowcount]
    results: list[int | Exception] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for sql, params in group:
            conn.execute("SAVEPOINT one")
            try:
                results.append(conn.execute(sql, params).rowcount)
            except sqlite3.Error as exc:
                if not conn.in_transaction:  # SQLite rolled it all back (full disk, I/O)
                    raise
                conn.execute("ROLLBACK TO one")
                results.append(exc)
            conn.execute("RELEASE one")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return results
