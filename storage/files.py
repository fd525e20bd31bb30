"""The database as a file: checking a copy, putting a copy back, and one bot per file.

Synchronous on purpose: these run in the command line (`loaxa db restore`, `loaxa doctor`)
or on a worker thread, on files no connection of this process has open.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; the operator must stop the bot first
    fcntl = None  # type: ignore[assignment]

SIDE_FILES = ("-wal", "-shm", "-journal")


def _read_only(path: Path) -> sqlite3.Connection:
    """Open a database file for reading only (a URI: spaces and "?" in the path are escaped)."""
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)


def verify(path: Path) -> str:
    """Return "ok" when `path` is a sound SQLite database, else what is wrong with it."""
    try:
        conn = _read_only(path)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        rows = conn.execute("PRAGMA integrity_check(5)").fetchall()
    except sqlite3.Error as exc:
        return str(exc)
    finally:
        conn.close()
    return "; ".join(str(row[0]) for row in rows) or "ok"


def schema_version(path: Path) -> int | None:
    """Return a Loa Xã database's schema version, or None when the file is not one."""
    try:
        conn = _read_only(path)
    except sqlite3.Error:
        return None
    try:
        return conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def wal_bytes(path: Path) -> int:
    """Return the size of a database's write-ahead log (0 when there is none)."""
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


class DatabaseLock:
    """An exclusive lock on `<database>.lock`, held by the running bot for its lifetime.

    flock(2): the kernel drops it when the process ends, even on kill -9, so a crashed bot
    never leaves a stale lock behind. `loaxa db restore` takes the same lock, so it cannot
    replace the file under a running bot, and a second bot cannot start on the same file.
    """

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock without waiting; return False when another process holds it."""
        if fcntl is None or self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def held_elsewhere(self) -> bool:
        """Tell whether another process holds the lock now (a running bot), changing nothing."""
        if fcntl is None or not self.path.exists():
            return False
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:  # unreadable to this user: it cannot tell, so it does not claim so
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        finally:
            os.close(fd)

    def holder(self) -> str:
        """Return the process id written by the holder ("?" when unknown)."""
        with contextlib.suppress(OSError):
            return self.path.read_text(encoding="ascii").strip() or "?"
        return "?"

    def release(self) -> None:
        """Let go of the lock (the file stays, empty of meaning)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def restore(source: Path, target: Path) -> Path | None:
    """Put the checked backup `source` in place of the database `target`.

    The caller has checked the copy (`verify`, `schema_version`) and holds the target's
    `DatabaseLock`. The database it replaces is checkpointed and kept beside it as
    `<name>.before-restore-<UTC time>`; that path is returned (None when there was none).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".restoring")
    staged.unlink(missing_ok=True)
    with (
        contextlib.closing(_read_only(source)) as src,
        contextlib.closing(sqlite3.connect(staged)) as dst,
    ):
        src.backup(dst)
    kept = None
    if target.exists():
        with contextlib.closing(sqlite3.connect(target)) as live:
            live.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        kept = target.with_name(f"{target.name}.before-restore-{stamp}")
        os.replace(target, kept)
    for suffix in SIDE_FILES:
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    os.replace(staged, target)
    return kept
