"""The SQLite database: connection settings, transactions, migrations and backups."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from storage.connections import Reader, Writer, pragmas

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class StorageError(Exception):
    """A database problem an operator must act on (too new, unreadable, full).

    `key` and `values`, when given, name the sentence in the locale catalogs that says the
    same in the operator's language (the CLI shows that one); the text is the English form.
    """

    def __init__(self, text: str, key: str | None = None, **values: object) -> None:
        super().__init__(text)
        self.key = key
        self.values = values


def utcnow() -> datetime:
    """Return the current time in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def to_db_time(moment: datetime) -> str:
    """Format an aware datetime the way every table stores time: UTC ISO 8601."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_db_time(text: str | None) -> datetime | None:
    """Parse a stored timestamp back into an aware UTC datetime."""
    return datetime.fromisoformat(text) if text else None


def make_private(path: Path) -> None:
    """Create the database's missing folders 0700 and the file 0600; tighten a looser file.

    The file holds residents' personal data: only the account the bot runs as may read it.
    SQLite gives the -wal and -shm files the database file's mode. `loaxa` also sets umask
    077, so backups and exports are private too; this covers the bot used as a library and
    files made before. An existing folder is left as it is: the operator chose it, and a
    0600 file in it is private anyway. Failures are left to the open that follows, which
    reports them in its own words.
    """
    missing = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    try:
        for folder in reversed(missing):
            folder.mkdir(mode=0o700)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:
        return
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = file.stat().st_mode & 0o777
            if mode & 0o077:
                file.chmod(0o600)
                log.info("%s was open to other accounts (mode %o); it is now 0600", file, mode)
        except OSError:  # absent, or owned by another account: nothing this process can do
            continue


def migrations() -> list[tuple[int, str, str]]:
    """List the bundled migrations as (version, name, sql), in order."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


class Database:
    """One SQLite file opened with WAL, foreign keys, a busy timeout and full sync.

    One connection writes; writes go through `transaction()` or `write()`, which serialise
    them with a lock so that two coroutines never interleave statements in one transaction.
    Single statements from `write()` are committed in groups by a second writing connection
    under the same lock (`connections.Writer`). Reads go to read-only connections
    (`connections.Reader`), except inside a transaction, where the task reads its own
    uncommitted writes on the writing connection.
    """

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 5000) -> None:
        self.path = Path(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._conn: aiosqlite.Connection | None = None
        self._reader: Reader | None = None
        self._writer: Writer | None = None
        self._write_lock = asyncio.Lock()
        self._owner: asyncio.Task | None = None  # the task inside transaction(), if any

    async def connect(self) -> None:
        """Open the file (creating its folder) and apply the connection settings."""
        if str(self.path) != ":memory:":
            make_private(self.path)
            make_folder(self.path)  # what make_private could not make: one line saying why
        try:
            self._conn = await aiosqlite.connect(self.path, isolation_level=None)
            self._conn.row_factory = aiosqlite.Row
            for pragma in ("PRAGMA journal_mode=WAL", *pragmas(self._busy_timeout_ms)):
                await self._conn.execute(pragma)
            if str(self.path) != ":memory:":  # a second connection would open another database
                self._reader = Reader(self.path, self._busy_timeout_ms)
                await self._reader.open()
                self._writer = Writer(self.path, self._busy_timeout_ms, self._write_lock)
                await self._writer.open()
        except Exception as exc:  # sqlite3 raises several types for an unusable path
            # Close what was opened: aiosqlite's thread would keep the process alive.
            await self.close()
            raise StorageError(
                f"{self.path}: cannot open the database ({exc})",
                "cli.db_unusable",
                path=self.path,
                reason=exc,
            ) from exc

    async def close(self) -> None:
        """Close the connections if they are open."""
        if self._writer is not None:
            await self._writer.close()
            self._writer = None
        if self._reader is not None:
            await self._reader.close()
            self._reader = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def __aenter__(self) -> Database:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise StorageError("the database is not connected")
        return self._conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block in one IMMEDIATE transaction; commit on success, roll back on error.

        A transaction opened inside another one by the same task joins it, so several
        repository calls can be committed together:
        `async with db.transaction(): await a.create(...); await outbox.enqueue(...)`.
        """
        if self._in_transaction():
            yield self.conn
            return
        async with self._write_lock:
            self._owner = asyncio.current_task()
            try:
                await self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self.conn
                except BaseException:
                    # SQLite may have rolled back already (SQLITE_FULL, SQLITE_IOERR): a second
                    # ROLLBACK would fail and hide the error that says to try again.
                    if self.conn.in_transaction:
                        await self.conn.execute("ROLLBACK")
                    raise
                await self.conn.execute("COMMIT")
            finally:
                self._owner = None

    async def write(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one writing statement as a transaction of its own; return the rows it changed.

        Committed, with its fsync, when this returns. Statements written at the same moment
        by several conversations are committed together (`connections.Writer`): one trip
        to a thread and one fsync for all of them, instead of two turns of a busy event loop
        each (the lock's hand-over and the answer) while the others wait for the lock. That
        queue was the bot's latency tail at 100 updates/s (benchmarks/inbound.py). Inside a
        `transaction()` of the same task, the statement joins it.
        """
        if self._in_transaction():
            return (await self.conn.execute(sql, params)).rowcount
        if self._writer is not None:
            return await self._writer.write(sql, params)
        async with self._write_lock:  # autocommit: SQLite commits the statement by itself
            return (await self.conn.execute(sql, params)).rowcount

    async def set_trace_callback(self, callback: Callable[[str], object] | None) -> None:
        """Call `callback` with every statement any of the connections runs (diagnostics:
        benchmarks/bench_reports.py --plans); None stops it. It may run on any thread."""
        await self.conn.set_trace_callback(callback)
        for extra in (self._reader, self._writer):
            for conn in extra.connections() if extra is not None else ():
                conn.set_trace_callback(callback)

    @property
    def write_groups(self) -> int:
        """How many groups `write()` has committed (tests, diagnostics)."""
        return self._writer.groups if self._writer is not None else 0

    def _in_transaction(self) -> bool:
        return self._owner is not None and self._owner is asyncio.current_task()

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        """Return the first row of a query, or None."""
        if self._reader is not None and not self._in_transaction():
            return await self._reader.fetch(sql, params, first=True)
        rows = await self.conn.execute_fetchall(sql, params)  # one trip while holding the lock
        return rows[0] if rows else None

    async def lookup(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        """Return the first row of an indexed single-row read, run on the event loop's thread.

        Only for reads that find one row through an index (a primary key or a unique
        identity): they cost less there than the hand-off to a thread. Never for scans,
        counts or reports, which would stall every conversation while they run.
        """
        if self._reader is not None and not self._in_transaction():
            return await self._reader.lookup(sql, params)
        return await self.fetchone(sql, params)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        """Return every row of a query."""
        if self._reader is not None and not self._in_transaction():
            return await self._reader.fetch(sql, params, first=False)
        return list(await self.conn.execute_fetchall(sql, params))

    async def fetchval(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Return the first column of the first row, or None."""
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def checkpoint(self) -> bool:
        """Copy the WAL into the file and empty it (after an erasure: deleted bytes must not
        linger in old WAL frames); return False if readers kept it from completing."""
        async with self._write_lock:
            cursor = await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy, _, _ = await cursor.fetchone()
        return not busy

    async def schema_version(self) -> int:
        """Return the applied schema version (0 for a new file)."""
        await self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT)"
        )
        return await self.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version") or 0

    async def migrate(self, available: Iterable[tuple[int, str, str]] | None = None) -> int:
        """Apply pending migrations, each in its own transaction; return the new version."""
        steps = list(migrations() if available is None else available)
        newest = steps[-1][0] if steps else 0
        async with self._write_lock:
            current = await self.schema_version()
            applied = {row[0] for row in await self.fetchall("SELECT version FROM schema_version")}
            if current > newest:
                raise StorageError(
                    f"{self.path}: database schema version {current} is newer than this "
                    f"Loa Xã ({newest}); install the newer Loa Xã or restore a backup"
                )
            before = current
            for version, name, sql in steps:
                if version in applied:
                    continue
                log.debug("applying migration %s", name)
                stamp = to_db_time(utcnow())
                script = (
                    f"BEGIN IMMEDIATE;\n{sql}\n;INSERT INTO schema_version VALUES "
                    f"({version}, '{stamp}');\nCOMMIT;"
                )
                try:
                    await self.conn.executescript(script)
                except Exception as exc:
                    if self.conn.in_transaction:
                        await self.conn.execute("ROLLBACK")
                    raise StorageError(f"migration {name} failed: {exc}") from exc
                current = max(current, version)
        if current != before:  # one line, not one per migration: start-up says little
            log.info("database %s: schema version %d -> %d", self.path, before, current)
        return current

    async def backup(self, target: str | Path) -> Path:
        """Copy the live database to `target` with SQLite's online backup API."""
        target = Path(target)
        make_folder(target)
        if target.exists():
            raise StorageError(
                f"{target}: already exists; choose a new file name", "cli.file_exists", path=target
            )
        try:
            # Under the write lock: the writing connection may be inside another task's
            # transaction, and a backup taken there would copy its uncommitted rows.
            async with aiosqlite.connect(target) as dest, self._write_lock:
                await self.conn.backup(dest)
        except sqlite3.Error as exc:
            with suppress(OSError):  # a partial copy must not pass for a backup
                target.unlink(missing_ok=True)
            raise StorageError(
                f"{target}: cannot write the backup ({exc})",
                "cli.cannot_write",
                path=target,
                reason=exc,
            ) from exc
        return target


def make_folder(path: Path) -> None:
    """Create the folder a file will be written in; raise StorageError when it cannot be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise StorageError(
            f"{path}: cannot create its folder {path.parent} ({reason})",
            "cli.cannot_make_folder",
            path=path,
            folder=path.parent,
            reason=reason,
        ) from exc
