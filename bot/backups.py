"""Backups on their own: a daily online copy of the database, checked, and a few kept.

The `backup` job (bot/jobs.py) writes `loaxa-<UTC date>-<UTC time>.db` into the backup
folder (`LOAXA_BACKUP_DIR`, default `backups/` beside the database) with SQLite's online
backup, checks the copy with `PRAGMA integrity_check` (a copy that fails is deleted and the
job fails, so it runs again at the next start), then keeps the newest copy of each of the
last `LOAXA_BACKUP_KEEP_DAYS` days and of each of the last `LOAXA_BACKUP_KEEP_WEEKS` ISO
weeks and deletes the other copies it made (nothing else in the folder is touched).
`/healthz`, `/metrics` and `loaxa doctor` report a newest copy older than two days.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import ConfigError, Settings
from bot.i18n import operator_language, translator
from storage import Storage, StorageError, files
from storage.db import migrations
from storage.files import DatabaseLock, verify

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(days=2)
_NAME = re.compile(r"^loaxa-(\d{8}-\d{6})\.db$")


@dataclass(frozen=True, slots=True)
class BackupPolicy:
    """Where backups go and how many are kept."""

    folder: Path
    keep_days: int = 7
    keep_weeks: int = 4

    @classmethod
    def from_settings(cls, settings: Settings) -> BackupPolicy:
        """Return the policy the settings ask for."""
        folder = settings.backup_dir or settings.db.parent / "backups"
        return cls(folder, settings.backup_keep_days, settings.backup_keep_weeks)


def copies(folder: Path) -> list[tuple[datetime, Path]]:
    """Return the backups in `folder`, newest first, with the moment each was taken."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = _NAME.match(path.name)
        if match:
            taken = datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
            found.append((taken, path))
    return sorted(found, reverse=True)


def newest(folder: Path) -> tuple[datetime, Path] | None:
    """Return the newest backup in `folder` and when it was taken, or None."""
    found = copies(folder)
    return found[0] if found else None


def age(folder: Path, now: datetime) -> timedelta | None:
    """Return how old the newest backup is, or None when there is none."""
    found = newest(folder)
    return None if found is None else now - found[0]


def is_stale(folder: Path, now: datetime) -> bool:
    """Tell whether the newest backup is missing or older than two days."""
    old = age(folder, now)
    return old is None or old > STALE_AFTER


async def take(store: Storage, policy: BackupPolicy, now: datetime) -> dict[str, object]:
    """Write, check and keep today's backup, then prune the old ones; return what it did."""
    target = policy.folder / f"loaxa-{now.astimezone(UTC):%Y%m%d-%H%M%S}.db"
    if target.exists():  # a second run in the same second (run now, then a catch-up)
        return {"backup": target.name, "removed": 0}
    await store.db.backup(target)
    problem = await asyncio.to_thread(verify, target)
    if problem != "ok":
        target.unlink(missing_ok=True)
        raise StorageError(f"{target}: the backup copy failed its check ({problem})")
    removed = prune(policy, now)
    log.info("backed up the database to %s (%d old copies removed)", target, len(removed))
    return {"backup": target.name, "removed": len(removed)}


def prune(policy: BackupPolicy, now: datetime) -> list[Path]:
    """Delete the copies no rule keeps; return them. The newest copy is always kept."""
    found = copies(policy.folder)
    keep: set[Path] = {found[0][1]} if found else set()
    days, weeks = set(), set()
    first_day = (now - timedelta(days=policy.keep_days - 1)).date()
    first_week = now.date() - timedelta(weeks=policy.keep_weeks)
    for taken, path in found:  # newest first: the first copy of a day or week is its newest
        if taken.date() >= first_day and taken.date() not in days:
            days.add(taken.date())
            keep.add(path)
        week = taken.isocalendar()[:2]
        if taken.date() > first_week and week not in weeks and len(weeks) < policy.keep_weeks:
            weeks.add(week)
            keep.add(path)
    removed = [path for _, path in found if path not in keep]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def restore(source: Path, settings: Settings) -> list[str]:
    """Put a backup back in place of the database (never under a running bot); say what."""
    t, target = translator(operator_language()), settings.db
    if not source.is_file():
        raise ConfigError(t("restore.missing", source=source))
    problem = verify(source)
    if problem != "ok":
        raise StorageError(t("restore.not_sound", source=source, problem=problem))
    version, newest = files.schema_version(source), migrations()[-1][0]
    if version is None:
        raise StorageError(t("restore.not_loaxa", source=source))
    if version > newest:
        raise StorageError(t("restore.too_new", source=source, version=version, newest=newest))
    lock = DatabaseLock(target)
    if not lock.acquire():
        raise StorageError(t("restore.running", db=target, pid=lock.holder()))
    try:
        kept = files.restore(source, target)
    finally:
        lock.release()
    log.info("restored %s into %s", source, target)
    said = [t("restore.done", source=source, target=target)]
    return said + ([t("restore.kept", kept=kept)] if kept else [])
